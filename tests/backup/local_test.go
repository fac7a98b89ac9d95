package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// useLocalScratch switches the drill to INFRA_DRILL_SCRATCH=local: a
// throwaway server that the real PostgreSQL 15 initdb and pg_ctl start in
// a temporary directory. The caller's PG* variables point at a server that
// does not exist, so a drill that reached anything but its own server fails.
// It returns the TMPDIR the drill runs with.
func useLocalScratch(t *testing.T, r *rig) string {
	t.Helper()
	matches, _ := filepath.Glob("/usr/lib/postgresql/15/bin")
	if len(matches) != 1 {
		t.Fatal("PostgreSQL 15's binaries (/usr/lib/postgresql/15/bin) are missing")
	}
	prefix := "env PATH=" + matches[0] + ":/usr/bin:/bin"
	// Not t.TempDir: its parent is private to this (root) process.
	tmp, err := os.MkdirTemp("", "drill-local-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if os.Geteuid() == 0 {
		// initdb refuses root: the server is the postgres user's, as in
		// the postgres image. Its directory is made in TMPDIR by that user.
		if _, err := exec.LookPath("runuser"); err != nil {
			t.Fatal("runuser is missing")
		}
		prefix = "runuser -u postgres -- " + prefix
		if err := os.Chmod(tmp, 0o1777); err != nil {
			t.Fatal(err)
		}
	}
	r.env = append(r.env,
		"INFRA_DRILL_SCRATCH=local",
		"INFRA_DRILL_PG="+prefix,
		"TMPDIR="+tmp,
		// The tools change to the working directory: the postgres user's too.
		"INFRA_APP_DIR="+tmp,
		"PGHOST=/nonexistent", "PGPORT=1", "PGUSER=nobody", "PGDATABASE=nothing",
	)
	return tmp
}

// assertLocalGone checks that the throwaway server's directory (and with
// it the server, whose socket lived there) was removed.
func assertLocalGone(t *testing.T, tmp string) {
	t.Helper()
	left, err := filepath.Glob(filepath.Join(tmp, "infra-drill*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("the drill left %q behind", left)
	}
	// No postgres still runs from it.
	out, _ := exec.Command("pgrep", "-f", "-a", "postgres.*"+tmp).CombinedOutput()
	if strings.TrimSpace(string(out)) != "" {
		t.Errorf("a scratch server still runs:\n%s", out)
	}
}

// A good backup restores into the local scratch server: exit 0 and the
// seeded counts, with nothing left behind.
func TestRestoreDrillLocalGoodBackup(t *testing.T) {
	r, names := backedUp(t, 26*time.Hour)
	tmp := useLocalScratch(t, r)
	stdout, stderr, code := r.run(r.drill)
	o := parseOutcome(t, stdout)
	if code != 0 || !o.OK || len(o.Problems) > 0 {
		t.Fatalf("drill exited %d: %+v\nstderr:\n%s", code, o, stderr)
	}
	assertSeededCounts(t, o, names)
	assertLocalGone(t, tmp)
	assertScratchGone(t, names)
}

// Flipped bytes in a dump fail the local drill on the checksum; a dump
// whose checksum was made to match but is no dump fails in pg_restore on
// the local server.
func TestRestoreDrillLocalCorruptDump(t *testing.T) {
	r, names := backedUp(t, 26*time.Hour)
	tmp := useLocalScratch(t, r)
	key := manifestKey(t, r)
	prefix := path.Dir(key) + "/"
	dump := prefix + names["app"] + ".dump"
	good := r.get(dump)
	flipped := append([]byte(nil), good...)
	for _, i := range []int{len(flipped) / 2, len(flipped)/2 + 1} {
		flipped[i] ^= 0xff
	}
	r.put(dump, flipped)
	stdout, stderr, code := r.run(r.drill)
	o := parseOutcome(t, stdout)
	if code == 0 || o.OK || !anyContains(o.Problems, names["app"]+": sha256 checksum mismatch") {
		t.Errorf("flipped bytes: exit %d, %+v\n%s", code, o, stderr)
	}
	assertLocalGone(t, tmp)

	// The manifest vouches for the garbage: only pg_restore can tell.
	garbage := []byte("PGDMP but not really a dump\n")
	r.put(dump, garbage)
	body := string(r.get(key))
	var m manifest
	decodeStrict(t, []byte(body), &m)
	sum := sha256.Sum256(garbage)
	for _, d := range m.Databases {
		if d.Name == names["app"] {
			body = strings.Replace(body, d.SHA256, hex.EncodeToString(sum[:]), 1)
		}
	}
	r.put(key, []byte(body))
	stdout, stderr, code = r.run(r.drill)
	o = parseOutcome(t, stdout)
	if code == 0 || o.OK || !anyContains(o.Problems, names["app"]+": pg_restore failed") {
		t.Errorf("garbage dump: exit %d, %+v\n%s", code, o, stderr)
	}
	var restored []string
	for _, d := range o.Databases {
		restored = append(restored, d.Name)
	}
	sort.Strings(restored)
	if len(restored) != 1 || restored[0] != names["jobs"] {
		t.Errorf("restored %q, want only %s", restored, names["jobs"])
	}
	assertLocalGone(t, tmp)
}

// The Kubernetes Job's two halves without a cluster: --fetch copies the
// newest three runs out of the bucket (the fourth stays), then the drill
// reads them from the directory (INFRA_DRILL_SOURCE=dir:) into the local
// scratch server, with the AWS CLI replaced by false so that a drill that
// reached the bucket would fail. A good backup restores; a corrupted dump
// fails on its checksum and the next run is reported restorable.
func TestRestoreDrillLocalFromDirectory(t *testing.T) {
	r, names := backedUp(t, 26*time.Hour)
	newest := path.Dir(manifestKey(t, r)) + "/"
	previous := olderCopy(t, r, newest, 24*time.Hour)
	third := olderCopy(t, r, newest, 48*time.Hour)
	oldest := olderCopy(t, r, newest, 72*time.Hour)

	dir, err := os.MkdirTemp("", "drill-fetched-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	runs := fetchInto(t, r, dir)
	if want := []string{third, previous, newest}; strings.Join(runs, " ") != strings.Join(want, " ") {
		t.Fatalf("--fetch copied %q, want the newest three %q (not %s)", runs, want, oldest)
	}
	sameObjects(t, r, dir, runs)

	tmp := useLocalScratch(t, r)
	r.env = append(r.env, "INFRA_DRILL_SOURCE=dir:"+dir, "INFRA_BACKUP_AWS=false", "INFRA_BACKUP_ENDPOINT=http://127.0.0.1:1")
	start := time.Now()
	stdout, stderr, code := r.run(r.drill)
	t.Logf("dir source, local scratch: %s", time.Since(start).Round(time.Millisecond))
	o := parseOutcome(t, stdout)
	if code != 0 || !o.OK || o.Backup != newest || o.Restorable == nil || o.Restorable.Backup != newest {
		t.Fatalf("good backup from %s: exit %d, %+v\n%s", dir, code, o, stderr)
	}
	assertSeededCounts(t, o, names)
	assertLocalGone(t, tmp)

	dump := filepath.Join(dir, newest, names["app"]+".dump")
	body, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	body[len(body)/2] ^= 0xff
	if err := os.WriteFile(dump, body, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = r.run(r.drill)
	o = parseOutcome(t, stdout)
	if code != 1 || o.OK || !anyContains(o.Problems, names["app"]+": sha256 checksum mismatch") {
		t.Errorf("corrupted dump from %s: exit %d, %+v\n%s", dir, code, o, stderr)
	}
	if o.Restorable == nil || o.Restorable.Backup != previous {
		t.Errorf("restorable %+v, want %s", o.Restorable, previous)
	}
	assertLocalGone(t, tmp)
}
