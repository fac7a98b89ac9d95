package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"infra/internal/planner"
	"infra/stacks/config"
)

// up and preview run the policy checks before the engine: a violation
// refuses with the policy exit code, and a waiver is printed every time.
func TestPolicyPreflight(t *testing.T) {
	b, err := os.ReadFile("../../examples/focusdeck/Pulumi.prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		edit     func(string) string
		wantCode int
		wantOut  string
	}{
		{"passes", func(s string) string { return s }, ExitOK, ""},
		{"prod database without a standby", func(s string) string { return strings.Replace(s, "nodes: 2", "nodes: 1", 1) }, ExitPolicy, "prod-database-ha"},
		{"waived with a reason", func(s string) string {
			return strings.Replace(s, "nodes: 2", "nodes: 1", 1) +
				"  infra:policy:\n    waivers:\n      - { rule: prod-database-ha, reason: \"a standby is bought after the canary week\" }\n"
		}, ExitOK, "a standby is bought after the canary week"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.edit(string(b))
			if doc == string(b) && tt.wantCode != ExitOK {
				t.Fatal("test setup: the edit changed nothing")
			}
			raw, err := config.ParseStackFile("Pulumi.prod.yaml", []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			p, err := planner.Run("focusdeck", "prod", raw)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			got := ExitCode(policyPreflight(&out)(p))
			if got != tt.wantCode {
				t.Errorf("exit %d, want %d; report:\n%s", got, tt.wantCode, out.String())
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("report lacks %q:\n%s", tt.wantOut, out.String())
			}
		})
	}
}
