package cli

import (
	"strings"
	"testing"

	"infra/stacks/config"
)

// The plan's backup line names who dumps what, per topology and engine:
// a managed database is dumped (by the Kubernetes CronJob or the
// Droplet's cron) only when database.backups is set.
func TestBackupSummary(t *testing.T) {
	hourly := &config.Backups{Schedule: "0 * * * *", RetentionDays: 7}
	db := func(engine string, b *config.Backups) *config.Database {
		return &config.Database{Engine: engine, Backups: b, Databases: []config.DatabaseEntry{{Name: "jarvis"}}}
	}
	cases := map[string]struct {
		cfg       config.Config
		want, not string
	}{
		"kubernetes dumps":          {config.Config{Topology: config.TopologyKubernetes, Database: db("managed", hourly)}, `CronJob db-backup to the stack's Spaces bucket on "0 * * * *"`, "no dumps"},
		"kubernetes no backups":     {config.Config{Topology: config.TopologyKubernetes, Database: db("managed", nil)}, "set infra:database.backups", "CronJob"},
		"vps managed":               {config.Config{Topology: config.TopologyVPS, Database: db("managed", nil)}, "set infra:database.backups", "cron"},
		"vps managed dumps":         {config.Config{Topology: config.TopologyVPS, Database: db("managed", hourly)}, `the Droplet's cron to the stack's Spaces bucket on "0 * * * *"`, "CronJob"},
		"vps external dumps":        {config.Config{Topology: config.TopologyVPS, Database: db("external", hourly)}, `the provider's business; infra's own: pg_dump of the database its URL names, with a manifest and no roles file, by the Droplet's cron to the stack's Spaces bucket on "0 * * * *"`, "DigitalOcean"},
		"kubernetes external dumps": {config.Config{Topology: config.TopologyKubernetes, Database: db("external", hourly)}, `with a manifest and no roles file, by the CronJob db-backup to the stack's Spaces bucket on "0 * * * *"`, "Droplet"},
		"vps external":              {config.Config{Topology: config.TopologyVPS, Database: db("external", nil)}, "backed up by whoever runs it", "cron"},
		"vps selfhosted":            {config.Config{Topology: config.TopologyVPS, Database: db("selfhosted", &config.Backups{Schedule: "30 3 * * *", RetentionDays: 7})}, "restore-drill", "CronJob"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := backupSummary(&c.cfg)
			if !strings.Contains(got, c.want) || strings.Contains(got, c.not) {
				t.Errorf("summary %q: want %q, not %q", got, c.want, c.not)
			}
		})
	}
}
