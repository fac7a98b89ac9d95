package cli

import (
	"fmt"

	"infra/stacks/config"
)

// backupSummary says in one line who backs the stack's database up, how
// often and for how long, and where each figure comes from.
func backupSummary(cfg *config.Config) string {
	d := cfg.Database
	if d == nil {
		return ""
	}
	switch {
	case d.Engine == "external" && d.DumpedOn(cfg.Topology):
		b := d.Backups
		maxAge, err := config.MaxBackupAge(b.Schedule)
		if err != nil {
			return fmt.Sprintf("Backups: %v", err)
		}
		by := "the CronJob db-backup"
		if cfg.Topology == config.TopologyVPS {
			by = "the Droplet's cron"
		}
		return fmt.Sprintf("Backups: what the external database's provider keeps is the provider's business; infra's own: pg_dump of the database its URL names, with a manifest and no roles file, by %s to the stack's Spaces bucket on %q (UTC), kept %d days (infra:database.backups); alerts and `infra restore-drill` fail when the newest is older than %s (docs/backups.md).",
			by, b.Schedule, b.RetentionDays, maxAge)
	case d.DumpedOn(cfg.Topology):
		b := d.Backups
		maxAge, err := config.MaxBackupAge(b.Schedule)
		if err != nil {
			return fmt.Sprintf("Backups: %v", err)
		}
		by := "the CronJob db-backup"
		if cfg.Topology == config.TopologyVPS {
			by = "the Droplet's cron"
		}
		return fmt.Sprintf("Backups: DigitalOcean's own for the managed cluster (daily, point-in-time recovery, %d days, fixed), and pg_dump of %d databases with a manifest by %s to the stack's Spaces bucket on %q (UTC), kept %d days (infra:database.backups); an alert fires when the newest is older than %s (docs/backups.md).",
			config.ManagedBackupDays, len(d.Databases), by, b.Schedule, b.RetentionDays, maxAge)
	case d.Engine == "selfhosted":
		b := d.Backups
		maxAge, err := config.MaxBackupAge(b.Schedule)
		if err != nil {
			return fmt.Sprintf("Backups: %v", err)
		}
		return fmt.Sprintf("Backups: pg_dump of %d databases with a manifest to the stack's Spaces bucket on %q (UTC), kept %d days (infra:database.backups); alerts and `infra restore-drill` fail when the newest is older than %s (docs/backups.md).",
			len(d.Databases), b.Schedule, b.RetentionDays, maxAge)
	case d.Engine == "managed":
		how := "set infra:database.backups for dumps of infra's own"
		return fmt.Sprintf("Backups: DigitalOcean's own for the managed cluster: daily, with point-in-time recovery, kept %d days (fixed by the platform, not configurable); %s (docs/backups.md).", config.ManagedBackupDays, how)
	}
	return "Backups: the external database is backed up by whoever runs it; infra makes none (set infra:database.backups on the vps topology for dumps of infra's own)."
}
