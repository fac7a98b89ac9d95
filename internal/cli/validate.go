package cli

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"infra/stacks"
)

// ValidateOptions are the flags of `infra validate`.
type ValidateOptions struct {
	IO    *IO
	Dir   string
	Stack string
	File  string
	JSON  bool
}

// Validation is what `infra validate --json` prints.
type Validation struct {
	Source   string           `json:"source"`
	Valid    bool             `json:"valid"`
	Problems []stacks.Problem `json:"problems"`
}

// NewCmdValidate builds `infra validate`. runF replaces the action in tests.
func NewCmdValidate(streams *IO, runF func(*ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "validate (--stack NAME | --file PATH)",
		Short: "Check a stack's config and print every problem (offline)",
		Long: `validate checks a stack file against the config schema and the rules that span
keys, and prints every problem with its config path. Exit 3 when invalid.
No cloud account, no Pulumi CLI: secrets stay encrypted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (opts.Stack == "") == (opts.File == "") {
				return usageError("give one of --stack or --file")
			}
			if runF != nil {
				return runF(opts)
			}
			return runValidate(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Stack, "stack", "s", "", "stack name (reads Pulumi.<stack>.yaml in --dir)")
	cmd.Flags().StringVar(&opts.Dir, "dir", ".", "Pulumi project directory")
	cmd.Flags().StringVarP(&opts.File, "file", "f", "", "a stack file to check (e.g. one `infra template` wrote)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the problems as JSON")
	return cmd
}

func runValidate(o *ValidateOptions) error {
	path := o.File
	if path == "" {
		proj, err := openProject(o.Dir, o.Stack)
		if err != nil {
			return err
		}
		path = proj.StackFile()
	}
	_, _, err := stacks.LoadFile(path)
	res := Validation{Source: path, Valid: err == nil, Problems: []stacks.Problem{}}
	var cfg *stacks.ConfigError
	switch {
	case err == nil:
	case errors.As(err, &cfg):
		res.Problems = cfg.Problems
	default:
		return err // unreadable file: not a config problem
	}
	if o.JSON {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		if e := enc.Encode(res); e != nil {
			return e
		}
	} else if res.Valid {
		fmt.Fprintf(o.IO.Out, "%s: valid\n", path)
	}
	if !res.Valid {
		if o.JSON {
			return &ExitError{Code: ExitConfig, Err: fmt.Errorf("%s: %d problem(s)", path, len(res.Problems))}
		}
		return cfg
	}
	return nil
}
