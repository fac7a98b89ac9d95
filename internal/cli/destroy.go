package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/spf13/cobra"
)

// DestroyOptions are the flags of `infra destroy`.
type DestroyOptions struct {
	StackOptions
	AccessFlags
	Confirm          string
	ExcludeProtected bool
	Targets          []string
	TargetDependents bool
	Yes              bool
}

// NewCmdDestroy builds `infra destroy` (alias `cleanup`). runF replaces the
// action in tests.
func NewCmdDestroy(streams *IO, runF func(*DestroyOptions) error) *cobra.Command {
	opts := &DestroyOptions{StackOptions: newStackOptions(streams), AccessFlags: newAccessFlags()}
	cmd := &cobra.Command{
		Use:     "destroy --stack NAME [--yes] [--confirm NAME]",
		Aliases: []string{"cleanup"},
		Short:   "Delete the stack's resources (asks first; production needs --confirm)",
		Long: `destroy deletes the stack's resources through the Pulumi engine.

It first lists every resource it would delete (read from the stack's state)
and asks on the terminal "Do you want to destroy N resources of stack S?
[yes/no]"; only y or yes deletes them, any other answer deletes nothing
(exit 130). --yes (-y) skips the question. Without a terminal (CI, a pipe)
and without --yes, destroy refuses before deleting anything (exit 2).

A production stack (infra:class production) is destroyed only with
--confirm <stack>, in addition to the question or --yes; a mismatched
--confirm is refused on any stack (exit 2).

Protected resources (production databases, their firewalls) stay. While the
stack holds any, destroy refuses before touching anything (exit 4) and lists
them, unless:
  --exclude-protected   destroy everything else; the protected resources and
                        what they need (their VPC, parents, providers) stay
  --target URN          destroy only the named resources
To delete a protected resource for good, unprotect it first:
  pulumi state unprotect --stack <stack> '<urn>'

--access-from ADDRESS (a CI runner's) opens SSH to the stack's Droplets and
its database clusters to that address while the destroy runs; a destroy
that deletes a database firewall is refused with it (see docs/cli.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runDestroy(cmd.Context(), opts)
		},
	}
	opts.addReportFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&opts.Confirm, "confirm", "", "the stack's name, to confirm destroying a production stack")
	f.BoolVar(&opts.ExcludeProtected, "exclude-protected", false, "destroy all but the protected resources and what they depend on")
	f.StringArrayVar(&opts.Targets, "target", nil, "destroy only this resource URN (repeatable)")
	f.BoolVar(&opts.TargetDependents, "target-dependents", false, "with --target: also destroy what depends on the targets")
	addYesFlag(cmd, &opts.Yes, "destroy")
	opts.AccessFlags.addFlags(cmd)
	return cmd
}

func runDestroy(ctx context.Context, o *DestroyOptions) error {
	rep := newReport(o.Stack, opDestroy.name)
	if o.TargetDependents && len(o.Targets) == 0 {
		// Without a target the flag would widen nothing: the whole stack
		// would go, which is not what anyone typing it means.
		return o.finish(rep, usageError("--target-dependents needs --target URN: it adds what depends on the targets"))
	}
	acc, err := o.checkAccess(o.IO, o.progressWriter())
	if err != nil {
		return o.finish(rep, err)
	}
	proj, err := openProject(o.Dir, o.Stack)
	if err != nil {
		return o.finish(rep, err)
	}
	if err := confirmDestroy(proj, o.Confirm); err != nil {
		return o.finish(rep, err)
	}
	if err := refuseUnsetSecrets(proj); err != nil {
		return o.finish(rep, err)
	}
	s, _, err := o.open(ctx, false)
	if err != nil {
		return o.finish(rep, err)
	}
	state, err := readState(ctx, s)
	if err != nil {
		return o.finish(rep, classify(err, o.Stack, "read state"))
	}
	opts := []optdestroy.Option{optdestroy.ProgressStreams(o.progressWriter())}
	protected := state.protected()
	doomed := func(string) bool { return true }
	switch {
	case len(o.Targets) > 0:
		hit := state.targeted(o.Targets, o.TargetDependents)
		if hit := state.protectedAmong(hit); len(hit) > 0 {
			return o.finish(rep, protectedRefusal(o.Stack, hit))
		}
		doomed = func(urn string) bool { return hit[urn] }
		opts = append(opts, optdestroy.Target(o.Targets))
		if o.TargetDependents {
			opts = append(opts, optdestroy.TargetDependents())
		}
	case len(protected) > 0 && o.ExcludeProtected:
		keep := state.keepWith(protected)
		fmt.Fprintf(o.progressWriter(), "Keeping %d protected resource(s) and the %d they need:\n", len(protected), len(keep)-len(protected))
		for _, urn := range keep {
			fmt.Fprintf(o.progressWriter(), "  = %s\n", urn)
		}
		doomed = func(urn string) bool { return !slices.Contains(keep, urn) }
		opts = append(opts, optdestroy.Exclude(keep))
	case len(protected) > 0:
		return o.finish(rep, protectedRefusal(o.Stack, protected))
	}
	gone := state.filter(doomed)
	if acc != nil {
		if err := refuseFirewallChange(o.Stack, opDestroy.name, deletions(gone)); err != nil {
			return o.finish(rep, err)
		}
	}
	if len(gone) > 0 {
		question := fmt.Sprintf("Do you want to destroy %d resource(s) of stack %s?", len(gone), o.Stack)
		if err := o.confirm(ctx, o.Yes, opDestroy.name, question, func(w io.Writer) { writeDeletions(w, o.Stack, gone) }); err != nil {
			return o.finish(rep, err)
		}
	}
	closeAccess, err := acc.open(ctx, o.Stack, state, nil)
	if err != nil {
		return o.finish(rep, err)
	}
	err = opDestroy.run(ctx, s, rep, func(ev chan<- events.EngineEvent) error {
		_, err := s.Destroy(ctx, append(opts, optdestroy.EventStreams(ev))...)
		return err
	})
	return o.finish(rep, withClose(err, closeAccess))
}

// deletions are the delete calls a destroy makes, as refuseFirewallChange
// reads them. A resource deleted with another that goes too is not
// deleted on its own (the engine skips it): a database firewall that goes
// with its cluster leaves the cluster's rules alone until the cluster goes.
func deletions(gone []apitype.ResourceV3) []Step {
	doomed := map[string]bool{}
	for _, r := range gone {
		doomed[string(r.URN)] = true
	}
	var out []Step
	for _, r := range gone {
		if r.DeletedWith != "" && doomed[string(r.DeletedWith)] {
			continue
		}
		out = append(out, Step{Op: string(apitype.OpDelete), Type: string(r.Type), Name: urnName(string(r.URN)), URN: string(r.URN)})
	}
	return out
}

// confirmDestroy asks a production stack for --confirm <stack>, and
// refuses a --confirm naming another stack anywhere.
func confirmDestroy(p Project, confirm string) error {
	if confirm != "" && confirm != p.Stack {
		return usageError("--confirm %s does not match the stack %s", confirm, p.Stack)
	}
	if production(p) && confirm == "" {
		return usageError("stack %s is production: destroying it deletes its servers, database and data. "+
			"If that is what you want, run again with --confirm %s", p.Stack, p.Stack)
	}
	return nil
}

func protectedRefusal(stack string, protected []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "stack %s: %d protected resource(s) would be deleted, and destroy does not delete them:", stack, len(protected))
	for _, urn := range protected {
		fmt.Fprintf(&b, "\n  - %s", urn)
	}
	fmt.Fprintf(&b, "\nNothing was deleted. Either:"+
		"\n  - destroy all the rest and keep them: infra destroy --stack %[1]s --confirm %[1]s --exclude-protected"+
		"\n  - or delete them too: unprotect each first, `pulumi state unprotect --stack %[1]s '<urn>'`, then destroy again", stack)
	return &ExitError{Code: ExitPolicy, Err: fmt.Errorf("%s", b.String())}
}

// state is a stack's checkpoint, as much of it as destroy needs.
type state struct {
	Resources         []apitype.ResourceV3  `json:"resources"`
	PendingOperations []apitype.OperationV2 `json:"pending_operations"`
	// exported is the deployment as the backend gave it, for an edit.
	exported apitype.UntypedDeployment
}

func readState(ctx context.Context, s Stack) (*state, error) {
	dep, err := s.Export(ctx)
	if err != nil {
		return nil, err
	}
	st := &state{exported: dep}
	if len(dep.Deployment) == 0 {
		return st, nil
	}
	if err := json.Unmarshal(dep.Deployment, st); err != nil {
		return nil, fmt.Errorf("decode the stack's state: %w", err)
	}
	return st, nil
}

// protectedAmong lists the protected resources among hit. The engine
// would refuse them, but only after deleting their dependents: refuse first.
func (s *state) protectedAmong(hit map[string]bool) []string {
	var out []string
	for _, urn := range s.protected() {
		if hit[urn] {
			out = append(out, urn)
		}
	}
	return out
}

// targeted is what a destroy of targets deletes: the targets, and what
// depends on them when dependents are destroyed too.
func (s *state) targeted(targets []string, dependents bool) map[string]bool {
	hit := map[string]bool{}
	for _, t := range targets {
		hit[t] = true
	}
	for grew := dependents; grew; {
		grew = false
		for _, r := range s.Resources {
			if hit[string(r.URN)] {
				continue
			}
			for _, need := range needs(r) {
				if hit[need] {
					hit[string(r.URN)], grew = true, true
					break
				}
			}
		}
	}
	return hit
}

// filter returns the resources whose URN keep accepts, in the state's
// order.
func (s *state) filter(keep func(urn string) bool) []apitype.ResourceV3 {
	var out []apitype.ResourceV3
	for _, r := range s.Resources {
		if keep(string(r.URN)) {
			out = append(out, r)
		}
	}
	return out
}

// writeDeletions lists the resources a destroy deletes, as the state
// holds them.
func writeDeletions(w io.Writer, stack string, gone []apitype.ResourceV3) {
	fmt.Fprintf(w, "\nStack %s: %d resource(s) to delete:\n", stack, len(gone))
	for _, r := range gone {
		fmt.Fprintf(w, "  DELETE  %s %s\n", r.Type, urnName(string(r.URN)))
	}
}

// needs are the resources r cannot exist without: its parent,
// dependencies and provider.
func needs(r apitype.ResourceV3) []string {
	out := []string{string(r.Parent)}
	for _, d := range r.Dependencies {
		out = append(out, string(d))
	}
	for _, deps := range r.PropertyDependencies {
		for _, d := range deps {
			out = append(out, string(d))
		}
	}
	if i := strings.LastIndex(r.Provider, "::"); i > 0 {
		out = append(out, r.Provider[:i])
	}
	return out
}

func (s *state) protected() []string {
	var out []string
	for _, r := range s.Resources {
		if r.Protect && !r.Delete {
			out = append(out, string(r.URN))
		}
	}
	sort.Strings(out)
	return out
}

// keepWith returns roots and everything they need to go on existing: their
// parents, dependencies and providers, transitively, and whatever is deleted
// with them (deleting it alone would run its delete, e.g. open a database
// firewall).
func (s *state) keepWith(roots []string) []string {
	byURN := map[string]apitype.ResourceV3{}
	for _, r := range s.Resources {
		byURN[string(r.URN)] = r
	}
	keep := map[string]bool{}
	var visit func(urn string)
	visit = func(urn string) {
		if urn == "" || keep[urn] {
			return
		}
		r, ok := byURN[urn]
		if !ok {
			return
		}
		keep[urn] = true
		for _, need := range needs(r) {
			visit(need)
		}
	}
	for _, urn := range roots {
		visit(urn)
	}
	for changed := true; changed; {
		changed = false
		for _, r := range s.Resources {
			if w := string(r.DeletedWith); w != "" && keep[w] && !keep[string(r.URN)] {
				visit(string(r.URN))
				changed = true
			}
		}
	}
	out := make([]string, 0, len(keep))
	for urn := range keep {
		out = append(out, urn)
	}
	sort.Strings(out)
	return out
}
