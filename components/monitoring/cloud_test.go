package monitoring

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/pulumitest"
)

func TestCloudAlerts(t *testing.T) {
	cases := []struct {
		name                          string
		args                          CloudAlertsArgs
		monitors, checks, uptimeAlert int
	}{
		{"droplet, database and two endpoints", CloudAlertsArgs{
			CPU: 80, Memory: 85, Disk: 90, DatabaseClusterID: pulumi.String("db-uuid"),
			Endpoints: []string{"https://api.example.com/healthz", "https://example.com/"}, LatencyMS: 2000, Notify: true,
			Emails: []string{"ops@example.com"}, Slack: &CloudSlack{Channel: "#ops", URL: pulumi.String("https://hooks.slack.example/x")},
		}, 6, 2, 6},
		{"no database", CloudAlertsArgs{CPU: 80, Memory: 85, Disk: 90, Endpoints: []string{"https://example.com/"}, LatencyMS: 2000, Notify: true, Emails: []string{"ops@example.com"}}, 3, 1, 3},
		// Notifications off: the policies exist disabled, no uptime alert
		// mails or posts (TestCloudAlertInputs checks Enabled).
		{"notifications off", CloudAlertsArgs{
			CPU: 80, Memory: 85, Disk: 90, Endpoints: []string{"https://example.com/"}, LatencyMS: 2000, Notify: false,
			Emails: []string{"ops@example.com"}, Slack: &CloudSlack{Channel: "#ops", URL: pulumi.String("https://hooks.slack.example/x")},
		}, 3, 1, 0},
		{"no recipient: checks only", CloudAlertsArgs{CPU: 80, Memory: 85, Disk: 90, Endpoints: []string{"https://example.com/"}, LatencyMS: 2000}, 0, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			args.AppTag = pulumi.String("jarvis-prod-app")
			rec := run(t, func(ctx *pulumi.Context) error {
				_, err := NewCloudAlerts(ctx, "jarvis-alerts", &args)
				return err
			})
			if got := len(rec.ByType("digitalocean:index/monitorAlert:MonitorAlert")); got != c.monitors {
				t.Errorf("MonitorAlerts = %d, want %d", got, c.monitors)
			}
			if got := len(rec.ByType("digitalocean:index/uptimeCheck:UptimeCheck")); got != c.checks {
				t.Errorf("UptimeChecks = %d, want %d", got, c.checks)
			}
			if got := len(rec.ByType("digitalocean:index/uptimeAlert:UptimeAlert")); got != c.uptimeAlert {
				t.Errorf("UptimeAlerts = %d, want %d", got, c.uptimeAlert)
			}
		})
	}
}

func TestCloudAlertInputs(t *testing.T) {
	args := CloudAlertsArgs{
		AppTag: pulumi.String("jarvis-prod-app"), CPU: 80, Memory: 85, Disk: 90, DatabaseClusterID: pulumi.String("db-uuid"),
		Endpoints: []string{"https://api.example.com/healthz"}, LatencyMS: 1500, Notify: false,
		Emails: []string{"ops@example.com"}, Slack: &CloudSlack{Channel: "#ops", URL: pulumi.String("https://hooks.slack.example/x")},
	}
	rec := run(t, func(ctx *pulumi.Context) error {
		_, err := NewCloudAlerts(ctx, "jarvis-alerts", &args)
		return err
	})
	want := map[string]struct {
		typ   string
		value float64
	}{
		"jarvis-alerts-cpu": {dropletCPU, 80}, "jarvis-alerts-memory": {dropletMemory, 85}, "jarvis-alerts-disk": {dropletDisk, 90},
		"jarvis-alerts-db-cpu": {dbCPU, 80}, "jarvis-alerts-db-memory": {dbMemory, 85}, "jarvis-alerts-db-disk": {dbDisk, 90},
	}
	for name, w := range want {
		r := rec.Named(t, name)
		if got := prop(r.Inputs["type"]).StringValue(); got != w.typ {
			t.Errorf("%s type = %s, want %s", name, got, w.typ)
		}
		if got := prop(r.Inputs["value"]).NumberValue(); got != w.value {
			t.Errorf("%s value = %v, want %v", name, got, w.value)
		}
		if prop(r.Inputs["compare"]).StringValue() != "GreaterThan" || prop(r.Inputs["window"]).StringValue() != "5m" {
			t.Errorf("%s compare/window = %v/%v", name, r.Inputs["compare"], r.Inputs["window"])
		}
		if prop(r.Inputs["enabled"]).BoolValue() {
			t.Errorf("%s is enabled with notify off", name)
		}
		if !containsSecret(r.Inputs["alerts"]) {
			t.Errorf("%s: the Slack webhook is not a secret", name)
		}
	}
	if tags := prop(rec.Named(t, "jarvis-alerts-cpu").Inputs["tags"]); tags.ArrayValue()[0].StringValue() != "jarvis-prod-app" {
		t.Errorf("droplet alerts target tags %v, want the app tag", tags)
	}
	if ents := prop(rec.Named(t, "jarvis-alerts-db-cpu").Inputs["entities"]); ents.ArrayValue()[0].StringValue() != "db-uuid" {
		t.Errorf("database alerts target %v, want the cluster", ents)
	}
	check := rec.Named(t, "jarvis-alerts-uptime-api-example-com")
	if prop(check.Inputs["target"]).StringValue() != "https://api.example.com/healthz" || prop(check.Inputs["type"]).StringValue() != "https" {
		t.Errorf("uptime check = %v", check.Inputs)
	}
	// The uptime alerts exist only with notifications on.
	args.Notify = true
	rec = run(t, func(ctx *pulumi.Context) error {
		_, err := NewCloudAlerts(ctx, "jarvis-alerts", &args)
		return err
	})
	lat := rec.Named(t, "jarvis-alerts-uptime-api-example-com-latency")
	if prop(lat.Inputs["threshold"]).NumberValue() != 1500 || prop(lat.Inputs["comparison"]).StringValue() != "greater_than" {
		// greater_than, not the Go doc span's greaterThan: the provider's
		// validator (internal/providercheck/rules.yaml, UptimeAlert.comparison).
		t.Errorf("latency alert = %v", lat.Inputs)
	}
	if prop(rec.Named(t, "jarvis-alerts-uptime-api-example-com-down").Inputs["type"]).StringValue() != "down" {
		t.Errorf("down alert has the wrong type")
	}
}

func TestCloudAlertsRejectBadEndpoint(t *testing.T) {
	_, err := pulumitest.RunStackErr("infra", "test", func(ctx *pulumi.Context) error {
		_, err := NewCloudAlerts(ctx, "x", &CloudAlertsArgs{AppTag: pulumi.String("t"), Endpoints: []string{"not a url"}})
		return err
	})
	if err == nil {
		t.Fatal("want an error for an endpoint that is not a URL")
	}
}
