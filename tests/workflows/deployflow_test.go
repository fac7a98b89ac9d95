package workflows

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// rawWorkflow is a workflow as plain maps: what a job says, including the
// keys the typed workflow leaves out.
type rawWorkflow struct {
	Env         map[string]any            `yaml:"env"`
	Concurrency any                       `yaml:"concurrency"`
	Jobs        map[string]map[string]any `yaml:"jobs"`
}

func loadRaw(t *testing.T, name string) rawWorkflow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var w rawWorkflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return w
}

func mentionsSecrets(t *testing.T, v any) bool {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), "secrets.")
}

// stacksOf expands a job's expression over its matrix of stacks: the value
// for each stack ("${{ matrix.stack }}" replaced), or the value itself.
func stacksOf(job map[string]any, expr string) map[string]string {
	strategy, _ := job["strategy"].(map[string]any)
	matrix, _ := strategy["matrix"].(map[string]any)
	stacks, _ := matrix["stack"].([]any)
	out := map[string]string{}
	for _, s := range stacks {
		out[s.(string)] = strings.ReplaceAll(expr, "${{ matrix.stack }}", s.(string))
	}
	return out
}

// Secrets kept on a GitHub environment reach only jobs that name it: every
// job that reads a secret (itself or through the workflow's env) names
// one, and it is the stack's (dev, prod).
func TestSecretsOnlyInEnvironments(t *testing.T) {
	for _, f := range workflowFiles(t) {
		name := filepath.Base(f)
		w := loadRaw(t, name)
		if mentionsSecrets(t, w.Env) {
			t.Errorf("%s reads secrets in its workflow-wide env: every job would, whatever its environment", name)
		}
		for id, job := range w.Jobs {
			if !mentionsSecrets(t, job) {
				continue
			}
			env, ok := job["environment"].(string)
			if !ok {
				t.Errorf("%s job %s reads secrets but names no environment (or the approval-only one): %v", name, id, job["environment"])
				continue
			}
			for stack, got := range stacksOf(job, env) {
				if got != stack {
					t.Errorf("%s job %s, stack %s: environment %q, want %q", name, id, stack, got, stack)
				}
			}
		}
	}
	// The approval gate holds no secrets: approving it hands nothing over.
	if job := loadRaw(t, "deploy.yml").Jobs["approve-prod"]; mentionsSecrets(t, job) {
		t.Error("the approve-prod job reads secrets")
	}
}

type concurrency struct {
	group  string
	cancel any
}

func concurrencyOf(job map[string]any) concurrency {
	c, _ := job["concurrency"].(map[string]any)
	g, _ := c["group"].(string)
	return concurrency{group: g, cancel: c["cancel-in-progress"]}
}

// Deploys and drift checks of one stack share the group infra-<stack> and
// never cancel one another midway; no workflow-wide group makes dev wait
// for prod's approval; previews keep their own group (a group holds one
// pending job: a queued preview would cancel the next pending deploy).
func TestConcurrencyPerStack(t *testing.T) {
	deploy, drift, preview := loadRaw(t, "deploy.yml"), loadRaw(t, "drift.yml"), loadRaw(t, "preview.yml")
	if deploy.Concurrency != nil || drift.Concurrency != nil {
		t.Errorf("workflow-wide concurrency: deploy %v, drift %v; want per stack, per job", deploy.Concurrency, drift.Concurrency)
	}
	groups := map[string][]string{} // stack -> the groups of its jobs
	for _, stack := range []string{"dev", "prod"} {
		c := concurrencyOf(deploy.Jobs[stack])
		if c.cancel != false {
			t.Errorf("deploy job %s: cancel-in-progress %v, want false", stack, c.cancel)
		}
		groups[stack] = append(groups[stack], c.group)
	}
	c := concurrencyOf(drift.Jobs["drift"])
	if c.cancel != false {
		t.Errorf("drift job: cancel-in-progress %v, want false", c.cancel)
	}
	for stack, g := range stacksOf(drift.Jobs["drift"], c.group) {
		groups[stack] = append(groups[stack], g)
	}
	for stack, gs := range groups {
		if len(gs) != 2 || gs[0] != "infra-"+stack || gs[1] != gs[0] {
			t.Errorf("stack %s: deploy and drift groups %q, want both infra-%s", stack, gs, stack)
		}
	}
	if c := concurrencyOf(deploy.Jobs["approve-prod"]); c.group != "" {
		t.Errorf("the approval gate holds the group %q while it waits", c.group)
	}
	pc, _ := preview.Concurrency.(map[string]any)
	if g, _ := pc["group"].(string); !strings.Contains(g, "pull_request.number") || strings.HasPrefix(g, "infra-") {
		t.Errorf("preview group %q: want one per pull request, apart from the deploys'", g)
	}
	if concurrencyOf(preview.Jobs["preview"]).group != "" {
		t.Error("the preview job joins a deploy group")
	}
}

// The jobs run the scripts the tests below run: the same files.
func TestWorkflowsRunTheTestedScripts(t *testing.T) {
	w := load(t, "deploy.yml")
	for _, stack := range []string{"dev", "prod"} {
		if r := w.runs(stack); !strings.Contains(r, "scripts/ci/health.sh "+stack+"\n") {
			t.Errorf("deploy job %s does not run scripts/ci/health.sh %s:\n%s", stack, stack, r)
		}
	}
	var action struct {
		Runs struct {
			Steps []struct {
				Uses string         `yaml:"uses"`
				Run  string         `yaml:"run"`
				With map[string]any `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	b, err := os.ReadFile(filepath.Join(root, ".github", "actions", "setup", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &action); err != nil {
		t.Fatal(err)
	}
	var runs, uses []string
	for _, s := range action.Runs.Steps {
		runs, uses = append(runs, s.Run), append(uses, s.Uses)
		switch {
		case strings.HasPrefix(s.Uses, "actions/setup-go@"):
			if s.With["cache"] != true || s.With["cache-dependency-path"] != "go.sum" {
				t.Errorf("setup-go caches %v keyed by %v, want true and go.sum", s.With["cache"], s.With["cache-dependency-path"])
			}
		case strings.HasPrefix(s.Uses, "actions/cache@"):
			key, _ := s.With["key"].(string)
			if s.With["path"] != "~/.pulumi/plugins" || !strings.Contains(key, "hashFiles('go.sum')") || !strings.Contains(key, "inputs.pulumi-version") {
				t.Errorf("plugin cache: path %v key %q", s.With["path"], key)
			}
		}
	}
	if !slices.ContainsFunc(uses, func(u string) bool { return strings.HasPrefix(u, "actions/cache@") }) {
		t.Error("the setup action caches no plugins")
	}
	if !slices.ContainsFunc(runs, func(r string) bool { return strings.HasPrefix(r, "scripts/ci/install-doctl.sh ") }) {
		t.Error("the setup action does not install doctl with scripts/ci/install-doctl.sh")
	}
	if i := slices.IndexFunc(runs, func(r string) bool { return strings.Contains(r, "go build -o bin/infra") }); i < 0 {
		t.Error("the setup action does not build bin/infra")
	}
}
