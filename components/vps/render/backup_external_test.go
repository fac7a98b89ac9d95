package render

import (
	"strings"
	"testing"
)

// An external database is dumped like a managed cluster (the one-shot,
// the secret file read by the crontab's line) but without the roles
// file: backup.sh never runs pg_dumpall and writes the reason into the
// manifest, and the drill rendered for it does not ask for roles. The
// managed rendering of the same site keeps both (tests/backup runs them).
func TestExternalBackupHasNoRolesFile(t *testing.T) {
	for name, c := range map[string]struct {
		site  Site
		roles bool
	}{
		"external": {externalSite(), false},
		"managed":  {managedSite(), true},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := BuildProject(c.site)
			if err != nil {
				t.Fatal(err)
			}
			line := c.site.Backup.Schedule + " { . " + AppDir + "/" + BackupURLsPath + " && " + AppDir + "/backup.sh; } 2>&1 | logger -t infra-backup\n"
			if cron := Crontab(c.site, p); !strings.Contains(cron, line) {
				t.Errorf("crontab lacks %q:\n%s", line, cron)
			}
			if _, ok := p.File.Services[BackupPGService]; !ok {
				t.Errorf("no %s service", BackupPGService)
			}
			backup, err := BackupScript(c.site, "b")
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(backup, "pg_dumpall --globals-only"); got != c.roles {
				t.Errorf("backup.sh runs pg_dumpall --globals-only: %v, want %v", got, c.roles)
			}
			if got := strings.Contains(backup, `"rolesSkipped":%s`); got == c.roles {
				t.Errorf("backup.sh writes rolesSkipped: %v, want %v", got, !c.roles)
			}
			drill, err := RestoreDrillScript(c.site, "b")
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(drill, "lists no roles file"); got != c.roles {
				t.Errorf("the drill requires the roles file: %v, want %v", got, c.roles)
			}
		})
	}
}
