// Package metric names the metrics an alert rule can watch, with the facts
// about each that both the config's validation and the monitoring component
// need: its unit, which way it alerts and whose series it reads. The PromQL
// queries stay with the monitoring component; these facts live here, once.
// It imports nothing, so stacks/config can use it and stay SDK-free.
package metric

import "sort"

// Name is what an alert rule measures (infra:monitoring.alerts[].metric).
type Name string

// The metrics an alert rule can watch; docs/monitoring.md gives the series
// each reads.
const (
	// CPU is a host's busy CPU in percent (node-exporter node_cpu_seconds_total).
	CPU Name = "cpu"
	// Memory is a host's used memory in percent (node-exporter
	// node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes).
	Memory Name = "memory"
	// Disk is the fullest real filesystem of a host in percent (node-exporter
	// node_filesystem_avail_bytes / node_filesystem_size_bytes).
	Disk Name = "disk"
	// NodeDown fires while a node is not ready (Kubernetes: kube-state-metrics
	// kube_node_status_condition) or its node-exporter is unreachable (VPS: up).
	NodeDown Name = "nodeDown"
	// ErrorRate is the share of HTTP responses with a 5xx code in percent
	// (http_requests_total{code}).
	ErrorRate Name = "errorRate"
	// Rate429 is the share of HTTP responses with code 429 in percent.
	Rate429 Name = "rate429"
	// LatencyP95 is the 95th percentile HTTP response time in milliseconds
	// (histogram http_request_duration_seconds_bucket).
	LatencyP95 Name = "latencyP95"
	// SyncLatency is the 95th percentile of the application's replica
	// synchronisation time in milliseconds (histogram sync_latency_seconds_bucket).
	SyncLatency Name = "syncLatency"
	// JobFailures is the share of background jobs that failed in percent
	// (counters jobs_failed_total and jobs_total).
	JobFailures Name = "jobFailures"
	// WorkflowSuccess is the share of workflow runs that succeeded in percent
	// (counter workflow_runs_total{status}); it alerts when BELOW the threshold.
	WorkflowSuccess Name = "workflowSuccess"
	// ContainerMemory is a container's working set in MB (2^20 bytes, what
	// `docker stats` shows as MiB) from cAdvisor container_memory_working_set_bytes.
	ContainerMemory Name = "containerMemory"
)

// Unit is what a threshold is counted in.
type Unit string

// The units.
const (
	Percent      Unit = "%"
	Milliseconds Unit = "ms"
	// Megabytes are MB of 2^20 bytes.
	Megabytes Unit = "MB"
	// None: the metric takes no threshold (it fires on a state).
	None Unit = ""
)

// Scope says whose series a metric reads, and so what a stack must have
// for it to mean anything.
type Scope int

// The scopes.
const (
	// Host: node-exporter or kube-state-metrics series of the machines.
	Host Scope = iota
	// App: series the services expose themselves on their metrics endpoint.
	App
	// Container: cAdvisor series of the services' containers.
	Container
)

// Fact is what is true of one metric whatever the platform.
type Fact struct {
	Name Name
	Unit Unit
	// Below: the rule fires when the value drops below the threshold.
	Below bool
	Scope Scope
}

// facts is the one table of metric facts.
func facts() []Fact {
	return []Fact{
		{Name: CPU, Unit: Percent, Scope: Host},
		{Name: Memory, Unit: Percent, Scope: Host},
		{Name: Disk, Unit: Percent, Scope: Host},
		{Name: NodeDown, Unit: None, Scope: Host},
		{Name: ErrorRate, Unit: Percent, Scope: App},
		{Name: Rate429, Unit: Percent, Scope: App},
		{Name: LatencyP95, Unit: Milliseconds, Scope: App},
		{Name: SyncLatency, Unit: Milliseconds, Scope: App},
		{Name: JobFailures, Unit: Percent, Scope: App},
		{Name: WorkflowSuccess, Unit: Percent, Below: true, Scope: App},
		{Name: ContainerMemory, Unit: Megabytes, Scope: Container},
	}
}

// Lookup returns the facts of a metric.
func Lookup(n Name) (Fact, bool) {
	for _, f := range facts() {
		if f.Name == n {
			return f, true
		}
	}
	return Fact{}, false
}

// Names lists every metric, sorted: the config schema's enum must equal it.
func Names() []Name {
	fs := facts()
	out := make([]Name, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
