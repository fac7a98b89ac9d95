package policy

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"

	"infra/internal/plan"
	"infra/stacks/config"
)

// checkKubernetesEgress flags, on topology kubernetes, a service that
// declares no egress while its plain env names an outside http(s) URL:
// the namespace denies egress it does not declare, so the call would time
// out in production rather than fail at plan time. Outside means a host
// with a dot that is not under infra:domain, not a cluster name
// (*.svc, *.cluster.local) and not a private address. Other calls (an SDK
// with a built-in endpoint, a URL in a secret) the config cannot show.
func checkKubernetesEgress(p *plan.Plan, fs *findings) {
	cfg := p.Config
	if cfg == nil || cfg.Topology != config.TopologyKubernetes {
		return
	}
	for i, s := range cfg.Services {
		if len(s.Egress) > 0 {
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(s.Env)) {
			host, ok := outsideHost(s.Env[name], cfg.Domain)
			if !ok {
				continue
			}
			fs.add(RuleKubernetesEgress, fmt.Sprintf("infra:services[%d].env.%s", i, name), s.Name,
				"%s calls %s, but the service declares no egress and the namespace denies it: add egress: [{ to: internet, ports: [443] }] (or the destination's cidr)", name, host)
		}
	}
}

// outsideHost is the host of an http(s) URL outside the cluster and the
// stack's domain.
func outsideHost(value, domain string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(value))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", false
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	domain = strings.ToLower(domain)
	switch {
	case host == "" || !strings.Contains(host, ".") && net.ParseIP(host) == nil:
		return "", false // a Service name in the namespace
	case domain != "" && (host == domain || strings.HasSuffix(host, "."+domain)):
		return "", false
	case strings.HasSuffix(host, ".svc") || strings.HasSuffix(host, ".cluster.local"):
		return "", false
	}
	if ip := net.ParseIP(host); ip != nil && (ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast()) {
		return "", false
	}
	return host, true
}
