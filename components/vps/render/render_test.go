package render

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"infra/internal/vpstest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// testCertDir writes a self-signed certificate where nginx -t expects
// certbot's, since nginx loads certificates while checking.
func testCertDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"shop.example.com"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{"fullchain.pem": {Type: "CERTIFICATE", Bytes: der}, "privkey.pem": {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestNginxConfigPassesNginxT(t *testing.T) {
	certs := testCertDir(t)
	for name, site := range map[string]Site{"fixture": fixtureSite(), "minimal": minimalSite()} {
		t.Run(name, func(t *testing.T) {
			conf, err := Nginx(site, certs)
			if err != nil {
				t.Fatal(err)
			}
			if err := vpstest.Nginx(t, conf); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNginxConfigContent(t *testing.T) {
	conf, err := Nginx(fixtureSite(), CertDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"limit_req_zone $binary_remote_addr zone=perclient:10m rate=600r/m;",
		"limit_req zone=perclient burst=100 nodelay;",
		"limit_req_status 429;",
		"return 301 https://$host$request_uri;",
		"location /.well-known/acme-challenge/ {",
		`add_header Strict-Transport-Security "max-age=31536000" always;`,
		`add_header X-Content-Type-Options "nosniff" always;`,
		`add_header X-Frame-Options "SAMEORIGIN" always;`,
		`add_header Referrer-Policy "strict-origin-when-cross-origin" always;`,
		"ssl_certificate /etc/letsencrypt/live/app/fullchain.pem;",
		"ssl_reject_handshake on;",
		// Prefix semantics: /api and /api/..., never /apix.
		"location = /api {", "location /api/ {",
		"set $upstream http://api:8080;",
		"server_name ops.shop.example.com;",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx.conf lacks %q", want)
		}
	}
	// Every route of the ops host is behind basic auth; none of the shop's.
	for _, block := range strings.Split(conf, "    server {")[1:] {
		ops := strings.Contains(block, "server_name ops.shop.example.com;")
		locations := strings.Count(block, "set $upstream")
		auths := strings.Count(block, "auth_basic_user_file /etc/nginx/infra/htpasswd-")
		if ops && auths != locations {
			t.Errorf("ops host: %d of %d locations authenticated", auths, locations)
		}
		if !ops && auths != 0 {
			t.Errorf("a public host has basic auth:\n%s", block)
		}
	}
	if strings.Contains(conf, "limit_req") != true {
		t.Error("rate limiting missing")
	}
	minimal, err := Nginx(minimalSite(), CertDir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(minimal, "ssl_certificate") || strings.Contains(minimal, "limit_req") {
		t.Errorf("a site without routes needs no certificate or limits:\n%s", minimal)
	}
}

// nginx -t is a real check: these broken configurations fail it.
func TestNginxCheckFailsOnBrokenConfig(t *testing.T) {
	certs := testCertDir(t)
	good, err := Nginx(fixtureSite(), certs)
	if err != nil {
		t.Fatal(err)
	}
	for name, broken := range map[string]string{
		"rate limit zone missing": strings.Replace(good, "limit_req_zone", "# limit_req_zone", 1),
		"unbalanced braces":       strings.TrimSuffix(strings.TrimSpace(good), "}"),
		"certificate missing":     strings.ReplaceAll(good, certs, filepath.Join(certs, "nowhere")),
		"unknown directive":       strings.Replace(good, "server_tokens off;", "server_tokens off; rate_limit 10r/s;", 1),
	} {
		t.Run(name, func(t *testing.T) {
			if err := vpstest.Nginx(t, broken); err == nil {
				t.Fatal("nginx -t accepted the broken configuration")
			} else {
				t.Logf("rejected as expected: %v", err)
			}
		})
	}
}

func TestCloudInitPassesSchema(t *testing.T) {
	userData, err := CloudInit()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(userData, "#cloud-config\n") {
		t.Fatalf("user data must start with #cloud-config:\n%.40s", userData)
	}
	if err := vpstest.CloudInit(t, userData); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"name: deploy", "- docker", "disable_root: true", "ssh_pwauth: false", "PermitRootLogin no", "PasswordAuthentication no",
		"- docker.io", "- docker-compose-v2", "- fail2ban", "- unattended-upgrades",
		`"max-size": "10m"`, "infra-swap.service", "APT::Periodic::Unattended-Upgrade \"1\";",
	} {
		if !strings.Contains(userData, want) {
			t.Errorf("cloud-init lacks %q", want)
		}
	}
}

// cloud-init's checks are real: these broken documents fail them.
func TestCloudInitCheckFailsOnBrokenInput(t *testing.T) {
	good, err := CloudInit()
	if err != nil {
		t.Fatal(err)
	}
	for name, broken := range map[string]string{
		"wrong type":     strings.Replace(good, "package_update: true", "package_update: 5", 1),
		"deprecated key": strings.Replace(good, "ssh_pwauth: false", "ssh_pwauth: \"no\"", 1),
		"unknown key":    good + "packges: [htop]\n",
	} {
		t.Run(name, func(t *testing.T) {
			if err := vpstest.CloudInit(t, broken); err == nil {
				t.Fatal("cloud-init accepted the broken user data")
			} else {
				t.Logf("rejected as expected: %v", err)
			}
		})
	}
}

// scripts renders every script of a site.
func scripts(t *testing.T, site Site) map[string]string {
	t.Helper()
	p, err := BuildProject(site)
	if err != nil {
		t.Fatal(err)
	}
	deploy, err := DeployScript(site, p)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{"deploy.sh": deploy, "run-nginx.sh": NginxRunScript, "renew.sh": RenewScript, "infra-swap.sh": SwapScript, "receive.sh": ReceiveScript}
	if site.Backup != nil {
		backup, err := BackupScript(site, "shop-prod-backups-abc123")
		if err != nil {
			t.Fatal(err)
		}
		out["backup.sh"] = backup
		drill, err := RestoreDrillScript(site, "shop-prod-backups-abc123")
		if err != nil {
			t.Fatal(err)
		}
		out["restore-drill.sh"] = drill
	}
	return out
}

func TestScriptsPassShellcheck(t *testing.T) {
	odd := fixtureSite()
	odd.TLS = TLS{Email: "o'brien@shop.example.com"}
	for name, site := range map[string]Site{"fixture": fixtureSite(), "minimal": minimalSite(), "quote in email": odd, "managed": managedSite(), "external": externalSite()} {
		for script, content := range scripts(t, site) {
			t.Run(name+"/"+script, func(t *testing.T) {
				if err := vpstest.Shellcheck(t, script, content); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// shellcheck is a real check: it fails a script with an unquoted expansion.
func TestShellcheckFailsOnBrokenScript(t *testing.T) {
	broken := strings.Replace(SwapScript, "set -euo pipefail\n", "set -euo pipefail\nrm -rf $1/*\n", 1)
	if broken == SwapScript {
		t.Fatal("the mutation did not apply")
	}
	if err := vpstest.Shellcheck(t, "swap.sh", broken); err == nil {
		t.Fatal("shellcheck accepted an unquoted expansion")
	} else {
		t.Logf("rejected as expected: %v", err)
	}
}

func TestReceiveCommandIsTheScriptsLastLine(t *testing.T) {
	cmd := ReceiveCommand()
	if !strings.HasPrefix(cmd, "set -euo pipefail;") || !strings.Contains(cmd, `bash "$staging/deploy.sh" "$staging"`) {
		t.Errorf("receive command = %q", cmd)
	}
}

// TestGolden pins the rendered files of the fixture; -update rewrites them.
func TestGolden(t *testing.T) {
	site := fixtureSite()
	p, err := BuildProject(site)
	if err != nil {
		t.Fatal(err)
	}
	compose, err := p.Render()
	if err != nil {
		t.Fatal(err)
	}
	nginx, err := Nginx(site, CertDir)
	if err != nil {
		t.Fatal(err)
	}
	userData, err := CloudInit()
	if err != nil {
		t.Fatal(err)
	}
	files := scripts(t, site)
	files["compose.yaml"] = compose
	files["nginx.conf"] = nginx
	files["cloud-init.yaml"] = userData
	files["crontab"] = Crontab(site, p)
	for name, got := range files {
		path := filepath.Join("testdata", "fixture", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./components/vps/render -update)", err)
		}
		if string(want) != got {
			t.Errorf("%s differs from its golden file; review and run go test ./components/vps/render -update", name)
		}
	}
}
