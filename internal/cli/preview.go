package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/spf13/cobra"

	"infra/stacks/config"
)

// PreviewOptions are the flags of `infra preview`.
type PreviewOptions struct {
	StackOptions
	ChangeFlags
	AccessFlags
}

// ChangeFlags are the flags and checks preview and up share: both preview
// the change through the engine and judge it before anything is applied.
type ChangeFlags struct {
	ExpectNoChanges bool
	AllowReplace    bool
	Diff            bool
	Refresh         bool
	Targets         []string
	Preflight       PreflightFunc
}

func newChangeFlags(streams *IO) ChangeFlags {
	return ChangeFlags{Preflight: policyPreflight(streams.ErrOut)}
}

// addFlags declares the shared flags; verb says what --target limits and
// expectNoChanges what --expect-no-changes does.
func (c *ChangeFlags) addFlags(cmd *cobra.Command, verb, expectNoChanges string) {
	f := cmd.Flags()
	f.BoolVar(&c.ExpectNoChanges, "expect-no-changes", false, expectNoChanges)
	f.BoolVar(&c.AllowReplace, "allow-replace", false, "allow replacing stateful resources (database and Kubernetes clusters, Droplets, Kubernetes Services and workloads)")
	f.BoolVar(&c.Diff, "diff", false, "show a detailed diff of each change")
	f.BoolVar(&c.Refresh, "refresh", false, "refresh the state from the cloud first")
	f.StringArrayVar(&c.Targets, "target", nil, verb+" only this resource URN (repeatable)")
}

// previewFlags are the engine options the shared flags give a preview.
func (c *ChangeFlags) previewFlags() previewFlags {
	return previewFlags{diff: c.Diff, refresh: c.Refresh, targets: c.Targets}
}

// NewCmdPreview builds `infra preview`. runF replaces the action in tests.
func NewCmdPreview(streams *IO, runF func(*PreviewOptions) error) *cobra.Command {
	opts := &PreviewOptions{StackOptions: newStackOptions(streams), ChangeFlags: newChangeFlags(streams), AccessFlags: newAccessFlags()}
	cmd := &cobra.Command{
		Use:   "preview --stack NAME",
		Short: "Show what `up` would change, through the Pulumi engine",
		Long: `preview validates the stack's config offline, then asks the Pulumi engine what
up would create, update, replace or delete, streaming its progress.

It refuses (exit 4) when a stateful resource would be REPLACED (a database or
Kubernetes cluster, a Droplet, a Kubernetes Service or workload), unless
--allow-replace or a stateful-replace waiver names it. With --expect-no-changes it
exits 5 when anything would change: the nightly drift check.

--access-from ADDRESS (a CI runner's) opens SSH to the stack's Droplets and
its database clusters to that address while the preview runs (see up).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runPreview(cmd.Context(), opts)
		},
	}
	opts.addReportFlags(cmd)
	opts.ChangeFlags.addFlags(cmd, "preview", "exit 5 when the preview has changes (drift check)")
	opts.AccessFlags.addFlags(cmd)
	return cmd
}

func runPreview(ctx context.Context, o *PreviewOptions) error {
	rep := newReport(o.Stack, opPreview.name)
	acc, err := o.checkAccess(o.IO, o.progressWriter())
	if err == nil && acc != nil && o.Refresh {
		err = refreshWithAccess()
	}
	if err != nil {
		return o.finish(rep, err)
	}
	s, p, err := o.beginChange(ctx, opPreview, o.Preflight)
	if err != nil {
		return o.finish(rep, err)
	}
	var st *state
	if acc != nil {
		if st, err = readState(ctx, s); err != nil {
			return o.finish(rep, classify(err, o.Stack, "read state"))
		}
	}
	closeAccess, err := acc.open(ctx, o.Stack, st, p)
	if err != nil {
		return o.finish(rep, err)
	}
	err = previewStack(ctx, s, rep, o.progressWriter(), o.previewFlags())
	if err == nil && acc != nil {
		// A preview changes nothing; the up it announces will be refused.
		if refusal := refuseFirewallChange(o.Stack, opUp.name, rep.Steps); refusal != nil {
			fmt.Fprintf(o.IO.ErrOut, "warning: %v\n", refusal)
		}
	}
	err = guard(o.IO.ErrOut, rep, p.Config, err, o.AllowReplace, o.ExpectNoChanges)
	return o.finish(rep, withClose(err, closeAccess))
}

type previewFlags struct {
	diff, refresh bool
	targets       []string
}

// previewStack runs the engine's preview, streaming its progress to w and
// recording its steps and summary in rep.
func previewStack(ctx context.Context, s Stack, rep *Report, w io.Writer, f previewFlags) error {
	opts := []optpreview.Option{optpreview.ProgressStreams(w)}
	if f.diff {
		opts = append(opts, optpreview.Diff())
	}
	if f.refresh {
		opts = append(opts, optpreview.Refresh())
	}
	if len(f.targets) > 0 {
		opts = append(opts, optpreview.Target(f.targets))
	}
	return opPreview.run(ctx, s, rep, func(ev chan<- events.EngineEvent) error {
		_, err := s.Preview(ctx, append(opts, optpreview.EventStreams(ev))...)
		return err
	})
}

// guard applies the checks on a preview's steps: the policy's change
// rules (exit 4; cfg gives the waivers) and, when asked, no changes at all
// (exit 5). A preview that failed may still have shown its steps (the
// engine reports a replacement of a protected resource as an error, after
// the step): the replacement is what the user must hear about, with the
// engine's words.
func guard(w io.Writer, rep *Report, cfg *config.Config, previewErr error, allowReplace, expectNoChanges bool) error {
	if code := ExitCode(previewErr); code == ExitCancelled || code == ExitLocked {
		return previewErr
	}
	verdict, err := changeGate(rep.Stack, rep.Steps, cfg, allowReplace, previewErr)
	// A waiver in use is printed with its reason on every run.
	for _, f := range verdict.Waived {
		fmt.Fprintf(w, "  WAIVED    %s\n            reason: %s\n", f, f.Reason)
	}
	if err != nil {
		return err
	}
	if previewErr != nil {
		return previewErr
	}
	if expectNoChanges && rep.Changed > 0 {
		return &ExitError{Code: ExitChanges, Err: fmt.Errorf(
			"stack %s has %d change(s) and none were expected: the cloud and the code differ (drift) or a change is pending",
			rep.Stack, rep.Changed)}
	}
	return nil
}
