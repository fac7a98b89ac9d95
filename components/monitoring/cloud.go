package monitoring

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CloudAlertsArgs declares DigitalOcean's own monitoring: it watches from
// outside the host, so it still alerts when Prometheus is down with it.
type CloudAlertsArgs struct {
	// AppTag is the tag of the droplet or the cluster's nodes.
	AppTag pulumi.StringInput
	// CPU, Memory and Disk thresholds for the machines, in percent.
	CPU, Memory, Disk float64
	// DatabaseClusterID is the managed database cluster (nil: none).
	DatabaseClusterID pulumi.StringInput
	// Endpoints are the public https URLs to check.
	Endpoints []string
	// LatencyMS alerts when an endpoint answers slower than this.
	LatencyMS int
	// Notify enables the monitor alert policies (they exist either way,
	// disabled) and declares the uptime alerts (which cannot be disabled):
	// false silences every DigitalOcean channel.
	Notify bool
	// Emails and Slack receive the alerts. Without any, only the uptime
	// checks are declared: DigitalOcean needs a recipient for an alert.
	Emails []string
	Slack  *CloudSlack
}

// CloudSlack is a Slack channel and its incoming webhook (a secret).
type CloudSlack struct {
	Channel string
	URL     pulumi.StringInput
}

// CloudAlerts is the droplet/node, database and uptime alerting.
type CloudAlerts struct {
	pulumi.ResourceState

	Checks []*digitalocean.UptimeCheck
}

// The DigitalOcean alert types (the provider's documented values).
const (
	dropletCPU    = "v1/insights/droplet/cpu"
	dropletMemory = "v1/insights/droplet/memory_utilization_percent"
	dropletDisk   = "v1/insights/droplet/disk_utilization_percent"
	dbCPU         = "v1/dbaas/alerts/cpu_alerts"
	dbMemory      = "v1/dbaas/alerts/memory_utilization_alerts"
	dbDisk        = "v1/dbaas/alerts/disk_utilization_alerts"
)

// NewCloudAlerts declares the MonitorAlerts, UptimeChecks and UptimeAlerts.
func NewCloudAlerts(ctx *pulumi.Context, name string, args *CloudAlertsArgs, opts ...pulumi.ResourceOption) (*CloudAlerts, error) {
	c := &CloudAlerts{}
	if err := ctx.RegisterComponentResource("infra:monitoring:CloudAlerts", name, c, opts...); err != nil {
		return nil, fmt.Errorf("register cloud alerts %q: %w", name, err)
	}
	parent := pulumi.Parent(c)
	canAlert := len(args.Emails) > 0 || args.Slack != nil
	if canAlert {
		// Droplets and nodes are found by the app tag, the database
		// cluster by its id; the thresholds are the same.
		type target struct {
			suffix, typ, what string
			value             float64
			tags, entities    pulumi.StringArray
		}
		onApp := pulumi.StringArray{args.AppTag}
		targets := []target{
			{"cpu", dropletCPU, "CPU", args.CPU, onApp, nil},
			{"memory", dropletMemory, "memory", args.Memory, onApp, nil},
			{"disk", dropletDisk, "disk", args.Disk, onApp, nil},
		}
		if args.DatabaseClusterID != nil {
			onDB := pulumi.StringArray{args.DatabaseClusterID}
			targets = append(targets,
				target{"db-cpu", dbCPU, "database CPU", args.CPU, nil, onDB},
				target{"db-memory", dbMemory, "database memory", args.Memory, nil, onDB},
				target{"db-disk", dbDisk, "database disk", args.Disk, nil, onDB},
			)
		}
		for _, m := range targets {
			alert := &digitalocean.MonitorAlertArgs{
				Type: pulumi.String(m.typ), Compare: pulumi.String("GreaterThan"), Value: pulumi.Float64(m.value),
				Window:      pulumi.String("5m"),
				Description: pulumi.Sprintf("%s: %s above %s%% for 5m", name, m.what, FormatThreshold(m.value)),
				Alerts:      c.recipients(args),
				Enabled:     pulumi.Bool(args.Notify),
			}
			if m.tags != nil {
				alert.Tags = m.tags
			}
			if m.entities != nil {
				alert.Entities = m.entities
			}
			if _, err := digitalocean.NewMonitorAlert(ctx, name+"-"+m.suffix, alert, parent); err != nil {
				return nil, fmt.Errorf("%s alert: %w", m.what, err)
			}
		}
	}
	slugs := map[string]int{}
	for _, ep := range args.Endpoints {
		u, err := url.Parse(ep)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("endpoint %q is not a URL", ep)
		}
		// Named by host; a second endpoint on the same host is numbered.
		slug := strings.ReplaceAll(u.Host, ".", "-")
		if slugs[slug]++; slugs[slug] > 1 {
			slug = fmt.Sprintf("%s-%d", slug, slugs[slug])
		}
		check, err := digitalocean.NewUptimeCheck(ctx, name+"-uptime-"+slug, &digitalocean.UptimeCheckArgs{
			Name:    pulumi.String(name + " " + u.Host),
			Target:  pulumi.String(ep),
			Type:    pulumi.String(u.Scheme),
			Enabled: pulumi.Bool(true),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("uptime check %s: %w", ep, err)
		}
		c.Checks = append(c.Checks, check)
		// Uptime alerts have no off switch: with notifications off there
		// are none, and the checks stay visible in the control panel.
		if !canAlert || !args.Notify {
			continue
		}
		notify := digitalocean.UptimeAlertNotificationArray{c.uptimeRecipients(args)}
		alerts := []struct {
			suffix string
			args   *digitalocean.UptimeAlertArgs
		}{
			{"down", &digitalocean.UptimeAlertArgs{
				Name: pulumi.String(u.Host + " is down"), CheckId: check.ID(), Type: pulumi.String("down"),
				Period: pulumi.String("2m"), Notifications: notify,
			}},
			{"latency", &digitalocean.UptimeAlertArgs{
				Name: pulumi.String(fmt.Sprintf("%s is slower than %d ms", u.Host, args.LatencyMS)), CheckId: check.ID(),
				Type: pulumi.String("latency"), Comparison: pulumi.String("greater_than"),
				Threshold: pulumi.Int(args.LatencyMS), Period: pulumi.String("5m"), Notifications: notify,
			}},
			{"ssl", &digitalocean.UptimeAlertArgs{
				Name: pulumi.String(u.Host + " certificate expires within 14 days"), CheckId: check.ID(),
				Type: pulumi.String("ssl_expiry"), Threshold: pulumi.Int(14), Period: pulumi.String("5m"),
				Notifications: notify,
			}},
		}
		if u.Scheme != "https" {
			alerts = alerts[:2]
		}
		for _, a := range alerts {
			if _, err := digitalocean.NewUptimeAlert(ctx, name+"-uptime-"+slug+"-"+a.suffix, a.args, parent, pulumi.DependsOn([]pulumi.Resource{check})); err != nil {
				return nil, fmt.Errorf("uptime alert %s %s: %w", a.suffix, ep, err)
			}
		}
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"checks": pulumi.Int(len(c.Checks))}); err != nil {
		return nil, fmt.Errorf("register cloud alerts %q outputs: %w", name, err)
	}
	return c, nil
}

func (c *CloudAlerts) recipients(a *CloudAlertsArgs) digitalocean.MonitorAlertAlertsArgs {
	r := digitalocean.MonitorAlertAlertsArgs{Emails: pulumi.ToStringArray(a.Emails)}
	if a.Slack != nil {
		r.Slacks = digitalocean.MonitorAlertAlertsSlackArray{digitalocean.MonitorAlertAlertsSlackArgs{
			Channel: pulumi.String(a.Slack.Channel), Url: pulumi.ToSecret(a.Slack.URL).(pulumi.StringOutput),
		}}
	}
	return r
}

func (c *CloudAlerts) uptimeRecipients(a *CloudAlertsArgs) digitalocean.UptimeAlertNotificationArgs {
	r := digitalocean.UptimeAlertNotificationArgs{Emails: pulumi.ToStringArray(a.Emails)}
	if a.Slack != nil {
		r.Slacks = digitalocean.UptimeAlertNotificationSlackArray{digitalocean.UptimeAlertNotificationSlackArgs{
			Channel: pulumi.String(a.Slack.Channel), Url: pulumi.ToSecret(a.Slack.URL).(pulumi.StringOutput),
		}}
	}
	return r
}
