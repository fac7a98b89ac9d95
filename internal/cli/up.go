package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/spf13/cobra"

	"infra/internal/plan"
)

// UpOptions are the flags of `infra up`.
type UpOptions struct {
	StackOptions
	ChangeFlags
	AccessFlags
	Message string
	Yes     bool
}

// NewCmdUp builds `infra up` (alias `deploy`). runF replaces the action in tests.
func NewCmdUp(streams *IO, runF func(*UpOptions) error) *cobra.Command {
	opts := &UpOptions{StackOptions: newStackOptions(streams), ChangeFlags: newChangeFlags(streams), AccessFlags: newAccessFlags()}
	cmd := &cobra.Command{
		Use:     "up --stack NAME",
		Aliases: []string{"deploy"},
		Short:   "Create or update the stack's resources",
		Long: `up validates the stack's config offline and runs the preflight (policy)
checks, previews the change through the Pulumi engine, refuses what the policy's
change rules refuse (REPLACING a database or Kubernetes cluster, a Droplet, a
Kubernetes Service or workload; deleting a database firewall while its cluster
stays) unless --allow-replace or a waiver, and then applies it, streaming the
engine's progress. Ctrl-C stops it cleanly: the engine finishes its in-flight
steps and saves the state (exit 130).

Before a preview with changes is applied, up shows a summary (counts by
operation, every resource replaced or deleted) and asks on the terminal
"Do you want to perform this update? [yes/no]"; only y or yes applies it,
any other answer changes nothing (exit 130). --yes (-y) skips the question.
Without a terminal (CI, a pipe) and without --yes, up refuses before
changing anything (exit 2). A preview without changes needs no answer.

The stack is created in the backend on first use (PULUMI_BACKEND_URL or your
Pulumi Cloud login; a file:// backend needs PULUMI_CONFIG_PASSPHRASE).

--access-from ADDRESS (a CI runner's) opens SSH to the stack's Droplets and
its database clusters to that address for the preview and the update only,
and removes it when up ends, also on failure or Ctrl-C. An update that would
change a database firewall is refused with it (see docs/cli.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runUp(cmd.Context(), opts)
		},
	}
	opts.addReportFlags(cmd)
	opts.ChangeFlags.addFlags(cmd, "update", "exit 5, changing nothing, when there are changes")
	f := cmd.Flags()
	f.StringVarP(&opts.Message, "message", "m", "", "message recorded with the update")
	addYesFlag(cmd, &opts.Yes, "apply the previewed changes")
	opts.AccessFlags.addFlags(cmd)
	return cmd
}

func runUp(ctx context.Context, o *UpOptions) error {
	rep := newReport(o.Stack, opUp.name)
	acc, err := o.checkAccess(o.IO, o.progressWriter())
	if err == nil && acc != nil && o.Refresh {
		err = refreshWithAccess()
	}
	if err != nil {
		return o.finish(rep, err)
	}
	s, p, err := o.beginChange(ctx, opUp, o.Preflight)
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
	err = o.update(ctx, s, p, rep, acc != nil)
	return o.finish(rep, withClose(err, closeAccess))
}

// update previews, judges and applies the change. withAccess: the run
// holds temporary access, which a database firewall change would undo.
func (o *UpOptions) update(ctx context.Context, s Stack, p *plan.Plan, rep *Report, withAccess bool) error {
	// The guards judge the preview; up applies only what passed them.
	pre := newReport(o.Stack, opPreview.name)
	flags := o.previewFlags()
	err := previewStack(ctx, s, pre, o.progressWriter(), flags)
	err = guard(o.IO.ErrOut, pre, p.Config, err, o.AllowReplace, o.ExpectNoChanges)
	if err == nil && withAccess {
		err = refuseFirewallChange(o.Stack, opUp.name, pre.Steps)
	}
	if err == nil && countChanges(pre) > 0 {
		err = o.confirm(ctx, o.Yes, opUp.name, "Do you want to perform this update?", func(w io.Writer) { writeChangeSummary(w, pre) })
	}
	if err != nil {
		rep.Steps, rep.Changes, rep.Changed = pre.Steps, pre.Changes, pre.Changed
		return err
	}
	fmt.Fprintf(o.progressWriter(), "\nPreview passed the checks (%d change(s)); updating stack %s.\n\n", pre.Changed, o.Stack)

	opts := []optup.Option{optup.ProgressStreams(o.progressWriter())}
	if o.ExpectNoChanges {
		opts = append(opts, optup.ExpectNoChanges())
	}
	if o.Diff {
		opts = append(opts, optup.Diff())
	}
	if o.Refresh {
		opts = append(opts, optup.Refresh())
	}
	if len(o.Targets) > 0 {
		opts = append(opts, optup.Target(o.Targets))
	}
	if o.Message != "" {
		opts = append(opts, optup.Message(o.Message))
	}
	var res auto.UpResult
	err = opUp.run(ctx, s, rep, func(ev chan<- events.EngineEvent) (err error) {
		res, err = s.Up(ctx, append(opts, optup.EventStreams(ev))...)
		return err
	})
	if err == nil {
		rep.Outputs = RedactOutputs(res.Outputs, false)
		// An update may still replace what the preview did not show
		// (a value known only during the update): report it loudly.
		if after, _ := changeGate(o.Stack, rep.Steps, p.Config, o.AllowReplace, nil); after.Blocked() {
			fmt.Fprintf(o.IO.ErrOut, "warning: the update did what the preview did not show and the policy refuses (%d finding(s)):\n", len(after.Violations))
			for _, f := range after.Violations {
				fmt.Fprintf(o.IO.ErrOut, "  - [%s] %s\n", f.Rule, f.Message)
			}
		}
	}
	return err
}
