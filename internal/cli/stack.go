package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/opthistory"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/spf13/cobra"

	"infra/stacks"
	"infra/stacks/config"
)

// Stack is the part of auto.Stack the commands use; *auto.Stack satisfies
// it, and table tests hand the commands a fake.
type Stack interface {
	Name() string
	Preview(ctx context.Context, opts ...optpreview.Option) (auto.PreviewResult, error)
	Up(ctx context.Context, opts ...optup.Option) (auto.UpResult, error)
	Destroy(ctx context.Context, opts ...optdestroy.Option) (auto.DestroyResult, error)
	Refresh(ctx context.Context, opts ...optrefresh.Option) (auto.RefreshResult, error)
	Outputs(ctx context.Context) (auto.OutputMap, error)
	Cancel(ctx context.Context) error
	Info(ctx context.Context) (auto.StackSummary, error)
	History(ctx context.Context, pageSize, page int, opts ...opthistory.Option) ([]auto.UpdateSummary, error)
	Export(ctx context.Context) (apitype.UntypedDeployment, error)
	Import(ctx context.Context, state apitype.UntypedDeployment) error
}

var _ Stack = (*auto.Stack)(nil)

// StackRequest says which stack to open and how.
type StackRequest struct {
	Project Project
	// PulumiBin is the pulumi CLI to run ("" = `pulumi` on PATH).
	PulumiBin string
	// SecretsProvider is used when the stack is created ("" = the backend's default).
	SecretsProvider string
	// Create allows creating a stack the backend does not know yet.
	Create bool
	Getenv func(string) string
	// Program replaces stacks.Program (nil: stacks.Program); `infra
	// rollback` runs it with a release's services.
	Program pulumi.RunFunc
}

// StackOpener opens a stack; openAutoStack in the CLI, a fake in tests.
type StackOpener func(ctx context.Context, req StackRequest) (Stack, error)

// StackOptions are the flags and dependencies every engine command shares.
type StackOptions struct {
	IO *IO
	ProjectFlags
	Pulumi          string
	SecretsProvider string
	JSON            bool
	// Markdown is where preview, up, refresh and destroy also write their
	// report as Markdown (pull request comments, job summaries).
	Markdown  string
	OpenStack StackOpener
	// program is the Pulumi program the stack runs (nil: stacks.Program).
	program pulumi.RunFunc
}

func newStackOptions(streams *IO) StackOptions {
	return StackOptions{IO: streams, OpenStack: openAutoStack}
}

func (o *StackOptions) addFlags(cmd *cobra.Command) {
	o.ProjectFlags.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.Pulumi, "pulumi", "", "pulumi CLI binary to run (default $INFRA_PULUMI_CLI, else pulumi on PATH)")
	f.StringVar(&o.SecretsProvider, "secrets-provider", "", "secrets provider of a new stack (default: the backend's; passphrase for file://)")
	addJSONFlag(cmd, &o.JSON, "the report")
}

// addReportFlags adds the flags of the commands that print a Report.
func (o *StackOptions) addReportFlags(cmd *cobra.Command) {
	o.addFlags(cmd)
	cmd.Flags().StringVar(&o.Markdown, "markdown", "", "also write the report as Markdown to this file (PR comments, job summaries)")
}

// open checks the project and opens its stack.
func (o *StackOptions) open(ctx context.Context, create bool) (Stack, Project, error) {
	proj, err := openProject(o.Dir, o.Stack)
	if err != nil {
		return nil, proj, err
	}
	bin := o.Pulumi
	if bin == "" {
		bin = o.IO.getenv("INFRA_PULUMI_CLI")
	}
	s, err := o.OpenStack(ctx, StackRequest{
		Project: proj, PulumiBin: bin, SecretsProvider: o.SecretsProvider,
		Create: create, Getenv: o.IO.getenv, Program: o.program,
	})
	backend := o.IO.getenv("PULUMI_BACKEND_URL")
	if err != nil {
		// Selecting a stack reads its checkpoint: a damaged one shows here.
		err = stateError(proj.Name, proj.Stack, backend, err)
		return nil, proj, classify(err, proj.Stack, "open stack")
	}
	return checkState(s, proj.Name, proj.Stack, backend), proj, nil
}

// progressWriter is where the engine's live output goes: stdout for
// people, stderr when stdout carries JSON.
func (o *StackOptions) progressWriter() io.Writer {
	if o.JSON {
		return o.IO.ErrOut
	}
	return o.IO.Out
}

// forwardedEnv are the variables handed to the pulumi CLI from IO.Getenv
// (the process environment in main): backend, secrets, plugins, the cloud
// tokens. Tests pass a map and leave the process environment alone.
var forwardedEnv = []string{
	"PATH", "HOME",
	"PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "PULUMI_HOME",
	"PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE",
	"PULUMI_SKIP_UPDATE_CHECK", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION",
	"DIGITALOCEAN_TOKEN", "SPACES_ACCESS_KEY_ID", "SPACES_SECRET_ACCESS_KEY",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
}

// openAutoStack opens the stack in a LocalWorkspace whose WorkDir is the
// project directory: its Pulumi.yaml names the project and its
// Pulumi.<stack>.yaml is the config. The program runs inline, compiled
// into this binary, so no Go toolchain or language plugin is needed.
func openAutoStack(ctx context.Context, req StackRequest) (Stack, error) {
	dir, err := filepath.Abs(req.Project.Dir)
	if err != nil {
		return nil, err
	}
	env := map[string]string{"PULUMI_SKIP_UPDATE_CHECK": "true"}
	for _, k := range forwardedEnv {
		if v := req.Getenv(k); v != "" {
			env[k] = v
		}
	}
	opts := []auto.LocalWorkspaceOption{auto.WorkDir(dir), auto.EnvVars(env)}
	if h := env["PULUMI_HOME"]; h != "" {
		opts = append(opts, auto.PulumiHome(h))
	}
	if req.SecretsProvider != "" {
		opts = append(opts, auto.SecretsProvider(req.SecretsProvider))
	}
	if req.PulumiBin == "" {
		if _, err := onPath("pulumi", req.Getenv("PATH")); err != nil {
			return nil, err
		}
	}
	if req.PulumiBin != "" {
		root, err := pulumiRoot(req.PulumiBin)
		if err != nil {
			return nil, err
		}
		cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root})
		if err != nil {
			return nil, fmt.Errorf("pulumi CLI %s: %w", req.PulumiBin, err)
		}
		opts = append(opts, auto.Pulumi(cmd))
	}
	program := req.Program
	if program == nil {
		program = stacks.Program
	}
	var s auto.Stack
	if req.Create {
		s, err = auto.UpsertStackInlineSource(ctx, req.Project.Stack, req.Project.Name, program, opts...)
	} else {
		s, err = auto.SelectStackInlineSource(ctx, req.Project.Stack, req.Project.Name, program, opts...)
	}
	if err != nil {
		if auto.IsSelectStack404Error(err) {
			return nil, noSuchStack(req.Project.Stack)
		}
		return nil, err
	}
	return &s, nil
}

// noSuchStackError is why a stack could not be opened without creating
// it: the backend does not know it (errors.As finds it in what open
// returns).
type noSuchStackError struct{ stack string }

func (e *noSuchStackError) Error() string {
	return fmt.Sprintf("stack %q does not exist in the backend (PULUMI_BACKEND_URL or your Pulumi Cloud login): create it with `infra init --stack %s`",
		e.stack, e.stack)
}

// noSuchStack is the error a StackOpener returns for a stack the backend
// does not know, when not asked to create it.
func noSuchStack(stack string) error {
	return &ExitError{Code: ExitFailure, Err: &noSuchStackError{stack: stack}}
}

// installHint says how to get the pulumi CLI.
const installHint = "install it (https://www.pulumi.com/docs/install/; or `bash scripts/pulumi-cli.sh` builds the pinned version from its Go module and prints its path) " +
	"and put it on PATH, or point INFRA_PULUMI_CLI (or --pulumi) at its bin/pulumi"

// onPath finds an executable in the directories of path (a PATH value).
func onPath(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", &ExitError{Code: ExitUsage, Err: fmt.Errorf("no pulumi CLI on PATH: %s", installHint)}
}

// pulumiRoot turns the path of a pulumi binary into the root
// auto.PulumiCommandOptions wants (<root>/bin/pulumi).
func pulumiRoot(bin string) (string, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(abs); err != nil || fi.IsDir() {
		return "", &ExitError{Code: ExitUsage, Err: fmt.Errorf("pulumi CLI %s: not an executable file; %s", bin, installHint)}
	}
	if filepath.Base(abs) != "pulumi" || filepath.Base(filepath.Dir(abs)) != "bin" {
		return "", &ExitError{Code: ExitUsage, Err: fmt.Errorf("pulumi CLI %s: must be installed as <dir>/bin/pulumi", bin)}
	}
	return filepath.Dir(filepath.Dir(abs)), nil
}

// production reports whether a stack's class (infra:class) is production.
// A stack file that cannot be read or states no class counts as
// production: the safe side. The name decides nothing.
func production(p Project) bool {
	raw, err := config.ReadFile(p.StackFile())
	if err != nil {
		return true
	}
	class, ok := raw.Values["class"].(string)
	return !ok || config.Class(class) == config.ClassProduction
}
