package tests

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"infra/components/vps/render"
	"infra/stacks"
)

// hotdashProduction is seed 004's production stack: Supabase (engine
// external) dumped nightly by the Droplet, kept 14 days.
const hotdashProduction = "../examples/hotdash/Pulumi.production.yaml"

// supabaseURL stands in for the decrypted secret supabase-url: a session
// pooler string whose password has the bytes a shell or a JSON writer
// would trip on.
const supabaseURL = `postgresql://postgres.hotdashref:S3'cr"et$HOME;x@aws-0-us-east-1.pooler.supabase.com:5432/postgres?sslmode=require`

// The hotdash production stack (pulumi mocks, offline): the Droplet's
// cron reads the external URL from the 0600 secret file and runs
// backup.sh through the backup-pg one-shot (postgres:17, the stack's
// version); the dump of the one database has no roles file; the bucket
// keeps 14 days; the backup alerts are there at 26 h.
func TestExternalBackupsOnTheVPS(t *testing.T) {
	raw := cloneRaw(t, readRaw(t, hotdashProduction))
	p := runPlan(t, "hotdash", "production", raw)
	line := "\n30 3 * * * { . /opt/app/" + render.BackupURLsPath + " && /opt/app/backup.sh; } 2>&1 | logger -t infra-backup\n"
	if cron := p.Artifacts["vps/crontab"]; !strings.Contains(cron, line) {
		t.Errorf("crontab lacks %q:\n%s", line, cron)
	}
	b := oneOf(t, p, "digitalocean:index/spacesBucket:SpacesBucket")
	want := []any{map[string]any{"id": "expire-backups", "enabled": true, "expiration": map[string]any{"days": float64(14)}, "abortIncompleteMultipartUploadDays": float64(1)}}
	if !reflect.DeepEqual(b.Inputs["lifecycleRules"], want) {
		t.Errorf("bucket lifecycle = %v", b.Inputs["lifecycleRules"])
	}
	backup := p.Artifacts["vps/backup.sh"]
	for _, want := range []string{
		"bucket=${INFRA_BACKUP_BUCKET-'" + b.Inputs["name"].(string) + "'}",
		`read -r -a pg <<<"${INFRA_BACKUP_PG-docker compose run --rm --no-deps -T -e PGPASSWORD ` + render.BackupPGService + `}"`,
		"databases=('postgres' )",
	} {
		if !strings.Contains(backup, "\n"+want+"\n") {
			t.Errorf("backup.sh lacks %q", want)
		}
	}
	if strings.Contains(backup, "pg_dumpall --globals-only") || !strings.Contains(backup, `"rolesSkipped":%s`) {
		t.Error("backup.sh of an external database dumps the roles, or does not say why it does not")
	}
	if strings.Contains(p.Artifacts["vps/restore-drill.sh"], "lists no roles file") {
		t.Error("the drill of an external database asks for a roles file")
	}
	compose := decodeCompose(t, p.Artifacts["vps/compose.yaml"])
	if svc, ok := compose.Services[render.BackupPGService]; !ok {
		t.Errorf("compose.yaml has no %s service", render.BackupPGService)
	} else if svc.Image != render.ImagePostgres("17") {
		t.Errorf("%s runs %s, want the stack's version postgres:17", render.BackupPGService, svc.Image)
	}
	if _, ok := compose.Services[render.PostgresService]; ok {
		t.Errorf("an external stack runs the self-hosted %s service", render.PostgresService)
	}
	rules := p.Artifacts["monitoring/rules.yml"]
	for _, want := range []string{"alert: DatabaseBackupTooOld", "time() - max(infra_backup_last_success_timestamp_seconds) > 93600"} {
		if !strings.Contains(rules, want) {
			t.Errorf("rules.yml lacks %q", want)
		}
	}
}

// Without infra:database.backups the external stack makes no dumps: no
// cron line, no secret file, no backup-pg (staging as committed).
func TestExternalStagingMakesNoDumps(t *testing.T) {
	raw := cloneRaw(t, readRaw(t, "../examples/hotdash/Pulumi.staging.yaml"))
	p := runPlan(t, "hotdash", "staging", raw)
	if cron := p.Artifacts["vps/crontab"]; strings.Contains(cron, "backup.sh") {
		t.Errorf("crontab runs backup.sh:\n%s", cron)
	}
	if _, ok := decodeCompose(t, p.Artifacts["vps/compose.yaml"]).Services[render.BackupPGService]; ok {
		t.Errorf("compose.yaml has a %s service", render.BackupPGService)
	}
	if _, ok := p.Artifacts["vps/backup.sh"]; ok {
		t.Error("an undumped stack renders backup.sh")
	}
}

// The external URL, with its awkward bytes, reaches the secret file whole
// and single-quoted, as a secret output; every other host file holding it
// is a secret under secrets/, no artifact holds it, and every stack output
// that holds it is a secret.
func TestExternalBackupURLIsSecret(t *testing.T) {
	raw := cloneRaw(t, readRaw(t, hotdashProduction))
	raw.Values["secrets"].(map[string]any)["supabase-url"] = supabaseURL
	quoted := "'" + strings.ReplaceAll(supabaseURL, "'", `'\''`) + "'"
	deployed(t, "hotdash", "production", raw, func(ctx context.Context, d *stacks.Deployment) {
		f, ok := d.VPS.Files[render.BackupURLsPath]
		if !ok {
			t.Fatalf("no %s among the host's files", render.BackupURLsPath)
		}
		res, err := internals.UnsafeAwaitOutput(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Secret {
			t.Errorf("%s is not a secret output", render.BackupURLsPath)
		}
		// The URL without its password, the password on its own line,
		// single-quoted; no roles' connection string (no roles file).
		file := res.Value.(string)
		for _, line := range []string{
			"\nexport INFRA_BACKUP_URL_postgres='postgresql://postgres.hotdashref@aws-0-us-east-1.pooler.supabase.com:5432/postgres?sslmode=require'\n",
			"\nexport INFRA_BACKUP_PASSWORD_postgres='S3'\\''cr\"et$HOME;x'\n",
		} {
			if !strings.Contains(file, line) {
				t.Errorf("%s lacks %q", render.BackupURLsPath, strings.SplitN(line, "=", 2)[0])
			}
		}
		if strings.Contains(file, "GLOBALS") {
			t.Errorf("%s has a roles' connection string for an external database", render.BackupURLsPath)
		}
		if m := render.FileMode(render.BackupURLsPath); m != 0o600 {
			t.Errorf("%s has mode %o, want 0600", render.BackupURLsPath, m)
		}
		holders := 0
		for path, o := range d.VPS.Files {
			res, err := internals.UnsafeAwaitOutput(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			if s, _ := res.Value.(string); strings.Contains(s, supabaseURL) || strings.Contains(s, quoted) || strings.Contains(s, "S3'") {
				holders++
				if !res.Secret || !strings.HasPrefix(path, "secrets/") {
					t.Errorf("host file %s holds the URL (secret output: %v)", path, res.Secret)
				}
			}
		}
		if holders == 0 {
			t.Error("no host file holds the URL: the check above checked nothing")
		}
		for path, o := range d.Artifacts {
			if strings.Contains(await(t, ctx, o), "S3'cr") {
				t.Errorf("artifact %s holds the URL's password", path)
			}
		}
		secretOutputs := 0
		for name, v := range d.Outputs {
			res, err := internals.UnsafeAwaitOutput(ctx, pulumi.ToOutput(v))
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(res.Value)
			if err != nil {
				t.Fatalf("output %s: %v", name, err)
			}
			if !strings.Contains(string(b), "S3'cr") {
				continue
			}
			if !res.Secret {
				t.Errorf("output %s holds the URL's password in plain text", name)
			}
			secretOutputs++
		}
		// connectionStrings hands the URL to the services, as a secret.
		if secretOutputs == 0 {
			t.Error("no output holds the URL: the check above checked nothing")
		}
	})
}
