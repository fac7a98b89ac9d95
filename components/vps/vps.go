// Package vps declares the single-Droplet topology: one Ubuntu Droplet
// running the application with Docker Compose behind nginx (TLS from
// Let's Encrypt through certbot, per-client rate limiting), with its
// reserved IP, cloud firewall, DNS records, backups bucket and project.
//
// The Droplet's user data only prepares the host (it never changes, since
// changing it replaces the Droplet). The application reaches the host over
// SSH: a command resource sends the rendered compose project and runs its
// deploy.sh whenever the project's content changes.
//
// What the host runs is described by a render.Site; package render writes
// every file from it, and this package declares the resources and feeds
// them the rendered files, secrets included, as Pulumi outputs.
package vps

import (
	"fmt"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/service"
	"infra/components/vps/render"
)

// VPSArgs declares the host and what it runs.
type VPSArgs struct {
	Region string
	Size   string
	Image  string
	// SSHKeys are DigitalOcean SSH key ids or fingerprints; they log in as
	// DeployUser.
	SSHKeys []string
	// DropletBackups turns on DigitalOcean's Droplet backups on
	// DropletBackupPlan ("weekly" or "daily"), always set explicitly:
	// without a plan DigitalOcean backs up daily, at 30 % of the price.
	DropletBackups    bool
	DropletBackupPlan string
	VPCID             pulumi.StringInput
	// AppTag marks the Droplet for the database firewall and the cloud
	// firewall.
	AppTag pulumi.StringInput
	Tags   []string
	// AdminCIDRs may reach SSH; `pulumi up` must run from one of them.
	AdminCIDRs []string
	// Environment names the DigitalOcean project's environment
	// (Development, Staging or Production).
	Environment string
	// Site is what runs on the host (services, proxy, database, tools).
	Site render.Site
	// SSHPrivateKey (secret) is the deploy user's key, for `pulumi up`.
	SSHPrivateKey pulumi.StringInput
	// Registries are the private registries the host logs in to (docker
	// login, from deploy.sh) before it pulls the services' images. Site
	// takes their servers and users from here; the passwords travel on
	// the deploy command's stdin, never in a file of the project.
	Registries []service.Registry
	// Database is the stack's PostgreSQL as seen from the host.
	Database DatabaseArgs
	Backups  BackupArgs
	// HostFiles are extra files for the project directory (monitoring
	// configuration), by path relative to AppDir; they may be secrets.
	HostFiles map[string]pulumi.StringOutput
	// Protect guards the Droplet, reserved IP and bucket (prod).
	Protect bool
	// DeployAfter are resources the deploy waits for (the database's roles
	// and grants, so services connect on their first start).
	DeployAfter []pulumi.Resource
}

// DatabaseArgs is the stack's PostgreSQL, as the host needs it.
type DatabaseArgs struct {
	// InitSQL is the self-hosted role/database script (Site.Database set).
	InitSQL string
	// Passwords are the role passwords (secrets), by role.
	Passwords map[string]pulumi.StringOutput
	// ClusterID is the managed cluster, put in the project ("" otherwise).
	ClusterID pulumi.StringInput
	// BackupURLs (secrets) are, by database, the owner's private-network
	// connection string backup.sh dumps it with (Site.Managed set).
	BackupURLs map[string]pulumi.StringOutput
}

// BackupArgs is the backups bucket.
type BackupArgs struct {
	// Region is a Spaces region.
	Region        string
	RetentionDays int
	// AccessKey and SecretKey (secrets) are a Spaces key. When nil the
	// default provider's credentials create the bucket (SPACES_ACCESS_KEY_ID
	// and SPACES_SECRET_ACCESS_KEY); the self-hosted dump job needs them.
	AccessKey pulumi.StringInput
	SecretKey pulumi.StringInput
}

// VPS is the declared host.
type VPS struct {
	pulumi.ResourceState

	DropletID  pulumi.StringOutput
	IPv4       pulumi.StringOutput
	ReservedIP pulumi.StringOutput
	BucketName pulumi.StringOutput
	// AdminPassword (secret) opens the admin tools' routes as user "admin".
	AdminPassword pulumi.StringOutput
	// ServicePasswords (secret) open each service's route that has
	// auth as user "admin", by service.
	ServicePasswords map[string]pulumi.StringOutput
	// Endpoints are the https URL of each public service, by service.
	Endpoints map[string]string
	// UserData is the Droplet's cloud-init.
	UserData string
	// Files are the compose project's files by path under AppDir; the
	// secret ones are secret outputs.
	Files map[string]pulumi.StringOutput
	// Artifacts are the rendered files worth reviewing (no secrets), by
	// path relative to the stack's output directory.
	Artifacts map[string]pulumi.StringOutput
}

// NewVPS declares the host, its network edges and the deployment of the
// compose project onto it.
func NewVPS(ctx *pulumi.Context, name string, args *VPSArgs, opts ...pulumi.ResourceOption) (*VPS, error) {
	c := &VPS{Endpoints: map[string]string{}, Files: map[string]pulumi.StringOutput{}, Artifacts: map[string]pulumi.StringOutput{}}
	if err := ctx.RegisterComponentResource("infra:vps:VPS", name, c, opts...); err != nil {
		return nil, fmt.Errorf("register vps %q: %w", name, err)
	}
	site := args.Site
	routes, err := site.Routes()
	if err != nil {
		return nil, fmt.Errorf("vps %q: %w", name, err)
	}
	for _, r := range routes {
		if _, ok := c.Endpoints[r.Service]; !ok {
			c.Endpoints[r.Service] = "https://" + r.Host + r.Path
		}
	}
	userData, err := render.CloudInit()
	if err != nil {
		return nil, err
	}
	c.UserData = userData

	h, err := c.declareHost(ctx, name, args)
	if err != nil {
		return nil, err
	}
	bucket, err := c.declareBucket(ctx, name, args)
	if err != nil {
		return nil, err
	}
	if err := c.declareProject(ctx, name, args, h, bucket); err != nil {
		return nil, err
	}
	admin, err := random.NewRandomPassword(ctx, name+"-admin-password", &random.RandomPasswordArgs{
		Length: pulumi.Int(24), Special: pulumi.Bool(false),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("admin password: %w", err)
	}
	c.AdminPassword = pulumi.ToSecret(admin.Result).(pulumi.StringOutput)
	if err := c.declareDeploy(ctx, name, args, h, bucket); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"dropletId":  c.DropletID,
		"ipv4":       c.IPv4,
		"reservedIp": c.ReservedIP,
		"bucket":     c.BucketName,
	}); err != nil {
		return nil, fmt.Errorf("register vps %q outputs: %w", name, err)
	}
	return c, nil
}
