package policy

import (
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

func TestEdgeAndContainerRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
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
	})
}
