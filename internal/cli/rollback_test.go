package cli

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/spf13/cobra"

	"infra/internal/release/releasetest"
)

func rollbackCmd(f *fakeStack) func(*IO) *cobra.Command {
	return func(s *IO) *cobra.Command {
		return NewCmdRollback(s, func(o *RollbackOptions) error {
			o.OpenStack = opener(f)
			o.Preflight = nil
			return runRollback(context.Background(), o)
		})
	}
}

// serverHistory is FocusDeck's history on a file backend (newest first,
// unnumbered): the stack file of the project in dir with the server at
// 1.4.0, 1.4.1 and 1.4.2, the stack file's.
func serverHistory(t *testing.T, dir string) []auto.UpdateSummary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "Pulumi.prod.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	update := func(version, start string) auto.UpdateSummary {
		doc := strings.Replace(string(b), "ghcr.io/focusdeck/server:1.4.2", "ghcr.io/focusdeck/server:"+version, 1)
		return auto.UpdateSummary{Kind: "update", Result: "succeeded", StartTime: start, Config: releasetest.Recorded(t, doc)}
	}
	return []auto.UpdateSummary{update("1.4.2", "t3"), update("1.4.1", "t2"), update("1.4.0", "t1")}
}

// rollback --json names the release it deploys and its images, in the
// report of every outcome once the release is picked; --list --json marks
// the release a rollback would deploy (the default, or --to's) and the
// current one, each with its images.
func TestRollbackJSONNamesTheRelease(t *testing.T) {
	deployed := evs{summary(map[apitype.OpType]int{"update": 1, "same": 30})}
	tests := []struct {
		name        string
		args        []string
		want        int
		wantRelease int
		wantImage   string
	}{
		{"the previous release", []string{"--yes"}, ExitOK, 2, "ghcr.io/focusdeck/server:1.4.1"},
		{"--to an older one", []string{"--to", "1", "--yes"}, ExitOK, 1, "ghcr.io/focusdeck/server:1.4.0"},
		{"without --yes and a terminal: refused, the release named", nil, ExitUsage, 2, "ghcr.io/focusdeck/server:1.4.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := testProject(t)
			f := &fakeStack{history: serverHistory(t, dir), previewEvents: deployed, upEvents: deployed}
			args := append([]string{"rollback", "--stack", "prod", "--json", "--dir", dir}, tc.args...)
			r := runAt(context.Background(), t, false, "", rollbackCmd(f), args...)
			if r.code != tc.want {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tc.want, r.stdout, r.stderr)
			}
			var rep Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("the report is not JSON: %v\n%s", err, r.stdout)
			}
			if rep.Operation != "rollback" || rep.Rollback == nil {
				t.Fatalf("report %s without its release:\n%s", rep.Operation, r.stdout)
			}
			if rep.Rollback.Release != tc.wantRelease || !maps.Equal(rep.Rollback.Images, map[string]string{"server": tc.wantImage}) {
				t.Errorf("rollback = %+v, want release %d with server %s", *rep.Rollback, tc.wantRelease, tc.wantImage)
			}
			if !strings.Contains(r.stdout, `"release": `) || !strings.Contains(r.stdout, `"images": {`) {
				t.Errorf("the report's keys are not release and images:\n%s", r.stdout)
			}
		})
	}

	// No release to pick: no rollback in the report.
	dir := testProject(t)
	f := &fakeStack{history: serverHistory(t, dir)[:1]}
	r := runAt(context.Background(), t, false, "", rollbackCmd(f), "rollback", "--stack", "prod", "--json", "--yes", "--dir", dir)
	var rep Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != ExitFailure || rep.Rollback != nil {
		t.Errorf("one release only: exit %d, rollback %+v (%v)\n%s", r.code, rep.Rollback, err, r.stdout)
	}
}

func TestRollbackListJSON(t *testing.T) {
	for _, tc := range []struct {
		name   string
		to     []string
		target int
	}{
		{"the default target", nil, 2},
		{"--to's", []string{"--to", "1"}, 1},
		{"--to a release that is not there: none", []string{"--to", "9"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := testProject(t)
			f := &fakeStack{history: serverHistory(t, dir)}
			args := append([]string{"rollback", "--stack", "prod", "--list", "--json", "--dir", dir}, tc.to...)
			r := runAt(context.Background(), t, false, "", rollbackCmd(f), args...)
			if r.code != ExitOK {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			var list []struct {
				Version int               `json:"version"`
				Images  map[string]string `json:"images"`
				Current bool              `json:"current"`
				Target  bool              `json:"target"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
				t.Fatalf("--list --json: %v\n%s", err, r.stdout)
			}
			if len(list) != 3 {
				t.Fatalf("%d releases, want 3:\n%s", len(list), r.stdout)
			}
			for i, rel := range list {
				wantVersion := 3 - i
				wantImage := "ghcr.io/focusdeck/server:1.4." + string(rune('0'+wantVersion-1))
				if rel.Version != wantVersion || rel.Images["server"] != wantImage || len(rel.Images) != 1 {
					t.Errorf("release %d: version %d, images %v; want %d with server %s", i, rel.Version, rel.Images, wantVersion, wantImage)
				}
				if rel.Current != (i == 0) || rel.Target != (rel.Version == tc.target) {
					t.Errorf("release %d: current %v, target %v (want target %d)", rel.Version, rel.Current, rel.Target, tc.target)
				}
			}
		})
	}
}

// The text list marks the current release and the rollback target.
func TestRollbackListMarksTheTarget(t *testing.T) {
	dir := testProject(t)
	f := &fakeStack{history: serverHistory(t, dir)}
	r := runAt(context.Background(), t, false, "", rollbackCmd(f), "rollback", "--stack", "prod", "--list", "--dir", dir)
	for _, want := range []string{"3  t3 (current)\n", "2  t2 (rollback target)\n", "1  t1\n"} {
		if r.code != ExitOK || !strings.Contains(r.stdout, want) {
			t.Errorf("exit %d, the list lacks %q:\n%s", r.code, want, r.stdout)
		}
	}
}

// A stack file changed besides the release since the last update: the
// rollback refuses before the preview (exit 5) and names every changed
// config path, in the message and in the report; --include-pending
// deploys them with it and says so in the question and the report.
func TestRollbackRefusesPendingConfig(t *testing.T) {
	deployed := evs{summary(map[apitype.OpType]int{"update": 1, "same": 30})}
	edits := strings.NewReplacer("      replicas: 2\n", "      replicas: 3\n", "    size: s-2vcpu-4gb\n    sshKeys", "    size: s-4vcpu-8gb\n    sshKeys")
	wantPending := []string{"infra:services[0].replicas", "infra:vps.size"}
	tests := []struct {
		name         string
		edit         bool
		args         []string
		terminal     bool
		want         int
		wantPending  []string
		wantIncluded bool
		wantCalls    []string
		wantStderr   string
	}{
		{"unchanged: rolls back", false, []string{"--yes"}, false, ExitOK, nil, false, []string{"history", "export", "preview", "up"}, ""},
		{"changed: refused before the preview", true, []string{"--yes"}, false, ExitChanges, wantPending, false, []string{"history"},
			"changed 2 config path(s) since the last update (3), which a rollback does not deploy: infra:services[0].replicas, infra:vps.size;"},
		{"changed, --include-pending: rolls back with them", true, []string{"--yes", "--include-pending"}, false, ExitOK, wantPending, true,
			[]string{"history", "export", "preview", "up"}, "with the stack file's changes since update 3 (--include-pending):\n    infra:services[0].replicas\n    infra:vps.size\n"},
		{"changed, --include-pending: the question names them", true, []string{"--include-pending"}, true, ExitOK, wantPending, true,
			[]string{"history", "export", "preview", "up"}, "Do you want to roll back to release 2, with the stack file's pending changes (infra:services[0].replicas, infra:vps.size)?"},
		{"unchanged, --include-pending: nothing pending to include", false, []string{"--yes", "--include-pending"}, false, ExitOK, nil, false,
			[]string{"history", "export", "preview", "up"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := testProject(t)
			f := &fakeStack{history: serverHistory(t, dir), previewEvents: deployed, upEvents: deployed}
			if tc.edit {
				file := filepath.Join(dir, "Pulumi.prod.yaml")
				b, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				edited := edits.Replace(string(b))
				if strings.Count(edited, "replicas: 3") != 1 || !strings.Contains(edited, "size: s-4vcpu-8gb") {
					t.Fatal("the edits did not apply to the example")
				}
				writeTestFile(t, file, edited)
			}
			args := append([]string{"rollback", "--stack", "prod", "--json", "--dir", dir}, tc.args...)
			r := runAt(context.Background(), t, tc.terminal, "yes\n", rollbackCmd(f), args...)
			if r.code != tc.want {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tc.want, r.stdout, r.stderr)
			}
			var rep Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Rollback == nil {
				t.Fatalf("the report has no rollback (%v):\n%s", err, r.stdout)
			}
			if !slices.Equal(rep.Rollback.Pending, tc.wantPending) || rep.Rollback.PendingIncluded != tc.wantIncluded {
				t.Errorf("report: pending %q included %v, want %q %v", rep.Rollback.Pending, rep.Rollback.PendingIncluded, tc.wantPending, tc.wantIncluded)
			}
			if !slices.Equal(rep.Rollback.Unchecked, []string{"infra:secrets"}) {
				t.Errorf("report: unchecked %q, want infra:secrets", rep.Rollback.Unchecked)
			}
			if got := f.Calls(); !slices.Equal(got, tc.wantCalls) {
				t.Errorf("calls %q, want %q", got, tc.wantCalls)
			}
			if !strings.Contains(r.stderr+rep.Error, tc.wantStderr) {
				t.Errorf("stderr and the report's error lack %q:\n%s%s", tc.wantStderr, r.stderr, rep.Error)
			}
			if strings.Contains(r.stdout+r.stderr, "secure:") || strings.Contains(r.stdout+r.stderr, "v1:") {
				t.Errorf("a secure value's ciphertext was printed:\n%s%s", r.stdout, r.stderr)
			}
		})
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
