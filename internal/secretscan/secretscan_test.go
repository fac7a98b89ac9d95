package secretscan

import (
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "DB_PASS": true, "PGPASS": false, "PASS_THROUGH": true, "BYPASS_CACHE": false,
		"JWT_SIGNING_KEY": true, "ENCRYPTION_KEY": true, "SECRET_KEY_BASE": true, "API_KEY": true, "OPENAI_APIKEY": true,
		"AWS_ACCESS_KEY": true, "GITHUB_TOKEN": true, "DB_PWD": true, "credentials": true,
		"API_KEY_REQUIRED": false, "TOKEN_TTL": false, "PASSWORD_FILE": false, "SECRET_NAME": false, "AWS_ACCESS_KEY_ID": false,
		"CACHE_KEY": false, "ASPNETCORE_ENVIRONMENT": false, "GOSSIP_FANOUT": false,
	} {
		if got := Name(name); got != want {
			t.Errorf("Name(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestValue(t *testing.T) {
	secrets := map[string]string{
		"postgresql://app:hunter2@db:5432/app":     "embedded password",
		"redis://:s3cret@redis:6379":               "",
		"Host=db;Username=app;Password=hunter2":    "connection string",
		"Server=db;Pwd=hunter2":                    "connection string",
		"-----BEGIN OPENSSH PRIVATE KEY-----":      "private key",
		"dop_v1_0123456789abcdef0123456789abcdef":  "DigitalOcean",
		"ghp_ABCDEFGHIJKLMNOPQRSTuvwxyz0123456789": "GitHub",
		"xoxb-123456789012-abcdefghijkl":           "Slack token",
		"AKIAIOSFODNN7EXAMPLE":                     "AWS",
		"sk-proj-abcdefghijklmnopqrstuvwxyz012345": "OpenAI",
		"sk-ant-api03-abcdefghijklmnopqrstuvwxyz":  "OpenAI or Anthropic",
		"sk_live_abcdefghijklmnop1234":             "Stripe",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U": "JSON Web Token",
		"q8Zr2LmX9vTbW4kNp7Yc3HsJ6fDgA1uE5oRiK0tQ":                                                     "random-looking",
	}
	for v, want := range secrets {
		if got := Value(v); !strings.Contains(got, want) || got == "" {
			t.Errorf("Value(%q) = %q, want one naming %q", v, got, want)
		}
	}
	// Plain values that must not be taken for credentials.
	for _, v := range []string{
		"Production", "true", "https://api.example.com/v1", "postgresql://db:5432/app",
		"Host=db;Username=app;Password=${DB_PASSWORD}",
		"ghcr.io/focusdeck/server:1.4.2",
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"0123456789abcdef0123456789abcdef01234567",           // a git commit
		"3f2504e0-4f89-11d3-9a0c-0305e82c3301",               // a UUID
		"ConnectionStrings__DefaultConnection_For_Reporting", // a long identifier
		"/run/secrets/db_password",
	} {
		if got := Value(v); got != "" {
			t.Errorf("Value(%q) = %q, want no finding", v, got)
		}
	}
}
