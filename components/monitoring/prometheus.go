package monitoring

import (
	"fmt"
	"strconv"

	"sigs.k8s.io/yaml"
)

// ScrapeTarget is a service Prometheus scrapes on the compose network.
type ScrapeTarget struct {
	// Service is the compose service name: the job label, and the DNS name
	// whose A records are the replicas.
	Service string
	Port    int
	Path    string
}

// PrometheusArgs is what prometheus.yml is rendered from (VPS).
type PrometheusArgs struct {
	// ExternalLabels tag every alert with the stack (stack, environment).
	ExternalLabels map[string]string
	// Exporters are the host's metrics sources (NodeExporter, CAdvisor),
	// each scraped at its own path.
	Exporters []Exporter
	// Alertmanager is host:port of Alertmanager.
	Alertmanager string
	// Services are the application's metrics endpoints.
	Services []ScrapeTarget
}

// RulesFileName is the rules file beside prometheus.yml.
const RulesFileName = "rules.yml"

// renameMetrics maps the names other client libraries use to the ones the
// rules read: prometheus-net (ASP.NET Core) counts requests as
// http_requests_received_total.
var renameMetrics = map[string]string{"http_requests_received_total": "http_requests_total"}

// PrometheusConfig renders prometheus.yml for the VPS. Rules are read from
// rules.yml in the same directory.
func PrometheusConfig(a PrometheusArgs) ([]byte, error) {
	if a.Alertmanager == "" {
		return nil, fmt.Errorf("prometheus config needs Alertmanager's address")
	}
	hasNode := false
	for _, e := range a.Exporters {
		hasNode = hasNode || e.Job == JobNodeExporter
	}
	if !hasNode {
		return nil, fmt.Errorf("prometheus config needs node-exporter: the host rules read it")
	}
	static := func(job, target, path string) map[string]any {
		j := map[string]any{"job_name": job, "static_configs": []any{map[string]any{"targets": []string{target}}}}
		if path != "" && path != "/metrics" {
			j["metrics_path"] = path
		}
		return j
	}
	scrapes := []any{
		static("prometheus", "localhost:9090", ""),
		static("alertmanager", a.Alertmanager, ""),
	}
	for _, e := range a.Exporters {
		scrapes = append(scrapes, static(e.Job, e.Address(), e.Path))
	}
	seen := map[string]bool{}
	for _, s := range a.Services {
		if s.Service == "" || s.Port == 0 {
			return nil, fmt.Errorf("scrape target %q needs a service name and port", s.Service)
		}
		if seen[s.Service] {
			return nil, fmt.Errorf("scrape target %q is listed twice", s.Service)
		}
		seen[s.Service] = true
		job := map[string]any{
			"job_name":       s.Service,
			"dns_sd_configs": []any{map[string]any{"names": []string{s.Service}, "type": "A", "port": s.Port}},
			// One target per replica: name it by the service, not the address.
			"relabel_configs": []any{map[string]any{
				"source_labels": []string{"__address__"}, "target_label": "instance",
				"regex": `(.+):` + strconv.Itoa(s.Port), "replacement": s.Service + "-$1",
			}},
			"metric_relabel_configs": metricRenames(),
		}
		if s.Path != "" && s.Path != "/metrics" {
			job["metrics_path"] = s.Path
		}
		scrapes = append(scrapes, job)
	}
	cfg := map[string]any{
		"global": map[string]any{
			"scrape_interval":     "30s",
			"evaluation_interval": "30s",
			"external_labels":     a.ExternalLabels,
		},
		"rule_files": []string{RulesFileName},
		"alerting": map[string]any{"alertmanagers": []any{map[string]any{
			"static_configs": []any{map[string]any{"targets": []string{a.Alertmanager}}},
		}}},
		"scrape_configs": scrapes,
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode prometheus config: %w", err)
	}
	return append([]byte(header), b...), nil
}

func metricRenames() []any {
	out := []any{}
	for from, to := range renameMetrics {
		out = append(out, map[string]any{
			"source_labels": []string{"__name__"}, "regex": from,
			"target_label": "__name__", "replacement": to,
		})
	}
	return out
}

// serviceMonitorRenames is metricRenames in the ServiceMonitor's spelling.
func serviceMonitorRenames() []any {
	out := []any{}
	for from, to := range renameMetrics {
		out = append(out, map[string]any{
			"sourceLabels": []any{"__name__"}, "regex": from,
			"targetLabel": "__name__", "replacement": to, "action": "replace",
		})
	}
	return out
}
