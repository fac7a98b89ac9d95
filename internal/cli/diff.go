package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"infra/internal/cost"
	"infra/internal/graph"
	"infra/internal/plan"
	"infra/internal/plandiff"
)

// DiffOptions are the flags of `infra diff`.
type DiffOptions struct {
	IO *IO
	ProjectFlags
	// BasePlan is the base branch's plan.json; the files beside it are its
	// rendered files.
	BasePlan string
	// NewStack compares with nothing: the stack is not on the base branch.
	NewStack bool
	JSON     bool
	// Markdown is where to write the pull request comment's section.
	Markdown string
	// Append adds the section to the Markdown file instead of replacing it.
	Append bool
}

// NewCmdDiff builds `infra diff`. runF replaces the action in tests.
func NewCmdDiff(streams *IO, runF func(*DiffOptions) error) *cobra.Command {
	opts := &DiffOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "diff --stack NAME (--base-plan FILE | --new-stack)",
		Short: "Compare the stack's offline plan with the base branch's: resources, rendered files, cost, policy, graph",
		Long: `diff plans the stack offline, as "infra plan" does, and compares it with a base
plan: the plan.json that "infra plan --out DIR" wrote on the base branch, and
the rendered files beside it. It prints:

- the resources added, changed and removed, and for a changed one each input
  that changed with its value before and after (image, env.NAME, size, ...);
  a secret only as "secret, changed" (plans keep a digest of each masked
  value, never the value);
- a unified diff of every rendered file (compose.yaml, nginx.conf, the
  Kubernetes objects, ...);
- the monthly cost delta, the policy's verdict with its waivers, and a
  Mermaid graph of the resources that change, with their parents.

--markdown FILE writes the same as a pull request comment section, kept
within GitHub's comment limit (long diffs are cut with a note); --append adds
it to FILE (the engine preview's Markdown) and keeps the whole file within
the limit. --new-stack compares with nothing, for a stack the base branch
does not have: everything is added. Exits 4 when the policy refuses the
plan, after printing and writing everything.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case opts.BasePlan == "" && !opts.NewStack:
				return usageError("give --base-plan FILE (the base branch's plan.json), or --new-stack for a stack the base branch does not have")
			case opts.BasePlan != "" && opts.NewStack:
				return usageError("--base-plan and --new-stack exclude each other")
			case opts.Append && opts.Markdown == "":
				return usageError("--append needs --markdown FILE")
			}
			if runF != nil {
				return runF(opts)
			}
			return runDiff(opts)
		},
	}
	opts.ProjectFlags.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&opts.BasePlan, "base-plan", "", "plan.json of the base branch (infra plan --out), with its rendered files beside it")
	f.BoolVar(&opts.NewStack, "new-stack", false, "compare with nothing: the stack does not exist on the base branch")
	f.StringVar(&opts.Markdown, "markdown", "", "also write the diff as a pull request comment section (Markdown) to this file")
	f.BoolVar(&opts.Append, "append", false, "append the --markdown section to the file, keeping it within GitHub's comment limit")
	addJSONFlag(cmd, &opts.JSON, "the diff (resources, files, cost, policy, graph)")
	return cmd
}

// DiffDocument is what `infra diff` reports: `--json` prints it, and the
// text and Markdown show the same facts.
type DiffDocument struct {
	Stack string `json:"stack"`
	// Base is the base plan.json compared with; empty for --new-stack.
	Base string         `json:"base"`
	Diff *plandiff.Diff `json:"diff"`
	// Cost is the head's estimate, Delta its change against the base.
	Cost  *cost.Estimate `json:"cost"`
	Delta cost.Delta     `json:"costDelta"`
	// Policy is the verdict on the head's plan, with its waivers.
	Policy PlanPolicy `json:"policy"`
	// Graph holds the resources that change and their parents.
	Graph *graph.Graph `json:"graph"`
}

func runDiff(opts *DiffOptions) error {
	proj, err := openProject(opts.Dir, opts.Stack)
	if err != nil {
		return err
	}
	var base *plan.Plan
	if opts.BasePlan != "" {
		if base, err = plan.ReadWritten(opts.BasePlan); err != nil {
			return usageError("--base-plan: %v", err)
		}
	}
	head, err := planProject(proj)
	if err != nil {
		return err
	}
	doc, err := compareWithBase(base, head)
	if err != nil {
		return err
	}
	doc.Base = opts.BasePlan
	if opts.Markdown != "" {
		if err := writeDiffMarkdown(opts.Markdown, opts.Append, doc); err != nil {
			return err
		}
	}
	if opts.JSON {
		if err := writeJSON(opts.IO.Out, doc); err != nil {
			return err
		}
	} else if err := doc.writeText(opts.IO.Out); err != nil {
		return err
	}
	return policyGate("the plan of stack "+head.Stack, doc.Policy.Report, !opts.JSON)
}

// compareWithBase compares head with base (nil: a new stack) and judges
// head as `infra plan` does: cost and policy.
func compareWithBase(base, head *plan.Plan) (*DiffDocument, error) {
	judged, err := judge(head)
	if err != nil {
		return nil, err
	}
	var baseCost *cost.Estimate
	if base != nil {
		if baseCost, err = cost.EstimatePlan(base); err != nil {
			return nil, fmt.Errorf("price the base plan: %w", err)
		}
	}
	d := plandiff.Compare(base, head)
	return &DiffDocument{
		Stack:  head.Stack,
		Diff:   d,
		Cost:   judged.Cost,
		Delta:  cost.Diff(baseCost, judged.Cost),
		Policy: judged.Policy,
		Graph:  changeGraph(base, head, d),
	}, nil
}

// changeGraph is the graph of the resources that change and their
// parents; removed resources are drawn from the base plan.
func changeGraph(base, head *plan.Plan, d *plandiff.Diff) *graph.Graph {
	all := &plan.Plan{Stack: head.Stack, Resources: append([]plan.Resource(nil), head.Resources...)}
	changes := map[string]string{}
	removed := map[string]bool{}
	for _, r := range d.Resources {
		changes[r.URN] = string(r.Change)
		if r.Change == plandiff.Removed {
			removed[r.URN] = true
		}
	}
	if base != nil {
		for _, r := range base.Resources {
			if removed[r.URN] {
				all.Resources = append(all.Resources, r)
			}
		}
	}
	return graph.Build(all).Around(changes)
}

// writeDiffMarkdown writes (or appends) the comment section to path,
// within GitHub's comment limit for the whole file.
func writeDiffMarkdown(path string, appendTo bool, doc *DiffDocument) error {
	var existing []byte
	if appendTo {
		b, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("read --markdown file: %w", err)
		}
		if len(b) > 0 {
			existing = append(b, '\n')
		}
	}
	md := doc.Markdown(commentLimit - len(existing))
	if err := os.WriteFile(path, append(existing, md...), 0o644); err != nil {
		return fmt.Errorf("write --markdown file: %w", err)
	}
	return nil
}
