package monitoring

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"infra/internal/metric"
)

// The synthetic series a promtool unit test feeds a rule, generated from
// the typed rule: series whose query value is exactly the given value, and
// the labels the alert then carries.

type inputSeries struct {
	Series string `json:"series"`
	Values string `json:"values"`
}

type fixture struct {
	series []inputSeries
	// labels the query's result keeps (the alert adds the rule's own).
	labels map[string]string
}

// perMinute is the request (or job, or run) rate of the synthetic traffic.
const perMinute = 600.0

func series(name string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, labels[k])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// counter grows by perStep each step; gauge stays at v.
func counter(perStep float64, n int) string { return fmt.Sprintf("0+%sx%d", num(perStep), n) }
func gauge(v float64, n int) string         { return fmt.Sprintf("%s+0x%d", num(v), n) }

// fixtureFor returns series that make rule r's query equal value over n
// one-minute steps.
func fixtureFor(r Rule, t Target, value float64, n int) fixture {
	job := r.Service
	if job == "" && len(t.MetricsServices) > 0 {
		job = t.MetricsServices[0]
	}
	app := func(extra map[string]string) map[string]string {
		l := map[string]string{"job": job, "instance": job + "-1"}
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	host := map[string]string{"job": JobNodeExporter, "instance": "host-1:9100"}
	with := func(base map[string]string, extra map[string]string) map[string]string {
		l := map[string]string{}
		for k, v := range base {
			l[k] = v
		}
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	switch r.Metric {
	case metric.CPU:
		idle := 1 - value/100
		return fixture{
			series: []inputSeries{{series("node_cpu_seconds_total", with(host, map[string]string{"cpu": "0", "mode": "idle"})), counter(60*idle, n)}},
			labels: map[string]string{"instance": host["instance"]},
		}
	case metric.Memory:
		total := 8e9
		return fixture{
			series: []inputSeries{
				{series("node_memory_MemTotal_bytes", host), gauge(total, n)},
				{series("node_memory_MemAvailable_bytes", host), gauge(total*(1-value/100), n)},
			},
			labels: host,
		}
	case metric.Disk:
		fs := with(host, map[string]string{"device": "/dev/vda1", "fstype": "ext4", "mountpoint": "/"})
		size := 80e9
		return fixture{
			series: []inputSeries{
				{series("node_filesystem_size_bytes", fs), gauge(size, n)},
				{series("node_filesystem_avail_bytes", fs), gauge(size*(1-value/100), n)},
			},
			labels: fs,
		}
	case metric.NodeDown:
		if t.Platform == Kubernetes {
			l := map[string]string{"job": "kube-state-metrics", "instance": "ksm:8080", "node": "pool-apps-1", "condition": "Ready", "status": "true"}
			return fixture{series: []inputSeries{{series("kube_node_status_condition", l), gauge(value, n)}}, labels: l}
		}
		return fixture{series: []inputSeries{{series("up", host), gauge(value, n)}}, labels: host}
	case metric.ErrorRate, metric.Rate429:
		code := "500"
		if r.Metric == metric.Rate429 {
			code = "429"
		}
		bad := perMinute * value / 100
		return fixture{
			series: []inputSeries{
				{series("http_requests_total", app(map[string]string{"code": code})), counter(bad, n)},
				{series("http_requests_total", app(map[string]string{"code": "200"})), counter(perMinute-bad, n)},
			},
			labels: map[string]string{"job": job},
		}
	case metric.LatencyP95, metric.SyncLatency:
		// Every observation in one bucket [0, le]: the interpolated p95 is 0.95*le.
		name := "http_request_duration_seconds_bucket"
		if r.Metric == metric.SyncLatency {
			name = "sync_latency_seconds_bucket"
		}
		le := value / 1000 / 0.95
		return fixture{
			series: []inputSeries{
				{series(name, app(map[string]string{"le": num(le)})), counter(perMinute, n)},
				{series(name, app(map[string]string{"le": "+Inf"})), counter(perMinute, n)},
			},
			labels: map[string]string{"job": job},
		}
	case metric.JobFailures:
		return fixture{
			series: []inputSeries{
				{series("jobs_failed_total", app(nil)), counter(perMinute*value/100, n)},
				{series("jobs_total", app(nil)), counter(perMinute, n)},
			},
			labels: map[string]string{"job": job},
		}
	case metric.WorkflowSuccess:
		ok := perMinute * value / 100
		return fixture{
			series: []inputSeries{
				{series("workflow_runs_total", app(map[string]string{"status": "succeeded"})), counter(ok, n)},
				{series("workflow_runs_total", app(map[string]string{"status": "failed"})), counter(perMinute-ok, n)},
			},
			labels: map[string]string{"job": job},
		}
	case metric.ContainerMemory:
		svc := r.Service
		if svc == "" {
			svc = t.Services[0]
		}
		bytes := value * 1048576
		if t.Platform == Kubernetes {
			l := map[string]string{"job": "kubelet", "namespace": t.Namespace, "pod": svc + "-7d9f-abcde", "container": svc}
			return fixture{
				series: []inputSeries{{series("container_memory_working_set_bytes", l), gauge(bytes, n)}},
				labels: map[string]string{"namespace": l["namespace"], "pod": l["pod"], "container": svc},
			}
		}
		l := map[string]string{"job": JobCAdvisor, "name": "app-" + svc + "-1", "container_label_com_docker_compose_service": svc}
		return fixture{
			series: []inputSeries{{series("container_memory_working_set_bytes", l), gauge(bytes, n)}},
			labels: map[string]string{"name": l["name"], "container_label_com_docker_compose_service": svc},
		}
	}
	panic("no fixture for metric " + string(r.Metric))
}

// expand renders an annotation the way Prometheus does (text/template with
// $labels and $value), to predict what promtool must see.
func expand(text string, labels map[string]string, value float64) (string, error) {
	tmpl, err := template.New("a").Option("missingkey=zero").Parse("{{$labels := .Labels}}{{$value := .Value}}" + text)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	err = tmpl.Execute(&b, struct {
		Labels map[string]string
		Value  float64
	}{labels, value})
	return strings.ReplaceAll(b.String(), "<no value>", ""), err
}

func minutes(d string) int {
	if d == "" {
		return 0
	}
	x, err := time.ParseDuration(d)
	if err != nil {
		panic(err)
	}
	return int(x.Minutes())
}
