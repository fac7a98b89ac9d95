package tests

import (
	"fmt"
	"net/url"
	"sort"
	"testing"

	"infra/internal/plan"
)

// TestEveryAdvertisedURLResolvesAndIsChecked: for every committed stack
// file, on its own topology and on the other one (the topology line
// flipped in a copy), every URL the stack advertises (the endpoints
// output and grafanaUrl) has a DNS record for its host, and every public
// service has an uptime check on its health path when it declares one.
func TestEveryAdvertisedURLResolvesAndIsChecked(t *testing.T) {
	for _, s := range onBothTopologies(t) {
		t.Run(s.Name(), func(t *testing.T) {
			checkAdvertised(t, s.Plan(t))
		})
	}
}

// flipEdits are what a stack needs besides the topology line to validate
// on the other topology.
var flipEdits = map[string][][2]string{
	// A self-hosted database runs on the Droplet only.
	"dev@kubernetes": {{"engine: selfhosted", "engine: managed"}},
	// The dumps of the managed cluster upload with infra:vps's Spaces key.
	"examples/jarvis-agents/prod@kubernetes": {{"    backups: { retentionDays: 14 }\n", ""}},
	// Only the Droplet's cron dumps an external database.
	"examples/hotdash/production@kubernetes": {{"    backups: { schedule: \"30 3 * * *\", retentionDays: 14 }\n", ""}},
	// The VPS topology needs its Droplet's size and keys.
	"examples/jarvis-cluster/prod@vps": {{"  infra:region: sfo3", "  infra:region: sfo3\n  infra:vps:\n    size: s-4vcpu-8gb\n    sshKeys: [\"3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa\"]\n    sshPrivateKeySecret: api-keys"},
		// The dumps upload with infra:cluster's Spaces key, which the
		// VPS takes from infra:vps.
		{"    backups: { schedule: \"0 * * * *\" }\n", ""}},
}

func checkAdvertised(t *testing.T, p *plan.Plan) {
	t.Helper()
	domain := p.Config.Domain
	records := map[string]bool{}
	for _, r := range ofType(p, "digitalocean:index/dnsRecord:DnsRecord") {
		n := fmt.Sprint(r.Inputs["name"])
		if n == "@" {
			records[domain] = true
		} else {
			records[n+"."+domain] = true
		}
	}
	checks := map[string]bool{}
	for _, r := range ofType(p, "digitalocean:index/uptimeCheck:UptimeCheck") {
		checks[fmt.Sprint(r.Inputs["target"])] = true
	}
	var advertised []string
	if eps, ok := p.Outputs["endpoints"].([]any); ok {
		for _, e := range eps {
			m := e.(map[string]any)
			advertised = append(advertised, fmt.Sprint(m["url"]))
			health, hasHealth := m["health"]
			if *p.Config.Monitoring.Enabled && hasHealth && !checks[fmt.Sprint(health)] {
				t.Errorf("%s: no uptime check on its health URL %v (checks: %v)", m["service"], health, keys(checks))
			}
		}
	}
	if g, ok := p.Outputs["grafanaUrl"].(string); ok {
		advertised = append(advertised, g)
	}
	if len(advertised) == 0 {
		t.Skip("the stack advertises no URL")
	}
	for _, a := range advertised {
		u, err := url.Parse(a)
		if err != nil || u.Scheme != "https" {
			t.Errorf("advertised %q is not an https URL", a)
			continue
		}
		if !records[u.Hostname()] {
			t.Errorf("advertised %s: no DNS record for %s (records: %v)", a, u.Hostname(), keys(records))
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
