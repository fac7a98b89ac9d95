package config

import (
	"errors"
	"strings"
	"testing"
)

// monitoringStack is a valid VPS stack with monitoring on by default and
// one service exposing metrics; the monitoring cases override its keys.
const monitoringStack = `config:
  infra:environment: prod
  infra:class: production
  infra:topology: vps
  infra:region: nyc3
  infra:domain: example.com
  infra:network: { adminCidrs: [198.51.100.7/32] }
  infra:vps: { size: s-2vcpu-4gb, sshKeys: ["aa:bb"], sshPrivateKeySecret: deploy-key }
  infra:secrets: { deploy-key: { secure: v1:abc } }
  infra:services:
    - { name: api, image: "ghcr.io/x/api:1", port: 8080, public: { host: api }, metrics: {} }
    - { name: worker, image: "ghcr.io/x/worker:1" }
`

// parseText reads and validates a stack file's text.
func parseText(t *testing.T, text string) (*Config, error) {
	t.Helper()
	raw, err := ParseStackFile("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return Parse(raw)
}

func TestMonitoringConfigProblems(t *testing.T) {
	cases := []struct {
		name, extra string
		want        []string
	}{
		{"nodeDown with a threshold", `
  infra:monitoring: { alerts: [ { name: Down, metric: nodeDown, threshold: 1, severity: critical } ] }`,
			[]string{"infra:monitoring.alerts[0].threshold: nodeDown fires on a state and takes no threshold"}},
		{"app metric on a service without metrics", `
  infra:monitoring: { alerts: [ { name: Jobs, metric: jobFailures, threshold: 5, severity: info, service: worker } ] }`,
			[]string{`infra:monitoring.alerts[0].service: jobFailures is read from the service's metrics endpoint: declare infra:services[].metrics for "worker"`}},
		{"percentage above 100", `
  infra:monitoring: { alerts: [ { name: Conns, metric: dbConnections, threshold: 120, severity: warning } ] }`,
			[]string{"infra:monitoring.alerts[0].metric: dbConnections is withdrawn: no PostgreSQL exporter is deployed, so the rule could never fire; remove it (DigitalOcean's database alerts watch a managed cluster's CPU, memory and disk)"}},
		{"smtp host without port", `
  infra:monitoring: { receivers: { email: ops@example.com, smtpHost: smtp.example.com } }`,
			[]string{"infra:monitoring.receivers.smtpHost"}},
		{"unknown receiver secret", `
  infra:monitoring: { receivers: { pagerdutyKeySecret: pd } }`,
			[]string{`infra:monitoring.receivers.pagerdutyKeySecret: unknown secret "pd"`}},
		{"grafana's host taken", `
  infra:services:
    - { name: dash, image: "x:1", port: 3000, public: { host: grafana } }`,
			[]string{`infra:services[0].public.host: "grafana" is Grafana's host`}},
		{"a service named like a monitoring service", `
  infra:services:
    - { name: prometheus, image: "x:1", port: 9090 }`,
			[]string{`infra:services[0].name: "prometheus" is the monitoring's own service on the VPS`}},
		{"host tools off", `
  infra:vps: { size: s-2vcpu-4gb, sshKeys: ["aa:bb"], sshPrivateKeySecret: deploy-key, tools: false }`,
			[]string{"infra:vps.tools: monitoring scrapes the host tools"}},
		{"unknown metric", `
  infra:monitoring: { alerts: [ { name: X, metric: cpuu, threshold: 5, severity: info } ] }`,
			[]string{"infra:monitoring.alerts[0].metric"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseText(t, override(monitoringStack, c.extra))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want a ConfigError, got %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// override replaces top-level keys of the base stack by the extra ones.
func override(base, extra string) string {
	lines := strings.Split(base, "\n")
	for _, l := range strings.Split(extra, "\n") {
		if k, _, ok := strings.Cut(strings.TrimSpace(l), ":"); ok && strings.HasPrefix(l, "  infra:") {
			k = strings.TrimSpace(k) + ":" + strings.SplitN(strings.TrimSpace(l), ":", 3)[1] + ":"
			var kept []string
			skip := false
			for _, b := range lines {
				if strings.HasPrefix(b, "  infra:") {
					skip = strings.HasPrefix(strings.TrimSpace(b), k)
				}
				if !skip {
					kept = append(kept, b)
				}
			}
			lines = kept
		}
	}
	return strings.Join(lines, "\n") + extra + "\n"
}
