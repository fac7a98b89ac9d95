package cli

import (
	"github.com/spf13/cobra"

	"infra/internal/graph"
)

// GraphOptions are the flags of `infra graph`.
type GraphOptions struct {
	IO     *IO
	Dir    string
	Stack  string
	Format string
}

// NewCmdGraph builds `infra graph`. runF replaces the action in tests.
func NewCmdGraph(streams *IO, runF func(*GraphOptions) error) *cobra.Command {
	opts := &GraphOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "graph --stack NAME [--format mermaid|dot]",
		Short: "Print the stack's resource graph (Mermaid for PR comments, or Graphviz DOT)",
		Long: `graph plans the stack offline and prints its resources as a graph: solid
arrows from a component to its children, dotted arrows from a resource to
the resources it depends on, and dotted arrows labelled "provider" to an
explicit provider. Mermaid renders in GitHub comments inside a mermaid code
block; DOT renders with Graphviz (dot -Tsvg).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Format != "mermaid" && opts.Format != "dot" {
				return usageError("--format must be mermaid or dot, got %q", opts.Format)
			}
			if runF != nil {
				return runF(opts)
			}
			return runGraph(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Stack, "stack", "s", "", "stack name (reads Pulumi.<stack>.yaml)")
	cmd.Flags().StringVar(&opts.Dir, "dir", ".", "Pulumi project directory")
	cmd.Flags().StringVar(&opts.Format, "format", "mermaid", "mermaid or dot")
	return cmd
}

func runGraph(opts *GraphOptions) error {
	p, err := loadPlan(opts.Dir, opts.Stack)
	if err != nil {
		return err
	}
	g := graph.Build(p)
	if opts.Format == "dot" {
		return g.WriteDOT(opts.IO.Out)
	}
	return g.WriteMermaid(opts.IO.Out)
}
