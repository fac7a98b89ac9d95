package cli

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/spf13/cobra"
)

// RefreshOptions are the flags of `infra refresh`.
type RefreshOptions struct {
	StackOptions
	ExpectNoChanges bool
}

// NewCmdRefresh builds `infra refresh`. runF replaces the action in tests.
func NewCmdRefresh(streams *IO, runF func(*RefreshOptions) error) *cobra.Command {
	opts := &RefreshOptions{StackOptions: newStackOptions(streams)}
	cmd := &cobra.Command{
		Use:   "refresh --stack NAME",
		Short: "Read the resources' real state from the cloud into the stack",
		Long: `refresh asks each provider for the current state of the stack's resources
and records it, so that the next preview compares the code with reality.
With --expect-no-changes it exits 5 when the cloud drifted from the state (the
drift is recorded all the same; ` + "`preview --refresh --expect-no-changes`" + ` only looks).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runRefresh(cmd.Context(), opts)
		},
	}
	opts.addReportFlags(cmd)
	cmd.Flags().BoolVar(&opts.ExpectNoChanges, "expect-no-changes", false, "exit 5 when the cloud differs from the state")
	return cmd
}

func runRefresh(ctx context.Context, o *RefreshOptions) error {
	op := "refresh"
	rep := newReport(o.Stack, op)
	s, _, err := o.open(ctx, false)
	if err != nil {
		return o.finish(rep, err)
	}
	ev := watch()
	opts := []optrefresh.Option{optrefresh.ProgressStreams(o.progressWriter()), optrefresh.EventStreams(ev.ch)}
	_, err = s.Refresh(ctx, opts...)
	ev.wait(drainGrace(err))
	rep.record(ev)
	_, _, diags := ev.result()
	err = finishOp(ctx, s, op, err, diags)
	if err == nil && o.ExpectNoChanges && rep.Changed > 0 {
		err = &ExitError{Code: ExitChanges, Err: fmt.Errorf(
			"stack %s drifted: %d resource(s) differ in the cloud from the state", o.Stack, rep.Changed)}
	}
	return o.finish(rep, err)
}
