package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"

	"infra/internal/plan"
)

// operation is one kind of engine operation, with what sets it apart when
// it ends.
type operation struct {
	name string
	// locks: the operation takes the stack's lock. An interrupted one then
	// calls Cancel, to release the lock in case the pulumi CLI had to be
	// killed. A preview takes no lock on a self-managed backend, where
	// Cancel deletes every lock file: another process's lock must not go
	// with it.
	locks bool
}

// The engine operations the CLI runs.
var (
	opPreview = operation{name: "preview"}
	opUp      = operation{name: "up", locks: true}
	opRefresh = operation{name: "refresh", locks: true}
	opDestroy = operation{name: "destroy", locks: true}
)

// run runs one engine operation: start begins it, streaming the engine's
// events into the channel it is given; run lets the stream drain, records
// the steps and summary in rep, and turns the outcome into the CLI's error.
func (op operation) run(ctx context.Context, s Stack, rep *Report, start func(ev chan<- events.EngineEvent) error) error {
	ev := watch()
	err := start(ev.ch)
	ev.wait(drainGrace(err))
	rep.record(ev)
	_, _, diags := ev.result()
	return op.finish(ctx, s, err, diags)
}

// finish turns the outcome of one engine operation into the CLI's error.
// On Ctrl-C (ctx cancelled) the Automation API has interrupted the pulumi
// CLI, which stops after its in-flight steps and saves the state.
func (op operation) finish(ctx context.Context, s Stack, err error, diags []string) error {
	if err == nil {
		return nil // done before the interrupt reached the engine
	}
	if ctx.Err() == nil || isLocked(err) {
		return classify(err, s.Name(), op.name, diags...)
	}
	if !op.locks {
		return &ExitError{Code: ExitCancelled, Err: fmt.Errorf("%s of stack %s cancelled: nothing was changed", op.name, s.Name())}
	}
	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = s.Cancel(cctx) // an error here means no update was left running
	return &ExitError{Code: ExitCancelled, Err: fmt.Errorf(
		"%s of stack %s cancelled: the engine stopped after its in-flight steps and saved the state. "+
			"Run `infra refresh --stack %s` and `infra preview --stack %s` to see where it stands",
		op.name, s.Name(), s.Name(), s.Name())}
}

// drainGrace is how long to wait for the rest of the event stream: all of
// it after success, a moment after a failure (the stream may never open).
func drainGrace(err error) time.Duration {
	if err != nil {
		return 2 * time.Second
	}
	return 30 * time.Second
}

// beginChange is how preview and up start: the config validated offline
// (exit 3) and the preflight passed (exit 4) before the engine is asked
// anything, then the stack opened (created on first use) and refused while
// an interrupted update left pending creates (exit 7).
func (o *StackOptions) beginChange(ctx context.Context, op operation, preflight PreflightFunc) (Stack, *plan.Plan, error) {
	proj, err := openProject(o.Dir, o.Stack)
	if err != nil {
		return nil, nil, err
	}
	p, err := checkBeforeEngine(proj, preflight)
	if err != nil {
		return nil, nil, err
	}
	s, _, err := o.open(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	if err := refusePending(ctx, s, o.Stack, op.name); err != nil {
		return nil, nil, err
	}
	return s, p, nil
}
