package cli

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"infra/internal/policy"
	"infra/stacks/config"
)

// Step is one step the engine planned or took for a resource.
type Step struct {
	Op   string `json:"op"`
	Type string `json:"type"`
	Name string `json:"name"`
	URN  string `json:"urn"`
	// Diffs are the properties that changed; ReplaceKeys those forcing a replacement.
	Diffs       []string `json:"diffs,omitempty"`
	ReplaceKeys []string `json:"replaceKeys,omitempty"`
}

// watcher collects one operation's engine events: the steps, the change
// summary and the error diagnostics.
type watcher struct {
	ch   chan events.EngineEvent
	done chan struct{}

	mu      sync.Mutex
	steps   []Step
	summary map[apitype.OpType]int
	diags   []string
}

func watch() *watcher {
	w := &watcher{ch: make(chan events.EngineEvent), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for ev := range w.ch { // the Automation API closes ch when the engine ends its stream
			w.add(ev)
		}
	}()
	return w
}

func (w *watcher) add(ev events.EngineEvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case ev.ResourcePreEvent != nil:
		md := ev.ResourcePreEvent.Metadata
		if md.Op == apitype.OpSame {
			return
		}
		w.steps = append(w.steps, Step{
			Op: string(md.Op), Type: md.Type, Name: urnName(md.URN), URN: md.URN,
			Diffs: md.Diffs, ReplaceKeys: md.Keys,
		})
	case ev.SummaryEvent != nil:
		w.summary = ev.SummaryEvent.ResourceChanges
	case ev.DiagnosticEvent != nil && ev.DiagnosticEvent.Severity == "error":
		if msg := strings.TrimSpace(ev.DiagnosticEvent.Message); msg != "" {
			w.diags = append(w.diags, msg)
		}
	}
}

// wait lets the event stream drain. A command that failed before the
// engine opened its stream never closes the channel: hence the grace.
func (w *watcher) wait(grace time.Duration) {
	select {
	case <-w.done:
	case <-time.After(grace):
	}
}

// result is a snapshot of what was collected.
func (w *watcher) result() (steps []Step, summary map[string]int, diags []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	summary = map[string]int{}
	for op, n := range w.summary {
		summary[string(op)] = n
	}
	return append([]Step(nil), w.steps...), summary, append([]string(nil), w.diags...)
}

func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

// noChangeOps are the operations that change nothing in the cloud.
var noChangeOps = map[string]bool{"same": true, "read": true, "refresh": true}

// changed counts the changes in a summary.
func changed(summary map[string]int) int {
	n := 0
	for op, c := range summary {
		if !noChangeOps[op] {
			n += c
		}
	}
	return n
}

// changes are the preview's steps as the policy package reads them.
func changes(steps []Step) []policy.Change {
	out := make([]policy.Change, 0, len(steps))
	for _, s := range steps {
		keys := s.ReplaceKeys
		if len(keys) == 0 {
			keys = s.Diffs
		}
		out = append(out, policy.Change{URN: s.URN, Type: s.Type, Op: apitype.OpType(s.Op), Keys: keys})
	}
	return out
}

// changeGate judges a preview's steps by the policy's change rules (a
// stateful resource replaced, a database firewall deleted while its
// cluster stays), with the stack's waivers. A blocking verdict is the
// exit-4 error; engineErr is what the engine said besides (a protected
// resource cannot be replaced). cfg may be nil (no waivers).
func changeGate(stack string, steps []Step, cfg *config.Config, allowReplace bool, engineErr error) (policy.Report, error) {
	rep := policy.EvaluateChanges(changes(steps), cfg, policy.ChangeOptions{AllowReplace: allowReplace})
	var extra []string
	if engineErr != nil {
		extra = append(extra, "The engine also reported: "+engineErr.Error())
	}
	return rep, policyGate("the change to stack "+stack, rep, false, extra...)
}

const protectedText = "because it is protected"

// lockedTexts are what the Pulumi Cloud and file backends say about a
// locked stack; auto.IsConcurrentUpdateError looks for the same in stderr,
// but only on the SDK's own (unexported) error type, so wrapped errors and
// test fakes are recognised by their text.
var lockedTexts = []string{"[409] Conflict: Another update is currently in progress.", "the stack is currently locked by"}

func isLocked(err error) bool {
	if auto.IsConcurrentUpdateError(err) {
		return true
	}
	for _, t := range lockedTexts {
		if strings.Contains(err.Error(), t) {
			return true
		}
	}
	return false
}

// classify maps an Automation API error to an exit code and a message a
// person can act on. diags are the engine's error diagnostics.
func classify(err error, stack, doing string, diags ...string) error {
	var exit *ExitError
	if errors.As(err, &exit) {
		return err
	}
	switch {
	case isLocked(err):
		return &ExitError{Code: ExitLocked, Err: fmt.Errorf(
			"%s: stack %s is locked: another update is running on it. Wait for it to finish and run again. "+
				"If no update is running (one crashed or was killed), release the lock with "+
				"`pulumi cancel --stack %s` and run again", doing, stack, stack)}
	case strings.Contains(err.Error(), "no changes were expected"):
		return &ExitError{Code: ExitChanges, Err: fmt.Errorf("%s: stack %s has changes, and none were expected", doing, stack)}
	case strings.Contains(err.Error(), protectedText):
		var msgs []string
		for _, d := range diags {
			if strings.Contains(d, protectedText) {
				msgs = append(msgs, d)
			}
		}
		if len(msgs) == 0 {
			msgs = []string{engineMessage(err)}
		}
		return &ExitError{Code: ExitPolicy, Err: fmt.Errorf("%s: the engine refused to delete protected resources, which stay:\n%s",
			doing, strings.Join(msgs, "\n"))}
	}
	msg := engineMessage(err)
	if len(diags) > 0 {
		msg = strings.Join(diags, "\n")
	}
	return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%s of stack %s failed: %s", doing, stack, msg)}
}

// engineMessage shortens an Automation API error: its text repeats the
// whole stdout, which was already streamed; keep the cause and stderr.
func engineMessage(err error) string {
	text := err.Error()
	first, _, _ := strings.Cut(text, "\n")
	if _, stderr, ok := strings.Cut(text, "\nstderr: "); ok {
		if s := strings.TrimSpace(stderr); s != "" {
			return first + "\n" + s
		}
	}
	return first
}
