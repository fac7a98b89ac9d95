package render

import "strings"

// Files of the project the component fills in from Pulumi values, besides
// the services' env files (EnvFilePath) and backup.sh, which names the
// bucket.
const (
	// RolesSQLPath is the self-hosted database's role and database script.
	RolesSQLPath = "postgres/roles.sql"
)

// AdminPasswordPath (secret) is the password of a basic-auth realm, which
// deploy.sh hashes into the realm's htpasswd (see AuthRealms).
func AdminPasswordPath(realm string) string { return "secrets/admin-password-" + realm }

// Files are the project's files that hold no secret and need no Pulumi
// value, by path under AppDir: the compose file, the proxy's configuration
// and run script, deploy.sh, the crontab, and certbot's renewal loop when
// a route needs a certificate.
func Files(site Site, p *Project) (map[string]string, error) {
	routes, err := site.Routes()
	if err != nil {
		return nil, err
	}
	compose, err := p.Render()
	if err != nil {
		return nil, err
	}
	nginx, err := Nginx(site, CertDir)
	if err != nil {
		return nil, err
	}
	deploy, err := DeployScript(site, p)
	if err != nil {
		return nil, err
	}
	files := map[string]string{
		"compose.yaml":     compose,
		"proxy/nginx.conf": nginx,
		"proxy/run.sh":     NginxRunScript,
		"deploy.sh":        deploy,
		"crontab":          Crontab(site, p),
	}
	if len(routes) > 0 {
		files["certbot/renew.sh"] = RenewScript
	}
	return files, nil
}

// FileMode is a project file's mode: secrets for the deploy user only,
// scripts executable, the rest readable by the containers' users.
func FileMode(path string) int64 {
	switch {
	case strings.HasPrefix(path, "secrets/"):
		return 0o600
	case strings.HasSuffix(path, ".sh"):
		return 0o755
	}
	return 0o644
}
