package monitoring

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"infra/internal/metric"
)

// Platform is where Prometheus runs; a few series carry different labels.
type Platform string

// The platforms.
const (
	VPS        Platform = "vps"
	Kubernetes Platform = "kubernetes"
)

// Spec is one metric as Prometheus reads it: its facts (unit, direction,
// scope: internal/metric), the series its query reads and where they come
// from.
type Spec struct {
	metric.Fact
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

var catalogue = map[metric.Name]Spec{
	metric.CPU: {From: fromNode, Window: "5m", Names: []string{"node_cpu_seconds_total"},
		query: func(s selectors) string {
			return `100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])))`
		}},
	metric.Memory: {From: fromNode, Names: []string{"node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes"},
		query: func(s selectors) string {
			return `100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)`
		}},
	metric.Disk: {From: fromNode, Names: []string{"node_filesystem_avail_bytes", "node_filesystem_size_bytes"},
		query: func(s selectors) string {
			return fmt.Sprintf(`100 * (1 - node_filesystem_avail_bytes{%[1]s} / node_filesystem_size_bytes{%[1]s})`, realFS)
		}},
	metric.NodeDown: {From: map[Platform]Source{VPS: SourceScrape, Kubernetes: SourceKubeStateMetrics}, Names: []string{"kube_node_status_condition", "up"},
		query: func(s selectors) string {
			if s.platform == Kubernetes {
				return `kube_node_status_condition{condition="Ready",status="true"}`
			}
			return `up{job="` + JobNodeExporter + `"}`
		}},
	metric.ErrorRate: {From: fromApp, Window: "5m", Names: []string{"http_requests_total"},
		query: func(s selectors) string { return ratio(`http_requests_total`, s.app, `code=~"5.."`, "5m") }},
	metric.Rate429: {From: fromApp, Window: "5m", Names: []string{"http_requests_total"},
		query: func(s selectors) string { return ratio(`http_requests_total`, s.app, `code="429"`, "5m") }},
	metric.LatencyP95: {From: fromApp, Window: "5m", Names: []string{"http_request_duration_seconds_bucket"},
		query: func(s selectors) string { return p95ms(`http_request_duration_seconds_bucket`, s.app) }},
	metric.SyncLatency: {From: fromApp, Window: "5m", Names: []string{"sync_latency_seconds_bucket"},
		query: func(s selectors) string { return p95ms(`sync_latency_seconds_bucket`, s.app) }},
	metric.JobFailures: {From: fromApp, Window: "15m", Names: []string{"jobs_failed_total", "jobs_total"},
		query: func(s selectors) string {
			return fmt.Sprintf(`100 * sum by (job) (rate(jobs_failed_total{%[1]s}[15m])) / sum by (job) (rate(jobs_total{%[1]s}[15m]))`, s.app)
		}},
	metric.WorkflowSuccess: {From: fromApp, Window: "1h", Names: []string{"workflow_runs_total"},
		query: func(s selectors) string {
			return ratio(`workflow_runs_total`, s.app, `status="succeeded"`, "1h")
		}},
	metric.ContainerMemory: {From: map[Platform]Source{VPS: SourceCAdvisor, Kubernetes: SourceCAdvisor}, Names: []string{"container_memory_working_set_bytes"},
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

// Lookup returns a metric's spec: its facts and its query.
func Lookup(m metric.Name) (Spec, bool) {
	fact, known := metric.Lookup(m)
	s, ok := catalogue[m]
	s.Fact = fact
	return s, ok && known
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
	// BackupMaxAge is the oldest the newest database backup may be (VPS,
	// selfhosted database; Kubernetes, BackupCronJob's last success); zero:
	// the stack makes no backups.
	BackupMaxAge time.Duration
	// BackupCronJob is the CronJob in Namespace that dumps the database
	// (Kubernetes).
	BackupCronJob string
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
