package config

// Defaults live here and only here, so what a stack gets without saying is
// visible in one file.
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
	DefaultUser                = 10001
	// DefaultUptimeLatency (ms): seed 004's "response > 5 s" is for the
	// API's own p95; from outside, through TLS, 2 s is already slow.
	DefaultUptimeLatency = 2000
	// DefaultBackupRetentionDays is how long backups are kept.
	DefaultBackupRetentionDays = 7
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
	if c.Network.VPCCIDR == "" {
		c.Network.VPCCIDR = DefaultVPCCIDR
	}
	if d := c.Database; d != nil {
		if d.Version == "" {
			d.Version = DefaultPostgresVersion
		}
		if d.Nodes == 0 {
			d.Nodes = 1
		}
		if d.Maintenance == nil {
			d.Maintenance = &MaintenanceWindow{Day: "sunday", Hour: "03:00"}
		}
		if d.BackupRetentionDays == 0 {
			d.BackupRetentionDays = DefaultBackupRetentionDays
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
	}
	for i := range c.Services {
		s := &c.Services[i]
		if s.Replicas == 0 {
			s.Replicas = 1
			if s.Autoscale != nil {
				s.Replicas = s.Autoscale.Min
			}
		}
		if s.Resources == nil {
			s.Resources = &Resources{}
		}
		r := s.Resources
		if r.CPU == "" {
			r.CPU = "500m"
		}
		if r.Memory == "" {
			r.Memory = "512Mi"
		}
		if r.RequestCPU == "" {
			r.RequestCPU = "100m"
		}
		if r.RequestMemory == "" {
			r.RequestMemory = "128Mi"
		}
		if s.User == 0 {
			s.User = DefaultUser
		}
		if s.Public != nil && s.Public.Path == "" {
			s.Public.Path = "/"
		}
		if s.Metrics != nil {
			if s.Metrics.Path == "" {
				s.Metrics.Path = "/metrics"
			}
			if s.Metrics.Port == 0 {
				s.Metrics.Port = s.Port
			}
		}
		if s.Autoscale != nil && s.Autoscale.CPU == 0 && s.Autoscale.Memory == 0 {
			s.Autoscale.CPU = 70
		}
	}
	if c.Ingress == nil {
		c.Ingress = &Ingress{}
	}
	if c.Ingress.Issuer == "" {
		c.Ingress.Issuer = "letsencrypt-staging"
		if prod {
			c.Ingress.Issuer = "letsencrypt-prod"
		}
	}
	if c.Cluster == nil {
		c.Cluster = &Cluster{}
	}
	cl := c.Cluster
	if cl.VersionPrefix == "" {
		cl.VersionPrefix = DefaultKubernetesVersion
	}
	if cl.AutoUpgrade == nil {
		v := !prod
		cl.AutoUpgrade = &v
	}
	if cl.Maintenance == nil {
		// An hour after the database's default window.
		cl.Maintenance = &MaintenanceWindow{Day: "sunday", Hour: "04:00"}
	}
	if cl.SystemPool == nil {
		cl.SystemPool = &NodePool{Size: "s-2vcpu-4gb", Count: 1}
	}
	if cl.SystemPool.Name == "" {
		cl.SystemPool.Name = "system"
	}
	if len(cl.Pools) == 0 {
		cl.Pools = []NodePool{{Name: "apps", Size: "s-2vcpu-4gb", Count: 2}}
	}
	for i := range cl.Pools {
		if cl.Pools[i].Name == "" {
			cl.Pools[i].Name = "apps"
		}
	}
	if cl.Namespace == "" {
		cl.Namespace = "app"
	}
	if c.VPS != nil {
		if c.VPS.Image == "" {
			c.VPS.Image = DefaultDropletImage
		}
		if c.VPS.Proxy == "" {
			c.VPS.Proxy = "nginx"
		}
		if c.VPS.Tools == nil {
			v := true
			c.VPS.Tools = &v
		}
		if c.VPS.ToolsHost == "" {
			c.VPS.ToolsHost = "ops"
		}
		if c.VPS.Backups && c.VPS.BackupPlan == "" {
			c.VPS.BackupPlan = DefaultBackupPlan
		}
		if c.VPS.SpacesRegion == "" && offered.SpacesRegions.Has(c.Region) {
			c.VPS.SpacesRegion = c.Region
		}
	}
	if c.Monitoring == nil {
		c.Monitoring = &Monitoring{}
	}
	m := c.Monitoring
	if m.Enabled == nil {
		v := true
		m.Enabled = &v
	}
	if m.Retention == "" {
		m.Retention = "15d"
	}
	if m.Storage == "" {
		m.Storage = "20Gi"
	}
	if m.Notify == nil {
		v := prod
		m.Notify = &v
	}
	if m.UptimeLatency == 0 {
		m.UptimeLatency = DefaultUptimeLatency
	}
	if r := m.Receivers; r != nil && r.Email != "" && r.SMTPFrom == "" {
		r.SMTPFrom = "alertmanager@" + c.Domain
	}
	if len(m.Alerts) == 0 {
		m.Alerts = defaultAlerts(c.Services)
	}
	for i := range m.Alerts {
		if m.Alerts[i].For == "" {
			m.Alerts[i].For = "5m"
		}
	}
	if c.Policy == nil {
		c.Policy = &Policy{}
	}
}

func firstRoleFor(roles []Role, db string) string {
	for _, r := range roles {
		for _, d := range r.Databases {
			if d == db {
				return r.Name
			}
		}
	}
	return ""
}
