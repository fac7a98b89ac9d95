package config

import "strings"

// Names the program takes for itself, in one place: a configured service,
// database, role or host may not take one. Where the name comes from the
// rendered output, a test renders every committed stack and checks the
// names it finds are listed here (tests/reserved_test.go).

// GrafanaHost is Grafana's name under infra:domain on both topologies.
const GrafanaHost = "grafana"

// VPSServices are the compose services the VPS topology adds itself: the
// proxy and its certificates, the database's jobs (the self-hosted server,
// its init, the dumps of either engine and their upload), and
// the host tools.
func VPSServices() []string {
	return []string{
		"proxy", "certbot", "postgres", "postgres-init", "backup-upload", "backup-pg", "volume-init",
		"cadvisor", "dozzle", "node-exporter",
	}
}

// MonitoringServices are the compose services of the monitoring on the VPS.
func MonitoringServices() []string {
	return []string{"prometheus", "alertmanager", "grafana"}
}

// reservedDatabase reports whether a database exists on every server the
// program provisions (managed or selfhosted; an external database is named
// as it is): declaring one would change its owner and grants. postgres,
// template0 and template1: initdb creates them (PostgreSQL docs, "Template
// Databases" and "Creating a Database Cluster"); defaultdb and _dodb: every
// DigitalOcean managed PostgreSQL cluster has them (DigitalOcean docs, "How
// to Add Databases to PostgreSQL Clusters").
func reservedDatabase(name string) (why string, reserved bool) {
	why, reserved = map[string]string{
		"postgres":  "PostgreSQL's maintenance database",
		"template0": "PostgreSQL's pristine template",
		"template1": "PostgreSQL's template for new databases",
		"defaultdb": "DigitalOcean's default database",
		"_dodb":     "DigitalOcean's internal database",
	}[name]
	return why, reserved
}

// reservedRole reports whether a role name belongs to the server: postgres
// is the superuser initdb creates, doadmin the admin of a DigitalOcean
// managed cluster, and the pg_ prefix is PostgreSQL's own ("Predefined
// Roles": CREATE ROLE refuses it).
func reservedRole(name string) (why string, reserved bool) {
	switch {
	case name == "postgres":
		return "PostgreSQL's superuser", true
	case name == "doadmin":
		return "the admin of a DigitalOcean managed cluster", true
	case strings.HasPrefix(name, "pg_"):
		return "the pg_ prefix is PostgreSQL's own", true
	}
	return "", false
}

// JobNames are the names a service's one-shot jobs take on a topology,
// with the config path of what declares each: the migration, and each cron
// job (compose services on the VPS, a Job and CronJobs on Kubernetes).
// They derive from the service's name, so no other service or job may
// take them.
func (s Service) JobNames(t Topology) map[string]string {
	out := map[string]string{}
	if s.Migrate != nil {
		out[s.Name+"-migrate"] = "migrate"
	}
	sep := "-"
	if t == TopologyVPS {
		sep = "-cron-"
	}
	for j, cj := range s.CronJobs {
		out[s.Name+sep+cj.Name] = index("cronJobs", j) + ".name"
	}
	return out
}
