package tests

import (
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"infra/components/monitoring"
	"infra/internal/plan"
)

// checkKubernetesBackup: the jarvis-cluster plan (managed database,
// backups every hour, prod) declares one backup component whose children
// are the bucket (private, expiring after the default 7 days, protected in
// prod), the script's ConfigMap, the Secret, the egress NetworkPolicy and
// the CronJob, each a child of the component and named after it; the
// CronJob reads every secret from the Secret by reference; the alert
// watches the CronJob.
func checkKubernetesBackup(t *testing.T, p *plan.Plan) {
	t.Helper()
	comp := oneOf(t, p, "infra:backup:KubernetesBackup")
	if comp.Name != "jarvis-cluster-prod" {
		t.Errorf("backup component named %q", comp.Name)
	}
	child := func(typ, name string) plan.Resource {
		t.Helper()
		for _, r := range p.Resources {
			if r.Type == typ && r.Name == name {
				if r.Parent != comp.URN {
					t.Errorf("%s %s has parent %s, want the backup component", typ, name, r.Parent)
				}
				return r
			}
		}
		t.Fatalf("no %s %s", typ, name)
		return plan.Resource{}
	}
	bucket := child("digitalocean:index/spacesBucket:SpacesBucket", "jarvis-cluster-prod-backups")
	lifecycle := []any{map[string]any{"id": "expire-backups", "enabled": true, "expiration": map[string]any{"days": float64(7)}, "abortIncompleteMultipartUploadDays": float64(1)}}
	if !reflect.DeepEqual(bucket.Inputs["lifecycleRules"], lifecycle) || bucket.Inputs["acl"] != "private" || bucket.Inputs["region"] != "sfo3" {
		t.Errorf("bucket = %v", bucket.Inputs)
	}
	if !bucket.Protect {
		t.Error("the prod backups bucket is not protected")
	}
	child("pulumi:providers:digitalocean", "jarvis-cluster-prod-spaces")
	child("random:index/randomString:RandomString", "jarvis-cluster-prod-backups-suffix")

	cm := child("kubernetes:core/v1:ConfigMap", "jarvis-cluster-prod-configmap-db-backup-script")
	script, _ := cm.Inputs["data"].(map[string]any)["backup.sh"].(string)
	for _, line := range []string{"databases=('jarvis' )", "bucket=${INFRA_BACKUP_BUCKET-''}", "endpoint=${INFRA_BACKUP_ENDPOINT-'https://sfo3.digitaloceanspaces.com'}"} {
		if !strings.Contains(script, "\n"+line+"\n") {
			t.Errorf("the ConfigMap's backup.sh lacks %q", line)
		}
	}
	if script != p.Artifacts["kubernetes/jarvis-system/configmap-db-backup-script.yaml"] && !strings.Contains(p.Artifacts["kubernetes/jarvis-system/configmap-db-backup-script.yaml"], "backup.sh: |") {
		t.Error("the script's ConfigMap is not rendered for review")
	}
	for _, secret := range p.Generated {
		if strings.Contains(script, secret) {
			t.Error("the script's ConfigMap holds a generated password")
		}
	}

	sec := child("kubernetes:core/v1:Secret", "jarvis-cluster-prod-secret-db-backup")
	data, _ := sec.Inputs["stringData"].(map[string]any)
	var keys []string
	for k, v := range data {
		keys = append(keys, k)
		if v != "[secret]" {
			t.Errorf("Secret key %s is not masked in the plan: %v", k, v)
		}
	}
	if len(keys) != 5 || data["url-jarvis"] == nil || data["password-jarvis"] == nil || data["spaces-access-key"] == nil || data["spaces-secret-key"] == nil || data["bucket"] == nil {
		t.Errorf("Secret keys %v, want url-jarvis, password-jarvis, the Spaces key pair and the bucket", keys)
	}

	np := child("kubernetes:networking.k8s.io/v1:NetworkPolicy", "jarvis-cluster-prod-networkpolicy-db-backup-egress")
	spec := np.Inputs["spec"].(map[string]any)
	if !reflect.DeepEqual(spec["podSelector"], map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/component": "db-backup"}}) {
		t.Errorf("policy selects %v", spec["podSelector"])
	}
	egress := spec["egress"].([]any)
	if len(egress) != 2 {
		t.Fatalf("want 2 egress rules (database, Spaces), have %v", egress)
	}
	db := egress[0].(map[string]any)
	if !reflect.DeepEqual(db["to"], []any{map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/16"}}}) ||
		!reflect.DeepEqual(db["ports"], []any{map[string]any{"protocol": "TCP", "port": float64(25060)}}) {
		t.Errorf("database egress = %v", db)
	}
	spaces := egress[1].(map[string]any)
	if !reflect.DeepEqual(spaces["ports"], []any{map[string]any{"protocol": "TCP", "port": float64(443)}}) {
		t.Errorf("Spaces egress = %v", spaces)
	}

	cj := child("kubernetes:batch/v1:CronJob", "jarvis-cluster-prod-cronjob-db-backup")
	cs := cj.Inputs["spec"].(map[string]any)
	if cs["schedule"] != "0 * * * *" || cs["concurrencyPolicy"] != "Forbid" || cs["startingDeadlineSeconds"] == nil || cs["successfulJobsHistoryLimit"] == nil {
		t.Errorf("CronJob spec = %v", cs)
	}
	job := cs["jobTemplate"].(map[string]any)["spec"].(map[string]any)
	if job["backoffLimit"] == nil {
		t.Error("the job has no backoffLimit")
	}
	pod := job["template"].(map[string]any)["spec"].(map[string]any)
	inits, mains := pod["initContainers"].([]any), pod["containers"].([]any)
	if len(inits) != 1 || len(mains) != 1 {
		t.Fatalf("want one dump and one upload container, have %d and %d", len(inits), len(mains))
	}
	dump, upload := inits[0].(map[string]any), mains[0].(map[string]any)
	if dump["image"] != "postgres:16" {
		t.Errorf("dump image %v, want the database's major", dump["image"])
	}
	if img, _ := upload["image"].(string); !strings.HasPrefix(img, "amazon/aws-cli:") {
		t.Errorf("upload image %v", upload["image"])
	}
	refs := map[string]string{}
	for _, c := range []map[string]any{dump, upload} {
		for _, e := range c["env"].([]any) {
			env := e.(map[string]any)
			if v, ok := env["value"].(string); ok && v == "[secret]" {
				t.Errorf("%s carries a secret value inline", env["name"])
			}
			if vf, ok := env["valueFrom"].(map[string]any); ok {
				ref := vf["secretKeyRef"].(map[string]any)
				if ref["name"] != "db-backup" {
					t.Errorf("%s reads Secret %v", env["name"], ref["name"])
				}
				refs[env["name"].(string)] = ref["key"].(string)
			}
		}
	}
	wantRefs := map[string]string{
		"INFRA_BACKUP_URL_jarvis": "url-jarvis", "INFRA_BACKUP_GLOBALS_URL": "url-jarvis",
		"INFRA_BACKUP_PASSWORD_jarvis": "password-jarvis", "INFRA_BACKUP_GLOBALS_PASSWORD": "password-jarvis",
		"AWS_ACCESS_KEY_ID": "spaces-access-key", "AWS_SECRET_ACCESS_KEY": "spaces-secret-key",
		"INFRA_BACKUP_BUCKET": "bucket",
	}
	if !reflect.DeepEqual(refs, wantRefs) {
		t.Errorf("secret references %v, want %v", refs, wantRefs)
	}

	var doc monitoring.RulesDoc
	if err := yaml.Unmarshal([]byte(p.Artifacts["monitoring/rules.yml"]), &doc); err != nil {
		t.Fatal(err)
	}
	// One hour between runs plus the two hours a dump may take.
	series := `kube_cronjob_status_last_successful_time{namespace="jarvis-system",cronjob="db-backup"}`
	want := map[string][2]string{
		"DatabaseBackupTooOld":  {"time() - max(" + series + ") > 10800", "10m"},
		"DatabaseBackupMissing": {"absent(" + series + ")", "10800s"},
	}
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			if w, ok := want[r.Alert]; ok {
				if r.Expr != w[0] || r.For != w[1] {
					t.Errorf("%s: expr %q for %s, want %q for %s", r.Alert, r.Expr, r.For, w[0], w[1])
				}
				delete(want, r.Alert)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("rules.yml lacks %v", want)
	}
	if out, ok := p.Outputs["kubernetes"].(map[string]any); !ok || out["backupsBucket"] == nil {
		t.Errorf("outputs.kubernetes has no backupsBucket: %v", p.Outputs["kubernetes"])
	}
}
