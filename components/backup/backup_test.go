package backup

import (
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/pulumitest"
	"infra/internal/vpstest"
)

func validArgs() *KubernetesBackupArgs {
	return &KubernetesBackupArgs{
		Project: "shop", Namespace: "shop", PartOf: "shop", Version: "16",
		Databases: []Database{
			{Name: "shop", URL: pulumi.ToSecret(pulumi.String("postgresql://shop_owner:pw@db:25060/shop?sslmode=require")).(pulumi.StringOutput)},
			{Name: "audit", URL: pulumi.ToSecret(pulumi.String("postgresql://audit_owner:pw@db:25060/audit?sslmode=require")).(pulumi.StringOutput)},
		},
		Schedule: "0 * * * *", RetentionDays: 14, MaxAge: 3 * time.Hour, Region: "nyc3",
		AccessKey: pulumi.String("AK"), SecretKey: pulumi.ToSecret(pulumi.String("SK")).(pulumi.StringOutput),
		DatabaseEgress: []Egress{{CIDR: "10.10.0.0/16", Ports: []int{25060}}},
		Pool:           "apps",
		Protect:        true,
	}
}

// Every child of the component has it as parent and a name derived from
// the component's: the bucket (private, the retention, protected as asked)
// with its suffix and Spaces provider, and the four objects.
func TestKubernetesBackupChildren(t *testing.T) {
	rec := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewKubernetesBackup(ctx, "shop-prod", validArgs())
		return err
	})
	comp := rec.Get(t, "infra:backup:KubernetesBackup", "shop-prod")
	want := map[string]string{
		"random:index/randomString:RandomString":        "shop-prod-backups-suffix",
		"pulumi:providers:digitalocean":                 "shop-prod-spaces",
		"digitalocean:index/spacesBucket:SpacesBucket":  "shop-prod-backups",
		"kubernetes:core/v1:ConfigMap":                  "shop-prod-configmap-db-backup-script",
		"kubernetes:core/v1:Secret":                     "shop-prod-secret-db-backup",
		"kubernetes:networking.k8s.io/v1:NetworkPolicy": "shop-prod-networkpolicy-db-backup-egress",
		"kubernetes:batch/v1:CronJob":                   "shop-prod-cronjob-db-backup",
	}
	for typ, name := range want {
		r := rec.Get(t, typ, name)
		if r.Parent != comp.URN {
			t.Errorf("%s %s: parent %s, want the component", typ, name, r.Parent)
		}
	}
	// The restore drill's egress (its Job is the CLI's, not the stack's).
	if r := rec.Get(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "shop-prod-networkpolicy-db-restore-drill-egress"); r.Parent != comp.URN {
		t.Errorf("drill network policy: parent %s, want the component", r.Parent)
	}
	bucket := pulumitest.Plain(rec.Get(t, "digitalocean:index/spacesBucket:SpacesBucket", "shop-prod-backups").Inputs)
	if bucket["acl"] != "private" || pulumitest.Path(bucket, "lifecycleRules").([]any)[0].(map[string]any)["expiration"].(map[string]any)["days"] != float64(14) {
		t.Errorf("bucket = %v", bucket)
	}
	if !rec.Get(t, "digitalocean:index/spacesBucket:SpacesBucket", "shop-prod-backups").Protect {
		t.Error("bucket not protected")
	}
	cm := pulumitest.Plain(rec.Get(t, "kubernetes:core/v1:ConfigMap", "shop-prod-configmap-db-backup-script").Inputs)
	script := pulumitest.Path(cm, "data").(map[string]any)["backup.sh"].(string)
	if strings.Contains(script, "pw@") || !strings.Contains(script, "databases=('audit' 'shop' )") {
		t.Errorf("the script's ConfigMap names the databases and holds no connection string:\n%s", script)
	}
	drill := pulumitest.Path(cm, "data").(map[string]any)[DrillScriptKey].(string)
	if strings.Contains(drill, "pw@") || !strings.Contains(drill, "max_age=${INFRA_DRILL_MAX_AGE:-10800}") {
		t.Errorf("the ConfigMap's restore-drill.sh checks the schedule's 3 h and holds no connection string:\n%s", drill)
	}
	cj := pulumitest.Plain(rec.Get(t, "kubernetes:batch/v1:CronJob", "shop-prod-cronjob-db-backup").Inputs)
	pod := pulumitest.Path(cj, "spec.jobTemplate.spec.template.spec").(map[string]any)
	if pod["nodeSelector"].(map[string]any)["doks.digitalocean.com/node-pool"] != "apps" {
		t.Errorf("pod placed by %v", pod["nodeSelector"])
	}
}

// Missing pieces are one error listing each, before anything is declared.
func TestKubernetesBackupRefusesIncompleteArgs(t *testing.T) {
	args := validArgs()
	args.Databases = append(args.Databases, Database{Name: "orphan"})
	args.RetentionDays = 0
	args.AccessKey = nil
	args.DatabaseEgress = nil
	rec, err := pulumitest.RunErr(func(ctx *pulumi.Context) error {
		_, err := NewKubernetesBackup(ctx, "shop-prod", args)
		return err
	})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"retention must be at least one day", "Spaces access key", "database's network", `database "orphan" has no connection string`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if len(rec.Resources) > 1 {
		t.Errorf("declared %d resources before refusing", len(rec.Resources))
	}
}

// The script the ConfigMap carries passes shellcheck (vpstest.Shellcheck
// fails an unquoted expansion: components/vps/render proves it can fail).
func TestKubernetesScriptPassesShellcheck(t *testing.T) {
	script, err := Script(validArgs())
	if err != nil {
		t.Fatal(err)
	}
	if err := vpstest.Shellcheck(t, "backup.sh", script); err != nil {
		t.Error(err)
	}
}
