package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/spf13/cobra"

	"infra/stacks"
)

// opRotate is an update that replaces one generator.
var opRotate = operation{name: "rotate", locks: true}

// RotateOptions are the flags of `infra rotate`.
type RotateOptions struct {
	StackOptions
	Secret    string
	List      bool
	Yes       bool
	Preflight PreflightFunc
}

// NewCmdRotate builds `infra rotate`. runF replaces the action in tests.
func NewCmdRotate(streams *IO, runF func(*RotateOptions) error) *cobra.Command {
	opts := &RotateOptions{StackOptions: newStackOptions(streams), Preflight: policyPreflight(streams.ErrOut)}
	cmd := &cobra.Command{
		Use:   "rotate --stack NAME (--secret NAME | --list)",
		Short: "Give a generated secret a new value, and everything that uses it",
		Long: `rotate replaces a secret the stack generates (a database role's password, the
admin login of the admin routes) with a new value, in one engine update: the
generator is replaced, and what is built from it follows (the role's password
in PostgreSQL, the services' connection strings and env, the deploy of the
VPS). The old value stops working when the update ends.

--list prints the secrets by name, from the config: database.roles.<role>,
database.superuser (the self-hosted server's), admin (the VPS's admin
login), admin.<service> (a route with auth), grafana.admin.

Like up, rotate previews first, refuses when the stack has changes besides
the rotation (run up first) or when the policy refuses the change, shows
what it will change and asks "Do you want to rotate NAME? [yes/no]" on a
terminal; --yes (-y) skips the question, and without a terminal and without
--yes it changes nothing (exit 2). No value is ever printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runRotate(cmd.Context(), opts)
		},
	}
	opts.addReportFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&opts.Secret, "secret", "", "the generated secret to rotate (see --list)")
	f.BoolVar(&opts.List, "list", false, "list the stack's generated secrets and whether each can be rotated")
	addYesFlag(cmd, &opts.Yes, "rotate")
	return cmd
}

func runRotate(ctx context.Context, o *RotateOptions) error {
	if o.List == (o.Secret != "") {
		return usageError("give either --secret NAME or --list")
	}
	proj, err := openProject(o.Dir, o.Stack)
	if err != nil {
		return err
	}
	if o.List {
		p, err := checkBeforeEngine(proj, nil)
		if err != nil {
			return err
		}
		return writeSecretList(o.IO.Out, o.JSON, stacks.GeneratedSecrets(proj.Name, p.Config))
	}
	rep := newReport(o.Stack, opRotate.name)
	p, err := checkBeforeEngine(proj, o.Preflight)
	if err != nil {
		return o.finish(rep, err)
	}
	secret, err := findSecret(stacks.GeneratedSecrets(proj.Name, p.Config), o.Secret)
	if err != nil {
		return o.finish(rep, err)
	}
	s, _, err := o.open(ctx, false)
	if err != nil {
		return o.finish(rep, err)
	}
	st, err := readState(ctx, s)
	if err != nil {
		return o.finish(rep, classify(err, o.Stack, "read state"))
	}
	if creates := pendingCreates(st.pending()); len(creates) > 0 {
		return o.finish(rep, &ExitError{Code: ExitPending, Err: fmt.Errorf("%s: %s", opRotate.name, pendingMessage(o.Stack, creates))})
	}
	urn, err := st.generator(secret, o.Stack)
	if err != nil {
		return o.finish(rep, err)
	}
	allowed := st.dependents(urn)

	pre := newReport(o.Stack, opPreview.name)
	err = opPreview.run(ctx, s, pre, func(ev chan<- events.EngineEvent) error {
		_, err := s.Preview(ctx, optpreview.ProgressStreams(o.progressWriter()), optpreview.Replace([]string{urn}), optpreview.EventStreams(ev))
		return err
	})
	err = guard(o.IO.ErrOut, pre, p.Config, err, false, false)
	if err == nil {
		err = checkRotation(pre, urn, allowed, st.custom(), secret.Name)
	}
	if err == nil {
		err = o.confirm(ctx, o.Yes, opRotate.name, "Do you want to rotate "+secret.Name+"?", func(w io.Writer) {
			fmt.Fprintf(w, "\nRotating %s: %s.\n", secret.Name, secret.What)
			writeChangeSummary(w, pre)
		})
	}
	if err != nil {
		rep.Steps, rep.Changes, rep.Changed = pre.Steps, pre.Changes, pre.Changed
		return o.finish(rep, err)
	}
	fmt.Fprintf(o.progressWriter(), "\nRotating %s on stack %s (%d change(s)).\n\n", secret.Name, o.Stack, pre.Changed)
	var res auto.UpResult
	err = opRotate.run(ctx, s, rep, func(ev chan<- events.EngineEvent) (err error) {
		res, err = s.Up(ctx, optup.ProgressStreams(o.progressWriter()), optup.Replace([]string{urn}),
			optup.Message("infra rotate "+secret.Name), optup.EventStreams(ev))
		return err
	})
	if err == nil {
		rep.Outputs = RedactOutputs(res.Outputs, false)
	}
	return o.finish(rep, err)
}

// findSecret is the generated secret called name; an unknown name or one
// rotate refuses is a usage error that lists the names it takes.
func findSecret(all []stacks.GeneratedSecret, name string) (stacks.GeneratedSecret, error) {
	var names []string
	for _, s := range all {
		if s.Name == name {
			if !s.Rotatable() {
				return s, usageError("%s cannot be rotated by infra: %s", name, s.Refused)
			}
			return s, nil
		}
		if s.Rotatable() {
			names = append(names, s.Name)
		}
	}
	if len(names) == 0 {
		return stacks.GeneratedSecret{}, usageError("unknown secret %q: this stack has no secret infra can rotate", name)
	}
	return stacks.GeneratedSecret{}, usageError("unknown secret %q: the stack's rotatable secrets are %s", name, strings.Join(names, ", "))
}

// generator is the URN of a secret's generator in the state: the resource
// of its type and name under a component of its parent type.
func (st *state) generator(secret stacks.GeneratedSecret, stack string) (string, error) {
	parents := map[string]string{}
	for _, r := range st.Resources {
		parents[string(r.URN)] = string(r.Type)
	}
	var found []string
	for _, r := range st.Resources {
		if string(r.Type) == stacks.PasswordType && urnName(string(r.URN)) == secret.Resource && parents[string(r.Parent)] == secret.ParentType {
			found = append(found, string(r.URN))
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", &ExitError{Code: ExitFailure, Err: fmt.Errorf(
			"%s has no generator in stack %s's state (%s %s): the stack is not deployed as its config says; run `infra up --stack %s` first",
			secret.Name, stack, stacks.PasswordType, secret.Resource, stack)}
	}
	return "", fmt.Errorf("%s: %d generators named %s in stack %s's state", secret.Name, len(found), secret.Resource, stack)
}

// dependents are the URN and every resource that depends on it, directly
// or through others, in the state.
func (st *state) dependents(urn string) map[string]bool {
	users := map[string][]string{}
	for _, r := range st.Resources {
		deps := map[string]bool{}
		for _, d := range r.Dependencies {
			deps[string(d)] = true
		}
		for _, ds := range r.PropertyDependencies {
			for _, d := range ds {
				deps[string(d)] = true
			}
		}
		for d := range deps {
			users[d] = append(users[d], string(r.URN))
		}
	}
	seen := map[string]bool{urn: true}
	queue := []string{urn}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, next := range users[u] {
			if !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	return seen
}

// custom are the URNs of the resources a provider manages (components
// and the stack change nothing in the cloud).
func (st *state) custom() map[string]bool {
	out := map[string]bool{}
	for _, r := range st.Resources {
		if r.Custom {
			out[string(r.URN)] = true
		}
	}
	return out
}

// checkRotation refuses a rotation whose preview does not replace the
// generator, or changes what does not depend on it: changes pending from
// the config or the cloud go through up, where they are seen for what
// they are.
func checkRotation(pre *Report, urn string, allowed, custom map[string]bool, name string) error {
	replaced := false
	var other []string
	for _, s := range pre.Steps {
		if noChangeOps[s.Op] {
			continue
		}
		if s.URN == urn {
			replaced = replaced || destructiveOps[s.Op] == "replace"
			continue
		}
		if !allowed[s.URN] && (custom[s.URN] || s.Op == "create" || s.Op == "delete") {
			other = append(other, fmt.Sprintf("%s %s %s", s.Op, s.Type, s.Name))
		}
	}
	if !replaced {
		return fmt.Errorf("rotate %s: the preview does not replace its generator %s", name, urn)
	}
	if len(other) > 0 {
		sort.Strings(other)
		return &ExitError{Code: ExitChanges, Err: fmt.Errorf(
			"rotate %s: the stack has changes besides the rotation, which rotate does not apply (%s); "+
				"run `infra up` to apply them, then rotate", name, strings.Join(other, "; "))}
	}
	return nil
}

// writeSecretList prints the generated secrets: a table, or JSON.
func writeSecretList(w io.Writer, asJSON bool, all []stacks.GeneratedSecret) error {
	type entry struct {
		Name      string `json:"name"`
		What      string `json:"what"`
		Rotatable bool   `json:"rotatable"`
		Refused   string `json:"refused,omitempty"`
	}
	list := make([]entry, 0, len(all))
	for _, s := range all {
		list = append(list, entry{Name: s.Name, What: s.What, Rotatable: s.Rotatable(), Refused: s.Refused})
	}
	if asJSON {
		return writeJSON(w, list)
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "This stack generates no secret.")
		return err
	}
	for _, e := range list {
		if e.Rotatable {
			fmt.Fprintf(w, "%-32s %s\n", e.Name, e.What)
		}
	}
	for _, e := range list {
		if !e.Rotatable {
			fmt.Fprintf(w, "%-32s not rotatable: %s\n", e.Name, e.Refused)
		}
	}
	return nil
}
