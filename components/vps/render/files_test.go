package render

import (
	"maps"
	"slices"
	"testing"
)

func TestFiles(t *testing.T) {
	for name, tc := range map[string]struct {
		site Site
		want []string
	}{
		"fixture": {fixtureSite(), []string{"certbot/renew.sh", "compose.yaml", "crontab", "deploy.sh", "proxy/nginx.conf", "proxy/run.sh"}},
		// No route, no certificate to renew.
		"minimal": {minimalSite(), []string{"compose.yaml", "crontab", "deploy.sh", "proxy/nginx.conf", "proxy/run.sh"}},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := BuildProject(tc.site)
			if err != nil {
				t.Fatal(err)
			}
			files, err := Files(tc.site, p)
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Sorted(maps.Keys(files)); !slices.Equal(got, tc.want) {
				t.Errorf("files = %v, want %v", got, tc.want)
			}
			nginx, err := Nginx(tc.site, CertDir)
			if err != nil {
				t.Fatal(err)
			}
			if files["proxy/nginx.conf"] != nginx {
				t.Error("proxy/nginx.conf is not the site's nginx.conf with the host's certificate")
			}
		})
	}
}

func TestFileMode(t *testing.T) {
	for path, want := range map[string]int64{
		AdminPasswordPath("admin"): 0o600,
		EnvFilePath("api"):         0o600,
		"deploy.sh":                0o755,
		"certbot/renew.sh":         0o755,
		"compose.yaml":             0o644,
		RolesSQLPath:               0o644,
	} {
		if got := FileMode(path); got != want {
			t.Errorf("FileMode(%q) = %o, want %o", path, got, want)
		}
	}
}
