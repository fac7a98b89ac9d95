package database

import (
	"fmt"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi-postgresql/sdk/v3/go/postgresql"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Engine is where PostgreSQL runs.
type Engine string

// The engines.
const (
	EngineManaged    Engine = "managed"
	EngineSelfHosted Engine = "selfhosted"
	EngineExternal   Engine = "external"
)

// SelfHostedHost and SelfHostedPort are where the self-hosted server
// answers on the compose network.
const (
	SelfHostedHost = "postgres"
	SelfHostedPort = 5432
)

// PostgresArgs declares the databases of one stack.
type PostgresArgs struct {
	Engine Engine
	Model  Model

	// Managed engine.
	Region  string
	Version string
	Size    string
	Nodes   int
	// MaintenanceDay and MaintenanceHour (UTC, "03:00") of the weekly window.
	MaintenanceDay  string
	MaintenanceHour string
	VPCID           pulumi.StringInput
	// AppTag is the tag of the droplets or cluster nodes that run the
	// application: the firewall admits them and AdminCIDRs only.
	AppTag     string
	AdminCIDRs []string
	Tags       []string
	// Protect guards the cluster and its firewall against deletion (prod).
	Protect bool

	// ExternalURL is the secret URL of an external database.
	ExternalURL pulumi.StringInput
}

// Postgres is the application's PostgreSQL.
type Postgres struct {
	pulumi.ResourceState

	Engine Engine
	Model  Model
	// Host and Port are the direct, private endpoint.
	Host pulumi.StringOutput
	Port pulumi.IntOutput
	// ClusterID is the managed cluster's id (empty otherwise).
	ClusterID pulumi.StringOutput
	// InitSQL is the self-hosted setup script (no secrets in it).
	InitSQL string
	// Passwords are the generated role passwords (secrets), by role.
	Passwords map[string]pulumi.StringOutput

	pools       map[string]*digitalocean.DatabaseConnectionPool
	externalURL pulumi.StringInput
}

// NewPostgres declares the databases.
func NewPostgres(ctx *pulumi.Context, name string, args *PostgresArgs, opts ...pulumi.ResourceOption) (*Postgres, error) {
	c := &Postgres{Engine: args.Engine, Model: args.Model, Passwords: map[string]pulumi.StringOutput{}, pools: map[string]*digitalocean.DatabaseConnectionPool{}}
	if err := ctx.RegisterComponentResource("infra:database:Postgres", name, c, opts...); err != nil {
		return nil, fmt.Errorf("register postgres %q: %w", name, err)
	}
	parent := pulumi.Parent(c)
	for _, r := range args.Model.Roles {
		pw, err := random.NewRandomPassword(ctx, name+"-"+r.Name+"-password", &random.RandomPasswordArgs{
			Length:  pulumi.Int(32),
			Special: pulumi.Bool(false),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("password for role %q: %w", r.Name, err)
		}
		c.Passwords[r.Name] = pulumi.ToSecret(pw.Result).(pulumi.StringOutput)
	}
	var err error
	switch args.Engine {
	case EngineManaged:
		err = c.declareManaged(ctx, name, args)
	case EngineSelfHosted:
		c.InitSQL = RenderSQL(args.Model)
		c.Host = pulumi.String(SelfHostedHost).ToStringOutput()
		c.Port = pulumi.Int(SelfHostedPort).ToIntOutput()
		c.ClusterID = pulumi.String("").ToStringOutput()
	case EngineExternal:
		c.externalURL = args.ExternalURL
		c.Host = pulumi.String("").ToStringOutput()
		c.Port = pulumi.Int(0).ToIntOutput()
		c.ClusterID = pulumi.String("").ToStringOutput()
	default:
		err = fmt.Errorf("unknown engine %q", args.Engine)
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"host":      c.Host,
		"port":      c.Port,
		"clusterId": c.ClusterID,
	}); err != nil {
		return nil, fmt.Errorf("register postgres %q outputs: %w", name, err)
	}
	return c, nil
}

func (c *Postgres) declareManaged(ctx *pulumi.Context, name string, args *PostgresArgs) error {
	parent := pulumi.Parent(c)
	cluster, err := digitalocean.NewDatabaseCluster(ctx, name+"-cluster", &digitalocean.DatabaseClusterArgs{
		Engine:             pulumi.String("pg"),
		Version:            pulumi.String(args.Version),
		Size:               pulumi.String(args.Size),
		Region:             pulumi.String(args.Region),
		NodeCount:          pulumi.Int(args.Nodes),
		PrivateNetworkUuid: args.VPCID,
		Tags:               pulumi.ToStringArray(args.Tags),
		MaintenanceWindows: digitalocean.DatabaseClusterMaintenanceWindowArray{
			digitalocean.DatabaseClusterMaintenanceWindowArgs{Day: pulumi.String(args.MaintenanceDay), Hour: pulumi.String(args.MaintenanceHour + ":00")},
		},
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return fmt.Errorf("database cluster: %w", err)
	}
	c.Host, c.Port, c.ClusterID = cluster.PrivateHost, cluster.Port, cluster.ID().ToStringOutput()

	rules := digitalocean.DatabaseFirewallRuleArray{
		digitalocean.DatabaseFirewallRuleArgs{Type: pulumi.String("tag"), Value: pulumi.String(args.AppTag)},
	}
	for _, cidr := range args.AdminCIDRs {
		rules = append(rules, digitalocean.DatabaseFirewallRuleArgs{Type: pulumi.String("ip_addr"), Value: pulumi.String(cidr)})
	}
	// Deleting a firewall opens the cluster to everyone, so it is only ever
	// deleted together with its cluster.
	firewall, err := digitalocean.NewDatabaseFirewall(ctx, name+"-firewall", &digitalocean.DatabaseFirewallArgs{
		ClusterId: cluster.ID(),
		Rules:     rules,
	}, parent, pulumi.Protect(args.Protect), pulumi.DeletedWith(cluster))
	if err != nil {
		return fmt.Errorf("database firewall: %w", err)
	}

	// The admin of a DigitalOcean cluster is not a superuser.
	provider, err := postgresql.NewProvider(ctx, name+"-admin", &postgresql.ProviderArgs{
		Host:      cluster.Host,
		Port:      cluster.Port,
		Username:  cluster.User,
		Password:  cluster.Password,
		Database:  cluster.Database,
		Sslmode:   pulumi.String("require"),
		Superuser: pulumi.Bool(false),
	}, parent, pulumi.DependsOn([]pulumi.Resource{firewall}))
	if err != nil {
		return fmt.Errorf("postgresql provider: %w", err)
	}
	return c.declareRoles(ctx, name, cluster, provider)
}

func (c *Postgres) declareRoles(ctx *pulumi.Context, name string, cluster *digitalocean.DatabaseCluster, provider *postgresql.Provider) error {
	opts := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(provider)}
	roles := map[string]*postgresql.Role{}
	for _, r := range c.Model.Roles {
		role, err := postgresql.NewRole(ctx, name+"-role-"+r.Name, &postgresql.RoleArgs{
			Name:     pulumi.String(r.Name),
			Login:    pulumi.Bool(true),
			Password: c.Passwords[r.Name],
		}, opts...)
		if err != nil {
			return fmt.Errorf("role %q: %w", r.Name, err)
		}
		roles[r.Name] = role
	}
	dbs := map[string]*postgresql.Database{}
	for _, d := range c.Model.Databases {
		db, err := postgresql.NewDatabase(ctx, name+"-db-"+d.Name, &postgresql.DatabaseArgs{
			Name:  pulumi.String(d.Name),
			Owner: roles[d.Owner].Name,
		}, opts...)
		if err != nil {
			return fmt.Errorf("database %q: %w", d.Name, err)
		}
		dbs[d.Name] = db
		// Nobody but the granted roles may connect.
		if _, err := postgresql.NewGrant(ctx, name+"-revoke-"+d.Name, &postgresql.GrantArgs{
			Database:   db.Name,
			Role:       pulumi.String("public"),
			ObjectType: pulumi.String("database"),
			Privileges: pulumi.StringArray{},
		}, opts...); err != nil {
			return fmt.Errorf("revoke public on %q: %w", d.Name, err)
		}
		if d.Pool != nil {
			pool, err := digitalocean.NewDatabaseConnectionPool(ctx, name+"-pool-"+d.Name, &digitalocean.DatabaseConnectionPoolArgs{
				ClusterId: cluster.ID(),
				Name:      pulumi.String(d.Name + "-pool"),
				DbName:    db.Name,
				Mode:      pulumi.String(d.Pool.Mode),
				Size:      pulumi.Int(d.Pool.Size),
			}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{db}))
			if err != nil {
				return fmt.Errorf("pool for %q: %w", d.Name, err)
			}
			c.pools[d.Name] = pool
		}
	}
	for _, a := range c.Model.Access() {
		if err := declareGrants(ctx, name, a, roles, dbs, opts); err != nil {
			return err
		}
	}
	return nil
}

// declareGrants grants one role its level on one database, from the same
// table as the SQL script (LevelPrivileges): on the database, on schema
// public, and for levels with rights on the owner's objects on its existing
// tables and sequences in public and, as default privileges of the owner,
// on the ones it creates later.
func declareGrants(ctx *pulumi.Context, name string, a Access, roles map[string]*postgresql.Role, dbs map[string]*postgresql.Database, opts []pulumi.ResourceOption) error {
	p := LevelPrivileges[a.Level]
	base := name + "-grant-" + a.Role + "-" + a.Database
	opts = append(opts, pulumi.DependsOn([]pulumi.Resource{roles[a.Role], dbs[a.Database]}))
	role, db := roles[a.Role].Name, dbs[a.Database].Name
	if _, err := postgresql.NewGrant(ctx, base+"-db", &postgresql.GrantArgs{
		Database:   db,
		Role:       role,
		ObjectType: pulumi.String("database"),
		Privileges: pulumi.ToStringArray(p.Database),
	}, opts...); err != nil {
		return fmt.Errorf("grant %q on %q: %w", a.Role, a.Database, err)
	}
	// PostgreSQL 15+: CREATE on public is no longer granted to PUBLIC.
	if _, err := postgresql.NewGrant(ctx, base+"-public", &postgresql.GrantArgs{
		Database:   db,
		Schema:     pulumi.String("public"),
		Role:       role,
		ObjectType: pulumi.String("schema"),
		Privileges: pulumi.ToStringArray(p.Schema),
	}, opts...); err != nil {
		return fmt.Errorf("grant schema public to %q on %q: %w", a.Role, a.Database, err)
	}
	if !p.OnOwnerObjects() {
		return nil
	}
	for _, o := range []struct {
		objectType, suffix string
		privileges         []string
	}{{"table", "tables", p.Tables}, {"sequence", "sequences", p.Sequences}} {
		// No objects: every object of the type in the schema.
		if _, err := postgresql.NewGrant(ctx, base+"-"+o.suffix, &postgresql.GrantArgs{
			Database:   db,
			Schema:     pulumi.String("public"),
			Role:       role,
			ObjectType: pulumi.String(o.objectType),
			Privileges: pulumi.ToStringArray(o.privileges),
		}, opts...); err != nil {
			return fmt.Errorf("grant %s in public to %q on %q: %w", o.suffix, a.Role, a.Database, err)
		}
		if _, err := postgresql.NewDefaultPrivileges(ctx, base+"-default-"+o.suffix, &postgresql.DefaultPrivilegesArgs{
			Database:   db,
			Schema:     pulumi.String("public"),
			Owner:      roles[a.Owner].Name,
			Role:       role,
			ObjectType: pulumi.String(o.objectType),
			Privileges: pulumi.ToStringArray(o.privileges),
		}, opts...); err != nil {
			return fmt.Errorf("default privileges on %s of %q for %q on %q: %w", o.suffix, a.Owner, a.Role, a.Database, err)
		}
	}
	return nil
}

// ConnectionString is a secret connection string for role on database, in
// the given format: through the database's pool unless direct.
func (c *Postgres) ConnectionString(database, role string, format Format, direct bool) pulumi.StringOutput {
	if c.Engine == EngineExternal {
		return pulumi.ToSecret(c.externalURL.ToStringOutput()).(pulumi.StringOutput)
	}
	host, port, dbname := c.Host, c.Port, pulumi.String(database).ToStringOutput()
	transaction := false
	if pool, ok := c.pools[database]; ok && !direct {
		host, port, dbname = pool.PrivateHost, pool.Port, pool.Name
		if d, ok := c.Model.Database(database); ok {
			transaction = d.Pool.Mode == "transaction"
		}
	}
	tls := c.Engine == EngineManaged
	out := pulumi.All(host, port, dbname, c.Passwords[role]).ApplyT(func(v []any) (string, error) {
		e := Endpoint{Host: v[0].(string), Port: v[1].(int), Database: v[2].(string), User: role, Password: v[3].(string), TLS: tls, TransactionPool: transaction}
		return e.Format(format)
	}).(pulumi.StringOutput)
	return pulumi.ToSecret(out).(pulumi.StringOutput)
}
