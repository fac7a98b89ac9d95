// Package backup runs the VPS's rendered backup.sh and restore-drill.sh
// for real: PostgreSQL 15 (INFRA_TEST_PG_URL), the Debian AWS CLI and
// gofakes3 as the S3 endpoint. Only the commands that reach the host's
// containers are swapped, through the scripts' own variables.
package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"infra/internal/vpstest"
)

// The seeded rows: two databases, tables in public and in a schema of
// their own, one of them empty.
var seeded = map[string]map[string]int{
	"app":  {"public.orders": 1200, "public.customers": 37, "billing.invoices": 5, "public.empty": 0},
	"jobs": {"public.queue": 250},
}

// backedUp seeds the databases (prefixed to stay apart from other tests
// on the same server), runs backup.sh and returns the rig and names.
func backedUp(t *testing.T, maxAge time.Duration) (*rig, map[string]string) {
	t.Helper()
	return backedUpWith(t, maxAge, false)
}

// backedUpWith is backedUp, through the docker shim when shim is set.
func backedUpWith(t *testing.T, maxAge time.Duration, shim bool) (*rig, map[string]string) {
	t.Helper()
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1_000_000_000)
	names := map[string]string{}
	var dbs []string
	for short := range seeded {
		names[short] = "bk_" + suffix + "_" + short
		dbs = append(dbs, names[short])
	}
	sort.Strings(dbs)
	r := newRig(t, dbs, maxAge)
	if shim {
		r.useDockerShim()
	}
	for short, rows := range seeded {
		seed(t, names[short], rows)
	}
	start := time.Now()
	out, errOut, code := r.run(r.backup)
	if code != 0 {
		t.Fatalf("backup.sh exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Logf("backup.sh took %s", time.Since(start).Round(time.Millisecond))
	return r, names
}

// manifestKey is the one manifest the stand-in holds.
func manifestKey(t *testing.T, r *rig) string {
	t.Helper()
	var found []string
	for _, k := range r.keys() {
		if path.Base(k) == "manifest.json" {
			found = append(found, k)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one manifest.json, the bucket holds %v", r.keys())
	}
	return found[0]
}

// The backup writes what the manifest says: every dump's bytes and sha256
// as the test computes them from the uploaded object, the seeded row
// counts, the time of the run, and the success metric node_exporter reads
// (checked by promtool).
func TestBackupUploadsDumpsAndManifest(t *testing.T) {
	before := time.Now().Add(-time.Second)
	r, names := backedUp(t, 26*time.Hour)
	key := manifestKey(t, r)
	prefix := path.Dir(key) + "/"
	if !strings.HasPrefix(prefix, "postgres/") {
		t.Fatalf("manifest at %s, want postgres/<time>/manifest.json", key)
	}
	var m manifest
	decodeStrict(t, r.get(key), &m)
	if m.Version != 1 {
		t.Errorf("version %d, want 1", m.Version)
	}
	if m.Time.Before(before.Truncate(time.Second)) || m.Time.After(time.Now()) {
		t.Errorf("manifest time %s is not the time of the run", m.Time)
	}
	if want := "postgres/" + m.Time.UTC().Format("2006-01-02T150405Z") + "/"; prefix != want {
		t.Errorf("dumps under %s, want %s (the manifest's time)", prefix, want)
	}
	if len(m.Databases) != len(seeded) {
		t.Fatalf("manifest lists %d databases, want %d", len(m.Databases), len(seeded))
	}
	for _, d := range m.Databases {
		short := d.Name[strings.LastIndex(d.Name, "_")+1:]
		if names[short] != d.Name {
			t.Errorf("manifest names database %q, not one of %v", d.Name, names)
			continue
		}
		body := r.get(prefix + d.File)
		sum := sha256.Sum256(body)
		if d.SHA256 != hex.EncodeToString(sum[:]) || d.Bytes != int64(len(body)) {
			t.Errorf("%s: manifest says %d bytes sha256 %s, the object is %d bytes sha256 %x", d.Name, d.Bytes, d.SHA256, len(body), sum)
		}
		if !strings.HasPrefix(string(body), "PGDMP") {
			t.Errorf("%s is not a pg_dump custom-format archive", d.File)
		}
		want := seeded[short]
		if len(d.Tables) != len(want) {
			t.Errorf("%s: tables %v, want %v", d.Name, d.Tables, want)
		}
		for table, n := range want {
			if got, ok := d.Tables[table]; !ok || got != int64(n) {
				t.Errorf("%s: %s has %d rows in the manifest (listed: %v), seeded %d", d.Name, table, got, ok, n)
			}
		}
	}
	g := r.get(prefix + m.Globals.File)
	if sum := sha256.Sum256(g); m.Globals.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("globals: manifest sha256 %s, object %x", m.Globals.SHA256, sum)
	}

	// The metric, through the real consumer's parser.
	prom := filepath.Join(r.dir, "textfile", "infra_backup.prom")
	metric, err := os.ReadFile(prom)
	if err != nil {
		t.Fatalf("backup.sh left no metric: %v", err)
	}
	want := fmt.Sprintf("infra_backup_last_success_timestamp_seconds %d\n", m.Time.Unix())
	if !strings.Contains(string(metric), want) {
		t.Errorf("metric file:\n%s\nwant the line %q", metric, want)
	}
	check := exec.Command(vpstest.Tool(t, "promtool"), "check", "metrics")
	check.Stdin = strings.NewReader(string(metric))
	if out, err := check.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// A good backup restores: exit 0, the seeded counts, the scratch copy gone.
func TestRestoreDrillGoodBackup(t *testing.T) {
	r, names := backedUp(t, 26*time.Hour)
	start := time.Now()
	stdout, stderr, code := r.run(r.drill)
	t.Logf("restore-drill.sh took %s", time.Since(start).Round(time.Millisecond))
	o := parseOutcome(t, stdout)
	if code != 0 || !o.OK || len(o.Problems) > 0 {
		t.Fatalf("drill exited %d: %+v\nstderr:\n%s", code, o, stderr)
	}
	if o.Backup != path.Dir(manifestKey(t, r))+"/" {
		t.Errorf("drill restored %q, want the newest backup %s", o.Backup, manifestKey(t, r))
	}
	if o.AgeSeconds < 0 || o.AgeSeconds > 60 || o.MaxAgeSeconds != int64((26*time.Hour).Seconds()) {
		t.Errorf("age %d s of max %d s, want a fresh backup and the rendered 26 h", o.AgeSeconds, o.MaxAgeSeconds)
	}
	assertSeededCounts(t, o, names)
	assertScratchGone(t, names)

	// --database restores only the one named.
	stdout, stderr, code = r.run(r.drill, "--database", names["jobs"])
	o = parseOutcome(t, stdout)
	if code != 0 || len(o.Databases) != 1 || o.Databases[0].Name != names["jobs"] {
		t.Errorf("--database %s: exit %d, %+v\n%s", names["jobs"], code, o, stderr)
	}
}

// Flipped bytes in a dump: non-zero, and the problem names the checksum.
func TestRestoreDrillCorruptDump(t *testing.T) {
	r, names := backedUp(t, 26*time.Hour)
	prefix := path.Dir(manifestKey(t, r)) + "/"
	key := prefix + names["app"] + ".dump"
	body := r.get(key)
	for _, i := range []int{len(body) / 2, len(body)/2 + 1} {
		body[i] ^= 0xff
	}
	r.put(key, body)
	stdout, stderr, code := r.run(r.drill)
	o := parseOutcome(t, stdout)
	if code == 0 || o.OK {
		t.Fatalf("the drill passed a corrupted dump: %+v\n%s", o, stderr)
	}
	if !anyContains(o.Problems, names["app"]+": sha256 checksum mismatch") {
		t.Errorf("problems %q do not name the checksum of %s", o.Problems, names["app"])
	}
	// The untouched database still restored.
	if len(o.Databases) != 1 || o.Databases[0].Name != names["jobs"] {
		t.Errorf("restored %+v, want only %s", o.Databases, names["jobs"])
	}
	assertScratchGone(t, names)
}

// A manifest older than the schedule allows: non-zero, naming the age,
// though every dump still restores.
func TestRestoreDrillTooOld(t *testing.T) {
	r, names := backedUp(t, 26*time.Hour)
	key := manifestKey(t, r)
	old := time.Now().UTC().Add(-72 * time.Hour).Format(time.RFC3339)
	body := r.get(key)
	var m manifest
	decodeStrict(t, body, &m)
	aged := strings.Replace(string(body), `"time":"`+m.Time.UTC().Format(time.RFC3339)+`"`, `"time":"`+old+`"`, 1)
	if aged == string(body) {
		t.Fatalf("could not age the manifest:\n%s", body)
	}
	r.put(key, []byte(aged))
	stdout, stderr, code := r.run(r.drill)
	o := parseOutcome(t, stdout)
	if code == 0 || o.OK {
		t.Fatalf("the drill passed a 72 h old backup with 26 h allowed: %+v\n%s", o, stderr)
	}
	if o.AgeSeconds < 72*3600 || o.AgeSeconds > 72*3600+60 {
		t.Errorf("age %d s, want 72 h", o.AgeSeconds)
	}
	if len(o.Problems) != 1 || !strings.Contains(o.Problems[0], "too old: age 259") || !strings.Contains(o.Problems[0], "(72h)") {
		t.Errorf("problems %q, want one naming the age", o.Problems)
	}
	if len(o.Databases) != len(names) {
		t.Errorf("restored %d databases, want all %d", len(o.Databases), len(names))
	}
}

// A bucket with no finished run (dumps but no manifest) fails plainly.
func TestRestoreDrillNoFinishedBackup(t *testing.T) {
	r, _ := backedUp(t, 26*time.Hour)
	key := manifestKey(t, r)
	if _, err := r.s3.DeleteObject(bucket, key); err != nil {
		t.Fatal(err)
	}
	stdout, _, code := r.run(r.drill)
	o := parseOutcome(t, stdout)
	if code == 0 || !anyContains(o.Problems, "no finished backup") {
		t.Errorf("exit %d, problems %q", code, o.Problems)
	}
}

func anyContains(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

func decodeStrict(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("manifest.json does not have the documented shape: %v\n%s", err, b)
	}
}

// assertSeededCounts checks that the drill reports every seeded database
// with the tables and rows the test seeded (its own numbers, not the
// server's).
func assertSeededCounts(t *testing.T, o outcome, names map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, d := range o.Databases {
		got[d.Name] = fmt.Sprintf("%d tables %d rows", d.Tables, d.Rows)
	}
	for short, rows := range seeded {
		total := 0
		for _, n := range rows {
			total += n
		}
		if want := fmt.Sprintf("%d tables %d rows", len(rows), total); got[names[short]] != want {
			t.Errorf("%s: drill reports %q, seeded %s", names[short], got[names[short]], want)
		}
	}
}

// assertScratchGone checks the drill dropped its scratch databases.
func assertScratchGone(t *testing.T, names map[string]string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pgURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, n := range names {
		var exists bool
		if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, "infra_drill_"+n).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists {
			t.Errorf("the scratch database infra_drill_%s is still there", n)
		}
	}
}

// A dump that fails fails the run: non-zero, no manifest uploaded (so the
// drill keeps the previous backup as the newest), no success metric.
func TestBackupFailureLeavesNoManifest(t *testing.T) {
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1_000_000_000)
	present, missing := "bk_"+suffix+"_app", "bk_"+suffix+"_gone"
	r := newRig(t, []string{present, missing}, 26*time.Hour)
	seed(t, present, map[string]int{"public.orders": 3})
	_, stderr, code := r.run(r.backup)
	if code == 0 {
		t.Fatalf("backup.sh exited 0 with database %s missing\n%s", missing, stderr)
	}
	for _, k := range r.keys() {
		if path.Base(k) == "manifest.json" {
			t.Errorf("a failed run uploaded %s", k)
		}
	}
	if _, err := os.Stat(filepath.Join(r.dir, "textfile", "infra_backup.prom")); err == nil {
		t.Error("a failed run wrote the success metric")
	}
}

// pg_dump dying half-way (connection lost, disk full) after the snapshot
// was taken: the run fails, nothing is uploaded as finished.
func TestBackupFailsWhenPgDumpDies(t *testing.T) {
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1_000_000_000)
	db := "bk_" + suffix + "_app"
	r := newRig(t, []string{db}, 26*time.Hour)
	seed(t, db, map[string]int{"public.orders": 3})
	// The scripts' own prefix variable: every command runs as given,
	// except pg_dump, which writes a few bytes and dies.
	wrapper := filepath.Join(r.dir, "dying-pg-dump")
	script := "#!/usr/bin/env bash\nif [ \"$1\" = pg_dump ]; then printf PGDMP; exit 1; fi\nexec \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r.env = append(r.env, "INFRA_BACKUP_PG="+wrapper)
	_, stderr, code := r.run(r.backup)
	if code == 0 {
		t.Fatalf("backup.sh exited 0 though pg_dump failed\n%s", stderr)
	}
	if keys := r.keys(); len(keys) != 0 {
		t.Errorf("a failed dump uploaded %v", keys)
	}
}

// A damaged roles file fails the drill too, naming it.
func TestRestoreDrillCorruptGlobals(t *testing.T) {
	r, _ := backedUp(t, 26*time.Hour)
	key := path.Dir(manifestKey(t, r)) + "/globals.sql.gz"
	body := r.get(key)
	body[len(body)-3] ^= 0xff
	r.put(key, body)
	stdout, stderr, code := r.run(r.drill)
	o := parseOutcome(t, stdout)
	if code == 0 || !anyContains(o.Problems, "globals: sha256 checksum mismatch") {
		t.Errorf("exit %d, problems %q\n%s", code, o.Problems, stderr)
	}
}
