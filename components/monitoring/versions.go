// Package monitoring is metrics and alerting for both topologies, from one
// typed source: the alert rules ([]Rule) render to a Prometheus rules file
// (VPS) and a PrometheusRule object (Kubernetes); the receivers render to
// one alertmanager.yml that references its secrets by file. On the VPS,
// Prometheus, Alertmanager and Grafana are compose services (NewVPSStack);
// on Kubernetes, kube-prometheus-stack from its Helm chart (NewKubeStack).
// DigitalOcean's own alerts and uptime checks watch from outside
// (NewCloudAlerts), so a dead host still pages.
//
// The metric names each rule reads are documented on the Metric constants
// and in docs/monitoring.md: services expose them on their metrics endpoint.
package monitoring

import "infra/internal/pins"

// The charts and where they come from.
const (
	ChartRepo = "https://prometheus-community.github.io/helm-charts"
	// StackChart is kube-prometheus-stack (Prometheus operator, Prometheus,
	// Alertmanager, Grafana, node-exporter, kube-state-metrics).
	StackChart = "kube-prometheus-stack"
	// CRDChart holds the operator's CRDs in templates/, so they are applied
	// (server-side, by Pulumi's Chart v4) and upgraded with the chart.
	CRDChart = "prometheus-operator-crds"
)

// Pinned versions, from internal/pins/pins.yaml (each with its source and
// end of support): a bump is an edit there. The CRD chart and
// kube-prometheus-stack must carry the same prometheus-operator release:
// bump them together.
var (
	StackChartVersion = pins.MustValue(StackChart)
	CRDChartVersion   = pins.MustValue(CRDChart)

	// Images of the VPS monitoring services.
	PrometheusImage   = pins.MustValue("prometheus")
	AlertmanagerImage = pins.MustValue("alertmanager")
	GrafanaImage      = pins.MustValue("grafana")
)

// GrafanaPort is where Grafana listens on the VPS.
const GrafanaPort = 3300
