package remote

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	testKey        = "-----BEGIN OPENSSH PRIVATE KEY-----\nremote-test-deploy-key-7c1e\n-----END OPENSSH PRIVATE KEY-----"
	testKubeconfig = "apiVersion: v1\nkind: Config\n# remote-test-kubeconfig-secret-42\n"
	dir            = "/tmp/infra-remote-x"
)

var testVPS = VPS{Host: "203.0.113.31", User: "deploy", AppDir: "/opt/app", PrivateKey: testKey}

var testKube = Kubernetes{Kubeconfig: testKubeconfig, Namespace: "focusdeck"}

func TestBuildVPS(t *testing.T) {
	base := []string{"ssh", "-i", dir + "/deploy_key", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"}
	accept := []string{"-o", "StrictHostKeyChecking=accept-new"}
	cases := []struct {
		name string
		vps  VPS
		req  Request
		want []string
	}{
		{"logs", testVPS, Request{Action: Logs, Service: "server"},
			append(append(slices.Clone(base), accept...), "deploy@203.0.113.31", "cd /opt/app && exec docker compose logs --no-log-prefix server")},
		{"logs since, follow", testVPS, Request{Action: Logs, Service: "server", Since: "10m", Follow: true},
			append(append(slices.Clone(base), accept...), "deploy@203.0.113.31", "cd /opt/app && exec docker compose logs --no-log-prefix --since 10m --follow server")},
		{"exec without a terminal", testVPS, Request{Action: Exec, Service: "server", Command: []string{"dotnet", "ef", "--name", "it's"}},
			append(append(slices.Clone(base), accept...), "deploy@203.0.113.31", `cd /opt/app && exec docker compose exec -T server dotnet ef --name 'it'\''s'`)},
		{"exec on a terminal", testVPS, Request{Action: Exec, Service: "server", Command: []string{"sh"}, TTY: true},
			append(append(slices.Clone(base), accept...), "-t", "deploy@203.0.113.31", "cd /opt/app && exec docker compose exec server sh")},
		{"ssh", testVPS, Request{Action: Shell},
			append(append(slices.Clone(base), accept...), "-t", "deploy@203.0.113.31", `cd /opt/app && exec "${SHELL:-/bin/sh}" -l`)},
		{"a known host key", VPS{Host: "203.0.113.31", User: "deploy", AppDir: "/opt/app", PrivateKey: testKey, HostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKey"}, Request{Action: Shell},
			append(slices.Clone(base), "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+dir+"/known_hosts", "-t", "deploy@203.0.113.31", `cd /opt/app && exec "${SHELL:-/bin/sh}" -l`)},
		{"restore drill", testVPS, Request{Action: Drill},
			append(append(slices.Clone(base), accept...), "deploy@203.0.113.31", "cd /opt/app && exec bash restore-drill.sh")},
		{"restore drill, tries and a database", testVPS, Request{Action: Drill, DrillTries: 5, Command: []string{"--database", "shop"}},
			append(append(slices.Clone(base), accept...), "deploy@203.0.113.31", "cd /opt/app && exec env INFRA_DRILL_TRIES=5 bash restore-drill.sh --database shop")},
		{"restore drill, a deadline changes nothing on the VPS", testVPS, Request{Action: Drill, DrillDeadline: 30 * time.Minute},
			append(append(slices.Clone(base), accept...), "deploy@203.0.113.31", "cd /opt/app && exec bash restore-drill.sh")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.vps.Build(c.req, dir)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Argv, c.want) {
				t.Errorf("argv\n got %q\nwant %q", got.Argv, c.want)
			}
			noSecrets(t, got)
			if got.Files[0].Path != dir+"/deploy_key" || got.Files[0].Content != testKey+"\n" {
				t.Errorf("key file %+v", got.Files[0])
			}
			sshAccepts(t, c.vps, c.req)
		})
	}
}

func TestBuildKubernetes(t *testing.T) {
	base := []string{"kubectl", "--kubeconfig", dir + "/kubeconfig", "--namespace", "focusdeck"}
	cases := []struct {
		name string
		req  Request
		want []string
	}{
		{"logs", Request{Action: Logs, Service: "server"}, append(slices.Clone(base), "logs", "deploy/server", "--all-containers")},
		{"logs since, follow", Request{Action: Logs, Service: "server", Since: "1h30m", Follow: true},
			append(slices.Clone(base), "logs", "deploy/server", "--all-containers", "--since", "1h30m", "--follow")},
		{"exec", Request{Action: Exec, Service: "worker", Command: []string{"rails", "runner", "puts 1"}},
			append(slices.Clone(base), "exec", "-i", "deploy/worker", "--", "rails", "runner", "puts 1")},
		{"exec on a terminal", Request{Action: Exec, Service: "worker", Command: []string{"sh"}, TTY: true},
			append(slices.Clone(base), "exec", "-i", "-t", "deploy/worker", "--", "sh")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := testKube.Build(c.req, dir)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Argv, c.want) {
				t.Errorf("argv\n got %q\nwant %q", got.Argv, c.want)
			}
			if !slices.Equal(got.Env, []string{"KUBECONFIG=" + dir + "/kubeconfig"}) {
				t.Errorf("env %q", got.Env)
			}
			noSecrets(t, got)
			kubectlAccepts(t, got)
		})
	}
}

func TestBuildRefuses(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"ssh on kubernetes", build(testKube, Request{Action: Shell}), []string{"ssh is for topology vps"}},
		{"every problem at once", build(testVPS, Request{Action: Exec, Since: "yesterday"}),
			[]string{"exec needs a service", "exec needs a command after --", `--since "yesterday"`}},
		{"a negative duration", build(testKube, Request{Action: Logs, Service: "s", Since: "-5m"}), []string{`--since "-5m"`}},
		{"no deploy key", build(VPS{Host: "h", User: "deploy"}, Request{Action: Shell}), []string{"no VPS address or deploy key"}},
		{"no kubeconfig", build(Kubernetes{Namespace: "n"}, Request{Action: Logs, Service: "s"}), []string{"no kubeconfig"}},
		{"drill tries and deadline out of range", build(testVPS, Request{Action: Drill, DrillTries: 11, DrillDeadline: -time.Minute}),
			[]string{"--tries 11: want 1 to 10", "--timeout -1m0s"}},
		{"negative drill tries", build(testKube, Request{Action: Drill, Job: "db-restore-drill-1", DrillTries: -1}), []string{"--tries -1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(c.err.Error(), w) {
					t.Errorf("%q lacks %q", c.err, w)
				}
			}
		})
	}
}

func build(b interface {
	Build(Request, string) (Command, error)
}, r Request) error {
	_, err := b.Build(r, dir)
	return err
}

// Run writes each file 0600 in a 0700 directory while the command runs,
// and removes them after, also when the command fails.
func TestRunWritesPrivateFilesAndRemovesThem(t *testing.T) {
	for _, fail := range []bool{false, true} {
		d, err := TempDir()
		if err != nil {
			t.Fatal(err)
		}
		c, err := testVPS.Build(Request{Action: Logs, Service: "server"}, d)
		if err != nil {
			t.Fatal(err)
		}
		ran := false
		err = Run(context.Background(), c, d, []string{"PATH=/usr/bin"}, func(_ context.Context, argv, env []string) error {
			ran = true
			st, err := os.Stat(d)
			if err != nil || st.Mode().Perm() != 0o700 {
				t.Errorf("directory: %v %v", st.Mode(), err)
			}
			key := argv[slices.Index(argv, "-i")+1]
			st, err = os.Stat(key)
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("key file: %v %v", st.Mode(), err)
			}
			if b, _ := os.ReadFile(key); string(b) != testKey+"\n" {
				t.Errorf("key file holds %q", b)
			}
			if !slices.Equal(env, []string{"PATH=/usr/bin"}) {
				t.Errorf("env %q", env)
			}
			if fail {
				return errors.New("exit status 255")
			}
			return nil
		})
		if !ran || (err != nil) != fail {
			t.Errorf("fail=%v: ran %v, err %v", fail, ran, err)
		}
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("fail=%v: %s is still there (%v)", fail, d, err)
		}
	}
}

// Run refuses a directory others can read: the key would be exposed.
func TestRunRefusesAnOpenDirectory(t *testing.T) {
	d := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	c, _ := testVPS.Build(Request{Action: Shell}, d)
	err := Run(context.Background(), c, d, nil, func(context.Context, []string, []string) error {
		t.Error("ran")
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "0700") {
		t.Errorf("err %v", err)
	}
}

// The drill's remote command line, run by a real sh in a stand-in app
// directory, starts restore-drill.sh (a bash stub here) with
// INFRA_DRILL_TRIES in its environment and the arguments as given.
func TestDrillTriesReachTheScript(t *testing.T) {
	bin, app := t.TempDir(), t.TempDir()
	stub := "#!/bin/sh\nprintf '%s\\n' \"$PWD\" \"tries=${INFRA_DRILL_TRIES-unset}\" \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "bash"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tries int
		want  []string
	}{
		{0, []string{app, "tries=unset", "restore-drill.sh", "--database", "shop"}},
		{7, []string{app, "tries=7", "restore-drill.sh", "--database", "shop"}},
	} {
		v := testVPS
		v.AppDir = app
		cmdLine, err := v.Build(Request{Action: Drill, DrillTries: c.tries, Command: []string{"--database", "shop"}}, dir)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", "-c", cmdLine.Argv[len(cmdLine.Argv)-1])
		cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("sh: %v", err)
		}
		if got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"); !slices.Equal(got, c.want) {
			t.Errorf("tries %d: the script got\n %q\nwant %q", c.tries, got, c.want)
		}
	}
}

// The waits follow the Job's deadline: 10 minutes past it.
func TestKubernetesDrillWaitsFollowTheDeadline(t *testing.T) {
	const job = "db-restore-drill-1796529600"
	for _, c := range []struct {
		deadline time.Duration
		want     string
	}{
		{0, "--timeout=1h10m0s"},
		{30 * time.Minute, "--timeout=40m0s"},
		{2 * time.Hour, "--timeout=2h10m0s"},
	} {
		d := testKube.Drill(job, dir, c.deadline)
		for _, line := range [][]string{d.WaitComplete, d.WaitFailed} {
			if !slices.Contains(line, c.want) {
				t.Errorf("deadline %s: %q lacks %s", c.deadline, line, c.want)
			}
		}
		kubectlAcceptsInput(t, Command{Argv: d.WaitComplete}, "")
	}
}

// The remote command ssh hands to the host's shell gives docker exactly
// the words asked for: a real sh runs it, with a docker that prints its
// arguments, one per line.
func TestRemoteCommandQuoting(t *testing.T) {
	bin, app := t.TempDir(), t.TempDir()
	script := "#!/bin/sh\nprintf '%s\\n' \"$PWD\" \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	words := []string{"psql", "-c", "select 'a b'; -- $HOME `id` \"q\"", "*"}
	v := testVPS
	v.AppDir = app
	c, err := v.Build(Request{Action: Exec, Service: "db", Command: words}, dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", c.Argv[len(c.Argv)-1])
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	want := append([]string{app, "compose", "exec", "-T", "db"}, words...)
	if !slices.Equal(got, want) {
		t.Errorf("docker got\n %q\nwant %q", got, want)
	}
}

func noSecrets(t *testing.T, c Command) {
	t.Helper()
	for _, s := range []string{"remote-test-deploy-key-7c1e", "remote-test-kubeconfig-secret-42", "PRIVATE KEY"} {
		for _, a := range append(slices.Clone(c.Argv), c.Env...) {
			if strings.Contains(a, s) {
				t.Errorf("a secret is on the command line or in the env: %q", a)
			}
		}
	}
}

// sshAccepts has the real ssh parse the options of the same command built
// in a directory holding its files (-G prints the resolved configuration
// and exits without connecting; it drops an identity file that is not there).
func sshAccepts(t *testing.T, v VPS, r Request) {
	t.Helper()
	d := t.TempDir()
	c, err := v.Build(r, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Files {
		if err := os.WriteFile(f.Path, []byte(f.Content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	args := append([]string{"-G", "-F", "none"}, c.Argv[1:]...)
	out, err := exec.Command("ssh", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh -G: %v\n%s", err, out)
	}
	for _, want := range []string{"hostname 203.0.113.31", "user deploy", "identitiesonly yes", "batchmode yes", "identityfile " + d + "/deploy_key"} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("ssh -G lacks %q", want)
		}
	}
	mode := "stricthostkeychecking accept-new\n"
	if v.HostKey != "" {
		mode = "stricthostkeychecking true\n"
		if !strings.Contains(string(out), "userknownhostsfile "+d+"/known_hosts\n") {
			t.Error("ssh -G does not use the stack's known_hosts")
		}
	}
	if !strings.Contains(string(out), mode) {
		t.Errorf("ssh -G lacks %q", mode)
	}
}

// kubectlAccepts runs the real kubectl against a server that is not
// there: flags it did not accept fail before it connects.
func kubectlAccepts(t *testing.T, c Command) {
	t.Helper()
	kubectlAcceptsInput(t, c, "")
}

// kubectlAcceptsInput is kubectlAccepts with stdin.
func kubectlAcceptsInput(t *testing.T, c Command, stdin string) {
	t.Helper()
	d := t.TempDir()
	kc := filepath.Join(d, "kubeconfig")
	doc := `apiVersion: v1
kind: Config
current-context: t
clusters: [{name: t, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: t, context: {cluster: t, user: t}}]
users: [{name: t, user: {token: test}}]
`
	if err := os.WriteFile(kc, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	args := slices.Clone(c.Argv[1:])
	args[slices.Index(args, dir+"/kubeconfig")] = kc
	args = append([]string{"--request-timeout=2s"}, args...)
	cmd := exec.Command("kubectl", args...)
	cmd.Env = []string{"HOME=" + d, "KUBECONFIG=" + kc}
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("kubectl reached a server at 127.0.0.1:1?\n%s", out)
	}
	if !strings.Contains(string(out), "127.0.0.1:1") || strings.Contains(string(out), "unknown") {
		t.Errorf("kubectl did not get as far as connecting:\n%s", out)
	}
}

// The restore drill's kubectl lines on Kubernetes: create from stdin, the
// two racing waits, the two containers' logs, and the delete that does not
// wait; each one parsed by the real kubectl as far as connecting.
func TestKubernetesDrill(t *testing.T) {
	base := []string{"kubectl", "--kubeconfig", dir + "/kubeconfig", "--namespace", "focusdeck"}
	const job = "db-restore-drill-1796529600"
	d := testKube.Drill(job, dir, 0)
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		{"create", d.Create, append(slices.Clone(base), "create", "--filename=-")},
		{"wait complete", d.WaitComplete, append(slices.Clone(base), "wait", "--for=condition=complete", "--timeout=1h10m0s", "job/"+job)},
		{"wait failed", d.WaitFailed, append(slices.Clone(base), "wait", "--for=condition=failed", "--timeout=1h10m0s", "job/"+job)},
		{"logs", d.Logs, append(slices.Clone(base), "logs", "job/"+job, "--container=drill")},
		{"fetch logs", d.FetchLogs, append(slices.Clone(base), "logs", "job/"+job, "--container=fetch")},
		{"delete", d.Delete, append(slices.Clone(base), "delete", "job", job, "--wait=false", "--ignore-not-found")},
	}
	manifest := `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"` + job + `"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"drill","image":"postgres:16"}]}}}}`
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !slices.Equal(c.got, c.want) {
				t.Errorf("argv\n got %q\nwant %q", c.got, c.want)
			}
			stdin := ""
			if c.name == "create" {
				stdin = manifest
			}
			kubectlAcceptsInput(t, Command{Argv: c.got}, stdin)
		})
	}

	// Build's drill command is the create line, with the kubeconfig file.
	got, err := testKube.Build(Request{Action: Drill, Job: job}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Argv, d.Create) || len(got.Files) != 1 || got.Files[0].Path != dir+"/kubeconfig" || got.Files[0].Content != testKubeconfig {
		t.Errorf("build %+v", got)
	}
	noSecrets(t, got)
	if _, err := testKube.Build(Request{Action: Drill, Job: "bad name;"}, dir); err == nil {
		t.Error("a drill without a valid job name was built")
	}
}
