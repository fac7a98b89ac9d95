package clitest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"

	"infra/internal/cli"
)

// rotationView is what the test reads after each step: the digests of the
// generated secrets (never the values), and the values themselves only to
// look for them where they must not be.
type rotationView struct {
	role, admin string // sha256 digests
	values      []string
}

func digest(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:8])
}

// view reads the role's password out of both connection strings of the
// server and the admin password, from `outputs --show-secrets`.
func (s *session) view(at []string) rotationView {
	s.t.Helper()
	var outs struct {
		ConnectionStrings map[string]map[string]string `json:"connectionStrings"`
		AdminPassword     string                       `json:"adminPassword"`
	}
	shown := s.must(cli.ExitOK, append([]string{"outputs", "--show-secrets"}, at...)...).stdout
	if err := json.Unmarshal([]byte(shown), &outs); err != nil {
		s.t.Fatalf("outputs: %v", err)
	}
	var role []string
	for _, env := range []string{"ConnectionStrings__DefaultConnection", "ConnectionStrings__HangfireConnection"} {
		m := passwordRE.FindStringSubmatch(outs.ConnectionStrings["server"][env])
		if m == nil {
			s.t.Fatalf("no password in the server's %s", env)
		}
		role = append(role, m[1])
	}
	if role[0] != role[1] || outs.AdminPassword == "" {
		s.t.Fatal("the two connection strings of one role disagree, or no admin password")
	}
	return rotationView{role: digest(role[0]), admin: digest(outs.AdminPassword), values: []string{role[0], outs.AdminPassword}}
}

// changedSteps are the report's steps that change something, as "op name".
func changedSteps(r cli.Report) []string {
	var out []string
	for _, st := range r.Steps {
		if st.Op != "same" {
			out = append(out, st.Op+" "+st.Name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// infra rotate through the real engine on a copy of FocusDeck: the role's
// generator is replaced and nothing else but what is built from it (the
// Role, the deploy command); a second rotation gives another value; the
// admin login is untouched; the values stay secrets everywhere.
func TestEngineRotate(t *testing.T) {
	s, e := newSession(t)
	dir, secrets := project(t, e, "staging", func(c string) string {
		return strings.Replace(c, "infra:class: production", "infra:class: staging", 1)
	})
	at := []string{"--stack", "staging", "--dir", dir}
	with := func(args ...string) []string { return append(args, at...) }
	role := with("rotate", "--secret", "database.roles.focusdeck_app")

	// The names come from the config, before anything is deployed.
	list := s.must(cli.ExitOK, with("rotate", "--list")...).stdout
	for _, want := range []string{"admin ", "database.roles.focusdeck_app ", "grafana.admin "} {
		if !strings.Contains(list, want) {
			t.Errorf("--list lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "not rotatable") {
		t.Errorf("--list refuses a secret:\n%s", list)
	}
	if r := s.must(cli.ExitFailure, append(role, "--yes")...); !strings.Contains(r.stderr, `stack "staging" does not exist`) {
		t.Errorf("rotate of a stack never deployed:\n%s", r.stderr)
	}
	s.must(cli.ExitOK, with("up", "--yes")...)
	v0 := s.view(at)
	resources := len(stateResources(t, e, "staging"))

	unknown := s.must(cli.ExitUsage, with("rotate", "--secret", "database.roles.app", "--yes")...)
	if !strings.Contains(unknown.stderr, "rotatable secrets are admin, database.roles.focusdeck_app") {
		t.Errorf("unknown name:\n%s", unknown.stderr)
	}
	// Without a terminal and without --yes: the preview, then nothing.
	unconfirmed := report(t, s.must(cli.ExitUsage, append(role, "--json")...))
	if unconfirmed.Result != "usage" || len(changedSteps(unconfirmed)) == 0 {
		t.Errorf("rotate without --yes: %s, steps %v", unconfirmed.Result, changedSteps(unconfirmed))
	}
	if v := s.view(at); v.role != v0.role {
		t.Fatal("an unconfirmed rotate changed the password")
	}

	// The generator replaced; the Role updated (its password); the deploy
	// command updated (its stdin, the bundle, changed: the services' env
	// files hold the connection strings), which runs it again. Nothing else.
	gen := urnOf(t, stateResources(t, e, "staging"), "focusdeck-focusdeck_app-password")
	want := []string{
		"create-replacement focusdeck-focusdeck_app-password",
		"delete-replaced focusdeck-focusdeck_app-password",
		"replace focusdeck-focusdeck_app-password",
		"update focusdeck-prod-deploy",
		"update focusdeck-role-focusdeck_app",
	}
	digests := []string{v0.role}
	var values []string
	values = append(values, v0.values...)
	for i := 1; i <= 2; i++ {
		rep := report(t, s.must(cli.ExitOK, append(role, "--yes", "--json")...))
		if got := changedSteps(rep); !slices.Equal(got, want) {
			t.Errorf("rotation %d changed %v, want %v", i, got, want)
		}
		for _, st := range rep.Steps {
			if st.Name == "focusdeck-focusdeck_app-password" && st.URN != gen {
				t.Errorf("rotation %d replaced %s, want %s", i, st.URN, gen)
			}
			if st.Name == "focusdeck-role-focusdeck_app" && !slices.Equal(st.Diffs, []string{"password"}) {
				t.Errorf("rotation %d changed the Role's %v, want its password alone", i, st.Diffs)
			}
			if st.Name == "focusdeck-prod-deploy" && !slices.Equal(st.Diffs, []string{"stdin"}) {
				t.Errorf("rotation %d changed the deploy command's %v, want its stdin (the bundle) alone", i, st.Diffs)
			}
		}
		if rep.Outputs["connectionStrings"] != cli.Redacted {
			t.Errorf("rotation %d reported connectionStrings %v", i, rep.Outputs["connectionStrings"])
		}
		v := s.view(at)
		if slices.Contains(digests, v.role) {
			t.Errorf("rotation %d: the role's password digest %s is not new (before: %v)", i, v.role, digests)
		}
		if v.admin != v0.admin {
			t.Errorf("rotation %d changed the admin password too", i)
		}
		digests = append(digests, v.role)
		values = append(values, v.values...)
		t.Logf("rotation %d: %v; role password digest %s", i, rep.Changes, v.role)
	}
	// The admin login is another generator: the deploy runs again (the
	// htpasswd file changed); the role and its Role are left alone.
	admin := report(t, s.must(cli.ExitOK, with("rotate", "--secret", "admin", "--yes", "--json")...))
	wantAdmin := []string{
		"create-replacement focusdeck-prod-admin-password", "delete-replaced focusdeck-prod-admin-password",
		"replace focusdeck-prod-admin-password", "update focusdeck-prod-deploy",
	}
	if got := changedSteps(admin); !slices.Equal(got, wantAdmin) {
		t.Errorf("admin rotation changed %v, want %v", got, wantAdmin)
	}
	va := s.view(at)
	if va.admin == v0.admin || va.role != digests[len(digests)-1] {
		t.Errorf("admin rotation: admin digest %s -> %s, role digest %s -> %s", v0.admin, va.admin, digests[len(digests)-1], va.role)
	}
	values = append(values, va.values...)

	// Grafana's admin: its generator, and the deploy (Grafana's env file
	// changed; the deploy sets the password in Grafana's database).
	grafanaPassword := func() string {
		var outs struct {
			GrafanaAdminPassword string `json:"grafanaAdminPassword"`
		}
		if err := json.Unmarshal([]byte(s.must(cli.ExitOK, with("outputs", "--show-secrets")...).stdout), &outs); err != nil || outs.GrafanaAdminPassword == "" {
			t.Fatalf("no grafanaAdminPassword output (%v)", err)
		}
		return outs.GrafanaAdminPassword
	}
	g0 := grafanaPassword()
	grafana := report(t, s.must(cli.ExitOK, with("rotate", "--secret", "grafana.admin", "--yes", "--json")...))
	wantGrafana := []string{
		"create-replacement focusdeck-monitoring-grafana-password", "delete-replaced focusdeck-monitoring-grafana-password",
		"replace focusdeck-monitoring-grafana-password", "update focusdeck-prod-deploy",
	}
	if got := changedSteps(grafana); !slices.Equal(got, wantGrafana) {
		t.Errorf("grafana.admin rotation changed %v, want %v", got, wantGrafana)
	}
	g1 := grafanaPassword()
	if g1 == g0 {
		t.Error("grafana.admin rotation left Grafana's password as it was")
	}
	if vg := s.view(at); vg.admin != va.admin || vg.role != va.role {
		t.Error("grafana.admin rotation changed another secret")
	}
	values = append(values, g0, g1)

	if n := len(stateResources(t, e, "staging")); n != resources {
		t.Errorf("%d resources after the rotations, %d before", n, resources)
	}
	s.must(cli.ExitOK, with("preview", "--expect-no-changes")...)

	// The generator's result is a secret in the state, and no value is in
	// plain text in the backend, the stack file or anything printed.
	b, err := os.ReadFile(e.StatePath("focusdeck", "staging"))
	if err != nil {
		t.Fatal(err)
	}
	var cp struct {
		Checkpoint struct {
			Latest struct {
				Resources []struct {
					URN     string                     `json:"urn"`
					Outputs map[string]json.RawMessage `json:"outputs"`
				} `json:"resources"`
			} `json:"latest"`
		} `json:"checkpoint"`
	}
	if err := json.Unmarshal(b, &cp); err != nil {
		t.Fatal(err)
	}
	checked := false
	for _, r := range cp.Checkpoint.Latest.Resources {
		if r.URN == gen {
			checked = true
			if !strings.Contains(string(r.Outputs["result"]), sig.Secret) {
				t.Errorf("the generator's result is not a secret in the state: %.40s...", r.Outputs["result"])
			}
		}
	}
	if !checked {
		t.Errorf("no %s in the state", gen)
	}
	for _, v := range append(values, secrets...) {
		if files := e.FilesContaining(t, v); len(files) > 0 {
			t.Errorf("a secret is in plain text in %v", files)
		}
		if strings.Contains(s.transcript.String(), v) {
			t.Error("a secret was printed")
		}
	}
	if !strings.Contains(s.transcript.String(), "Rotating database.roles.focusdeck_app on stack staging") {
		t.Error("rotate did not say what it rotated")
	}
}

// The self-hosted superuser through the real engine: rotating it replaces
// its generator and updates the deploy command (the server's and the role
// script's env files changed; the deploy sets the password in the running
// server before the role script runs) and nothing else.
func TestEngineRotateSuperuser(t *testing.T) {
	s, e := newSession(t)
	dir, _ := project(t, e, "selfhosted", func(c string) string {
		for _, r := range [][2]string{
			{"infra:class: production", "infra:class: staging"},
			{"engine: managed", "engine: selfhosted"}, {"    size: db-s-1vcpu-2gb\n", ""},
			{"    nodes: 2\n", ""}, {"    maintenance: { day: sunday, hour: \"03:00\" }\n", ""},
			{", pool: { mode: transaction, size: 20 }", ""}, {", pool: { mode: session, size: 10 }", ""},
		} {
			if !strings.Contains(c, r[0]) {
				t.Fatalf("the stack file lacks %q", r[0])
			}
			c = strings.Replace(c, r[0], r[1], 1)
		}
		return c
	})
	with := func(args ...string) []string { return append(args, "--stack", "selfhosted", "--dir", dir) }
	if list := s.must(cli.ExitOK, with("rotate", "--list")...).stdout; !strings.Contains(list, "database.superuser ") || strings.Contains(list, "not rotatable") {
		t.Errorf("--list:\n%s", list)
	}
	s.must(cli.ExitOK, with("up", "--yes")...)
	gen := urnOf(t, stateResources(t, e, "selfhosted"), "focusdeck-prod-postgres-superuser")
	rep := report(t, s.must(cli.ExitOK, with("rotate", "--secret", "database.superuser", "--yes", "--json")...))
	want := []string{
		"create-replacement focusdeck-prod-postgres-superuser", "delete-replaced focusdeck-prod-postgres-superuser",
		"replace focusdeck-prod-postgres-superuser", "update focusdeck-prod-deploy",
	}
	if got := changedSteps(rep); !slices.Equal(got, want) {
		t.Errorf("the superuser's rotation changed %v, want %v", got, want)
	}
	for _, st := range rep.Steps {
		if st.Name == "focusdeck-prod-postgres-superuser" && st.URN != gen {
			t.Errorf("replaced %s, want %s", st.URN, gen)
		}
		if st.Name == "focusdeck-prod-deploy" && !slices.Equal(st.Diffs, []string{"stdin"}) {
			t.Errorf("the deploy command's %v changed, want its stdin (the bundle) alone", st.Diffs)
		}
	}
	s.must(cli.ExitOK, with("preview", "--expect-no-changes")...)
}
