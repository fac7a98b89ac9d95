package monitoring

import "strconv"

// Exporter is a metrics source the VPS topology runs beside the
// application, as a compose service named Job. Its flags and its scrape job
// are both derived from this one value, so where the exporter serves its
// metrics and where Prometheus asks for them cannot disagree.
type Exporter struct {
	// Job is the compose service name, its DNS name on the compose network
	// and the scrape job's name.
	Job  string
	Port int
	// Path is where the exporter serves its metrics once given Flags.
	Path string
	// Flags make the exporter serve at Path.
	Flags []string
}

// Address is host:port on the compose network.
func (e Exporter) Address() string { return e.Job + ":" + strconv.Itoa(e.Port) }

// NodeExporterPrefix is the public path prefix of node-exporter behind the
// admin tools' host; its metrics live under it.
const NodeExporterPrefix = "/node"

// NodeExporter is node_exporter. It serves its metrics at
// --web.telemetry-path (default /metrics); the VPS moves them under
// NodeExporterPrefix so the admin tools' host routes one prefix per tool.
func NodeExporter() Exporter {
	path := NodeExporterPrefix + "/metrics"
	return Exporter{Job: JobNodeExporter, Port: 9100, Path: path, Flags: []string{"--web.telemetry-path=" + path}}
}

// CAdvisorPrefix is cAdvisor's --url_base_prefix: its UI and metrics live
// under it, behind the admin tools' host.
const CAdvisorPrefix = "/cadvisor"

// CAdvisor is cAdvisor. Every handler it has, metrics included, is
// mounted under --url_base_prefix: cmd/cadvisor.go (v0.60.5) registers
// `rootMux.Handle(*urlBasePrefix+"/", http.StripPrefix(*urlBasePrefix, mux))`
// and the metrics handler at --prometheus_endpoint (default /metrics) on
// mux, so the metrics are at prefix + endpoint and nowhere else.
func CAdvisor() Exporter {
	const endpoint = "/metrics"
	return Exporter{Job: JobCAdvisor, Port: 8080, Path: CAdvisorPrefix + endpoint,
		Flags: []string{"--url_base_prefix=" + CAdvisorPrefix, "--prometheus_endpoint=" + endpoint}}
}
