// Package service is the topology-neutral description of the application's
// services. The Kubernetes workloads and the VPS compose project are both
// rendered from the same []Spec, so the two topologies cannot drift apart.
package service

import (
	"regexp"
	"strings"
)

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// Spec is one service, with defaults applied and references resolved.
type Spec struct {
	Name    string
	Image   string
	Port    int // 0 for workers
	Health  string
	Command []string
	Public  *Route
	// Env is plain configuration.
	Env map[string]string
	// SecretEnv holds secrets (Pulumi secrets): declared secret env and the
	// database connection strings.
	SecretEnv map[string]pulumi.StringOutput
	Replicas  int
	Resources Resources
	Autoscale *Autoscale
	// DependsOn lists the services this one calls.
	DependsOn []string
	// Peers: replicas find each other (gossip) through a headless service.
	Peers   bool
	Metrics *Metrics
	// ReadOnlyRootFilesystem unless the image needs to write outside volumes.
	ReadOnlyRootFilesystem bool
	// User is the non-root uid the container runs as.
	User                int
	Volumes             []Volume
	Migrate             []string
	CronJobs            []CronJob
	ServiceAccountToken bool
	// UsesDatabase: the service holds a connection string (egress to the database).
	UsesDatabase bool
	// Pool is the Kubernetes node pool the service runs on ("" : the
	// first workload pool). Ignored on the VPS.
	Pool string
	// Mounts are host files mounted into the container (VPS only: config of
	// infrastructure services such as Prometheus).
	Mounts []Mount
	// Egress are the outside destinations the service connects to
	// (Kubernetes only: the VPS does not restrict egress).
	Egress []Egress
	// AfterUp is a command each deploy runs in the service's running
	// container once the project is up (VPS only): it brings state the
	// image reads only on its first start into line with the env (Grafana's
	// admin password). It must be harmless to run again.
	AfterUp []string
}

// Egress is an outside destination: a network, or the internet without
// private, shared and link-local ranges.
type Egress struct {
	// CIDR is the network; "" with Internet.
	CIDR     string
	Internet bool
	Ports    []int
	// Protocol is TCP or UDP.
	Protocol string
}

// Mount is a file or directory from the host's project directory.
type Mount struct {
	// Source is relative to the compose project directory.
	Source   string
	Target   string
	ReadOnly bool
}

// Route is how a public service is reached from the internet.
type Route struct {
	// Host is the fully qualified name (api.example.com).
	Host string
	Path string
	// Auth puts basic authentication in front (admin tools).
	Auth bool
	// Allow admits only clients from these CIDRs (empty: everyone).
	Allow []string
}

// Resources are requests and limits in Kubernetes quantities.
type Resources struct {
	CPU           string
	Memory        string
	RequestCPU    string
	RequestMemory string
}

// Autoscale bounds a horizontal autoscaler; CPU and Memory are target
// utilisation percentages (0: not used).
type Autoscale struct {
	Min, Max    int
	CPU, Memory int
}

// PrivateMetricsPath is the service's metrics path when its public route
// would reach it (the metrics share the routed port and lie under the
// route's path, with Kubernetes' Prefix semantics), "" otherwise. Proxies
// keep that path from the internet; Prometheus scrapes it from inside.
func (s Spec) PrivateMetricsPath() string {
	m := s.Metrics
	if s.Public == nil || m == nil || m.Path == "" || (m.Port != 0 && m.Port != s.Port) {
		return ""
	}
	route := strings.TrimSuffix(s.Public.Path, "/")
	if route == "" || m.Path == route || strings.HasPrefix(m.Path, route+"/") {
		return m.Path
	}
	return ""
}

// PrivateMetricsPattern is the regular expression (RE2 and PCRE alike) of
// every spelling of a private metrics path a proxy must refuse: the path
// with or without a trailing slash. Proxies match it case-insensitively.
func PrivateMetricsPattern(path string) string {
	return "^" + regexp.QuoteMeta(strings.TrimSuffix(path, "/")) + "/?$"
}

// Metrics is where Prometheus scrapes.
type Metrics struct {
	Path string
	Port int
}

// Volume is persistent state.
type Volume struct {
	Name string
	Path string
	Size string
}

// CronJob is a scheduled command.
type CronJob struct {
	Name     string
	Schedule string
	Command  []string
}

// Registry is a private container registry the services' images are
// pulled from, and the login for it. Both topologies log in with it: the
// VPS with `docker login` on the host, Kubernetes with an image pull
// secret.
type Registry struct {
	// Server is the registry's host[:port], as image references name it.
	Server   string
	Username string
	// Password is a Pulumi secret; it must stay one in every input it
	// reaches.
	Password pulumi.StringOutput
}
