package stacks

import (
	"fmt"
	"os"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"

	"infra/components/database"
	"infra/components/network"
	"infra/components/service"
	"infra/components/vps"
	"infra/stacks/config"
)

// ContractVersion is the version of the stack outputs' contract (the
// "contractVersion" output; its JSON Schema is internal/cli/outputs.schema.json).
// Adding an output keeps the version; renaming or removing one, or changing
// its type, bumps it.
const ContractVersion = 2

// Program is the Pulumi program: `pulumi up` in the repo root and the infra
// CLI both run it. Config is read and validated before any resource is
// declared, so bad config never leaves a half-applied stack.
func Program(ctx *pulumi.Context) error {
	return program(ctx, os.Getenv, nil)
}

// ProgramWith is Program with the config read from the stack edited by
// edit before it is validated: `infra rollback` runs one update with a
// release's services in place of the stack file's.
func ProgramWith(edit func(*config.Raw) error) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error { return program(ctx, os.Getenv, edit) }
}

func program(ctx *pulumi.Context, getenv func(string) string, edit func(*config.Raw) error) error {
	raw := FromContext(ctx, getenv)
	if edit != nil {
		if err := edit(raw); err != nil {
			return err
		}
	}
	cfg, err := config.Parse(raw)
	if err != nil {
		return err
	}
	d, err := Deploy(ctx, cfg)
	if err != nil {
		return err
	}
	for k, v := range d.Outputs {
		ctx.Export(k, v)
	}
	return nil
}

// Deployment is what Deploy declared, for the topology-specific parts to
// build on and for tests to inspect.
type Deployment struct {
	Config   *config.Config
	Name     string
	Tags     []string
	Network  *network.Network
	Database *database.Postgres
	// Connections are each service's connection strings (secrets), by
	// service and environment variable.
	Connections map[string]map[string]pulumi.StringOutput
	// Secrets are infra:secrets as Pulumi secrets, by name.
	Secrets map[string]pulumi.StringOutput
	// Outputs are the stack outputs; see the README's output contract.
	Outputs pulumi.Map
	// Artifacts are the files the program renders (SQL, compose, proxy
	// config, Kubernetes objects, alert rules), by relative path. `infra
	// plan` writes them out for review and for the tools that check them.
	// Never put a secret in one: a secret artifact is written masked.
	Artifacts map[string]pulumi.StringOutput

	// ExtraServices run beside the application on the VPS (monitoring,
	// admin tools); on Kubernetes the same roles are Helm charts.
	ExtraServices []service.Spec
	// HostFiles are files the VPS host needs beside the compose project,
	// by path relative to the project directory. May be secret.
	HostFiles map[string]pulumi.StringOutput
	// VPS is the Droplet and its compose project (topology vps only).
	VPS *vps.VPS
	// KubeProvider is the cluster's provider (topology kubernetes only).
	KubeProvider *kubernetes.Provider
	// Namespace is where the application's workloads run (kubernetes only).
	Namespace string
	// IngressClass is the cluster's ingress class (kubernetes only; empty:
	// the cluster's default class). Grafana's ingress uses it.
	IngressClass string
}

// AddArtifact records a rendered file.
func (d *Deployment) AddArtifact(path string, content pulumi.StringOutput) {
	d.Artifacts[path] = content
}

// Deploy declares every resource of a validated config.
func Deploy(ctx *pulumi.Context, cfg *config.Config) (*Deployment, error) {
	d := &Deployment{
		Config:      cfg,
		Name:        ctx.Project(),
		Connections: map[string]map[string]pulumi.StringOutput{},
		Secrets:     map[string]pulumi.StringOutput{},
		Outputs:     pulumi.Map{},
		Artifacts:   map[string]pulumi.StringOutput{},
		HostFiles:   map[string]pulumi.StringOutput{},
	}
	d.Tags = []string{"infra", d.Name, cfg.Environment}
	for name, v := range cfg.Secrets {
		d.Secrets[name] = pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
	}
	net, err := network.NewNetwork(ctx, d.Name, &network.NetworkArgs{
		Region:  cfg.Region,
		IPRange: cfg.Network.VPCCIDR,
		AppTag:  d.Name + "-" + cfg.Environment + "-app",
	})
	if err != nil {
		return nil, fmt.Errorf("declare network: %w", err)
	}
	d.Network = net
	if err := d.declareDatabase(ctx); err != nil {
		return nil, err
	}
	if err := d.prepareMonitoring(ctx); err != nil {
		return nil, fmt.Errorf("prepare monitoring: %w", err)
	}
	switch cfg.Topology {
	case config.TopologyVPS:
		err = deployVPS(ctx, d)
	case config.TopologyKubernetes:
		err = deployKubernetes(ctx, d)
	}
	if err != nil {
		return nil, fmt.Errorf("declare %s topology: %w", cfg.Topology, err)
	}
	if err := d.declareMonitoring(ctx); err != nil {
		return nil, fmt.Errorf("declare monitoring: %w", err)
	}
	d.Outputs["contractVersion"] = pulumi.Int(ContractVersion)
	d.Outputs["topology"] = pulumi.String(string(cfg.Topology))
	d.Outputs["environment"] = pulumi.String(cfg.Environment)
	d.Outputs["class"] = pulumi.String(string(cfg.Class))
	d.Outputs["region"] = pulumi.String(cfg.Region)
	d.Outputs["domain"] = pulumi.String(cfg.Domain)
	d.Outputs["vpcId"] = net.VPCID
	d.Outputs["endpoints"] = endpointsOutput(Endpoints(cfg))
	return d, nil
}

func (d *Deployment) declareDatabase(ctx *pulumi.Context) error {
	cfg := d.Config
	if cfg.Database == nil {
		return nil
	}
	db := cfg.Database
	args := &database.PostgresArgs{
		Engine:          database.Engine(db.Engine),
		Model:           databaseModel(db),
		Region:          cfg.Region,
		Version:         db.Version,
		Size:            db.Size,
		Nodes:           db.Nodes,
		MaintenanceDay:  db.Maintenance.Day,
		MaintenanceHour: db.Maintenance.Hour,
		VPCID:           d.Network.VPCID,
		AppTag:          d.Name + "-" + cfg.Environment + "-app",
		AdminCIDRs:      cfg.Network.AdminCIDRs,
		Tags:            d.Tags,
		Protect:         cfg.Production(),
	}
	if db.ExternalURLSecret != "" {
		args.ExternalURL = d.Secrets[db.ExternalURLSecret]
	}
	pg, err := database.NewPostgres(ctx, d.Name, args, pulumi.DependsOn([]pulumi.Resource{d.Network}))
	if err != nil {
		return fmt.Errorf("declare database: %w", err)
	}
	d.Database = pg
	// The same model as SQL: the init script of a self-hosted server, and
	// for a managed cluster a reviewable equivalent of the provider's work.
	d.AddArtifact("database/roles.sql", pulumi.String(database.RenderSQL(pg.Model)).ToStringOutput())
	names := make([]string, 0, len(db.Databases))
	for _, x := range db.Databases {
		names = append(names, x.Name)
	}
	all := pulumi.Map{}
	for _, s := range cfg.Services {
		if len(s.Connections) == 0 {
			continue
		}
		conns := map[string]pulumi.StringOutput{}
		perService := pulumi.Map{}
		for env, c := range s.Connections {
			cs := pg.ConnectionString(c.Database, c.Role, database.Format(c.Format), c.Direct)
			conns[env] = cs
			perService[env] = cs
		}
		d.Connections[s.Name] = conns
		all[s.Name] = perService
	}
	sort.Strings(names)
	out := pulumi.Map{
		"engine":    pulumi.String(db.Engine),
		"databases": pulumi.ToStringArray(names),
	}
	// An external database's address is in its URL, a secret: the output
	// leaves host and port out rather than show an empty host and port 0.
	if database.Engine(db.Engine) != database.EngineExternal {
		out["host"] = pg.Host
		out["port"] = pg.Port
	}
	d.Outputs["database"] = out
	d.Outputs["connectionStrings"] = pulumi.ToSecret(all)
	return nil
}

// databaseModel is the one model both engines are built from.
func databaseModel(db *config.Database) database.Model {
	var m database.Model
	for _, x := range db.Databases {
		entry := database.Database{Name: x.Name, Owner: x.Owner}
		if x.Pool != nil {
			entry.Pool = &database.Pool{Mode: x.Pool.Mode, Size: x.Pool.Size}
		}
		m.Databases = append(m.Databases, entry)
	}
	for _, r := range db.Roles {
		role := database.Role{Name: r.Name}
		for _, g := range r.Databases {
			role.Databases = append(role.Databases, database.Grant{Database: g.Name, Level: database.Level(g.Access)})
		}
		m.Roles = append(m.Roles, role)
	}
	return m
}
