package config

import (
	"strings"
	"testing"
)

// TestAllowListValidation: every bad allow-list entry is reported at its
// own path, on both topologies.
func TestAllowListValidation(t *testing.T) {
	for _, tc := range []struct {
		name, allow   string
		path, message string
	}{
		{"not a CIDR", `[203.0.113.7]`, "infra:services[0].public.allow[0]", "not a CIDR"},
		{"everyone", `[10.0.0.0/8, 0.0.0.0/0]`, "infra:services[0].public.allow[1]", "admits everyone"},
		{"everyone, IPv6", `["::/0"]`, "infra:services[0].public.allow[0]", "admits everyone"},
		{"host bits", `[203.0.113.7/24]`, "infra:services[0].public.allow[0]", "write 203.0.113.0/24"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			to := "public: { host: api, auth: true, allow: " + tc.allow + " }"
			raw, err := ParseStackFile("test.yaml", []byte(strings.Replace(kubernetesBase, "public: { host: api }", to, 1)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(raw)
			requireProblem(t, err, tc.path, tc.message)
		})
	}
}

// TestAdminRestrictionAccepted: auth and a good allow-list pass on
// Kubernetes, which used to refuse basic authentication.
func TestAdminRestrictionAccepted(t *testing.T) {
	to := `public: { host: api, auth: true, allow: [203.0.113.7/32, 10.0.0.0/8, "2001:db8::/32"] }`
	raw, err := ParseStackFile("test.yaml", []byte(strings.Replace(kubernetesBase, "public: { host: api }", to, 1)))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if r := cfg.Services[0].Public; !r.Auth || len(r.Allow) != 3 {
		t.Errorf("route = %+v", r)
	}
}
