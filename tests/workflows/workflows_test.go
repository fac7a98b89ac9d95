// Package workflows checks the GitHub Actions workflows: actionlint (as a
// library, running shellcheck on every run: script), the permissions and
// gates they must keep, and the pull request comment script.
package workflows

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/rhysd/actionlint"
)

var root = filepath.Join("..", "..")

// needTool finds a tool on PATH: missing, it skips loudly, or fails in CI.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (CI installs it)", name)
	}
	t.Logf("\n*** SKIPPING: %s is not installed ***", name)
	t.Skipf("%s not installed", name)
	return ""
}

func linter(t *testing.T) (*actionlint.Linter, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{Shellcheck: needTool(t, "shellcheck")})
	if err != nil {
		t.Fatal(err)
	}
	return l, &out
}

func project(t *testing.T) *actionlint.Project {
	t.Helper()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	p, err := actionlint.NewProject(abs)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func workflowFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("workflows: %v %v", files, err)
	}
	return files
}

func TestActionlint(t *testing.T) {
	l, out := linter(t)
	proj := project(t)
	files := append(workflowFiles(t), filepath.Join(root, ".github", "actions", "setup", "action.yml"))
	for _, f := range files {
		if strings.HasSuffix(f, "action.yml") {
			continue // checked through the workflows that use it
		}
		errs, err := l.LintFile(f, proj)
		if err != nil {
			t.Fatalf("lint %s: %v", f, err)
		}
		for _, e := range errs {
			t.Errorf("%s:%d:%d: %s [%s]", f, e.Line, e.Column, e.Message, e.Kind)
		}
	}
	if t.Failed() {
		t.Log(out.String())
	}
}

// actionlint catches each kind of mistake: the check can fail.
func TestActionlintCatchesBrokenWorkflows(t *testing.T) {
	l, _ := linter(t)
	proj := project(t)
	good, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "drift.yml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new, kind string
	}{
		{"unknown context", "${{ matrix.stack }}", "${{ matrix.stacks }}", "expression"},
		{"bad cron", `"17 4 * * *"`, `"17 25 * * *"`, "events"},
		{"unknown input of a known action", "- uses: ./.github/actions/setup", "- uses: actions/checkout@v5\n        with:\n          fetch-deep: 1", "action"},
		{"shell bug found by shellcheck", `--stack "$STACK"`, `--stack $STACK`, "shellcheck"},
		{"unknown permission", "contents: read", "contents: wrote", "permissions"},
		{"untrusted input in a run script (injection)", `cat drift.md >> "$GITHUB_STEP_SUMMARY"`, `echo "${{ github.event.head_commit.message }}"`, "expression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Contains(good, []byte(tt.old)) {
				t.Fatalf("drift.yml lacks %q", tt.old)
			}
			broken := bytes.Replace(good, []byte(tt.old), []byte(tt.new), 1)
			path := filepath.Join(root, ".github", "workflows", "broken.yml")
			errs, err := l.Lint(path, broken, proj)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, e := range errs {
				kinds = append(kinds, e.Kind)
			}
			if !slices.Contains(kinds, tt.kind) {
				t.Errorf("errors of kinds %v, want one of kind %q", kinds, tt.kind)
			}
		})
	}
}

type workflow struct {
	On          map[string]any `yaml:"on"`
	Permissions map[string]string
	Jobs        map[string]struct {
		If          string            `yaml:"if"`
		Needs       any               `yaml:"needs"`
		Environment any               `yaml:"environment"`
		Permissions map[string]string `yaml:"permissions"`
		Steps       []struct {
			Run  string `yaml:"run"`
			Uses string `yaml:"uses"`
		} `yaml:"steps"`
	}
}

func load(t *testing.T, name string) workflow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return w
}

func (w workflow) runs(job string) string {
	var b strings.Builder
	for _, s := range w.Jobs[job].Steps {
		b.WriteString(s.Run + "\n")
	}
	return b.String()
}

// Least privilege: every workflow reads contents only, unless a job needs
// more, and only two jobs write: preview (pull request comments) and
// release (the GitHub release and its files).
func TestPermissions(t *testing.T) {
	for _, f := range workflowFiles(t) {
		name := filepath.Base(f)
		w := load(t, name)
		if len(w.Permissions) != 1 || w.Permissions["contents"] != "read" {
			t.Errorf("%s: top-level permissions %v, want contents: read only", name, w.Permissions)
		}
		for job, j := range w.Jobs {
			for scope, level := range j.Permissions {
				allowed := name == "preview.yml" && job == "preview" && scope == "pull-requests" ||
					name == "release.yml" && job == "release" && scope == "contents"
				if level == "write" && !allowed {
					t.Errorf("%s job %s: %s: write", name, job, scope)
				}
			}
		}
	}
}

func TestPreviewWorkflow(t *testing.T) {
	w := load(t, "preview.yml")
	if _, ok := w.On["pull_request"]; !ok {
		t.Error("preview.yml does not run on pull requests")
	}
	if !strings.Contains(w.Jobs["preview"].If, "== github.repository") || !strings.Contains(w.Jobs["plan-offline"].If, "!= github.repository") {
		t.Error("the engine preview must be for branches of this repository, the offline plan for forks")
	}
	if r := w.runs("preview"); !strings.Contains(r, "infra preview") || !strings.Contains(r, "pr-comment.sh") {
		t.Errorf("preview job runs:\n%s", r)
	}
	if r := w.runs("plan-offline"); !strings.Contains(r, "infra plan") || strings.Contains(r, "secrets.") {
		t.Errorf("plan-offline job runs:\n%s", r)
	}
	// The offline plan diff against the base commit: appended to the
	// engine preview's comment (one comment per stack), and in the job
	// summary of a fork's pull request.
	for job, wants := range map[string][]string{
		"preview":      {"scripts/ci/base-plan.sh", "infra diff", "--markdown preview.md --append", "--new-stack", "--base-plan"},
		"plan-offline": {"scripts/ci/base-plan.sh", "infra diff", "--markdown diff.md", "--new-stack", "--base-plan", "GITHUB_STEP_SUMMARY"},
	} {
		r := w.runs(job)
		for _, want := range wants {
			if !strings.Contains(r, want) {
				t.Errorf("%s job lacks %q:\n%s", job, want, r)
			}
		}
		if strings.Index(r, "infra diff") < strings.Index(r, "base-plan.sh") {
			t.Errorf("%s job diffs before it plans the base", job)
		}
	}
	if r := w.runs("preview"); strings.Index(r, "infra diff") > strings.Index(r, "pr-comment.sh") {
		t.Error("the preview job comments before the diff is appended")
	}
}

func TestDeployWorkflow(t *testing.T) {
	w := load(t, "deploy.yml")
	if _, ok := w.On["push"]; !ok {
		t.Error("deploy.yml does not run on push")
	}
	// The approval gate is a job of its own in the production environment,
	// between dev and prod; prod runs in its stack's environment.
	gate := w.Jobs["approve-prod"]
	env, _ := gate.Environment.(map[string]any)
	if env["name"] != "production" || gate.Needs != "dev" {
		t.Errorf("approve-prod: environment %v, needs %v; want production after dev (the approval gate)", gate.Environment, gate.Needs)
	}
	if prod := w.Jobs["prod"]; prod.Needs != "approve-prod" || prod.Environment != "prod" {
		t.Errorf("prod: needs %v, environment %v; want approve-prod and prod", prod.Needs, prod.Environment)
	}
	if !strings.Contains(w.runs("dev"), "infra up --stack dev") || !strings.Contains(w.runs("prod"), "infra up --stack prod") {
		t.Error("deploy jobs do not run infra up")
	}
	// A job has no terminal to answer up's question on: without --yes,
	// up refuses (exit 2) and nothing is deployed.
	for _, job := range []string{"dev", "prod"} {
		if !strings.Contains(w.runs(job), "--yes") {
			t.Errorf("the %s job runs infra up without --yes", job)
		}
	}
}

func TestDriftWorkflow(t *testing.T) {
	w := load(t, "drift.yml")
	if _, ok := w.On["schedule"]; !ok {
		t.Error("drift.yml has no schedule")
	}
	if r := w.runs("drift"); !strings.Contains(r, "infra preview") || !strings.Contains(r, "--expect-no-changes") {
		t.Errorf("drift job runs:\n%s", r)
	}
}

// The release publishes stripped binaries for linux and darwin on amd64
// and arm64, stamped with the tag, with checksums, and only for a tag.
func TestReleaseWorkflow(t *testing.T) {
	w := load(t, "release.yml")
	push, _ := w.On["push"].(map[string]any)
	if _, ok := push["tags"]; !ok || len(w.On) != 1 {
		t.Errorf("release.yml should run on pushed tags only: on %v", w.On)
	}
	r := w.runs("release")
	for _, want := range []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "-s -w", "-trimpath",
		"-X infra/internal/cli.version=", "SHA256SUMS", "gh release create", "infra version", "go test"} {
		if !strings.Contains(r, want) {
			t.Errorf("release job lacks %q:\n%s", want, r)
		}
	}
	// The -X target must exist, or the stamp silently does nothing.
	src, err := os.ReadFile(filepath.Join(root, "internal", "cli", "version.go"))
	if err != nil || !strings.Contains(string(src), "\nvar version = \"\"\n") {
		t.Errorf("internal/cli.version (a string var the linker can set) is gone: %v", err)
	}
}

// The weekly restore drill: prod only, in its environment and the stack's
// concurrency group, running the CLI's drill with SSH opened to the
// runner's address for the time it runs.
func TestRestoreDrillWorkflow(t *testing.T) {
	w := load(t, "restore-drill.yml")
	schedule, _ := w.On["schedule"].([]any)
	if len(schedule) != 1 {
		t.Fatalf("restore-drill.yml schedule %v, want one weekly cron", w.On["schedule"])
	}
	cron, _ := schedule[0].(map[string]any)["cron"].(string)
	fields := strings.Fields(cron)
	if len(fields) != 5 || fields[2] != "*" || fields[3] != "*" || strings.ContainsAny(fields[4], "*,-/") {
		t.Errorf("cron %q does not run once a week", cron)
	}
	j := w.Jobs["restore-drill"]
	if env, _ := j.Environment.(string); env != "prod" {
		t.Errorf("environment %q, want prod", j.Environment)
	}
	r := w.runs("restore-drill")
	for _, want := range []string{"scripts/ci/runner-address.sh", `infra restore-drill --stack prod --access-from "$RUNNER_ADDRESS"`} {
		if !strings.Contains(r, want) {
			t.Errorf("restore-drill job lacks %q:\n%s", want, r)
		}
	}
}
