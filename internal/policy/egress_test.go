package policy

import (
	"testing"

	"infra/internal/stacktest"
)

// On Kubernetes a service whose plain env names an outside URL and that
// declares no egress is a finding at that env key; in-cluster names, the
// stack's own domain, private addresses, a declared egress and the VPS
// topology are not.
func TestKubernetesEgress(t *testing.T) {
	const env = "      command: [worker]\n"
	onKubernetes := func(extra string) string {
		return stacktest.Edit(t, stacktest.ProdVPS,
			"infra:topology: vps", "infra:topology: kubernetes",
			"  infra:services:\n", "  infra:cluster:\n    pools:\n      - { name: apps, size: s-2vcpu-4gb, count: 2 }\n  infra:services:\n",
			env, env+extra)
	}
	for _, tc := range []struct {
		name, stack string
		want        []string // resource paths of the findings
	}{
		{"outside API without egress", onKubernetes("      env: { PAYMENTS_URL: \"https://api.stripe.com/v1\", MODE: prod }\n"),
			[]string{"infra:services[1].env.PAYMENTS_URL"}},
		{"plain http and an explicit port", onKubernetes("      env: { HOOK: \"http://hooks.example.net:8080/x\" }\n"),
			[]string{"infra:services[1].env.HOOK"}},
		{"a public address", onKubernetes("      env: { B: \"https://203.0.113.9/\", A: \"https://api.stripe.com\" }\n"),
			[]string{"infra:services[1].env.A", "infra:services[1].env.B"}},
		{"declared egress", onKubernetes("      env: { PAYMENTS_URL: \"https://api.stripe.com/v1\" }\n      egress: [{ to: internet, ports: [443] }]\n"), nil},
		{"in-cluster and own names", onKubernetes("      env:\n        AUTH_URL: http://auth:9998\n        SVC: http://api.app.svc.cluster.local:8080\n" +
			"        SELF: https://api.example.com/cb\n        APEX: https://example.com\n        VPC: http://10.0.3.4:9000\n        NOTE: see https docs\n"), nil},
		{"on the VPS egress is open", stacktest.Edit(t, stacktest.ProdVPS, env, env+"      env: { PAYMENTS_URL: \"https://api.stripe.com/v1\" }\n"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range Evaluate(stackPlan(t, tc.stack)).Violations {
				if f.Rule == RuleKubernetesEgress {
					if f.Subject != "worker" {
						t.Errorf("finding about %q, want worker: %s", f.Subject, f)
					}
					got = append(got, f.Resource)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("findings %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("finding %d at %s, want %s", i, got[i], tc.want[i])
				}
			}
		})
	}
}
