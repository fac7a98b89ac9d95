package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
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

// DumpedOn says whether infra dumps this managed database on topology:
// when database.backups is set, a CronJob (kubernetes) or the Droplet's
// cron (vps) dumps it into a bucket of the stack's own (docs/backups.md).
// The self-hosted engine is always dumped.
func (d *Database) DumpedOn(topology Topology) bool {
	return d.Engine == "managed" && (topology == TopologyKubernetes || topology == TopologyVPS) && d.Backups != nil
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
	case d.Engine == "external":
		if d.Backups != nil || d.BackupRetentionDays != 0 {
			path := bp
			if d.Backups == nil {
				path = legacy
			}
			ps.add(path, "an external database is backed up by whoever runs it; infra dumps only the selfhosted and managed engines")
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
