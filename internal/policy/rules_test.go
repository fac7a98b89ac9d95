package policy

import (
	"strings"
	"testing"

	"infra/internal/dotype"
	"infra/internal/plan"
	"infra/internal/stacktest"
	"infra/stacks/config"
)

// The policy's table: for every rule, a crafted stack that breaks it (a
// real stack file planned offline, then given the resources or files the
// topology would add) and the same stack fixed.
func TestDatabaseAndSecretRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		// database-public
		{
			"cluster without a database firewall", RuleDatabasePublic,
			func(t *testing.T) *plan.Plan {
				return mutate(stackPlan(t, stacktest.ProdVPS), dotype.DatabaseFirewall, func(*plan.Resource) bool { return false })
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			"has no database firewall",
		},
		{
			"database firewall admitting 0.0.0.0/0", RuleDatabasePublic,
			func(t *testing.T) *plan.Plan {
				return mutate(stackPlan(t, stacktest.ProdVPS), dotype.DatabaseFirewall, func(r *plan.Resource) bool {
					r.Inputs["rules"] = append(r.List("rules"), map[string]any{"type": "ip_addr", "value": "0.0.0.0/0"})
					return true
				})
			},
			// The admins' addresses (infra:network.adminCidrs) are not the internet.
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			"reachable from the whole internet",
		},
		{
			"database firewall with no rules", RuleDatabasePublic,
			func(t *testing.T) *plan.Plan {
				return mutate(stackPlan(t, stacktest.ProdVPS), dotype.DatabaseFirewall, func(r *plan.Resource) bool {
					r.Inputs["rules"] = []any{}
					return true
				})
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			"has no rules",
		},
		{
			"droplet firewall opening PostgreSQL to the internet", RuleDatabasePublic,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), res(dotype.Firewall, "web", map[string]any{"inboundRules": []any{
					map[string]any{"protocol": "tcp", "portRange": "443", "sourceAddresses": []any{"0.0.0.0/0", "::/0"}},
					map[string]any{"protocol": "tcp", "portRange": "5000-6000", "sourceAddresses": []any{"::/0"}},
				}}))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), res(dotype.Firewall, "web", map[string]any{"inboundRules": []any{
					map[string]any{"protocol": "tcp", "portRange": "443", "sourceAddresses": []any{"0.0.0.0/0", "::/0"}},
					map[string]any{"protocol": "tcp", "portRange": "5432", "sourceAddresses": []any{"198.51.100.7/32"}},
				}}))
			},
			"opens port 5432",
		},
		{
			"Service of type LoadBalancer on the database port", RuleDatabasePublic,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), res(typeK8sService, "pg", map[string]any{"spec": map[string]any{"type": "LoadBalancer", "ports": []any{map[string]any{"port": 5432.0}}}}))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), res(typeK8sService, "pg", map[string]any{"spec": map[string]any{"type": "ClusterIP", "ports": []any{map[string]any{"port": 5432.0}}}}))
			},
			"exposes database port 5432",
		},
		// prod-database-ha
		{
			"production database without a standby", RuleProdDatabaseHA,
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, stacktest.Edit(t, stacktest.ProdVPS, "nodes: 2", "nodes: 1"))
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			"no standby node",
		},
		{
			"production database not protected", RuleProdDatabaseHA,
			func(t *testing.T) *plan.Plan {
				return mutate(stackPlan(t, stacktest.ProdVPS), dotype.DatabaseCluster, func(r *plan.Resource) bool { r.Protect = false; return true })
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			"not protected",
		},
		{
			"self-hosted database in production", RuleProdDatabaseHA,
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, stacktest.Edit(t, stacktest.ProdVPS, "engine: managed\n    size: db-s-1vcpu-2gb\n    nodes: 2", "engine: selfhosted",
					"{ name: app, pool: { mode: transaction, size: 10 } }", "{ name: app }", "{ name: app_jobs, pool: { mode: session, size: 5 } }", "{ name: app_jobs }"))
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			"self-hosted PostgreSQL in production",
		},
		// jobqueue-session-pool
		{
			"job database behind a transaction pool (by its name)", RuleJobQueuePool,
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, stacktest.Edit(t, stacktest.ProdVPS, "{ name: app_jobs, pool: { mode: session, size: 5 } }", "{ name: app_jobs, pool: { mode: transaction, size: 5 } }"))
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			`"app_jobs" is a job queue`,
		},
		{
			"database marked jobQueue behind a transaction pool", RuleJobQueuePool,
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, stacktest.Edit(t, stacktest.ProdVPS, "{ name: app, pool: { mode: transaction, size: 10 } }", "{ name: app, jobQueue: true, pool: { mode: transaction, size: 10 } }"))
			},
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, stacktest.Edit(t, stacktest.ProdVPS, "{ name: app, pool: { mode: transaction, size: 10 } }", "{ name: app, jobQueue: true, pool: { mode: session, size: 10 } }"))
			},
			"marked jobQueue: true",
		},
		{
			"Hangfire connection through a transaction pool", RuleJobQueuePool,
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, stacktest.Edit(t, stacktest.ProdVPS, "JOBS_DATABASE_URL: { database: app_jobs,", "ConnectionStrings__HangfireConnection: { database: app,"))
			},
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, stacktest.Edit(t, stacktest.ProdVPS, "JOBS_DATABASE_URL: { database: app_jobs,", "ConnectionStrings__HangfireConnection: { database: app, direct: true,",
					"DATABASE_URL: { database: app,", "DATABASE_URL: { database: app, direct: true,"))
			},
			"connects to it as ConnectionStrings__HangfireConnection",
		},
		// plaintext-secret
		{
			"password in a URL in a resource input", RulePlaintextSecret,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), deployment("api", withEnv([]any{map[string]any{"name": "DATABASE_URL", "value": "postgres://app:hunter2hunter2@db:5432/app"}})))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), deployment("api", withEnv([]any{map[string]any{"name": "DATABASE_URL", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "api", "key": "DATABASE_URL"}}}})))
			},
			"a URL with an embedded password",
		},
		{
			"token in a plain env entry", RulePlaintextSecret,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), deployment("api", withEnv([]any{map[string]any{"name": "CHATWOOT_API_TOKEN", "value": "s3cr3t-value"}})))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), deployment("api", withEnv([]any{map[string]any{"name": "CHATWOOT_API_TOKEN", "value": plan.Masked}})))
			},
			"a value named CHATWOOT_API_TOKEN",
		},
		{
			"private key in a rendered file", RulePlaintextSecret,
			func(t *testing.T) *plan.Plan {
				return withArtifact(stackPlan(t, stacktest.ProdVPS), "vps/cloud-init.yaml", "write_files:\n  - content: |\n      -----BEGIN OPENSSH PRIVATE KEY-----\n")
			},
			func(t *testing.T) *plan.Plan {
				return withArtifact(stackPlan(t, stacktest.ProdVPS), "vps/cloud-init.yaml", "ssh_authorized_keys:\n  - ssh-ed25519 AAAAC3Nza admin\n")
			},
			"a private key",
		},
		{
			"password URL in a service's plain env (config built in code, past validation)", RulePlaintextSecret,
			func(t *testing.T) *plan.Plan {
				p := stackPlan(t, stacktest.ProdVPS)
				cfg := *p.Config
				cfg.Services = append([]config.Service(nil), cfg.Services...)
				cfg.Services[1].Env = map[string]string{"BROKER_URL": "amqp://jobs:guest123@rabbit:5672/"}
				p.Config = &cfg
				return p
			},
			func(t *testing.T) *plan.Plan {
				p := stackPlan(t, stacktest.ProdVPS)
				cfg := *p.Config
				cfg.Services = append([]config.Service(nil), cfg.Services...)
				cfg.Services[1].Env = map[string]string{"BROKER_URL": "amqp://rabbit:5672/"}
				p.Config = &cfg
				return p
			},
			"infra:services[1].env.BROKER_URL",
		},
		{
			"value of infra:secrets unmasked", RulePlaintextSecret,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), res("kubernetes:core/v1:ConfigMap", "api", map[string]any{"data": map[string]any{"SLACK_URL": offlinePlaceholder + "4f2a9c01d3e7"}}))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), res("kubernetes:core/v1:Secret", "api", map[string]any{"stringData": plan.Masked}))
			},
			"a value of infra:secrets",
		},
	})
}

// ruleCase is a stack that breaks a rule and the same stack fixed.
type ruleCase struct {
	name, rule string
	bad, good  func(t *testing.T) *plan.Plan
	want       string
}

// runRuleCases checks that each bad stack violates its rule (with a
// message or resource that says why) and blocks, and that the fixed one
// passes every rule.
func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			bad := Evaluate(c.bad(t))
			got := violations(bad, c.rule)
			if len(got) == 0 {
				t.Fatalf("no %s violation; report: %+v", c.rule, bad)
			}
			found := false
			for _, f := range got {
				found = found || strings.Contains(f.Message, c.want) || strings.Contains(f.Resource, c.want)
			}
			if !found {
				t.Errorf("violations %+v do not mention %q", got, c.want)
			}
			if err := bad.Err(); err == nil {
				t.Error("a violation must block")
			}
			good := Evaluate(c.good(t))
			if good.Blocked() {
				t.Errorf("the fixed stack still violates: %+v", good.Violations)
			}
		})
	}
}

func TestRulesHaveStableUniqueIDs(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules {
		if seen[r.ID] || r.ID == "" || r.Summary == "" || strings.ToLower(r.ID) != r.ID {
			t.Errorf("rule %+v: ids are unique, lower-case and summarised", r)
		}
		seen[r.ID] = true
	}
	for _, id := range []string{"database-public", "public-tls", "prod-cert-issuer", "prod-database-ha", "container-limits", "container-health", "jobqueue-session-pool", "stateful-replace", "plaintext-secret", "kubernetes-egress", "policy-waiver"} {
		if !seen[id] {
			t.Errorf("rule %s is gone: waivers in stack files name it", id)
		}
	}
}
