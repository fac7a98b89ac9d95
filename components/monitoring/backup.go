package monitoring

import (
	"fmt"
	"time"
)

// BackupMetric is the time of the newest uploaded database backup, which
// the VPS's backup.sh writes for node-exporter's textfile collector.
const BackupMetric = "infra_backup_last_success_timestamp_seconds"

// CronJobSuccessMetric is kube-state-metrics' time of a CronJob's last
// successful run (status.lastSuccessfulTime; absent until one succeeded).
const CronJobSuccessMetric = "kube_cronjob_status_last_successful_time"

const vpsBackupHint = "Check `journalctl -t infra-backup` on the host, then run `infra restore-drill`."

// backupRules alert when the newest backup (series, a Unix time) is older
// than the schedule allows (maxAge), and when no backup has been reported
// for that long (a host that never ran one, a textfile collector that
// lost it, a CronJob that never succeeded). source exports series.
func backupRules(series, source string, maxAge time.Duration, hint string) []PromRule {
	secs := int64(maxAge.Seconds())
	allowed := fmt.Sprintf("%ds", secs)
	return []PromRule{
		{
			Alert:  "DatabaseBackupTooOld",
			Expr:   fmt.Sprintf("time() - max(%s) > %d", series, secs),
			For:    "10m",
			Labels: map[string]string{"severity": SeverityCritical},
			Annotations: map[string]string{
				"summary":     "The newest database backup is older than its schedule allows",
				"description": fmt.Sprintf("The newest backup is {{ $value | humanizeDuration }} old; the schedule allows %s. %s", maxAge, hint),
			},
		},
		{
			Alert:  "DatabaseBackupMissing",
			Expr:   fmt.Sprintf("absent(%s)", series),
			For:    allowed,
			Labels: map[string]string{"severity": SeverityCritical},
			Annotations: map[string]string{
				"summary":     "No database backup has been reported",
				"description": fmt.Sprintf("%s has had no %s for %s, as long as the schedule allows between backups.", source, series, maxAge),
			},
		},
	}
}
