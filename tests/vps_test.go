package tests

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"

	"infra/components/database"
	"infra/components/vps/render"
	"infra/internal/plan"
	"infra/internal/vpstest"
	"infra/stacks"
	"infra/stacks/config"
)

const jarvisFile = "../examples/jarvis-agents/Pulumi.prod.yaml"

// The seed 003 system planned offline: the Droplet, its edges, the managed
// database, the backups bucket and the six services.
func TestJarvisAgentsPlan(t *testing.T) {
	p := runPlan(t, "jarvis-agents", "prod", readRaw(t, jarvisFile))

	t.Run("droplet", func(t *testing.T) {
		d := oneOf(t, p, "digitalocean:index/droplet:Droplet")
		in := d.Inputs
		for k, want := range map[string]any{"size": "s-4vcpu-8gb", "region": "nyc3", "image": "ubuntu-24-04-x64", "monitoring": true, "name": "jarvis-agents-prod"} {
			if in[k] != want {
				t.Errorf("droplet %s = %v, want %v", k, in[k], want)
			}
		}
		if keys, _ := in["sshKeys"].([]any); len(keys) != 1 {
			t.Errorf("droplet sshKeys = %v", in["sshKeys"])
		}
		if !strings.HasPrefix(in["userData"].(string), "#cloud-config\n") {
			t.Error("droplet user data is not a cloud-config")
		}
		if tags := in["tags"].([]any); !contains(tags, "jarvis-agents-prod-app") {
			t.Errorf("droplet tags %v lack the app tag the database firewall admits", tags)
		}
		if in["vpcUuid"] != "jarvis-agents-vpc-id" || !strings.Contains(strings.Join(d.Dependencies, " "), "digitalocean:index/vpc:Vpc") {
			t.Errorf("droplet is not in the stack's VPC: %v", in["vpcUuid"])
		}
		if !d.Protect {
			t.Error("prod droplet is not protected")
		}
	})

	t.Run("firewall", func(t *testing.T) {
		fw := oneOf(t, p, "digitalocean:index/firewall:Firewall")
		want := []any{
			map[string]any{"protocol": "tcp", "portRange": "22", "sourceAddresses": []any{"198.51.100.7/32"}},
			map[string]any{"protocol": "tcp", "portRange": "80", "sourceAddresses": []any{"0.0.0.0/0", "::/0"}},
			map[string]any{"protocol": "tcp", "portRange": "443", "sourceAddresses": []any{"0.0.0.0/0", "::/0"}},
			map[string]any{"protocol": "icmp", "sourceAddresses": []any{"0.0.0.0/0", "::/0"}},
		}
		if got := fw.Inputs["inboundRules"]; !reflect.DeepEqual(got, want) {
			t.Errorf("inbound rules:\n got %v\nwant %v", got, want)
		}
		for _, r := range fw.Inputs["outboundRules"].([]any) {
			if dst := r.(map[string]any)["destinationAddresses"]; !reflect.DeepEqual(dst, []any{"0.0.0.0/0", "::/0"}) {
				t.Errorf("outbound rule %v is not open", r)
			}
		}
		if !reflect.DeepEqual(fw.Inputs["tags"], []any{"jarvis-agents-prod-app"}) {
			t.Errorf("firewall applies to %v", fw.Inputs["tags"])
		}
	})

	t.Run("reserved ip and dns", func(t *testing.T) {
		ip := oneOf(t, p, "digitalocean:index/reservedIp:ReservedIp")
		if ip.Inputs["region"] != "nyc3" || !ip.Protect {
			t.Errorf("reserved ip = %+v", ip)
		}
		as := oneOf(t, p, "digitalocean:index/reservedIpAssignment:ReservedIpAssignment")
		if as.Inputs["ipAddress"] != "203.0.113.20" || as.Inputs["dropletId"] == nil {
			t.Errorf("assignment = %v", as.Inputs)
		}
		names := map[string]bool{}
		for _, r := range resourcesOf(p, "digitalocean:index/dnsRecord:DnsRecord") {
			if r.Inputs["type"] != "A" || r.Inputs["domain"] != "jarvis.example.com" || r.Inputs["value"] != "203.0.113.20" {
				t.Errorf("dns record %s = %v", r.Name, r.Inputs)
			}
			names[r.Inputs["name"].(string)] = true
		}
		if !reflect.DeepEqual(names, map[string]bool{"@": true, "ops": true, "grafana": true}) {
			t.Errorf("dns records for %v, want the web UI at @, the tools at ops and Grafana at grafana", names)
		}
	})

	t.Run("managed postgres", func(t *testing.T) {
		c := oneOf(t, p, "digitalocean:index/databaseCluster:DatabaseCluster")
		if c.Inputs["size"] != "db-s-1vcpu-1gb" || c.Inputs["engine"] != "pg" || c.Inputs["version"] != "16" {
			t.Errorf("cluster = %v", c.Inputs)
		}
		// database.backups: the Droplet dumps the cluster as well
		// (backups_managed_vps_test.go), with no PostgreSQL of its own.
		if _, ok := p.Artifacts["vps/backup.sh"]; !ok {
			t.Error("the managed database with database.backups gets no dump job")
		}
		m := decodeCompose(t, p.Artifacts["vps/compose.yaml"])
		if _, ok := m.Services["postgres"]; ok {
			t.Error("a managed database runs no postgres container")
		}
	})

	t.Run("backups bucket and project", func(t *testing.T) {
		b := oneOf(t, p, "digitalocean:index/spacesBucket:SpacesBucket")
		// The example asks for 14 days of the Droplet's dumps.
		want := []any{map[string]any{"id": "expire-backups", "enabled": true, "expiration": map[string]any{"days": float64(14)}, "abortIncompleteMultipartUploadDays": float64(1)}}
		if !reflect.DeepEqual(b.Inputs["lifecycleRules"], want) {
			t.Errorf("lifecycle rules = %v", b.Inputs["lifecycleRules"])
		}
		if b.Inputs["acl"] != "private" || b.Inputs["region"] != "nyc3" || !b.Protect || !strings.HasSuffix(b.Provider, "jarvis-agents-prod-spaces") {
			t.Errorf("bucket = %+v", b)
		}
		proj := oneOf(t, p, "digitalocean:index/project:Project")
		res := proj.Inputs["resources"].([]any)
		for _, prefix := range []string{"do:droplet:", "do:reservedip:", "do:space:", "do:dbaas:"} {
			if !containsPrefix(res, prefix) {
				t.Errorf("project lacks a %s resource: %v", prefix, res)
			}
		}
		if proj.Inputs["environment"] != "Production" {
			t.Errorf("project environment = %v", proj.Inputs["environment"])
		}
	})

	t.Run("six services", func(t *testing.T) {
		m := decodeCompose(t, p.Artifacts["vps/compose.yaml"])
		for name, port := range map[string]string{"auth": "9998", "registry": "8003", "agent-a": "8080", "agent-b": "8081", "agent-c": "8082", "web": "9999"} {
			s, ok := m.Services[name]
			if !ok {
				t.Errorf("service %s missing", name)
				continue
			}
			if !reflect.DeepEqual(s.Ports, []string{"127.0.0.1:" + port + ":" + port}) {
				t.Errorf("%s ports = %v, want %s on 127.0.0.1", name, s.Ports, port)
			}
			if s.User != "10001:10001" {
				t.Errorf("%s runs as %q", name, s.User)
			}
		}
		if !strings.Contains(p.Artifacts["vps/nginx.conf"], "set $upstream http://web:9999;") {
			t.Error("the web UI is not routed")
		}
		if !strings.Contains(p.Artifacts["vps/nginx.conf"], "rate=300r/m;") {
			t.Error("the configured rate limit is missing")
		}
	})

	t.Run("deploy command", func(t *testing.T) {
		c := oneOf(t, p, "command:remote:Command")
		if c.Inputs["stdin"] != plan.Masked || c.Inputs["connection"] != plan.Masked {
			t.Errorf("the project and the SSH key must travel as secrets: %v", c.Inputs)
		}
		if c.Inputs["create"] != render.ReceiveCommand() {
			t.Errorf("create = %v", c.Inputs["create"])
		}
		// pulumi-command replaces a command whose triggers change: a new
		// image (or a rollback) must be an update of this one.
		if _, ok := c.Inputs["triggers"]; ok {
			t.Errorf("the deploy command has triggers: %v", c.Inputs["triggers"])
		}
		// Seed 003 pulls from GHCR: deploy.sh logs in before it pulls.
		if !strings.Contains(p.Artifacts["vps/deploy.sh"], "registry_login 0 'ghcr.io' 'jarvis-agents'") {
			t.Errorf("deploy.sh does not log in to ghcr.io:\n%s", p.Artifacts["vps/deploy.sh"])
		}
		deps := strings.Join(c.Dependencies, "\n")
		for _, want := range []string{"Droplet::", "ReservedIpAssignment::", "Firewall::", "DnsRecord::", "postgresql:index/grant:Grant::"} {
			if !strings.Contains(deps, want) {
				t.Errorf("the deploy does not wait for %s", want)
			}
		}
	})

	t.Run("outputs", func(t *testing.T) {
		v, ok := p.Outputs["vps"].(map[string]any)
		if !ok {
			t.Fatalf("vps output = %v", p.Outputs["vps"])
		}
		for _, k := range []string{"ipv4", "reservedIp", "dropletId"} {
			if v[k] == nil || v[k] == plan.Masked {
				t.Errorf("vps.%s = %v", k, v[k])
			}
		}
		eps, _ := p.Outputs["endpoints"].([]any)
		found := false
		for _, e := range eps {
			m, _ := e.(map[string]any)
			found = found || (m["service"] == "web" && m["url"] == "https://jarvis.example.com/")
		}
		if !found {
			t.Errorf("endpoints = %v, want the web UI at https://jarvis.example.com/", p.Outputs["endpoints"])
		}
		if p.Outputs["adminPassword"] != plan.Masked {
			t.Error("the admin password is not a secret output")
		}
	})
}

// Every rendered file of every VPS stack passes its real consumer.
func TestVPSArtifactsPassTheirTools(t *testing.T) {
	for name, s := range vpsStacks {
		t.Run(name, func(t *testing.T) {
			p := runPlan(t, s.project, s.stack, readRaw(t, s.file))
			dir := writeArtifacts(t, p)
			if _, err := vpstest.Compose(context.Background(), dir+"/vps", nil); err != nil {
				t.Errorf("compose.yaml: %v", err)
			}
			// nginx loads certificates while checking: point it at a test pair.
			certs := testCerts(t)
			if err := vpstest.Nginx(t, strings.ReplaceAll(p.Artifacts["vps/nginx.conf"], render.CertDir, certs)); err != nil {
				t.Errorf("nginx.conf: %v", err)
			}
			if err := vpstest.CloudInit(t, p.Artifacts["vps/cloud-init.yaml"]); err != nil {
				t.Errorf("cloud-init.yaml: %v", err)
			}
			var scripts []string
			for rel, content := range p.Artifacts {
				if strings.HasSuffix(rel, ".sh") {
					scripts = append(scripts, rel)
					if err := vpstest.Shellcheck(t, strings.TrimPrefix(rel, "vps/"), content); err != nil {
						t.Errorf("%s: %v", rel, err)
					}
				}
			}
			if len(scripts) < 5 {
				t.Errorf("only %d scripts rendered: %v", len(scripts), scripts)
			}
		})
	}
}

// Changing an image, an env var or adding a service changes the compose
// project, never the Droplet: every input of the Droplet (user data,
// image, region, keys, VPC, the ones that force a replacement) stays
// equal, and so do the reserved IP and the firewall.
func TestAppChangesKeepTheDroplet(t *testing.T) {
	base := readRaw(t, jarvisFile)
	before := runPlan(t, "jarvis-agents", "prod", base)
	changes := map[string]func(services []any) []any{
		"image": func(s []any) []any {
			s[5].(map[string]any)["image"] = "ghcr.io/jarvis-agents/web:1.0.1"
			return s
		},
		"env": func(s []any) []any {
			s[1].(map[string]any)["env"].(map[string]any)["LOG_LEVEL"] = "debug"
			return s
		},
		"new service": func(s []any) []any {
			return append(s, map[string]any{"name": "agent-d", "image": "ghcr.io/jarvis-agents/agent-d:1.0.0", "port": float64(8083), "health": "/health"})
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			raw := cloneRaw(t, base)
			raw.Values["services"] = change(raw.Values["services"].([]any))
			after := runPlan(t, "jarvis-agents", "prod", raw)
			if before.Artifacts["vps/compose.yaml"] == after.Artifacts["vps/compose.yaml"] {
				t.Fatal("the change did not reach the compose file")
			}
			for _, typ := range []string{"digitalocean:index/droplet:Droplet", "digitalocean:index/reservedIp:ReservedIp", "digitalocean:index/firewall:Firewall"} {
				b, a := oneOf(t, before, typ), oneOf(t, after, typ)
				if !reflect.DeepEqual(b.Inputs, a.Inputs) {
					t.Errorf("%s inputs changed:\nbefore %v\n after %v", typ, b.Inputs, a.Inputs)
				}
				if b.URN != a.URN || b.Protect != a.Protect {
					t.Errorf("%s identity changed", typ)
				}
			}
			if before.Artifacts["vps/cloud-init.yaml"] != after.Artifacts["vps/cloud-init.yaml"] {
				t.Error("cloud-init changed")
			}
		})
	}
	// And the deploy runs again: the compose project it sends (its stdin)
	// changes, which updates the deploy command.
	hash := func(raw *config.Raw) (h string) {
		deployed(t, "jarvis-agents", "prod", raw, func(ctx context.Context, d *stacks.Deployment) {
			h = await(t, ctx, d.VPS.Files["compose.yaml"])
		})
		return h
	}
	changed := cloneRaw(t, base)
	changed.Values["services"] = changes["image"](changed.Values["services"].([]any))
	if first, again := hash(base), hash(base); first != again {
		t.Fatal("the compose project differs between two runs of one config")
	}
	if hash(base) == hash(changed) {
		t.Error("the compose project sent to the host did not change")
	}
}

// The self-hosted engine's init container gets the foundation's SQL and
// every role's password, the same ones the services' connection strings
// carry.
func TestSelfhostedPostgresGetsInitSQLAndPasswords(t *testing.T) {
	s := vpsStacks["dev"]
	deployed(t, s.project, s.stack, readRaw(t, s.file), func(ctx context.Context, d *stacks.Deployment) {
		if d.Database == nil || d.Database.InitSQL == "" {
			t.Fatal("dev stack has no self-hosted database")
		}
		files := d.VPS.Files
		if got := await(t, ctx, files[render.RolesSQLPath]); got != d.Database.InitSQL {
			t.Errorf("%s is not the database component's InitSQL", render.RolesSQLPath)
		}
		initEnv := parseEnv(t, await(t, ctx, files[render.EnvFilePath(render.PostgresInitService)]))
		serverEnv := parseEnv(t, await(t, ctx, files[render.EnvFilePath(render.PostgresService)]))
		if initEnv["PGPASSWORD"] == "" || initEnv["PGPASSWORD"] != serverEnv["POSTGRES_PASSWORD"] {
			t.Error("the init container cannot log in as the server's superuser")
		}
		for role, pw := range d.Database.Passwords {
			want := await(t, ctx, pw)
			if got := initEnv[database.PasswordEnv(role)]; got != want {
				t.Errorf("%s = %q, want role %s's password", database.PasswordEnv(role), got, role)
			}
			app := parseEnv(t, await(t, ctx, files[render.EnvFilePath("server")]))
			if cs := app["ConnectionStrings__DefaultConnection"]; !strings.Contains(cs, "Host=postgres;") || !strings.Contains(cs, "Password="+want) {
				t.Errorf("server's connection string does not reach the container with the role's password: %q", cs)
			}
		}
		compose := await(t, ctx, files["compose.yaml"])
		for _, want := range []string{"--file=/init/roles.sql", "./postgres:/init:ro", "./" + render.EnvFilePath(render.PostgresInitService)} {
			if !strings.Contains(compose, want) {
				t.Errorf("compose.yaml lacks %q", want)
			}
		}
	})
}

// No generated password and no secret placeholder ends up in a rendered
// file or in the plan.
func TestVPSArtifactsHoldNoSecrets(t *testing.T) {
	for name, s := range vpsStacks {
		t.Run(name, func(t *testing.T) {
			raw := readRaw(t, s.file)
			p := runPlan(t, s.project, s.stack, raw)
			planJSON, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			secrets := append([]string(nil), p.Generated...)
			cfg, err := config.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range cfg.Secrets {
				// As the deploy's stdin carries a registry password: base64.
				secrets = append(secrets, v, base64.StdEncoding.EncodeToString([]byte(v)))
			}
			if len(secrets) < 3 {
				t.Fatalf("only %d secrets to look for", len(secrets))
			}
			for _, secret := range secrets {
				if strings.Contains(string(planJSON), secret) {
					t.Errorf("plan.json holds a secret")
				}
				for rel, content := range p.Artifacts {
					if strings.Contains(content, secret) {
						t.Errorf("%s holds a secret", rel)
					}
				}
			}
		})
	}
}

func parseEnv(t *testing.T, text string) map[string]string {
	t.Helper()
	m, err := dotenv.UnmarshalWithLookup(text, nil)
	if err != nil {
		t.Fatalf("compose cannot read the env file: %v", err)
	}
	return m
}

func cloneRaw(t *testing.T, raw *config.Raw) *config.Raw {
	t.Helper()
	b, err := json.Marshal(raw.Values)
	if err != nil {
		t.Fatal(err)
	}
	out := &config.Raw{Source: raw.Source}
	if err := json.Unmarshal(b, &out.Values); err != nil {
		t.Fatal(err)
	}
	return out
}

func contains(list []any, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsPrefix(list []any, prefix string) bool {
	for _, x := range list {
		if s, ok := x.(string); ok && strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func serviceOf(v map[string]any, i int) map[string]any {
	return v["services"].([]any)[i].(map[string]any)
}
