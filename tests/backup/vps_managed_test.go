package backup

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"infra/components/vps/render"
)

// A managed cluster dumped from the VPS, as the Droplet runs it: the
// crontab's own line (its paths moved to the test's directory) reads the
// rendered secrets/backup-urls.sh and runs the rendered backup.sh, whose
// clients go through `docker compose run ... backup-pg` (the strict
// shim) with no PG* variables at all, so every connection is an owner's
// string: each database (not a superuser) dumped as its owner, the roles
// read as the first one. The upload lands in the S3 stand-in manifest
// last, the metric is written, and the VPS's restore drill, rendered for
// the managed site, restores it into its local scratch server.
func TestVPSManagedProductionCommandLines(t *testing.T) {
	r, names, urls := ownedDatabases(t)
	var dbs []string
	for db := range urls {
		dbs = append(dbs, db)
	}
	sort.Strings(dbs)
	site := render.Site{
		Project: "shop",
		Managed: &render.SiteDatabase{Version: "15", Databases: dbs},
		Backup:  &render.SiteBackup{Region: "nyc3", Schedule: "30 3 * * *", RetentionDays: 14, MaxAge: 3 * time.Hour},
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
	secret, err := render.BackupURLs(dbs, urls, true)
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
	command := strings.Join(fields[5:], " ")
	command = strings.ReplaceAll(command, render.AppDir+"/", r.dir+"/")
	command = strings.Replace(command, "| logger -t infra-backup", "| cat", 1)

	r.useDockerShim()
	drillEnv := r.env
	var env []string
	for _, kv := range r.env {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	var passwords []string
	for _, db := range names {
		passwords = append(passwords, ownerPassword(db+"_owner"))
	}
	cmd := exec.Command("bash", "-c", command)
	cmd.Env = env
	start := time.Now()
	stop := watchCmdlines(t, passwords)
	out, err := cmd.CombinedOutput()
	reads := stop()
	if err != nil {
		t.Fatalf("the crontab's line: %v\n%s", err, out)
	}
	t.Logf("backup through the crontab line took %s; %d process command lines read meanwhile", time.Since(start).Round(time.Millisecond), reads)

	key := manifestKey(t, r)
	var m manifest
	decodeStrict(t, r.get(key), &m)
	if len(m.Databases) != len(seeded) {
		t.Fatalf("manifest lists %d databases, want %d", len(m.Databases), len(seeded))
	}
	for _, d := range m.Databases {
		short := d.Name[strings.LastIndex(d.Name, "_")+1:]
		for table, n := range seeded[short] {
			if got, ok := d.Tables[table]; !ok || got != int64(n) {
				t.Errorf("%s: %s has %d rows in the manifest (listed: %v), seeded %d", d.Name, table, got, ok, n)
			}
		}
	}
	globals := gunzip(t, r.get(path.Dir(key)+"/"+m.Globals.File))
	for _, db := range names {
		if !strings.Contains(globals, "CREATE ROLE "+db+"_owner;") {
			t.Errorf("globals.sql.gz lacks the owner role of %s", db)
		}
	}
	log, err := os.ReadFile(filepath.Join(r.dir, "docker.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"compose run --rm --no-deps -T -e PGPASSWORD backup-pg pg_dump --format=custom", "compose run --rm --no-deps -T -e PGPASSWORD backup-pg pg_dumpall --globals-only --no-role-passwords"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("no %q through the shim:\n%s", want, log)
		}
	}
	if strings.Contains(string(log), "compose exec") {
		t.Errorf("a managed dump reached for the self-hosted postgres service:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "textfile", "infra_backup.prom")); err != nil {
		t.Errorf("no backup metric for node_exporter: %v", err)
	}
	// No command line, of docker or of the clients, held a password.
	assertNoPassword(t, passwords, filepath.Join(r.dir, "docker.log"), r.argvLog)
	uploaded := len(r.keys())

	// The password reaches the clients only through -e PGPASSWORD: the
	// same run without it fails at the server's password check, and
	// uploads nothing more.
	script, err := os.ReadFile(filepath.Join(r.dir, "backup.sh"))
	if err != nil {
		t.Fatal(err)
	}
	without := strings.ReplaceAll(string(script), " -e PGPASSWORD ", " ")
	if without == string(script) {
		t.Fatal("backup.sh has no -e PGPASSWORD to take away")
	}
	if err := os.WriteFile(filepath.Join(r.dir, "backup.sh"), []byte(without), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("bash", "-o", "pipefail", "-c", command)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("the crontab's line without -e PGPASSWORD succeeded:\n%s", out)
	} else if !strings.Contains(string(out), "no password supplied") && !strings.Contains(string(out), "password authentication failed") {
		t.Errorf("the crontab's line without -e PGPASSWORD failed, but not at the password check:\n%s", out)
	}
	if n := len(r.keys()); n != uploaded {
		t.Errorf("the failed run uploaded %d objects", n-uploaded)
	}

	r.env = drillEnv
	stdout, stderr, code := r.run(r.drill)
	o := parseOutcome(t, stdout)
	if code != 0 || !o.OK || len(o.Databases) != len(names) {
		t.Fatalf("the restore drill of the managed dump exited %d: %+v\n%s", code, o, stderr)
	}
	assertScratchGone(t, names)
}
