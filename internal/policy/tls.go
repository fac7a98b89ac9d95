package policy

import (
	"fmt"
	"sort"
	"strings"

	"infra/internal/dotype"
	"infra/internal/plan"
)

const (
	typeIngress       = "kubernetes:networking.k8s.io/v1:Ingress"
	typeCertificate   = "kubernetes:cert-manager.io/v1:Certificate"
	typeClusterIssuer = "kubernetes:cert-manager.io/v1:ClusterIssuer"
	gatewayGroup      = "kubernetes:gateway.networking.k8s.io/"

	prodIssuer = "letsencrypt-prod"
)

// publicRoute is a configured public service's fully qualified host.
type publicRoute struct {
	service, path, host string
}

func publicRoutes(p *plan.Plan) []publicRoute {
	cfg := p.Config
	if cfg == nil {
		return nil
	}
	var out []publicRoute
	for i, s := range cfg.Services {
		if s.Public == nil {
			continue
		}
		host := cfg.Domain
		if s.Public.Host != "@" && s.Public.Host != "" {
			host = s.Public.Host + "." + cfg.Domain
		}
		out = append(out, publicRoute{service: s.Name, path: fmt.Sprintf("infra:services[%d].public", i), host: strings.ToLower(host)})
	}
	return out
}

// checkPublicTLS finds routes served over plain HTTP. What it reads depends
// on what the topology declared: Ingress and Gateway API objects and load
// balancers on kubernetes, the proxy's rendered nginx.conf on the VPS. Every
// configured public service must be covered by one of them, once the
// topology has declared its workloads; on the VPS its port 80 must also
// redirect to https.
func checkPublicTLS(p *plan.Plan, fs *findings) {
	var served []string // hosts served over TLS
	served = append(served, checkIngresses(p, fs)...)
	served = append(served, checkGateways(p, fs)...)
	for _, lb := range p.ByType(dotype.LoadBalancer) {
		redirect, _ := lb.Bool("redirectHttpToHttps")
		for i, rule := range lb.List("forwardingRules") {
			proto, _ := plan.Lookup(rule, "entryProtocol")
			if proto == "http" && !redirect {
				fs.resource(RulePublicTLS, lb, "forwarding rule %d serves plain HTTP: set redirectHttpToHttps or forward https", i)
			}
		}
	}
	proxy := checkNginxConfigs(p, fs)
	served = append(served, proxy.tls...)

	routes := publicRoutes(p)
	if len(routes) == 0 {
		return
	}
	switch p.Topology() {
	case "vps":
		if len(p.ByType(dotype.Droplet)) == 0 {
			return // the topology declared nothing yet: no route is served
		}
		if proxy.configs == 0 {
			fs.add(RulePublicTLS, "artifacts", "proxy", "the VPS serves %d public route(s) but no nginx.conf is among the rendered files: render the proxy's config with AddArtifact so its TLS can be checked", len(routes))
			return
		}
		for _, r := range routes {
			if !proxy.redirectAll && !anyHostMatches(proxy.redirected, r.host) {
				fs.add(RulePublicTLS, r.path, r.service, "public host %s: port 80 does not redirect it to https (return 301 https://$host$request_uri in its port 80 server)", r.host)
			}
		}
	case "kubernetes":
		if !declaresWorkloads(p) {
			return
		}
	}
	for _, r := range routes {
		if !anyHostMatches(served, r.host) {
			fs.add(RulePublicTLS, r.path, r.service, "public host %s is not served over TLS by any Ingress, HTTPS listener or proxy site", r.host)
		}
	}
}

func declaresWorkloads(p *plan.Plan) bool {
	for _, r := range p.Resources {
		if _, ok := workloadKinds[r.Type]; ok {
			return true
		}
	}
	return false
}

// checkIngresses returns the hosts Ingresses serve with TLS and reports
// rules without it.
func checkIngresses(p *plan.Plan, fs *findings) []string {
	var served []string
	for _, ing := range p.ByType(typeIngress) {
		tlsHosts := map[string]bool{}
		for _, t := range ing.List("spec.tls") {
			hosts, _ := plan.Lookup(t, "hosts")
			list, _ := hosts.([]any)
			for _, h := range list {
				if s, ok := h.(string); ok {
					tlsHosts[strings.ToLower(s)] = true
				}
			}
		}
		for i, rule := range ing.List("spec.rules") {
			h, _ := plan.Lookup(rule, "host")
			host, _ := h.(string)
			host = strings.ToLower(host)
			switch {
			case host == "":
				fs.resource(RulePublicTLS, ing, "rule %d has no host, so no certificate can cover it", i)
			case !tlsHosts[host]:
				fs.resource(RulePublicTLS, ing, "host %s is routed without TLS: list it under spec.tls", host)
			default:
				served = append(served, host)
			}
		}
	}
	return served
}

type listener struct {
	name, protocol, hostname string
	tls                      bool
}

// checkGateways returns the hosts HTTPRoutes serve on HTTPS listeners and
// reports HTTPS listeners without certificates and routes served on plain
// HTTP listeners (unless they only redirect to https).
func checkGateways(p *plan.Plan, fs *findings) []string {
	gateways := map[string][]listener{}
	var routes []plan.Resource
	for _, r := range p.Resources {
		if !strings.HasPrefix(r.Type, gatewayGroup) {
			continue
		}
		switch {
		case strings.HasSuffix(r.Type, ":Gateway"):
			name, ok := r.String("metadata.name")
			if !ok {
				name = r.Name
			}
			for i, l := range r.List("spec.listeners") {
				lr := plan.Resource{Inputs: map[string]any{"l": l}}
				ln := listener{}
				ln.name, _ = lr.String("l.name")
				ln.protocol, _ = lr.String("l.protocol")
				ln.hostname, _ = lr.String("l.hostname")
				refs := lr.List("l.tls.certificateRefs")
				mode, _ := lr.String("l.tls.mode")
				ln.tls = len(refs) > 0 || mode == "Passthrough"
				if (ln.protocol == "HTTPS" || ln.protocol == "TLS") && !ln.tls {
					fs.resource(RulePublicTLS, r, "listener %d (%s) is %s without a certificate", i, ln.name, ln.protocol)
				}
				gateways[name] = append(gateways[name], ln)
			}
		case strings.HasSuffix(r.Type, ":HTTPRoute"):
			routes = append(routes, r)
		}
	}
	var served []string
	for _, rt := range routes {
		var hostnames []string
		for _, h := range rt.List("spec.hostnames") {
			if s, ok := h.(string); ok {
				hostnames = append(hostnames, strings.ToLower(s))
			}
		}
		for _, ref := range rt.List("spec.parentRefs") {
			n, _ := plan.Lookup(ref, "name")
			sec, _ := plan.Lookup(ref, "sectionName")
			name, _ := n.(string)
			section, _ := sec.(string)
			listeners, known := gateways[name]
			if !known {
				served = append(served, hostnames...) // a gateway outside the plan: not checkable
				continue
			}
			for _, l := range listeners {
				if section != "" && l.name != section {
					continue
				}
				switch {
				case l.protocol == "HTTPS" && l.tls:
					served = append(served, hostnames...)
				case l.protocol == "HTTP" && !onlyRedirectsToHTTPS(rt):
					fs.resource(RulePublicTLS, rt, "attached to plain HTTP listener %q of gateway %s: attach to the HTTPS listener (sectionName) or only redirect to https", l.name, name)
				}
			}
		}
	}
	return served
}

func onlyRedirectsToHTTPS(route plan.Resource) bool {
	rules := route.List("spec.rules")
	if len(rules) == 0 {
		return false
	}
	for _, rule := range rules {
		redirect := false
		filters, _ := plan.Lookup(rule, "filters")
		list, _ := filters.([]any)
		for _, f := range list {
			typ, _ := plan.Lookup(f, "type")
			scheme, _ := plan.Lookup(f, "requestRedirect.scheme")
			if typ == "RequestRedirect" && scheme == "https" {
				redirect = true
			}
		}
		if !redirect {
			return false
		}
	}
	return true
}

// proxyCoverage is what the VPS proxy's configs serve.
type proxyCoverage struct {
	// tls are the server names served over TLS with a certificate.
	tls []string
	// redirected are the server names whose port 80 redirects to https;
	// redirectAll: a catch-all port 80 server redirects every other name.
	redirected  []string
	redirectAll bool
	configs     int
}

// checkNginxConfigs reads the rendered nginx configs. On an address
// reachable from outside, a server listening with ssl needs a certificate
// (or rejects the handshake), and a plain HTTP server may only answer ACME
// challenges and redirect to https: a named one must redirect, none may
// proxy or serve files.
func checkNginxConfigs(p *plan.Plan, fs *findings) proxyCoverage {
	var cov proxyCoverage
	for _, path := range artifactPaths(p, isNginxConfig) {
		cov.configs++
		ds, err := parseNginx(p.Artifacts[path])
		if err != nil {
			fs.add(RulePublicTLS, path, "proxy", "cannot read the nginx config: %v", err)
			continue
		}
		for _, s := range nginxServers(ds) {
			var tls, plain []string
			for _, l := range s.listens {
				switch {
				case l.local:
				case l.ssl:
					tls = append(tls, l.String())
				default:
					plain = append(plain, l.String())
				}
			}
			if len(tls) > 0 && !s.rejectsTLS {
				if s.certificate {
					cov.tls = append(cov.tls, s.names...)
				} else {
					fs.add(RulePublicTLS, path, "proxy", "%s listens on %s without ssl_certificate and ssl_certificate_key", s.label(), strings.Join(tls, ", "))
				}
			}
			if len(plain) == 0 {
				continue
			}
			if len(s.proxies) > 0 {
				fs.add(RulePublicTLS, path, "proxy", "%s serves plain HTTP on %s (%s): over plain HTTP only answer ACME challenges and redirect to https", s.label(), strings.Join(plain, ", "), strings.Join(s.proxies, "; "))
			}
			switch {
			case s.redirects && s.catchAll():
				cov.redirectAll = true
			case s.redirects:
				cov.redirected = append(cov.redirected, s.names...)
			case !s.catchAll():
				fs.add(RulePublicTLS, path, "proxy", "%s answers plain HTTP on %s without redirecting to https: return 301 https://$host$request_uri", s.label(), strings.Join(plain, ", "))
			}
		}
	}
	return cov
}

func anyHostMatches(names []string, host string) bool {
	for _, n := range names {
		if nginxHostMatches(n, host) {
			return true
		}
	}
	return false
}

// artifactPaths are the rendered files of one kind, sorted.
func artifactPaths(p *plan.Plan, kind func(string) bool) []string {
	var paths []string
	for path := range p.Artifacts {
		if kind(path) {
			paths = append(paths, path)
		}
	}
	sort.Strings(paths)
	return paths
}

// checkProdIssuer keeps production on trusted certificates: the configured
// issuer, the issuer annotations and Certificates, certbot's CA on the VPS. A
// ClusterIssuer named letsencrypt-prod must point at the production ACME
// endpoint in every stack: its name is what the other checks trust.
func checkProdIssuer(p *plan.Plan, fs *findings) {
	for _, ci := range p.ByType(typeClusterIssuer) {
		name, _ := ci.String("metadata.name")
		server, _ := ci.String("spec.acme.server")
		if name == prodIssuer && strings.Contains(server, "staging") {
			fs.resource(RuleProdIssuer, ci, "ClusterIssuer %s points at the staging ACME server %s", name, server)
		}
	}
	if !production(p) {
		return
	}
	if cfg := p.Config; cfg != nil && cfg.Ingress != nil && cfg.Ingress.Issuer != prodIssuer {
		fs.add(RuleProdIssuer, "infra:ingress.issuer", "ingress", "production uses %s: browsers do not trust its certificates; use %s", cfg.Ingress.Issuer, prodIssuer)
	}
	for _, r := range p.Resources {
		if r.Type != typeIngress && !(strings.HasPrefix(r.Type, gatewayGroup) && strings.HasSuffix(r.Type, ":Gateway")) {
			continue
		}
		for _, key := range []string{"cert-manager.io/cluster-issuer", "cert-manager.io/issuer"} {
			if v, ok := r.Annotation(key); ok && v != prodIssuer {
				fs.resource(RuleProdIssuer, r, "annotation %s is %s in production; use %s", key, v, prodIssuer)
			}
		}
	}
	for _, c := range p.ByType(typeCertificate) {
		if v, ok := c.String("spec.issuerRef.name"); ok && v != prodIssuer {
			fs.resource(RuleProdIssuer, c, "Certificate is issued by %s in production; use %s", v, prodIssuer)
		}
	}
	for _, path := range artifactPaths(p, isShellScript) {
		if flag := certbotStaging(p.Artifacts[path]); flag != "" {
			fs.add(RuleProdIssuer, path, "certbot", "%s makes certbot get the production certificate from Let's Encrypt's staging CA, which browsers do not trust", flag)
		}
	}
}

func isShellScript(p string) bool { return strings.HasSuffix(p, ".sh") }

// certbotStaging finds what points certbot at Let's Encrypt's staging CA in
// a script: --test-cert, --staging or the staging directory URL. Comments
// do not count.
func certbotStaging(script string) string {
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, f := range strings.FieldsFunc(line, func(r rune) bool { return strings.ContainsRune(" \t()=\"'", r) }) {
			switch {
			case f == "--test-cert" || f == "--staging":
				return f
			case strings.Contains(f, "acme-staging"):
				return f
			}
		}
	}
	return ""
}
