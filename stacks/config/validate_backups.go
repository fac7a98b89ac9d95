package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"infra/internal/connstr"
)

// ManagedBackupDays is what DigitalOcean keeps of a managed PostgreSQL
// cluster, fixed by the platform: daily backups and point-in-time
// recovery for 7 days (docs.digitalocean.com/products/databases/postgresql/
// details/features; the provider's DatabaseCluster has no setting for it,
// only backupRestore to create a new cluster from one).
const ManagedBackupDays = 7

// DumpAllowance is how long a dump may take on top of the schedule's
// longest gap before the newest backup counts as missing.
const DumpAllowance = 2 * time.Hour

// DumpedOn says whether infra dumps this managed or external database on
// topology: when database.backups is set, a CronJob (kubernetes) or the
// Droplet's cron (vps) dumps it into a bucket of the stack's own
// (docs/backups.md). The self-hosted engine is always dumped.
func (d *Database) DumpedOn(topology Topology) bool {
	if d.Backups == nil {
		return false
	}
	switch d.Engine {
	case "managed", "external":
		return topology == TopologyKubernetes || topology == TopologyVPS
	}
	return false
}

// ExternalDumpPorts are the TCP ports the Kubernetes backup CronJob may
// reach an external database on (its NetworkPolicy's dump rule, on the
// internet outside the private ranges): PostgreSQL's 5432, which is also
// the port of a session pooler such as Supabase's. Not a transaction
// pooler's (Supabase's 6543): pg_dump's --snapshot wants a session of its
// own, so a dump through one cannot work. The port is in the URL, a
// secret, and a NetworkPolicy is no place for a secret's part, so
// validation refuses a URL on another port instead (docs/backups.md).
var ExternalDumpPorts = []int{5432}

// RolesDumped says whether the dumps include the roles file: not for an
// external database, whose roles are managed where it lives (infra
// declares none) and whose provider adds platform roles of its own.
func (d *Database) RolesDumped() bool { return d.Engine != "external" }

// RolesSkipped is why the dumps carry no roles file, for the manifest's
// rolesSkipped ("" when RolesDumped).
func (d *Database) RolesSkipped() string {
	if d.RolesDumped() {
		return ""
	}
	return "the " + d.Engine + " database's roles are managed where it lives"
}

// validateBackups checks database.backups (and its deprecated spelling
// backupRetentionDays): a 5-field schedule and a retention the engine can
// honour. Defaults are applied only where infra dumps.
func validateBackups(d *Database, topology Topology, p string, ps *problems) {
	bp := key(p, "backups")
	legacy := key(p, "backupRetentionDays")
	if d.BackupRetentionDays != 0 && d.Backups != nil && d.Backups.RetentionDays != 0 && d.Backups.RetentionDays != d.BackupRetentionDays {
		ps.add(legacy, "deprecated spelling of %s.retentionDays, which says %d: keep only %s.retentionDays", bp, d.Backups.RetentionDays, bp)
	}
	switch {
	case d.Engine == "selfhosted" || d.DumpedOn(topology):
		b := d.Backups
		if _, err := MaxBackupAge(b.Schedule); err != nil {
			ps.add(key(bp, "schedule"), "%v", err)
		}
		if b.RetentionDays < 1 || b.RetentionDays > 365 {
			ps.add(key(bp, "retentionDays"), "must be between 1 and 365, got %d", b.RetentionDays)
		}
		if d.Engine == "external" {
			validateExternalDumps(d, p, ps)
		}
	case d.Engine == "managed":
		why := fmt.Sprintf("DigitalOcean keeps a managed cluster's daily backups and point-in-time recovery for %d days, fixed; infra dumps a managed one only when infra:database.backups is set (docs/backups.md)", ManagedBackupDays)
		if d.Backups != nil && d.Backups.Schedule != "" {
			ps.add(key(bp, "schedule"), "cannot be honoured: %s", why)
		}
		if d.Backups != nil && d.Backups.RetentionDays != 0 && d.Backups.RetentionDays != ManagedBackupDays {
			ps.add(key(bp, "retentionDays"), "%d cannot be honoured: %s", d.Backups.RetentionDays, why)
		}
		if d.BackupRetentionDays != 0 && d.BackupRetentionDays != ManagedBackupDays {
			ps.add(legacy, "%d cannot be honoured: %s", d.BackupRetentionDays, why)
		}
	case d.Engine == "external" && d.BackupRetentionDays != 0:
		ps.add(legacy, "an external database is dumped by infra only when infra:database.backups is set; write %s.retentionDays", bp)
	}
}

// validateExternalDumps checks what dumping an external database needs:
// its URL names one database, so exactly one is listed (the name the
// manifest and the restore drill give it), and the version picks the
// pg_dump the Droplet runs and the drill's scratch server.
func validateExternalDumps(d *Database, p string, ps *problems) {
	if n := len(d.Databases); n != 1 {
		ps.add(key(p, "databases"), "an external database with infra:database.backups is the one database its URL names: list exactly one (the name the dumps and the restore drill use), got %d", n)
	}
	versions := offered.PostgresVersions.Versions()
	if d.Version != "" && !slices.Contains(versions, d.Version) {
		ps.add(key(p, "version"), "PostgreSQL %s has no pinned client image: with infra:database.backups the version is that of pg_dump and of the drill's scratch server (postgres:<version>), at least the external server's major; choose one of %s",
			d.Version, strings.Join(versions, ", "))
	}
}

// validateExternalDumpURL checks that the external URL the dumps use is a
// URI (internal/connstr): backup.sh puts it on pg_dump's command line
// without its password, which reaches pg_dump as PGPASSWORD, and only a
// URI's password is taken out. On Kubernetes its ports must be among
// ExternalDumpPorts, the only ones the CronJob's egress opens. An offline
// plan's placeholder is no URL to check. The problems never quote the
// value.
func validateExternalDumpURL(c *Config, name string, ps *problems) {
	v, ok := c.Secrets[name]
	if !ok || IsOfflinePlaceholder(v) {
		return
	}
	path := key(key(Namespace, SecretsKey), name)
	if _, _, err := connstr.SplitPassword(v); err != nil {
		ps.add(path, "with infra:database.backups the external database's URL is dumped by infra and must be a postgresql:// or postgres:// URI with any password percent-encoded: %v", err)
		return
	}
	if c.Topology != TopologyKubernetes {
		return
	}
	ports, err := connstr.Ports(v)
	if err != nil {
		ps.add(path, "with infra:database.backups the external database's URL must name its hosts as libpq reads them: %v", err)
		return
	}
	allowed := make([]string, len(ExternalDumpPorts))
	for i, p := range ExternalDumpPorts {
		allowed[i] = strconv.Itoa(p)
	}
	for _, p := range ports {
		if !slices.Contains(allowed, p) {
			ps.add(path, "with infra:database.backups on topology kubernetes the backup CronJob reaches the external database only on port %s (its NetworkPolicy; a transaction pooler's port such as Supabase's 6543 cannot serve pg_dump): the URL names another port (docs/backups.md)", strings.Join(allowed, " or "))
			return
		}
	}
}

// ParseSchedule parses a 5-field cron expression (minute hour day-of-month
// month day-of-week, UTC); descriptors such as @daily are refused so the
// crontab and a CronJob read it alike.
func ParseSchedule(s string) (cron.Schedule, error) {
	if n := len(strings.Fields(s)); n != 5 {
		return nil, fmt.Errorf("want a 5-field cron expression (minute hour day month weekday, UTC), got %q with %d fields", s, n)
	}
	sched, err := cron.ParseStandard(s)
	if err != nil {
		return nil, fmt.Errorf("not a cron expression: %q: %v", s, err)
	}
	return sched, nil
}

// MaxBackupAge is the oldest the newest backup may be under a schedule:
// the longest gap between two runs over a year (so monthly and leap-day
// schedules count) plus DumpAllowance.
func MaxBackupAge(schedule string) (time.Duration, error) {
	sched, err := ParseSchedule(schedule)
	if err != nil {
		return 0, err
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(4, 0, 0) // a leap year included
	var longest time.Duration
	prev := sched.Next(start.Add(-time.Minute))
	if prev.IsZero() || prev.After(end) {
		return 0, fmt.Errorf("schedule %q never runs", schedule)
	}
	for prev.Before(end) {
		next := sched.Next(prev)
		if next.IsZero() {
			return 0, fmt.Errorf("schedule %q never runs again after %s", schedule, prev)
		}
		if gap := next.Sub(prev); gap > longest {
			longest = gap
		}
		prev = next
	}
	return longest + DumpAllowance, nil
}
