package config

import (
	"errors"
	"strings"
	"testing"

	"infra/internal/stacktest"
)

// Each bad egress entry is reported at its own path, by the schema (shape,
// unknown keys, protocol) or by validateEgress (networks, ports).
func TestEgressValidation(t *testing.T) {
	for _, tc := range []struct {
		name, egress  string
		path, message string
	}{
		{"not a CIDR", "[{ cidr: 203.0.113.0, ports: [443] }]", "infra:services[0].egress[0].cidr", "not a CIDR"},
		{"host bits set", "[{ cidr: 203.0.113.7/24, ports: [443] }]", "infra:services[0].egress[0].cidr", "write 203.0.113.0/24"},
		{"everything as a cidr", "[{ cidr: 0.0.0.0/0, ports: [443] }]", "infra:services[0].egress[0].cidr", "write to: internet"},
		{"both", "[{ cidr: 203.0.113.0/24, to: internet, ports: [443] }]", "infra:services[0].egress[0]", "not both"},
		{"neither", "[{ ports: [443] }]", "infra:services[0].egress[0]", "set cidr"},
		{"port out of range", "[{ to: internet, ports: [443, 70000] }]", "infra:services[0].egress[0].ports[1]", "between 1 and 65535"},
		{"port zero", "[{ to: internet, ports: [0] }]", "infra:services[0].egress[0].ports[0]", "between 1 and 65535"},
		{"no ports", "[{ to: internet, ports: [] }]", "infra:services[0].egress[0].ports", ""},
		{"ports missing", "[{ to: internet }]", "infra:services[0].egress[0]", "ports"},
		{"unknown destination", "[{ to: everywhere, ports: [443] }]", "infra:services[0].egress[0].to", ""},
		{"unknown protocol", "[{ to: internet, ports: [443], protocol: SCTP }]", "infra:services[0].egress[0].protocol", ""},
		{"unknown key", "[{ to: internet, ports: [443], host: api.stripe.com }]", "infra:services[0].egress[0]", "host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseText(t, withEgress(t, kubernetesBase, tc.egress))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a ConfigError", err)
			}
			for _, p := range ce.Problems {
				if strings.HasPrefix(p.Path, tc.path) && strings.Contains(p.Path+" "+p.Message, tc.message) {
					return
				}
			}
			t.Fatalf("problems %v lack %s: %s", ce.Problems, tc.path, tc.message)
		})
	}
}

// Both forms are accepted on both topologies, TCP by default; on the VPS
// the field only documents the need (compose does not restrict egress).
func TestEgressAccepted(t *testing.T) {
	const egress = "[{ to: internet, ports: [443] }, { cidr: 203.0.113.0/24, ports: [5514], protocol: UDP }, { cidr: 10.20.0.0/16, ports: [9000] }]"
	for name, base := range map[string]string{"kubernetes": kubernetesBase, "vps": stacktest.ProdVPS} {
		t.Run(name, func(t *testing.T) {
			cfg, err := parseText(t, withEgress(t, base, egress))
			if err != nil {
				t.Fatal(err)
			}
			got := cfg.Services[0].Egress
			want := []Egress{
				{To: EgressInternet, Ports: []int{443}, Protocol: "TCP"},
				{CIDR: "203.0.113.0/24", Ports: []int{5514}, Protocol: "UDP"},
				{CIDR: "10.20.0.0/16", Ports: []int{9000}, Protocol: "TCP"},
			}
			if len(got) != len(want) {
				t.Fatalf("egress = %+v, want %+v", got, want)
			}
			for i := range want {
				if got[i].CIDR != want[i].CIDR || got[i].To != want[i].To || got[i].Protocol != want[i].Protocol || len(got[i].Ports) != 1 || got[i].Ports[0] != want[i].Ports[0] {
					t.Errorf("egress[%d] = %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

// withEgress adds egress to the first service of a stack.
func withEgress(t *testing.T, base, egress string) string {
	t.Helper()
	const first = "  infra:services:\n    - name: "
	if !strings.Contains(base, first) {
		t.Fatalf("base config lacks %q", first)
	}
	i := strings.Index(base, first) + len(first)
	end := i + strings.Index(base[i:], "\n") + 1
	return base[:end] + "      egress: " + egress + "\n" + base[end:]
}
