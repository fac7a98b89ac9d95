package enginetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Step is one planned step of a preview.
type Step struct {
	URN  resource.URN
	Op   apitype.OpType
	Keys []string // the properties forcing a replacement
	Diff []string // the properties that changed
}

// Plan is what a preview would do: the engine's change summary and every
// step it reported.
type Plan struct {
	Summary map[apitype.OpType]int
	Steps   []Step
	StdOut  string
}

// Ops lists the operations planned for the resource with the given logical
// name, of any type.
func (p Plan) Ops(name string) []apitype.OpType {
	var ops []apitype.OpType
	for _, s := range p.Steps {
		if s.URN.Name() == name && !slices.Contains(ops, s.Op) {
			ops = append(ops, s.Op)
		}
	}
	return ops
}

// Step returns the main step planned for a resource: its replace or update
// when there is one. ok is false when the resource has no step.
func (p Plan) Step(name string) (Step, bool) {
	var found *Step
	for i, s := range p.Steps {
		if s.URN.Name() != name {
			continue
		}
		if found == nil || s.Op == apitype.OpReplace || s.Op == apitype.OpUpdate {
			found = &p.Steps[i]
		}
	}
	if found == nil {
		return Step{}, false
	}
	return *found, true
}

// Changed reports whether the plan changes anything at all.
func (p Plan) Changed() bool {
	for op, n := range p.Summary {
		if op != apitype.OpSame && n > 0 {
			return true
		}
	}
	return false
}

// Preview runs a preview of s and collects its plan from the engine events.
func Preview(ctx context.Context, t testing.TB, s auto.Stack, opts ...optpreview.Option) (Plan, error) {
	t.Helper()
	ch := make(chan events.EngineEvent)
	done := make(chan []Step)
	go func() {
		var steps []Step
		for ev := range ch { // auto closes ch when the preview ends
			if pre := ev.ResourcePreEvent; pre != nil {
				md := pre.Metadata
				steps = append(steps, Step{URN: resource.URN(md.URN), Op: md.Op, Keys: md.Keys, Diff: md.Diffs})
			}
		}
		done <- steps
	}()
	res, err := s.Preview(ctx, append(opts, optpreview.EventStreams(ch))...)
	var steps []Step
	select {
	case steps = <-done:
	case <-time.After(10 * time.Second):
		// The preview failed before it streamed events, so ch stays open.
	}
	return Plan{Summary: res.ChangeSummary, Steps: steps, StdOut: res.StdOut}, err
}
