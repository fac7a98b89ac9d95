package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"infra/internal/plan"
	"infra/stacks"
)

// PlanOptions are the flags of `infra plan`.
type PlanOptions struct {
	IO    *IO
	Dir   string
	Stack string
	Out   string
	JSON  bool
}

// NewCmdPlan builds `infra plan`. runF replaces the action in tests.
func NewCmdPlan(streams *IO, runF func(*PlanOptions) error) *cobra.Command {
	opts := &PlanOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "plan --stack NAME",
		Short: "Plan a stack offline: no cloud account, no Pulumi CLI",
		Long: `plan runs the program through the Pulumi SDK's mock monitor. It prints the
resource tree and writes out/<stack>/plan.json (every resource with its
type, name, parent, inputs with secrets masked and dependencies) and the
files the program renders. Computed outputs are simulated.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runPlan(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Stack, "stack", "s", "", "stack name (reads Pulumi.<stack>.yaml)")
	cmd.Flags().StringVar(&opts.Dir, "dir", ".", "Pulumi project directory")
	cmd.Flags().StringVar(&opts.Out, "out", "out", "directory for plan.json and rendered files (per stack)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the plan as JSON instead of a tree")
	return cmd
}

// loadPlan reads, validates and plans a stack.
func loadPlan(dir, stack string) (*plan.Plan, error) {
	proj, err := openProject(dir, stack)
	if err != nil {
		return nil, err
	}
	raw, err := stacks.ReadFile(proj.StackFile())
	if err != nil {
		return nil, err
	}
	return plan.Run(proj.Name, proj.Stack, raw)
}

func runPlan(opts *PlanOptions) error {
	p, err := loadPlan(opts.Dir, opts.Stack)
	if err != nil {
		return err
	}
	return writePlan(opts.IO.Out, p, filepath.Join(opts.Out, opts.Stack), opts.JSON)
}

// writePlan writes plan.json and the artifacts under dir and reports the
// plan on out, as a tree or as JSON.
func writePlan(out io.Writer, p *plan.Plan, dir string, asJSON bool) error {
	written, err := p.Write(dir)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(p); err != nil {
			return err
		}
		return planPolicy(p)
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
	return planVerdict(out, p)
}
