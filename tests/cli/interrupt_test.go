package clitest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"infra/internal/cli"
	"infra/internal/enginetest"
)

// The resource an update is interrupted in the middle of creating: the one
// whose double would cost most (a second database cluster).
const heldType = "digitalocean:index/databaseCluster:DatabaseCluster"

// Files the test provider reads and writes under PULUMI_HOME
// (tests/testprovider/record.go).
const (
	createsLog  = "testprovider-creates.log"
	holdFile    = "testprovider-hold"
	holdingFile = "testprovider-holding"
)

// An update killed (kill -9 of the engine and its plugins, a runner that
// vanished) or interrupted (Ctrl-C) while the provider creates the
// database cluster. Whatever the state then holds, nothing pending is
// reported as success and the cluster is created once: status lists the
// pending create, preview and up refuse (exit 7) until it is resolved, and
// the import that resolves it adopts the cluster with the id the cloud gave.
// Timing-independent: the provider holds the create until the test has
// interrupted the engine, so `go test -count=20 -run TestEngineInterrupted`
// passes every time.
func TestEngineInterruptedCreate(t *testing.T) {
	for _, how := range []string{"kill -9", "Ctrl-C"} {
		t.Run(strings.ReplaceAll(how, " ", ""), func(t *testing.T) {
			interruptedCreate(t, how)
		})
	}
}

func interruptedCreate(t *testing.T, how string) {
	s, e := newSession(t)
	home := e.Env["PULUMI_HOME"]
	dir, _ := project(t, e, "staging", func(c string) string {
		return strings.Replace(c, "infra:class: production", "infra:class: staging", 1)
	})
	with := func(args ...string) []string { return append(args, "--stack", "staging", "--dir", dir) }
	if err := os.WriteFile(filepath.Join(home, holdFile), []byte(heldType), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- s.runCtx(ctx, nil, with("up", "--yes")...).code }()
	held := waitForFile(t, filepath.Join(home, holdingFile), 3*time.Minute)
	urn, id, _ := strings.Cut(held, " ")
	t.Logf("the engine is creating %s (id %s); interrupting it with %s", urn, id, how)

	switch how {
	case "kill -9":
		killed := killEngine(t)
		t.Logf("killed %d processes (pulumi and its plugins)", killed)
	case "Ctrl-C":
		cancel() // what signal.NotifyContext does
		time.Sleep(time.Second)
	}
	release(t, home)
	var code int
	if err := enginetest.Within(t, 2*time.Minute, func() string { return "up after " + how }, func() error {
		code = <-done
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if code == cli.ExitOK {
		t.Fatalf("an interrupted up exited 0")
	}

	// A kill can land while the engine writes the state: the next command
	// then says so, names the state file and its .bak, and following it
	// recovers (the .bak is the state before the write that was cut).
	if r := s.run(with("status", "--json")...); r.code != cli.ExitOK {
		path := e.StatePath("focusdeck", "staging")
		if !strings.Contains(r.stderr, "cannot be read") || !strings.Contains(r.stderr, path+".bak") {
			t.Fatalf("status after %s: exit %d without the way back:\n%s", how, r.code, r.stderr)
		}
		switch {
		case strings.Contains(r.stderr, path+".attrs is damaged"):
			// The metadata write was cut: delete it, as the message says.
			if err := os.Remove(path + ".attrs"); err != nil {
				t.Fatal(err)
			}
		case strings.Contains(r.stderr, "the state file itself is damaged"):
			// "copy the newest of those that reads": the .bak, then the
			// backups folder, newest first.
			backups, _ := filepath.Glob(filepath.Join(e.BackendDir, ".pulumi", "backups", "focusdeck", "staging", "*.json"))
			sort.Sort(sort.Reverse(sort.StringSlice(backups)))
			var good []byte
			for _, c := range append([]string{path + ".bak"}, backups...) {
				if b, err := os.ReadFile(c); err == nil && json.Valid(b) {
					good = b
					break
				}
			}
			if good == nil {
				t.Fatalf("no readable state among the .bak and the backups")
			}
			if err := os.WriteFile(path, good, 0o600); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("the message does not say what is damaged:\n%s", r.stderr)
		}
		t.Logf("the %s cut a state write; recovered as the message says", how)
	}
	var st cli.Status
	if err := json.Unmarshal([]byte(s.must(cli.ExitOK, with("status", "--json")...).stdout), &st); err != nil {
		t.Fatal(err)
	}
	pendingCreate := false
	for _, op := range st.PendingOperations {
		pendingCreate = pendingCreate || op.URN == urn && op.Op == "creating"
	}
	t.Logf("%s: up exited %d; status lists %d pending operation(s), the cluster's create among them: %v", how, code, len(st.PendingOperations), pendingCreate)
	for _, op := range st.PendingOperations {
		t.Logf("  pending: %s %s", op.Op, op.URN)
	}
	if how == "kill -9" && !pendingCreate {
		t.Fatalf("after kill -9 mid-create the state should hold the pending create of %s; status: %+v", urn, st.PendingOperations)
	}

	if pendingCreate {
		// Nothing pending passes for success: both refuse, and say how out.
		for _, args := range [][]string{with("up", "--yes"), with("preview", "--expect-no-changes")} {
			r := s.must(cli.ExitPending, args...)
			if !strings.Contains(r.stderr, urn) || !strings.Contains(r.stderr, "--import-pending-create") {
				t.Errorf("%v: the refusal names neither the resource nor the fix:\n%s", args, r.stderr)
			}
		}
		if n := creates(t, home)[urn]; n != 1 {
			t.Fatalf("the refused runs created %s again: %d creates", urn, n)
		}
		// Other creates may have been in flight when the engine died (a
		// reserved IP, generated passwords). Adopting the cluster alone is
		// refused while they are undecided (the engine's refresh would drop
		// them without a trace). Then, as a user would: look each up in the
		// "cloud" (the provider's log); adopt what exists with its id, drop
		// what does not.
		inCloud := createdIDs(t, home)
		var adoptArgs []string
		undecided := false
		for _, op := range st.PendingOperations {
			if op.Op != "creating" {
				continue
			}
			if id, ok := inCloud[op.URN]; ok {
				adoptArgs = append(adoptArgs, "--import-pending-create", op.URN+"="+id)
			} else {
				undecided = true
			}
			undecided = undecided || op.URN != urn
		}
		if undecided {
			r := s.must(cli.ExitPending, with("refresh", "--import-pending-create", urn+"="+id)...)
			if !strings.Contains(r.stderr, "without a trace") {
				t.Errorf("the refusal does not say why:\n%s", r.stderr)
			}
		}
		adopt := with(append(append([]string{"refresh"}, adoptArgs...), "--clear-pending-creates")...)
		// A killed engine leaves its lock; the refusal says how to release it.
		if r := s.run(adopt...); r.code == cli.ExitLocked {
			if !strings.Contains(r.stderr, "pulumi cancel --stack staging") {
				t.Errorf("the lock message lacks the way out:\n%s", r.stderr)
			}
			pulumiCancel(t, e, dir, "staging")
			s.must(cli.ExitOK, adopt...)
		} else if r.code != cli.ExitOK {
			t.Fatalf("refresh --import-pending-create: exit %d\n%s", r.code, r.stderr)
		}
		if err := json.Unmarshal([]byte(s.must(cli.ExitOK, with("status", "--json")...).stdout), &st); err != nil {
			t.Fatal(err)
		}
		if len(pendingCreates(st.PendingOperations)) != 0 {
			t.Errorf("pending creates left after the refresh that decided them: %+v", st.PendingOperations)
		}
	}
	s.must(cli.ExitOK, with("up", "--yes")...)
	s.must(cli.ExitOK, with("preview", "--expect-no-changes")...)
	if n := creates(t, home)[urn]; n != 1 {
		t.Errorf("%s was created %d times, want once", urn, n)
	}
	for _, r := range stateResources(t, e, "staging") {
		if r.URN == urn && r.ID != id {
			t.Errorf("the cluster in the state has id %q, the cloud's is %q", r.ID, id)
		}
	}
	for u, n := range creates(t, home) {
		if n != 1 {
			t.Errorf("%s was created %d times", u, n)
		}
	}
}

// waitForFile waits for path to exist and returns its content.
func waitForFile(t *testing.T, path string, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return string(b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not appear within %s", path, d)
	return ""
}

// release lets held creates finish, and holds nothing from now on.
func release(t *testing.T, home string) {
	t.Helper()
	if err := os.Remove(filepath.Join(home, holdFile)); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

// createdIDs is the id the test provider gave each resource it created.
func createdIDs(t *testing.T, home string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, createsLog))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		urn, id, _ := strings.Cut(line, " ")
		out[urn] = id
	}
	return out
}

// creates counts the creates the test provider carried out, per URN.
func creates(t *testing.T, home string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, createsLog))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		urn, _, _ := strings.Cut(line, " ")
		out[urn]++
	}
	return out
}

// pulumiCancel releases a dead update's lock with the real CLI, as the
// lock message tells a user to.
func pulumiCancel(t *testing.T, e *enginetest.Engine, dir, stack string) {
	t.Helper()
	pulumi(t, e, dir, "cancel", "--yes", "--stack", stack)
}

// pulumi runs the real pulumi CLI in the project directory, against the
// test's backend, as a user following a message would.
func pulumi(t *testing.T, e *enginetest.Engine, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(e.CLIRoot, "bin", "pulumi"), args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range e.Env {
		cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%s", k, v))
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pulumi %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func pendingCreates(ops []cli.PendingOp) []cli.PendingOp {
	var out []cli.PendingOp
	for _, op := range ops {
		if op.Op == "creating" {
			out = append(out, op)
		}
	}
	return out
}
