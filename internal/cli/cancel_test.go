package cli

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/spf13/cobra"
)

// Ctrl-C during up: the context is cancelled, the engine interrupted, the
// lock released with Cancel, and the exit code is 130.
func TestUpCancelled(t *testing.T) {
	f := &fakeStack{
		previewEvents: evs{summary(map[apitype.OpType]int{"create": 2})},
		block:         "up",
		started:       make(chan string, 8),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for call := range f.started {
			if call == "up" {
				cancel() // what signal.NotifyContext does on Ctrl-C
				return
			}
		}
	}()
	dir := testProject(t)
	done := make(chan ran, 1)
	go func() { done <- runWith(ctx, t, upCmd(ctx, f), "up", "--stack", "prod", "--yes", "--dir", dir) }()
	var r ran
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("up did not return after cancellation")
	}
	if r.code != ExitCancelled {
		t.Fatalf("exit %d, want %d: %v", r.code, ExitCancelled, r.err)
	}
	if calls := f.Calls(); !slices.Equal(calls, []string{"export", "preview", "up", "cancel"}) {
		t.Errorf("calls %v, want export, preview, up, cancel", calls)
	}
	for _, want := range []string{"cancelled", "saved the state", "infra refresh --stack prod"} {
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, r.err)
		}
	}
}

// Ctrl-C during a preview: exit 130, and no Cancel (a preview holds no
// lock; Cancel on a file backend would delete another process's).
func TestPreviewCancelledLeavesLocksAlone(t *testing.T) {
	f := &fakeStack{block: "preview", started: make(chan string, 8)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for call := range f.started {
			if call == "preview" {
				cancel()
				return
			}
		}
	}()
	build := func(s *IO) *cobra.Command {
		return NewCmdPreview(s, func(o *PreviewOptions) error {
			o.OpenStack = opener(f)
			return runPreview(ctx, o)
		})
	}
	r := runWith(ctx, t, build, "preview", "--stack", "prod", "--dir", testProject(t))
	if r.code != ExitCancelled {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	if calls := f.Calls(); !slices.Equal(calls, []string{"export", "preview"}) {
		t.Errorf("calls %v, want export (pending creates), preview", calls)
	}
}
