package render

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"infra/internal/vpstest"
)

// TestBackupURLsSurviveBash sources the rendered file in bash, as the
// crontab does, and reads the variables back: every byte of a password
// arrives in its own variable, none is expanded or run, and the
// connection strings hold no password.
func TestBackupURLsSurviveBash(t *testing.T) {
	urls := map[string]string{
		"shop":      "postgresql://shop_owner:p'a\"s$HOME`id`\\w;rd@private-db.example:25060/shop?sslmode=require",
		"shop_jobs": "postgresql://jobs_owner:$(touch pwned)&x=1@private-db.example:25060/shop_jobs?sslmode=require",
		// ' " $ ` \ % @ : / and spaces, percent-encoded as a URI must.
		"shop_web": "postgresql://web_owner:%27%20%22%20%24%20%60%20%5C%20%25%20%40%20%3A%20%2F@private-db.example:25060/shop_web?sslmode=require&options=-c%20statement_timeout%3D0",
	}
	vars := []string{
		"INFRA_BACKUP_URL_shop", "INFRA_BACKUP_PASSWORD_shop",
		"INFRA_BACKUP_URL_shop_jobs", "INFRA_BACKUP_PASSWORD_shop_jobs",
		"INFRA_BACKUP_URL_shop_web", "INFRA_BACKUP_PASSWORD_shop_web",
		"INFRA_BACKUP_GLOBALS_URL", "INFRA_BACKUP_GLOBALS_PASSWORD",
	}
	want := []string{
		"postgresql://shop_owner@private-db.example:25060/shop?sslmode=require", "p'a\"s$HOME`id`\\w;rd",
		"postgresql://jobs_owner@private-db.example:25060/shop_jobs?sslmode=require", "$(touch pwned)&x=1",
		"postgresql://web_owner@private-db.example:25060/shop_web?sslmode=require&options=-c%20statement_timeout%3D0", "' \" $ ` \\ % @ : /",
		"postgresql://shop_owner@private-db.example:25060/shop?sslmode=require", "p'a\"s$HOME`id`\\w;rd",
	}
	file, err := BackupURLs([]string{"shop", "shop_jobs", "shop_web"}, urls, true)
	if err != nil {
		t.Fatal(err)
	}
	got, dir := sourceBackupURLs(t, file, vars)
	if len(got) != len(want) {
		t.Fatalf("bash read %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s = %q, want %q", vars[i], got[i], want[i])
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("sourcing the file ran a command substitution")
	}
}

// An external database writes no roles file: no roles' connection
// string either. A URL without a password gives no password variable.
func TestBackupURLsWithoutGlobals(t *testing.T) {
	file, err := BackupURLs([]string{"app"}, map[string]string{"app": "postgresql://app@db.example:5432/app?sslmode=verify-full"}, false)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := sourceBackupURLs(t, file, []string{"INFRA_BACKUP_URL_app", "INFRA_BACKUP_PASSWORD_app-unset", "INFRA_BACKUP_GLOBALS_URL-unset", "INFRA_BACKUP_GLOBALS_PASSWORD-unset"})
	want := []string{"postgresql://app@db.example:5432/app?sslmode=verify-full", "unset", "unset", "unset"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("bash read %q, want %q", got, want)
	}
}

// sourceBackupURLs checks file with shellcheck, sources it in bash as the
// crontab does and prints each of vars (bash parameter expressions
// without the ${}), returning the values and the directory it ran in.
func sourceBackupURLs(t *testing.T, file string, vars []string) ([]string, string) {
	t.Helper()
	if err := vpstest.Shellcheck(t, "backup-urls.sh", file); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "backup-urls.sh")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `. "$1" && printf '%s\0'`
	for _, v := range vars {
		script += ` "${` + v + `}"`
	}
	cmd := exec.Command("bash", "-c", script, "bash", path)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/nonexistent"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00"), dir
}

// The check above can fail: the same values in double quotes (what a
// compose env file holds) do not survive bash.
func TestBackupURLsCheckFailsOnDoubleQuotes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.sh")
	if err := os.WriteFile(path, []byte("export INFRA_BACKUP_URL_shop=\"postgresql://u:$(touch pwned)@h/shop\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", `. "$1" && printf '%s' "$INFRA_BACKUP_URL_shop"`, "bash", path)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	if string(out) == "postgresql://u:$(touch pwned)@h/shop" {
		t.Fatal("double quotes kept the value; the check above would not catch an expansion")
	}
}

func TestBackupURLsRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		dbs  []string
		urls map[string]string
		want string
	}{
		"no databases":   {nil, map[string]string{}, "no databases"},
		"missing url":    {[]string{"shop", "jobs"}, map[string]string{"shop": "postgresql://x"}, `database "jobs"`},
		"empty url":      {[]string{"shop"}, map[string]string{"shop": ""}, `database "shop"`},
		"bad identifier": {[]string{"shop-x"}, map[string]string{"shop-x": "postgresql://x"}, "not an environment variable"},
		"keyword/value":  {[]string{"shop"}, map[string]string{"shop": "host=h dbname=shop password=hunter2"}, `database "shop": not a postgresql://`},
		"bad escape":     {[]string{"shop"}, map[string]string{"shop": "postgresql://u:hunter2%zz@h/shop"}, `database "shop": the password`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := BackupURLs(tc.dbs, tc.urls, true)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error quotes the password: %v", err)
			}
		})
	}
}

// With a managed cluster the crontab reads the secret file before
// backup.sh, backup.sh runs the clients in the one-shot, and no secret
// file feeds that one-shot: the connection strings stay in backup.sh's
// environment.
func TestManagedBackupWiring(t *testing.T) {
	site := managedSite()
	p, err := BuildProject(site)
	if err != nil {
		t.Fatal(err)
	}
	cron := Crontab(site, p)
	line := site.Backup.Schedule + " { . " + AppDir + "/" + BackupURLsPath + " && " + AppDir + "/backup.sh; } 2>&1 | logger -t infra-backup\n"
	if !strings.Contains(cron, line) {
		t.Errorf("crontab lacks %q:\n%s", line, cron)
	}
	svc, ok := p.File.Services[BackupPGService]
	if !ok {
		t.Fatalf("no %s service", BackupPGService)
	}
	if svc.Image != ImagePostgres("15") || len(svc.EnvFile) != 0 {
		t.Errorf("%s: image %q, env files %v", BackupPGService, svc.Image, svc.EnvFile)
	}
	if _, ok := p.File.Services[PostgresService]; ok {
		t.Errorf("a managed cluster got the self-hosted %s service", PostgresService)
	}
	script, err := BackupScript(site, "b")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(script, "docker compose run --rm --no-deps -T -e PGPASSWORD "+BackupPGService) {
		t.Error("backup.sh does not run the clients in the one-shot")
	}
	// The file's .sh suffix must not make it executable and readable.
	if m := FileMode(BackupURLsPath); m != 0o600 {
		t.Errorf("%s has mode %o, want 0600", BackupURLsPath, m)
	}
	both := managedSite()
	both.Database = fixtureSite().Database
	if _, err := BuildProject(both); err == nil {
		t.Error("a site with both databases was accepted")
	}
}
