package cli

import (
	"context"
	"fmt"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/spf13/cobra"
)

// RefreshOptions are the flags of `infra refresh`.
type RefreshOptions struct {
	StackOptions
	AccessFlags
	ExpectNoChanges bool
	// ClearPendingCreates drops pending creates from the state;
	// ImportPendingCreates (URN=ID) adopts them.
	ClearPendingCreates  bool
	ImportPendingCreates []string
}

// NewCmdRefresh builds `infra refresh`. runF replaces the action in tests.
func NewCmdRefresh(streams *IO, runF func(*RefreshOptions) error) *cobra.Command {
	opts := &RefreshOptions{StackOptions: newStackOptions(streams), AccessFlags: newAccessFlags()}
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
pending create, so a refresh that does not say what becomes of each refuses too.

--access-from ADDRESS (a CI runner's) opens SSH to the stack's Droplets and
its database clusters to that address while the refresh runs. The database
firewalls are refreshed first, on their own, before the address is added to
them: read afterwards, the temporary trusted source would look like drift.`,
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
	opts.AccessFlags.addFlags(cmd)
	return cmd
}

func runRefresh(ctx context.Context, o *RefreshOptions) error {
	rep := newReport(o.Stack, opRefresh.name)
	ids, err := parseImports(o.ImportPendingCreates)
	if err != nil {
		return o.finish(rep, err)
	}
	acc, err := o.checkAccess(o.IO, o.progressWriter())
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
	if acc == nil {
		err = refreshStack(ctx, s, rep, opts)
	} else {
		err = o.refreshWithAccess(ctx, s, st, rep, acc, opts)
	}
	if err == nil && o.ExpectNoChanges && rep.Changed > 0 {
		err = &ExitError{Code: ExitChanges, Err: fmt.Errorf(
			"stack %s drifted: %d resource(s) differ in the cloud from the state", o.Stack, rep.Changed)}
	}
	return o.finish(rep, err)
}

func refreshStack(ctx context.Context, s Stack, rep *Report, opts []optrefresh.Option) error {
	return opRefresh.run(ctx, s, rep, func(ev chan<- events.EngineEvent) error {
		_, err := s.Refresh(ctx, append(opts, optrefresh.EventStreams(ev))...)
		return err
	})
}

// refreshWithAccess refreshes in two passes: the database firewalls
// first, before the temporary trusted source is added (their Read returns
// the cluster's whole rule set, which would record that source as drift;
// reading them needs only the DigitalOcean API), then, with the access
// open, everything else. rep holds both passes.
func (o *RefreshOptions) refreshWithAccess(ctx context.Context, s Stack, st *state, rep *Report, acc *accessRun, opts []optrefresh.Option) error {
	firewalls := databaseFirewalls(st)
	first := newReport(o.Stack, opRefresh.name)
	if len(firewalls) > 0 {
		if err := refreshStack(ctx, s, first, append(slices.Clone(opts), optrefresh.Target(firewalls))); err != nil {
			return err
		}
	}
	closeAccess, err := acc.open(ctx, o.Stack, st, nil)
	if err != nil {
		return err
	}
	rest := opts
	if len(firewalls) > 0 {
		rest = append(slices.Clone(opts), optrefresh.Exclude(firewalls))
	}
	err = withClose(refreshStack(ctx, s, rep, rest), closeAccess)
	rep.Steps = append(first.Steps, rep.Steps...)
	for op, n := range first.Changes {
		rep.Changes[op] += n
	}
	rep.Changed = changed(rep.Changes)
	return err
}
