package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/opthistory"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/spf13/cobra"

	"infra/internal/release"
	"infra/stacks"
	"infra/stacks/config"
)

// RollbackOptions are the flags of `infra rollback`.
type RollbackOptions struct {
	StackOptions
	// To is the release (update version) to return to; 0 is the previous one.
	To           int
	List         bool
	Yes          bool
	AllowReplace bool
	// IncludePending lets the rollback deploy what the stack file changed
	// since the last update besides the release; without it that refuses.
	IncludePending bool
	Preflight      PreflightFunc
}

// NewCmdRollback builds `infra rollback`. runF replaces the action in tests.
func NewCmdRollback(streams *IO, runF func(*RollbackOptions) error) *cobra.Command {
	opts := &RollbackOptions{StackOptions: newStackOptions(streams), Preflight: policyPreflight(streams.ErrOut)}
	cmd := &cobra.Command{
		Use:   "rollback --stack NAME [--to VERSION] [--list] [--include-pending]",
		Short: "Redeploy a previous release's service images and env",
		Long: `rollback redeploys the services' images, env and secretEnv of an earlier
release, and nothing else: databases, their data and the secrets' values are
not touched (a database restore is a separate step). A release is a succeeded
update in the stack's history, numbered by its version; the history keeps the
config each update ran with. Without --to, rollback returns to the newest
release that deploys other images or env than the current one; --to VERSION
picks any. --list shows the releases (time, images, changed env keys).

The rollback is an override for this one update: Pulumi.<stack>.yaml is not
written. rollback prints the lines of it to change to keep the rollback;
until they are changed, the next up deploys the stack file again.

A rollback ships only the rollback: when the stack file changed anything
else since the stack's last succeeded update (a new service, a size, a
schedule), rollback refuses before the preview (exit 5) and lists every
such config path; deploy them with up first, or revert them, or pass
--include-pending to deploy them with the rollback. infra:secrets can't be
compared: the history keeps it encrypted, and rollback never decrypts it.

Like up, rollback previews the change, applies the policy's change rules
(--allow-replace), and asks before applying it; --yes skips the question, and
without a terminal and without --yes it refuses (exit 2).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runRollback(cmd.Context(), opts)
		},
	}
	opts.addReportFlags(cmd)
	f := cmd.Flags()
	f.IntVar(&opts.To, "to", 0, "the release (update version, see --list) to return to (default: the previous release)")
	f.BoolVar(&opts.List, "list", false, "list the releases and change nothing")
	f.BoolVar(&opts.AllowReplace, "allow-replace", false, "let the rollback replace what the policy's change rules protect")
	f.BoolVar(&opts.IncludePending, "include-pending", false, "deploy the stack file's other changes since the last update with the rollback")
	addYesFlag(cmd, &opts.Yes, "roll back")
	return cmd
}

func runRollback(ctx context.Context, o *RollbackOptions) error {
	if o.To < 0 {
		return usageError("--to: a release is an update version, 1 or more; got %d", o.To)
	}
	rep := newReport(o.Stack, "rollback")
	// The program reads the release once it is picked, before the engine runs it.
	var target release.Release
	o.program = stacks.ProgramWith(func(raw *config.Raw) error {
		svcs, _, _, err := release.Apply(raw.Values[servicesField], target)
		raw.Values[servicesField] = svcs
		return err
	})
	s, proj, err := o.open(ctx, false)
	if err != nil {
		return o.finish(rep, err)
	}
	hist, err := s.History(ctx, 0, 0, opthistory.ShowSecrets(false))
	if err != nil {
		return o.finish(rep, classify(err, o.Stack, "read the history"))
	}
	rels, err := release.FromHistory(hist)
	if err != nil {
		return o.finish(rep, &ExitError{Code: ExitFailure, Err: fmt.Errorf("read the releases of stack %s: %w", o.Stack, err)})
	}
	if o.List {
		return writeReleases(o.IO.Out, o.JSON, rels, o.To)
	}
	if target, err = release.Pick(rels, o.To); err != nil {
		return o.finish(rep, &ExitError{Code: ExitFailure, Err: fmt.Errorf("rollback of stack %s: %w", o.Stack, err)})
	}
	rep.Rollback = rollbackTarget(target)
	raw, err := config.ReadFile(proj.StackFile())
	if err != nil {
		return o.finish(rep, err)
	}
	svcs, edits, notes, err := release.Apply(raw.Values[servicesField], target)
	if err != nil {
		return o.finish(rep, &ExitError{Code: ExitConfig, Err: err})
	}
	raw.Values[servicesField] = svcs
	p, err := checkRawBeforeEngine(proj, raw, o.Preflight)
	if err != nil {
		return o.finish(rep, err)
	}
	pending, err := release.PendingChanges(raw.Values, hist, target)
	if err != nil {
		return o.finish(rep, &ExitError{Code: ExitFailure, Err: fmt.Errorf("rollback of stack %s: compare the stack file with the last update: %w", o.Stack, err)})
	}
	rep.Rollback.Pending, rep.Rollback.Unchecked = pending.Keys, pending.Unchecked
	rep.Rollback.PendingIncluded = o.IncludePending && len(pending.Keys) > 0
	if len(pending.Keys) > 0 && !o.IncludePending {
		return o.finish(rep, refusePendingConfig(o.Stack, target, pending))
	}
	if err := refusePending(ctx, s, o.Stack, "rollback"); err != nil {
		return o.finish(rep, err)
	}
	w := o.progressWriter()
	writeRollbackPlan(o.IO.ErrOut, target, edits, notes, pending)

	pre := newReport(o.Stack, opPreview.name)
	err = previewStack(ctx, s, pre, w, previewFlags{})
	err = guard(o.IO.ErrOut, pre, p.Config, err, o.AllowReplace, false)
	if err == nil && countChanges(pre) > 0 {
		err = o.confirm(ctx, o.Yes, "rollback", rollbackQuestion(target, rep.Rollback),
			func(w io.Writer) { writeChangeSummary(w, pre) })
	}
	if err != nil {
		rep.Steps, rep.Changes, rep.Changed = pre.Steps, pre.Changes, pre.Changed
		return o.finish(rep, err)
	}
	var res auto.UpResult
	err = opUp.run(ctx, s, rep, func(ev chan<- events.EngineEvent) (err error) {
		res, err = s.Up(ctx, optup.ProgressStreams(w), optup.Message(release.Message(target.Version)), optup.EventStreams(ev))
		return err
	})
	if err == nil {
		rep.Outputs = RedactOutputs(res.Outputs, false)
		writeKeepHint(o.IO.ErrOut, proj.StackFile(), target, edits)
	}
	return o.finish(rep, err)
}

// writeRollbackPlan says what the rollback changes in the services, and
// what of the stack file's pending changes goes with it (--include-pending),
// before the engine's preview.
func writeRollbackPlan(w io.Writer, target release.Release, edits []release.Edit, notes []string, pending release.Pending) {
	fmt.Fprintf(w, "Rolling back to release %d (%s)", target.Version, target.Time)
	if len(edits) == 0 {
		fmt.Fprint(w, ": the stack file already has its images and env")
	}
	fmt.Fprintln(w)
	for _, e := range edits {
		fmt.Fprintf(w, "  %s\n", describeEdit(e))
	}
	if len(pending.Keys) > 0 {
		fmt.Fprintf(w, "  with the stack file's changes since update %d (--include-pending):\n", pending.Update)
		for _, k := range pending.Keys {
			fmt.Fprintf(w, "    %s\n", k)
		}
	}
	for _, n := range notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	for _, k := range pending.Unchecked {
		fmt.Fprintf(w, "  note: %s not compared with update %d: the history keeps it encrypted; a value changed in the stack file since goes out with the rollback\n", k, pending.Update)
	}
}

// refusePendingConfig is the refusal of a rollback that would deploy
// more than the release: exit 5, as rotate's with changes besides the
// rotation.
func refusePendingConfig(stack string, target release.Release, pending release.Pending) error {
	return &ExitError{Code: ExitChanges, Err: fmt.Errorf(
		"rollback of stack %s to release %d: the stack file changed %d config path(s) since the last update (%d), which a rollback does not deploy: %s; "+
			"deploy them first with `infra up` (or revert them), or roll back with them: --include-pending",
		stack, target.Version, len(pending.Keys), pending.Update, strings.Join(pending.Keys, ", "))}
}

// rollbackQuestion is the confirmation's question; it names the pending
// changes --include-pending deploys too.
func rollbackQuestion(target release.Release, t *RollbackTarget) string {
	if !t.PendingIncluded {
		return fmt.Sprintf("Do you want to roll back to release %d?", target.Version)
	}
	return fmt.Sprintf("Do you want to roll back to release %d, with the stack file's pending changes (%s)?", target.Version, strings.Join(t.Pending, ", "))
}

func describeEdit(e release.Edit) string {
	_, key, _ := strings.Cut(e.Path, "].")
	switch {
	case key == "image":
		return fmt.Sprintf("%s: image %s -> %s", e.Service, e.From, e.To)
	case e.Remove:
		return fmt.Sprintf("%s: %s removed", e.Service, key)
	case e.From == "":
		return fmt.Sprintf("%s: %s added", e.Service, key)
	}
	return fmt.Sprintf("%s: %s changed", e.Service, key)
}

// writeKeepHint tells which lines of the stack file to change to keep the
// rollback: the file is the source of truth and was not written.
func writeKeepHint(w io.Writer, file string, target release.Release, edits []release.Edit) {
	if len(edits) == 0 {
		return
	}
	fmt.Fprintf(w, "\nRolled back to release %d for this update only: %s still says otherwise, and the next up deploys it.\n", target.Version, file)
	fmt.Fprintln(w, "To keep the rollback, change these config paths in it:")
	for _, e := range edits {
		if e.Remove {
			fmt.Fprintf(w, "  %s: remove\n", e.Path)
			continue
		}
		fmt.Fprintf(w, "  %s: %q\n", e.Path, e.To)
	}
}

// RollbackTarget is the release a rollback deploys, in its --json report:
// its number (the update version) and the image of each service; the
// config paths the stack file changed since the last update besides the
// release (pending), whether the rollback deploys them (--include-pending),
// and the keys that could not be compared (unchecked: infra:secrets).
type RollbackTarget struct {
	Release         int               `json:"release"`
	Time            string            `json:"time"`
	Images          map[string]string `json:"images"`
	Pending         []string          `json:"pending,omitempty"`
	PendingIncluded bool              `json:"pendingIncluded,omitempty"`
	Unchecked       []string          `json:"unchecked,omitempty"`
}

func rollbackTarget(r release.Release) *RollbackTarget {
	return &RollbackTarget{Release: r.Version, Time: r.Time, Images: images(r)}
}

// images maps each service of a release to its image.
func images(r release.Release) map[string]string {
	out := make(map[string]string, len(r.Services))
	for _, s := range r.Services {
		out[s.Name] = s.Image
	}
	return out
}

// listedRelease is a release in `rollback --list --json`: the release, its
// images by service, whether it is deployed now (the newest) and whether a
// rollback with the same --to would deploy it.
type listedRelease struct {
	release.Release
	Images  map[string]string `json:"images"`
	Current bool              `json:"current,omitempty"`
	Target  bool              `json:"target,omitempty"`
}

// writeReleases prints the releases, newest first; to is --to (0: the
// default target).
func writeReleases(w io.Writer, asJSON bool, rels []release.Release, to int) error {
	out := make([]release.Release, 0, len(rels))
	for i := len(rels) - 1; i >= 0; i-- {
		out = append(out, rels[i])
	}
	target := 0
	if t, err := release.Pick(rels, to); err == nil {
		target = t.Version
	}
	if asJSON {
		listed := make([]listedRelease, 0, len(out))
		for i, r := range out {
			listed = append(listed, listedRelease{Release: r, Images: images(r), Current: i == 0, Target: r.Version == target})
		}
		return writeJSON(w, listed)
	}
	if len(out) == 0 {
		_, err := fmt.Fprintln(w, "no releases: the stack has no succeeded update")
		return err
	}
	for i, r := range out {
		mark := ""
		if i == 0 {
			mark = " (current)"
		}
		if r.RollbackTo > 0 {
			mark += fmt.Sprintf(" rollback to %d", r.RollbackTo)
		}
		if r.Version == target {
			mark += " (rollback target)"
		}
		fmt.Fprintf(w, "%d  %s%s\n", r.Version, r.Time, mark)
		for _, s := range r.Services {
			line := fmt.Sprintf("    %s  %s", s.Name, s.Image)
			if keys := r.ChangedEnv[s.Name]; len(keys) > 0 {
				line += "  env changed: " + strings.Join(keys, ", ")
			}
			fmt.Fprintln(w, line)
		}
	}
	return nil
}

// servicesField is infra:services in config.Raw's values.
const servicesField = "services"
