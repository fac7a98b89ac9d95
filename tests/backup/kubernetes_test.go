package backup

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/backup"
	"infra/internal/connstr"
)

// cronJob runs backup.sh the way the Kubernetes CronJob does: the script
// as components/backup renders it into the ConfigMap, the dump and upload
// containers' commands and environments as the CronJob declares them, each
// secretKeyRef resolved from the Secret's keys given here. Mount paths
// become directories of the test's. Nothing else reaches the script: no
// PG* variables, so each database is reached only through its owner's
// connection string. The one swap is the S3 endpoint (gofakes3).
type cronJob struct {
	t       *testing.T
	args    *backup.KubernetesBackupArgs
	secrets map[string]string
	script  string // the ConfigMap's backup.sh, on disk
	dumps   string // the emptyDir
	tmp     string
}

func newCronJob(t *testing.T, args *backup.KubernetesBackupArgs, secrets map[string]string) *cronJob {
	t.Helper()
	script, err := backup.Script(args)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := &cronJob{t: t, args: args, secrets: secrets, script: filepath.Join(dir, "backup.sh"), dumps: filepath.Join(dir, "dumps"), tmp: filepath.Join(dir, "tmp")}
	for _, d := range []string{c.dumps, c.tmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(c.script, []byte(script), 0o555); err != nil {
		t.Fatal(err)
	}
	return c
}

// path maps a path inside the pod to the test's directories.
func (c *cronJob) path(p string) string {
	switch {
	case strings.HasPrefix(p, backup.ScriptDir+"/"):
		return filepath.Join(filepath.Dir(c.script), strings.TrimPrefix(p, backup.ScriptDir+"/"))
	case p == backup.DumpDir:
		return c.dumps
	case p == "/tmp":
		return c.tmp
	}
	return p
}

// env turns a container's env list into the process environment.
func (c *cronJob) env(list []any, extra ...string) []string {
	c.t.Helper()
	out := []string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + c.tmp}
	for _, e := range list {
		m := e.(map[string]any)
		name := m["name"].(string)
		switch {
		case m["valueFrom"] != nil:
			ref := m["valueFrom"].(map[string]any)["secretKeyRef"].(map[string]any)
			if ref["name"] != backup.Name {
				c.t.Fatalf("%s reads Secret %v, not %s", name, ref["name"], backup.Name)
			}
			v, ok := c.secrets[ref["key"].(string)]
			if !ok {
				c.t.Fatalf("%s reads key %v, which the Secret does not have", name, ref["key"])
			}
			out = append(out, name+"="+v)
		default:
			out = append(out, name+"="+c.path(m["value"].(string)))
		}
	}
	return append(out, extra...)
}

// run runs one container's command; it returns stdout, stderr, exit code.
func (c *cronJob) run(command []any, env []string) (string, string, int) {
	c.t.Helper()
	var argv []string
	for _, a := range command {
		argv = append(argv, c.path(a.(string)))
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = c.tmp
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			c.t.Fatalf("run %v: %v", argv, err)
		}
		code = ee.ExitCode()
	}
	return stdout.String(), stderr.String(), code
}

// owned creates a login role (not a superuser) and hands it the database,
// its schemas and its tables, as a managed cluster's database owner holds
// them; it returns the role's connection string.
func owned(t *testing.T, database, role string, rows map[string]int) string {
	t.Helper()
	ctx := context.Background()
	// Every byte a URI must percent-encode or a shell must quote: the
	// password reaches libpq through the split (internal/connstr), the
	// secret file or the Secret, and PGPASSWORD, and scram-sha-256 (the
	// test server's host rule, scripts/test-postgres.sh) checks it.
	password := ownerPassword(role)
	admin, err := pgx.Connect(ctx, pgURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for _, stmt := range []string{
		fmt.Sprintf(`CREATE ROLE %q LOGIN PASSWORD '%s'`, role, strings.ReplaceAll(password, "'", "''")),
		fmt.Sprintf(`ALTER DATABASE %q OWNER TO %q`, database, role),
	} {
		if _, err := admin.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	u, err := url.Parse(pgURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + database
	db, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	for table := range rows {
		if schema, _, ok := strings.Cut(table, "."); ok && schema != "public" {
			if _, err := db.Exec(ctx, fmt.Sprintf(`ALTER SCHEMA %s OWNER TO %q`, schema, role)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Exec(ctx, fmt.Sprintf(`ALTER TABLE %s OWNER TO %q`, table, role)); err != nil {
			t.Fatal(err)
		}
	}
	u.User = url.UserPassword(role, password)
	u.RawQuery = "sslmode=disable"
	return u.String()
}

// ownedDatabases seeds the databases, each owned by a role of its own, and
// returns the rig (the S3 stand-in and the VPS's restore drill), the
// names, and the owners' connection strings by database.
func ownedDatabases(t *testing.T) (*rig, map[string]string, map[string]string) {
	t.Helper()
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1_000_000_000)
	names, urls := map[string]string{}, map[string]string{}
	var dbs []string
	for short := range seeded {
		names[short] = "kb_" + suffix + "_" + short
		dbs = append(dbs, names[short])
	}
	sort.Strings(dbs)
	r := newRig(t, dbs, 3*time.Hour)
	var roles []string
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), pgURL(t))
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		for _, role := range roles {
			_, _ = c.Exec(context.Background(), fmt.Sprintf(`DROP ROLE IF EXISTS %q`, role))
		}
	})
	for short, rows := range seeded {
		seed(t, names[short], rows)
		role := names[short] + "_owner"
		roles = append(roles, role)
		urls[names[short]] = owned(t, names[short], role, rows)
	}
	return r, names, urls
}

func kubernetesArgs(urls map[string]string) *backup.KubernetesBackupArgs {
	args := &backup.KubernetesBackupArgs{
		Project: "shop", Namespace: "shop", Version: "15",
		Schedule: "0 * * * *", RetentionDays: 7, MaxAge: 3 * time.Hour, Region: "nyc3",
	}
	var dbs []string
	for db := range urls {
		dbs = append(dbs, db)
	}
	sort.Strings(dbs)
	for _, db := range dbs {
		args.Databases = append(args.Databases, backup.Database{Name: db, URL: pulumi.String(urls[db])})
	}
	return args
}

// ownerPassword is the password owned gives role: it starts with "pw-"
// (TestVPSExternalWrongURL edits it there) and holds ' " $ ` \ % @ : /
// and spaces.
func ownerPassword(role string) string { return "pw-'\" $`\\ %41 @:/ x-" + role }

// secretsFor is the Secret's stringData as the component fills it: each
// connection string split from its password (internal/connstr; the real
// server checks the halves).
func secretsFor(t *testing.T, urls map[string]string) map[string]string {
	t.Helper()
	s := map[string]string{"bucket": bucket, "spaces-access-key": "test", "spaces-secret-key": "test"}
	for db, u := range urls {
		uri, password, err := connstr.SplitPassword(u)
		if err != nil {
			t.Fatal(err)
		}
		s[backup.URLKey(db)], s[backup.PasswordKey(db)] = uri, password
	}
	return s
}

// awsTest keeps the CLI off the machine's own AWS files, and points it at
// the stand-in: the one swap.
func awsTest(r *rig) []string {
	return []string{"INFRA_BACKUP_ENDPOINT=" + r.endpoint, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER="}
}

// The CronJob's two containers, run as declared against PostgreSQL 15 with
// each database owned by a non-superuser role: the dump container writes
// the dumps, the roles and the manifest as each owner; the upload
// container puts them in the bucket, manifest last; the manifest matches
// the objects and the seeded rows; and the VPS's restore drill restores
// the upload.
func TestKubernetesCronJobDumpsAsOwners(t *testing.T) {
	r, names, urls := ownedDatabases(t)
	args := kubernetesArgs(urls)
	job := newCronJob(t, args, secretsFor(t, urls))

	var passwords []string
	for _, db := range names {
		passwords = append(passwords, ownerPassword(db+"_owner"))
	}
	recorder, argvLog := argvRecorder(t)
	start := time.Now()
	stop := watchCmdlines(t, passwords)
	out, errOut, code := job.run(backup.DumpCommand, job.env(backup.DumpEnv(args), "PATH="+recorder+":"+os.Getenv("PATH")))
	reads := stop()
	if code != 0 {
		t.Fatalf("dump container exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Logf("dump container took %s; %d process command lines read meanwhile", time.Since(start).Round(time.Millisecond), reads)
	// No client's command line held a password: they came as PGPASSWORD.
	assertNoPassword(t, passwords, argvLog)
	if keys := r.keys(); len(keys) != 0 {
		t.Fatalf("the dump container uploaded %v: uploading is the upload container's", keys)
	}
	out, errOut, code = job.run(backup.UploadCommand, job.env(backup.UploadEnv(), awsTest(r)...))
	if code != 0 {
		t.Fatalf("upload container exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	key := manifestKey(t, r)
	var m manifest
	decodeStrict(t, r.get(key), &m)
	prefix := path.Dir(key) + "/"
	if len(m.Databases) != len(seeded) {
		t.Fatalf("manifest lists %d databases, want %d", len(m.Databases), len(seeded))
	}
	for _, d := range m.Databases {
		short := d.Name[strings.LastIndex(d.Name, "_")+1:]
		if names[short] != d.Name {
			t.Errorf("manifest names %q, not one of %v", d.Name, names)
			continue
		}
		if body := r.get(prefix + d.File); int64(len(body)) != d.Bytes || !strings.HasPrefix(string(body), "PGDMP") {
			t.Errorf("%s: %d bytes uploaded, manifest says %d", d.File, len(body), d.Bytes)
		}
		for table, n := range seeded[short] {
			if got, ok := d.Tables[table]; !ok || got != int64(n) {
				t.Errorf("%s: %s has %d rows in the manifest (listed: %v), seeded %d", d.Name, table, got, ok, n)
			}
		}
	}
	// The roles file was read as a database owner: it lists the owners.
	globals := gunzip(t, r.get(prefix+m.Globals.File))
	for _, db := range names {
		if !strings.Contains(globals, "CREATE ROLE "+db+"_owner;") {
			t.Errorf("globals.sql.gz lacks the owner role of %s", db)
		}
	}

	stdout, stderr, code := r.run(r.drill)
	o := parseOutcome(t, stdout)
	if code != 0 || !o.OK {
		t.Fatalf("the restore drill of the CronJob's upload exited %d: %+v\n%s", code, o, stderr)
	}
	assertScratchGone(t, names)
}

// The dump container without the passwords' variables fails at the
// server's password check (scram-sha-256 for TCP, scripts/test-postgres.sh):
// the connection strings alone do not get in, so the passwords the
// CronJob hands over are what lets the dump in.
func TestKubernetesCronJobNeedsThePasswords(t *testing.T) {
	_, _, urls := ownedDatabases(t)
	args := kubernetesArgs(urls)
	job := newCronJob(t, args, secretsFor(t, urls))
	var env []any
	for _, e := range backup.DumpEnv(args) {
		name := e.(map[string]any)["name"].(string)
		if strings.HasPrefix(name, "INFRA_BACKUP_PASSWORD_") || name == "INFRA_BACKUP_GLOBALS_PASSWORD" {
			continue
		}
		env = append(env, e)
	}
	if len(env) == len(backup.DumpEnv(args)) {
		t.Fatal("the dump container has no password variable to take away")
	}
	_, errOut, code := job.run(backup.DumpCommand, job.env(env))
	if code == 0 {
		t.Fatal("the dump container succeeded without the passwords")
	}
	if !strings.Contains(errOut, "no password supplied") && !strings.Contains(errOut, "password authentication failed") {
		t.Errorf("the dump container failed, but not at the password check:\n%s", errOut)
	}
}

// A database reached with another database's owner: the dump fails
// (pg_dump cannot read the tables), the container exits non-zero and
// leaves no manifest, so nothing would be uploaded as finished. This is
// also what proves each database is dumped through its own string.
func TestKubernetesCronJobWrongOwnerFails(t *testing.T) {
	_, names, urls := ownedDatabases(t)
	args := kubernetesArgs(urls)
	secrets := secretsFor(t, urls)
	appURL, err := url.Parse(urls[names["app"]])
	if err != nil {
		t.Fatal(err)
	}
	appURL.Path = "/" + names["jobs"]
	uri, password, err := connstr.SplitPassword(appURL.String())
	if err != nil {
		t.Fatal(err)
	}
	secrets[backup.URLKey(names["jobs"])], secrets[backup.PasswordKey(names["jobs"])] = uri, password
	job := newCronJob(t, args, secrets)
	_, errOut, code := job.run(backup.DumpCommand, job.env(backup.DumpEnv(args)))
	if code == 0 {
		t.Fatal("the dump container succeeded with the wrong owner's connection string")
	}
	if !strings.Contains(errOut, "permission denied") {
		t.Errorf("stderr does not say why:\n%s", errOut)
	}
	if _, err := os.Stat(filepath.Join(job.dumps, "manifest.json")); err == nil {
		t.Error("a failed dump left a manifest")
	}
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
