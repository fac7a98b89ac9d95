package cli

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/spf13/cobra"
)

const pendingURN = "urn:pulumi:prod::focusdeck::" + typeCluster + "::cluster"

// pendingState is what kill -9 leaves: a create the engine started and
// never saw finish, and an update likewise.
func pendingState() []apitype.OperationV2 {
	return []apitype.OperationV2{
		{Resource: apitype.ResourceV3{URN: resource.URN(pendingURN), Type: typeCluster, Custom: true}, Type: apitype.OperationTypeCreating},
		{Resource: apitype.ResourceV3{URN: "urn:pulumi:prod::focusdeck::" + typeVPC + "::vpc", Type: typeVPC, Custom: true, ID: "vpc-1"}, Type: apitype.OperationTypeUpdating},
	}
}

func statusCmd(f *fakeStack) func(*IO) *cobra.Command {
	return func(s *IO) *cobra.Command {
		return NewCmdStatus(s, func(o *StatusOptions) error {
			o.OpenStack = opener(f)
			return runStatus(context.Background(), o)
		})
	}
}

// preview and up refuse while a create is pending, before the engine runs:
// the engine would only warn, and create the resource a second time.
func TestPendingCreatesStopPreviewAndUp(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(*fakeStack) func(*IO) *cobra.Command
		args  []string
	}{
		{"preview", func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) }, []string{"preview", "--stack", "prod"}},
		{"preview --expect-no-changes", func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) }, []string{"preview", "--stack", "prod", "--expect-no-changes"}},
		{"up", func(f *fakeStack) func(*IO) *cobra.Command { return upCmd(context.Background(), f) }, []string{"up", "--stack", "prod"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeStack{pending: pendingState()}
			r := runWith(context.Background(), t, tc.build(f), append(tc.args, "--dir", testProject(t))...)
			if r.code != ExitPending {
				t.Fatalf("exit %d, want %d: %v", r.code, ExitPending, r.err)
			}
			if calls := f.Calls(); !slices.Equal(calls, []string{"export"}) {
				t.Errorf("calls %v: the engine must not run", calls)
			}
			msg := r.err.Error()
			for _, want := range []string{"1 pending create(s)", pendingURN, "--import-pending-create", "--clear-pending-creates", "a second time"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
			if strings.Contains(msg, "::vpc") {
				t.Errorf("a pending update blocks nothing and should not be listed as a create:\n%s", msg)
			}
		})
	}
	// A pending update or delete alone blocks nothing: the engine
	// reconciles those from the provider.
	f := &fakeStack{pending: pendingState()[1:]}
	r := runWith(context.Background(), t, previewCmd(f, nil), "preview", "--stack", "prod", "--dir", testProject(t))
	if r.code != ExitOK {
		t.Errorf("a pending update alone: exit %d: %v", r.code, r.err)
	}
}

func TestStatusShowsPendingOperations(t *testing.T) {
	f := &fakeStack{pending: pendingState(), history: []auto.UpdateSummary{{Kind: "update", Result: "succeeded"}}}
	r := runWith(context.Background(), t, statusCmd(f), "status", "--stack", "prod", "--dir", testProject(t))
	if r.code != ExitOK {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	for _, want := range []string{"pending:     2 operation(s)", "creating  " + pendingURN, "updating", "--clear-pending-creates"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runWith(context.Background(), t, statusCmd(f), "status", "--stack", "prod", "--json", "--dir", testProject(t))
	if !strings.Contains(r.stdout, `"pendingOperations": [`) || !strings.Contains(r.stdout, `"op": "creating"`) {
		t.Errorf("status --json lacks the pending operations:\n%s", r.stdout)
	}
}

func TestRefreshResolvesPendingCreates(t *testing.T) {
	dir := testProject(t)
	t.Run("clear", func(t *testing.T) {
		f := &fakeStack{pending: pendingState()}
		r := runWith(context.Background(), t, refreshCmd(f), "refresh", "--stack", "prod", "--clear-pending-creates", "--dir", dir)
		if r.code != ExitOK {
			t.Fatalf("exit %d: %v", r.code, r.err)
		}
		if !f.refOpts.ClearPendingCreates {
			t.Error("the refresh was not asked to clear pending creates")
		}
	})
	t.Run("import", func(t *testing.T) {
		f := &fakeStack{pending: pendingState()}
		r := runWith(context.Background(), t, refreshCmd(f), "refresh", "--stack", "prod", "--import-pending-create", pendingURN+"=db-42", "--dir", dir)
		if r.code != ExitOK {
			t.Fatalf("exit %d: %v", r.code, r.err)
		}
		if calls := f.Calls(); !slices.Equal(calls, []string{"export", "import", "refresh"}) {
			t.Errorf("calls %v, want export (read once), import, refresh", calls)
		}
		if f.imported == nil || len(f.imported.PendingOperations) != 1 || len(f.imported.Resources) != 1 {
			t.Fatalf("imported state: %+v", f.imported)
		}
		if r := f.imported.Resources[0]; string(r.URN) != pendingURN || r.ID != "db-42" || !r.Custom {
			t.Errorf("the pending create became resource %s with id %q, want %s with db-42", r.URN, r.ID, pendingURN)
		}
		if other := f.imported.PendingOperations[0]; other.Type != apitype.OperationTypeUpdating || other.Resource.ID != "vpc-1" {
			t.Errorf("another pending operation was changed: %+v", other)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no id", []string{"--import-pending-create", pendingURN}, "write URN=ID"},
		{"not a pending create", []string{"--import-pending-create", "urn:pulumi:prod::focusdeck::" + typeVPC + "::vpc=vpc-1"}, "not a pending create"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeStack{pending: pendingState()}
			r := runWith(context.Background(), t, refreshCmd(f), append([]string{"refresh", "--stack", "prod", "--dir", dir}, tc.args...)...)
			if r.code != ExitUsage || !strings.Contains(r.err.Error(), tc.want) {
				t.Errorf("exit %d, %v; want exit 2 with %q", r.code, r.err, tc.want)
			}
			if slices.Contains(f.Calls(), "import") || slices.Contains(f.Calls(), "refresh") {
				t.Errorf("calls %v: nothing may change", f.Calls())
			}
		})
	}
}

// The engine's refresh drops every pending create without a trace, so a
// refresh that leaves one undecided refuses, before anything changes; one
// that adopts some and clears the rest runs.
func TestRefreshDecidesEveryPendingCreate(t *testing.T) {
	dir := testProject(t)
	password := "urn:pulumi:prod::focusdeck::random:index/randomPassword:RandomPassword::pw"
	two := func() []apitype.OperationV2 {
		return append(pendingState(), apitype.OperationV2{
			Resource: apitype.ResourceV3{URN: resource.URN(password), Type: "random:index/randomPassword:RandomPassword", Custom: true},
			Type:     apitype.OperationTypeCreating,
		})
	}
	for _, tc := range []struct {
		name  string
		args  []string
		want  int
		calls []string
	}{
		{"a plain refresh", nil, ExitPending, []string{"export"}},
		{"adopting one, leaving the other", []string{"--import-pending-create", pendingURN + "=db-42"}, ExitPending, []string{"export"}},
		{"adopting one, dropping the other", []string{"--import-pending-create", pendingURN + "=db-42", "--clear-pending-creates"}, ExitOK, []string{"export", "import", "refresh"}},
		{"dropping both", []string{"--clear-pending-creates"}, ExitOK, []string{"export", "refresh"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeStack{pending: two()}
			r := runWith(context.Background(), t, refreshCmd(f), append([]string{"refresh", "--stack", "prod", "--dir", dir}, tc.args...)...)
			if r.code != tc.want {
				t.Fatalf("exit %d, want %d: %v", r.code, tc.want, r.err)
			}
			if calls := f.Calls(); len(calls) < len(tc.calls) || !slices.Equal(calls[:len(tc.calls)], tc.calls) || tc.want != ExitOK && len(calls) != len(tc.calls) {
				t.Errorf("calls %v, want %v", calls, tc.calls)
			}
			if tc.want == ExitPending && (!strings.Contains(r.err.Error(), password) || !strings.Contains(r.err.Error(), "without a trace")) {
				t.Errorf("the refusal should name the undecided create: %v", r.err)
			}
			if tc.want == ExitOK && !f.refOpts.ClearPendingCreates {
				t.Error("the refresh was not asked to drop the rest")
			}
		})
	}
}
