// Package config is the typed configuration of an `infra` stack: its types,
// defaults and validation, read from a Pulumi.<stack>.yaml file or from the
// config a Pulumi program is given. It does not import the Pulumi SDK, so it
// stays small enough to fuzz.
//
// Data flows one way: stack file -> Config (validated here, once) ->
// component Args -> resources -> outputs. Components never read config.
package config

// Topology selects where the services run.
type Topology string

// The topologies a stack can choose with `infra:topology`.
const (
	TopologyVPS        Topology = "vps"
	TopologyKubernetes Topology = "kubernetes"
)

// Class is what a stage is for (infra:class). The values are those of a
// DigitalOcean project's environment, which the stack's project takes.
type Class string

// The classes a stack can state with `infra:class`.
const (
	ClassProduction  Class = "production"
	ClassStaging     Class = "staging"
	ClassDevelopment Class = "development"
)

// Classes lists the classes in the order a prompt offers them.
func Classes() []Class { return []Class{ClassProduction, ClassStaging, ClassDevelopment} }

// Config is the whole typed configuration of one stack. Each field is one
// top-level key in the `infra:` namespace of Pulumi.<stack>.yaml
// (infra:topology, infra:database, ...).
type Config struct {
	// Environment names the stage (dev, prod, staging-eu, ...): it goes
	// into resource names and tags, and decides nothing.
	Environment string `json:"environment" jsonschema:"minLength=1,pattern=^[a-z][a-z0-9-]*$"`
	// Class says what the stage is for, and so which safeguards it gets:
	// production turns on protection of stateful resources, pinned images,
	// prod certificates and the production policy rules. Stated, never
	// guessed from a name: `prod-eu` and `staging-prod` are whatever their
	// class says.
	Class    Class    `json:"class" jsonschema:"enum=production,enum=staging,enum=development"`
	Topology Topology `json:"topology" jsonschema:"enum=vps,enum=kubernetes"`
	// Region is a DigitalOcean region slug such as nyc3 or fra1.
	Region string `json:"region" jsonschema:"pattern=^[a-z]{3}[0-9]$"`
	// Domain is the DNS zone the public hosts live in (managed by DigitalOcean DNS).
	Domain     string      `json:"domain" jsonschema:"pattern=^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z][a-z]+$"`
	Network    *Network    `json:"network,omitempty"`
	Database   *Database   `json:"database,omitempty"`
	Services   []Service   `json:"services" jsonschema:"minItems=1"`
	Cluster    *Cluster    `json:"cluster,omitempty"`
	VPS        *VPS        `json:"vps,omitempty"`
	Ingress    *Ingress    `json:"ingress,omitempty"`
	Monitoring *Monitoring `json:"monitoring,omitempty"`
	Policy     *Policy     `json:"policy,omitempty"`
	// Registries are the private container registries the services' images
	// are pulled from, with their credentials. An image whose registry is
	// not listed is pulled anonymously.
	Registries []Registry `json:"registries,omitempty"`
	// Secrets maps a secret's name to its value. Every value must be a
	// Pulumi secret (`pulumi config set --secret --path 'infra:secrets.name'`);
	// other keys refer to secrets by name only.
	Secrets map[string]string `json:"secrets,omitempty"`
}

// Registry is a private container registry and how to log in to it.
type Registry struct {
	// Server is the registry's host, with a port if it has one (ghcr.io,
	// registry.example.com:5000): the part of an image reference before
	// the first slash.
	Server string `json:"server" jsonschema:"minLength=1"`
	// Username logs in; for ghcr.io a GitHub user or organisation.
	Username string `json:"username" jsonschema:"minLength=1"`
	// PasswordSecret names the infra:secrets entry holding the password or
	// access token (for ghcr.io a token with read:packages).
	PasswordSecret string `json:"passwordSecret" jsonschema:"minLength=1"`
}

// Network is the stack's private network and who may administer it.
type Network struct {
	// VPCCIDR is the private range of the stack's VPC (a /16 to /24).
	VPCCIDR string `json:"vpcCidr,omitempty"`
	// AdminCIDRs may reach SSH and the database from outside the VPC.
	AdminCIDRs []string `json:"adminCidrs,omitempty"`
}

// Database declares PostgreSQL: where it runs, and the databases and roles in it.
type Database struct {
	// Engine: managed (DigitalOcean cluster), selfhosted (a container on the
	// VPS) or external (a connection string given as a secret).
	Engine string `json:"engine" jsonschema:"enum=managed,enum=selfhosted,enum=external"`
	// Version is the PostgreSQL major; internal/catalog lists the ones on
	// offer (validation refuses the others).
	Version string `json:"version,omitempty" jsonschema:"pattern=^[0-9]+$"`
	// Size is the DigitalOcean database size slug (managed only).
	Size string `json:"size,omitempty"`
	// Nodes is the node count: 2 or 3 adds standby nodes (managed only).
	Nodes       int                `json:"nodes,omitempty" jsonschema:"minimum=1,maximum=3"`
	Maintenance *MaintenanceWindow `json:"maintenance,omitempty"`
	// ExternalURLSecret names the secret that holds the URL of an external database.
	ExternalURLSecret string          `json:"externalUrlSecret,omitempty"`
	Databases         []DatabaseEntry `json:"databases,omitempty"`
	Roles             []Role          `json:"roles,omitempty"`
	// BackupRetentionDays is the deprecated spelling of
	// Backups.RetentionDays, still read when that is unset.
	BackupRetentionDays int `json:"backupRetentionDays,omitempty" jsonschema:"minimum=1,maximum=365"`
	// Backups is when the databases are dumped to Spaces and how long the
	// dumps are kept: always for selfhosted; for managed and external only
	// when set (DumpedOn, docs/backups.md).
	Backups *Backups `json:"backups,omitempty"`
}

// Backups is the schedule and retention of the logical dumps.
type Backups struct {
	// Schedule is a 5-field cron expression in UTC.
	Schedule string `json:"schedule,omitempty" jsonschema:"minLength=9"`
	// RetentionDays is how long the bucket keeps each dump.
	RetentionDays int `json:"retentionDays,omitempty" jsonschema:"minimum=1,maximum=365"`
}

// MaintenanceWindow is a weekly window in UTC.
type MaintenanceWindow struct {
	Day  string `json:"day" jsonschema:"enum=monday,enum=tuesday,enum=wednesday,enum=thursday,enum=friday,enum=saturday,enum=sunday"`
	Hour string `json:"hour" jsonschema:"pattern=^([01][0-9]|2[0-3]):[0-5][0-9]$"`
}

// DatabaseEntry is one database in the cluster.
type DatabaseEntry struct {
	Name string `json:"name" jsonschema:"pattern=^[a-z_][a-z0-9_]*$,maxLength=63"`
	// Owner is the role that owns the database; by default the first role
	// that lists it.
	Owner string `json:"owner,omitempty"`
	Pool  *Pool  `json:"pool,omitempty"`
	// JobQueue marks a job queue's database (Hangfire, GoodJob, a SKIP
	// LOCKED worker): policy keeps it off transaction-mode pools. Unset, the
	// policy guesses from the database's and the connections' names; false
	// turns the guess off.
	JobQueue *bool `json:"jobQueue,omitempty"`
}

// Pool is a PgBouncer connection pool in front of a database.
type Pool struct {
	Mode string `json:"mode" jsonschema:"enum=transaction,enum=session,enum=statement"`
	Size int    `json:"size" jsonschema:"minimum=1,maximum=500"`
}

// Role is a login role and the databases it may use.
type Role struct {
	Name string `json:"name" jsonschema:"pattern=^[a-z_][a-z0-9_]*$,maxLength=63"`
	// Databases are the databases the role uses: a plain name, or
	// { name, access } with an access level (roledb.go; checked in validate_roles.go).
	Databases []RoleDatabase `json:"databases" jsonschema:"minItems=1"`
}

// Service is one containerised process of the application.
type Service struct {
	Name  string `json:"name" jsonschema:"pattern=^[a-z]([a-z0-9-]*[a-z0-9])?$,maxLength=40"`
	Image string `json:"image" jsonschema:"minLength=1"`
	// Port the container listens on; absent for workers.
	Port int `json:"port,omitempty" jsonschema:"minimum=1,maximum=65535"`
	// Health is the HTTP path that answers 200 when the service is ready.
	Health  string   `json:"health,omitempty" jsonschema:"pattern=^/"`
	Command []string `json:"command,omitempty"`
	// Public services are routed from the internet with TLS.
	Public *Route `json:"public,omitempty"`
	// Env is plain configuration; never secrets.
	Env map[string]string `json:"env,omitempty"`
	// SecretEnv maps an environment variable to the name of a secret in infra:secrets.
	SecretEnv map[string]string `json:"secretEnv,omitempty"`
	// Connections maps an environment variable to a database connection string.
	Connections map[string]Connection `json:"connections,omitempty"`
	Replicas    int                   `json:"replicas,omitempty" jsonschema:"minimum=1,maximum=100"`
	Resources   *Resources            `json:"resources,omitempty"`
	Autoscale   *Autoscale            `json:"autoscale,omitempty"`
	// DependsOn lists services this one calls (network policy, start order).
	DependsOn []string `json:"dependsOn,omitempty"`
	// Peers: the replicas discover each other (gossip) through a headless service.
	Peers   bool     `json:"peers,omitempty"`
	Metrics *Metrics `json:"metrics,omitempty"`
	// WritableRootFilesystem: the image writes outside its volumes.
	WritableRootFilesystem bool `json:"writableRootFilesystem,omitempty"`
	// User is the numeric uid the container runs as (never 0).
	User     int       `json:"user,omitempty" jsonschema:"minimum=1"`
	Volumes  []Volume  `json:"volumes,omitempty"`
	Pool     string    `json:"pool,omitempty"`
	Migrate  *Job      `json:"migrate,omitempty"`
	CronJobs []CronJob `json:"cronJobs,omitempty"`
	// ServiceAccountToken mounts the Kubernetes API token (off by default).
	ServiceAccountToken bool `json:"serviceAccountToken,omitempty"`
	// Egress lists the outside destinations the service connects to. On
	// topology kubernetes the namespace denies every other egress (DNS and
	// the declared in-cluster flows aside); on the VPS egress is not
	// restricted and the list only documents the need.
	Egress []Egress `json:"egress,omitempty"`
}

// Egress is one outside destination: a network (cidr) or the internet
// (to: internet, every IPv4 address outside private, shared and
// link-local ranges), on the given ports.
type Egress struct {
	CIDR  string `json:"cidr,omitempty"`
	To    string `json:"to,omitempty" jsonschema:"enum=internet"`
	Ports []int  `json:"ports" jsonschema:"minItems=1"`
	// Protocol is TCP unless UDP is named.
	Protocol string `json:"protocol,omitempty" jsonschema:"enum=TCP,enum=UDP"`
}

// EgressInternet is the value of egress[].to that means the internet.
const EgressInternet = "internet"

// Route is how a public service is reached.
type Route struct {
	// Host is the name under infra:domain ("api" -> api.<domain>; "@" the apex).
	Host string `json:"host" jsonschema:"pattern=^(@|[a-z0-9]([a-z0-9-]*[a-z0-9])?)$"`
	Path string `json:"path,omitempty" jsonschema:"pattern=^/"`
	// Auth puts the route behind basic authentication (admin tools) with a
	// generated credential.
	Auth bool `json:"auth,omitempty"`
	// Allow admits only clients from these CIDRs (empty: everyone); the
	// others get 403.
	Allow []string `json:"allow,omitempty"`
}

// Connection is a database connection string handed to a service.
type Connection struct {
	Database string `json:"database"`
	Role     string `json:"role,omitempty"`
	Format   string `json:"format" jsonschema:"enum=npgsql,enum=url,enum=libpq"`
	// Direct bypasses the database's pool (migrations, advisory locks).
	Direct bool `json:"direct,omitempty"`
}

// Resources are a container's requests and limits, in Kubernetes quantities.
type Resources struct {
	CPU           string `json:"cpu,omitempty" jsonschema:"pattern=^([0-9]+m|[0-9]+(\\.[0-9]+)?)$"`
	Memory        string `json:"memory,omitempty" jsonschema:"pattern=^[0-9]+(Mi|Gi)$"`
	RequestCPU    string `json:"requestCpu,omitempty" jsonschema:"pattern=^([0-9]+m|[0-9]+(\\.[0-9]+)?)$"`
	RequestMemory string `json:"requestMemory,omitempty" jsonschema:"pattern=^[0-9]+(Mi|Gi)$"`
}

// Autoscale bounds a horizontal pod autoscaler.
type Autoscale struct {
	Min    int `json:"min" jsonschema:"minimum=1"`
	Max    int `json:"max" jsonschema:"minimum=1"`
	CPU    int `json:"cpu,omitempty" jsonschema:"minimum=1,maximum=100"`
	Memory int `json:"memory,omitempty" jsonschema:"minimum=1,maximum=100"`
}

// Metrics is where Prometheus scrapes a service.
type Metrics struct {
	Path string `json:"path,omitempty" jsonschema:"pattern=^/"`
	Port int    `json:"port,omitempty" jsonschema:"minimum=1,maximum=65535"`
}

// Volume is persistent state mounted into a service.
type Volume struct {
	Name string `json:"name" jsonschema:"pattern=^[a-z]([a-z0-9-]*[a-z0-9])?$"`
	Path string `json:"path" jsonschema:"pattern=^/"`
	Size string `json:"size,omitempty" jsonschema:"pattern=^[0-9]+(Mi|Gi)$"`
}

// Job is a one-off command run from the service's image.
type Job struct {
	Command []string `json:"command" jsonschema:"minItems=1"`
}

// CronJob is a command run on a schedule from the service's image.
type CronJob struct {
	Name     string   `json:"name" jsonschema:"pattern=^[a-z]([a-z0-9-]*[a-z0-9])?$"`
	Schedule string   `json:"schedule" jsonschema:"minLength=9"`
	Command  []string `json:"command" jsonschema:"minItems=1"`
}

// Cluster is the DigitalOcean Kubernetes cluster (topology kubernetes).
type Cluster struct {
	// VersionPrefix picks the newest DOKS version of this minor ("1.36"),
	// one internal/catalog lists as offered.
	VersionPrefix string `json:"versionPrefix,omitempty" jsonschema:"pattern=^1\\.[0-9]+$"`
	HA            bool   `json:"ha,omitempty"`
	AutoUpgrade   *bool  `json:"autoUpgrade,omitempty"`
	// Maintenance is the weekly window for DOKS patch upgrades (UTC).
	Maintenance *MaintenanceWindow `json:"maintenance,omitempty"`
	// SystemPool is the cluster's own small, fixed pool.
	SystemPool *NodePool  `json:"systemPool,omitempty"`
	Pools      []NodePool `json:"pools,omitempty"`
	// Namespace for the application's workloads.
	Namespace string `json:"namespace,omitempty" jsonschema:"pattern=^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"`
	// ChartRepository is a Helm repository (https; http only on a loopback
	// address) that mirrors every chart the cluster installs at its pinned
	// version: Traefik, cert-manager, kube-prometheus-stack,
	// prometheus-operator-crds, metrics-server. Unset, each chart comes from
	// its upstream repository.
	ChartRepository string `json:"chartRepository,omitempty"`
	// SpacesKeySecret and SpacesSecretSecret name the secrets holding a
	// Spaces access key: with a managed database and database.backups set,
	// they create the backups bucket and the backup CronJob uploads with
	// them (docs/backups.md).
	SpacesKeySecret    string `json:"spacesKeySecret,omitempty"`
	SpacesSecretSecret string `json:"spacesSecretSecret,omitempty"`
	// SpacesRegion holds the backups bucket; by default the stack's region
	// when it has Spaces.
	SpacesRegion string `json:"spacesRegion,omitempty" jsonschema:"pattern=^[a-z]{3}[0-9]$"`
}

// NodePool is a group of identical worker nodes.
type NodePool struct {
	Name     string            `json:"name,omitempty" jsonschema:"pattern=^[a-z]([a-z0-9-]*[a-z0-9])?$"`
	Size     string            `json:"size"`
	Count    int               `json:"count,omitempty" jsonschema:"minimum=1,maximum=100"`
	MinNodes int               `json:"minNodes,omitempty" jsonschema:"minimum=1,maximum=100"`
	MaxNodes int               `json:"maxNodes,omitempty" jsonschema:"minimum=1,maximum=100"`
	Labels   map[string]string `json:"labels,omitempty"`
	Taints   []Taint           `json:"taints,omitempty"`
}

// Taint keeps pods without a matching toleration off a pool.
type Taint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect" jsonschema:"enum=NoSchedule,enum=PreferNoSchedule,enum=NoExecute"`
}

// VPS is the single Droplet running Docker Compose (topology vps).
type VPS struct {
	Size  string `json:"size"`
	Image string `json:"image,omitempty"`
	// SSHKeys are the ids or fingerprints of SSH keys registered with
	// DigitalOcean; they log in as the deploy user (root login is off).
	SSHKeys []string `json:"sshKeys" jsonschema:"minItems=1"`
	// SSHPrivateKeySecret names the secret holding the private half of one
	// of SSHKeys (OpenSSH format): `pulumi up` delivers the compose project
	// over SSH with it.
	SSHPrivateKeySecret string `json:"sshPrivateKeySecret,omitempty"`
	// Proxy is the TLS reverse proxy in front of the services (nginx, with
	// certbot for Let's Encrypt).
	Proxy string `json:"proxy,omitempty" jsonschema:"enum=nginx"`
	// Backups turns on DigitalOcean's Droplet backups, on BackupPlan.
	Backups bool `json:"backups,omitempty"`
	// BackupPlan is how often DigitalOcean backs the Droplet up: weekly
	// (20 % of the Droplet's price, the default here) or daily (30 %). The
	// Droplet always gets an explicit plan: without one DigitalOcean
	// defaults to daily.
	BackupPlan string `json:"backupPlan,omitempty" jsonschema:"enum=weekly,enum=daily"`
	// Tools are the host's admin tools (cAdvisor, Dozzle, node-exporter), behind the proxy with auth.
	Tools *bool `json:"tools,omitempty"`
	// ToolsHost is the name under infra:domain that serves the admin tools.
	ToolsHost string `json:"toolsHost,omitempty" jsonschema:"pattern=^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"`
	// SpacesKeySecret and SpacesSecretSecret name the secrets holding a
	// Spaces access key: they create the backups bucket and upload the
	// nightly dumps of a self-hosted database.
	SpacesKeySecret    string `json:"spacesKeySecret,omitempty"`
	SpacesSecretSecret string `json:"spacesSecretSecret,omitempty"`
	// SpacesRegion holds the backups bucket; by default the stack's region
	// when it has Spaces.
	SpacesRegion string `json:"spacesRegion,omitempty" jsonschema:"pattern=^[a-z]{3}[0-9]$"`
}

// Ingress is TLS and rate limiting at the edge, for both topologies.
type Ingress struct {
	// Issuer is the Let's Encrypt environment: staging or prod.
	Issuer string `json:"issuer,omitempty" jsonschema:"enum=letsencrypt-staging,enum=letsencrypt-prod"`
	// Email receives Let's Encrypt expiry notices.
	Email     string     `json:"email,omitempty" jsonschema:"format=email"`
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
}

// RateLimit is per client IP.
type RateLimit struct {
	RPM   int `json:"rpm" jsonschema:"minimum=1"`
	Burst int `json:"burst" jsonschema:"minimum=1"`
}

// Monitoring is metrics, alert rules and where alerts go.
type Monitoring struct {
	Enabled   *bool   `json:"enabled,omitempty"`
	Retention string  `json:"retention,omitempty" jsonschema:"pattern=^[0-9]+(d|h|w)$"`
	Storage   string  `json:"storage,omitempty" jsonschema:"pattern=^[0-9]+(Mi|Gi)$"`
	Alerts    []Alert `json:"alerts,omitempty"`
	// Receivers name secrets; Notify turns notifications on outside prod.
	Receivers *Receivers `json:"receivers,omitempty"`
	Notify    *bool      `json:"notify,omitempty"`
	// UptimeLatency is the response time in milliseconds above which
	// DigitalOcean's uptime checks alert on a public endpoint.
	UptimeLatency int `json:"uptimeLatency,omitempty" jsonschema:"minimum=100,maximum=60000"`
}

// Alert is one typed alert rule. The same rule becomes a Prometheus rule
// on the VPS and a PrometheusRule on Kubernetes (components/monitoring).
type Alert struct {
	Name string `json:"name" jsonschema:"pattern=^[A-Za-z][A-Za-z0-9]*$"`
	// Metric is what is measured; see docs/monitoring.md for each one's query
	// and the metric names the services must expose.
	Metric string `json:"metric" jsonschema:"enum=cpu,enum=memory,enum=disk,enum=errorRate,enum=latencyP95,enum=rate429,enum=nodeDown,enum=syncLatency,enum=jobFailures,enum=workflowSuccess,enum=containerMemory"`
	// Threshold is in the metric's unit: percent for cpu, memory, disk,
	// errorRate, rate429, jobFailures and workflowSuccess;
	// milliseconds for latencyP95 and syncLatency; MB (2^20 bytes) for
	// containerMemory; 0 for nodeDown. Every metric alerts above its
	// threshold except workflowSuccess, which alerts below it.
	Threshold float64 `json:"threshold"`
	For       string  `json:"for,omitempty" jsonschema:"pattern=^[0-9]+(s|m|h)$"`
	Severity  string  `json:"severity" jsonschema:"enum=info,enum=warning,enum=critical"`
	// Service narrows the rule to one service.
	Service string `json:"service,omitempty"`
}

// Receivers are where alerts are sent; each field names a secret.
type Receivers struct {
	SlackWebhookSecret string `json:"slackWebhookSecret,omitempty"`
	SlackChannel       string `json:"slackChannel,omitempty"`
	Email              string `json:"email,omitempty" jsonschema:"format=email"`
	// SMTPHost is host:port of the mail relay.
	SMTPHost string `json:"smtpHost,omitempty" jsonschema:"pattern=^[A-Za-z0-9.-]+:[0-9]+$"`
	// SMTPFrom is the sender (default alertmanager@<domain>).
	SMTPFrom             string `json:"smtpFrom,omitempty" jsonschema:"format=email"`
	SMTPUser             string `json:"smtpUser,omitempty"`
	SMTPPasswordSecret   string `json:"smtpPasswordSecret,omitempty"`
	PagerDutyKeySecret   string `json:"pagerdutyKeySecret,omitempty"`
	DeadMansSwitchSecret string `json:"deadMansSwitchSecret,omitempty"`
}

// Policy holds the stack's waivers of policy rules.
type Policy struct {
	Waivers []Waiver `json:"waivers,omitempty"`
}

// Waiver turns one policy rule off for this stack, with a reason that is
// printed every time.
type Waiver struct {
	Rule     string `json:"rule" jsonschema:"minLength=1"`
	Resource string `json:"resource,omitempty"`
	Reason   string `json:"reason" jsonschema:"minLength=10"`
}
