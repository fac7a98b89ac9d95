package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"infra/stacks/config"
)

// InitOptions are the flags of `infra init`.
type InitOptions struct {
	StackOptions
}

// Init is what `infra init --json` prints.
type Init struct {
	Stack string `json:"stack"`
	// Created is false when the backend knew the stack already.
	Created bool `json:"created"`
	// Secrets are the entries of infra:secrets in the stack file, each
	// with the command that sets it and the keys that use it.
	Secrets []InitSecret `json:"secrets"`
	// Problems are the stack file's config problems, if any: `preview`
	// and `up` refuse the stack until they are fixed.
	Problems []config.Problem `json:"problems,omitempty"`
	// Next are the commands that follow, in order.
	Next []string `json:"next"`
}

// InitSecret is one secret the stack file declares.
type InitSecret struct {
	Name    string   `json:"name"`
	Command string   `json:"command"`
	UsedBy  []string `json:"usedBy"`
}

// NewCmdInit builds `infra init`. runF replaces the action in tests.
func NewCmdInit(streams *IO, runF func(*InitOptions) error) *cobra.Command {
	opts := &InitOptions{StackOptions: newStackOptions(streams)}
	cmd := &cobra.Command{
		Use:   "init --stack NAME",
		Short: "Create the stack in the backend if it is not there, and print what to set before up",
		Long: `init creates the stack in the current backend (PULUMI_BACKEND_URL, or your
Pulumi Cloud login) when the backend does not know it yet, with the secrets
provider of --secrets-provider; a stack that exists is left as it is, so init
can run any number of times. It then prints the next steps: the exact
` + "`pulumi config set --secret`" + ` line of every secret the stack file declares
(each asks for its value, or reads it from stdin), then preview and up.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runInit(cmd.Context(), opts)
		},
	}
	opts.addFlags(cmd)
	return cmd
}

func runInit(ctx context.Context, o *InitOptions) error {
	_, proj, err := o.open(ctx, false)
	created := false
	var missing *noSuchStackError
	if errors.As(err, &missing) {
		_, proj, err = o.open(ctx, true)
		created = true
	}
	if err != nil {
		return err
	}
	res, err := initSteps(proj)
	if err != nil {
		return err
	}
	res.Created = created
	if o.JSON {
		return writeJSON(o.IO.Out, res)
	}
	return res.write(o.IO.Out, o.IO.getenv("PULUMI_BACKEND_URL"))
}

// initSteps reads the stack file: its secrets, where each is used, and the
// commands that follow. The commands run where init ran: pulumi is told
// the project's directory with --cwd, infra with --dir.
func initSteps(p Project) (*Init, error) {
	raw, err := config.ReadFile(p.StackFile())
	if err != nil {
		return nil, err
	}
	res := &Init{Stack: p.Stack, Secrets: []InitSecret{}}
	uses := map[string][]string{}
	cfg, err := config.Parse(raw)
	var cfgErr *config.ConfigError
	switch {
	case err == nil:
		uses = config.SecretUses(cfg)
	case errors.As(err, &cfgErr):
		res.Problems = cfgErr.Problems
	default:
		return nil, err
	}
	declared, _ := raw.Values[config.SecretsKey].(map[string]any)
	names := make([]string, 0, len(declared))
	for name := range declared {
		names = append(names, name)
	}
	sort.Strings(names)
	pulumiDir, infraDir := "", ""
	if filepath.Clean(p.Dir) != "." {
		pulumiDir, infraDir = " --cwd "+shellWord(p.Dir), " --dir "+shellWord(p.Dir)
	}
	for _, name := range names {
		res.Secrets = append(res.Secrets, InitSecret{
			Name:    name,
			Command: fmt.Sprintf("pulumi config set --secret --path %s --stack %s%s", singleQuoted(config.Namespace+":"+config.SecretsKey+"."+name), shellWord(p.Stack), pulumiDir),
			UsedBy:  append([]string{}, uses[name]...),
		})
	}
	stack := " --stack " + shellWord(p.Stack) + infraDir
	if len(res.Problems) > 0 {
		res.Next = append(res.Next, "infra validate"+stack)
	}
	for _, s := range res.Secrets {
		res.Next = append(res.Next, s.Command)
	}
	res.Next = append(res.Next, "infra preview"+stack, "infra up"+stack)
	return res, nil
}

// write prints the result for people.
func (r *Init) write(w io.Writer, backend string) error {
	where := "the backend"
	if backend != "" {
		where += " " + backend
	}
	if r.Created {
		fmt.Fprintf(w, "Created stack %s in %s.\n", r.Stack, where)
	} else {
		fmt.Fprintf(w, "Stack %s exists in %s already; nothing changed.\n", r.Stack, where)
	}
	step := 1
	if len(r.Problems) > 0 {
		fmt.Fprintf(w, "\n%d. Fix the stack file's %d config problem(s); `%s` lists them:\n", step, len(r.Problems), r.Next[0])
		for _, p := range r.Problems {
			fmt.Fprintf(w, "     %s\n", p)
		}
		step++
	}
	if len(r.Secrets) > 0 {
		fmt.Fprintf(w, "\n%d. Set each secret the stack file declares (pulumi asks for the value, or reads it from stdin: `... < key-file`):\n", step)
		width := 0
		for _, s := range r.Secrets {
			width = max(width, len(s.Command))
		}
		for _, s := range r.Secrets {
			used := "declared, not used by any key"
			if len(s.UsedBy) > 0 {
				used = strings.Join(s.UsedBy, ", ")
			}
			fmt.Fprintf(w, "     %-*s  # %s\n", width, s.Command, used)
		}
		step++
	}
	n := len(r.Next)
	fmt.Fprintf(w, "\n%d. See what up would do:  %s\n", step, r.Next[n-2])
	fmt.Fprintf(w, "%d. Deploy:                %s\n", step+1, r.Next[n-1])
	return nil
}

// shellWord quotes s for a POSIX shell when it needs quoting.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/+=,@%") == "" {
		return s
	}
	return singleQuoted(s)
}

// singleQuoted is s in single quotes, as the docs write config paths.
func singleQuoted(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
