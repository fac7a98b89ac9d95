package cli

import (
	"github.com/spf13/cobra"

	"infra/internal/graph"
)

// GraphOptions are the flags of `infra graph`.
type GraphOptions struct {
	IO *IO
	ProjectFlags
	Format string
	JSON   bool
}

// NewCmdGraph builds `infra graph`. runF replaces the action in tests.
func NewCmdGraph(streams *IO, runF func(*GraphOptions) error) *cobra.Command {
	opts := &GraphOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "graph --stack NAME [--format mermaid|dot|json]",
		Short: "Print the stack's resource graph (Mermaid for PR comments, Graphviz DOT, or JSON)",
		Long: `graph plans the stack offline and prints its resources as a graph: solid
arrows from a component to its children, dotted arrows from a resource to
the resources it depends on, and dotted arrows labelled "provider" to an
explicit provider. Mermaid renders in GitHub comments inside a mermaid code
block; DOT renders with Graphviz (dot -Tsvg); JSON (--json or --format json)
lists the nodes (id, urn, type, name, component, protect) and the edges (from,
to, kind: parent, depends-on or provider) for other tools.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.JSON {
				if cmd.Flags().Changed("format") && opts.Format != "json" {
					return usageError("--json and --format %s: give one", opts.Format)
				}
				opts.Format = "json"
			}
			if opts.Format != "mermaid" && opts.Format != "dot" && opts.Format != "json" {
				return usageError("--format must be mermaid, dot or json, got %q", opts.Format)
			}
			if runF != nil {
				return runF(opts)
			}
			return runGraph(opts)
		},
	}
	opts.ProjectFlags.addFlags(cmd)
	cmd.Flags().StringVar(&opts.Format, "format", "mermaid", "mermaid, dot or json")
	addJSONFlag(cmd, &opts.JSON, "the graph (same as --format json)")
	return cmd
}

func runGraph(opts *GraphOptions) error {
	p, err := loadPlan(opts.Dir, opts.Stack)
	if err != nil {
		return err
	}
	g := graph.Build(p)
	switch opts.Format {
	case "dot":
		return g.WriteDOT(opts.IO.Out)
	case "json":
		return writeJSON(opts.IO.Out, g)
	}
	return g.WriteMermaid(opts.IO.Out)
}
