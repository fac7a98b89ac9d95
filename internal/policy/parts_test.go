package policy

import (
	"reflect"
	"strings"
	"testing"

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

func TestParseCaddyfile(t *testing.T) {
	cf := parseCaddyfile(`# the proxy
{
	email ops@example.com
	acme_ca https://acme-staging-v02.api.letsencrypt.org/directory
}

(common) {
	encode gzip
}

api.example.com, www.example.com:443 {
	import common
	reverse_proxy api:8000 {
		health_uri /health
	}
}

http://old.example.com {
	redir https://example.com{uri}
}

{$DOMAIN} {
	reverse_proxy dashboard:3000 # the UI
}
`)
	if len(cf.global) != 2 || cf.stagingCA() == "" {
		t.Errorf("global options = %q, staging CA %q", cf.global, cf.stagingCA())
	}
	var addrs [][]string
	for _, s := range cf.sites {
		addrs = append(addrs, s.addresses)
	}
	want := [][]string{{"api.example.com", "www.example.com:443"}, {"http://old.example.com"}, {"{$DOMAIN}"}}
	if !reflect.DeepEqual(addrs, want) {
		t.Errorf("sites = %q, want %q", addrs, want)
	}
	if !cf.sites[1].redirectsToHTTPS() || cf.sites[0].redirectsToHTTPS() {
		t.Error("only the http:// site is a redirect")
	}
	if got := len(cf.sites[0].body); got != 3 {
		t.Errorf("first site body = %q", cf.sites[0].body)
	}
	one := parseCaddyfile("example.com\nreverse_proxy app:8080\n")
	if len(one.sites) != 1 || one.sites[0].addresses[0] != "example.com" || len(one.sites[0].body) != 1 {
		t.Errorf("one-site Caddyfile without braces = %+v", one)
	}
	for addr, want := range map[string]struct {
		host  string
		plain bool
	}{
		"example.com":          {"example.com", false},
		"https://example.com":  {"example.com", false},
		"http://example.com":   {"example.com", true},
		"example.com:80":       {"example.com", true},
		"Example.com:8443/api": {"example.com", false},
	} {
		host, plain := caddyAddress(addr)
		if host != want.host || plain != want.plain {
			t.Errorf("caddyAddress(%q) = %q, %v; want %+v", addr, host, plain, want)
		}
	}
}

func TestProductionFromPlanJSON(t *testing.T) {
	p := &plan.Plan{Outputs: map[string]any{"environment": "production"}, Resources: []plan.Resource{
		res(typeDatabaseCluster, "db", map[string]any{"nodeCount": 1.0}),
		res(typeDatabaseFirewall, "fw", map[string]any{"rules": []any{map[string]any{"type": "tag", "value": "app"}}}),
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
