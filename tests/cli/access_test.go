package clitest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"

	"infra/internal/access"
	"infra/internal/cli"
	"infra/internal/doapitest"
	"infra/internal/dotype"
	"infra/internal/enginetest"
)

const (
	accessToken = "dop_v1_engine_test"
	runnerIP    = "203.0.113.7"
	deployType  = "command:remote:Command"
	failFile    = "testprovider-fail"
)

// `infra up --access-from` of the FocusDeck example (a Droplet deployed
// over SSH by pulumi-command, a managed PostgreSQL cluster whose roles the
// PostgreSQL provider manages) with the DigitalOcean API stood in for by
// internal/doapitest. The test provider holds the create of the deploy
// command (the step that SSHes to the Droplet) until the test has looked
// at the API: the access exists while the operation runs, and is gone
// after success, a failure and Ctrl-C. The stack's own firewalls and state
// are the same with and without the flag; a database firewall change is
// refused; a leftover of a killed run is swept by the next run.
func TestEngineAccessFrom(t *testing.T) {
	s, e := newSession(t)
	home := e.Env["PULUMI_HOME"]
	dir, _ := project(t, e, "staging", func(c string) string {
		return strings.Replace(c, "infra:class: production", "infra:class: staging", 1)
	})
	with := func(args ...string) []string { return append(args, "--stack", "staging", "--dir", dir) }
	withAccess := func(args ...string) []string { return with(append(args, "--access-from", runnerIP)...) }

	// The first deploy runs from an address in adminCidrs: it creates the
	// database firewall, which --access-from refuses.
	s.must(cli.ExitOK, with("up", "--yes")...)
	api := doapitest.New(t, accessToken)
	s.env[access.TokenEnv], s.env[access.APIURLEnv] = accessToken, api.URL()
	before := checkpoint(t, e)
	cluster := only(t, before, dotype.DatabaseCluster)
	var ownRules []doapitest.Rule
	for _, r := range only(t, before, dotype.DatabaseFirewall).Inputs["rules"].([]any) {
		m := r.(map[string]any)
		ownRules = append(ownRules, doapitest.Rule{Type: m["type"].(string), Value: m["value"].(string)})
	}
	api.AddCluster(cluster.ID, ownRules...)
	seeded := api.Rules(cluster.ID)
	appTag := only(t, before, dotype.Tag).Inputs["name"].(string)
	if tags, _ := only(t, before, dotype.Droplet).Inputs["tags"].([]any); !slices.Contains(tags, any(appTag)) {
		t.Fatalf("the Droplet's tags %v lack the app tag %s the temporary firewall targets", tags, appTag)
	}
	wantOpen := []string{
		fmt.Sprintf("firewall tags=%s tcp/22 from %s", appTag, runnerIP),
		fmt.Sprintf("cluster %s trusts ip_addr %s", cluster.ID, runnerIP),
	}
	look := func() []string { return openAccess(api, cluster.ID) }
	gone := func(when string) {
		t.Helper()
		if left := openAccess(api, cluster.ID); len(left) != 0 {
			t.Errorf("%s: access left open: %v", when, left)
		}
		if rules := api.Rules(cluster.ID); !slices.Equal(rules, seeded) {
			t.Errorf("%s: the cluster's rules are %+v, want its own %+v", when, rules, seeded)
		}
	}

	// Success: open while the Droplet is deployed to, gone afterwards.
	editStack(t, dir, "staging", image, "ghcr.io/focusdeck/server:1.4.3")
	during, code := heldUp(t, s, home, context.Background(), look, nil, withAccess("up", "--yes")...)
	if code != cli.ExitOK {
		t.Fatalf("up --access-from: exit %d", code)
	}
	if !slices.Equal(during, wantOpen) {
		t.Errorf("while the deploy command ran: %q, want %q", during, wantOpen)
	}
	gone("after success")
	withFlag := checkpoint(t, e)
	for _, typ := range []string{dotype.Firewall, dotype.DatabaseFirewall, dotype.Droplet, dotype.DatabaseCluster} {
		if a, b := only(t, before, typ), only(t, withFlag, typ); !sameRecord(a, b) {
			t.Errorf("%s changed under --access-from:\n%s", typ, lineDiff(comparable([]record{a}), comparable([]record{b})))
		}
	}

	// The same change without the flag leaves the same state.
	editStack(t, dir, "staging", "server:1.4.3", "server:1.4.2")
	s.must(cli.ExitOK, with("up", "--yes")...)
	editStack(t, dir, "staging", "server:1.4.2", "server:1.4.3")
	s.must(cli.ExitOK, with("up", "--yes")...)
	if a, b := comparable(withFlag), comparable(checkpoint(t, e)); !slices.Equal(a, b) {
		t.Errorf("the state after up --access-from differs from the state after the same up without it:\n%s", lineDiff(a, b))
	}

	// A change to the database firewall is refused, before anything changes.
	editStack(t, dir, "staging", "adminCidrs: [198.51.100.7/32]", "adminCidrs: [198.51.100.8/32]")
	refused := s.must(cli.ExitPolicy, withAccess("up", "--yes")...)
	if !strings.Contains(refused.stderr, "infra:network.adminCidrs") || !strings.Contains(refused.stderr, "focusdeck-firewall") {
		t.Errorf("refusal:\n%s", refused.stderr)
	}
	gone("after the refusal")
	editStack(t, dir, "staging", "adminCidrs: [198.51.100.8/32]", "adminCidrs: [198.51.100.7/32]")
	s.must(cli.ExitOK, with("preview", "--expect-no-changes")...)

	// A leftover of a killed run (older than access.MaxAge) is swept by
	// the next run, here a preview; the stack's own rules stay.
	old := time.Now().Add(-access.MaxAge - time.Minute)
	leftover := fmt.Sprintf("%sstaging-%d", access.NamePrefix, old.Unix())
	api.AddFirewall(leftover, old, []string{appTag}, "203.0.113.9")
	api.AddCluster(cluster.ID, append(slices.Clone(seeded), doapitest.Rule{Type: "ip_addr", Value: "203.0.113.9"})...)
	seeded = api.Rules(cluster.ID)[:len(seeded)]
	s.must(cli.ExitOK, withAccess("preview", "--expect-no-changes")...)
	for _, fw := range api.Firewalls() {
		t.Errorf("firewall %s left after the sweep", fw.Name)
	}
	gone("after the sweep")

	// refresh --access-from: the database firewall on its own first
	// (--target), the rest with the access open (--exclude it).
	plain := report(t, s.must(cli.ExitOK, with("refresh", "--expect-no-changes", "--json")...))
	refreshed := report(t, s.must(cli.ExitOK, withAccess("refresh", "--expect-no-changes", "--json")...))
	// Every resource read once across the two passes, as in one refresh.
	if refreshed.Changes["same"] != plain.Changes["same"] || refreshed.Changed != 0 {
		t.Errorf("refresh read %v; with --access-from, in two passes: %v", plain.Changes, refreshed.Changes)
	}
	gone("after a refresh")

	// A failing update: open while it ran, gone after.
	editStack(t, dir, "staging", "server:1.4.3", "server:1.4.4")
	during, code = heldUp(t, s, home, context.Background(), look, func() { writeFile(t, filepath.Join(home, failFile), []byte(deployType)) }, withAccess("up", "--yes")...)
	if err := os.Remove(filepath.Join(home, failFile)); err != nil {
		t.Fatal(err)
	}
	if code != cli.ExitFailure {
		t.Errorf("a failing up --access-from: exit %d, want %d", code, cli.ExitFailure)
	}
	if !slices.Equal(during, wantOpen) {
		t.Errorf("while the failing deploy ran: %q, want %q", during, wantOpen)
	}
	gone("after a failure")

	// Ctrl-C while the Droplet is deployed to.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	during, code = heldUp(t, s, home, ctx, look, func() { cancel(); time.Sleep(time.Second) }, withAccess("up", "--yes")...)
	if code != cli.ExitCancelled {
		t.Errorf("up --access-from after Ctrl-C: exit %d, want %d", code, cli.ExitCancelled)
	}
	if !slices.Equal(during, wantOpen) {
		t.Errorf("while the interrupted deploy ran: %q, want %q", during, wantOpen)
	}
	gone("after Ctrl-C")
	creates, deletes := 0, 0
	for _, c := range api.Calls() {
		switch c.String() {
		case "POST /v2/firewalls":
			creates++
		case "DELETE /v2/firewalls/" + strings.TrimPrefix(c.Path, "/v2/firewalls/"):
			deletes++
		}
	}
	// success, refusal, sweep run, refresh, failure, Ctrl-C: six leases;
	// plus the leftover.
	if creates != 6 || deletes != 7 {
		t.Errorf("%d firewalls created and %d deleted, want 6 and 7", creates, deletes)
	}
	t.Logf("%d API calls in all", len(api.Calls()))
}

// heldUp runs an up whose deploy command (the SSH step) the test provider
// holds, and returns what look saw while it was held, and the exit code.
// then runs, if set, while the create is still held.
func heldUp(t *testing.T, s *session, home string, ctx context.Context, look func() []string, then func(), args ...string) ([]string, int) {
	t.Helper()
	if err := os.Remove(filepath.Join(home, holdingFile)); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, holdFile), []byte(deployType))
	defer release(t, home)
	done := make(chan int, 1)
	go func() { done <- s.runCtx(ctx, nil, args...).code }()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if b, err := os.ReadFile(filepath.Join(home, holdingFile)); err == nil && len(b) > 0 {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("infra %s ended (exit %d) before the deploy command was created", strings.Join(args, " "), code)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deploy command was not created within 3 minutes")
		}
	}
	during := look()
	if then != nil {
		then()
	}
	release(t, home)
	var code int
	if err := enginetest.Within(t, 2*time.Minute, func() string { return "up with a held deploy" }, func() error { code = <-done; return nil }); err != nil {
		t.Fatal(err)
	}
	return during, code
}

// openAccess describes the access open now: the temporary firewalls and
// the ip_addr trusted sources of the cluster that the stack does not
// declare (the runner's).
func openAccess(api *doapitest.API, cluster string) []string {
	var out []string
	for _, fw := range api.Firewalls() {
		if !strings.HasPrefix(fw.Name, access.NamePrefix) {
			continue
		}
		for _, in := range fw.InboundRules {
			out = append(out, fmt.Sprintf("firewall tags=%s %s/%s from %s", strings.Join(fw.Tags, ","), in.Protocol, in.Ports, strings.Join(in.Sources.Addresses, ",")))
		}
	}
	for _, r := range api.Rules(cluster) {
		if r.Type == "ip_addr" && r.Value == runnerIP {
			out = append(out, fmt.Sprintf("cluster %s trusts ip_addr %s", cluster, r.Value))
		}
	}
	return out
}

// record is one resource of the checkpoint, whole.
type record struct {
	URN          string         `json:"urn"`
	Type         string         `json:"type"`
	ID           string         `json:"id"`
	Inputs       map[string]any `json:"inputs"`
	Outputs      map[string]any `json:"outputs"`
	Parent       string         `json:"parent"`
	Protect      bool           `json:"protect"`
	Dependencies []string       `json:"dependencies"`
	Provider     string         `json:"provider"`
}

func checkpoint(t *testing.T, e *enginetest.Engine) []record {
	t.Helper()
	b, err := os.ReadFile(e.StatePath("focusdeck", "staging"))
	if err != nil {
		t.Fatal(err)
	}
	var cp struct {
		Checkpoint struct {
			Latest struct {
				Resources []record `json:"resources"`
			} `json:"latest"`
		} `json:"checkpoint"`
	}
	if err := json.Unmarshal(b, &cp); err != nil {
		t.Fatal(err)
	}
	return cp.Checkpoint.Latest.Resources
}

// only is the one resource of a type in the state.
func only(t *testing.T, rs []record, typ string) record {
	t.Helper()
	var hit []record
	for _, r := range rs {
		if r.Type == typ {
			hit = append(hit, r)
		}
	}
	if len(hit) != 1 {
		t.Fatalf("%d resources of type %s in the state, want 1", len(hit), typ)
	}
	return hit[0]
}

// sameRecord: the same resource, id, inputs and outputs (secrets compared
// as secrets: their ciphertext changes on every write).
func sameRecord(a, b record) bool {
	return slices.Equal(comparable([]record{a}), comparable([]record{b}))
}

// comparable is the state as one line per resource, without what is made
// up anew each time: the deploy command's id and outputs (a create), the
// ciphertext of secrets (a fresh nonce on every write) and the order of
// dependencies.
func comparable(rs []record) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		if r.Type == deployType {
			r.ID, r.Outputs = "", nil
		}
		r.Inputs, _ = sealed(r.Inputs).(map[string]any)
		r.Outputs, _ = sealed(r.Outputs).(map[string]any)
		r.Dependencies = slices.Sorted(slices.Values(r.Dependencies))
		b, _ := json.Marshal(r)
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}

// sealed replaces each secret's ciphertext with a marker.
func sealed(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if _, ok := t[sig.Key]; ok {
			return "[secret]"
		}
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = sealed(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = sealed(x)
		}
		return out
	}
	return v
}

func lineDiff(a, b []string) string {
	var out strings.Builder
	for _, l := range a {
		if !slices.Contains(b, l) {
			fmt.Fprintf(&out, "- %.600s\n", l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			fmt.Fprintf(&out, "+ %.600s\n", l)
		}
	}
	return out.String()
}
