package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/spf13/cobra"

	"infra/internal/planner"
	"infra/stacks/config"
)

func templateCmd(s *IO) *cobra.Command { return NewCmdTemplate(s, nil) }
func validateCmd(s *IO) *cobra.Command { return NewCmdValidate(s, nil) }

// Every template, for every class, validates through the same path
// `infra validate` and the program use, and plans offline. The class, not
// the name, decides production.
func TestTemplatesValidate(t *testing.T) {
	for _, topology := range []string{"vps", "kubernetes"} {
		for _, tc := range []struct{ env, class string }{
			{"dev", "development"}, {"prod", "production"}, {"prod-eu", "production"}, {"staging-prod", "staging"},
		} {
			env := tc.env
			t.Run(topology+"/"+env, func(t *testing.T) {
				dir := t.TempDir()
				out := filepath.Join(dir, "Pulumi."+env+".yaml")
				r := runWith(context.Background(), t, templateCmd, "template", "--topology", topology, "--stack", env,
					"--class", tc.class, "--out", out, "--domain", "shop.example.org", "--app", "shop")
				if r.code != ExitOK {
					t.Fatalf("exit %d: %v", r.code, r.err)
				}
				raw, err := config.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := config.Parse(raw)
				if err != nil {
					t.Fatalf("the template does not validate: %v", err)
				}
				if string(cfg.Topology) != topology || cfg.Environment != env || cfg.Domain != "shop.example.org" {
					t.Errorf("config %s/%s/%s", cfg.Topology, cfg.Environment, cfg.Domain)
				}
				if cfg.Production() != (tc.class == "production") {
					t.Errorf("production = %v", cfg.Production())
				}
				doc, _ := os.ReadFile(out)
				if n := bytes.Count(doc, []byte("\n  #")) + bytes.Count(doc, []byte("\n#")); n < 10 {
					t.Errorf("only %d comment lines: a starter file explains itself", n)
				}
				p, err := planner.Run("shop", env, raw)
				if err != nil {
					t.Fatalf("offline plan of the template: %v", err)
				}
				if c := p.Counts(); c.Custom == 0 {
					t.Errorf("the template declares no cloud resources")
				}
				v := runWith(context.Background(), t, validateCmd, "validate", "--file", out)
				if v.code != ExitOK || !strings.Contains(v.stdout, "valid") {
					t.Errorf("infra validate: exit %d: %v", v.code, v.err)
				}
			})
		}
	}
}

// A starter file validates with its placeholder secrets, but preview and
// up refuse them (exit 3, each by its path) before the engine runs: the
// engine would only say "bad value". Once set, the engine is reached.
func TestTemplateSecretsSetBeforeTheEngine(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte("name: shop\nruntime: go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runWith(context.Background(), t, templateCmd, "template", "--topology", "vps", "--stack", "dev", "--class", "development", "--dir", dir); r.code != ExitOK {
		t.Fatalf("template: exit %d: %v", r.code, r.err)
	}
	f := &fakeStack{previewEvents: evs{summary(map[apitype.OpType]int{"create": 1})}}
	r := runWith(context.Background(), t, previewCmd(f, nil), "preview", "--stack", "dev", "--dir", dir)
	if r.code != ExitConfig {
		t.Fatalf("preview with placeholder secrets: exit %d: %v", r.code, r.err)
	}
	for _, name := range []string{"deploy-ssh-key", "spaces-access-key", "spaces-secret-key"} {
		want := "infra:secrets." + name + ": a placeholder, not a secret: set it with `pulumi config set --secret --path 'infra:secrets." + name + "' --stack dev`"
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("refusal lacks %q:\n%v", want, r.err)
		}
	}
	if calls := f.Calls(); len(calls) != 0 || f.name != "" {
		t.Errorf("the stack was opened (%q) or the engine reached: %v", f.name, calls)
	}
	file := config.StackFile(dir, "dev")
	doc, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	set := strings.ReplaceAll(string(doc), "secure: "+SecretPlaceholder, "secure: v1:c2FsdA==:Y2lwaGVydGV4dA==")
	if err := os.WriteFile(file, []byte(set), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runWith(context.Background(), t, previewCmd(f, nil), "preview", "--stack", "dev", "--dir", dir); r.code != ExitOK {
		t.Errorf("preview with the secrets set: exit %d: %v", r.code, r.err)
	}
}

func TestTemplateRefusals(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "Pulumi.dev.yaml")
	if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want int
		text string
	}{
		{"unknown topology", []string{"--topology", "lambda", "-o", "-"}, ExitUsage, "vps or kubernetes"},
		{"bad app name", []string{"--topology", "vps", "--app", "Shop!", "-o", "-"}, ExitUsage, "--app"},
		{"existing file kept", []string{"--topology", "vps", "--out", existing}, ExitUsage, "--force"},
		{"bad domain is a config error with its path", []string{"--topology", "vps", "--domain", "not a domain", "-o", "-"}, ExitConfig, "infra:domain"},
		{"bad region", []string{"--topology", "kubernetes", "--region", "mars", "-o", "-"}, ExitConfig, "infra:region"},
		{"file twice", []string{"--topology", "vps", "--out", "a.yaml", "b.yaml"}, ExitUsage, "not both"},
		{"unknown class", []string{"--topology", "vps", "--class", "prod", "-o", "-"}, ExitUsage, "production, staging or development"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWith(context.Background(), t, templateCmd, append([]string{"template", "--class", "development"}, tt.args...)...)
			if r.code != tt.want || r.err == nil || !strings.Contains(r.err.Error(), tt.text) {
				t.Errorf("exit %d (%v), want %d mentioning %q", r.code, r.err, tt.want, tt.text)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Error("an existing file was overwritten without --force")
	}
	r := runWith(context.Background(), t, templateCmd, "template", "--topology", "vps", "--class", "development", "--out", existing, "--force")
	if b, _ := os.ReadFile(existing); r.code != ExitOK || !strings.Contains(string(b), "infra:topology: vps") {
		t.Errorf("--force: exit %d: %v", r.code, r.err)
	}
}

func TestTemplateJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "Pulumi.staging.yaml")
	r := runWith(context.Background(), t, templateCmd, "template", "--topology", "vps", "--stack", "staging", "--class", "staging", "--out", out, "--json")
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != ExitOK {
		t.Fatalf("exit %d, %v: %s", r.code, err, r.stdout)
	}
	if doc["file"] != out || doc["topology"] != "vps" || doc["valid"] != true {
		t.Errorf("json %v", doc)
	}
}

func TestTemplateToStdoutAsPositional(t *testing.T) {
	r := runWith(context.Background(), t, templateCmd, "template", "--topology", "kubernetes", "--class", "development", "-")
	if r.code != ExitOK || !strings.Contains(r.stdout, "infra:topology: kubernetes") {
		t.Fatalf("exit %d: %v\n%s", r.code, r.err, r.stdout)
	}
}

func TestValidate(t *testing.T) {
	dir := testProject(t)
	r := runWith(context.Background(), t, validateCmd, "validate", "--stack", "bad", "--dir", dir)
	if r.code != ExitConfig {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	// Every problem at once, each with its path.
	for _, want := range []string{"infra:class: required", "infra:topology", "infra:region", "infra:domain: required", "infra:services: required"} {
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("problems lack %s:\n%v", want, r.err)
		}
	}
	j := runWith(context.Background(), t, validateCmd, "validate", "--stack", "bad", "--dir", dir, "--json")
	var v Validation
	if err := json.Unmarshal([]byte(j.stdout), &v); err != nil {
		t.Fatal(err)
	}
	if j.code != ExitConfig || v.Valid || len(v.Problems) != 5 {
		t.Errorf("json: exit %d, %+v", j.code, v)
	}
	ok := runWith(context.Background(), t, validateCmd, "validate", "--stack", "prod", "--dir", dir, "--json")
	if err := json.Unmarshal([]byte(ok.stdout), &v); err != nil || ok.code != ExitOK || !v.Valid || len(v.Problems) != 0 {
		t.Errorf("prod: exit %d, %+v, %v", ok.code, v, err)
	}
	none := runWith(context.Background(), t, validateCmd, "validate")
	if none.code != ExitUsage {
		t.Errorf("no --stack or --file: exit %d", none.code)
	}
}

func TestStatus(t *testing.T) {
	end := "2026-11-23T10:00:05Z"
	changes := map[string]int{"create": 20}
	f := &fakeStack{
		resources: protectedState(),
		history:   []auto.UpdateSummary{{Kind: "update", Result: "succeeded", StartTime: "2026-11-23T10:00:00Z", EndTime: &end, ResourceChanges: &changes}},
		outputs:   contractOutputs(),
	}
	build := func(s *IO) *cobra.Command {
		return NewCmdStatus(s, func(o *StatusOptions) error {
			o.OpenStack = opener(f)
			return runStatus(context.Background(), o)
		})
	}
	dir := testProject(t)
	r := runWith(context.Background(), t, build, "status", "--stack", "prod", "--dir", dir)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	for _, want := range []string{"update succeeded", "20 create", "resources:   5 (1 protected)", "https://focusdeck.example.com/", "[secret]"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, testPassword) || strings.Contains(r.stdout, "dop_v1") {
		t.Fatal("status printed a secret")
	}
	j := runWith(context.Background(), t, build, "status", "--stack", "prod", "--dir", dir, "--json")
	var st Status
	if err := json.Unmarshal([]byte(j.stdout), &st); err != nil {
		t.Fatal(err)
	}
	if st.Resources != 5 || st.Protected != 1 || st.LastUpdate == nil || st.LastUpdate.Changes["create"] != 20 || st.Outputs["connectionStrings"] != Redacted {
		t.Errorf("status %+v", st)
	}
}

// Main maps cobra's own errors and ours to the documented codes.
func TestMainUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"nosuchcommand"},
		{"preview", "--no-such-flag"},
		{"preview"}, // --stack is required
		{"outputs", "--stack", "x", "extra-arg"},
	} {
		var out, errOut bytes.Buffer
		code := MainContext(context.Background(), args, &IO{Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }})
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, ExitUsage, errOut.String())
		}
		if !strings.HasPrefix(errOut.String(), "error: ") {
			t.Errorf("%v: stderr %q", args, errOut.String())
		}
	}
}

// Without --class and without a terminal to ask on, template refuses: a
// script must state the class, nothing is guessed from the name.
func TestTemplateAsksForTheClass(t *testing.T) {
	r := runWith(context.Background(), t, templateCmd, "template", "--topology", "vps", "--stack", "prod", "-o", "-")
	if r.code != ExitUsage || r.err == nil || !strings.Contains(r.err.Error(), "--class is required") {
		t.Errorf("exit %d (%v), want %d asking for --class", r.code, r.err, ExitUsage)
	}
}
