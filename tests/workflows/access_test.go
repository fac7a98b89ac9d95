package workflows

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// stepsOf reads a workflow's jobs as far as the access check needs: each
// step's id, env and script.
func stepsOf(t *testing.T, name string) map[string][]accessStep {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var w struct {
		Jobs map[string]struct {
			Steps []accessStep `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := map[string][]accessStep{}
	for job, j := range w.Jobs {
		out[job] = j.Steps
	}
	return out
}

type accessStep struct {
	ID  string            `yaml:"id"`
	Env map[string]string `yaml:"env"`
	Run string            `yaml:"run"`
}

var engineCommand = regexp.MustCompile(`bin/infra (up|preview|refresh|destroy)\b`)

// Every engine command of the deploy and drift jobs runs --access-from the
// runner's address, which a step before it asked for (runner-address.sh
// fails the job rather than hand over an empty or odd address).
func TestWorkflowsOpenAccessFromTheRunner(t *testing.T) {
	for file, jobs := range map[string][]string{"deploy.yml": {"dev", "prod"}, "drift.yml": {"drift"}} {
		all := stepsOf(t, file)
		for _, job := range jobs {
			t.Run(file+"/"+job, func(t *testing.T) {
				asked, commands := false, 0
				for _, s := range all[job] {
					if s.ID == "runner" {
						asked = strings.Contains(s.Run, "address=$(scripts/ci/runner-address.sh)") && strings.Contains(s.Run, `"address=$address" >> "$GITHUB_OUTPUT"`)
					}
					if !engineCommand.MatchString(s.Run) {
						continue
					}
					commands++
					if !asked {
						t.Errorf("%q runs before the runner's address is asked for", s.Run)
					}
					if !strings.Contains(s.Run, `--access-from "$RUNNER_ADDRESS"`) || s.Env["RUNNER_ADDRESS"] != "${{ steps.runner.outputs.address }}" {
						t.Errorf("%q does not run --access-from the runner's address (env %v)", s.Run, s.Env)
					}
				}
				if commands == 0 {
					t.Errorf("the %s job runs no engine command", job)
				}
			})
		}
	}
}

// runner-address.sh prints an IPv4 address and nothing else; any other
// answer, or none, fails it.
func TestRunnerAddressScript(t *testing.T) {
	bash := needTool(t, "bash")
	needTool(t, "curl")
	sc := needTool(t, "shellcheck")
	script := filepath.Join(root, "scripts", "ci", "runner-address.sh")
	if out, err := exec.Command(sc, script).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
	tests := []struct {
		answer string
		status int
		want   string // "" = the script fails
	}{
		{"203.0.113.7", 200, "203.0.113.7\n"},
		{"203.0.113.7\n", 200, "203.0.113.7\n"},
		{"", 200, ""},
		{"256.1.1.1", 200, ""},
		{"2001:db8::7", 200, ""},
		{"203.0.113.7; rm -rf /", 200, ""},
		{"<html>rate limited</html>", 200, ""},
		{"203.0.113.7", 503, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %q", tt.status, tt.answer), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.answer)
			}))
			defer srv.Close()
			cmd := exec.Command(bash, script)
			cmd.Env = append(os.Environ(), "RUNNER_ADDRESS_URL="+srv.URL)
			out, err := cmd.Output()
			if tt.want == "" {
				if err == nil {
					t.Errorf("passed, printing %q", out)
				}
				return
			}
			if err != nil || string(out) != tt.want {
				t.Errorf("printed %q (%v), want %q", out, err, tt.want)
			}
		})
	}
}
