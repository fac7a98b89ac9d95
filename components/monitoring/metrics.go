package monitoring

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Metric is what an alert rule measures. Each one is a PromQL query over
// metric names documented in docs/monitoring.md and on the constants below;
// the threshold is in the metric's Unit.
type Metric string

// The metrics an alert rule can watch.
const (
	// CPU is a host's busy CPU in percent (node-exporter node_cpu_seconds_total).
	CPU Metric = "cpu"
	// Memory is a host's used memory in percent (node-exporter
	// node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes).
	Memory Metric = "memory"
	// Disk is the fullest real filesystem of a host in percent (node-exporter
	// node_filesystem_avail_bytes / node_filesystem_size_bytes).
	Disk Metric = "disk"
	// NodeDown fires while a node is not ready (Kubernetes: kube-state-metrics
	// kube_node_status_condition) or its node-exporter is unreachable (VPS: up).
	NodeDown Metric = "nodeDown"
	// ErrorRate is the share of HTTP responses with a 5xx code in percent
	// (http_requests_total{code}).
	ErrorRate Metric = "errorRate"
	// Rate429 is the share of HTTP responses with code 429 in percent.
	Rate429 Metric = "rate429"
	// LatencyP95 is the 95th percentile HTTP response time in milliseconds
	// (histogram http_request_duration_seconds_bucket).
	LatencyP95 Metric = "latencyP95"
	// SyncLatency is the 95th percentile of the application's replica
	// synchronisation time in milliseconds (histogram sync_latency_seconds_bucket).
	SyncLatency Metric = "syncLatency"
	// JobFailures is the share of background jobs that failed in percent
	// (counters jobs_failed_total and jobs_total).
	JobFailures Metric = "jobFailures"
	// WorkflowSuccess is the share of workflow runs that succeeded in percent
	// (counter workflow_runs_total{status}); it alerts when BELOW the threshold.
	WorkflowSuccess Metric = "workflowSuccess"
	// ContainerMemory is a container's working set in MB (2^20 bytes, what
	// `docker stats` shows as MiB) from cAdvisor container_memory_working_set_bytes.
	ContainerMemory Metric = "containerMemory"
)

// Platform is where Prometheus runs; a few series carry different labels.
type Platform string

// The platforms.
const (
	VPS        Platform = "vps"
	Kubernetes Platform = "kubernetes"
)

// Scope says which label set a metric's series live in.
type Scope int

// The scopes.
const (
	// ScopeHost: node-exporter or kube-state-metrics series of the machines.
	ScopeHost Scope = iota
	// ScopeApp: series the services expose themselves on their metrics endpoint.
	ScopeApp
	// ScopeContainer: cAdvisor series of the services' containers.
	ScopeContainer
)

// Spec describes one metric: its unit, which way it alerts, and its query.
type Spec struct {
	Metric Metric
	// Unit of the threshold: "%", "ms", "MB" or "" (no threshold).
	Unit string
	// Below: the rule fires when the value drops below the threshold.
	Below bool
	// Scope of the series the query reads.
	Scope Scope
	// Window is the range of rate() in the query.
	Window string
	// Names are the metric names the query reads (documentation, tests).
	Names []string
	// From is the component whose series the query reads, per platform:
	// the one table tests check against what a stack deploys.
	From map[Platform]Source
	// query renders the PromQL value expression (without the comparison).
	query func(sel selectors) string
}

// Source is a component that produces series.
type Source string

// The sources. On Kubernetes kube-prometheus-stack deploys node-exporter,
// kube-state-metrics and the kubelet's scrape (with its cAdvisor); on the
// VPS the topology runs node-exporter and cAdvisor as compose services.
const (
	SourceNodeExporter     Source = "node-exporter"
	SourceKubeStateMetrics Source = "kube-state-metrics"
	// SourceCAdvisor is cAdvisor: its own service on the VPS, the
	// kubelet's on Kubernetes.
	SourceCAdvisor Source = "cadvisor"
	// SourceScrape is Prometheus' own up series of the node-exporter job.
	SourceScrape Source = "node-exporter scrape"
	// SourceApp is the service's own metrics endpoint.
	SourceApp Source = "app"
)

var (
	fromNode = map[Platform]Source{VPS: SourceNodeExporter, Kubernetes: SourceNodeExporter}
	fromApp  = map[Platform]Source{VPS: SourceApp, Kubernetes: SourceApp}
)

// selectors are the label matchers a query is narrowed with.
type selectors struct {
	platform Platform
	// app matches the job label of the services' own metrics.
	app string
	// container matches the cAdvisor series of the services' containers.
	container string
	// containerBy groups cAdvisor series to one per container.
	containerBy string
}

// JobNodeExporter and JobCAdvisor are the scrape jobs of node-exporter and
// cAdvisor on the VPS (kube-prometheus-stack calls its own node-exporter
// job "node-exporter" too).
const (
	JobNodeExporter = "node-exporter"
	JobCAdvisor     = "cadvisor"
)

// realFS leaves out pseudo and overlay filesystems.
const realFS = `fstype!~"tmpfs|overlay|squashfs|nsfs|ramfs|fuse.lxcfs",mountpoint!~"/run.*|/var/lib/docker/.+|/var/lib/kubelet/.+"`

var catalogue = map[Metric]Spec{
	CPU: {Unit: "%", Scope: ScopeHost, From: fromNode, Window: "5m", Names: []string{"node_cpu_seconds_total"},
		query: func(s selectors) string {
			return `100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])))`
		}},
	Memory: {Unit: "%", Scope: ScopeHost, From: fromNode, Names: []string{"node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes"},
		query: func(s selectors) string {
			return `100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)`
		}},
	Disk: {Unit: "%", Scope: ScopeHost, From: fromNode, Names: []string{"node_filesystem_avail_bytes", "node_filesystem_size_bytes"},
		query: func(s selectors) string {
			return fmt.Sprintf(`100 * (1 - node_filesystem_avail_bytes{%[1]s} / node_filesystem_size_bytes{%[1]s})`, realFS)
		}},
	NodeDown: {Scope: ScopeHost, From: map[Platform]Source{VPS: SourceScrape, Kubernetes: SourceKubeStateMetrics}, Names: []string{"kube_node_status_condition", "up"},
		query: func(s selectors) string {
			if s.platform == Kubernetes {
				return `kube_node_status_condition{condition="Ready",status="true"}`
			}
			return `up{job="` + JobNodeExporter + `"}`
		}},
	ErrorRate: {Unit: "%", Scope: ScopeApp, From: fromApp, Window: "5m", Names: []string{"http_requests_total"},
		query: func(s selectors) string { return ratio(`http_requests_total`, s.app, `code=~"5.."`, "5m") }},
	Rate429: {Unit: "%", Scope: ScopeApp, From: fromApp, Window: "5m", Names: []string{"http_requests_total"},
		query: func(s selectors) string { return ratio(`http_requests_total`, s.app, `code="429"`, "5m") }},
	LatencyP95: {Unit: "ms", Scope: ScopeApp, From: fromApp, Window: "5m", Names: []string{"http_request_duration_seconds_bucket"},
		query: func(s selectors) string { return p95ms(`http_request_duration_seconds_bucket`, s.app) }},
	SyncLatency: {Unit: "ms", Scope: ScopeApp, From: fromApp, Window: "5m", Names: []string{"sync_latency_seconds_bucket"},
		query: func(s selectors) string { return p95ms(`sync_latency_seconds_bucket`, s.app) }},
	JobFailures: {Unit: "%", Scope: ScopeApp, From: fromApp, Window: "15m", Names: []string{"jobs_failed_total", "jobs_total"},
		query: func(s selectors) string {
			return fmt.Sprintf(`100 * sum by (job) (rate(jobs_failed_total{%[1]s}[15m])) / sum by (job) (rate(jobs_total{%[1]s}[15m]))`, s.app)
		}},
	WorkflowSuccess: {Unit: "%", Below: true, Scope: ScopeApp, From: fromApp, Window: "1h", Names: []string{"workflow_runs_total"},
		query: func(s selectors) string {
			return ratio(`workflow_runs_total`, s.app, `status="succeeded"`, "1h")
		}},
	ContainerMemory: {Unit: "MB", Scope: ScopeContainer, From: map[Platform]Source{VPS: SourceCAdvisor, Kubernetes: SourceCAdvisor}, Names: []string{"container_memory_working_set_bytes"},
		query: func(s selectors) string {
			return fmt.Sprintf(`max by (%s) (container_memory_working_set_bytes{%s}) / 1048576`, s.containerBy, s.container)
		}},
}

func ratio(counter, app, part, window string) string {
	return fmt.Sprintf(`100 * sum by (job) (rate(%[1]s{%[2]s,%[3]s}[%[4]s])) / sum by (job) (rate(%[1]s{%[2]s}[%[4]s]))`, counter, app, part, window)
}

func p95ms(bucket, app string) string {
	return fmt.Sprintf(`1000 * histogram_quantile(0.95, sum by (job, le) (rate(%s{%s}[5m])))`, bucket, app)
}

// Lookup returns a metric's spec.
func Lookup(m Metric) (Spec, bool) {
	s, ok := catalogue[m]
	s.Metric = m
	return s, ok
}

// Metrics lists every metric, sorted: the config schema's enum must equal it.
func Metrics() []Metric {
	out := make([]Metric, 0, len(catalogue))
	for m := range catalogue {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Target is what the rules are rendered for.
type Target struct {
	Platform Platform
	// Namespace of the application's workloads (Kubernetes).
	Namespace string
	// MetricsServices are the services Prometheus scrapes (their job label).
	MetricsServices []string
	// Services are all the application's services (their containers).
	Services []string
}

func (t Target) selectors(service string) selectors {
	s := selectors{platform: t.Platform}
	apps := t.MetricsServices
	if service != "" {
		apps = []string{service}
	}
	s.app = matcher("job", apps)
	containers := t.Services
	if service != "" {
		containers = []string{service}
	}
	if t.Platform == Kubernetes {
		s.container = `namespace="` + t.Namespace + `",` + matcher("container", containers)
		s.containerBy = "namespace, pod, container"
	} else {
		s.container = matcher("container_label_com_docker_compose_service", containers)
		s.containerBy = "name, container_label_com_docker_compose_service"
	}
	return s
}

// matcher is label="x" for one value, label=~"x|y" for several.
func matcher(label string, values []string) string {
	if len(values) == 1 {
		return label + `="` + values[0] + `"`
	}
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = regexp.QuoteMeta(v)
	}
	return label + `=~"` + strings.Join(quoted, "|") + `"`
}

// FormatThreshold prints a threshold the way PromQL and people read it.
func FormatThreshold(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}
