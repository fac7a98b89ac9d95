package policy

import (
	"strings"
	"testing"

	"infra/internal/plan"
	"infra/stacks"
)

const caddyOK = `{
	email ops@example.com
}

api.example.com {
	reverse_proxy api:8080
}
`

func droplet() plan.Resource {
	return res(typeDroplet, "web", map[string]any{"size": "s-2vcpu-4gb"})
}

func deployment(name string, container map[string]any) plan.Resource {
	return res("kubernetes:apps/v1:Deployment", name, map[string]any{
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{container}}}},
	})
}

func goodContainer() map[string]any {
	return map[string]any{
		"name":           "api",
		"ports":          []any{map[string]any{"containerPort": 8080.0}},
		"resources":      map[string]any{"limits": map[string]any{"cpu": "500m", "memory": "512Mi"}},
		"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": 8080.0}},
	}
}

func withEnv(env []any) map[string]any {
	c := goodContainer()
	c["env"] = env
	return c
}

func ingress(tls bool, annotations map[string]any) plan.Resource {
	spec := map[string]any{"rules": []any{map[string]any{"host": "api.example.com"}}}
	if tls {
		spec["tls"] = []any{map[string]any{"hosts": []any{"api.example.com"}, "secretName": "api-tls"}}
	}
	return res(typeIngress, "api", map[string]any{"metadata": map[string]any{"annotations": annotations}, "spec": spec})
}

func gateway(httpsCert bool) plan.Resource {
	https := map[string]any{"name": "https", "protocol": "HTTPS", "port": 443.0}
	if httpsCert {
		https["tls"] = map[string]any{"certificateRefs": []any{map[string]any{"name": "edge-tls"}}}
	}
	return res(gatewayGroup+"v1:Gateway", "edge", map[string]any{
		"metadata": map[string]any{"name": "edge"},
		"spec":     map[string]any{"listeners": []any{map[string]any{"name": "http", "protocol": "HTTP", "port": 80.0}, https}},
	})
}

func httpRoute(section string) plan.Resource {
	ref := map[string]any{"name": "edge"}
	if section != "" {
		ref["sectionName"] = section
	}
	return res(gatewayGroup+"v1:HTTPRoute", "api", map[string]any{"spec": map[string]any{
		"hostnames":  []any{"api.example.com"},
		"parentRefs": []any{ref},
		"rules":      []any{map[string]any{"backendRefs": []any{map[string]any{"name": "api", "port": 8080.0}}}},
	}})
}

func kubernetesStack(t *testing.T) *plan.Plan {
	return stackPlan(t, edit(t, baseStack, "infra:topology: vps", "infra:topology: kubernetes"))
}

// TestEachRuleFailsOnAViolatingStackAndPassesWhenFixed is the policy's
// table: for every rule, a crafted stack that breaks it (from a real stack
// file planned offline, then with the resources or files the topology would
// add) and the same stack fixed.
func TestEachRuleFailsOnAViolatingStackAndPassesWhenFixed(t *testing.T) {
	cases := []struct {
		name, rule string
		bad, good  func(t *testing.T) *plan.Plan
		want       string
	}{
		// database-public
		{
			"cluster without a database firewall", RuleDatabasePublic,
			func(t *testing.T) *plan.Plan {
				return mutate(stackPlan(t, baseStack), typeDatabaseFirewall, func(*plan.Resource) bool { return false })
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, baseStack) },
			"has no database firewall",
		},
		{
			"database firewall admitting 0.0.0.0/0", RuleDatabasePublic,
			func(t *testing.T) *plan.Plan {
				return mutate(stackPlan(t, baseStack), typeDatabaseFirewall, func(r *plan.Resource) bool {
					r.Inputs["rules"] = append(r.List("rules"), map[string]any{"type": "ip_addr", "value": "0.0.0.0/0"})
					return true
				})
			},
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, edit(t, baseStack, "infra:region: nyc3", "infra:region: nyc3\n  infra:network: { adminCidrs: [198.51.100.7/32] }"))
			},
			"reachable from the whole internet",
		},
		{
			"database firewall with no rules", RuleDatabasePublic,
			func(t *testing.T) *plan.Plan {
				return mutate(stackPlan(t, baseStack), typeDatabaseFirewall, func(r *plan.Resource) bool {
					r.Inputs["rules"] = []any{}
					return true
				})
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, baseStack) },
			"has no rules",
		},
		{
			"droplet firewall opening PostgreSQL to the internet", RuleDatabasePublic,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), res(typeFirewall, "web", map[string]any{"inboundRules": []any{
					map[string]any{"protocol": "tcp", "portRange": "443", "sourceAddresses": []any{"0.0.0.0/0", "::/0"}},
					map[string]any{"protocol": "tcp", "portRange": "5000-6000", "sourceAddresses": []any{"::/0"}},
				}}))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), res(typeFirewall, "web", map[string]any{"inboundRules": []any{
					map[string]any{"protocol": "tcp", "portRange": "443", "sourceAddresses": []any{"0.0.0.0/0", "::/0"}},
					map[string]any{"protocol": "tcp", "portRange": "5432", "sourceAddresses": []any{"198.51.100.7/32"}},
				}}))
			},
			"opens port 5432",
		},
		{
			"Service of type LoadBalancer on the database port", RuleDatabasePublic,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), res(typeK8sService, "pg", map[string]any{"spec": map[string]any{"type": "LoadBalancer", "ports": []any{map[string]any{"port": 5432.0}}}}))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), res(typeK8sService, "pg", map[string]any{"spec": map[string]any{"type": "ClusterIP", "ports": []any{map[string]any{"port": 5432.0}}}}))
			},
			"exposes database port 5432",
		},
		// public-tls
		{
			"VPS serving public routes without a rendered Caddyfile", RulePublicTLS,
			func(t *testing.T) *plan.Plan { return with(stackPlan(t, baseStack), droplet()) },
			func(t *testing.T) *plan.Plan {
				return withArtifact(with(stackPlan(t, baseStack), droplet()), "vps/Caddyfile", caddyOK)
			},
			"no Caddyfile",
		},
		{
			"Caddy site on plain http://", RulePublicTLS,
			func(t *testing.T) *plan.Plan {
				return withArtifact(with(stackPlan(t, baseStack), droplet()), "vps/Caddyfile", "http://api.example.com {\n\treverse_proxy api:8080\n}\n")
			},
			func(t *testing.T) *plan.Plan {
				return withArtifact(with(stackPlan(t, baseStack), droplet()), "vps/Caddyfile",
					caddyOK+"\nhttp://api.example.com {\n\tredir https://{host}{uri} permanent\n}\n")
			},
			"serves plain HTTP",
		},
		{
			"Caddy with automatic HTTPS off", RulePublicTLS,
			func(t *testing.T) *plan.Plan {
				return withArtifact(with(stackPlan(t, baseStack), droplet()), "vps/Caddyfile", "{\n\tauto_https off\n}\napi.example.com {\n\treverse_proxy api:8080\n}\n")
			},
			func(t *testing.T) *plan.Plan {
				return withArtifact(with(stackPlan(t, baseStack), droplet()), "vps/Caddyfile", caddyOK)
			},
			"auto_https is off",
		},
		{
			"Caddyfile missing a public host", RulePublicTLS,
			func(t *testing.T) *plan.Plan {
				return withArtifact(with(stackPlan(t, baseStack), droplet()), "vps/Caddyfile", "www.example.com {\n\treverse_proxy web:80\n}\n")
			},
			func(t *testing.T) *plan.Plan {
				return withArtifact(with(stackPlan(t, baseStack), droplet()), "vps/Caddyfile", "*.example.com {\n\treverse_proxy api:8080\n}\n")
			},
			"api.example.com is not served over TLS",
		},
		{
			"Ingress host without tls", RulePublicTLS,
			func(t *testing.T) *plan.Plan {
				return with(kubernetesStack(t), deployment("api", goodContainer()), ingress(false, nil))
			},
			func(t *testing.T) *plan.Plan {
				return with(kubernetesStack(t), deployment("api", goodContainer()), ingress(true, nil))
			},
			"routed without TLS",
		},
		{
			"kubernetes workloads but no route for a public service", RulePublicTLS,
			func(t *testing.T) *plan.Plan { return with(kubernetesStack(t), deployment("api", goodContainer())) },
			func(t *testing.T) *plan.Plan {
				return with(kubernetesStack(t), deployment("api", goodContainer()), gateway(true), httpRoute("https"))
			},
			"api.example.com is not served over TLS",
		},
		{
			"HTTPRoute attached to the plain HTTP listener", RulePublicTLS,
			func(t *testing.T) *plan.Plan {
				return with(kubernetesStack(t), deployment("api", goodContainer()), gateway(true), httpRoute(""))
			},
			func(t *testing.T) *plan.Plan {
				return with(kubernetesStack(t), deployment("api", goodContainer()), gateway(true), httpRoute("https"))
			},
			`plain HTTP listener "http"`,
		},
		{
			"HTTPS listener without a certificate", RulePublicTLS,
			func(t *testing.T) *plan.Plan {
				return with(kubernetesStack(t), deployment("api", goodContainer()), gateway(false), httpRoute("https"))
			},
			func(t *testing.T) *plan.Plan {
				return with(kubernetesStack(t), deployment("api", goodContainer()), gateway(true), httpRoute("https"))
			},
			"HTTPS without a certificate",
		},
		{
			"load balancer forwarding plain HTTP", RulePublicTLS,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), res(typeLoadBalancer, "lb", map[string]any{"forwardingRules": []any{map[string]any{"entryProtocol": "http", "entryPort": 80.0}}}))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), res(typeLoadBalancer, "lb", map[string]any{"redirectHttpToHttps": true, "forwardingRules": []any{map[string]any{"entryProtocol": "http", "entryPort": 80.0}}}))
			},
			"serves plain HTTP",
		},
		// prod-cert-issuer
		{
			"production on the staging issuer", RuleProdIssuer,
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, baseStack+"  infra:ingress: { issuer: letsencrypt-staging }\n")
			},
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, baseStack+"  infra:ingress: { issuer: letsencrypt-prod }\n")
			},
			"browsers do not trust",
		},
		{
			"production Ingress annotated with the staging issuer", RuleProdIssuer,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), ingress(true, map[string]any{"cert-manager.io/cluster-issuer": "letsencrypt-staging"}))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), ingress(true, map[string]any{"cert-manager.io/cluster-issuer": "letsencrypt-prod"}))
			},
			"cert-manager.io/cluster-issuer is letsencrypt-staging",
		},
		{
			"production Certificate from the staging issuer", RuleProdIssuer,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), res(typeCertificate, "api", map[string]any{"spec": map[string]any{"issuerRef": map[string]any{"name": "letsencrypt-staging", "kind": "ClusterIssuer"}}}))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), res(typeCertificate, "api", map[string]any{"spec": map[string]any{"issuerRef": map[string]any{"name": "letsencrypt-prod", "kind": "ClusterIssuer"}}}))
			},
			"issued by letsencrypt-staging",
		},
		{
			"letsencrypt-prod ClusterIssuer pointing at staging", RuleProdIssuer,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), res(typeClusterIssuer, "prod", map[string]any{"metadata": map[string]any{"name": "letsencrypt-prod"}, "spec": map[string]any{"acme": map[string]any{"server": "https://acme-staging-v02.api.letsencrypt.org/directory"}}}))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), res(typeClusterIssuer, "prod", map[string]any{"metadata": map[string]any{"name": "letsencrypt-prod"}, "spec": map[string]any{"acme": map[string]any{"server": "https://acme-v02.api.letsencrypt.org/directory"}}}))
			},
			"points at the staging ACME server",
		},
		{
			"production proxy on Caddy's internal CA", RuleProdIssuer,
			func(t *testing.T) *plan.Plan {
				return withArtifact(with(stackPlan(t, baseStack), droplet()), "vps/Caddyfile", "api.example.com {\n\ttls internal\n\treverse_proxy api:8080\n}\n")
			},
			func(t *testing.T) *plan.Plan {
				return withArtifact(with(stackPlan(t, baseStack), droplet()), "vps/Caddyfile", caddyOK)
			},
			"untrusted certificate authority",
		},
		// prod-database-ha
		{
			"production database without a standby", RuleProdDatabaseHA,
			func(t *testing.T) *plan.Plan { return stackPlan(t, edit(t, baseStack, "nodes: 2", "nodes: 1")) },
			func(t *testing.T) *plan.Plan { return stackPlan(t, baseStack) },
			"no standby node",
		},
		{
			"production database not protected", RuleProdDatabaseHA,
			func(t *testing.T) *plan.Plan {
				return mutate(stackPlan(t, baseStack), typeDatabaseCluster, func(r *plan.Resource) bool { r.Protect = false; return true })
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, baseStack) },
			"not protected",
		},
		{
			"self-hosted database in production", RuleProdDatabaseHA,
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, edit(t, baseStack, "engine: managed\n    size: db-s-1vcpu-1gb\n    nodes: 2", "engine: selfhosted",
					"{ name: app, pool: { mode: transaction, size: 10 } }", "{ name: app }", "{ name: app_jobs, pool: { mode: session, size: 5 } }", "{ name: app_jobs }"))
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, baseStack) },
			"self-hosted PostgreSQL in production",
		},
		// container-limits
		{
			"service without limits", RuleContainerLimits,
			func(t *testing.T) *plan.Plan {
				p := stackPlan(t, baseStack)
				cfg := *p.Config
				cfg.Services = append([]stacks.Service(nil), cfg.Services...)
				cfg.Services[0].Resources = &stacks.Resources{}
				p.Config = &cfg
				return p
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, baseStack) },
			"no CPU and memory limits",
		},
		{
			"Deployment container without limits", RuleContainerLimits,
			func(t *testing.T) *plan.Plan {
				c := goodContainer()
				delete(c, "resources")
				return with(stackPlan(t, baseStack), deployment("api", c))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), deployment("api", goodContainer()))
			},
			"container api has no CPU and memory limits",
		},
		{
			"compose service without limits", RuleContainerLimits,
			func(t *testing.T) *plan.Plan {
				return withArtifact(stackPlan(t, baseStack), "vps/compose.yaml", "services:\n  api:\n    image: x\n    healthcheck: { test: [CMD, wget, -qO-, http://127.0.0.1:8080/healthz] }\n")
			},
			func(t *testing.T) *plan.Plan {
				return withArtifact(stackPlan(t, baseStack), "vps/compose.yaml", "services:\n  api:\n    image: x\n    healthcheck: { test: [CMD, wget, -qO-, http://127.0.0.1:8080/healthz] }\n    deploy: { resources: { limits: { cpus: '0.5', memory: 512M } } }\n")
			},
			"compose service has no memory and CPU limits",
		},
		// container-health
		{
			"service with a port and no health path", RuleContainerHealth,
			func(t *testing.T) *plan.Plan { return stackPlan(t, edit(t, baseStack, "      health: /healthz\n", "")) },
			func(t *testing.T) *plan.Plan { return stackPlan(t, baseStack) },
			"declares no health check path",
		},
		{
			"Deployment container with a port and no probe", RuleContainerHealth,
			func(t *testing.T) *plan.Plan {
				c := goodContainer()
				delete(c, "readinessProbe")
				return with(stackPlan(t, baseStack), deployment("api", c))
			},
			func(t *testing.T) *plan.Plan {
				c := goodContainer()
				delete(c, "readinessProbe")
				c["livenessProbe"] = map[string]any{"tcpSocket": map[string]any{"port": 8080.0}}
				return with(stackPlan(t, baseStack), deployment("api", c))
			},
			"has no readiness or liveness probe",
		},
		{
			"compose application service without a healthcheck", RuleContainerHealth,
			func(t *testing.T) *plan.Plan {
				return withArtifact(stackPlan(t, baseStack), "vps/compose.yaml", "services:\n  api:\n    image: x\n    deploy: { resources: { limits: { cpus: '0.5', memory: 512M } } }\n")
			},
			func(t *testing.T) *plan.Plan {
				return withArtifact(stackPlan(t, baseStack), "vps/compose.yaml", "services:\n  api:\n    image: x\n    healthcheck: { test: [CMD, wget, -qO-, http://127.0.0.1:8080/healthz] }\n    deploy: { resources: { limits: { cpus: '0.5', memory: 512M } } }\n  worker:\n    image: x\n    deploy: { resources: { limits: { cpus: '0.5', memory: 512M } } }\n")
			},
			"compose service listens on a port but has no healthcheck",
		},
		// jobqueue-session-pool
		{
			"job database behind a transaction pool (by its name)", RuleJobQueuePool,
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, edit(t, baseStack, "{ name: app_jobs, pool: { mode: session, size: 5 } }", "{ name: app_jobs, pool: { mode: transaction, size: 5 } }"))
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, baseStack) },
			`"app_jobs" is a job queue`,
		},
		{
			"database marked jobQueue behind a transaction pool", RuleJobQueuePool,
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, edit(t, baseStack, "{ name: app, pool: { mode: transaction, size: 10 } }", "{ name: app, jobQueue: true, pool: { mode: transaction, size: 10 } }"))
			},
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, edit(t, baseStack, "{ name: app, pool: { mode: transaction, size: 10 } }", "{ name: app, jobQueue: true, pool: { mode: session, size: 10 } }"))
			},
			"marked jobQueue: true",
		},
		{
			"Hangfire connection through a transaction pool", RuleJobQueuePool,
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, edit(t, baseStack, "JOBS_DATABASE_URL: { database: app_jobs,", "ConnectionStrings__HangfireConnection: { database: app,"))
			},
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, edit(t, baseStack, "JOBS_DATABASE_URL: { database: app_jobs,", "ConnectionStrings__HangfireConnection: { database: app, direct: true,",
					"DATABASE_URL: { database: app,", "DATABASE_URL: { database: app, direct: true,"))
			},
			"connects to it as ConnectionStrings__HangfireConnection",
		},
		// plaintext-secret
		{
			"password in a URL in a resource input", RulePlaintextSecret,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), deployment("api", withEnv([]any{map[string]any{"name": "DATABASE_URL", "value": "postgres://app:hunter2hunter2@db:5432/app"}})))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), deployment("api", withEnv([]any{map[string]any{"name": "DATABASE_URL", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "api", "key": "DATABASE_URL"}}}})))
			},
			"a URL with an embedded password",
		},
		{
			"token in a plain env entry", RulePlaintextSecret,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), deployment("api", withEnv([]any{map[string]any{"name": "CHATWOOT_API_TOKEN", "value": "s3cr3t-value"}})))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), deployment("api", withEnv([]any{map[string]any{"name": "CHATWOOT_API_TOKEN", "value": plan.Masked}})))
			},
			"a value named CHATWOOT_API_TOKEN",
		},
		{
			"private key in a rendered file", RulePlaintextSecret,
			func(t *testing.T) *plan.Plan {
				return withArtifact(stackPlan(t, baseStack), "vps/cloud-init.yaml", "write_files:\n  - content: |\n      -----BEGIN OPENSSH PRIVATE KEY-----\n")
			},
			func(t *testing.T) *plan.Plan {
				return withArtifact(stackPlan(t, baseStack), "vps/cloud-init.yaml", "ssh_authorized_keys:\n  - ssh-ed25519 AAAAC3Nza admin\n")
			},
			"a private key",
		},
		{
			"password URL in a service's plain env (config built in code, past validation)", RulePlaintextSecret,
			func(t *testing.T) *plan.Plan {
				p := stackPlan(t, baseStack)
				cfg := *p.Config
				cfg.Services = append([]stacks.Service(nil), cfg.Services...)
				cfg.Services[1].Env = map[string]string{"BROKER_URL": "amqp://jobs:guest123@rabbit:5672/"}
				p.Config = &cfg
				return p
			},
			func(t *testing.T) *plan.Plan {
				p := stackPlan(t, baseStack)
				cfg := *p.Config
				cfg.Services = append([]stacks.Service(nil), cfg.Services...)
				cfg.Services[1].Env = map[string]string{"BROKER_URL": "amqp://rabbit:5672/"}
				p.Config = &cfg
				return p
			},
			"infra:services[1].env.BROKER_URL",
		},
		{
			"value of infra:secrets unmasked", RulePlaintextSecret,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), res("kubernetes:core/v1:ConfigMap", "api", map[string]any{"data": map[string]any{"SLACK_URL": offlinePlaceholder + "4f2a9c01d3e7"}}))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, baseStack), res("kubernetes:core/v1:Secret", "api", map[string]any{"stringData": plan.Masked}))
			},
			"a value of infra:secrets",
		},
	}
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
	for _, id := range []string{"database-public", "public-tls", "prod-cert-issuer", "prod-database-ha", "container-limits", "container-health", "jobqueue-session-pool", "stateful-replace", "plaintext-secret", "policy-waiver"} {
		if !seen[id] {
			t.Errorf("rule %s is gone: waivers in stack files name it", id)
		}
	}
}
