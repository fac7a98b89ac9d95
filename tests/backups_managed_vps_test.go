package tests

import (
	"context"
	neturl "net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"infra/components/database"
	"infra/components/vps/render"
	"infra/stacks"
)

// A managed database on the VPS with database.backups (pulumi mocks,
// offline): the Droplet's cron reads the owners' connection strings from
// the secret file and runs backup.sh, which runs the PostgreSQL clients
// in the backup-pg one-shot; the bucket keeps the configured days; the
// backup alerts are there; and the connection strings are in that secret
// file only, in no artifact.
func TestManagedBackupsOnTheVPS(t *testing.T) {
	s := vpsStacks["jarvis-agents/prod"]
	raw := cloneRaw(t, readRaw(t, s.file))
	db := raw.Values["database"].(map[string]any)
	if db["engine"] != "managed" {
		t.Fatalf("%s is no longer the managed stack", s.file)
	}
	db["backups"] = map[string]any{"schedule": "15 */6 * * *", "retentionDays": float64(21)}
	p := runPlan(t, s.project, s.stack, raw)
	line := "\n15 */6 * * * { . /opt/app/" + render.BackupURLsPath + " && /opt/app/backup.sh; } 2>&1 | logger -t infra-backup\n"
	if cron := p.Artifacts["vps/crontab"]; !strings.Contains(cron, line) {
		t.Errorf("crontab lacks %q:\n%s", line, cron)
	}
	b := oneOf(t, p, "digitalocean:index/spacesBucket:SpacesBucket")
	want := []any{map[string]any{"id": "expire-backups", "enabled": true, "expiration": map[string]any{"days": float64(21)}, "abortIncompleteMultipartUploadDays": float64(1)}}
	if !reflect.DeepEqual(b.Inputs["lifecycleRules"], want) {
		t.Errorf("bucket lifecycle = %v", b.Inputs["lifecycleRules"])
	}
	backup := p.Artifacts["vps/backup.sh"]
	for _, want := range []string{
		"bucket=${INFRA_BACKUP_BUCKET-'" + b.Inputs["name"].(string) + "'}",
		`read -r -a pg <<<"${INFRA_BACKUP_PG-docker compose run --rm --no-deps -T -e PGPASSWORD ` + render.BackupPGService + `}"`,
		"databases=('jarvis_auth' 'jarvis_registry' )",
	} {
		if !strings.Contains(backup, "\n"+want+"\n") {
			t.Errorf("backup.sh lacks %q", want)
		}
	}
	compose := decodeCompose(t, p.Artifacts["vps/compose.yaml"])
	if _, ok := compose.Services[render.BackupPGService]; !ok {
		t.Errorf("compose.yaml has no %s service", render.BackupPGService)
	}
	if _, ok := compose.Services[render.PostgresService]; ok {
		t.Errorf("a managed stack runs the self-hosted %s service", render.PostgresService)
	}
	rules := p.Artifacts["monitoring/rules.yml"]
	for _, want := range []string{"alert: DatabaseBackupTooOld", "time() - max(infra_backup_last_success_timestamp_seconds) > 28800"} {
		if !strings.Contains(rules, want) {
			t.Errorf("rules.yml lacks %q", want)
		}
	}
	if !strings.Contains(p.Artifacts["vps/compose.yaml"], "--collector.textfile.directory=/host/opt/app/textfile") {
		t.Error("node-exporter does not read the backup metric's directory")
	}

	deployed(t, s.project, s.stack, raw, func(ctx context.Context, d *stacks.Deployment) {
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
		file := res.Value.(string)
		for i, x := range d.Database.Model.Databases {
			url := await(t, ctx, d.Database.ConnectionString(x.Name, x.Owner, database.FormatURL, true))
			// The split, done here by net/url: the string for the command
			// line keeps everything but the password.
			u, err := neturl.Parse(url)
			if err != nil {
				t.Fatal(err)
			}
			password, ok := u.User.Password()
			if !ok || password == "" {
				t.Fatalf("the owner's connection string of %s has no password", x.Name)
			}
			u.User = neturl.User(u.User.Username())
			want := []string{
				"export INFRA_BACKUP_URL_" + x.Name + "='" + u.String() + "'\n",
				"export INFRA_BACKUP_PASSWORD_" + x.Name + "='" + password + "'\n",
			}
			if i == 0 {
				want = append(want, "export INFRA_BACKUP_GLOBALS_URL='"+u.String()+"'\n", "export INFRA_BACKUP_GLOBALS_PASSWORD='"+password+"'\n")
			}
			for _, line := range want {
				if !strings.Contains(file, line) {
					t.Errorf("%s lacks %s's line %q", render.BackupURLsPath, x.Name, strings.SplitN(line, "=", 2)[0])
				}
			}
			if strings.Contains(file, url) {
				t.Errorf("%s holds %s's connection string with its password", render.BackupURLsPath, x.Name)
			}
			for art, o := range d.VPS.Artifacts {
				if strings.Contains(await(t, ctx, o), url) {
					t.Errorf("artifact %s holds the connection string of %s", art, x.Name)
				}
			}
			for path, o := range d.VPS.Files {
				if path != render.BackupURLsPath && strings.Contains(await(t, ctx, o), url) && !strings.HasPrefix(path, "secrets/") {
					t.Errorf("host file %s holds the connection string of %s", path, x.Name)
				}
			}
		}
	})
}
