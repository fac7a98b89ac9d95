package cli

import (
	"github.com/spf13/cobra"

	"infra/internal/cost"
	"infra/internal/plan"
)

// CostOptions are the flags of `infra cost`.
type CostOptions struct {
	IO *IO
	ProjectFlags
	JSON bool
	// Markdown prints the PR comment's table.
	Markdown bool
	// BasePlan is the base branch's plan.json, to show the delta.
	BasePlan string
}

// NewCmdCost builds `infra cost`. runF replaces the action in tests.
func NewCmdCost(streams *IO, runF func(*CostOptions) error) *cobra.Command {
	opts := &CostOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "cost --stack NAME",
		Short: "Estimate a stack's monthly DigitalOcean cost from its offline plan",
		Long: `cost plans the stack offline and prices every resource from the dated,
sourced table of DigitalOcean list prices in internal/cost/prices.yaml.

With --base-plan (the plan.json that "infra plan" wrote on the base branch) it
also prints the change against the base: what the pull request adds to the
monthly bill. --markdown prints the table the PR preview comment shows.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.JSON && opts.Markdown {
				return usageError("--json and --markdown exclude each other")
			}
			if runF != nil {
				return runF(opts)
			}
			return runCost(opts)
		},
	}
	opts.ProjectFlags.addFlags(cmd)
	addJSONFlag(cmd, &opts.JSON, "the estimate (and the delta)")
	cmd.Flags().BoolVar(&opts.Markdown, "markdown", false, "print a Markdown table for a pull request comment")
	cmd.Flags().StringVar(&opts.BasePlan, "base-plan", "", "plan.json of the base branch: print the cost delta against it")
	return cmd
}

// costReport is the --json output.
type costReport struct {
	Estimate *cost.Estimate `json:"estimate"`
	Delta    *cost.Delta    `json:"delta,omitempty"`
}

func runCost(opts *CostOptions) error {
	p, err := loadPlan(opts.Dir, opts.Stack)
	if err != nil {
		return err
	}
	est, err := cost.EstimatePlan(p)
	if err != nil {
		return err
	}
	rep := costReport{Estimate: est}
	if opts.BasePlan != "" {
		base, err := plan.ReadJSON(opts.BasePlan)
		if err != nil {
			return usageError("--base-plan: %v", err)
		}
		baseEst, err := cost.EstimatePlan(base)
		if err != nil {
			return err
		}
		d := cost.Diff(baseEst, est)
		rep.Delta = &d
	}
	out := opts.IO.Out
	switch {
	case opts.JSON:
		return writeJSON(out, rep)
	case opts.Markdown:
		return est.WriteMarkdown(out, rep.Delta)
	}
	if err := est.WriteText(out); err != nil {
		return err
	}
	if rep.Delta != nil {
		return rep.Delta.WriteText(out)
	}
	return nil
}
