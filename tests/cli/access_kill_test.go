package clitest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"infra/internal/access"
	"infra/internal/cli"
	"infra/internal/doapitest"
	"infra/internal/dotype"
)

// An `infra up --access-from` killed (kill -9 of infra, the engine and its
// plugins: a runner that vanished) while it deploys to the Droplet leaves
// its temporary firewall and trusted source behind; nothing else could
// remove them. The next run leaves them while they are younger than the
// maximum age (they may belong to a run still going), and sweeps them once
// they are older.
func TestEngineAccessKilledRun(t *testing.T) {
	s, e := newSession(t)
	home := e.Env["PULUMI_HOME"]
	dir, _ := project(t, e, "staging", func(c string) string {
		return strings.Replace(c, "infra:class: production", "infra:class: staging", 1)
	})
	with := func(args ...string) []string { return append(args, "--stack", "staging", "--dir", dir) }
	s.must(cli.ExitOK, with("up", "--yes")...)

	api := doapitest.New(t, accessToken)
	s.env[access.TokenEnv], s.env[access.APIURLEnv] = accessToken, api.URL()
	st := checkpoint(t, e)
	cluster := only(t, st, dotype.DatabaseCluster).ID
	api.AddCluster(cluster, doapitest.Rule{Type: "tag", Value: "focusdeck-prod-app"}, doapitest.Rule{Type: "ip_addr", Value: "198.51.100.7/32"})
	own := api.Rules(cluster)

	// The killed run, from another runner: infra as a process of its own.
	bin := filepath.Join(t.TempDir(), "infra")
	if out, err := exec.Command("go", "build", "-o", bin, "infra/cmd/infra").CombinedOutput(); err != nil {
		t.Fatalf("build infra: %v\n%s", err, out)
	}
	const killed = "203.0.113.9"
	editStack(t, dir, "staging", image, "ghcr.io/focusdeck/server:1.4.3")
	writeFile(t, filepath.Join(home, holdFile), []byte(deployType))
	defer release(t, home)
	cmd := exec.Command(bin, with("up", "--yes", "--access-from", killed)...)
	cmd.Env = os.Environ()
	for k, v := range s.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForFile(t, filepath.Join(home, holdingFile), 3*time.Minute)
	n := killTree(t, cmd.Process.Pid)
	_ = cmd.Wait()
	release(t, home)
	t.Logf("killed infra and %d processes under it while it deployed", n-1)

	leftover := func() []string {
		var out []string
		for _, fw := range api.Firewalls() {
			out = append(out, "firewall "+fw.Name)
		}
		for _, r := range api.Rules(cluster) {
			if !slices.Contains(own, r) {
				out = append(out, "trusted "+r.Value)
			}
		}
		return out
	}
	left := leftover()
	if len(left) != 2 || !strings.HasPrefix(left[0], "firewall "+access.NamePrefix+"staging-") || left[1] != "trusted "+killed {
		t.Fatalf("after kill -9: %v, want the run's firewall and trusted source", left)
	}

	// The next run: the engine's lock and pending create are the killed
	// run's too; a refresh that drops the pending create clears them.
	pulumiCancel(t, e, dir, "staging")
	s.must(cli.ExitOK, with("refresh", "--access-from", runnerIP, "--clear-pending-creates")...)
	if got := leftover(); !slices.Equal(got, left) {
		t.Errorf("a leftover younger than %s may be a run still going: %v, want %v kept", access.MaxAge, got, left)
	}
	// Once it is older than the maximum age, the next run sweeps it.
	time.Sleep(1100 * time.Millisecond)
	s.env[access.MaxAgeEnv] = "1s"
	s.must(cli.ExitOK, with("up", "--yes", "--access-from", runnerIP)...)
	if got := leftover(); len(got) != 0 {
		t.Errorf("after the sweep: %v left", got)
	}
	if rules := api.Rules(cluster); !slices.Equal(rules, own) {
		t.Errorf("the cluster's rules: %+v, want its own %+v", rules, own)
	}
	var swept []string
	for _, c := range api.Calls() {
		if c.Method == "DELETE" || c.Method == "PUT" {
			swept = append(swept, fmt.Sprintf("%s %d", c, c.Status))
		}
	}
	t.Logf("writes: %v", swept)
}
