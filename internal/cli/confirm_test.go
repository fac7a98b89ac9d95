package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/spf13/cobra"
)

// changingPreview is a preview that replaces one resource, deletes one and
// creates two: up must ask before applying it.
func changingPreview() evs {
	return evs{
		pre(apitype.OpReplace, typeVPC, "vpc", "ipRange"),
		pre(apitype.OpCreateReplacement, typeVPC, "vpc", "ipRange"),
		pre(apitype.OpDelete, typeDroplet, "old"),
		pre(apitype.OpCreate, typeDroplet, "web"),
		summary(map[apitype.OpType]int{"replace": 1, "delete": 1, "create": 2, "same": 5}),
	}
}

// unprotectedState is protectedState with nothing protected: destroy
// deletes all of it.
func unprotectedState() []apitype.ResourceV3 {
	rs := protectedState()
	for i := range rs {
		rs[i].Protect = false
	}
	return rs
}

const (
	upQuestion      = "Do you want to perform this update? [yes/no]"
	destroyQuestion = "Do you want to destroy 6 resource(s) of stack dev? [yes/no]"
)

func TestConfirmation(t *testing.T) {
	up := func(f *fakeStack) func(*IO) *cobra.Command { return upCmd(context.Background(), f) }
	tests := []struct {
		name      string
		fake      *fakeStack
		build     func(*fakeStack) func(*IO) *cobra.Command
		args      []string
		terminal  bool
		input     string // typed at the question
		want      int
		wantCalls []string
		wantOut   []string // in stdout+stderr+error
		notOut    []string
	}{
		{
			name: "up without a terminal and without --yes refuses after the preview, before the update",
			fake: &fakeStack{previewEvents: changingPreview()}, build: up,
			args: []string{"up", "--stack", "prod"},
			want: ExitUsage, wantCalls: []string{"export", "preview"},
			wantOut: []string{"stdin is not a terminal", "nothing was changed", "--yes (-y)"},
			notOut:  []string{upQuestion},
		},
		{
			name: "up --yes without a terminal applies",
			fake: &fakeStack{previewEvents: changingPreview()}, build: up,
			args: []string{"up", "--stack", "prod", "--yes"},
			want: ExitOK, wantCalls: []string{"export", "preview", "up"},
			notOut: []string{upQuestion},
		},
		{
			name: "-y is --yes",
			fake: &fakeStack{previewEvents: changingPreview()}, build: up,
			args: []string{"up", "--stack", "prod", "-y"},
			want: ExitOK, wantCalls: []string{"export", "preview", "up"},
		},
		{
			name: "--yes on a terminal asks nothing",
			fake: &fakeStack{previewEvents: changingPreview()}, build: up,
			args: []string{"up", "--stack", "prod", "--yes"}, terminal: true,
			want: ExitOK, wantCalls: []string{"export", "preview", "up"},
			notOut: []string{upQuestion},
		},
		{
			name: "up on a terminal shows the change, asks, and applies on yes",
			fake: &fakeStack{previewEvents: changingPreview()}, build: up,
			args: []string{"up", "--stack", "prod"}, terminal: true, input: "yes\n",
			want: ExitOK, wantCalls: []string{"export", "preview", "up"},
			wantOut: []string{
				"Stack prod: 2 to create, 1 to delete, 1 to replace.",
				"REPLACE " + typeVPC + " vpc (because ipRange changed)",
				"DELETE  " + typeDroplet + " old",
				upQuestion,
			},
		},
		{
			name: "y is yes",
			fake: &fakeStack{previewEvents: changingPreview()}, build: up,
			args: []string{"up", "--stack", "prod"}, terminal: true, input: " Y\n",
			want: ExitOK, wantCalls: []string{"export", "preview", "up"},
		},
		{
			name: "up answered no changes nothing",
			fake: &fakeStack{previewEvents: changingPreview()}, build: up,
			args: []string{"up", "--stack", "prod"}, terminal: true, input: "no\n",
			want: ExitCancelled, wantCalls: []string{"export", "preview"},
			wantOut: []string{upQuestion, "up of stack prod declined: nothing was changed"},
		},
		{
			name: "any other answer is no",
			fake: &fakeStack{previewEvents: changingPreview()}, build: up,
			args: []string{"up", "--stack", "prod"}, terminal: true, input: "sure\n",
			want: ExitCancelled, wantCalls: []string{"export", "preview"},
		},
		{
			name: "the end of input at the question is no",
			fake: &fakeStack{previewEvents: changingPreview()}, build: up,
			args: []string{"up", "--stack", "prod"}, terminal: true, input: "",
			want: ExitCancelled, wantCalls: []string{"export", "preview"},
		},
		{
			name: "a preview without changes needs no answer",
			fake: &fakeStack{previewEvents: evs{summary(map[apitype.OpType]int{"same": 9})}}, build: up,
			args: []string{"up", "--stack", "prod"},
			want: ExitOK, wantCalls: []string{"export", "preview", "up"},
			notOut: []string{upQuestion},
		},
		{
			name: "up --expect-no-changes without changes needs no answer",
			fake: &fakeStack{previewEvents: evs{summary(map[apitype.OpType]int{"same": 9})}}, build: up,
			args: []string{"up", "--stack", "prod", "--expect-no-changes"},
			want: ExitOK, wantCalls: []string{"export", "preview", "up"},
		},
		{
			name: "a refused preview is refused before anything is asked",
			fake: &fakeStack{previewEvents: evs{
				pre(apitype.OpReplace, typeDroplet, "web", "userData"), summary(map[apitype.OpType]int{"replace": 1}),
			}}, build: up,
			args: []string{"up", "--stack", "prod"}, terminal: true, input: "yes\n",
			want: ExitPolicy, wantCalls: []string{"export", "preview"},
			notOut: []string{upQuestion},
		},
		{
			name: "destroy without a terminal and without --yes refuses after reading the state",
			fake: &fakeStack{resources: unprotectedState()}, build: destroyCmd,
			args: []string{"destroy", "--stack", "dev"},
			want: ExitUsage, wantCalls: []string{"export"},
			wantOut: []string{"destroy of stack dev needs a confirmation", "--yes"},
		},
		{
			name: "destroy --yes without a terminal destroys",
			fake: &fakeStack{resources: unprotectedState()}, build: destroyCmd,
			args: []string{"destroy", "--stack", "dev", "--yes"},
			want: ExitOK, wantCalls: []string{"export", "destroy"},
		},
		{
			name: "destroy on a terminal lists what it deletes, asks, and destroys on yes",
			fake: &fakeStack{resources: unprotectedState()}, build: destroyCmd,
			args: []string{"destroy", "--stack", "dev"}, terminal: true, input: "yes\n",
			want: ExitOK, wantCalls: []string{"export", "destroy"},
			wantOut: []string{"Stack dev: 6 resource(s) to delete:", "DELETE  " + typeCluster + " cluster", "DELETE  " + typeDroplet + " web", destroyQuestion},
		},
		{
			name: "destroy answered no deletes nothing",
			fake: &fakeStack{resources: unprotectedState()}, build: destroyCmd,
			args: []string{"destroy", "--stack", "dev"}, terminal: true, input: "no\n",
			want: ExitCancelled, wantCalls: []string{"export"},
			wantOut: []string{destroyQuestion, "destroy of stack dev declined: nothing was changed"},
		},
		{
			name: "destroy --exclude-protected asks about what it deletes only",
			fake: &fakeStack{resources: protectedState()}, build: destroyCmd,
			args: []string{"destroy", "--stack", "dev", "--exclude-protected"}, terminal: true, input: "y\n",
			want: ExitOK, wantCalls: []string{"export", "destroy"},
			wantOut: []string{"Do you want to destroy 1 resource(s) of stack dev?", "DELETE  " + typeDroplet + " web"},
			notOut:  []string{"DELETE  " + typeCluster},
		},
		{
			name: "destroy --target asks about the targets and their dependents",
			fake: &fakeStack{resources: unprotectedState()}, build: destroyCmd,
			args: []string{"destroy", "--stack", "dev", "--target", "urn:pulumi:dev::focusdeck::" + typeVPC + "::vpc", "--target-dependents"}, terminal: true, input: "no\n",
			want: ExitCancelled, wantCalls: []string{"export"},
			wantOut: []string{"Do you want to destroy 2 resource(s) of stack dev?", "DELETE  " + typeVPC + " vpc", "DELETE  " + typeCluster + " cluster"},
		},
		{
			name: "an empty stack is destroyed without a question",
			fake: &fakeStack{}, build: destroyCmd,
			args: []string{"destroy", "--stack", "dev"},
			want: ExitOK, wantCalls: []string{"export", "destroy"},
		},
		{
			name: "production still needs --confirm with --yes",
			fake: &fakeStack{resources: unprotectedState()}, build: destroyCmd,
			args: []string{"destroy", "--stack", "prod", "--yes"},
			want: ExitUsage, wantCalls: []string{},
			wantOut: []string{"--confirm prod"},
		},
		{
			name: "production with --confirm still asks",
			fake: &fakeStack{resources: unprotectedState()}, build: destroyCmd,
			args: []string{"destroy", "--stack", "prod", "--confirm", "prod"}, terminal: true, input: "no\n",
			want: ExitCancelled, wantCalls: []string{"export"},
			wantOut: []string{"Do you want to destroy 6 resource(s) of stack prod?"},
		},
		{
			name: "production with --confirm and without a terminal needs --yes too",
			fake: &fakeStack{resources: unprotectedState()}, build: destroyCmd,
			args: []string{"destroy", "--stack", "prod", "--confirm", "prod"},
			want: ExitUsage, wantCalls: []string{"export"},
		},
		{
			name: "production with --confirm and --yes destroys",
			fake: &fakeStack{resources: unprotectedState()}, build: destroyCmd,
			args: []string{"destroy", "--stack", "prod", "--confirm", "prod", "--yes"},
			want: ExitOK, wantCalls: []string{"export", "destroy"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(tt.args, "--dir", testProject(t))
			r := runAt(context.Background(), t, tt.terminal, tt.input, tt.build(tt.fake), args...)
			if r.code != tt.want {
				t.Fatalf("exit %d, want %d; err: %v\nstdout:\n%s\nstderr:\n%s", r.code, tt.want, r.err, r.stdout, r.stderr)
			}
			if got := tt.fake.Calls(); !slices.Equal(got, tt.wantCalls) && !(len(got) == 0 && len(tt.wantCalls) == 0) {
				t.Errorf("stack calls %v, want %v", got, tt.wantCalls)
			}
			all := r.stdout + r.stderr
			if r.err != nil {
				all += r.err.Error()
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(all, want) {
					t.Errorf("output lacks %q:\n%s", want, all)
				}
			}
			for _, not := range tt.notOut {
				if strings.Contains(all, not) {
					t.Errorf("output has %q:\n%s", not, all)
				}
			}
		})
	}
}

// With --json stdout stays one document: the question goes to stderr, and
// a refusal is a report like any other.
func TestConfirmationKeepsJSONOnStdout(t *testing.T) {
	for _, tc := range []struct {
		name     string
		terminal bool
		input    string
		want     int
		result   string
	}{
		{"answered yes", true, "yes\n", ExitOK, "succeeded"},
		{"answered no", true, "no\n", ExitCancelled, "cancelled"},
		{"no terminal", false, "", ExitUsage, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeStack{previewEvents: changingPreview(), upEvents: changingPreview()}
			r := runAt(context.Background(), t, tc.terminal, tc.input, upCmd(context.Background(), f), "up", "--stack", "prod", "--json", "--dir", testProject(t))
			if r.code != tc.want {
				t.Fatalf("exit %d, want %d: %v", r.code, tc.want, r.err)
			}
			var rep Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("stdout is not one JSON document: %v\n%s", err, r.stdout)
			}
			if rep.Result != tc.result || rep.Changed != 4 {
				t.Errorf("report: result %q, %d changed; want %q, 4", rep.Result, rep.Changed, tc.result)
			}
			if asked := strings.Contains(r.stderr, upQuestion); asked != tc.terminal {
				t.Errorf("question on stderr: %v, want %v\n%s", asked, tc.terminal, r.stderr)
			}
		})
	}
}

func TestIsTerminal(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, in := range map[string]io.Reader{"/dev/null (a character device)": devNull, "a pipe": r, "a string": strings.NewReader("yes\n")} {
		if isTerminal(in) {
			t.Errorf("%s passes for a terminal", name)
		}
	}
}
