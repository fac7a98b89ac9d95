package workload

import (
	"testing"

	"infra/components/service"
)

// A declared destination opens egress from the service's pods to it and
// nothing else: the internet without the private, shared and link-local
// ranges, or the named network, on the named ports and protocol. A
// service that declares none gets no egress policy.
func TestEgressPolicies(t *testing.T) {
	args := testArgs()
	for i := range args.Services {
		switch args.Services[i].Name {
		case "api":
			args.Services[i].Egress = []service.Egress{{Internet: true, Ports: []int{443}}}
		case "worker":
			args.Services[i].Egress = []service.Egress{
				{CIDR: "203.0.113.0/24", Ports: []int{443, 8443}, Protocol: "TCP"},
				{CIDR: "198.51.100.53/32", Ports: []int{514}, Protocol: "UDP"},
			}
		}
	}
	rec, _ := run(t, args)
	component := func(name string) map[string]any { return map[string]any{ComponentLabel: name} }
	expect(t, "api-egress", mustObject(t, rec, "NetworkPolicy", "api-egress"), map[string]any{
		"spec.podSelector.matchLabels": component("api"),
		"spec.policyTypes":             []any{"Egress"},
		"spec.ingress":                 nil,
		"spec.egress": []any{map[string]any{
			"to": []any{map[string]any{"ipBlock": map[string]any{
				"cidr":   "0.0.0.0/0",
				"except": []any{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"},
			}}},
			"ports": []any{map[string]any{"protocol": "TCP", "port": 443}},
		}},
	})
	expect(t, "worker-egress", mustObject(t, rec, "NetworkPolicy", "worker-egress"), map[string]any{
		"spec.podSelector.matchLabels": component("worker"),
		"spec.policyTypes":             []any{"Egress"},
		"spec.egress": []any{
			map[string]any{
				"to":    []any{map[string]any{"ipBlock": map[string]any{"cidr": "203.0.113.0/24"}}},
				"ports": []any{map[string]any{"protocol": "TCP", "port": 443}, map[string]any{"protocol": "TCP", "port": 8443}},
			},
			map[string]any{
				"to":    []any{map[string]any{"ipBlock": map[string]any{"cidr": "198.51.100.53/32"}}},
				"ports": []any{map[string]any{"protocol": "UDP", "port": 514}},
			},
		},
	})
	for _, name := range []string{"redis-egress", "gossip-egress"} {
		if o := object(rec, "NetworkPolicy", name); o != nil {
			t.Errorf("%s declared without egress in the config: %s", name, js(o))
		}
	}
	// Without any declaration the namespace keeps today's policies.
	plain, _ := run(t, testArgs())
	for _, r := range plain.ByType(token("NetworkPolicy")) {
		if r.Name == "demo-networkpolicy-api-egress" || r.Name == "demo-networkpolicy-worker-egress" {
			t.Errorf("%s declared without egress", r.Name)
		}
	}
	// The default deny stays under the allowances.
	expect(t, "default-deny", mustObject(t, rec, "NetworkPolicy", "default-deny"), map[string]any{
		"spec": map[string]any{"podSelector": map[string]any{}, "policyTypes": []any{"Ingress", "Egress"}},
	})
}
