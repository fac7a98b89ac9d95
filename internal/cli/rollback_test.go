package cli

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/spf13/cobra"

	"infra/internal/release"
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
// unnumbered): the server at 1.4.0, 1.4.1 and 1.4.2, the stack file's.
func serverHistory(t *testing.T) []auto.UpdateSummary {
	t.Helper()
	update := func(image, start string) auto.UpdateSummary {
		svcs, err := json.Marshal([]release.Service{{Name: "server", Image: image, Env: map[string]string{
			"ASPNETCORE_ENVIRONMENT": "Production", "Features__Jarvis": "true",
		}}})
		if err != nil {
			t.Fatal(err)
		}
		return auto.UpdateSummary{Kind: "update", Result: "succeeded", StartTime: start,
			Config: auto.ConfigMap{release.ServicesKey: {Value: string(svcs)}}}
	}
	return []auto.UpdateSummary{
		update("ghcr.io/focusdeck/server:1.4.2", "t3"),
		update("ghcr.io/focusdeck/server:1.4.1", "t2"),
		update("ghcr.io/focusdeck/server:1.4.0", "t1"),
	}
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
			f := &fakeStack{history: serverHistory(t), previewEvents: deployed, upEvents: deployed}
			args := append([]string{"rollback", "--stack", "prod", "--json", "--dir", testProject(t)}, tc.args...)
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
	f := &fakeStack{history: serverHistory(t)[:1]}
	r := runAt(context.Background(), t, false, "", rollbackCmd(f), "rollback", "--stack", "prod", "--json", "--yes", "--dir", testProject(t))
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
			f := &fakeStack{history: serverHistory(t)}
			args := append([]string{"rollback", "--stack", "prod", "--list", "--json", "--dir", testProject(t)}, tc.to...)
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
	f := &fakeStack{history: serverHistory(t)}
	r := runAt(context.Background(), t, false, "", rollbackCmd(f), "rollback", "--stack", "prod", "--list", "--dir", testProject(t))
	for _, want := range []string{"3  t3 (current)\n", "2  t2 (rollback target)\n", "1  t1\n"} {
		if r.code != ExitOK || !strings.Contains(r.stdout, want) {
			t.Errorf("exit %d, the list lacks %q:\n%s", r.code, want, r.stdout)
		}
	}
}
