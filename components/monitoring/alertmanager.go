package monitoring

import (
	"fmt"
	"path"
	"strings"

	"sigs.k8s.io/yaml"
)

// Receivers says where alerts go. Secret values never appear here: each
// secret is a file in SecretDir (Alertmanager's *_file fields), delivered
// separately (host files on the VPS, a Kubernetes Secret on a cluster).
type Receivers struct {
	// Notify off sends everything to the null receiver (dev by default).
	Notify bool
	// Slack: the webhook URL is the secret file SecretSlackWebhook.
	Slack        bool
	SlackChannel string
	// Email over SMTP: the password (if any) is the file SecretSMTPPassword.
	Email        string
	SMTPHost     string // host:port
	SMTPUser     string
	SMTPFrom     string
	SMTPPassword bool
	// PagerDuty: the Events API v2 routing key is the file SecretPagerDuty.
	PagerDuty bool
	// DeadMansSwitch: the heartbeat URL (healthchecks.io, Dead Man's Snitch,
	// ...) is the file SecretDeadMansSwitch; Watchdog is sent there.
	DeadMansSwitch bool
}

// The file names of the receivers' secrets in SecretDir (also the keys of
// the Kubernetes Secret).
const (
	SecretSlackWebhook   = "slack-webhook-url"
	SecretSMTPPassword   = "smtp-password"
	SecretPagerDuty      = "pagerduty-routing-key"
	SecretDeadMansSwitch = "deadmansswitch-url"
)

// The receivers' names in the rendered config.
const (
	ReceiverNull           = "null"
	ReceiverSlack          = "slack"
	ReceiverEmail          = "email"
	ReceiverPagerDuty      = "pagerduty"
	ReceiverDeadMansSwitch = "deadmansswitch"
)

// AlertmanagerConfig renders alertmanager.yml. Routing: Watchdog to the
// dead man's switch (or null); critical to PagerDuty and on to Slack;
// critical and warning to Slack; info to email; whatever has no receiver
// falls back (critical: Slack, then email; warning: email) and finally to
// null. secretDir is where the secret files are mounted.
func AlertmanagerConfig(r Receivers, secretDir string) ([]byte, error) {
	if r.Email != "" && r.SMTPHost == "" {
		return nil, fmt.Errorf("email receiver %s needs an SMTP host", r.Email)
	}
	if r.Email != "" && r.SMTPFrom == "" {
		return nil, fmt.Errorf("email receiver %s needs a sender address", r.Email)
	}
	if r.SMTPHost != "" && !strings.Contains(r.SMTPHost, ":") {
		return nil, fmt.Errorf("smtp host %q: host:port", r.SMTPHost)
	}
	file := func(name string) string { return path.Join(secretDir, name) }
	cfg := amConfig{
		Global: map[string]any{"resolve_timeout": "5m"},
		Route: amRoute{
			Receiver:       ReceiverNull,
			GroupBy:        []string{"alertname", "job", "service"},
			GroupWait:      "30s",
			GroupInterval:  "5m",
			RepeatInterval: "4h",
		},
		Receivers: []amReceiver{{Name: ReceiverNull}},
		InhibitRules: []map[string]any{{
			"source_matchers": []string{`severity="critical"`},
			"target_matchers": []string{`severity=~"warning|info"`},
			"equal":           []string{"alertname", "job", "instance", "service"},
		}},
	}
	// kube-prometheus-stack's InfoInhibitor only silences info alerts.
	cfg.Route.Routes = append(cfg.Route.Routes, amRoute{Matchers: []string{`alertname="InfoInhibitor"`}, Receiver: ReceiverNull})
	if !r.Notify {
		cfg.Route.Routes = append(cfg.Route.Routes, amRoute{Matchers: []string{`alertname="Watchdog"`}, Receiver: ReceiverNull})
		return marshal(cfg)
	}
	if r.DeadMansSwitch {
		cfg.Receivers = append(cfg.Receivers, amReceiver{Name: ReceiverDeadMansSwitch, WebhookConfigs: []map[string]any{{
			"url_file": file(SecretDeadMansSwitch), "send_resolved": false,
		}}})
		cfg.Route.Routes = append(cfg.Route.Routes, amRoute{
			Matchers: []string{`alertname="Watchdog"`}, Receiver: ReceiverDeadMansSwitch,
			GroupWait: "0s", GroupInterval: "1m", RepeatInterval: "1m",
		})
	} else {
		cfg.Route.Routes = append(cfg.Route.Routes, amRoute{Matchers: []string{`alertname="Watchdog"`}, Receiver: ReceiverNull})
	}
	if r.PagerDuty {
		cfg.Receivers = append(cfg.Receivers, amReceiver{Name: ReceiverPagerDuty, PagerDutyConfigs: []map[string]any{{
			"routing_key_file": file(SecretPagerDuty), "send_resolved": true,
			"description": `{{ .CommonAnnotations.summary }}`,
		}}})
	}
	if r.Slack {
		channel := r.SlackChannel
		if channel == "" {
			channel = "#alerts"
		}
		cfg.Receivers = append(cfg.Receivers, amReceiver{Name: ReceiverSlack, SlackConfigs: []map[string]any{{
			"api_url_file": file(SecretSlackWebhook), "channel": channel, "send_resolved": true,
			"title": `[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}`,
			"text":  `{{ range .Alerts }}{{ .Annotations.description }}{{ "\n" }}{{ end }}`,
		}}})
	}
	if r.Email != "" {
		e := map[string]any{"to": r.Email, "smarthost": r.SMTPHost, "from": r.SMTPFrom, "send_resolved": true}
		if r.SMTPUser != "" {
			e["auth_username"] = r.SMTPUser
		}
		if r.SMTPPassword {
			e["auth_password_file"] = file(SecretSMTPPassword)
		}
		cfg.Receivers = append(cfg.Receivers, amReceiver{Name: ReceiverEmail, EmailConfigs: []map[string]any{e}})
	}
	critical := first(r.PagerDuty, ReceiverPagerDuty, r.Slack, ReceiverSlack, r.Email != "", ReceiverEmail)
	warning := first(r.Slack, ReceiverSlack, r.Email != "", ReceiverEmail)
	info := first(r.Email != "", ReceiverEmail)
	if critical == ReceiverPagerDuty && r.Slack {
		// Pages, and tells the team channel too.
		cfg.Route.Routes = append(cfg.Route.Routes, amRoute{Matchers: []string{`severity="critical"`}, Receiver: ReceiverPagerDuty, Continue: true})
		cfg.Route.Routes = append(cfg.Route.Routes, amRoute{Matchers: []string{`severity="critical"`}, Receiver: ReceiverSlack})
	} else {
		cfg.Route.Routes = append(cfg.Route.Routes, amRoute{Matchers: []string{`severity="critical"`}, Receiver: critical})
	}
	cfg.Route.Routes = append(cfg.Route.Routes,
		amRoute{Matchers: []string{`severity="warning"`}, Receiver: warning},
		amRoute{Matchers: []string{`severity="info"`}, Receiver: info, RepeatInterval: "24h"},
	)
	return marshal(cfg)
}

// first returns the first receiver whose flag is set, else null.
func first(pairs ...any) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i].(bool) {
			return pairs[i+1].(string)
		}
	}
	return ReceiverNull
}

type amConfig struct {
	Global       map[string]any   `json:"global"`
	Route        amRoute          `json:"route"`
	InhibitRules []map[string]any `json:"inhibit_rules"`
	Receivers    []amReceiver     `json:"receivers"`
}

type amRoute struct {
	Receiver       string    `json:"receiver"`
	Matchers       []string  `json:"matchers,omitempty"`
	GroupBy        []string  `json:"group_by,omitempty"`
	GroupWait      string    `json:"group_wait,omitempty"`
	GroupInterval  string    `json:"group_interval,omitempty"`
	RepeatInterval string    `json:"repeat_interval,omitempty"`
	Continue       bool      `json:"continue,omitempty"`
	Routes         []amRoute `json:"routes,omitempty"`
}

type amReceiver struct {
	Name             string           `json:"name"`
	SlackConfigs     []map[string]any `json:"slack_configs,omitempty"`
	EmailConfigs     []map[string]any `json:"email_configs,omitempty"`
	PagerDutyConfigs []map[string]any `json:"pagerduty_configs,omitempty"`
	WebhookConfigs   []map[string]any `json:"webhook_configs,omitempty"`
}

func marshal(cfg amConfig) ([]byte, error) {
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode alertmanager config: %w", err)
	}
	return append([]byte(header), b...), nil
}

// AlertmanagerValues is the same config as a value for the Helm chart
// (alertmanager.config), so both topologies route alike.
func AlertmanagerValues(r Receivers, secretDir string) (map[string]any, error) {
	b, err := AlertmanagerConfig(r, secretDir)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("decode alertmanager config: %w", err)
	}
	return v, nil
}
