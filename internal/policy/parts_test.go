package policy

import (
	"reflect"
	"strings"
	"testing"

	"infra/internal/dotype"
	"infra/internal/plan"
)

func TestSuspiciousValues(t *testing.T) {
	generated := []string{"Zq8f2LmN0pXr7TbW"}
	cases := []struct {
		key, value string
		secret     bool
	}{
		{"", "postgres://app:hunter2@db:5432/app", true},
		{"", "Host=db;Username=app;Password=hunter2;Database=app", true},
		{"", "connection uses Zq8f2LmN0pXr7TbW as its password", true},
		{"", "dop_v1_0123456789abcdef0123456789abcdef", true},
		{"", "https://hooks.slack.com/services/T000/B000/XXXXXXXX", true},
		{"OPENAI_API_KEY", "sk-proj-abcdefghijklmnopqrstuvwx", true},
		{"SECRET_KEY_BASE", "9f8e7d6c5b4a", true},
		{"adminPassword", "changeme", true},
		// Values that only point at a secret, or are not one.
		{"", "postgres://app:[secret]@db:5432/app", false},
		{"", "postgres://app:${DB_PASSWORD}@db:5432/app", false},
		{"", "redis://redis:6379/0", false},
		{"", "postgresql://<user>:<password>@host:26257/defaultdb?sslmode=require", false},
		{"secretName", "api-tls", false},
		{"existingSecret", "grafana-admin", false},
		{"POSTGRES_PASSWORD_FILE", "/run/secrets/pg", false},
		{"tokenSecretRef", "do-token", false},
		{"PASSWORD", plan.Masked, false},
		{"PASSWORD", plan.Unknown, false},
		{"API_TOKEN", "", false},
		{"BASIC_AUTH_ENABLED", "true", false},
		{"name", "token", false},
		{"PASSWORD_MIN_LENGTH", "12", false},
		{"tokenType", "bearer", false},
		// A chart naming the key inside an existing Secret (Grafana's admin.passwordKey).
		{"passwordKey", "admin-password", false},
		{"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMIK7MDENGbPxRfiCY", true},
	}
	for _, c := range cases {
		got := suspicious(c.key, c.value, generated) != ""
		if got != c.secret {
			t.Errorf("suspicious(%q, %q) = %v, want %v", c.key, c.value, got, c.secret)
		}
	}
}

func TestJobQueueNames(t *testing.T) {
	for name, want := range map[string]bool{
		"focusdeck_jobs":                        true,
		"hangfire":                              true,
		"ConnectionStrings__HangfireConnection": true,
		"JOB_QUEUE_URL":                         true,
		"good_job":                              true,
		"workerDb":                              true,
		"focusdeck":                             false,
		"ConnectionStrings__DefaultConnection":  false,
		"DATABASE_URL":                          false,
		"jobsite":                               false,
		"queued_at":                             false,
	} {
		if got := isJobQueueName(name); got != want {
			t.Errorf("isJobQueueName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestParseNginx(t *testing.T) {
	ds, err := parseNginx(`# the proxy
events { worker_connections 1024; }
http {
    map $http_upgrade $connection_upgrade {
        default upgrade;
        '' close;
    }
    ssl_certificate /etc/letsencrypt/live/app/fullchain.pem; # every server's
    ssl_certificate_key /etc/letsencrypt/live/app/privkey.pem;
    server {
        server_name _;
        location = /.proxy-health { return 200 "ok\n"; }
        location / { return 444; }
    }
    server {
        listen [::]:80;
        listen 0.0.0.0:80;
        server_name Example.com www.example.com;
        location /.well-known/acme-challenge/ { root /var/www/acme; }
        location / { return 301 "https://$host$request_uri"; }
    }
    server {
        listen 443 ssl default_server;
        ssl_reject_handshake on;
    }
    server {
        listen *:443 ssl;
        listen 127.0.0.1:8080;
        server_name example.com;
        location /api/ { set $u http://api:8000; proxy_pass ${u}; }
    }
    server {
        listen unix:/run/status.sock;
        location / { root /srv/status; }
    }
}
`)
	if err != nil {
		t.Fatal(err)
	}
	servers := nginxServers(ds)
	if len(servers) != 5 {
		t.Fatalf("servers = %+v", servers)
	}
	catchAll, redirect, reject, app, socket := servers[0], servers[1], servers[2], servers[3], servers[4]
	if !catchAll.catchAll() || catchAll.redirects || len(catchAll.proxies) != 0 || catchAll.listens[0].String() != "80" {
		t.Errorf("catch-all (no listen: nginx's *:80) = %+v", catchAll)
	}
	if !reflect.DeepEqual(redirect.names, []string{"example.com", "www.example.com"}) || !redirect.redirects || len(redirect.proxies) != 0 || redirect.catchAll() {
		t.Errorf("redirect server = %+v; the ACME webroot is not content", redirect)
	}
	if got := []string{redirect.listens[0].String(), redirect.listens[1].String()}; !reflect.DeepEqual(got, []string{"[::]:80", "0.0.0.0:80"}) {
		t.Errorf("listens = %q", got)
	}
	if !reject.rejectsTLS || !reject.defaultServer || !reject.listens[0].ssl {
		t.Errorf("reject server = %+v", reject)
	}
	if !app.certificate || !app.listens[0].ssl || app.listens[0].local || !app.listens[1].local || app.listens[1].port != 8080 {
		t.Errorf("app server (certificate from http, a loopback listener) = %+v", app)
	}
	if want := []string{"location /api/: proxy_pass ${u}"}; !reflect.DeepEqual(app.proxies, want) {
		t.Errorf("app content = %q, want %q", app.proxies, want)
	}
	if !socket.listens[0].local || len(socket.proxies) != 1 {
		t.Errorf("unix socket server = %+v", socket)
	}

	for name, text := range map[string]string{
		"unclosed block":     "http { server { listen 80; }",
		"stray brace":        "http { } }",
		"missing semicolon":  "http { server_tokens off }",
		"unterminated quote": "http { return 200 \"ok; }",
	} {
		if _, err := parseNginx(text); err == nil {
			t.Errorf("%s: parsed without an error", name)
		}
	}

	for _, c := range []struct {
		name, host string
		want       bool
	}{
		{"example.com", "example.com", true},
		{"*.example.com", "api.example.com", true},
		{"*.example.com", "example.com", false},
		{".example.com", "example.com", true},
		{".example.com", "a.b.example.com", true},
		{"www.*", "www.example.com", true},
		{"~^(api|www)\\.example\\.com$", "api.example.com", true},
		{"~^www\\.", "api.example.com", false},
		{"api.example.com", "example.com", false},
	} {
		if got := nginxHostMatches(c.name, c.host); got != c.want {
			t.Errorf("nginxHostMatches(%q, %q) = %v, want %v", c.name, c.host, got, c.want)
		}
	}
}

func TestCertbotStaging(t *testing.T) {
	for script, want := range map[string]string{
		"certbot_args=(--non-interactive --test-cert -d a.example.com)\n":           "--test-cert",
		"certbot certonly --staging\n":                                              "--staging",
		"certbot --server=https://acme-staging-v02.api.letsencrypt.org/directory\n": "https://acme-staging-v02.api.letsencrypt.org/directory",
		"certbot --server https://acme-staging-v02.api.letsencrypt.org/directory\n": "https://acme-staging-v02.api.letsencrypt.org/directory",
		"# for a test, add --test-cert\ncertbot certonly -d a.example.com\n":        "",
	} {
		if got := certbotStaging(script); got != want {
			t.Errorf("certbotStaging(%q) = %q, want %q", script, got, want)
		}
	}
}

func TestProductionFromPlanJSON(t *testing.T) {
	p := &plan.Plan{Outputs: map[string]any{"environment": "production"}, Resources: []plan.Resource{
		res(dotype.DatabaseCluster, "db", map[string]any{"nodeCount": 1.0}),
		res(dotype.DatabaseFirewall, "fw", map[string]any{"rules": []any{map[string]any{"type": "tag", "value": "app"}}}),
	}}
	p.Resources[1].Dependencies = []string{p.Resources[0].URN}
	rep := Evaluate(p)
	if got := violations(rep, RuleProdDatabaseHA); len(got) != 2 {
		t.Errorf("a plan read back from JSON is still checked as production: %+v", rep.Violations)
	}
	if got := violations(rep, RuleDatabasePublic); len(got) != 0 {
		t.Errorf("the firewall guards the cluster through its dependency: %+v", got)
	}
}

// The plaintext check knows what an encrypted value becomes offline.
func TestOfflinePlaceholderPrefix(t *testing.T) {
	raw := readStack(t, "config:\n  infra:secrets:\n    api-key:\n      secure: v1:AAAAAAAAAAAAAAAAYXBpLWtleQ==\n")
	secrets, _ := raw.Values["secrets"].(map[string]any)
	v, _ := secrets["api-key"].(string)
	if !strings.HasPrefix(v, offlinePlaceholder) {
		t.Fatalf("offline value %q does not start with %q", v, offlinePlaceholder)
	}
	if suspicious("", "url="+v, nil) == "" {
		t.Error("an unmasked offline secret must be flagged")
	}
}
