package render

import (
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"

	"infra/internal/connstr"
)

// embedded holds the scripts and the templates: nginx.conf's and the
// rendered scripts'.
//
//go:embed scripts nginx.conf.tmpl
var embedded embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{"q": shellQuote}).ParseFS(embedded, "scripts/*.tmpl", "nginx.conf.tmpl"))

func staticScript(name string) string {
	b, err := embedded.ReadFile("scripts/" + name)
	if err != nil {
		panic(fmt.Sprintf("embedded script %s: %v", name, err)) // embedded at build time
	}
	return string(b)
}

// The scripts that need no rendering.
var (
	// NginxRunScript runs nginx and reloads it for renewed certificates.
	NginxRunScript = staticScript("run-nginx.sh")
	// RenewScript is certbot's renewal loop.
	RenewScript = staticScript("renew.sh")
	// SwapScript sizes the swap file to memory (host, from cloud-init).
	SwapScript = staticScript("swap.sh")
	// ReceiveScript unpacks the project sent over SSH and runs deploy.sh.
	ReceiveScript = staticScript("receive.sh")
)

// ReceiveCommand is ReceiveScript as the one command line the SSH session
// runs (its last line).
func ReceiveCommand() string {
	lines := strings.Split(strings.TrimSpace(ReceiveScript), "\n")
	return lines[len(lines)-1]
}

func execute(name string, data any) (string, error) {
	var b strings.Builder
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return b.String(), nil
}

// DeployScript renders deploy.sh for a site and its project.
func DeployScript(site Site, p *Project) (string, error) {
	return deployScript(site, p, AppDir)
}

func deployScript(site Site, p *Project, appDir string) (string, error) {
	routes, err := site.Routes()
	if err != nil {
		return "", err
	}
	issuer := "letsencrypt-prod"
	if site.TLS.Staging {
		issuer = "letsencrypt-staging"
	}
	return execute("deploy.sh.tmpl", map[string]any{
		"AppDir":              appDir,
		"Domains":             routeHosts(routes),
		"CertName":            CertName,
		"Issuer":              issuer,
		"Staging":             site.TLS.Staging,
		"Email":               site.TLS.Email,
		"AuthRealms":          AuthRealms(routes),
		"Postgres":            site.Database != nil,
		"VolumeInit":          p.VolumeInit,
		"Jobs":                p.Jobs,
		"AfterUp":             p.AfterUp,
		"MountHashes":         p.MountHashes,
		"ProxyService":        ProxyService,
		"CertbotService":      CertbotService,
		"PostgresService":     PostgresService,
		"PostgresInitService": PostgresInitService,
		"VolumeInitService":   VolumeInitService,
		"Registries":          site.Registries,
	})
}

// DeployInput is the deploy command's stdin: the registry passwords on the
// first line, base64 and space-separated in the order of Site.Registries
// (receive.sh hands that line to deploy.sh on a pipe), then the encoded
// bundle. Without registries the first line is empty.
func DeployInput(registryPasswords []string, bundle string) string {
	encoded := make([]string, len(registryPasswords))
	for i, p := range registryPasswords {
		encoded[i] = base64.StdEncoding.EncodeToString([]byte(p))
	}
	return strings.Join(encoded, " ") + "\n" + bundle
}

// BackupScript renders backup.sh, which dumps every database and uploads
// the dumps and their manifest to bucket.
func BackupScript(site Site, bucket string) (string, error) {
	data, err := backupData(site, bucket)
	if err != nil {
		return "", fmt.Errorf("backup.sh: %w", err)
	}
	return execute("backup.sh.tmpl", data)
}

// RestoreDrillScript renders restore-drill.sh, which restores the newest
// backup in bucket into a scratch server and checks it against its
// manifest.
func RestoreDrillScript(site Site, bucket string) (string, error) {
	data, err := backupData(site, bucket)
	if err != nil {
		return "", fmt.Errorf("restore-drill.sh: %w", err)
	}
	return execute("restore-drill.sh.tmpl", data)
}

// RowCountsSQL counts the rows of every table of a database into one JSON
// object ("schema.table": rows): backup.sh runs it in pg_dump's snapshot,
// restore-drill.sh in the restored copy.
var RowCountsSQL = strings.TrimSpace(staticScript("rowcounts.sql"))

// TextfileDir is where backup.sh leaves its metric for node-exporter's
// textfile collector (on the host; node-exporter sees it under /host).
const TextfileDir = AppDir + "/textfile"

func backupData(site Site, bucket string) (map[string]any, error) {
	b := site.Backup
	db, prefix := site.Database, "docker compose exec -T --user postgres "+PostgresService
	if site.Managed != nil {
		// -e PGPASSWORD by name: compose takes the value from its own
		// environment, so no command line holds it.
		db, prefix = site.Managed, "docker compose run --rm --no-deps -T -e PGPASSWORD "+BackupPGService
	}
	if b == nil || db == nil {
		return nil, fmt.Errorf("needs the self-hosted database or a managed cluster, and the backup settings")
	}
	if b.MaxAge <= 0 {
		return nil, fmt.Errorf("needs the oldest acceptable backup age, got %s", b.MaxAge)
	}
	rolesSkipped := ""
	if b.RolesSkipped != "" {
		j, err := json.Marshal(b.RolesSkipped)
		if err != nil {
			return nil, fmt.Errorf("why the roles are not dumped: %w", err)
		}
		rolesSkipped = string(j)
	}
	textfile := ""
	if site.Tools {
		textfile = TextfileDir
	}
	return map[string]any{
		"AppDir":        AppDir,
		"Bucket":        bucket,
		"Endpoint":      SpacesEndpoint(b.Region),
		"Schedule":      b.Schedule,
		"RetentionDays": b.RetentionDays,
		"MaxAgeSeconds": int64(b.MaxAge.Seconds()),
		"Databases":     db.Databases,
		"Version":       db.Version,
		"Image":         ImagePostgres(db.Version),
		"BackupService": BackupService,
		"PGPrefix":      prefix,
		"TextfileDir":   textfile,
		"RowCounts":     RowCountsSQL,
		"RolesSkipped":  rolesSkipped,
	}, nil
}

// Crontab renders the deploy user's crontab: the nightly backup and
// the services' cron jobs, each logged to the journal.
func Crontab(site Site, p *Project) string {
	var b strings.Builder
	b.WriteString("# Generated by infra; deploy.sh installs it as the deploy user's crontab.\n")
	b.WriteString("SHELL=/bin/bash\nPATH=/usr/local/bin:/usr/bin:/bin\n")
	switch {
	case site.Backup != nil && site.Managed != nil:
		// The owners' connection strings reach backup.sh only through its
		// environment, read from the secret file at each run.
		fmt.Fprintf(&b, "%s { . %s/%s && %s/backup.sh; } 2>&1 | logger -t infra-backup\n", site.Backup.Schedule, AppDir, BackupURLsPath, AppDir)
	case site.Backup != nil:
		fmt.Fprintf(&b, "%s %s/backup.sh 2>&1 | logger -t infra-backup\n", site.Backup.Schedule, AppDir)
	}
	for _, c := range p.Cron {
		fmt.Fprintf(&b, "%s cd %s && docker compose run --rm -T %s 2>&1 | logger -t infra-%s\n", c.Schedule, AppDir, c.Service, c.Service)
	}
	return b.String()
}

// BackupURLsPath is the secret file that gives backup.sh the connection
// strings of a managed cluster or an external database (BackupURLs).
const BackupURLsPath = "secrets/backup-urls.sh"

// BackupURLs renders BackupURLsPath: bash that exports, for each
// database, INFRA_BACKUP_URL_<db> (its owner's connection string from
// urls, without the password) and INFRA_BACKUP_PASSWORD_<db> (the
// password), and, when globals is set, INFRA_BACKUP_GLOBALS_URL and
// INFRA_BACKUP_GLOBALS_PASSWORD (the first database's: pg_dumpall
// --globals-only reads the roles through it). The connection strings go
// on pg_dump's and psql's command lines, readable by every user of the
// host; the passwords only reach their environment (PGPASSWORD).
// Values are single-quoted, so no byte of a password is expanded.
func BackupURLs(databases []string, urls map[string]string, globals bool) (string, error) {
	if len(databases) == 0 {
		return "", fmt.Errorf("%s: no databases", BackupURLsPath)
	}
	var b strings.Builder
	b.WriteString("# Written by infra from Pulumi secrets. Do not edit; do not copy.\n")
	// The values are literal on purpose: a `$` in a password is a `$`.
	b.WriteString("# shellcheck shell=bash disable=SC2016\n")
	export := func(urlVar, passwordVar, raw string) error {
		uri, password, err := connstr.SplitPassword(raw)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "export %s=%s\n", urlVar, shellQuote(uri))
		if password != "" {
			fmt.Fprintf(&b, "export %s=%s\n", passwordVar, shellQuote(password))
		}
		return nil
	}
	for _, db := range databases {
		u, ok := urls[db]
		if !ok || u == "" {
			return "", fmt.Errorf("%s: no connection string for database %q", BackupURLsPath, db)
		}
		if !envKey.MatchString(db) {
			return "", fmt.Errorf("%s: database name %q is not an environment variable suffix", BackupURLsPath, db)
		}
		if err := export("INFRA_BACKUP_URL_"+db, "INFRA_BACKUP_PASSWORD_"+db, u); err != nil {
			return "", fmt.Errorf("%s: the connection string of database %q: %w", BackupURLsPath, db, err)
		}
	}
	if globals {
		if err := export("INFRA_BACKUP_GLOBALS_URL", "INFRA_BACKUP_GLOBALS_PASSWORD", urls[databases[0]]); err != nil {
			return "", fmt.Errorf("%s: the roles' connection string: %w", BackupURLsPath, err)
		}
	}
	return b.String(), nil
}
