package tests

import (
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"infra/internal/plan"
)

// TestEveryAdvertisedURLResolvesAndIsChecked: for every committed stack
// file, on its own topology and on the other one (the topology line
// flipped in a copy), every URL the stack advertises (the endpoints
// output and grafanaUrl) has a DNS record for its host, and every public
// service has an uptime check on its health path when it declares one.
func TestEveryAdvertisedURLResolvesAndIsChecked(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "Pulumi.*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob(filepath.Join(repoRoot, "examples", "*", "Pulumi.*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, more...)
	checked := 0
	for _, f := range files {
		dir, _ := filepath.Rel(repoRoot, filepath.Dir(f))
		stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
		for _, topology := range []string{"vps", "kubernetes"} {
			name := filepath.Join(dir, stack) + "@" + topology
			t.Run(name, func(t *testing.T) {
				p := planStack(t, dir, stack)
				if string(p.Config.Topology) != topology {
					from := "infra:topology: " + string(p.Config.Topology)
					edits := append([][2]string{{from, "infra:topology: " + topology}}, flipEdits[name]...)
					p = planEdited(t, dir, stack, edits...)
				}
				checked++
				checkAdvertised(t, p)
			})
		}
	}
	if checked < 2*len(files) {
		t.Errorf("checked %d stack/topology pairs of %d", checked, 2*len(files))
	}
}

// flipEdits are what a stack needs besides the topology line to validate
// on the other topology.
var flipEdits = map[string][][2]string{
	// A self-hosted database runs on the Droplet only.
	"dev@kubernetes": {{"engine: selfhosted", "engine: managed"}},
	// The VPS topology needs its Droplet's size and keys.
	"examples/jarvis-cluster/prod@vps": {{"  infra:region: sfo3", "  infra:region: sfo3\n  infra:vps:\n    size: s-4vcpu-8gb\n    sshKeys: [\"3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa\"]\n    sshPrivateKeySecret: api-keys"}},
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
