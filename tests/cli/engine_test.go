package clitest

// The CLI against the real Pulumi engine: the pulumi CLI built from its Go
// module (scripts/pulumi-cli.sh), the test provider plugins on PATH, a file
// backend in t.TempDir(), and the real stacks program on the FocusDeck
// example's stack file. Skipped loudly without a CLI, except with CI=true.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"infra/internal/cli"
	"infra/internal/enginetest"
	"infra/internal/planner"
	"infra/stacks/config"
)

// session runs infra commands in-process against one engine and keeps a
// transcript of everything they print.
type session struct {
	t          *testing.T
	env        map[string]string
	transcript bytes.Buffer
}

type result struct {
	code           int
	stdout, stderr string
}

func newSession(t *testing.T) (*session, *enginetest.Engine) {
	e := enginetest.New(t)
	env := map[string]string{"INFRA_PULUMI_CLI": filepath.Join(e.CLIRoot, "bin", "pulumi")}
	for k, v := range e.Env {
		env[k] = v
	}
	return &session{t: t, env: env}, e
}

// run runs `infra args...` and adds its output to the transcript, unless
// the command was asked to print secrets.
func (s *session) run(args ...string) result {
	s.t.Helper()
	return s.runCtx(context.Background(), nil, args...)
}

// runCtx is run with a context, and a hook that sees the live output.
func (s *session) runCtx(ctx context.Context, hook func(string), args ...string) result {
	s.t.Helper()
	var out, errOut bytes.Buffer
	start := time.Now()
	code := cli.MainContext(ctx, args, &cli.IO{
		In: strings.NewReader(""), Out: &watched{&out, hook}, ErrOut: &watched{&errOut, hook},
		Getenv: func(k string) string { return s.env[k] },
	})
	s.t.Logf("infra %s: exit %d in %s", strings.Join(args, " "), code, time.Since(start).Round(time.Millisecond))
	showsSecrets := false
	for _, a := range args {
		showsSecrets = showsSecrets || a == "--show-secrets"
	}
	if !showsSecrets {
		s.transcript.Write(out.Bytes())
		s.transcript.Write(errOut.Bytes())
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// must runs a command that has to exit with want.
func (s *session) must(want int, args ...string) result {
	s.t.Helper()
	r := s.run(args...)
	if r.code != want {
		s.t.Fatalf("infra %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// watched shows what is written to a hook, as it is written.
type watched struct {
	w    *bytes.Buffer
	hook func(string)
}

func (w *watched) Write(p []byte) (int, error) {
	if w.hook != nil {
		w.hook(string(p))
	}
	return w.w.Write(p)
}

func report(t *testing.T, r result) cli.Report {
	t.Helper()
	var rep cli.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, r.stdout)
	}
	return rep
}

// project copies the FocusDeck example into a temporary project directory
// as stack `stack`, its config edited by edit and its secrets sealed anew
// with the test passphrase (sealSecrets). It returns the directory and the
// secrets' plain values, which must never show up anywhere.
func project(t *testing.T, e *enginetest.Engine, stack string, edit func(string) string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "..", "examples", "focusdeck")
	proj, err := os.ReadFile(filepath.Join(src, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(src, "Pulumi.prod.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), proj, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, sealSecrets(t, e, dir, stack, edit(string(cfg)))
}

func writeStack(t *testing.T, dir, stack, content string) {
	t.Helper()
	if err := os.WriteFile(config.StackFile(dir, stack), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// editStack rewrites one line of a stack file, keeping what the engine
// added to it (the passphrase salt).
func editStack(t *testing.T, dir, stack, old, new string) {
	t.Helper()
	b, err := os.ReadFile(config.StackFile(dir, stack))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("stack file lacks %q", old)
	}
	writeStack(t, dir, stack, strings.Replace(string(b), old, new, 1))
}

func same(s string) string { return s }

const image = "ghcr.io/focusdeck/server:1.4.2"

func TestEngineFocusDeckProd(t *testing.T) {
	s, e := newSession(t)
	dir, secrets := project(t, e, "prod", same)
	at := []string{"--stack", "prod", "--dir", dir}
	with := func(args ...string) []string { return append(args, at...) }

	// preview -> up -> a second preview has no changes.
	pre := report(t, s.must(cli.ExitOK, with("preview", "--json")...))
	if pre.Changes["create"] < 15 || pre.Changed != pre.Changes["create"] {
		t.Fatalf("first preview: %v", pre.Changes)
	}
	// Without a terminal, up applies nothing unless told to (--yes).
	unconfirmed := s.must(cli.ExitUsage, with("up", "--json")...)
	if r := report(t, unconfirmed); r.Result != "usage" || r.Changed != pre.Changed || !strings.Contains(unconfirmed.stderr, "--yes") {
		t.Fatalf("up without --yes: %s, %d changes (the preview had %d)\n%s", r.Result, r.Changed, pre.Changed, unconfirmed.stderr)
	}
	up := report(t, s.must(cli.ExitOK, with("up", "--yes", "--json")...))
	if up.Changes["create"] != pre.Changes["create"] || up.Result != "succeeded" {
		t.Fatalf("up created %v, the preview planned %v", up.Changes, pre.Changes)
	}
	again := report(t, s.must(cli.ExitOK, with("preview", "--expect-no-changes", "--json")...))
	if again.Changed != 0 || again.Changes["same"] != up.Changes["create"] {
		t.Errorf("second preview: %v", again.Changes)
	}
	s.must(cli.ExitOK, with("refresh", "--expect-no-changes")...)

	// outputs: the contract, redacted.
	var outs map[string]any
	if err := json.Unmarshal([]byte(s.must(cli.ExitOK, with("outputs")...).stdout), &outs); err != nil {
		t.Fatal(err)
	}
	if err := cli.CheckOutputs(outs); err != nil {
		t.Errorf("real outputs: %v", err)
	}
	if outs["connectionStrings"] != cli.Redacted || outs["topology"] != "vps" || outs["environment"] != "prod" {
		t.Errorf("outputs %v", outs)
	}
	env := s.must(cli.ExitOK, with("outputs", "--format", "dotenv")...).stdout
	for _, want := range []string{"# CONNECTION_STRINGS is a secret: redacted", `DATABASE_ENGINE="managed"`, `ENDPOINTS_0_HEALTH="https://focusdeck.example.com/healthz"`} {
		if !strings.Contains(env, want) {
			t.Errorf("dotenv lacks %q:\n%s", want, env)
		}
	}
	passwords := generatedPasswords(t, s.must(cli.ExitOK, with("outputs", "--show-secrets")...).stdout)

	// Production protects what holds data or an address: the database
	// cluster and its firewall, the Droplet, its reserved IP, the backups.
	var protectedNames []string
	for _, r := range stateResources(t, e, "prod") {
		if r.Protect {
			protectedNames = append(protectedNames, r.URN[strings.LastIndex(r.URN, "::")+2:])
		}
	}
	slices.Sort(protectedNames)
	if want := []string{"focusdeck-cluster", "focusdeck-firewall", "focusdeck-prod-backups", "focusdeck-prod-droplet", "focusdeck-prod-ip"}; !slices.Equal(protectedNames, want) {
		t.Errorf("protected: %v, want %v", protectedNames, want)
	}
	nProtected := fmt.Sprintf("%d protected", len(protectedNames))
	status := s.must(cli.ExitOK, with("status")...).stdout
	if !strings.Contains(status, "last update: refresh succeeded") || !strings.Contains(status, "("+nProtected+")") {
		t.Errorf("status:\n%s", status)
	}

	// An image change reaches the host through the deploy command alone:
	// the compose project (its stdin) changes, and the one command is
	// updated, which runs `create` again: the deploy. It has no triggers
	// (pulumi-command replaces a Command whose triggers change, tests/engine
	// TestEngineRemoteCommand). The Droplet, its address and its firewall
	// are not touched.
	droplet := stateResourceNamed(t, stateResources(t, e, "prod"), "focusdeck-prod-droplet")
	editStack(t, dir, "prod", image, "ghcr.io/focusdeck/server:1.4.3")
	if !strings.Contains(composeArtifact(t, dir), "image: ghcr.io/focusdeck/server:1.4.3") {
		t.Fatal("the new image is not in the compose project")
	}
	bump := report(t, s.must(cli.ExitOK, with("preview", "--json")...))
	for _, st := range bump.Steps {
		if st.Type != "command:remote:Command" || st.Name != "focusdeck-prod-deploy" || st.Op != "update" || !slices.Contains(st.Diffs, "stdin") {
			t.Errorf("an image change plans %s of %s %s (diffs %v)", st.Op, st.Type, st.Name, st.Diffs)
		}
	}
	if bump.Changed != 1 || bump.Changes["update"] != 1 {
		t.Errorf("image change: %v, want the deploy command updated and nothing else", bump.Changes)
	}
	bumped := report(t, s.must(cli.ExitOK, with("up", "--yes", "--json")...))
	if bumped.Changed != 1 {
		t.Errorf("up of the image change: %v", bumped.Changes)
	}
	if after := stateResourceNamed(t, stateResources(t, e, "prod"), "focusdeck-prod-droplet"); after.ID != droplet.ID {
		t.Errorf("the Droplet changed from %s to %s", droplet.ID, after.ID)
	}
	t.Logf("image change: %v; Droplet %s kept", bumped.Changes, droplet.ID)

	// A change forcing the database cluster's replacement is refused,
	// and on prod the engine refuses too: the cluster is protected.
	editStack(t, dir, "prod", "vpcCidr: 10.40.0.0/16", "vpcCidr: 10.41.0.0/16")
	refused := s.must(cli.ExitPolicy, with("up")...)
	for _, want := range []string{"REPLACE", "database cluster focusdeck-cluster", "--allow-replace", "marked for protection"} {
		if !strings.Contains(refused.stderr, want) {
			t.Errorf("refusal lacks %q:\n%s", want, refused.stderr)
		}
	}
	editStack(t, dir, "prod", "vpcCidr: 10.41.0.0/16", "vpcCidr: 10.40.0.0/16")
	s.must(cli.ExitOK, with("preview", "--expect-no-changes")...)

	// destroy: prod needs --confirm; protected resources stay.
	before := stateResources(t, e, "prod")
	noConfirm := s.must(cli.ExitUsage, with("destroy")...)
	if !strings.Contains(noConfirm.stderr, "--confirm prod") {
		t.Errorf("no --confirm: %s", noConfirm.stderr)
	}
	protected := s.must(cli.ExitPolicy, with("destroy", "--confirm", "prod")...)
	for _, want := range []string{nProtected + " resource(s)", "DatabaseCluster::focusdeck-cluster", "Droplet::focusdeck-prod-droplet", "pulumi state unprotect --stack prod", "--exclude-protected"} {
		if !strings.Contains(protected.stderr, want) {
			t.Errorf("protected refusal lacks %q:\n%s", want, protected.stderr)
		}
	}
	if after := stateResources(t, e, "prod"); len(after) != len(before) {
		t.Fatalf("a refused destroy changed the state: %d -> %d resources", len(before), len(after))
	}
	// Targeting a protected resource, or what it needs, is refused before
	// the engine would delete the dependents and then stop at it.
	for _, target := range []string{"focusdeck-cluster", "focusdeck-vpc"} {
		targeted := s.must(cli.ExitPolicy, with("destroy", "--confirm", "prod", "--target", urnOf(t, before, target), "--target-dependents")...)
		if !strings.Contains(targeted.stderr, "DatabaseCluster::focusdeck-cluster") {
			t.Errorf("targeted destroy of %s:\n%s", target, targeted.stderr)
		}
	}
	if after := stateResources(t, e, "prod"); len(after) != len(before) {
		t.Fatalf("a refused targeted destroy changed the state: %d -> %d resources", len(before), len(after))
	}
	kept := report(t, s.must(cli.ExitOK, with("destroy", "--confirm", "prod", "--exclude-protected", "--yes", "--json")...))
	left := stateResources(t, e, "prod")
	for _, name := range append(protectedNames, "focusdeck-vpc") {
		if urnOf(t, left, name) == "" {
			t.Errorf("%s was deleted by --exclude-protected", name)
		}
	}
	for _, gone := range []string{"focusdeck-role-focusdeck_app", "focusdeck-pool-focusdeck"} {
		if u := urnOf(t, left, gone); u != "" {
			t.Errorf("%s survived the destroy", gone)
		}
	}
	t.Logf("destroy --exclude-protected: %v; %d of %d resources left", kept.Changes, len(left), len(before))

	// No generated password or configured secret anywhere in the backend
	// (state, backups, history), the stack file or anything printed.
	for _, pw := range append(passwords, secrets...) {
		if files := e.FilesContaining(t, pw); len(files) > 0 {
			t.Errorf("a generated password is in plain text in %v", files)
		}
		if strings.Contains(s.transcript.String(), pw) {
			t.Error("a generated password was printed")
		}
		if b, _ := os.ReadFile(config.StackFile(dir, "prod")); bytes.Contains(b, []byte(pw)) {
			t.Error("a generated password is in the stack file")
		}
	}
}

// A non-production copy: up, a guarded replacement refused then allowed,
// a locked stack, and a full destroy without --confirm.
func TestEngineStagingLifecycle(t *testing.T) {
	s, e := newSession(t)
	dir, secrets := project(t, e, "staging", func(c string) string {
		return strings.Replace(c, "infra:class: production", "infra:class: staging", 1)
	})
	with := func(args ...string) []string { return append(args, "--stack", "staging", "--dir", dir) }
	missing := s.must(cli.ExitFailure, with("status")...)
	if !strings.Contains(missing.stderr, `stack "staging" does not exist in the backend`) {
		t.Errorf("status of a stack never deployed:\n%s", missing.stderr)
	}
	s.must(cli.ExitOK, with("up", "--yes")...)
	passwords := generatedPasswords(t, s.must(cli.ExitOK, with("outputs", "--show-secrets", "--format", "yaml")...).stdout)

	editStack(t, dir, "staging", "vpcCidr: 10.40.0.0/16", "vpcCidr: 10.41.0.0/16")
	refused := report(t, s.must(cli.ExitPolicy, with("preview", "--json")...))
	if refused.Result != "refused" || !strings.Contains(refused.Error, "database cluster focusdeck-cluster (because privateNetworkUuid changed)") {
		t.Errorf("refusal: %+v", refused)
	}
	allowed := report(t, s.must(cli.ExitOK, with("preview", "--allow-replace", "--json")...))
	if allowed.Changes["replace"] < 2 {
		t.Errorf("the VPC and the cluster should be replaced: %v", allowed.Changes)
	}
	editStack(t, dir, "staging", "vpcCidr: 10.41.0.0/16", "vpcCidr: 10.40.0.0/16")

	// Another process holds the stack's lock.
	lockDir := filepath.Join(e.BackendDir, ".pulumi", "locks", "organization", "focusdeck", "staging")
	if err := os.MkdirAll(lockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(lockDir, "5f1e6a4c-other-process.json")
	content := `{"pid": 4242, "username": "ci", "hostname": "runner-7", "timestamp": "2026-01-01T00:00:00Z"}`
	if err := os.WriteFile(lock, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	locked := s.must(cli.ExitLocked, with("up", "--yes")...)
	for _, want := range []string{"is locked", "Wait for it to finish", "pulumi cancel --stack staging"} {
		if !strings.Contains(locked.stderr, want) {
			t.Errorf("lock message lacks %q:\n%s", want, locked.stderr)
		}
	}
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}

	// Without a terminal, destroy deletes nothing unless told to (--yes).
	if r := s.must(cli.ExitUsage, with("destroy")...); !strings.Contains(r.stderr, "--yes") {
		t.Errorf("destroy without --yes:\n%s", r.stderr)
	}
	destroyed := report(t, s.must(cli.ExitOK, with("destroy", "--yes", "--json")...))
	if destroyed.Changes["delete"] < 15 {
		t.Errorf("destroy deleted %v", destroyed.Changes)
	}
	if left := stateResources(t, e, "staging"); len(left) != 0 {
		t.Errorf("%d resources left after a full destroy", len(left))
	}
	for _, pw := range append(passwords, secrets...) {
		if files := e.FilesContaining(t, pw); len(files) > 0 || strings.Contains(s.transcript.String(), pw) {
			t.Errorf("a generated password leaked: files %v", files)
		}
	}
}

// Ctrl-C in the middle of an update, for real: the engine stops after its
// in-flight steps, the state is saved, no lock stays behind, and the next
// up finishes the job.
func TestEngineCtrlC(t *testing.T) {
	s, e := newSession(t)
	dir, _ := project(t, e, "staging", func(c string) string {
		return strings.Replace(c, "infra:class: production", "infra:class: staging", 1)
	})
	with := func(args ...string) []string { return append(args, "--stack", "staging", "--dir", dir) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var seen strings.Builder
	interrupt := func(chunk string) { // what signal.NotifyContext does on Ctrl-C
		mu.Lock()
		defer mu.Unlock()
		seen.WriteString(chunk)
		if _, update, ok := strings.Cut(seen.String(), "Updating ("); ok && strings.Contains(update, "creating") {
			cancel()
		}
	}
	r := s.runCtx(ctx, interrupt, with("up", "--yes")...)
	// A complete up holds every resource the offline plan declares (and
	// the stack and its default providers besides).
	declared := plannedURNs(t, dir, "staging")
	interrupted := -1
	switch r.code {
	case cli.ExitCancelled:
		if !strings.Contains(r.stderr, "up of stack staging cancelled") {
			t.Errorf("cancel message:\n%s", r.stderr)
		}
		interrupted = len(stateResources(t, e, "staging"))
		if interrupted >= len(declared) {
			t.Errorf("the interrupted up created everything (%d resources)", interrupted)
		}
	case cli.ExitOK:
		t.Log("the update finished before the interrupt reached the engine")
	default:
		t.Fatalf("exit %d after Ctrl-C:\n%s", r.code, r.stderr)
	}
	locks, _ := filepath.Glob(filepath.Join(e.BackendDir, ".pulumi", "locks", "organization", "focusdeck", "staging", "*"))
	if len(locks) != 0 {
		t.Errorf("locks left behind: %v", locks)
	}
	s.must(cli.ExitOK, with("up", "--yes")...)
	s.must(cli.ExitOK, with("preview", "--expect-no-changes")...)
	full := stateResources(t, e, "staging")
	inState := map[string]bool{}
	for _, r := range full {
		inState[r.URN] = true
	}
	for _, u := range declared {
		if !inState[u] {
			t.Errorf("after the second up, %s is missing from the state", u)
		}
	}
	t.Logf("interrupted up left %d resources in the state; the next up completed it to %d (%d declared)", interrupted, len(full), len(declared))
}

// plannedURNs lists the URNs the offline plan of a stack declares.
func plannedURNs(t *testing.T, dir, stack string) []string {
	t.Helper()
	raw, err := config.ReadFile(config.StackFile(dir, stack))
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Run("focusdeck", stack, raw)
	if err != nil {
		t.Fatal(err)
	}
	urns := make([]string, len(p.Resources))
	for i, r := range p.Resources {
		urns[i] = r.URN
	}
	if len(urns) < 15 {
		t.Fatalf("the offline plan declares only %d resources", len(urns))
	}
	return urns
}

var passwordRE = regexp.MustCompile(`Password=([A-Za-z0-9]{16,})`)

// generatedPasswords reads the role passwords out of the connection
// strings that `outputs --show-secrets` printed.
func generatedPasswords(t *testing.T, shown string) []string {
	t.Helper()
	var pws []string
	for _, m := range passwordRE.FindAllStringSubmatch(shown, -1) {
		pws = append(pws, m[1])
	}
	if len(pws) == 0 {
		t.Fatalf("no password in the secret outputs:\n%s", shown)
	}
	return pws
}

type stateResource struct {
	URN     string `json:"urn"`
	Type    string `json:"type"`
	ID      string `json:"id"`
	Protect bool   `json:"protect"`
}

// stateResources reads the checkpoint the file backend wrote.
func stateResources(t *testing.T, e *enginetest.Engine, stack string) []stateResource {
	t.Helper()
	b, err := os.ReadFile(e.StatePath("focusdeck", stack))
	if err != nil {
		t.Fatal(err)
	}
	var cp struct {
		Checkpoint struct {
			Latest struct {
				Resources []stateResource `json:"resources"`
			} `json:"latest"`
		} `json:"checkpoint"`
	}
	if err := json.Unmarshal(b, &cp); err != nil {
		t.Fatal(err)
	}
	return cp.Checkpoint.Latest.Resources
}

func urnOf(t *testing.T, rs []stateResource, name string) string {
	t.Helper()
	for _, r := range rs {
		if strings.HasSuffix(r.URN, "::"+name) {
			return r.URN
		}
	}
	return ""
}

func stateResourceNamed(t *testing.T, rs []stateResource, name string) stateResource {
	t.Helper()
	for _, r := range rs {
		if strings.HasSuffix(r.URN, "::"+name) {
			return r
		}
	}
	t.Fatalf("no %s in the state", name)
	return stateResource{}
}

// composeArtifact is the compose project the offline plan of the stack, as
// it is now, renders for the Droplet.
func composeArtifact(t *testing.T, dir string) string {
	t.Helper()
	raw, err := config.ReadFile(config.StackFile(dir, "prod"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Run("focusdeck", "prod", raw)
	if err != nil {
		t.Fatal(err)
	}
	doc, ok := p.Artifacts["vps/compose.yaml"]
	if !ok {
		t.Fatal("the plan renders no vps/compose.yaml")
	}
	return doc
}
