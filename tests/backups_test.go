package tests

import (
	"reflect"
	"strings"
	"testing"
)

// Per topology and engine, what the plan declares for backups (pulumi
// mocks, offline): the selfhosted VPS stack gets the cron line on the
// configured schedule, backup.sh and restore-drill.sh naming the bucket,
// the lifecycle at the configured retention and the backup alerts; the
// managed VPS stack without database.backups gets no dump job, no drill,
// no alerts (with it: backups_managed_vps_test.go); the kubernetes
// stack (managed) gets no bucket at all.
func TestBackupsPerTopologyAndEngine(t *testing.T) {
	t.Run("vps selfhosted", func(t *testing.T) {
		s := vpsStacks["dev"]
		raw := cloneRaw(t, readRaw(t, s.file))
		db := raw.Values["database"].(map[string]any)
		if db["engine"] != "selfhosted" {
			t.Fatalf("%s is no longer the selfhosted stack", s.file)
		}
		db["backups"] = map[string]any{"schedule": "15 */6 * * *", "retentionDays": float64(30)}
		p := runPlan(t, s.project, s.stack, raw)
		if cron := p.Artifacts["vps/crontab"]; !strings.Contains(cron, "\n15 */6 * * * /opt/app/backup.sh 2>&1 | logger -t infra-backup\n") {
			t.Errorf("crontab lacks the backup on the configured schedule:\n%s", cron)
		}
		b := oneOf(t, p, "digitalocean:index/spacesBucket:SpacesBucket")
		want := []any{map[string]any{"id": "expire-backups", "enabled": true, "expiration": map[string]any{"days": float64(30)}, "abortIncompleteMultipartUploadDays": float64(1)}}
		if !reflect.DeepEqual(b.Inputs["lifecycleRules"], want) || b.Inputs["acl"] != "private" {
			t.Errorf("bucket = %v", b.Inputs)
		}
		for art, line := range map[string]string{
			"vps/backup.sh":        "bucket=${INFRA_BACKUP_BUCKET-'" + b.Inputs["name"].(string) + "'}",
			"vps/restore-drill.sh": "bucket=${INFRA_BACKUP_BUCKET-'" + b.Inputs["name"].(string) + "'}",
		} {
			if !strings.Contains(p.Artifacts[art], "\n"+line+"\n") {
				t.Errorf("%s does not name the bucket %v", art, b.Inputs["name"])
			}
		}
		// 6 h between runs plus the two hours a dump may take.
		if drill := p.Artifacts["vps/restore-drill.sh"]; !strings.Contains(drill, "max_age=${INFRA_DRILL_MAX_AGE:-28800}") {
			t.Error("restore-drill.sh does not allow 8 h for a 6-hourly schedule")
		}
		rules := p.Artifacts["monitoring/rules.yml"]
		for _, want := range []string{"alert: DatabaseBackupTooOld", "time() - max(infra_backup_last_success_timestamp_seconds) > 28800", "alert: DatabaseBackupMissing", "for: 28800s"} {
			if !strings.Contains(rules, want) {
				t.Errorf("rules.yml lacks %q", want)
			}
		}
		if compose := p.Artifacts["vps/compose.yaml"]; !strings.Contains(compose, "--collector.textfile.directory=/host/opt/app/textfile") {
			t.Error("node-exporter does not read the backup metric's directory")
		}
	})
	t.Run("vps managed, no backups", func(t *testing.T) {
		s := vpsStacks["jarvis-agents/prod"]
		raw := cloneRaw(t, readRaw(t, s.file))
		delete(raw.Values["database"].(map[string]any), "backups")
		p := runPlan(t, s.project, s.stack, raw)
		for _, art := range []string{"vps/backup.sh", "vps/restore-drill.sh"} {
			if _, ok := p.Artifacts[art]; ok {
				t.Errorf("a managed stack got %s", art)
			}
		}
		if strings.Contains(p.Artifacts["vps/crontab"], "backup.sh") {
			t.Error("a managed stack got a backup cron line")
		}
		rules := p.Artifacts["monitoring/rules.yml"]
		if !strings.Contains(rules, "alert: Watchdog") {
			t.Fatal("the managed stack renders no rules: the check below would prove nothing")
		}
		if strings.Contains(rules, "DatabaseBackup") {
			t.Error("a managed stack got backup alerts for dumps it never makes")
		}
	})
	t.Run("kubernetes managed, no backups", func(t *testing.T) {
		raw := cloneRaw(t, readRaw(t, "../examples/jarvis-cluster/Pulumi.prod.yaml"))
		delete(raw.Values["database"].(map[string]any), "backups")
		p := runPlan(t, "jarvis-cluster", "prod", raw)
		if len(p.Resources) < 10 {
			t.Fatalf("the kubernetes plan has only %d resources", len(p.Resources))
		}
		if rs := resourcesOf(p, "digitalocean:index/spacesBucket:SpacesBucket"); len(rs) != 0 {
			t.Errorf("a kubernetes stack without database.backups declares %d buckets", len(rs))
		}
		for _, r := range p.Resources {
			if r.Type == "infra:backup:KubernetesBackup" || strings.Contains(r.Name, "db-backup") {
				t.Errorf("a kubernetes stack without database.backups declares %s %s", r.Type, r.Name)
			}
		}
		if strings.Contains(p.Artifacts["monitoring/rules.yml"], "DatabaseBackup") {
			t.Error("a kubernetes stack without dumps got backup alerts")
		}
	})
	t.Run("kubernetes managed, hourly", func(t *testing.T) {
		p := runPlan(t, "jarvis-cluster", "prod", readRaw(t, "../examples/jarvis-cluster/Pulumi.prod.yaml"))
		checkKubernetesBackup(t, p)
	})
}
