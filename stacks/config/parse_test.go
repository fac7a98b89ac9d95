package config

import (
	"errors"
	"strings"
	"testing"
)

// validStack is a complete, valid stack file; each bad-config case edits it.
const validStack = `config:
  aws:region: us-east-1
  infra:environment: prod
  infra:class: production
  infra:topology: vps
  infra:region: nyc3
  infra:domain: focusdeck.example.com
  infra:network:
    adminCidrs: [198.51.100.7/32]
  infra:vps:
    size: s-2vcpu-4gb
    sshKeys: ["aa:bb"]
    sshPrivateKeySecret: deploy-key
  infra:secrets:
    openai-key: { secure: v1:Zm9vYmFy }
    deploy-key: { secure: v1:ZGVwbG95 }
  infra:database:
    engine: managed
    size: db-s-1vcpu-2gb
    nodes: 2
    databases:
      - { name: focusdeck, pool: { mode: transaction, size: 20 } }
      - { name: focusdeck_jobs, pool: { mode: session, size: 10 } }
    roles:
      - { name: focusdeck_app, databases: [focusdeck, focusdeck_jobs] }
  infra:services:
    - name: server
      image: ghcr.io/focusdeck/server:1.4.2
      port: 8080
      health: /healthz
      public: { host: "@" }
      env: { ASPNETCORE_ENVIRONMENT: Production }
      secretEnv: { OPENAI_API_KEY: openai-key }
      connections:
        ConnectionStrings__DefaultConnection: { database: focusdeck, role: focusdeck_app, format: npgsql }
      autoscale: { min: 2, max: 4 }
    - name: worker
      image: ghcr.io/focusdeck/worker:1.4.2
      dependsOn: [server]
  infra:monitoring:
    alerts:
      - { name: HighCPU, metric: cpu, threshold: 80, severity: warning }
  infra:policy:
    waivers: []
`

func TestValidStackParses(t *testing.T) {
	raw, err := ParseStackFile("valid.yaml", []byte(validStack))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(raw)
	if err != nil {
		t.Fatalf("valid stack rejected: %v", err)
	}
	if cfg.Database.Databases[0].Owner != "focusdeck_app" {
		t.Errorf("owner default: got %q", cfg.Database.Databases[0].Owner)
	}
	if cfg.Ingress.Issuer != "letsencrypt-prod" {
		t.Errorf("prod issuer default: got %q", cfg.Ingress.Issuer)
	}
	if got := cfg.Secrets["openai-key"]; !strings.HasPrefix(got, placeholderPrefix) {
		t.Errorf("secure value should become a placeholder offline, got %q", got)
	}
}

func TestBadConfig(t *testing.T) {
	type edit struct{ old, new string }
	tests := []struct {
		name  string
		edits []edit
		path  string
		msg   string
	}{
		{"unknown top-level key", []edit{{"infra:region: nyc3", "infra:region: nyc3\n  infra:regoin: nyc3"}}, "infra:regoin", "unknown key"},
		{"unknown nested key", []edit{{"nodes: 2", "nodes: 2\n    verison: \"16\""}}, "infra:database.verison", "unknown key"},
		{"port of the wrong type", []edit{{"port: 8080", `port: "eighty"`}}, "infra:services[0].port", `"eighty" is not a number: write a whole number`},
		{"port out of range", []edit{{"port: 8080", "port: 70000"}}, "infra:services[0].port", "maximum"},
		{"topology typo", []edit{{"infra:topology: vps", "infra:topology: vsp"}}, "infra:topology", "must be one of"},
		{"class missing (the name decides nothing)", []edit{{"  infra:class: production\n", ""}}, "infra:class", "required"},
		{"class given as a name", []edit{{"infra:class: production", "infra:class: prod"}}, "infra:class", "must be one of"},
		{"a service takes another's migration name", []edit{{"      autoscale: { min: 2, max: 4 }\n", "      autoscale: { min: 2, max: 4 }\n      migrate: { command: [migrate] }\n"}, {"- name: worker", "- name: server-migrate"}, {"dependsOn: [server]", "dependsOn: [server]\n      command: [work]"}}, "infra:services[0].migrate", `its job takes the name "server-migrate", which is also a service's`},
		{"region missing", []edit{{"  infra:region: nyc3\n", ""}}, "infra:region", "required"},
		{"region malformed", []edit{{"infra:region: nyc3", "infra:region: New York"}}, "infra:region", "is not a DigitalOcean region slug"},
		{"role grants unknown database", []edit{{"databases: [focusdeck, focusdeck_jobs]", "databases: [focusdeck, focusdek]"}}, "infra:database.roles[0].databases[1]", `unknown database "focusdek"`},
		{"database without a role", []edit{{"databases: [focusdeck, focusdeck_jobs]", "databases: [focusdeck]"}}, "infra:database.databases[1]", `no role uses database "focusdeck_jobs"`},
		{"duplicate database", []edit{{"name: focusdeck_jobs, pool", "name: focusdeck, pool"}}, "infra:database.databases[1].name", `duplicate database "focusdeck"`},
		{"duplicate service", []edit{{"name: worker", "name: server"}}, "infra:services[1].name", `duplicate service "server"`},
		{"too many nodes", []edit{{"nodes: 2", "nodes: 5"}}, "infra:database.nodes", "maximum"},
		{"unknown pool mode", []edit{{"mode: session", "mode: sesion"}}, "infra:database.databases[1].pool.mode", "must be one of"},
		{"plaintext password in env", []edit{{"ASPNETCORE_ENVIRONMENT: Production", "ASPNETCORE_ENVIRONMENT: Production, DB_PASSWORD: hunter2"}}, "infra:services[0].env.DB_PASSWORD", "looks like a secret"},
		{"plaintext password under a short name", []edit{{"ASPNETCORE_ENVIRONMENT: Production", "ASPNETCORE_ENVIRONMENT: Production, DB_PASS: hunter2"}}, "infra:services[0].env.DB_PASS", "looks like a secret"},
		{"plaintext signing key", []edit{{"ASPNETCORE_ENVIRONMENT: Production", "ASPNETCORE_ENVIRONMENT: Production, JWT_SIGNING_KEY: correct-horse"}}, "infra:services[0].env.JWT_SIGNING_KEY", "looks like a secret"},
		{"a token under an innocent name", []edit{{"ASPNETCORE_ENVIRONMENT: Production", "ASPNETCORE_ENVIRONMENT: Production, BANNER: sk-proj-abcdefghijklmnopqrstuvwxyz0123"}}, "infra:services[0].env.BANNER", "OpenAI"},
		{"a random-looking value", []edit{{"ASPNETCORE_ENVIRONMENT: Production", "ASPNETCORE_ENVIRONMENT: Production, SEED: q8Zr2LmX9vTbW4kNp7Yc3HsJ6fDgA1uE5oRiK0tQ"}}, "infra:services[0].env.SEED", "random-looking"},
		{"a Redis URL with a password and no user", []edit{{"ASPNETCORE_ENVIRONMENT: Production", "ASPNETCORE_ENVIRONMENT: Production, CACHE: \"redis://:s3cret@redis:6379\""}}, "infra:services[0].env.CACHE", "embedded password"},
		{"an invalid image reference", []edit{{"image: ghcr.io/focusdeck/worker:1.4.2", "image: ghcr.io/FocusDeck/worker:1.4.2"}}, "infra:services[1].image", "not an image reference"},
		{"an untagged image in prod", []edit{{"image: ghcr.io/focusdeck/worker:1.4.2", "image: ghcr.io/focusdeck/worker"}}, "infra:services[1].image", "has no tag"},
		{"a :latest image in prod", []edit{{"image: ghcr.io/focusdeck/worker:1.4.2", "image: ghcr.io/focusdeck/worker:latest"}}, "infra:services[1].image", "does not run :latest"},
		{"URL with an embedded password", []edit{{"ASPNETCORE_ENVIRONMENT: Production", "ASPNETCORE_ENVIRONMENT: Production, REDIS_URL: \"redis://app:s3cret@redis:6379\""}}, "infra:services[0].env.REDIS_URL", "embedded password"},
		{"connection string with a password", []edit{{"ASPNETCORE_ENVIRONMENT: Production", "ASPNETCORE_ENVIRONMENT: Production, LEGACY_DB: \"Host=x;Password=hunter2\""}}, "infra:services[0].env.LEGACY_DB", "connection string with a password"},
		{"plaintext entry in infra:secrets", []edit{{"openai-key: { secure: v1:Zm9vYmFy }", "openai-key: sk-live-123"}}, "infra:secrets.openai-key", "must be a secret"},
		{"secure value outside infra:secrets", []edit{{"infra:domain: focusdeck.example.com", "infra:domain: { secure: v1:abc }"}}, "infra:domain", "secure values belong in infra:secrets"},
		{"unknown secret", []edit{{"OPENAI_API_KEY: openai-key", "OPENAI_API_KEY: openai-kee"}}, "infra:services[0].secretEnv.OPENAI_API_KEY", `unknown secret "openai-kee"`},
		{"connection to an unknown role", []edit{{"role: focusdeck_app, format", "role: focusdeck_ap, format"}}, "infra:services[0].connections.ConnectionStrings__DefaultConnection.role", `unknown role "focusdeck_ap"`},
		{"connection to an unknown database", []edit{{"{ database: focusdeck, role", "{ database: focusdek, role"}}, "infra:services[0].connections.ConnectionStrings__DefaultConnection.database", `unknown database "focusdek"`},
		{"connection format unknown", []edit{{"format: npgsql", "format: jdbc"}}, "infra:services[0].connections.ConnectionStrings__DefaultConnection.format", "must be one of"},
		{"depends on an unknown service", []edit{{"dependsOn: [server]", "dependsOn: [servr]"}}, "infra:services[1].dependsOn[0]", `unknown service "servr"`},
		{"autoscale min above max", []edit{{"autoscale: { min: 2, max: 4 }", "autoscale: { min: 5, max: 4 }"}}, "infra:services[0].autoscale", "min 5 is above max 4"},
		{"public worker without a port", []edit{{"image: ghcr.io/focusdeck/worker:1.4.2", "image: ghcr.io/focusdeck/worker:1.4.2\n      public: { host: jobs }"}}, "infra:services[1].public", "needs a port"},
		{"invalid env name", []edit{{"ASPNETCORE_ENVIRONMENT: Production", "ASPNETCORE_ENVIRONMENT: Production, MY-VAR: x"}}, "infra:services[0].env.MY-VAR", "not a valid environment variable name"},
		{"env set twice", []edit{{"ASPNETCORE_ENVIRONMENT: Production", "ASPNETCORE_ENVIRONMENT: Production, OPENAI_API_KEY_X: x, ConnectionStrings__DefaultConnection: y"}}, "infra:services[0].connections.ConnectionStrings__DefaultConnection", "also set in env"},
		{"admin CIDR is the internet", []edit{{"adminCidrs: [198.51.100.7/32]", "adminCidrs: [0.0.0.0/0]"}}, "infra:network.adminCidrs[0]", "whole internet"},
		{"admin CIDRs adding up to the internet", []edit{{"adminCidrs: [198.51.100.7/32]", "adminCidrs: [0.0.0.0/1, 128.0.0.0/1]"}}, "infra:network.adminCidrs", "every IPv4 address"},
		{"admin CIDRs adding up to the internet, unordered and overlapping", []edit{{"adminCidrs: [198.51.100.7/32]", "adminCidrs: [192.0.0.0/2, 0.0.0.0/1, 128.0.0.0/2, 130.0.0.0/8]"}}, "infra:network.adminCidrs", "every IPv4 address"},
		{"admin IPv6 CIDRs adding up to the internet", []edit{{"adminCidrs: [198.51.100.7/32]", "adminCidrs: [\"::/1\", \"8000::/1\"]"}}, "infra:network.adminCidrs", "every IPv6 address"},
		{"database named postgres", []edit{{"name: focusdeck_jobs, pool", "name: postgres, pool"}, {"databases: [focusdeck, focusdeck_jobs]", "databases: [focusdeck, postgres]"}}, "infra:database.databases[1].name", `"postgres" is reserved`},
		{"database named template1", []edit{{"name: focusdeck_jobs, pool", "name: template1, pool"}, {"databases: [focusdeck, focusdeck_jobs]", "databases: [focusdeck, template1]"}}, "infra:database.databases[1].name", `"template1" is reserved`},
		{"database named defaultdb", []edit{{"name: focusdeck_jobs, pool", "name: defaultdb, pool"}, {"databases: [focusdeck, focusdeck_jobs]", "databases: [focusdeck, defaultdb]"}}, "infra:database.databases[1].name", "DigitalOcean's default database"},
		{"reserved name on a selfhosted database", []edit{{"engine: managed", "engine: selfhosted"}, {"nodes: 2", "nodes: 1"}, {"pool: { mode: transaction, size: 20 } ", ""}, {"pool: { mode: session, size: 10 } ", ""}, {"name: focusdeck_jobs", "name: template0"}, {"databases: [focusdeck, focusdeck_jobs]", "databases: [focusdeck, template0]"}}, "infra:database.databases[1].name", `"template0" is reserved`},
		{"our key without the namespace", []edit{{"  infra:monitoring:", "  monitoring:"}}, "monitoring", "write infra:monitoring"},
		{"our namespace in another case", []edit{{"  infra:policy:", "  Infra:policy:"}}, "Infra:policy", "write infra:policy"},
		{"a misspelt namespace", []edit{{"  infra:monitoring:", "  infar:monitoring:"}}, "infar:monitoring", "write infra:monitoring"},
		{"a block outside config", []edit{{"  infra:policy:\n    waivers: []\n", "  infra:policy:\n    waivers: []\nmonitoring:\n  retention: 30d\n"}}, "monitoring", "outside config"},
		{"admin CIDR malformed", []edit{{"adminCidrs: [198.51.100.7/32]", "adminCidrs: [198.51.100.7/33]"}}, "infra:network.adminCidrs[0]", "not a CIDR"},
		{"selfhosted database on kubernetes", []edit{{"engine: managed", "engine: selfhosted"}, {"infra:topology: vps", "infra:topology: kubernetes"}, {"nodes: 2", "nodes: 1"}, {"pool: { mode: transaction, size: 20 } ", ""}, {"pool: { mode: session, size: 10 } ", ""}}, "infra:database.engine", "selfhosted runs on the VPS"},
		{"pool on a selfhosted database", []edit{{"engine: managed", "engine: selfhosted"}, {"nodes: 2", "nodes: 1"}}, "infra:database.databases[0].pool", "pools need the managed engine"},
		{"external database without its secret", []edit{{"engine: managed", "engine: external"}}, "infra:database.externalUrlSecret", "required for the external engine"},
		{"vps block missing", []edit{{"  infra:vps:\n    size: s-2vcpu-4gb\n    sshKeys: [\"aa:bb\"]\n    sshPrivateKeySecret: deploy-key\n", ""}}, "infra:vps", "required with topology vps"},
		{"no services", []edit{{"  infra:services:\n", "  infra:services: []\n  infra:unused:\n"}}, "infra:services", "minItems"},
		{"alert for an unknown service", []edit{{"severity: warning }", "severity: warning, service: web }"}}, "infra:monitoring.alerts[0].service", `unknown service "web"`},
		{"percentage above 100", []edit{{"threshold: 80", "threshold: 180"}}, "infra:monitoring.alerts[0].threshold", "at most 100"},
		{"waiver without a reason", []edit{{"waivers: []", "waivers: [{ rule: tls-everywhere, reason: \"\" }]"}}, "infra:policy.waivers[0].reason", "minLength"},
		{"network of the wrong type", []edit{{"  infra:network:\n    adminCidrs: [198.51.100.7/32]", "  infra:network: 10.0.0.0/16"}}, "infra:network", "want object"},
		{"duplicate key in the file", []edit{{"  infra:monitoring:", "  infra:services: server\n  infra:monitoring:"}}, "config", "already defined"},
		{"registry password given in plain text", []edit{{"  infra:policy:", "  infra:registries:\n    - { server: ghcr.io, username: focusdeck, password: ghp_0123456789 }\n  infra:policy:"}}, "infra:registries[0].password", "unknown key"},
		{"registry with a scheme", []edit{{"  infra:policy:", "  infra:registries:\n    - { server: \"https://ghcr.io\", username: focusdeck, passwordSecret: openai-key }\n  infra:policy:"}}, "infra:registries[0].server", "without https://"},
		{"registry password secret undeclared", []edit{{"  infra:policy:", "  infra:registries:\n    - { server: ghcr.io, username: focusdeck, passwordSecret: ghcr-token }\n  infra:policy:"}}, "infra:registries[0].passwordSecret", `unknown secret "ghcr-token"`},
		{"not YAML", []edit{{"infra:topology: vps", "infra:topology: [vps"}}, "config", "not a valid stack file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := validStack
			for _, e := range tt.edits {
				if strings.Count(doc, e.old) != 1 {
					t.Fatalf("test setup: %q occurs %d times in the valid stack", e.old, strings.Count(doc, e.old))
				}
				doc = strings.Replace(doc, e.old, e.new, 1)
			}
			err := parseDoc(doc)
			var cfgErr *ConfigError
			if !errors.As(err, &cfgErr) {
				t.Fatalf("want a *ConfigError, got %v", err)
			}
			for _, p := range cfgErr.Problems {
				if p.Path == tt.path && strings.Contains(p.Message, tt.msg) {
					return
				}
			}
			t.Errorf("want problem %s: ...%s...; got:\n%v", tt.path, tt.msg, err)
		})
	}
	if len(tests) < 25 {
		t.Fatalf("the issue asks for at least 25 bad-config cases, have %d", len(tests))
	}
}

// Outside production an untagged or :latest image is allowed, and a digest
// is always a version.
func TestImagesOutsideProduction(t *testing.T) {
	for _, edit := range [][2]string{
		{"infra:class: production", "infra:class: development"},
		{"image: ghcr.io/focusdeck/worker:1.4.2", "image: ghcr.io/focusdeck/worker@sha256:" + strings.Repeat("ab", 32)},
	} {
		doc := strings.Replace(validStack, edit[0], edit[1], 1)
		if edit[0] == "infra:class: production" {
			doc = strings.Replace(doc, "image: ghcr.io/focusdeck/worker:1.4.2", "image: ghcr.io/focusdeck/worker:latest", 1)
		}
		if doc == validStack {
			t.Fatal("test setup: the edit changed nothing")
		}
		if err := parseDoc(doc); err != nil {
			t.Errorf("%s: %v", edit[1], err)
		}
	}
}

// Keys of other namespaces stay someone else's, even when named like ours.
func TestOtherNamespacesAreNotOurs(t *testing.T) {
	doc := strings.Replace(validStack, "  aws:region: us-east-1\n", "  aws:region: us-east-1\n  digitalocean:region: nyc3\n  pulumi:tags: { team: ops }\n  focusdeck:services: 2\n", 1)
	if doc == validStack {
		t.Fatal("test setup: the edit changed nothing")
	}
	if err := parseDoc(doc); err != nil {
		t.Fatalf("another namespace's keys were refused: %v", err)
	}
}

func parseDoc(doc string) error {
	raw, err := ParseStackFile("test.yaml", []byte(doc))
	if err != nil {
		return err
	}
	_, err = Parse(raw)
	return err
}

func TestEveryProblemAtOnce(t *testing.T) {
	doc := strings.NewReplacer(
		"infra:topology: vps", "infra:topology: vsp",
		"dependsOn: [server]", "dependsOn: [servr]",
		"databases: [focusdeck, focusdeck_jobs]", "databases: [focusdeck, focusdek]",
		"OPENAI_API_KEY: openai-key", "OPENAI_API_KEY: nope",
	).Replace(validStack)
	err := parseDoc(doc)
	var cfgErr *ConfigError
	if !errors.As(err, &cfgErr) {
		t.Fatalf("want a *ConfigError, got %v", err)
	}
	want := []string{"infra:topology", "infra:services[1].dependsOn[0]", "infra:database.roles[0].databases[1]", "infra:services[0].secretEnv.OPENAI_API_KEY"}
	for _, w := range want {
		found := false
		for _, p := range cfgErr.Problems {
			found = found || p.Path == w
		}
		if !found {
			t.Errorf("problem at %s not reported; got:\n%v", w, err)
		}
	}
	if !strings.Contains(err.Error(), "(5 problems)") && !strings.Contains(err.Error(), "(4 problems)") {
		t.Errorf("message should count the problems: %v", err)
	}
}

func TestConfigPath(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, "infra"},
		{[]string{"region"}, "infra:region"},
		{[]string{"database", "roles", "0", "databases", "1"}, "infra:database.roles[0].databases[1]"},
		{[]string{"services", "2", "env", "A_B"}, "infra:services[2].env.A_B"},
	}
	for _, tt := range tests {
		if got := configPath(tt.in); got != tt.want {
			t.Errorf("configPath(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUngroup(t *testing.T) {
	for in, want := range map[string]string{"got 70,000, want 65,535": "got 70000, want 65535", "1,000,000": "1000000", "a, b": "a, b"} {
		if got := ungroup(in); got != want {
			t.Errorf("ungroup(%q) = %q, want %q", in, got, want)
		}
	}
}

// Where the fix is known, the message says what to write instead.
func TestMessagesSayWhatToWrite(t *testing.T) {
	tests := []struct {
		name, old, new, path, msg string
	}{
		{"memory in GB", "autoscale: { min: 2, max: 4 }", "autoscale: { min: 2, max: 4 }\n      resources: { memory: 2GB }", "infra:services[0].resources.memory", "write 2Gi"},
		{"memory in M", "autoscale: { min: 2, max: 4 }", "autoscale: { min: 2, max: 4 }\n      resources: { memory: 512M }", "infra:services[0].resources.memory", "write 512Mi"},
		{"cpu in cores", "autoscale: { min: 2, max: 4 }", "autoscale: { min: 2, max: 4 }\n      resources: { cpu: 2cores }", "infra:services[0].resources.cpu", "write 2"},
		{"NaN threshold", "threshold: 80", "threshold: .nan", "infra:monitoring.alerts[0].threshold", "write a number, such as 80"},
		{"infinite threshold", "threshold: 80", "threshold: .inf", "infra:monitoring.alerts[0].threshold", "write a number"},
		{"a huge number", "port: 8080", "port: 99999999999999999999999", "infra:services[0].port", "too large a number (23 digits)"},
		{"a number in quotes", "port: 8080", `port: "8080"`, "infra:services[0].port", "write 8080 without quotes"},
		{"a fraction for a whole number", "port: 8080", "port: 8080.5", "infra:services[0].port", "not a whole number"},
		{"a misspelt key", "nodes: 2", "nodes: 2\n    verison: \"16\"", "infra:database.verison", "did you mean version?"},
		{"a misspelt service key", "port: 8080", "port: 8080\n      helth: /healthz", "infra:services[0].helth", "did you mean health?"},
		{"a domain with a scheme", "infra:domain: focusdeck.example.com", "infra:domain: https://focusdeck.example.com/", "infra:domain", "such as focusdeck.example.com"},
		{"an upper-case service name", "name: worker", "name: Job_Worker", "infra:services[1].name", "write job-worker"},
		{"a health path without a slash", "health: /healthz", "health: healthz", "infra:services[0].health", "write /healthz"},
		{"retention in days spelt out", "alerts:\n", "retention: 30days\n    alerts:\n", "infra:monitoring.retention", "such as 30d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Count(validStack, tt.old) != 1 {
				t.Fatalf("test setup: %q occurs %d times", tt.old, strings.Count(validStack, tt.old))
			}
			err := parseDoc(strings.Replace(validStack, tt.old, tt.new, 1))
			var cfgErr *ConfigError
			if !errors.As(err, &cfgErr) {
				t.Fatalf("want a *ConfigError, got %v", err)
			}
			for _, p := range cfgErr.Problems {
				if p.Path == tt.path && strings.Contains(p.Message, tt.msg) {
					if strings.Contains(p.Message, "^") || strings.Contains(p.Message, "jsonType") {
						t.Errorf("message shows the machinery, not the fix: %s", p)
					}
					return
				}
			}
			t.Errorf("want %s: ...%s...; got:\n%v", tt.path, tt.msg, err)
		})
	}
}

// A type error inside a service does not hide that service's other
// problems; checks that read the broken key stay quiet.
func TestBrokenServiceStillChecked(t *testing.T) {
	doc := strings.NewReplacer(
		"port: 8080", "port: eighty\n      dependsOn: [servr]",
		"ASPNETCORE_ENVIRONMENT: Production", "ASPNETCORE_ENVIRONMENT: Production, DB_PASS: hunter2",
		"image: ghcr.io/focusdeck/server:1.4.2", "image: ghcr.io/focusdeck/server:latest",
	).Replace(validStack)
	err := parseDoc(doc)
	var cfgErr *ConfigError
	if !errors.As(err, &cfgErr) {
		t.Fatalf("want a *ConfigError, got %v", err)
	}
	got := map[string]string{}
	for _, p := range cfgErr.Problems {
		got[p.Path] = p.Message
	}
	for path, msg := range map[string]string{
		"infra:services[0].port":         "not a number",
		"infra:services[0].dependsOn[0]": `unknown service "servr"`,
		"infra:services[0].env.DB_PASS":  "looks like a secret",
		"infra:services[0].image":        ":latest",
	} {
		if !strings.Contains(got[path], msg) {
			t.Errorf("want %s: ...%s...; got:\n%v", path, msg, err)
		}
	}
	// "needs a port" would only echo the port's problem.
	for _, echo := range []string{"infra:services[0].public", "infra:services[0].health"} {
		if m, ok := got[echo]; ok {
			t.Errorf("echo of the port problem at %s: %s", echo, m)
		}
	}
}

// One renamed service referred to from many places is one problem, at its
// first use, naming the other places and the nearest declared name.
func TestRenamedServiceReportedOnce(t *testing.T) {
	doc := strings.NewReplacer(
		"    - name: server\n", "    - name: api\n",
		"severity: warning }", "severity: warning, service: server }\n      - { name: Slow, metric: memory, threshold: 90, severity: warning, service: server }",
	).Replace(validStack)
	err := parseDoc(doc)
	var cfgErr *ConfigError
	if !errors.As(err, &cfgErr) {
		t.Fatalf("want a *ConfigError, got %v", err)
	}
	var about []Problem
	for _, p := range cfgErr.Problems {
		if strings.Contains(p.Message, `unknown service "server"`) {
			about = append(about, p)
		}
	}
	if len(about) != 1 {
		t.Fatalf("want one problem about service \"server\", got %d:\n%v", len(about), err)
	}
	p := about[0]
	for _, want := range []string{"declared: api, worker", "also used at", "infra:monitoring.alerts[1].service", "infra:services[1].dependsOn[0]"} {
		if !strings.Contains(p.Message, want) {
			t.Errorf("message should say %q: %s", want, p)
		}
	}
	if p.Path != "infra:monitoring.alerts[0].service" {
		t.Errorf("reported at %s, want the first use in config-path order", p.Path)
	}
}
