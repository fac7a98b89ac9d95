package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
