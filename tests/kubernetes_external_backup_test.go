package tests

import (
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/backup"
	"infra/components/monitoring"
	"infra/internal/plan"
	"infra/internal/pulumitest"
	"infra/stacks"
	"infra/stacks/config"
)

// externalCluster is the jarvis-cluster prod stack with its database
// external (URL in the secret ext-url, an offline plan's placeholder) and dumped every hour.
func externalCluster(t *testing.T) *plan.Plan {
	t.Helper()
	raw := cloneRaw(t, readRaw(t, "../examples/jarvis-cluster/Pulumi.prod.yaml"))
	raw.Values["database"] = externalDatabase()
	raw.Values["secrets"].(map[string]any)["ext-url"] = config.Placeholder("v1:AAAAAAAAAAAAAAAA:ZXh0LXVybA==")
	return runPlan(t, "jarvis-cluster", "prod", raw)
}

func externalDatabase() map[string]any {
	return map[string]any{
		"engine": "external", "version": "16", "externalUrlSecret": "ext-url",
		"databases": []any{map[string]any{"name": "jarvis"}},
		"backups":   map[string]any{"schedule": "0 * * * *"},
	}
}

// The plan of a Kubernetes stack with an external database dumped every
// hour (offline: the URL is a placeholder): the CronJob's dump container
// reads the URL and its password from the Secret and no roles' pair; the
// dump rule of its NetworkPolicy opens 5432 on the internet
// outside the private ranges (RFC 1918, RFC 6598, RFC 3927), not the VPC;
// backup.sh is the variant whose manifest says why it has no roles file;
// the drill's script does not ask for one; the backup alerts watch the
// CronJob.
func TestKubernetesExternalBackupPlan(t *testing.T) {
	p := externalCluster(t)
	get := func(typ, name string) plan.Resource {
		t.Helper()
		for _, r := range p.Resources {
			if r.Type == typ && r.Name == name {
				return r
			}
		}
		t.Fatalf("no %s %s", typ, name)
		return plan.Resource{}
	}
	cj := get("kubernetes:batch/v1:CronJob", "jarvis-cluster-prod-cronjob-db-backup")
	pod := cj.Inputs["spec"].(map[string]any)["jobTemplate"].(map[string]any)["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	dump := pod["initContainers"].([]any)[0].(map[string]any)
	if dump["image"] != "postgres:16" {
		t.Errorf("dump image %v, want postgres:16", dump["image"])
	}
	refs := map[string]string{}
	for _, e := range dump["env"].([]any) {
		env := e.(map[string]any)
		if vf, ok := env["valueFrom"].(map[string]any); ok {
			refs[env["name"].(string)] = vf["secretKeyRef"].(map[string]any)["key"].(string)
		}
	}
	if want := map[string]string{"INFRA_BACKUP_URL_jarvis": "url-jarvis", "INFRA_BACKUP_PASSWORD_jarvis": "password-jarvis"}; !reflect.DeepEqual(refs, want) {
		t.Errorf("dump container's secret references %v, want %v (no roles' pair)", refs, want)
	}
	data := get("kubernetes:core/v1:Secret", "jarvis-cluster-prod-secret-db-backup").Inputs["stringData"].(map[string]any)
	for _, k := range []string{"url-jarvis", "password-jarvis"} {
		if data[k] != "[secret]" {
			t.Errorf("Secret key %s = %v, want it masked", k, data[k])
		}
	}

	egress := get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "jarvis-cluster-prod-networkpolicy-db-backup-egress").Inputs["spec"].(map[string]any)["egress"].([]any)
	if len(egress) != 2 {
		t.Fatalf("want 2 egress rules (database, Spaces), have %v", egress)
	}
	wantDump := map[string]any{
		"to":    []any{map[string]any{"ipBlock": map[string]any{"cidr": "0.0.0.0/0", "except": []any{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"}}}},
		"ports": []any{map[string]any{"protocol": "TCP", "port": float64(5432)}},
	}
	if !reflect.DeepEqual(egress[0], wantDump) {
		t.Errorf("dump egress = %v, want %v", egress[0], wantDump)
	}

	data2 := get("kubernetes:core/v1:ConfigMap", "jarvis-cluster-prod-configmap-db-backup-script").Inputs["data"].(map[string]any)
	script, drill := data2["backup.sh"].(string), data2[backup.DrillScriptKey].(string)
	if !strings.Contains(script, "\ndatabases=('jarvis' )\n") || !strings.Contains(script, `"rolesSkipped":%s`) || strings.Contains(script, "pg_dumpall --globals-only") {
		t.Errorf("backup.sh is not the external variant:\n%s", script)
	}
	if strings.Contains(drill, "lists no roles file") {
		t.Error("the drill of an external database asks for a roles file")
	}
	// The alerts watch the CronJob: one hour between runs plus two.
	var doc monitoring.RulesDoc
	if err := yaml.Unmarshal([]byte(p.Artifacts["monitoring/rules.yml"]), &doc); err != nil {
		t.Fatal(err)
	}
	tooOld := `time() - max(kube_cronjob_status_last_successful_time{namespace="jarvis-system",cronjob="db-backup"}) > 10800`
	found := false
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			found = found || (r.Alert == "DatabaseBackupTooOld" && r.Expr == tooOld)
		}
	}
	if !found {
		t.Errorf("rules.yml has no DatabaseBackupTooOld %q", tooOld)
	}
	if out, ok := p.Outputs["kubernetes"].(map[string]any); !ok || out["backupsBucket"] == nil {
		t.Errorf("outputs.kubernetes has no backupsBucket: %v", p.Outputs["kubernetes"])
	}
}

// With the URL decrypted, the CronJob's Secret gets it as given but for
// the password, and the password alone, both Pulumi secrets.
func TestKubernetesExternalBackupSecret(t *testing.T) {
	raw := cloneRaw(t, readRaw(t, "../examples/jarvis-cluster/Pulumi.prod.yaml"))
	raw.Values["database"] = externalDatabase()
	url := `postgresql://app.ref:S3'cr"et$HOME;x@aws-0.pooler.supabase.com:5432/jarvis?sslmode=require`
	raw.Values["secrets"].(map[string]any)["ext-url"] = url
	cfg, err := config.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	conf, secretKeys, err := raw.PulumiConfig()
	if err != nil {
		t.Fatal(err)
	}
	rec := pulumitest.RunStack(t, "jarvis-cluster", "prod", func(ctx *pulumi.Context) error {
		_, err := stacks.Deploy(ctx, cfg)
		return err
	}, func(ri *pulumi.RunInfo) {
		ri.Config = conf
		ri.ConfigSecretKeys = secretKeys
	})
	data := pulumitest.Path(pulumitest.Plain(rec.Get(t, "kubernetes:core/v1:Secret", "jarvis-cluster-prod-secret-db-backup").Inputs), "stringData").(map[string]any)
	for k, v := range map[string]string{
		"url-jarvis":      "postgresql://app.ref@aws-0.pooler.supabase.com:5432/jarvis?sslmode=require",
		"password-jarvis": `S3'cr"et$HOME;x`,
	} {
		if s, ok := data[k].(pulumitest.Secret); !ok || s.Value != v {
			t.Errorf("Secret key %s = %#v, want the secret %q", k, data[k], v)
		}
	}
}
