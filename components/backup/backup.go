// Package backup dumps a managed PostgreSQL cluster, or an external
// database, from Kubernetes: a
// private Spaces bucket of the stack's own, and a CronJob in the
// application's namespace that runs the very backup.sh the VPS runs
// (components/vps/render). An init container (postgres:<version>) dumps
// every database as its owner over the cluster's private network into an
// emptyDir with the manifest; the main container (the AWS CLI the VPS
// pins) uploads them. Connection strings and the Spaces key reach the pods
// from a Secret, never from the script's ConfigMap.
package backup

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/kube"
	"infra/components/vps/render"
)

// Name is the CronJob's name (and its ConfigMap's, Secret's and
// NetworkPolicy's stem); the alert selects kube-state-metrics' series by it.
const Name = "db-backup"

// ScriptConfigMap holds backup.sh and, under DrillScriptKey,
// restore-drill.sh.
const (
	ScriptConfigMap = Name + "-script"
	DrillScriptKey  = "restore-drill.sh"
)

// UID runs both containers: not root, and not an id the images give a home.
const UID = 10001

// Mount points inside the pods.
const (
	ScriptDir = "/scripts"
	DumpDir   = "/backup"
)

// Database is one database to dump and its owner's direct connection
// string (a secret).
type Database struct {
	Name string
	URL  pulumi.StringInput
}

// Egress is a network the job may open connections to, but for the
// ranges in Except.
type Egress struct {
	CIDR   string
	Except []string
	Ports  []int
}

// KubernetesBackupArgs declares the dumps of a managed cluster or an
// external database.
type KubernetesBackupArgs struct {
	// Project names the script's site; Namespace and PartOf place and
	// label the objects.
	Project   string
	Namespace string
	PartOf    string
	// Version is the PostgreSQL major: the dump runs postgres:<Version>,
	// whose pg_dump matches the server.
	Version   string
	Databases []Database
	// RolesSkipped, when set, says why no roles file is dumped (an
	// external database's roles are managed where it lives): the dump
	// reads no globals and the manifest carries the reason.
	RolesSkipped string
	// Schedule (5-field cron, UTC), RetentionDays (the bucket's lifecycle
	// rule) and MaxAge (the oldest acceptable backup, for the script's
	// header and the job's deadline).
	Schedule      string
	RetentionDays int
	MaxAge        time.Duration
	// Region is the Spaces region of the bucket; AccessKey and SecretKey
	// (secrets) create it and upload to it.
	Region               string
	AccessKey, SecretKey pulumi.StringInput
	// DatabaseEgress is where the database answers (a managed cluster's
	// VPC, or the internet outside the private ranges for an external
	// one; its ports).
	DatabaseEgress []Egress
	// Pool places the job's pod on a node pool ("" : anywhere), with its
	// taints tolerated.
	Pool        string
	Tolerations []map[string]any
	Protect     bool
	// After are what the objects wait for: the namespace and its default
	// deny, the database's roles.
	After []pulumi.Resource
}

// KubernetesBackup is the bucket and the CronJob.
type KubernetesBackup struct {
	pulumi.ResourceState

	BucketName pulumi.StringOutput
	// Manifests are the rendered objects by path (secrets masked).
	Manifests kube.Manifests
}

func (a *KubernetesBackupArgs) check() error {
	var problems []string
	if a.Namespace == "" {
		problems = append(problems, "namespace is required")
	}
	if len(a.Databases) == 0 {
		problems = append(problems, "no database to dump")
	}
	if a.RetentionDays < 1 {
		problems = append(problems, fmt.Sprintf("retention must be at least one day, got %d", a.RetentionDays))
	}
	if a.MaxAge <= 0 {
		problems = append(problems, "the oldest acceptable backup age is required")
	}
	if a.AccessKey == nil || a.SecretKey == nil {
		problems = append(problems, "the Spaces access key and secret key are required: the job uploads with them")
	}
	if len(a.DatabaseEgress) == 0 {
		problems = append(problems, "the database's network is required for the job's egress")
	}
	for _, d := range a.Databases {
		if d.URL == nil {
			problems = append(problems, fmt.Sprintf("database %q has no connection string", d.Name))
		}
	}
	if problems != nil {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// NewKubernetesBackup declares the bucket and the CronJob's objects. Pass
// the cluster's provider with pulumi.Providers.
func NewKubernetesBackup(ctx *pulumi.Context, name string, args *KubernetesBackupArgs, opts ...pulumi.ResourceOption) (*KubernetesBackup, error) {
	if err := args.check(); err != nil {
		return nil, fmt.Errorf("kubernetes backup %q: %w", name, err)
	}
	c := &KubernetesBackup{Manifests: kube.Manifests{}}
	if err := ctx.RegisterComponentResource("infra:backup:KubernetesBackup", name, c, opts...); err != nil {
		return nil, fmt.Errorf("register kubernetes backup %q: %w", name, err)
	}
	bucket, err := c.declareBucket(ctx, name, args)
	if err != nil {
		return nil, err
	}
	c.BucketName = bucket.Name
	script, err := Script(args)
	if err != nil {
		return nil, fmt.Errorf("kubernetes backup %q: %w", name, err)
	}
	drill, err := DrillScript(args)
	if err != nil {
		return nil, fmt.Errorf("kubernetes backup %q: %w", name, err)
	}
	after := pulumi.DependsOn(args.After)
	objects := []kube.Object{
		networkPolicy(args),
		drillNetworkPolicy(args),
		configMap(args, script, drill),
		secret(args, bucket.Name),
	}
	var before []pulumi.Resource
	for _, o := range objects {
		r, err := c.apply(ctx, name, o, after)
		if err != nil {
			return nil, err
		}
		before = append(before, r)
	}
	// The job starts once its script, secrets and egress exist.
	if _, err := c.apply(ctx, name, CronJob(args), pulumi.DependsOn(append(append([]pulumi.Resource{}, args.After...), before...))); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"bucketName": c.BucketName}); err != nil {
		return nil, fmt.Errorf("register kubernetes backup %q outputs: %w", name, err)
	}
	return c, nil
}

// apply declares and renders one object, named after the component, the
// kind and the object, as the workloads' are.
func (c *KubernetesBackup) apply(ctx *pulumi.Context, name string, o kube.Object, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	res := name + "-" + strings.ToLower(o.Kind()) + "-" + o.Name()
	return c.Manifests.Apply(ctx, res, o, append([]pulumi.ResourceOption{pulumi.Parent(c)}, opts...)...)
}

// declareBucket is the private bucket, shaped as the VPS's: a random
// suffix (bucket names are global), a lifecycle rule that deletes objects
// after the retention, and a provider holding the Spaces key.
func (c *KubernetesBackup) declareBucket(ctx *pulumi.Context, name string, args *KubernetesBackupArgs) (*digitalocean.SpacesBucket, error) {
	suffix, err := random.NewRandomString(ctx, name+"-backups-suffix", &random.RandomStringArgs{
		Length: pulumi.Int(6), Special: pulumi.Bool(false), Upper: pulumi.Bool(false),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("backups bucket suffix: %w", err)
	}
	// Spaces speaks the S3 API with its own keys; this provider only
	// manages the bucket.
	spaces, err := digitalocean.NewProvider(ctx, name+"-spaces", &digitalocean.ProviderArgs{
		SpacesAccessId:  args.AccessKey,
		SpacesSecretKey: args.SecretKey,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("spaces provider: %w", err)
	}
	bucket, err := digitalocean.NewSpacesBucket(ctx, name+"-backups", &digitalocean.SpacesBucketArgs{
		Name:   pulumi.Sprintf("%s-backups-%s", name, suffix.Result),
		Region: pulumi.String(args.Region),
		Acl:    pulumi.String("private"),
		LifecycleRules: digitalocean.SpacesBucketLifecycleRuleArray{
			digitalocean.SpacesBucketLifecycleRuleArgs{
				Id:                                 pulumi.String("expire-backups"),
				Enabled:                            pulumi.Bool(true),
				Expiration:                         digitalocean.SpacesBucketLifecycleRuleExpirationArgs{Days: pulumi.Int(args.RetentionDays)},
				AbortIncompleteMultipartUploadDays: pulumi.Int(1),
			},
		},
	}, pulumi.Parent(c), pulumi.Protect(args.Protect), pulumi.Provider(spaces))
	if err != nil {
		return nil, fmt.Errorf("backups bucket: %w", err)
	}
	return bucket, nil
}

// Script is backup.sh as the VPS renders it, for these databases; the
// bucket comes from INFRA_BACKUP_BUCKET at run time.
func Script(args *KubernetesBackupArgs) (string, error) {
	return render.BackupScript(site(args), "")
}

// DrillScript is restore-drill.sh as the VPS renders it (the same checks
// and the same oldest acceptable age); the bucket comes from
// INFRA_BACKUP_BUCKET at run time.
func DrillScript(args *KubernetesBackupArgs) (string, error) {
	return render.RestoreDrillScript(site(args), "")
}

func site(args *KubernetesBackupArgs) render.Site {
	return render.Site{
		Project:  args.Project,
		Database: &render.SiteDatabase{Version: args.Version, Databases: databaseNames(args)},
		Backup:   &render.SiteBackup{Region: args.Region, Schedule: args.Schedule, RetentionDays: args.RetentionDays, MaxAge: args.MaxAge, RolesSkipped: args.RolesSkipped},
	}
}

func databaseNames(args *KubernetesBackupArgs) []string {
	var out []string
	for _, d := range args.Databases {
		out = append(out, d.Name)
	}
	sort.Strings(out)
	return out
}
