package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/spf13/cobra"

	"infra/internal/remote"
)

var (
	vpsOutputs = auto.OutputMap{
		"topology": {Value: "vps"},
		"vps":      {Value: map[string]any{"reservedIp": "203.0.113.31"}},
	}
	kubeOutputs = auto.OutputMap{
		"topology":       {Value: "kubernetes"},
		"kubernetes":     {Value: map[string]any{"namespace": "focusdeck"}},
		KubeconfigOutput: {Value: remoteKubeconfig, Secret: true},
	}
)

// runRemoteWith runs a remote command of the CLI on a stack with outs,
// through run, and returns the result and the argv run was given.
func runRemoteWith(t *testing.T, outs auto.OutputMap, run remote.Runner, args ...string) (ran, []string) {
	t.Helper()
	f := &keyedStack{fakeStack: &fakeStack{outputs: outs}}
	var argv []string
	action := func(o *RemoteOptions) error {
		o.OpenStack = func(context.Context, StackRequest) (Stack, error) { return f, nil }
		o.Environ = func() []string { return nil }
		o.BeforeRun = func(context.Context, RemoteTarget) (func(), error) { return func() {}, nil }
		o.Run = func(ctx context.Context, a, env []string) error {
			argv = a
			return run(ctx, a, env)
		}
		return runRemote(context.Background(), o)
	}
	build := map[string]func(*IO, func(*RemoteOptions) error) *cobra.Command{"logs": NewCmdLogs, "ssh": NewCmdSSH, "exec": NewCmdExec}[args[0]]
	args = append([]string{args[0], "--dir", testProject(t), "--stack", "prod"}, args[1:]...)
	return runWith(context.Background(), t, func(s *IO) *cobra.Command { return build(s, action) }, args...), argv
}

// exiting is a runner whose command line ends with status code, having
// written stderr.
func exiting(code int, stderr string) remote.Runner {
	return func(context.Context, []string, []string) error {
		if code == 0 {
			return nil
		}
		return &remote.Exit{Code: code, Stderr: stderr}
	}
}

// exec and ssh exit with the remote command's own status; ssh's own
// failure (255) and kubectl's own failures exit 255; a command line that
// cannot start at all exits 1.
func TestRemoteExitStatus(t *testing.T) {
	for _, c := range []struct {
		name    string
		outs    auto.OutputMap
		args    []string
		run     remote.Runner
		want    int
		errText string
	}{
		{"vps exec -- false", vpsOutputs, []string{"exec", "api", "--", "false"}, exiting(1, ""), 1, "the command exited with status 1"},
		{"vps exec -- sh -c 'exit 7'", vpsOutputs, []string{"exec", "api", "--", "sh", "-c", "exit 7"}, exiting(7, ""), 7, "the command exited with status 7"},
		{"vps exec: ssh cannot connect", vpsOutputs, []string{"exec", "api", "--", "true"}, exiting(255, "ssh: connect to host 203.0.113.31 port 22: Connection timed out\n"), 255, "ssh failed (exit 255)"},
		{"ssh -- a command", vpsOutputs, []string{"ssh", "--", "test", "-f", "deploy.sh"}, exiting(3, ""), 3, "the command exited with status 3"},
		{"the login shell's status", vpsOutputs, []string{"ssh"}, exiting(130, ""), 130, "the command exited with status 130"},
		{"kubernetes exec -- sh -c 'exit 7'", kubeOutputs, []string{"exec", "api", "--", "sh", "-c", "exit 7"}, exiting(7, "command terminated with exit code 7\n"), 7, "the command exited with status 7"},
		{"kubernetes exec -- false", kubeOutputs, []string{"exec", "api", "--", "false"}, exiting(1, "command terminated with exit code 1\n"), 1, "the command exited with status 1"},
		{"kubectl's own failure", kubeOutputs, []string{"exec", "api", "--", "true"}, exiting(1, "Error from server (NotFound): deployments.apps \"api\" not found\n"), 255, "kubectl failed (exit 1)"},
		{"kubernetes logs: kubectl's own failure", kubeOutputs, []string{"logs", "api"}, exiting(1, "error: You must be logged in to the server\n"), 255, "kubectl failed (exit 1)"},
		{"the command line cannot start", vpsOutputs, []string{"exec", "api", "--", "true"}, func(context.Context, []string, []string) error {
			return errors.New(`exec: "ssh": executable file not found in $PATH`)
		}, ExitFailure, "executable file not found"},
		{"success", kubeOutputs, []string{"exec", "api", "--", "true"}, exiting(0, ""), ExitOK, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, _ := runRemoteWith(t, c.outs, c.run, c.args...)
			if r.code != c.want || !strings.Contains(errText(r.err), c.errText) {
				t.Errorf("exit %d (%v), want %d with %q", r.code, r.err, c.want, c.errText)
			}
		})
	}
}

// ssh -- COMMAND runs it in the app directory, without a terminal unless
// stdin is one; a command without -- is refused.
func TestSSHWithACommand(t *testing.T) {
	r, argv := runRemoteWith(t, vpsOutputs, exiting(0, ""), "ssh", "--", "docker", "compose", "ps", "--format", "{{.Name}} {{.State}}")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	if slices.Contains(argv, "-t") || len(argv) == 0 || argv[len(argv)-1] != `cd /opt/app && exec docker compose ps --format '{{.Name}} {{.State}}'` {
		t.Errorf("argv %q", argv)
	}
	if r, _ := runRemoteWith(t, vpsOutputs, exiting(0, ""), "ssh", "uptime"); r.code != ExitUsage || !strings.Contains(errText(r.err), "after --") {
		t.Errorf("ssh uptime: exit %d (%v), want a usage error", r.code, r.err)
	}
}

// The real runner: kubectl's stderr still reaches the user, and its end
// decides whose failure it is. The stand-in kubectl prints what kubectl
// prints (see remote.Status) and exits as kubectl does.
func TestExecRunnerReadsKubectlsVerdict(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\necho \"$FAKE_KUBECTL_SAYS\" >&2\nexit \"$FAKE_KUBECTL_EXIT\"\n"
	if err := os.WriteFile(filepath.Join(bin, "kubectl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, c := range []struct {
		says       string
		exit, want int
	}{
		{"command terminated with exit code 7", 7, 7},
		{`Error from server (NotFound): deployments.apps "api" not found`, 1, 255},
	} {
		var stderr strings.Builder
		o := &RemoteOptions{StackOptions: StackOptions{IO: &IO{In: strings.NewReader(""), Out: &strings.Builder{}, ErrOut: &stderr}}}
		err := o.execRunner(context.Background(), []string{"kubectl", "exec"}, append(os.Environ(), "FAKE_KUBECTL_SAYS="+c.says, "FAKE_KUBECTL_EXIT="+string(rune('0'+c.exit))))
		if got := ExitCode(remoteExit(err, "kubectl", remote.Exec, "prod")); got != c.want {
			t.Errorf("kubectl saying %q and exiting %d: infra exits %d, want %d", c.says, c.exit, got, c.want)
		}
		if stderr.String() != c.says+"\n" {
			t.Errorf("the user saw %q on stderr", stderr.String())
		}
	}
}
