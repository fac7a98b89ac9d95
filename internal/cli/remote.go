package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/spf13/cobra"

	"infra/components/vps/render"
	"infra/internal/remote"
	"infra/stacks/config"
)

// RemoteTarget is where logs, ssh and exec go, as the stack's outputs
// say: the VPS's address or the cluster's namespace.
type RemoteTarget struct {
	Topology string
	// Host is the VPS address (topology vps).
	Host string
	// Namespace is the application's namespace (topology kubernetes).
	Namespace string
}

// RemoteOptions are the flags and dependencies of logs, ssh and exec.
type RemoteOptions struct {
	StackOptions
	// AccessFlags is --access-from: SSH to the Droplet opened to this
	// machine while the command runs, as for up (internal/access).
	AccessFlags
	Request remote.Request
	// BeforeRun is called with the target once it is known and before the
	// command runs; the cleanup it returns runs after the command (also
	// when it fails). Nil opens what --access-from asks for, if anything.
	BeforeRun func(ctx context.Context, t RemoteTarget) (cleanup func(), err error)
	// Run runs the command line with stdin, stdout and stderr attached
	// (nil: the process, with IO's streams).
	Run remote.Runner
	// Environ is the environment the command inherits (nil: os.Environ).
	Environ func() []string
}

func newRemoteOptions(streams *IO, action remote.Action) *RemoteOptions {
	return &RemoteOptions{StackOptions: newStackOptions(streams), AccessFlags: newAccessFlags(), Request: remote.Request{Action: action}}
}

// NewCmdLogs builds `infra logs`. runF replaces the action in tests.
func NewCmdLogs(streams *IO, runF func(*RemoteOptions) error) *cobra.Command {
	opts := newRemoteOptions(streams, remote.Logs)
	cmd := &cobra.Command{
		Use:   "logs --stack NAME SERVICE [--since D] [--follow]",
		Short: "Print a service's logs",
		Long: `logs prints a service's logs through the credentials the stack holds:
on topology vps, ssh as the deploy user with the stack's deploy key and
docker compose logs in the app directory; on topology kubernetes, kubectl
logs of the service's Deployment with the stack's kubeconfig (which runs
doctl for a token: DIGITALOCEAN_ACCESS_TOKEN or a doctl login). The key or
kubeconfig is written to a private temporary file, removed afterwards.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Request.Service = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runRemote(cmd.Context(), opts)
		},
	}
	opts.ProjectFlags.addFlags(cmd)
	opts.AccessFlags.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&opts.Pulumi, "pulumi", "", "pulumi CLI binary to run (default $INFRA_PULUMI_CLI, else pulumi on PATH)")
	f.StringVar(&opts.Request.Since, "since", "", "only the last duration of logs (10m, 1h30m)")
	f.BoolVarP(&opts.Request.Follow, "follow", "f", false, "keep printing new lines until Ctrl-C")
	return cmd
}

// NewCmdSSH builds `infra ssh`. runF replaces the action in tests.
func NewCmdSSH(streams *IO, runF func(*RemoteOptions) error) *cobra.Command {
	opts := newRemoteOptions(streams, remote.Shell)
	cmd := &cobra.Command{
		Use:   "ssh --stack NAME [-- COMMAND [ARG...]]",
		Short: "Open a shell on the stack's Droplet, or run a command there (topology vps)",
		Long: `ssh opens a login shell on the Droplet as the deploy user, in the app
directory, with the stack's deploy key (written to a private temporary file,
removed afterwards); after --, it runs that command there instead and exits
with its status. The stack keeps no host key: the first connection
records the Droplet's key in ~/.ssh/known_hosts, and ssh refuses a changed one
after that (StrictHostKeyChecking accept-new).`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && cmd.ArgsLenAtDash() != 0 {
				return usageError("ssh: give the command after --: infra ssh --stack S -- COMMAND")
			}
			opts.Request.Command = args
			if runF != nil {
				return runF(opts)
			}
			return runRemote(cmd.Context(), opts)
		},
	}
	opts.ProjectFlags.addFlags(cmd)
	opts.AccessFlags.addFlags(cmd)
	cmd.Flags().StringVar(&opts.Pulumi, "pulumi", "", "pulumi CLI binary to run (default $INFRA_PULUMI_CLI, else pulumi on PATH)")
	return cmd
}

// NewCmdExec builds `infra exec`. runF replaces the action in tests.
func NewCmdExec(streams *IO, runF func(*RemoteOptions) error) *cobra.Command {
	opts := newRemoteOptions(streams, remote.Exec)
	cmd := &cobra.Command{
		Use:   "exec --stack NAME SERVICE -- COMMAND [ARG...]",
		Short: "Run a command in a service's container",
		Long: `exec runs a command in a running container of the service: docker compose
exec over ssh on topology vps, kubectl exec into the service's Deployment on
topology kubernetes, with the credentials logs uses. A terminal is allocated
when stdin is one.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return usageError("exec: give the service, then -- and the command: infra exec --stack S SERVICE -- COMMAND")
			}
			opts.Request.Service, opts.Request.Command = args[0], args[1:]
			if runF != nil {
				return runF(opts)
			}
			return runRemote(cmd.Context(), opts)
		},
	}
	opts.ProjectFlags.addFlags(cmd)
	opts.AccessFlags.addFlags(cmd)
	cmd.Flags().StringVar(&opts.Pulumi, "pulumi", "", "pulumi CLI binary to run (default $INFRA_PULUMI_CLI, else pulumi on PATH)")
	return cmd
}

// configReader reads one config value of the stack, decrypted;
// *auto.Stack has it.
type configReader interface {
	GetConfigWithOptions(ctx context.Context, key string, opts *auto.ConfigOptions) (auto.ConfigValue, error)
}

func runRemote(ctx context.Context, o *RemoteOptions) error {
	o.Request.TTY = o.IO.interactive()
	if err := o.Request.Validate(); err != nil {
		return usageError("%v", err)
	}
	p, err := prepareRemote(ctx, &o.StackOptions, &o.AccessFlags, o.BeforeRun, o.Request, o.Environ)
	if err != nil {
		return err
	}
	defer p.close()
	run := o.Run
	if run == nil {
		run = o.execRunner
	}
	return remoteExit(remote.Run(ctx, p.cmd, p.dir, p.env, run), p.cmd.Argv[0], o.Request.Action, o.Stack)
}

// remoteExit maps how a remote command line ended to infra's exit: the
// remote command's own status passes through; ssh's or kubectl's own
// failure is remote.TransportFailure (255); anything else (the command
// could not start) is ExitFailure.
func remoteExit(err error, tool string, action remote.Action, stack string) error {
	if err == nil {
		return nil
	}
	var exit *remote.Exit
	if !errors.As(err, &exit) {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%s on stack %s: %w", action, stack, err)}
	}
	code, own := remote.Status(tool, exit)
	if own {
		return &ExitError{Code: code, Err: fmt.Errorf("%s on stack %s: the command exited with status %d", action, stack, code)}
	}
	return &ExitError{Code: code, Err: fmt.Errorf("%s on stack %s: %s failed (exit %d) before or besides the command: see its message above", action, stack, tool, exit.Code)}
}

// preparedRemote is a remote command ready to run: where it goes, the
// command with its credential files in dir (remote.Run removes dir), the
// environment it inherits, and close, which ends the temporary access.
type preparedRemote struct {
	target RemoteTarget
	cmd    remote.Command
	dir    string
	env    []string
	close  func()
}

// prepareRemote is what logs, ssh, exec and restore-drill share: check
// --access-from (before anything runs), open the stack, read where it runs
// and its credentials from the outputs, build req's command in a private
// temporary directory, then open the access (beforeRun, or by default what
// --access-from asks for). The caller runs the command and calls close.
func prepareRemote(ctx context.Context, so *StackOptions, af *AccessFlags, beforeRun func(context.Context, RemoteTarget) (func(), error), req remote.Request, environ func() []string) (*preparedRemote, error) {
	acc, err := af.checkAccess(so.IO, so.IO.ErrOut)
	if err != nil {
		return nil, err
	}
	s, proj, err := so.open(ctx, false)
	if err != nil {
		return nil, err
	}
	if beforeRun == nil && acc != nil {
		beforeRun = accessBeforeRun(s, so.Stack, acc, so.IO.ErrOut)
	}
	outs, err := s.Outputs(ctx)
	if err != nil {
		return nil, classify(err, so.Stack, "read the outputs")
	}
	target, builder, err := remoteBuilder(ctx, s, proj, outs)
	if err != nil {
		return nil, err
	}
	dir, err := remote.TempDir()
	if err != nil {
		return nil, err
	}
	c, err := builder.Build(req, dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, usageError("%s of stack %s: %v", req.Action, so.Stack, err)
	}
	p := &preparedRemote{target: target, cmd: c, dir: dir, close: func() {}}
	if beforeRun != nil {
		cleanup, err := beforeRun(ctx, target)
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("prepare access to stack %s: %w", so.Stack, err)
		}
		if cleanup != nil {
			p.close = cleanup
		}
	}
	if environ == nil {
		environ = os.Environ
	}
	p.env = doctlEnv(environ())
	return p, nil
}

// accessBeforeRun opens --access-from's temporary access around a remote
// command: the same sweep, firewall and trusted source as up, from the
// stack's state. A cluster's API server is public (kubectl needs no
// opening), so on topology kubernetes it opens nothing.
func accessBeforeRun(s Stack, stack string, acc *accessRun, log io.Writer) func(context.Context, RemoteTarget) (func(), error) {
	return func(ctx context.Context, t RemoteTarget) (func(), error) {
		if config.Topology(t.Topology) != config.TopologyVPS {
			fmt.Fprintf(log, "infra: --access-from opens nothing on topology %s: kubectl reaches the cluster's public API\n", t.Topology)
			return nil, nil
		}
		st, err := readState(ctx, s)
		if err != nil {
			return nil, err
		}
		closeAccess, err := acc.open(ctx, stack, st, nil)
		if err != nil {
			return nil, err
		}
		return func() {
			if err := closeAccess(); err != nil {
				fmt.Fprintf(log, "infra: %v\n", err)
			}
		}, nil
	}
}

// remoteBuilder reads where the stack runs from its outputs, and its
// credentials: the deploy key from infra:secrets (decrypted by the
// engine), or the kubeconfig output.
func remoteBuilder(ctx context.Context, s Stack, proj Project, outs auto.OutputMap) (RemoteTarget, interface {
	Build(remote.Request, string) (remote.Command, error)
}, error) {
	topology, _ := outs["topology"].Value.(string)
	t := RemoteTarget{Topology: topology}
	switch config.Topology(topology) {
	case config.TopologyVPS:
		v, _ := outs["vps"].Value.(map[string]any)
		host, _ := v["reservedIp"].(string)
		if host == "" {
			host, _ = v["ipv4"].(string)
		}
		key, err := deployKey(ctx, s, proj)
		if err != nil {
			return t, nil, err
		}
		t.Host = host
		return t, remote.VPS{Host: host, User: render.DeployUser, AppDir: render.AppDir, PrivateKey: key}, nil
	case config.TopologyKubernetes:
		k, _ := outs["kubernetes"].Value.(map[string]any)
		ns, _ := k["namespace"].(string)
		kc, _ := outs[KubeconfigOutput].Value.(string)
		t.Namespace = ns
		return t, remote.Kubernetes{Kubeconfig: kc, Namespace: ns}, nil
	}
	return t, nil, &ExitError{Code: ExitFailure, Err: fmt.Errorf("stack %s has no topology output: run `infra up --stack %s` first", proj.Stack, proj.Stack)}
}

// deployKey is the private deploy key the stack's config names
// (infra:vps.sshPrivateKeySecret in infra:secrets), decrypted.
func deployKey(ctx context.Context, s Stack, proj Project) (string, error) {
	raw, err := config.ReadFile(proj.StackFile())
	if err != nil {
		return "", err
	}
	v, _ := raw.Values["vps"].(map[string]any)
	name, _ := v["sshPrivateKeySecret"].(string)
	if name == "" {
		return "", &ExitError{Code: ExitConfig, Err: fmt.Errorf("%s: infra:vps.sshPrivateKeySecret is not set: the stack has no deploy key to connect with", proj.StackFile())}
	}
	if sc, ok := s.(*stateChecked); ok {
		s = sc.Stack
	}
	r, ok := s.(configReader)
	if !ok {
		return "", errors.New("this stack cannot read its config")
	}
	key := config.Namespace + ":" + config.SecretsKey + "." + name
	cv, err := r.GetConfigWithOptions(ctx, key, &auto.ConfigOptions{Path: true})
	if err != nil {
		// The error may quote the command line, never the value.
		return "", &ExitError{Code: ExitFailure, Err: fmt.Errorf("read the deploy key %s: %s", key, engineMessage(err))}
	}
	return cv.Value, nil
}

// doctlEnv gives doctl, which the kubeconfig's exec credential runs, the
// token the CLI already takes (DIGITALOCEAN_TOKEN) under the name doctl
// reads, unless that is set.
func doctlEnv(env []string) []string {
	var token string
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == "DIGITALOCEAN_ACCESS_TOKEN" {
			return env
		} else if k == "DIGITALOCEAN_TOKEN" {
			token = v
		}
	}
	if token == "" {
		return env
	}
	return append(env, "DIGITALOCEAN_ACCESS_TOKEN="+token)
}

// execRunner runs the command with the command's streams attached.
func (o *RemoteOptions) execRunner(ctx context.Context, argv, env []string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.IO.In, o.IO.Out, o.IO.ErrOut
	// kubectl says on stderr whether a failure is the command's: keep
	// the end of it (ssh's stderr stays the terminal's).
	tail := &remote.TailWriter{W: o.IO.ErrOut, N: 256}
	if argv[0] == "kubectl" {
		cmd.Stderr = tail
	}
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return &remote.Exit{Code: exit.ExitCode(), Stderr: tail.Tail()}
		}
		return err
	}
	return nil
}
