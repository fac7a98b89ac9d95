package monitoring

import (
	"fmt"
	"time"
)

// BackupMetric is the time of the newest uploaded database backup, which
// the VPS's backup.sh writes for node-exporter's textfile collector.
const BackupMetric = "infra_backup_last_success_timestamp_seconds"

// backupRules alert when the newest backup is older than the schedule
// allows (maxAge), and when no backup has been reported for that long
// (a host that never ran one, or a textfile collector that lost it).
func backupRules(maxAge time.Duration) []PromRule {
	secs := int64(maxAge.Seconds())
	allowed := fmt.Sprintf("%ds", secs)
	return []PromRule{
		{
			Alert:  "DatabaseBackupTooOld",
			Expr:   fmt.Sprintf("time() - max(%s) > %d", BackupMetric, secs),
			For:    "10m",
			Labels: map[string]string{"severity": SeverityCritical},
			Annotations: map[string]string{
				"summary":     "The newest database backup is older than its schedule allows",
				"description": fmt.Sprintf("The newest backup is {{ $value | humanizeDuration }} old; the schedule allows %s. Check `journalctl -t infra-backup` on the host, then run `infra restore-drill`.", maxAge),
			},
		},
		{
			Alert:  "DatabaseBackupMissing",
			Expr:   fmt.Sprintf("absent(%s)", BackupMetric),
			For:    allowed,
			Labels: map[string]string{"severity": SeverityCritical},
			Annotations: map[string]string{
				"summary":     "No database backup has been reported",
				"description": fmt.Sprintf("node-exporter has had no %s for %s, as long as the schedule allows between backups.", BackupMetric, maxAge),
			},
		},
	}
}
