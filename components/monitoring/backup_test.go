package monitoring

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"infra/internal/promtest"
)

// The backup alerts, run by promtool's rule unit tests on the rules file
// each platform renders: a backup 27 h old with 26 h allowed fires, 25 h
// does not; a metric missing for longer than allowed fires, a shorter gap
// does not. On the VPS the metric is backup.sh's textfile gauge; on
// Kubernetes kube-state-metrics' last successful time of the backup
// CronJob (and another CronJob's or namespace's success does not count).
// Swapped expectations must make promtool fail.
func TestBackupAlertsFireWhenTooOld(t *testing.T) {
	maxAge := 26 * time.Hour
	cases := map[string]struct {
		target Target
		series string // the fresh backup's series
		other  string // a series the rule must ignore ("" : none)
		job    string
	}{
		"vps": {Target{Platform: VPS, BackupMaxAge: maxAge},
			`infra_backup_last_success_timestamp_seconds{job="node-exporter"}`, "", "node-exporter"},
		"kubernetes": {Target{Platform: Kubernetes, Namespace: "shop", BackupCronJob: "db-backup", BackupMaxAge: maxAge},
			`kube_cronjob_status_last_successful_time{job="kube-state-metrics",namespace="shop",cronjob="db-backup"}`,
			`kube_cronjob_status_last_successful_time{job="kube-state-metrics",namespace="shop",cronjob="report"}`, "kube-state-metrics"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			testBackupAlerts(t, c.target, c.series, c.other, c.job)
		})
	}
}

func testBackupAlerts(t *testing.T, target Target, series, other, job string) {
	promtool := promtest.Promtool(t)
	doc, err := Build(nil, target)
	if err != nil {
		t.Fatal(err)
	}
	b, err := RulesFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	if out, ok := promtest.Run(t, ".", promtool, "check", "rules", writeFile(t, t.TempDir(), "check.yml", string(b))); !ok {
		t.Fatalf("promtool check rules:\n%s", out)
	}
	for _, swapped := range []bool{false, true} {
		t.Run(fmt.Sprintf("swapped=%v", swapped), func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "rules.yml", string(b))
			fires := func(alert, at string, want bool) string {
				if want == swapped {
					return fmt.Sprintf("      - {alertname: %s, eval_time: %s, exp_alerts: []}\n", alert, at)
				}
				labels := "severity: critical"
				if alert == "DatabaseBackupMissing" && target.Platform == Kubernetes {
					// absent() keeps the selector's equality matchers as labels.
					labels += ", namespace: " + target.Namespace + ", cronjob: " + target.BackupCronJob
				}
				return fmt.Sprintf("      - alertname: %s\n        eval_time: %s\n        exp_alerts:\n          - exp_labels: {%s}\n            exp_annotations: %s\n", alert, at, labels, annotations(t, doc, alert))
			}
			// The backup ran at time 0 and never again; the metric is
			// exported every minute from then on.
			tests := "rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n" +
				"  - interval: 1m\n    input_series:\n      - series: '" + series + "'\n        values: '0+0x1800'\n    alert_rule_test:\n" +
				fires("DatabaseBackupTooOld", "25h", false) +
				fires("DatabaseBackupTooOld", "27h", true) +
				fires("DatabaseBackupMissing", "27h", false) +
				"  - interval: 1m\n    input_series:\n      - series: 'up{job=\"" + job + "\"}'\n        values: '1+0x1800'\n"
			if other != "" {
				// Another CronJob succeeding every minute: not a backup.
				tests += "      - series: '" + other + "'\n        values: '0+60x1800'\n"
			}
			tests += "    alert_rule_test:\n" +
				fires("DatabaseBackupMissing", "25h", false) +
				fires("DatabaseBackupMissing", "27h", true) +
				fires("DatabaseBackupTooOld", "27h", false)
			writeFile(t, dir, "tests.yml", tests)
			out, ok := promtest.Run(t, dir, promtool, "test", "rules", "tests.yml")
			if ok == swapped {
				t.Fatalf("promtool test rules (swapped=%v) ok=%v:\n%s\n%s", swapped, ok, tests, out)
			}
		})
	}
}

// annotations renders the alert's annotations as promtool expects them
// after templating: the description's $value is the evaluated age.
func annotations(t *testing.T, doc RulesDoc, alert string) string {
	t.Helper()
	for _, r := range doc.Groups[0].Rules {
		if r.Alert != alert {
			continue
		}
		desc := r.Annotations["description"]
		// At 27 h the age is 27 h: humanizeDuration prints "1d 3h 0m 0s".
		desc = strings.Replace(desc, "{{ $value | humanizeDuration }}", "1d 3h 0m 0s", 1)
		return fmt.Sprintf("{summary: %q, description: %q}", r.Annotations["summary"], desc)
	}
	t.Fatalf("no alert %s", alert)
	return ""
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
