package cli

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/spf13/cobra"
)

const (
	remoteKubeconfig = "apiVersion: v1\nkind: Config\n# cli-remote-test-kubeconfig-91\n"
	testDeployKey    = "-----BEGIN OPENSSH PRIVATE KEY-----\ncli-remote-test-key-53\n-----END OPENSSH PRIVATE KEY-----\n"
)

// keyedStack is a fakeStack that also reads its config, as *auto.Stack does.
type keyedStack struct {
	*fakeStack
	asked []string
}

func (k *keyedStack) GetConfigWithOptions(_ context.Context, key string, opts *auto.ConfigOptions) (auto.ConfigValue, error) {
	k.asked = append(k.asked, key)
	if key == "infra:secrets.deploy-ssh-key" && opts != nil && opts.Path {
		return auto.ConfigValue{Value: testDeployKey, Secret: true}, nil
	}
	return auto.ConfigValue{}, os.ErrNotExist
}

// The CLI finds the target and the credentials in the stack (outputs,
// config), runs the command with them in 0600 files it removes after, calls
// the access hook before and its cleanup after, and prints no secret.
func TestRemoteCommands(t *testing.T) {
	kube := auto.OutputMap{
		"topology":       {Value: "kubernetes"},
		"kubernetes":     {Value: map[string]any{"namespace": "focusdeck", "clusterName": "c"}},
		KubeconfigOutput: {Value: remoteKubeconfig, Secret: true},
	}
	vps := auto.OutputMap{
		"topology": {Value: "vps"},
		"vps":      {Value: map[string]any{"ipv4": "203.0.113.5", "reservedIp": "203.0.113.31"}},
	}
	cases := []struct {
		name    string
		outs    auto.OutputMap
		args    []string
		argv    []string // without the credential file's path
		secret  string
		target  RemoteTarget
		exit    int
		errText string
	}{
		{"kubernetes logs", kube, []string{"logs", "server", "--since", "5m", "-f"},
			[]string{"kubectl", "--kubeconfig", "--namespace", "focusdeck", "logs", "deploy/server", "--all-containers", "--since", "5m", "--follow"},
			remoteKubeconfig, RemoteTarget{Topology: "kubernetes", Namespace: "focusdeck"}, ExitOK, ""},
		{"kubernetes exec", kube, []string{"exec", "--stack", "prod", "worker", "--", "sh", "-c", "echo hi"},
			[]string{"kubectl", "--kubeconfig", "--namespace", "focusdeck", "exec", "-i", "deploy/worker", "--", "sh", "-c", "echo hi"},
			remoteKubeconfig, RemoteTarget{Topology: "kubernetes", Namespace: "focusdeck"}, ExitOK, ""},
		{"vps logs", vps, []string{"logs", "server"},
			[]string{"ssh", "-i", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new", "deploy@203.0.113.31", "cd /opt/app && exec docker compose logs --no-log-prefix server"},
			testDeployKey, RemoteTarget{Topology: "vps", Host: "203.0.113.31"}, ExitOK, ""},
		{"ssh on kubernetes", kube, []string{"ssh"}, nil, "", RemoteTarget{}, ExitUsage, "ssh is for topology vps"},
		{"a stack never deployed", auto.OutputMap{}, []string{"logs", "server"}, nil, "", RemoteTarget{}, ExitFailure, "no topology output"},
		{"exec without --", kube, []string{"exec", "server", "sh"}, nil, "", RemoteTarget{}, ExitUsage, "then -- and the command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := testProject(t)
			f := &keyedStack{fakeStack: &fakeStack{outputs: c.outs}}
			var events []string
			var argv []string
			var files []string
			stack := func(o *RemoteOptions) error {
				o.OpenStack = func(_ context.Context, req StackRequest) (Stack, error) { return f, nil }
				o.Environ = func() []string { return []string{"PATH=/usr/bin", "DIGITALOCEAN_TOKEN=do-token"} }
				o.BeforeRun = func(_ context.Context, tg RemoteTarget) (func(), error) {
					events = append(events, "access")
					if tg != c.target {
						t.Errorf("target %+v, want %+v", tg, c.target)
					}
					return func() { events = append(events, "revoke") }, nil
				}
				o.Run = func(_ context.Context, a, env []string) error {
					events = append(events, "run")
					for _, p := range a {
						if st, err := os.Stat(p); err == nil && !st.IsDir() {
							files = append(files, p)
							if st.Mode().Perm() != 0o600 {
								t.Errorf("%s has mode %v", p, st.Mode())
							}
							if b, _ := os.ReadFile(p); string(b) != c.secret {
								t.Errorf("%s holds %q", p, b)
							}
							continue
						}
						argv = append(argv, p)
					}
					if c.target.Topology == "kubernetes" && !slices.Contains(env, "DIGITALOCEAN_ACCESS_TOKEN=do-token") {
						t.Errorf("doctl gets no token: %q", env)
					}
					return nil
				}
				return runRemote(context.Background(), o)
			}
			args := c.args
			if !slices.Contains(args, "--stack") {
				args = append(slices.Clone(args), "--stack", "prod")
			}
			args = append(args[:1:1], append([]string{"--dir", dir}, args[1:]...)...)
			build := map[string]func(*IO, func(*RemoteOptions) error) *cobra.Command{"logs": NewCmdLogs, "ssh": NewCmdSSH, "exec": NewCmdExec}[args[0]]
			r := runWith(context.Background(), t, func(s *IO) *cobra.Command { return build(s, stack) }, args...)
			if r.code != c.exit || !strings.Contains(r.stderr+errText(r.err), c.errText) {
				t.Fatalf("exit %d, want %d; err %v; stderr:\n%s", r.code, c.exit, r.err, r.stderr)
			}
			if c.exit != ExitOK {
				return
			}
			if !slices.Equal(argv, c.argv) {
				t.Errorf("argv\n got %q\nwant %q", argv, c.argv)
			}
			if !slices.Equal(events, []string{"access", "run", "revoke"}) {
				t.Errorf("order %v", events)
			}
			if len(files) != 1 {
				t.Fatalf("credential files %v", files)
			}
			if _, err := os.Stat(files[0]); !os.IsNotExist(err) {
				t.Errorf("%s is still there", files[0])
			}
			for _, s := range []string{"cli-remote-test-kubeconfig-91", "cli-remote-test-key-53"} {
				if strings.Contains(r.stdout+r.stderr+strings.Join(argv, " "), s) {
					t.Error("a secret was printed or put on the command line")
				}
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// logs --access-from on the VPS opens SSH to this machine while the
// command runs, through the same access as up, and removes it after; on
// Kubernetes it opens nothing.
func TestRemoteWithAccess(t *testing.T) {
	for _, c := range []struct {
		topology string
		during   string
	}{
		{"vps", openNow},
		{"kubernetes", ""},
	} {
		t.Run(c.topology, func(t *testing.T) {
			r := newAccessRig(t)
			r.f.outputs = auto.OutputMap{
				"topology":       {Value: c.topology},
				"vps":            {Value: map[string]any{"reservedIp": "203.0.113.31"}},
				"kubernetes":     {Value: map[string]any{"namespace": "focusdeck"}},
				KubeconfigOutput: {Value: remoteKubeconfig, Secret: true},
			}
			f := &keyedStack{fakeStack: r.f}
			var during []string
			dir := testProject(t)
			build := func(s *IO) *cobra.Command {
				return NewCmdLogs(s, func(o *RemoteOptions) error {
					o.OpenStack = func(context.Context, StackRequest) (Stack, error) { return f, nil }
					o.Environ = func() []string { return nil }
					o.Run = func(context.Context, []string, []string) error {
						during = r.open()
						return nil
					}
					return runRemote(context.Background(), o)
				})
			}
			res := r.run(context.Background(), t, build, "logs", "--dir", dir, "--stack", "prod", "--access-from", runner, "server")
			if res.code != ExitOK {
				t.Fatalf("exit %d: %v\n%s", res.code, res.err, res.stderr)
			}
			if got := strings.Join(during, " "); got != c.during {
				t.Errorf("open while logs ran: %q, want %q", got, c.during)
			}
			if after := r.open(); len(after) != 0 {
				t.Errorf("still open after logs: %v", after)
			}
		})
	}
}
