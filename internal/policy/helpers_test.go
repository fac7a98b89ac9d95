package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"infra/internal/plan"
	"infra/stacks/config"
)

// baseStack is a valid production stack that passes every rule.
const baseStack = `
config:
  infra:environment: prod
  infra:class: production
  infra:topology: vps
  infra:region: nyc3
  infra:domain: example.com
  infra:network: { adminCidrs: [198.51.100.7/32] }
  infra:vps:
    size: s-2vcpu-4gb
    sshKeys: ["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"]
    sshPrivateKeySecret: deploy-ssh-key
    spacesKeySecret: spaces-access-key
    spacesSecretSecret: spaces-secret-key
  infra:database:
    engine: managed
    size: db-s-1vcpu-2gb
    nodes: 2
    databases:
      - { name: app, pool: { mode: transaction, size: 10 } }
      - { name: app_jobs, pool: { mode: session, size: 5 } }
    roles:
      - { name: app, databases: [app, app_jobs] }
  infra:services:
    - name: api
      image: ghcr.io/example/api:1.0.0
      port: 8080
      health: /healthz
      public: { host: api }
      connections:
        DATABASE_URL: { database: app, role: app, format: url }
        JOBS_DATABASE_URL: { database: app_jobs, role: app, format: url }
    - name: worker
      image: ghcr.io/example/api:1.0.0
      command: [worker]
  infra:secrets:
    deploy-ssh-key: { secure: v1:AAAAAAAAAAAAAAAAZGVwbG95LXNzaC1rZXk= }
    spaces-access-key: { secure: v1:AAAAAAAAAAAAAAAAc3BhY2VzLWFjY2Vzcy1rZXk= }
    spaces-secret-key: { secure: v1:AAAAAAAAAAAAAAAAc3BhY2VzLXNlY3JldC1rZXk= }
`

// edit replaces one exact piece of the base stack, failing if it is absent.
func edit(t *testing.T, stack string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(stack, pairs[i]) {
			t.Fatalf("stack has no %q", pairs[i])
		}
		stack = strings.Replace(stack, pairs[i], pairs[i+1], 1)
	}
	return stack
}

// stackPlan plans a stack file's text offline, the way `infra plan` does.
func stackPlan(t *testing.T, text string) *plan.Plan {
	t.Helper()
	p, err := plan.Run("test", "test", readStack(t, text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// readStack reads a stack file's text the way the CLI reads the file.
func readStack(t *testing.T, text string) *config.Raw {
	t.Helper()
	path := filepath.Join(t.TempDir(), "Pulumi.test.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := config.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func res(typ, name string, inputs map[string]any) plan.Resource {
	return plan.Resource{URN: "urn:pulumi:test::test::" + typ + "::" + name, Type: typ, Name: name, Custom: true, Inputs: inputs}
}

// with returns the plan with extra resources and artifacts.
func with(p *plan.Plan, rs ...plan.Resource) *plan.Plan {
	q := *p
	q.Resources = append(append([]plan.Resource(nil), p.Resources...), rs...)
	q.Artifacts = map[string]string{}
	for k, v := range p.Artifacts {
		q.Artifacts[k] = v
	}
	return &q
}

func withArtifact(p *plan.Plan, path, text string) *plan.Plan {
	q := with(p)
	q.Artifacts[path] = text
	return q
}

// mutate returns the plan with every resource of a type changed by f
// (f returns false to drop the resource).
func mutate(p *plan.Plan, typ string, f func(r *plan.Resource) bool) *plan.Plan {
	q := with(p)
	q.Resources = q.Resources[:0]
	for _, r := range p.Resources {
		if r.Type == typ {
			r.Inputs = copyMap(r.Inputs)
			if !f(&r) {
				continue
			}
		}
		q.Resources = append(q.Resources, r)
	}
	return q
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// violations returns the report's violations of one rule.
func violations(r Report, rule string) []Finding {
	var out []Finding
	for _, f := range r.Violations {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}
