package config

// Defaults live here and only here, so what a stack gets without saying is
// visible in one file: every default value is a named constant below, and
// each config type fills its own gaps.
const (
	DefaultPostgresVersion   = "16"
	DefaultDropletImage      = "ubuntu-24-04-x64"
	DefaultVPCCIDR           = "10.10.0.0/16"
	DefaultKubernetesVersion = "1.36"
	// DefaultBackupPlan is the Droplet backup schedule when backups are on.
	DefaultBackupPlan = "weekly"
	// DefaultDatabaseSize is the managed plan of a single-node cluster;
	// DefaultStandbyDatabaseSize the smallest plan that may have standby
	// nodes (2 GB of RAM: internal/catalog), for clusters of 2 or 3 nodes.
	DefaultDatabaseSize        = "db-s-1vcpu-1gb"
	DefaultStandbyDatabaseSize = "db-s-1vcpu-2gb"
	DefaultDatabaseNodes       = 1
	// DefaultMaintenanceDay and DefaultDatabaseMaintenanceHour are the
	// database's weekly window (UTC); the cluster's comes an hour later.
	DefaultMaintenanceDay          = "sunday"
	DefaultDatabaseMaintenanceHour = "03:00"
	DefaultClusterMaintenanceHour  = "04:00"
	DefaultUser                    = 10001
	// DefaultUptimeLatency (ms): seed 004's "response > 5 s" is for the
	// API's own p95; from outside, through TLS, 2 s is already slow.
	DefaultUptimeLatency = 2000
	// DefaultBackupRetentionDays is how long backups are kept.
	DefaultBackupRetentionDays = 7
	// DefaultBackupSchedule is when the databases are dumped (UTC, cron).
	DefaultBackupSchedule = "30 3 * * *"

	// A service's replicas, container limits and requests, route path and
	// metrics path, and the CPU target of its autoscaler.
	DefaultReplicas         = 1
	DefaultCPULimit         = "500m"
	DefaultMemoryLimit      = "512Mi"
	DefaultCPURequest       = "100m"
	DefaultMemoryRequest    = "128Mi"
	DefaultRoutePath        = "/"
	DefaultEgressProtocol   = "TCP"
	DefaultMetricsPath      = "/metrics"
	DefaultAutoscaleCPU     = 70
	DefaultAlertFor         = "5m"
	DefaultIssuer           = "letsencrypt-staging"
	DefaultProductionIssuer = "letsencrypt-prod"

	// The Kubernetes cluster: its system pool, its application pool and
	// the application's namespace.
	DefaultNodeSize        = "s-2vcpu-4gb"
	DefaultSystemPoolName  = "system"
	DefaultSystemPoolCount = 1
	DefaultAppPoolName     = "apps"
	DefaultAppPoolCount    = 2
	DefaultNamespace       = "app"

	// The VPS: its proxy and the host name of its tools.
	DefaultProxy     = "nginx"
	DefaultToolsHost = "ops"

	// Prometheus keeps this much history, on a volume of this size.
	DefaultRetention = "15d"
	DefaultStorage   = "20Gi"
	// DefaultSMTPSender is the sender's local part under infra:domain.
	DefaultSMTPSender = "alertmanager"
)

// defaultAlerts is the rule set of a stack that lists no alerts: the
// machines' health from seed 001 (CPU 80%, memory 85%, disk 90%, node down)
// and, when a service exposes metrics, seed 004's API limits (5xx above 5%,
// p95 above 5 s). prod and dev get the same rules; Notify decides whether
// anyone hears them.
func defaultAlerts(services []Service) []Alert {
	alerts := []Alert{
		{Name: "HostHighCPU", Metric: "cpu", Threshold: 80, For: "10m", Severity: "warning"},
		{Name: "HostHighMemory", Metric: "memory", Threshold: 85, For: "5m", Severity: "warning"},
		{Name: "HostDiskFull", Metric: "disk", Threshold: 90, For: "5m", Severity: "critical"},
		{Name: "NodeDown", Metric: "nodeDown", Threshold: 0, For: "2m", Severity: "critical"},
	}
	for _, s := range services {
		if s.Metrics != nil {
			return append(alerts,
				Alert{Name: "HighErrorRate", Metric: "errorRate", Threshold: 5, For: "5m", Severity: "critical"},
				Alert{Name: "SlowResponses", Metric: "latencyP95", Threshold: 5000, For: "5m", Severity: "warning"},
			)
		}
	}
	return alerts
}

// Production reports whether the stack gets production safeguards: its
// class says so (infra:class), whatever it is called.
func (c *Config) Production() bool {
	return c.Class == ClassProduction
}

func applyDefaults(c *Config) {
	prod := c.Production()
	if c.Network == nil {
		c.Network = &Network{}
	}
	c.Network.applyDefaults()
	if c.Database != nil {
		c.Database.applyDefaults(c.Topology)
	}
	for i := range c.Services {
		c.Services[i].applyDefaults()
	}
	if c.Ingress == nil {
		c.Ingress = &Ingress{}
	}
	c.Ingress.applyDefaults(prod)
	if c.Cluster == nil {
		c.Cluster = &Cluster{}
	}
	c.Cluster.applyDefaults(prod, c.Region)
	if c.VPS != nil {
		c.VPS.applyDefaults(c.Region)
	}
	if c.Monitoring == nil {
		c.Monitoring = &Monitoring{}
	}
	c.Monitoring.applyDefaults(prod, c.Domain, c.Services)
	if c.Policy == nil {
		c.Policy = &Policy{}
	}
}

func (n *Network) applyDefaults() {
	if n.VPCCIDR == "" {
		n.VPCCIDR = DefaultVPCCIDR
	}
}

func (d *Database) applyDefaults(topology Topology) {
	if d.Version == "" {
		d.Version = DefaultPostgresVersion
	}
	if d.Nodes == 0 {
		d.Nodes = DefaultDatabaseNodes
	}
	if d.Maintenance == nil {
		d.Maintenance = &MaintenanceWindow{Day: DefaultMaintenanceDay, Hour: DefaultDatabaseMaintenanceHour}
	}
	if d.Size == "" && d.Engine == "managed" {
		d.Size = DefaultDatabaseSize
		if d.Nodes >= 2 {
			d.Size = DefaultStandbyDatabaseSize
		}
	}
	for i := range d.Databases {
		if d.Databases[i].Owner == "" {
			d.Databases[i].Owner = firstRoleFor(d.Roles, d.Databases[i].Name)
		}
	}
	d.applyBackupDefaults(topology)
}

func (d *Database) applyBackupDefaults(topology Topology) {
	// infra dumps the self-hosted engine, and a managed or external one
	// when database.backups is set (DumpedOn); validation refuses backup settings
	// nothing honours, so they stay as written elsewhere.
	if d.Engine != "selfhosted" && !d.DumpedOn(topology) {
		return
	}
	if d.Backups == nil {
		d.Backups = &Backups{}
	}
	if d.Backups.Schedule == "" {
		d.Backups.Schedule = DefaultBackupSchedule
	}
	if d.Backups.RetentionDays == 0 {
		// The deprecated key, then the default.
		d.Backups.RetentionDays = d.BackupRetentionDays
	}
	if d.Backups.RetentionDays == 0 {
		d.Backups.RetentionDays = DefaultBackupRetentionDays
	}
}

func (s *Service) applyDefaults() {
	if s.Replicas == 0 {
		s.Replicas = DefaultReplicas
		if s.Autoscale != nil {
			s.Replicas = s.Autoscale.Min
		}
	}
	if s.Resources == nil {
		s.Resources = &Resources{}
	}
	s.Resources.applyDefaults()
	if s.User == 0 {
		s.User = DefaultUser
	}
	if s.Public != nil && s.Public.Path == "" {
		s.Public.Path = DefaultRoutePath
	}
	for i := range s.Egress {
		if s.Egress[i].Protocol == "" {
			s.Egress[i].Protocol = DefaultEgressProtocol
		}
	}
	if s.Metrics != nil {
		if s.Metrics.Path == "" {
			s.Metrics.Path = DefaultMetricsPath
		}
		if s.Metrics.Port == 0 {
			s.Metrics.Port = s.Port
		}
	}
	if s.Autoscale != nil && s.Autoscale.CPU == 0 && s.Autoscale.Memory == 0 {
		s.Autoscale.CPU = DefaultAutoscaleCPU
	}
}

func (r *Resources) applyDefaults() {
	for _, f := range []struct {
		value *string
		def   string
	}{
		{&r.CPU, DefaultCPULimit}, {&r.Memory, DefaultMemoryLimit},
		{&r.RequestCPU, DefaultCPURequest}, {&r.RequestMemory, DefaultMemoryRequest},
	} {
		if *f.value == "" {
			*f.value = f.def
		}
	}
}

func (in *Ingress) applyDefaults(prod bool) {
	if in.Issuer == "" {
		in.Issuer = DefaultIssuer
		if prod {
			in.Issuer = DefaultProductionIssuer
		}
	}
}

func (cl *Cluster) applyDefaults(prod bool, region string) {
	if cl.VersionPrefix == "" {
		cl.VersionPrefix = DefaultKubernetesVersion
	}
	if cl.AutoUpgrade == nil {
		v := !prod
		cl.AutoUpgrade = &v
	}
	if cl.Maintenance == nil {
		cl.Maintenance = &MaintenanceWindow{Day: DefaultMaintenanceDay, Hour: DefaultClusterMaintenanceHour}
	}
	if cl.SystemPool == nil {
		cl.SystemPool = &NodePool{Size: DefaultNodeSize, Count: DefaultSystemPoolCount}
	}
	if cl.SystemPool.Name == "" {
		cl.SystemPool.Name = DefaultSystemPoolName
	}
	if len(cl.Pools) == 0 {
		cl.Pools = []NodePool{{Name: DefaultAppPoolName, Size: DefaultNodeSize, Count: DefaultAppPoolCount}}
	}
	for i := range cl.Pools {
		if cl.Pools[i].Name == "" {
			cl.Pools[i].Name = DefaultAppPoolName
		}
	}
	if cl.Namespace == "" {
		cl.Namespace = DefaultNamespace
	}
	if cl.SpacesRegion == "" && offered.SpacesRegions.Has(region) {
		cl.SpacesRegion = region
	}
}

// applyDefaults: an empty Spaces region follows the stack's region where
// that has Spaces.
func (v *VPS) applyDefaults(region string) {
	if v.Image == "" {
		v.Image = DefaultDropletImage
	}
	if v.Proxy == "" {
		v.Proxy = DefaultProxy
	}
	if v.Tools == nil {
		on := true
		v.Tools = &on
	}
	if v.ToolsHost == "" {
		v.ToolsHost = DefaultToolsHost
	}
	if v.Backups && v.BackupPlan == "" {
		v.BackupPlan = DefaultBackupPlan
	}
	if v.SpacesRegion == "" && offered.SpacesRegions.Has(region) {
		v.SpacesRegion = region
	}
}

// applyDefaults: monitoring is on, and notifies in production.
func (m *Monitoring) applyDefaults(prod bool, domain string, services []Service) {
	if m.Enabled == nil {
		on := true
		m.Enabled = &on
	}
	if m.Retention == "" {
		m.Retention = DefaultRetention
	}
	if m.Storage == "" {
		m.Storage = DefaultStorage
	}
	if m.Notify == nil {
		v := prod
		m.Notify = &v
	}
	if m.UptimeLatency == 0 {
		m.UptimeLatency = DefaultUptimeLatency
	}
	if r := m.Receivers; r != nil && r.Email != "" && r.SMTPFrom == "" {
		r.SMTPFrom = DefaultSMTPSender + "@" + domain
	}
	if len(m.Alerts) == 0 {
		m.Alerts = defaultAlerts(services)
	}
	for i := range m.Alerts {
		if m.Alerts[i].For == "" {
			m.Alerts[i].For = DefaultAlertFor
		}
	}
}

// firstRoleFor is the default owner of db: the first role that lists it
// by its plain name (a role given an access level does not own it).
func firstRoleFor(roles []Role, db string) string {
	for _, r := range roles {
		for _, d := range r.Databases {
			if d.Name == db && d.Access == "" {
				return r.Name
			}
		}
	}
	return ""
}
