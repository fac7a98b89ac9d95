package monitoring

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"infra/internal/promtest"
)

var everyReceiver = Receivers{
	Notify: true, Slack: true, SlackChannel: "#ops",
	Email: "ops@example.com", SMTPHost: "smtp.example.com:587", SMTPUser: "alerts", SMTPFrom: "am@example.com", SMTPPassword: true,
	PagerDuty: true, DeadMansSwitch: true,
}

func writeAM(t *testing.T, r Receivers) string {
	t.Helper()
	b, err := AlertmanagerConfig(r, "/etc/alertmanager/secrets")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestAlertmanagerRoutes checks the rendered config with amtool and asks
// amtool where each kind of alert goes.
func TestAlertmanagerRoutes(t *testing.T) {
	amtool := promtest.Amtool(t)
	cases := []struct {
		name      string
		receivers Receivers
		// routes maps an alert's labels to the receivers amtool must print.
		routes map[string]string
	}{
		{"every receiver", everyReceiver, map[string]string{
			"severity=critical": "pagerduty,slack", "severity=warning": "slack", "severity=info": "email",
			"alertname=Watchdog": "deadmansswitch", "severity=none": "null",
		}},
		{"pagerduty only", Receivers{Notify: true, PagerDuty: true}, map[string]string{
			"severity=critical": "pagerduty", "severity=warning": "null", "severity=info": "null", "alertname=Watchdog": "null",
		}},
		{"slack only", Receivers{Notify: true, Slack: true}, map[string]string{
			"severity=critical": "slack", "severity=warning": "slack", "severity=info": "null",
		}},
		{"email only", Receivers{Notify: true, Email: "ops@example.com", SMTPHost: "smtp.example.com:25", SMTPFrom: "am@example.com"}, map[string]string{
			"severity=critical": "email", "severity=warning": "email", "severity=info": "email",
		}},
		{"notify off (dev)", Receivers{Slack: true, PagerDuty: true, DeadMansSwitch: true}, map[string]string{
			"severity=critical": "null", "severity=warning": "null", "alertname=Watchdog": "null",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeAM(t, c.receivers)
			out, ok := promtest.Run(t, dir, amtool, "check-config", "alertmanager.yml")
			if !ok || !strings.Contains(out, "SUCCESS") {
				t.Fatalf("amtool check-config failed:\n%s", out)
			}
			for labels, want := range c.routes {
				out, ok := promtest.Run(t, dir, amtool, "config", "routes", "test", "--config.file=alertmanager.yml", "--verify.receivers="+want, labels)
				if !ok {
					t.Errorf("%s: amtool routed to %q, want %q", labels, lastLine(out), want)
				}
				if got := routed(out); got != want {
					t.Errorf("%s: amtool printed %q, want %q", labels, got, want)
				}
			}
		})
	}
}

// routed is the receiver line amtool prints (after its flag warning).
func routed(out string) string {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "Warning") && !strings.HasPrefix(line, "WARNING") {
			return line
		}
	}
	return ""
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestAlertmanagerConfigReferencesSecretsByFile(t *testing.T) {
	b, err := AlertmanagerConfig(everyReceiver, "/etc/alertmanager/secrets")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		"api_url_file: /etc/alertmanager/secrets/" + SecretSlackWebhook,
		"routing_key_file: /etc/alertmanager/secrets/" + SecretPagerDuty,
		"auth_password_file: /etc/alertmanager/secrets/" + SecretSMTPPassword,
		"url_file: /etc/alertmanager/secrets/" + SecretDeadMansSwitch,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("config lacks %q", want)
		}
	}
	for _, inline := range []string{"api_url:", "routing_key:", "auth_password:", " url:", "service_key:"} {
		if strings.Contains(s, inline) {
			t.Errorf("config has an inline secret field %q", inline)
		}
	}
}

func TestAmtoolRejectsBrokenConfig(t *testing.T) {
	amtool := promtest.Amtool(t)
	b, err := AlertmanagerConfig(everyReceiver, "/etc/alertmanager/secrets")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"route to an unknown receiver": strings.Replace(string(b), "receiver: pagerduty", "receiver: pager-duty", 1),
		"misspelt field":               strings.Replace(string(b), "routing_key_file", "routing_key_fil", 1),
		"bad matcher":                  strings.Replace(string(b), `severity="warning"`, `severity="warning`, 1),
	}
	for name, broken := range cases {
		t.Run(name, func(t *testing.T) {
			if broken == string(b) {
				t.Fatal("the breakage did not apply")
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(broken), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, ok := promtest.Run(t, dir, amtool, "check-config", "alertmanager.yml"); ok {
				t.Fatalf("amtool accepted a broken config:\n%s", out)
			}
		})
	}
}

func TestAlertmanagerConfigErrors(t *testing.T) {
	cases := map[string]Receivers{
		"email without smtp host": {Notify: true, Email: "a@b.c", SMTPFrom: "x@b.c"},
		"smtp host without port":  {Notify: true, Email: "a@b.c", SMTPHost: "smtp.b.c", SMTPFrom: "x@b.c"},
		"email without sender":    {Notify: true, Email: "a@b.c", SMTPHost: "smtp.b.c:25"},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := AlertmanagerConfig(r, "/s"); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestPrometheusConfigPassesPromtool(t *testing.T) {
	promtool := promtest.Promtool(t)
	dir := writeRules(t, seedRules, targets[VPS])
	b, err := PrometheusConfig(PrometheusArgs{
		ExternalLabels: map[string]string{"stack": "jarvis", "environment": "prod"},
		Exporters:      []Exporter{NodeExporter(), CAdvisor()},
		Alertmanager:   "alertmanager:9093",
		Services:       []ScrapeTarget{{Service: "api", Port: 8080, Path: "/metrics"}, {Service: "worker", Port: 9102, Path: "/internal/metrics"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "prometheus.yml", b)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, ok := promtest.Run(t, dir, promtool, "check", "config", "prometheus.yml")
	if !ok {
		t.Fatalf("promtool check config failed:\n%s", out)
	}
	if !strings.Contains(out, "SUCCESS: 1 rule files found") {
		t.Errorf("promtool did not read the rules file:\n%s", out)
	}
	broken := strings.Replace(string(b), "scrape_interval: 30s", "scrape_interval: thirty", 1)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, ok := promtest.Run(t, dir, promtool, "check", "config", "prometheus.yml"); ok {
		t.Fatalf("promtool accepted a broken config:\n%s", out)
	}
}
