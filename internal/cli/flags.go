package cli

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"
)

// ProjectFlags are --dir and --stack: which project and which of its
// stacks a command reads. Declared here once, with one help text each.
type ProjectFlags struct {
	Dir   string
	Stack string
}

func (p *ProjectFlags) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&p.Stack, "stack", "s", "", "stack name (its config is Pulumi.<stack>.yaml in --dir)")
	f.StringVar(&p.Dir, "dir", ".", "Pulumi project directory (holds Pulumi.yaml and the stack files)")
}

// addJSONFlag adds --json: print what (a noun phrase) as one JSON document
// for machines instead of text.
func addJSONFlag(cmd *cobra.Command, on *bool, what string) {
	cmd.Flags().BoolVar(on, "json", false, "print "+what+" as JSON instead of text")
}

// writeJSON is the one JSON writer of the CLI: indented, one document,
// a newline at the end.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
