package backup

import (
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// olderCopy copies the run under prefix (postgres/<time>/) to a run age
// earlier than now, as backup.sh would have named it, with the manifest's
// time moved to match: a previous night's backup of the same data. It
// returns the new run's prefix.
func olderCopy(t *testing.T, r *rig, prefix string, age time.Duration) string {
	t.Helper()
	when := time.Now().UTC().Add(-age).Truncate(time.Second)
	older := "postgres/" + when.Format("2006-01-02T150405Z") + "/"
	key := prefix + "manifest.json"
	var m manifest
	decodeStrict(t, r.get(key), &m)
	body := strings.Replace(string(r.get(key)), `"time":"`+m.Time.UTC().Format(time.RFC3339)+`"`, `"time":"`+when.Format(time.RFC3339)+`"`, 1)
	if !strings.Contains(body, when.Format(time.RFC3339)) {
		t.Fatalf("could not move the manifest's time:\n%s", body)
	}
	for _, k := range r.keys() {
		if strings.HasPrefix(k, prefix) && k != key {
			r.put(older+strings.TrimPrefix(k, prefix), r.get(k))
		}
	}
	r.put(older+"manifest.json", []byte(body))
	return older
}

// flip corrupts two bytes in the middle of an object.
func flip(t *testing.T, r *rig, key string) {
	t.Helper()
	body := r.get(key)
	for _, i := range []int{len(body) / 2, len(body)/2 + 1} {
		body[i] ^= 0xff
	}
	r.put(key, body)
}

// The newest backup does not restore, the one before it does: exit 1, the
// newest's problem named, and the previous one reported as the newest
// restorable backup with its age. With every run corrupted, none is
// restorable; with INFRA_DRILL_TRIES=1 the older one is not tried.
func TestRestoreDrillFallsBackToOlderBackup(t *testing.T) {
	r, names := backedUp(t, 26*time.Hour)
	newest := path.Dir(manifestKey(t, r)) + "/"
	previous := olderCopy(t, r, newest, 24*time.Hour)
	// The oldest is out of reach of the default three tries.
	olderCopy(t, r, newest, 72*time.Hour)
	olderCopy(t, r, newest, 96*time.Hour)
	flip(t, r, newest+names["app"]+".dump")

	stdout, stderr, code := r.run(r.drill)
	o := parseOutcome(t, stdout)
	if code != 1 || o.OK {
		t.Fatalf("newest corrupted: exit %d, %+v\n%s", code, o, stderr)
	}
	if o.Backup != newest || !anyContains(o.Problems, names["app"]+": sha256 checksum mismatch") {
		t.Errorf("report names %s with problems %q, want the newest %s and its checksum", o.Backup, o.Problems, newest)
	}
	if o.Restorable == nil || o.Restorable.Backup != previous {
		t.Fatalf("restorable %+v, want the previous backup %s\n%s", o.Restorable, previous, stderr)
	}
	if a := o.Restorable.AgeSeconds; a < 24*3600 || a > 24*3600+60 {
		t.Errorf("restorable age %d s, want 24 h", a)
	}
	if want := strings.TrimSuffix(strings.TrimPrefix(previous, "postgres/"), "/"); o.Restorable.Time == "" ||
		strings.ReplaceAll(o.Restorable.Time, ":", "") != strings.ReplaceAll(want, ":", "") {
		t.Errorf("restorable time %q, want the run's time %s", o.Restorable.Time, want)
	}
	assertScratchGone(t, names)

	// Every run tried is corrupted: nothing is restorable, each failure named.
	for _, k := range r.keys() {
		if strings.HasSuffix(k, "/"+names["jobs"]+".dump") {
			flip(t, r, k)
		}
	}
	stdout, stderr, code = r.run(r.drill)
	o = parseOutcome(t, stdout)
	if code != 1 || o.Restorable != nil {
		t.Errorf("all corrupted: exit %d, restorable %+v\n%s", code, o.Restorable, stderr)
	}
	if !anyContains(o.Problems, "older backup "+previous+": "+names["jobs"]+": sha256 checksum mismatch") {
		t.Errorf("problems %q do not name the previous backup's failure", o.Problems)
	}
	var tried []string
	for _, p := range o.Problems {
		if rest, ok := strings.CutPrefix(p, "older backup "); ok {
			tried = append(tried, rest[:strings.Index(rest, ": ")])
		}
	}
	sort.Strings(tried)
	tried = compactStrings(tried)
	if len(tried) != 2 {
		t.Errorf("tried the older backups %q, want the two after the newest (three tries)", tried)
	}

	// One try: only the newest.
	r.env = append(r.env, "INFRA_DRILL_TRIES=1")
	stdout, stderr, code = r.run(r.drill)
	o = parseOutcome(t, stdout)
	if code != 1 || o.Restorable != nil || anyContains(o.Problems, "older backup") {
		t.Errorf("INFRA_DRILL_TRIES=1: exit %d, %+v\n%s", code, o, stderr)
	}
}

// A newest backup that is too old but restores is itself the newest
// restorable one: exit 1 for its age, nothing older tried.
func TestRestoreDrillTooOldIsStillRestorable(t *testing.T) {
	r, _ := backedUp(t, 26*time.Hour)
	newest := path.Dir(manifestKey(t, r)) + "/"
	aged := olderCopy(t, r, newest, 72*time.Hour)
	for _, k := range r.keys() {
		if strings.HasPrefix(k, newest) {
			if _, err := r.s3.DeleteObject(bucket, k); err != nil {
				t.Fatal(err)
			}
		}
	}
	stdout, stderr, code := r.run(r.drill)
	o := parseOutcome(t, stdout)
	if code != 1 || !anyContains(o.Problems, "too old") || o.Restorable == nil || o.Restorable.Backup != aged || o.Restorable.AgeSeconds != o.AgeSeconds {
		t.Errorf("too old: exit %d, %+v\n%s", code, o, stderr)
	}
}

// Bad settings are usage errors (exit 2) before anything runs.
func TestRestoreDrillRefusesBadSettings(t *testing.T) {
	r, _ := backedUp(t, 26*time.Hour)
	base := r.env
	for _, env := range []string{"INFRA_DRILL_TRIES=0", "INFRA_DRILL_TRIES=x", "INFRA_DRILL_SOURCE=dir:relative", "INFRA_DRILL_SOURCE=ftp"} {
		r.env = append(append([]string(nil), base...), env)
		stdout, stderr, code := r.run(r.drill)
		if code != 2 || stdout != "" || !strings.Contains(stderr, strings.SplitN(env, "=", 2)[0]) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", env, code, stdout, stderr)
		}
	}
}

func compactStrings(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// fetchInto runs the Job's first container's half, restore-drill.sh
// --fetch, with the AWS CLI against the stand-in, and returns the runs it
// copied (their prefixes), sorted.
func fetchInto(t *testing.T, r *rig, dir string) []string {
	t.Helper()
	stdout, stderr, code := r.run(r.drill, "--fetch", dir)
	if code != 0 || stdout != "" {
		t.Fatalf("--fetch exited %d, stdout %q\n%s", code, stdout, stderr)
	}
	var runs []string
	manifests, err := filepath.Glob(filepath.Join(dir, "postgres", "*", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range manifests {
		rel, _ := filepath.Rel(dir, filepath.Dir(m))
		runs = append(runs, rel+"/")
	}
	sort.Strings(runs)
	return runs
}

// sameObjects checks that dir holds byte for byte the bucket's objects
// under each run.
func sameObjects(t *testing.T, r *rig, dir string, runs []string) {
	t.Helper()
	for _, k := range r.keys() {
		for _, run := range runs {
			if !strings.HasPrefix(k, run) {
				continue
			}
			got, err := os.ReadFile(filepath.Join(dir, k))
			if err != nil || string(got) != string(r.get(k)) {
				t.Errorf("%s: fetched copy differs from the bucket's (%v)", k, err)
			}
		}
	}
}

// --fetch that finds nothing leaves the drill something to say: an empty
// bucket gives "no finished backup" in the directory; a listing that fails
// (a bucket that does not exist) is exit 0 for the fetch, and its error
// reaches the drill's report through fetch.err.
func TestRestoreDrillFetchFindsNothing(t *testing.T) {
	r := newRig(t, []string{"bk_nothing"}, 26*time.Hour)
	base := r.env
	for name, c := range map[string]struct {
		env  []string
		want string
	}{
		"empty bucket":   {nil, "no finished backup (postgres/<time>/manifest.json) in "},
		"missing bucket": {[]string{"INFRA_BACKUP_BUCKET=no-such-bucket"}, "NoSuchBucket"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			r.env = append(append([]string(nil), base...), c.env...)
			if runs := fetchInto(t, r, dir); len(runs) != 0 {
				t.Fatalf("fetched %q from nothing", runs)
			}
			r.env = append(append([]string(nil), base...), "INFRA_DRILL_SOURCE=dir:"+dir, "INFRA_BACKUP_AWS=false")
			stdout, stderr, code := r.run(r.drill)
			o := parseOutcome(t, stdout)
			if code != 1 || o.Restorable != nil || !anyContains(o.Problems, c.want) || !anyContains(o.Problems, dir) {
				t.Errorf("exit %d, %+v, want a problem naming %q and %s\n%s", code, o, c.want, dir, stderr)
			}
		})
	}
}
