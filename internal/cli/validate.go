package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"infra/internal/planner"
	"infra/internal/policy"
	"infra/stacks/config"
)

// ValidateOptions are the flags of `infra validate`.
type ValidateOptions struct {
	IO *IO
	ProjectFlags
	File string
	JSON bool
}

// Validation is what `infra validate --json` prints.
type Validation struct {
	Source   string           `json:"source"`
	Valid    bool             `json:"valid"`
	Problems []config.Problem `json:"problems"`
	// Policy is the policy's verdict on the offline plan of a valid config:
	// validate refuses what plan and up would refuse.
	Policy *PlanPolicy `json:"policy,omitempty"`
}

// NewCmdValidate builds `infra validate`. runF replaces the action in tests.
func NewCmdValidate(streams *IO, runF func(*ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "validate (--stack NAME | --file PATH)",
		Short: "Check a stack's config and print every problem (offline)",
		Long: `validate checks a stack file against the config schema and the rules that span
keys, and prints every problem with its config path (exit 3). A valid config is
then planned offline and judged by the same policy rules as plan and up (exit 4
when they refuse it, with every finding). No cloud account, no Pulumi CLI:
secrets stay encrypted.`,
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
	opts.ProjectFlags.addFlags(cmd)
	cmd.Flags().StringVarP(&opts.File, "file", "f", "", "a stack file to check (e.g. one `infra template` wrote)")
	addJSONFlag(cmd, &opts.JSON, "the problems and the policy's verdict")
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
	_, raw, err := config.LoadFile(path)
	res := Validation{Source: path, Valid: err == nil, Problems: []config.Problem{}}
	var cfg *config.ConfigError
	switch {
	case err == nil:
	case errors.As(err, &cfg):
		res.Problems = cfg.Problems
	default:
		return err // unreadable file: not a config problem
	}
	var refused error
	if res.Valid {
		verdict, err := validatePolicy(o, path, raw)
		if err != nil {
			return err
		}
		res.Policy = verdict
		if verdict.Blocked() {
			res.Valid = false
			refused = policyGate(path, verdict.Report, !o.JSON)
		}
	}
	switch {
	case o.JSON:
		if e := writeJSON(o.IO.Out, res); e != nil {
			return e
		}
	case res.Policy != nil:
		if err := res.Policy.Write(o.IO.Out); err != nil {
			return err
		}
		if res.Valid {
			fmt.Fprintf(o.IO.Out, "%s: valid\n", path)
		}
	}
	switch {
	case refused != nil:
		return refused
	case !res.Valid && o.JSON:
		return &ExitError{Code: ExitConfig, Err: fmt.Errorf("%s: %d problem(s)", path, len(res.Problems))}
	case !res.Valid:
		return cfg
	}
	return nil
}

// validatePolicy plans a valid config offline and judges it by the policy.
// The project is the one in --dir (a --file outside a project is planned
// under its directory's name), the stack the file's.
func validatePolicy(o *ValidateOptions, path string, raw *config.Raw) (*PlanPolicy, error) {
	project, stack := filepath.Base(filepath.Dir(path)), "stack"
	if name := filepath.Base(path); strings.HasPrefix(name, "Pulumi.") && strings.HasSuffix(name, ".yaml") {
		stack = strings.TrimSuffix(strings.TrimPrefix(name, "Pulumi."), ".yaml")
	}
	if proj, err := openProject(filepath.Dir(path), stack); err == nil {
		project = proj.Name
	}
	p, err := planner.Run(project, stack, raw)
	if err != nil {
		return nil, fmt.Errorf("plan %s offline: %w", path, err)
	}
	verdict := judgePolicy(policy.Evaluate(p))
	return &verdict, nil
}
