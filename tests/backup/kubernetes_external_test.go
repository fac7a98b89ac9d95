package backup

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"infra/components/backup"
)

// The CronJob of a Kubernetes stack whose database is external, run as
// declared against PostgreSQL 15: the one database is owned by a
// non-superuser role (an external provider's user is no superuser) and
// listed under the stack's name for it, not the server's. The dump
// container reaches it only through the URL and its password from the
// Secret (no PG* variable), runs no pg_dumpall and puts no password on a
// command line; the upload holds the dump and a manifest without a roles
// file that says why; the drill script of the same ConfigMap restores it.
func TestKubernetesCronJobDumpsExternal(t *testing.T) {
	var ownerURL string
	r, label, db, _ := externalRig(t, func(u string) string { ownerURL = u; return u })
	args := kubernetesArgs(map[string]string{label: ownerURL})
	args.RolesSkipped = rolesSkipped
	job := newCronJob(t, args, secretsFor(t, map[string]string{label: ownerURL}))
	for _, e := range backup.DumpEnv(args) {
		if name := e.(map[string]any)["name"].(string); strings.Contains(name, "GLOBALS") {
			t.Errorf("the dump container gets %s: an external stack dumps no roles", name)
		}
	}

	recorder, argvLog := argvRecorder(t)
	password := ownerPassword(db + "_owner")
	stop := watchCmdlines(t, []string{password})
	start := time.Now()
	out, errOut, code := job.run(backup.DumpCommand, job.env(backup.DumpEnv(args), "PATH="+recorder+":"+os.Getenv("PATH")))
	reads := stop()
	if code != 0 {
		t.Fatalf("dump container exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Logf("dump container took %s; %d process command lines read meanwhile", time.Since(start).Round(time.Millisecond), reads)
	assertNoPassword(t, []string{password}, argvLog)
	if log, err := os.ReadFile(argvLog); err != nil {
		t.Fatal(err)
	} else if strings.Contains(string(log), "pg_dumpall") {
		t.Errorf("an external dump ran pg_dumpall:\n%s", log)
	}
	out, errOut, code = job.run(backup.UploadCommand, job.env(backup.UploadEnv(), awsTest(r)...))
	if code != 0 {
		t.Fatalf("upload container exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

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

	// The drill Job runs the ConfigMap's restore-drill.sh; the bucket
	// comes from the Secret, here the stand-in's.
	drill, err := backup.DrillScript(args)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "restore-drill.sh"), []byte(drill), 0o755); err != nil {
		t.Fatal(err)
	}
	r.env = append(r.env, "INFRA_BACKUP_BUCKET="+bucket)
	stdout, stderr, code := r.run(filepath.Join(r.dir, "restore-drill.sh"))
	o := parseOutcome(t, stdout)
	if code != 0 || !o.OK || len(o.Databases) != 1 || o.Databases[0].Name != label {
		t.Fatalf("the restore drill of the CronJob's external dump exited %d: %+v\n%s", code, o, stderr)
	}
	var rows int64
	for _, n := range seeded["app"] {
		rows += int64(n)
	}
	if o.Databases[0].Rows != rows || o.Databases[0].Tables != len(seeded["app"]) {
		t.Errorf("the drill restored %d tables, %d rows; seeded %d, %d", o.Databases[0].Tables, o.Databases[0].Rows, len(seeded["app"]), rows)
	}
	assertScratchGone(t, map[string]string{"db": db, "label": label})
}
