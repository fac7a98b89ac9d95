package stacks

import (
	"fmt"
	"path"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/backup"
	"infra/components/database"
	"infra/components/monitoring"
	"infra/internal/metric"
	"infra/stacks/config"
)

// GrafanaHealth is Grafana's health path on both topologies.
const GrafanaHealth = "/api/health"

// MonitoringNamespace is where kube-prometheus-stack runs.
const MonitoringNamespace = "monitoring"

// prepareMonitoring runs before the topology: on the VPS it adds the
// monitoring services and their files to d.ExtraServices and d.HostFiles.
func (d *Deployment) prepareMonitoring(ctx *pulumi.Context) error {
	m := d.Config.Monitoring
	if !*m.Enabled || d.Config.Topology != config.TopologyVPS {
		return nil
	}
	var targets []monitoring.ScrapeTarget
	for _, s := range d.Config.Services {
		if s.Metrics != nil {
			targets = append(targets, monitoring.ScrapeTarget{Service: s.Name, Port: s.Metrics.Port, Path: s.Metrics.Path})
		}
	}
	var maxAge time.Duration
	if db := d.Config.Database; db != nil && (db.Engine == "selfhosted" || db.DumpedOn(d.Config.Topology)) {
		var err error
		if maxAge, err = config.MaxBackupAge(db.Backups.Schedule); err != nil {
			return fmt.Errorf("database backups: %w", err)
		}
	}
	st, err := monitoring.NewVPSStack(ctx, d.Name+"-monitoring", &monitoring.VPSStackArgs{
		Rules:     d.alertRules(),
		Receivers: d.receivers(),
		Secrets:   d.receiverSecrets(),
		Prometheus: monitoring.PrometheusArgs{
			ExternalLabels: map[string]string{"stack": d.Name, "environment": d.Config.Environment},
			// The VPS topology runs these as its admin tools, with the
			// flags of the same values (components/vps/render).
			Exporters:    []monitoring.Exporter{monitoring.NodeExporter(), monitoring.CAdvisor()},
			Alertmanager: "alertmanager:9093",
			Services:     targets,
		},
		Services:     d.serviceNames(),
		Retention:    m.Retention,
		Storage:      m.Storage,
		GrafanaHost:  d.Host(config.GrafanaHost),
		BackupMaxAge: maxAge,
	})
	if err != nil {
		return err
	}
	d.ExtraServices = append(d.ExtraServices, st.Services...)
	for p, content := range st.Files {
		d.HostFiles[p] = content
	}
	// Artifacts: the same files, for review and for promtool and amtool.
	d.AddArtifact("monitoring/prometheus.yml", pulumi.String(st.Rendered["prometheus/prometheus.yml"]).ToStringOutput())
	d.AddArtifact("monitoring/rules.yml", pulumi.String(st.Rendered["prometheus/"+monitoring.RulesFileName]).ToStringOutput())
	d.AddArtifact("monitoring/alertmanager.yml", pulumi.String(st.Rendered["alertmanager/alertmanager.yml"]).ToStringOutput())
	d.grafanaOutputs(st.GrafanaPassword)
	return nil
}

// declareMonitoring runs after the topology: the Kubernetes monitoring
// stack (through d.KubeProvider), cloud alerts and uptime checks.
func (d *Deployment) declareMonitoring(ctx *pulumi.Context) error {
	m := d.Config.Monitoring
	if !*m.Enabled {
		return nil
	}
	if d.Config.Topology == config.TopologyKubernetes {
		if err := d.declareKubeMonitoring(ctx); err != nil {
			return err
		}
	}
	return d.declareCloudAlerts(ctx)
}

func (d *Deployment) declareKubeMonitoring(ctx *pulumi.Context) error {
	if d.KubeProvider == nil {
		return fmt.Errorf("kubernetes monitoring needs the cluster's provider: the topology did not set it")
	}
	m := d.Config.Monitoring
	var mons []monitoring.ServiceMonitor
	for _, s := range d.Config.Services {
		if s.Metrics != nil {
			mons = append(mons, monitoring.ServiceMonitor{Service: s.Name, Port: s.Metrics.Port, Path: s.Metrics.Path})
		}
	}
	appNS := d.Namespace
	if appNS == "" {
		appNS = d.Config.Cluster.Namespace
	}
	var backupJob string
	var maxAge time.Duration
	if db := d.Config.Database; db != nil && db.DumpedOn(d.Config.Topology) {
		var err error
		if maxAge, err = config.MaxBackupAge(db.Backups.Schedule); err != nil {
			return fmt.Errorf("database backups: %w", err)
		}
		backupJob = backup.Name
	}
	st, err := monitoring.NewKubeStack(ctx, d.Name+"-monitoring", &monitoring.KubeStackArgs{
		Namespace:       MonitoringNamespace,
		AppNamespace:    appNS,
		Rules:           d.alertRules(),
		Receivers:       d.receivers(),
		Secrets:         d.receiverSecrets(),
		ServiceMonitors: mons,
		Services:        d.serviceNames(),
		Retention:       m.Retention,
		Storage:         m.Storage,
		GrafanaHost:     d.Host(config.GrafanaHost),
		IngressClass:    d.IngressClass,
		ClusterIssuer:   d.Config.Ingress.Issuer,
		ChartRepository: d.Config.Cluster.ChartRepository,
		BackupCronJob:   backupJob,
		BackupMaxAge:    maxAge,
	}, pulumi.Provider(d.KubeProvider))
	if err != nil {
		return err
	}
	rules, err := monitoring.RulesFile(st.Rules)
	if err != nil {
		return err
	}
	am, err := monitoring.AlertmanagerConfig(d.receivers(), monitoring.KubeSecretDir)
	if err != nil {
		return err
	}
	d.AddArtifact("monitoring/rules.yml", pulumi.String(string(rules)).ToStringOutput())
	d.AddArtifact("monitoring/alertmanager.yml", pulumi.String(string(am)).ToStringOutput())
	for _, obj := range st.Objects {
		b, err := monitoring.ObjectYAML(obj)
		if err != nil {
			return err
		}
		meta := obj["metadata"].(map[string]any)
		file := "monitoring/prometheusrule.yaml"
		if obj["kind"] != "PrometheusRule" {
			file = path.Join("monitoring/servicemonitors", fmt.Sprint(meta["name"])+".yaml")
		}
		d.AddArtifact(file, pulumi.String(string(b)).ToStringOutput())
	}
	values, err := monitoring.ObjectYAML(st.Values)
	if err != nil {
		return err
	}
	d.AddArtifact("monitoring/kube-prometheus-stack-values.yaml", pulumi.String(string(values)).ToStringOutput())
	d.grafanaOutputs(st.GrafanaPassword)
	return nil
}

func (d *Deployment) declareCloudAlerts(ctx *pulumi.Context) error {
	m := d.Config.Monitoring
	args := &monitoring.CloudAlertsArgs{
		AppTag: d.Network.AppTag, CPU: 80, Memory: 85, Disk: 90,
		Endpoints: d.endpoints(), LatencyMS: m.UptimeLatency, Notify: *m.Notify,
	}
	// The machines' thresholds follow the typed rules, so one number holds
	// inside (Prometheus) and outside (DigitalOcean).
	for _, a := range m.Alerts {
		switch a.Metric {
		case "cpu":
			args.CPU = a.Threshold
		case "memory":
			args.Memory = a.Threshold
		case "disk":
			args.Disk = a.Threshold
		}
	}
	if db := d.Database; db != nil && db.Engine == database.EngineManaged {
		args.DatabaseClusterID = db.ClusterID
	}
	if r := m.Receivers; r != nil {
		if r.Email != "" {
			args.Emails = []string{r.Email}
		}
		if r.SlackWebhookSecret != "" {
			args.Slack = &monitoring.CloudSlack{Channel: slackChannel(r), URL: d.Secrets[r.SlackWebhookSecret]}
		}
	}
	if len(args.Emails) == 0 && d.Config.Ingress.Email != "" {
		args.Emails = []string{d.Config.Ingress.Email}
	}
	deps := []pulumi.Resource{d.Network}
	if d.Database != nil {
		deps = append(deps, d.Database)
	}
	_, err := monitoring.NewCloudAlerts(ctx, d.Name+"-alerts", args, pulumi.DependsOn(deps))
	return err
}

// endpoints are the URLs the uptime checks probe: every endpoint the
// stack advertises (Endpoints, the "endpoints" output), on its health path
// where the service declares one, and Grafana's.
func (d *Deployment) endpoints() []string {
	var out []string
	for _, e := range Endpoints(d.Config) {
		if e.Health != "" {
			out = append(out, e.Health)
		} else {
			out = append(out, e.URL)
		}
	}
	return append(out, "https://"+d.Host(config.GrafanaHost)+GrafanaHealth)
}

// alertRules are the typed rules for the component.
func (d *Deployment) alertRules() []monitoring.Rule {
	alerts := d.Config.Monitoring.Alerts
	out := make([]monitoring.Rule, 0, len(alerts))
	for _, a := range alerts {
		out = append(out, monitoring.Rule{
			Name: a.Name, Metric: metric.Name(a.Metric), Threshold: a.Threshold,
			For: a.For, Severity: a.Severity, Service: a.Service,
		})
	}
	return out
}

func (d *Deployment) receivers() monitoring.Receivers {
	m := d.Config.Monitoring
	r := monitoring.Receivers{Notify: *m.Notify}
	if c := m.Receivers; c != nil {
		r.Slack = c.SlackWebhookSecret != ""
		r.SlackChannel = slackChannel(c)
		r.Email, r.SMTPHost, r.SMTPUser, r.SMTPFrom = c.Email, c.SMTPHost, c.SMTPUser, c.SMTPFrom
		r.SMTPPassword = c.SMTPPasswordSecret != ""
		r.PagerDuty = c.PagerDutyKeySecret != ""
		r.DeadMansSwitch = c.DeadMansSwitchSecret != ""
	}
	return r
}

func slackChannel(r *config.Receivers) string {
	if r.SlackChannel != "" {
		return r.SlackChannel
	}
	return "#alerts"
}

// receiverSecrets are the receivers' secret values by file name. With
// notifications off nothing is delivered: the config sends nowhere.
func (d *Deployment) receiverSecrets() map[string]pulumi.StringInput {
	out := map[string]pulumi.StringInput{}
	c := d.Config.Monitoring.Receivers
	if c == nil || !*d.Config.Monitoring.Notify {
		return out
	}
	for file, name := range map[string]string{
		monitoring.SecretSlackWebhook:   c.SlackWebhookSecret,
		monitoring.SecretSMTPPassword:   c.SMTPPasswordSecret,
		monitoring.SecretPagerDuty:      c.PagerDutyKeySecret,
		monitoring.SecretDeadMansSwitch: c.DeadMansSwitchSecret,
	} {
		if name != "" {
			out[file] = d.Secrets[name]
		}
	}
	return out
}

func (d *Deployment) serviceNames() []string {
	out := make([]string, 0, len(d.Config.Services))
	for _, s := range d.Config.Services {
		out = append(out, s.Name)
	}
	return out
}

// grafanaOutputs: the URL in plain sight, the admin password as a secret.
func (d *Deployment) grafanaOutputs(password pulumi.StringOutput) {
	d.Outputs["grafanaUrl"] = pulumi.String("https://" + d.Host(config.GrafanaHost))
	d.Outputs["grafanaAdminPassword"] = pulumi.ToSecret(password)
}
