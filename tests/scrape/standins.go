package scrape

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
)

// Stand-ins, where the real program cannot run here:
//
//   - the application: it is the user's. Its stand-in serves the metric
//     names docs/monitoring.md asks services to expose (below, written out
//     here, not taken from the rule catalogue), with counters that grow on
//     every scrape as a live service's do;
//   - cAdvisor: its command module (github.com/google/cadvisor/cmd) is not
//     served by the module proxy here, and without a Docker daemon it would
//     see no compose containers. Its stand-in serves where cAdvisor would
//     serve given the flags compose.yaml passes it, the series cAdvisor
//     writes for a compose container.

// clientPrometheusNet is prometheus-net (ASP.NET Core), which counts
// requests as http_requests_received_total.
const clientPrometheusNet = "prometheus-net"

// appStandIn serves the documented application metrics. flavour picks the
// client library's spelling of the request counter.
func appStandIn(flavour string) http.HandlerFunc {
	var scrapes atomic.Int64
	requests := "http_requests_total"
	if flavour == clientPrometheusNet {
		requests = "http_requests_received_total"
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		n := scrapes.Add(1)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		var b strings.Builder
		fmt.Fprintf(&b, "# TYPE %s counter\n", requests)
		for code, per := range map[string]int64{"200": 90, "429": 3, "500": 2} {
			fmt.Fprintf(&b, "%s{code=%q,method=\"GET\"} %d\n", requests, code, per*n)
		}
		histogram(&b, "http_request_duration_seconds", n)
		histogram(&b, "sync_latency_seconds", n)
		fmt.Fprintf(&b, "# TYPE jobs_total counter\njobs_total %d\n", 20*n)
		fmt.Fprintf(&b, "# TYPE jobs_failed_total counter\njobs_failed_total %d\n", n)
		fmt.Fprintf(&b, "# TYPE workflow_runs_total counter\n")
		fmt.Fprintf(&b, "workflow_runs_total{status=\"succeeded\"} %d\nworkflow_runs_total{status=\"failed\"} %d\n", 19*n, n)
		_, _ = w.Write([]byte(b.String()))
	}
}

func histogram(b *strings.Builder, name string, n int64) {
	fmt.Fprintf(b, "# TYPE %s histogram\n", name)
	cum := int64(0)
	for i, le := range []string{"0.05", "0.1", "0.25", "0.5", "1", "+Inf"} {
		cum += int64(10-i) * n
		fmt.Fprintf(b, "%s_bucket{le=%q} %d\n", name, le, cum)
	}
	fmt.Fprintf(b, "%s_sum %g\n%s_count %d\n", name, 0.12*float64(cum), name, cum)
}

// cadvisorPath is where cAdvisor serves its metrics given its flags:
// every handler is mounted under --url_base_prefix (default none), the
// metrics at --prometheus_endpoint (default /metrics) below it
// (cmd/cadvisor.go, v0.60.5: flags at lines 61 and 73,
// `rootMux.Handle(*urlBasePrefix+"/", http.StripPrefix(*urlBasePrefix, mux))`).
func cadvisorPath(command []string) string {
	prefix, endpoint := "", "/metrics"
	for _, a := range command {
		if v, ok := strings.CutPrefix(a, "--url_base_prefix="); ok {
			prefix = v
		}
		if v, ok := strings.CutPrefix(a, "--prometheus_endpoint="); ok {
			endpoint = v
		}
	}
	return prefix + endpoint
}

// cadvisorStandIn serves container_memory_working_set_bytes for every
// compose service, labelled as cAdvisor labels a Docker container: its
// Docker labels prefixed container_label_ with the name sanitised
// (lib/metrics/prometheus.go, v0.60.5: ContainerLabelPrefix,
// sanitizeLabelName), so com.docker.compose.service becomes
// container_label_com_docker_compose_service.
func cadvisorStandIn(compose composeFile) http.HandlerFunc {
	names := make([]string, 0, len(compose.Services))
	for n := range compose.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		var b strings.Builder
		b.WriteString("# TYPE container_memory_working_set_bytes gauge\n")
		for i, n := range names {
			fmt.Fprintf(&b, "container_memory_working_set_bytes{container_label_com_docker_compose_service=%q,id=\"/docker/%064d\",name=\"app-%s-1\"} %d\n",
				n, i, n, (64+int64(i))<<20)
		}
		_, _ = w.Write([]byte(b.String()))
	}
}
