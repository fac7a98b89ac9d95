package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"infra/internal/cost"
	"infra/internal/plan"
	"infra/internal/planner"
	"infra/internal/policy"
	"infra/stacks/config"
)

// PlanOptions are the flags of `infra plan`.
type PlanOptions struct {
	IO *IO
	ProjectFlags
	Out  string
	JSON bool
}

// NewCmdPlan builds `infra plan`. runF replaces the action in tests.
func NewCmdPlan(streams *IO, runF func(*PlanOptions) error) *cobra.Command {
	opts := &PlanOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "plan --stack NAME",
		Short: "Plan a stack offline: no cloud account, no Pulumi CLI",
		Long: `plan runs the program through the Pulumi SDK's mock monitor. It prints the
resource tree, the cost estimate and the policy's verdict, and writes
<dir>/out/<stack>/: plan.json (every resource with its type, name, parent,
inputs with secrets masked and dependencies, then the cost and the policy's
verdict: "passed" or "refused" with the violations) and the files the program
renders. Computed outputs are simulated.

The stack's folder is emptied first, so it never mixes two plans, and a plan
that fails (invalid config) leaves it empty. A plan the policy refuses is
still written, for review, with "verdict": "refused" in plan.json, and exits 4.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runPlan(opts)
		},
	}
	opts.ProjectFlags.addFlags(cmd)
	cmd.Flags().StringVar(&opts.Out, "out", "", "directory for plan.json and rendered files, one folder per stack (default <dir>/out)")
	addJSONFlag(cmd, &opts.JSON, "plan.json (the plan, its cost and the policy's verdict)")
	return cmd
}

// PlanDocument is plan.json and the output of `plan --json`: the plan, its
// monthly cost and the policy's verdict on it.
type PlanDocument struct {
	*plan.Plan
	Cost   *cost.Estimate `json:"cost"`
	Policy PlanPolicy     `json:"policy"`
}

// PlanPolicy is the policy's report with its verdict in one word.
type PlanPolicy struct {
	// Verdict is "passed" or "refused".
	Verdict string `json:"verdict"`
	policy.Report
}

// loadPlan reads, validates and plans a stack.
func loadPlan(dir, stack string) (*plan.Plan, error) {
	proj, err := openProject(dir, stack)
	if err != nil {
		return nil, err
	}
	return planProject(proj)
}

// planProject reads, validates and plans a project's stack.
func planProject(proj Project) (*plan.Plan, error) {
	raw, err := config.ReadFile(proj.StackFile())
	if err != nil {
		return nil, err
	}
	return planner.Run(proj.Name, proj.Stack, raw)
}

func runPlan(opts *PlanOptions) error {
	proj, err := openProject(opts.Dir, opts.Stack)
	if err != nil {
		return err
	}
	out := opts.Out
	if out == "" {
		out = filepath.Join(opts.Dir, "out")
	}
	dir := filepath.Join(out, opts.Stack)
	if err := clearPlanDir(dir); err != nil {
		return err
	}
	p, err := planProject(proj)
	if err != nil {
		return err
	}
	return writePlan(opts.IO.Out, p, dir, opts.JSON)
}

// clearPlanDir empties a stack's plan folder before a plan, so that files
// of an earlier plan (a service since removed, another project's stack of
// the same name) never pass for this one's. It removes only a folder a
// plan wrote (it holds plan.json) or an empty one; anything else is the
// user's, and the plan stops.
func clearPlanDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case os.IsNotExist(err):
		return nil
	case err != nil:
		return fmt.Errorf("read the plan folder: %w", err)
	case len(entries) == 0:
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "plan.json")); err != nil {
		return usageError("%s holds files but no plan.json: it is not a plan folder; move them or choose another --out", dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear the plan folder: %w", err)
	}
	return nil
}

// judge adds the cost and the policy's verdict to a plan.
func judge(p *plan.Plan) (PlanDocument, error) {
	est, err := cost.EstimatePlan(p)
	if err != nil {
		return PlanDocument{}, err
	}
	return PlanDocument{Plan: p, Cost: est, Policy: judgePolicy(policy.Evaluate(p))}, nil
}

// judgePolicy puts the verdict of a policy report in one word.
func judgePolicy(rep policy.Report) PlanPolicy {
	if rep.Blocked() {
		return PlanPolicy{Verdict: "refused", Report: rep}
	}
	return PlanPolicy{Verdict: "passed", Report: rep}
}

// writePlan writes plan.json (with the verdict) and the artifacts under
// dir and reports the plan on out, as a tree or as JSON. A refused plan is
// the policy exit code.
func writePlan(out io.Writer, p *plan.Plan, dir string, asJSON bool) error {
	doc, err := judge(p)
	if err != nil {
		return err
	}
	written, err := p.WriteDocument(dir, doc)
	if err != nil {
		return err
	}
	if asJSON {
		if err := writeJSON(out, doc); err != nil {
			return err
		}
		return policyGate("the plan of stack "+p.Stack, doc.Policy.Report, false)
	}
	fmt.Fprintf(out, "Offline plan of stack %q (project %s, topology %s).\n", p.Stack, p.Project, p.Config.Topology)
	fmt.Fprintln(out, "Outputs are SIMULATED by the Pulumi SDK's mocks: nothing was created or read in the cloud.")
	fmt.Fprintln(out)
	if err := p.WriteTree(out); err != nil {
		return err
	}
	c := p.Counts()
	fmt.Fprintf(out, "\n%d resources: %d cloud resources, %d components.\n", c.Total, c.Custom, c.Components)
	fmt.Fprintf(out, "Wrote %d files:\n", len(written))
	for _, w := range written {
		fmt.Fprintf(out, "  %s\n", w)
	}
	fmt.Fprintf(out, "\n%s\n", doc.Cost.Summary())
	if line := backupSummary(p.Config); line != "" {
		fmt.Fprintln(out, line)
	}
	if err := doc.Policy.Write(out); err != nil {
		return err
	}
	if doc.Policy.Blocked() {
		fmt.Fprintf(out, "\nplan.json records the verdict: refused.\n")
		return policyGate("the plan of stack "+p.Stack, doc.Policy.Report, true)
	}
	return nil
}
