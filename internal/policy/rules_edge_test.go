package policy

import (
	"testing"

	"infra/internal/dotype"
	"infra/internal/plan"
	"infra/internal/stacktest"
	"infra/stacks/config"
)

// nginxConf is the proxy config the VPS topology renders for the base stack.
const nginxConf = "vps/nginx.conf"

// withNginx is the base stack's plan with its rendered nginx.conf edited
// (pairs of exact old and new text, each required to be there).
func withNginx(t *testing.T, pairs ...string) *plan.Plan {
	t.Helper()
	p := stackPlan(t, stacktest.ProdVPS)
	conf, ok := p.Artifacts[nginxConf]
	if !ok {
		t.Fatalf("the VPS rendered no %s", nginxConf)
	}
	return withArtifact(p, nginxConf, stacktest.Edit(t, conf, pairs...))
}

const (
	port80Redirect = "location / {\n            return 301 https://$host$request_uri;\n        }"
	catchAllClose  = "location / {\n            return 444;\n        }"
	certificate    = "    ssl_certificate /etc/letsencrypt/live/app/fullchain.pem;\n    ssl_certificate_key /etc/letsencrypt/live/app/privkey.pem;\n"
	apiTLSServer   = "listen 443 ssl;\n        server_name api.example.com;"
	namedPort80    = "        listen 80;\n        server_name api.example.com grafana.example.com ops.example.com;\n"
)

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
	return stackPlan(t, stacktest.Edit(t, stacktest.ProdVPS, "infra:topology: vps", "infra:topology: kubernetes"))
}

func TestEdgeAndContainerRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		// public-tls
		{
			"VPS serving public routes without a rendered nginx.conf", RulePublicTLS,
			func(t *testing.T) *plan.Plan {
				p := with(stackPlan(t, stacktest.ProdVPS))
				delete(p.Artifacts, nginxConf)
				return p
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			"no nginx.conf",
		},
		{
			"nginx server listening 443 ssl without a certificate", RulePublicTLS,
			func(t *testing.T) *plan.Plan { return withNginx(t, certificate, "") },
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			"listens on 443 ssl without ssl_certificate",
		},
		{
			"nginx proxying a public host on port 80", RulePublicTLS,
			func(t *testing.T) *plan.Plan {
				return withNginx(t, port80Redirect, "location / {\n            proxy_pass http://api:8080;\n        }")
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			"serves plain HTTP on 80 (location /: proxy_pass http://api:8080)",
		},
		{
			"nginx serving the public host on 443 without ssl", RulePublicTLS,
			func(t *testing.T) *plan.Plan {
				return withNginx(t, apiTLSServer, "listen 443;\n        server_name api.example.com;")
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			"serves plain HTTP on 443",
		},
		{
			"nginx port 80 server of the public hosts not redirecting", RulePublicTLS,
			func(t *testing.T) *plan.Plan {
				return withNginx(t, port80Redirect, "location / {\n            return 404;\n        }")
			},
			func(t *testing.T) *plan.Plan {
				return withNginx(t, port80Redirect, "location / {\n            return 308 https://api.example.com$request_uri;\n        }")
			},
			"without redirecting to https",
		},
		{
			"public host left to a catch-all port 80 server that does not redirect", RulePublicTLS,
			func(t *testing.T) *plan.Plan {
				return withNginx(t, namedPort80, "        listen 80;\n        server_name grafana.example.com ops.example.com;\n")
			},
			func(t *testing.T) *plan.Plan {
				return withNginx(t, namedPort80, "        listen 80;\n        server_name grafana.example.com ops.example.com;\n",
					catchAllClose, "location / {\n            return 301 https://$host$request_uri;\n        }")
			},
			"api.example.com: port 80 does not redirect it to https",
		},
		{
			"nginx without a TLS server for a public host", RulePublicTLS,
			func(t *testing.T) *plan.Plan {
				return withNginx(t, apiTLSServer, "listen 443 ssl;\n        server_name www.example.com;")
			},
			func(t *testing.T) *plan.Plan {
				return withNginx(t, apiTLSServer, "listen 443 ssl;\n        server_name *.example.com;")
			},
			"api.example.com is not served over TLS",
		},
		{
			"nginx config that cannot be read", RulePublicTLS,
			func(t *testing.T) *plan.Plan {
				return withNginx(t, catchAllClose, "location / {\n            return 444;\n")
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			"cannot read the nginx config",
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
			func(t *testing.T) *plan.Plan {
				// The topology routes every public service: drop its Ingresses.
				noRoutes := mutate(kubernetesStack(t), typeIngress, func(*plan.Resource) bool { return false })
				return with(noRoutes, deployment("api", goodContainer()))
			},
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
				return with(stackPlan(t, stacktest.ProdVPS), res(dotype.LoadBalancer, "lb", map[string]any{"forwardingRules": []any{map[string]any{"entryProtocol": "http", "entryPort": 80.0}}}))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), res(dotype.LoadBalancer, "lb", map[string]any{"redirectHttpToHttps": true, "forwardingRules": []any{map[string]any{"entryProtocol": "http", "entryPort": 80.0}}}))
			},
			"serves plain HTTP",
		},
		// prod-cert-issuer
		{
			"production on the staging issuer", RuleProdIssuer,
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, stacktest.ProdVPS+"  infra:ingress: { issuer: letsencrypt-staging }\n")
			},
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, stacktest.ProdVPS+"  infra:ingress: { issuer: letsencrypt-prod }\n")
			},
			"browsers do not trust",
		},
		{
			"production Ingress annotated with the staging issuer", RuleProdIssuer,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), ingress(true, map[string]any{"cert-manager.io/cluster-issuer": "letsencrypt-staging"}))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), ingress(true, map[string]any{"cert-manager.io/cluster-issuer": "letsencrypt-prod"}))
			},
			"cert-manager.io/cluster-issuer is letsencrypt-staging",
		},
		{
			"production Certificate from the staging issuer", RuleProdIssuer,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), res(typeCertificate, "api", map[string]any{"spec": map[string]any{"issuerRef": map[string]any{"name": "letsencrypt-staging", "kind": "ClusterIssuer"}}}))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), res(typeCertificate, "api", map[string]any{"spec": map[string]any{"issuerRef": map[string]any{"name": "letsencrypt-prod", "kind": "ClusterIssuer"}}}))
			},
			"issued by letsencrypt-staging",
		},
		{
			"letsencrypt-prod ClusterIssuer pointing at staging", RuleProdIssuer,
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), res(typeClusterIssuer, "prod", map[string]any{"metadata": map[string]any{"name": "letsencrypt-prod"}, "spec": map[string]any{"acme": map[string]any{"server": "https://acme-staging-v02.api.letsencrypt.org/directory"}}}))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), res(typeClusterIssuer, "prod", map[string]any{"metadata": map[string]any{"name": "letsencrypt-prod"}, "spec": map[string]any{"acme": map[string]any{"server": "https://acme-v02.api.letsencrypt.org/directory"}}}))
			},
			"points at the staging ACME server",
		},
		{
			"production certbot on Let's Encrypt's staging CA", RuleProdIssuer,
			func(t *testing.T) *plan.Plan {
				p := stackPlan(t, stacktest.ProdVPS)
				return withArtifact(p, "vps/deploy.sh", stacktest.Edit(t, p.Artifacts["vps/deploy.sh"], "certbot_args=(--non-interactive", "certbot_args=(--test-cert --non-interactive"))
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			"--test-cert makes certbot get the production certificate from Let's Encrypt's staging CA",
		},
		// container-limits
		{
			"service without limits", RuleContainerLimits,
			func(t *testing.T) *plan.Plan {
				p := stackPlan(t, stacktest.ProdVPS)
				cfg := *p.Config
				cfg.Services = append([]config.Service(nil), cfg.Services...)
				cfg.Services[0].Resources = &config.Resources{}
				p.Config = &cfg
				return p
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			"no CPU and memory limits",
		},
		{
			"Deployment container without limits", RuleContainerLimits,
			func(t *testing.T) *plan.Plan {
				c := goodContainer()
				delete(c, "resources")
				return with(stackPlan(t, stacktest.ProdVPS), deployment("api", c))
			},
			func(t *testing.T) *plan.Plan {
				return with(stackPlan(t, stacktest.ProdVPS), deployment("api", goodContainer()))
			},
			"container api has no CPU and memory limits",
		},
		{
			"compose service without limits", RuleContainerLimits,
			func(t *testing.T) *plan.Plan {
				return withArtifact(stackPlan(t, stacktest.ProdVPS), "vps/compose.yaml", "services:\n  api:\n    image: x\n    healthcheck: { test: [CMD, wget, -qO-, http://127.0.0.1:8080/healthz] }\n")
			},
			func(t *testing.T) *plan.Plan {
				return withArtifact(stackPlan(t, stacktest.ProdVPS), "vps/compose.yaml", "services:\n  api:\n    image: x\n    healthcheck: { test: [CMD, wget, -qO-, http://127.0.0.1:8080/healthz] }\n    deploy: { resources: { limits: { cpus: '0.5', memory: 512M } } }\n")
			},
			"compose service has no memory and CPU limits",
		},
		// container-health
		{
			"service with a port and no health path", RuleContainerHealth,
			func(t *testing.T) *plan.Plan {
				return stackPlan(t, stacktest.Edit(t, stacktest.ProdVPS, "      health: /healthz\n", ""))
			},
			func(t *testing.T) *plan.Plan { return stackPlan(t, stacktest.ProdVPS) },
			"declares no health check path",
		},
		{
			"Deployment container with a port and no probe", RuleContainerHealth,
			func(t *testing.T) *plan.Plan {
				c := goodContainer()
				delete(c, "readinessProbe")
				return with(stackPlan(t, stacktest.ProdVPS), deployment("api", c))
			},
			func(t *testing.T) *plan.Plan {
				c := goodContainer()
				delete(c, "readinessProbe")
				c["livenessProbe"] = map[string]any{"tcpSocket": map[string]any{"port": 8080.0}}
				return with(stackPlan(t, stacktest.ProdVPS), deployment("api", c))
			},
			"has no readiness or liveness probe",
		},
		{
			"compose application service without a healthcheck", RuleContainerHealth,
			func(t *testing.T) *plan.Plan {
				return withArtifact(stackPlan(t, stacktest.ProdVPS), "vps/compose.yaml", "services:\n  api:\n    image: x\n    deploy: { resources: { limits: { cpus: '0.5', memory: 512M } } }\n")
			},
			func(t *testing.T) *plan.Plan {
				return withArtifact(stackPlan(t, stacktest.ProdVPS), "vps/compose.yaml", "services:\n  api:\n    image: x\n    healthcheck: { test: [CMD, wget, -qO-, http://127.0.0.1:8080/healthz] }\n    deploy: { resources: { limits: { cpus: '0.5', memory: 512M } } }\n  worker:\n    image: x\n    deploy: { resources: { limits: { cpus: '0.5', memory: 512M } } }\n")
			},
			"compose service listens on a port but has no healthcheck",
		},
	})
}
