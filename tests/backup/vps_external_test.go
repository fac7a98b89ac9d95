package backup

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"infra/components/vps/render"
)

// rolesSkipped is the stack's reason for an external database
// (stacks/vps.go); any non-empty text renders the same scripts.
const rolesSkipped = "the external database's roles are managed where it lives"

// externalRig seeds one database owned by a non-superuser role (the
// external server: a Supabase project's user is no superuser either),
// renders backup.sh, restore-drill.sh and secrets/backup-urls.sh for a
// VPS whose database is external, listed under label, and returns the
// rig and the crontab's own backup line with its paths moved to the
// test's directory. url is what the external URL secret holds (nil: the
// owner's, as seeded).
func externalRig(t *testing.T, url func(owner string) string) (r *rig, label, db, command string) {
	t.Helper()
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1_000_000_000)
	label, db = "hotdash_"+suffix, "ext_"+suffix+"_app"
	r = newRig(t, []string{db}, 3*time.Hour)
	role := db + "_owner"
	// Registered first, so it runs after seed's cleanup drops the
	// database the role owns.
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), pgURL(t))
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, "infra_drill_"+label))
		_, _ = c.Exec(context.Background(), fmt.Sprintf(`DROP ROLE IF EXISTS %q`, role))
	})
	seed(t, db, seeded["app"])
	u := owned(t, db, role, seeded["app"])
	if url != nil {
		u = url(u)
	}
	site := render.Site{
		Project: "hotdash",
		Managed: &render.SiteDatabase{Version: "15", Databases: []string{label}},
		Backup:  &render.SiteBackup{Region: "nyc3", Schedule: "30 3 * * *", RetentionDays: 14, MaxAge: 3 * time.Hour, RolesSkipped: rolesSkipped},
	}
	p, err := render.BuildProject(site)
	if err != nil {
		t.Fatal(err)
	}
	for file, rend := range map[string]func(render.Site, string) (string, error){"backup.sh": render.BackupScript, "restore-drill.sh": render.RestoreDrillScript} {
		s, err := rend(site, bucket)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.dir, file), []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret, err := render.BackupURLs([]string{label}, map[string]string{label: u}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(r.dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, render.BackupURLsPath), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(render.Crontab(site, p), "\n") {
		if strings.Contains(l, "backup.sh") {
			line = l
		}
	}
	fields := strings.Fields(line)
	if len(fields) < 6 || strings.Join(fields[:5], " ") != site.Backup.Schedule {
		t.Fatalf("crontab backup line %q", line)
	}
	command = strings.Join(fields[5:], " ")
	command = strings.ReplaceAll(command, render.AppDir+"/", r.dir+"/")
	command = strings.Replace(command, "| logger -t infra-backup", "| cat", 1)
	return r, label, db, command
}

// runCrontabLine runs the crontab's line through the strict docker shim
// with no PG* variable at all: the only way in is the URL of the secret
// file. It returns the output and the exit status.
func runCrontabLine(t *testing.T, r *rig, command string) (string, int) {
	t.Helper()
	r.useDockerShim()
	var env []string
	for _, kv := range r.env {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command("bash", "-o", "pipefail", "-c", command)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run the crontab's line: %v", err)
		}
		return string(out), ee.ExitCode()
	}
	return string(out), 0
}

// An external database dumped from the VPS, as the Droplet runs it: the
// crontab's own line reads secrets/backup-urls.sh and runs backup.sh,
// whose clients go through `docker compose run ... backup-pg` (the
// strict shim) as the URL's user, a non-superuser. The manifest lists the
// database under the stack's name for it with the seeded row counts, has
// no roles file and says why; nothing ran pg_dumpall. The VPS's restore
// drill, rendered for the same site, restores the upload.
func TestVPSExternalProductionCommandLines(t *testing.T) {
	r, label, db, command := externalRig(t, nil)
	drillEnv := r.env
	start := time.Now()
	out, code := runCrontabLine(t, r, command)
	if code != 0 {
		t.Fatalf("the crontab's line exited %d:\n%s", code, out)
	}
	t.Logf("backup through the crontab line took %s", time.Since(start).Round(time.Millisecond))

	key := manifestKey(t, r)
	var m manifest
	decodeStrict(t, r.get(key), &m)
	if len(m.Databases) != 1 || m.Databases[0].Name != label || m.Databases[0].File != label+".dump" {
		t.Fatalf("manifest lists %+v, want the one database %s", m.Databases, label)
	}
	for table, n := range seeded["app"] {
		if got, ok := m.Databases[0].Tables[table]; !ok || got != int64(n) {
			t.Errorf("%s has %d rows in the manifest (listed: %v), seeded %d", table, got, ok, n)
		}
	}
	if m.Globals.File != "" || m.RolesSkipped != rolesSkipped {
		t.Errorf("manifest globals %+v, rolesSkipped %q: want no roles file and the reason %q", m.Globals, m.RolesSkipped, rolesSkipped)
	}
	prefix := path.Dir(key) + "/"
	want := map[string]bool{prefix + label + ".dump": true, prefix + "manifest.json": true}
	for _, k := range r.keys() {
		if !want[k] {
			t.Errorf("unexpected object %s (want only the dump and the manifest)", k)
		}
		delete(want, k)
	}
	for k := range want {
		t.Errorf("missing object %s", k)
	}
	log, err := os.ReadFile(filepath.Join(r.dir, "docker.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "compose run --rm --no-deps -T -e PGPASSWORD backup-pg pg_dump --format=custom") {
		t.Errorf("no pg_dump through backup-pg:\n%s", log)
	}
	// No command line, of docker or of the clients, held the password.
	assertNoPassword(t, []string{ownerPassword(db + "_owner")}, filepath.Join(r.dir, "docker.log"), r.argvLog)
	for _, never := range []string{"pg_dumpall", "compose exec"} {
		if strings.Contains(string(log), never) {
			t.Errorf("an external dump ran %q:\n%s", never, log)
		}
	}
	if _, err := os.Stat(filepath.Join(r.dir, "textfile", "infra_backup.prom")); err != nil {
		t.Errorf("no backup metric for node_exporter: %v", err)
	}

	r.env = drillEnv
	stdout, stderr, code := r.run(r.drill)
	o := parseOutcome(t, stdout)
	if code != 0 || !o.OK || len(o.Databases) != 1 || o.Databases[0].Name != label {
		t.Fatalf("the restore drill of the external dump exited %d: %+v\n%s", code, o, stderr)
	}
	var rows int64
	for _, n := range seeded["app"] {
		rows += int64(n)
	}
	if o.Databases[0].Rows != rows || o.Databases[0].Tables != len(seeded["app"]) {
		t.Errorf("the drill restored %d tables, %d rows; seeded %d, %d", o.Databases[0].Tables, o.Databases[0].Rows, len(seeded["app"]), rows)
	}
	assertScratchGone(t, map[string]string{"db": db, "label": label})

	// The drill of a stack whose dumps have a roles file refuses this
	// manifest: accepting it is the external rendering's doing.
	withRoles := render.Site{
		Project: "hotdash",
		Managed: &render.SiteDatabase{Version: "15", Databases: []string{label}},
		Backup:  &render.SiteBackup{Region: "nyc3", Schedule: "30 3 * * *", RetentionDays: 14, MaxAge: 3 * time.Hour},
	}
	s, err := render.RestoreDrillScript(withRoles, bucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.drill, []byte(s), 0o755); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = r.run(r.drill)
	o = parseOutcome(t, stdout)
	if code == 0 || o.OK || !anyContains(o.Problems, "lists no roles file") {
		t.Fatalf("the drill of a stack with roles accepted a manifest without them (exit %d): %+v\n%s", code, o, stderr)
	}
	assertScratchGone(t, map[string]string{"db": db, "label": label})
}

// A URL that does not lead in fails the run visibly: a non-zero exit
// from the crontab's line, the reason in its output (the journal), and
// nothing in the bucket, so no manifest for the drill to find.
func TestVPSExternalWrongURL(t *testing.T) {
	for name, c := range map[string]struct {
		url  func(string) string
		want string
	}{
		"wrong password": {func(u string) string { return strings.Replace(u, ":pw-", ":not-pw-", 1) }, "password authentication failed"},
		"no such database": {func(u string) string {
			i := strings.LastIndex(u, "/")
			return u[:i] + "/nope" + u[strings.Index(u, "?"):]
		}, `database "nope" does not exist`},
	} {
		t.Run(name, func(t *testing.T) {
			r, _, _, command := externalRig(t, c.url)
			out, code := runCrontabLine(t, r, command)
			if code == 0 {
				t.Fatalf("the crontab's line exited 0 with a bad URL:\n%s", out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("the output does not say %q:\n%s", c.want, out)
			}
			// The journal gets the reason, never the credentials.
			if strings.Contains(out, "pw-") {
				t.Errorf("the output shows the URL's password:\n%s", out)
			}
			if keys := r.keys(); len(keys) != 0 {
				t.Errorf("a failed run uploaded %v", keys)
			}
			if _, err := os.Stat(filepath.Join(r.dir, "textfile", "infra_backup.prom")); err == nil {
				t.Error("a failed run wrote the success metric")
			}
		})
	}
}
