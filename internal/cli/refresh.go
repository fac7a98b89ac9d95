package cli

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/spf13/cobra"
)

// RefreshOptions are the flags of `infra refresh`.
type RefreshOptions struct {
	StackOptions
	ExpectNoChanges bool
	// ClearPendingCreates drops pending creates from the state;
	// ImportPendingCreates (URN=ID) adopts them.
	ClearPendingCreates  bool
	ImportPendingCreates []string
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
drift is recorded all the same; ` + "`preview --refresh --expect-no-changes`" + ` only looks).

After an interrupted update (kill -9, ` + "`pulumi cancel`" + `) the state can hold pending
creates: resources the provider may have created that the state does not hold.
preview and up refuse to run then (exit 7); resolve each after looking for it in
the cloud: --import-pending-create URN=ID adopts one that exists,
--clear-pending-creates drops the others. The engine's refresh drops every
pending create, so a refresh that does not say what becomes of each refuses too.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runRefresh(cmd.Context(), opts)
		},
	}
	opts.addReportFlags(cmd)
	f := cmd.Flags()
	f.BoolVar(&opts.ExpectNoChanges, "expect-no-changes", false, "exit 5 when the cloud differs from the state")
	f.BoolVar(&opts.ClearPendingCreates, "clear-pending-creates", false, "drop the pending creates left by an interrupted update that are not imported (check first that they do not exist in the cloud)")
	f.StringArrayVar(&opts.ImportPendingCreates, "import-pending-create", nil, "adopt a pending create that exists in the cloud: URN=ID (repeatable)")
	return cmd
}

func runRefresh(ctx context.Context, o *RefreshOptions) error {
	rep := newReport(o.Stack, opRefresh.name)
	ids, err := parseImports(o.ImportPendingCreates)
	if err != nil {
		return o.finish(rep, err)
	}
	proj, err := openProject(o.Dir, o.Stack)
	if err != nil {
		return o.finish(rep, err)
	}
	if err := refuseUnsetSecrets(proj); err != nil {
		return o.finish(rep, err)
	}
	s, _, err := o.open(ctx, false)
	if err != nil {
		return o.finish(rep, err)
	}
	// A refresh drops every pending create from the state without a
	// trace: each must have been decided on, adopted or dropped.
	st, err := readState(ctx, s)
	if err != nil {
		return o.finish(rep, classify(err, o.Stack, "read state"))
	}
	if err := undecided(o.Stack, pendingCreates(st.pending()), ids, o.ClearPendingCreates); err != nil {
		return o.finish(rep, err)
	}
	if len(ids) > 0 {
		if err := importPendingCreates(ctx, s, st, ids); err != nil {
			return o.finish(rep, classify(err, o.Stack, "import pending creates"))
		}
	}
	opts := []optrefresh.Option{optrefresh.ProgressStreams(o.progressWriter())}
	if o.ClearPendingCreates {
		opts = append(opts, optrefresh.ClearPendingCreates())
	}
	err = opRefresh.run(ctx, s, rep, func(ev chan<- events.EngineEvent) error {
		_, err := s.Refresh(ctx, append(opts, optrefresh.EventStreams(ev))...)
		return err
	})
	if err == nil && o.ExpectNoChanges && rep.Changed > 0 {
		err = &ExitError{Code: ExitChanges, Err: fmt.Errorf(
			"stack %s drifted: %d resource(s) differ in the cloud from the state", o.Stack, rep.Changed)}
	}
	return o.finish(rep, err)
}
