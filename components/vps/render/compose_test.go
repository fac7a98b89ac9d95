package render

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"infra/internal/vpstest"
)

// writeProject writes a project's compose file and stand-ins for its
// secret env files and mounted directories into a temp dir.
func writeProject(t *testing.T, p *Project) string {
	t.Helper()
	dir := t.TempDir()
	compose, err := p.Render()
	if err != nil {
		t.Fatal(err)
	}
	write := func(rel, content string) {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("compose.yaml", compose)
	for _, f := range p.EnvFiles {
		env, err := EncodeEnvFile(map[string]string{"PLACEHOLDER": "value with $dollar and \"quotes\""})
		if err != nil {
			t.Fatal(err)
		}
		write(f, env)
	}
	for _, m := range p.MountHashes {
		for _, path := range m.Paths {
			write(path+"/.keep", "")
		}
	}
	return dir
}

func loadCompose(t *testing.T, site Site, env map[string]string) (*Project, *types.Project) {
	t.Helper()
	p, err := BuildProject(site)
	if err != nil {
		t.Fatal(err)
	}
	project, err := vpstest.Compose(context.Background(), writeProject(t, p), env)
	if err != nil {
		t.Fatal(err)
	}
	return p, project
}

func TestComposeLoadsWithTheReferenceLoader(t *testing.T) {
	for name, site := range map[string]Site{"fixture": fixtureSite(), "minimal": minimalSite(), "managed": managedSite()} {
		t.Run(name, func(t *testing.T) {
			p, project := loadCompose(t, site, nil)
			if len(project.Services)+len(project.DisabledServices) != len(p.File.Services) {
				t.Errorf("loader sees %d services, the file has %d", len(project.Services)+len(project.DisabledServices), len(p.File.Services))
			}
			// Every container has limits, the one-shots in profiles
			// (disabled for `up`) included: policy's container-limits.
			// A spec's limits are the stack's to set (config defaults
			// always do); the services the VPS adds itself must have theirs.
			unlimited := map[string]bool{}
			for _, sp := range site.Services {
				unlimited[sp.Name] = sp.Resources.CPU == "" || sp.Resources.Memory == ""
			}
			for name, s := range project.AllServices() {
				if unlimited[name] {
					continue
				}
				if l := s.Deploy; l == nil || l.Resources.Limits == nil || l.Resources.Limits.NanoCPUs <= 0 || l.Resources.Limits.MemoryBytes <= 0 {
					t.Errorf("%s: no CPU and memory limits (deploy.resources.limits)", name)
				}
			}
			for name, s := range project.Services {
				if len(s.CapDrop) != 1 || s.CapDrop[0] != "ALL" {
					t.Errorf("%s: cap_drop = %v, want [ALL]", name, s.CapDrop)
				}
				if len(s.SecurityOpt) != 1 || s.SecurityOpt[0] != "no-new-privileges:true" {
					t.Errorf("%s: security_opt = %v", name, s.SecurityOpt)
				}
				if s.Logging == nil || s.Logging.Driver != "json-file" || s.Logging.Options["max-size"] != "10m" || s.Logging.Options["max-file"] != "3" {
					t.Errorf("%s: logging = %+v, want json-file 10m x 3", name, s.Logging)
				}
				for _, port := range s.Ports {
					if name == ProxyService {
						continue
					}
					if port.HostIP != "127.0.0.1" {
						t.Errorf("%s publishes %s:%s; only the proxy may publish beyond 127.0.0.1", name, port.HostIP, port.Published)
					}
				}
			}
		})
	}
}

func TestComposeServicesFromSpecs(t *testing.T) {
	_, project := loadCompose(t, fixtureSite(), map[string]string{"INFRA_MOUNTS_GRAFANA": "abc123"})
	svc := func(name string) types.ServiceConfig {
		t.Helper()
		s, err := project.GetService(name)
		if err != nil {
			t.Fatalf("service %s: %v", name, err)
		}
		return s
	}
	web, api, worker := svc("web"), svc("api"), svc("worker")

	// Values are literal: compose must not interpolate what the stack set.
	if got := *web.Environment["GREETING"]; got != "costs $5 (not ${PRICE})" {
		t.Errorf("web GREETING = %q", got)
	}
	if got := worker.Command; len(got) != 2 || got[1] != "--queue=$default" {
		t.Errorf("worker command = %q", got)
	}
	// Secret env comes from the env file, never from the compose file.
	if len(api.EnvFiles) != 1 || !strings.HasSuffix(api.EnvFiles[0].Path, "secrets/api.env") {
		t.Errorf("api env_file = %+v", api.EnvFiles)
	}
	if got := *api.Environment["PLACEHOLDER"]; got != `value with $dollar and "quotes"` {
		t.Errorf("api env file value = %q", got)
	}

	if api.User != "10001:10001" || !api.ReadOnly || api.Restart != "unless-stopped" {
		t.Errorf("api user/read_only/restart = %q/%v/%q", api.User, api.ReadOnly, api.Restart)
	}
	if len(api.Ports) != 1 || api.Ports[0].HostIP != "127.0.0.1" || api.Ports[0].Published != "8080" || api.Ports[0].Target != 8080 {
		t.Errorf("api ports = %+v", api.Ports)
	}
	if l := api.Deploy.Resources.Limits; l == nil || l.NanoCPUs != 0.5 || l.MemoryBytes != 512*1024*1024 {
		t.Errorf("api limits = %+v, want 0.5 CPU and 512 MiB", l)
	}
	if hc := api.HealthCheck; hc == nil || hc.Test[0] != "CMD-SHELL" || !strings.Contains(hc.Test[1], "'http://127.0.0.1:8080/health?deep=1'") {
		t.Errorf("api healthcheck = %+v", hc)
	}
	if d := api.DependsOn[PostgresService]; d.Condition != "service_healthy" {
		t.Errorf("api depends on postgres with %q", d.Condition)
	}
	if d := web.DependsOn["api"]; d.Condition != "service_healthy" {
		t.Errorf("web depends on api with %q", d.Condition)
	}
	if worker.Deploy.Replicas == nil || *worker.Deploy.Replicas != 2 || len(worker.Ports) != 0 {
		t.Errorf("worker replicas/ports = %v/%v: replicas share no host port", worker.Deploy.Replicas, worker.Ports)
	}
	if got := svc("grafana").Labels["infra.mounts-hash"]; got != "abc123" {
		t.Errorf("grafana mounts hash label = %q", got)
	}
	if _, ok := project.Volumes["api-uploads"]; !ok {
		t.Errorf("named volume api-uploads missing: %v", project.Volumes)
	}

	// One-shots live in profiles, so `up` never starts them.
	for name, profile := range map[string]string{"api-migrate": "jobs", "worker-cron-nightly": "jobs", PostgresInitService: "init", VolumeInitService: "init", BackupService: "backup"} {
		if s := svc(name); len(s.Profiles) != 1 || s.Profiles[0] != profile || s.Restart != "no" {
			t.Errorf("%s profiles/restart = %v/%q, want [%s]/no", name, s.Profiles, s.Restart, profile)
		}
	}
	proxy := svc(ProxyService)
	var published []string
	for _, p := range proxy.Ports {
		published = append(published, p.HostIP+":"+p.Published)
	}
	if strings.Join(published, ",") != ":80,:443" {
		t.Errorf("proxy publishes %v, want 80 and 443 on every address", published)
	}
	pg := svc(PostgresService)
	if len(pg.Ports) != 0 {
		t.Errorf("postgres publishes %v; it must stay on the compose network", pg.Ports)
	}
	init := svc(PostgresInitService)
	if !strings.HasSuffix(init.EnvFiles[0].Path, EnvFilePath(PostgresInitService)) || init.Volumes[0].Target != "/init" {
		t.Errorf("postgres-init env/volumes = %+v / %+v", init.EnvFiles, init.Volumes)
	}
	if vi := svc(VolumeInitService); !strings.Contains(strings.Join(vi.Command, " "), "chown 10001:10001 /volumes/api-uploads") {
		t.Errorf("volume-init command = %q", vi.Command)
	}
}

// The loader is a real check: it rejects what compose would reject, and
// its warnings fail the load.
func TestComposeCheckFailsOnBrokenFiles(t *testing.T) {
	cases := map[string]struct {
		compose string
		files   map[string]string
	}{
		"unknown key":          {compose: "name: x\nservices:\n  a:\n    imag: busybox\n"},
		"unset variable":       {compose: "name: x\nservices:\n  a:\n    image: busybox:${NOT_SET_ANYWHERE}\n"},
		"missing env file":     {compose: "name: x\nservices:\n  a:\n    image: busybox\n    env_file: [./secrets/a.env]\n"},
		"unknown dependency":   {compose: "name: x\nservices:\n  a:\n    image: busybox\n    depends_on: [b]\n"},
		"bad env file":         {compose: "name: x\nservices:\n  a:\n    image: busybox\n    env_file: [./a.env]\n", files: map[string]string{"a.env": "A=\"unterminated\n"}},
		"obsolete version key": {compose: "version: '3'\nname: x\nservices:\n  a:\n    image: busybox\n"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"compose.yaml": c.compose}
			for k, v := range c.files {
				files[k] = v
			}
			for k, v := range files {
				if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := vpstest.Compose(context.Background(), dir, nil); err == nil {
				t.Fatal("the broken file loaded")
			} else {
				t.Logf("rejected as expected: %v", err)
			}
		})
	}
}

func TestBuildProjectRejects(t *testing.T) {
	cases := map[string]func(*Site){
		"two services on one port": func(s *Site) { s.Services[1].Port = 3000 },
		"unknown dependency":       func(s *Site) { s.Services[0].DependsOn = []string{"nope"} },
		"host outside the domain":  func(s *Site) { s.Services[0].Public.Host = "evil.example.org" },
		"path with a brace":        func(s *Site) { s.Services[0].Public.Path = "/a{b" },
		"same route twice":         func(s *Site) { s.Services[1].Public.Path = "/" },
		"bad cpu":                  func(s *Site) { s.Services[0].Resources.CPU = "lots" },
		"bad memory":               func(s *Site) { s.Services[0].Resources.Memory = "1G" },
		"mount leaves the project": func(s *Site) { s.Services[3].Mounts[0].Source = "../etc" },
		"cron schedule":            func(s *Site) { s.Services[2].CronJobs[0].Schedule = "@daily" },
		"name taken":               func(s *Site) { s.Services[0].Name = ProxyService },
		"backup without database":  func(s *Site) { s.Database = nil },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			site := fixtureSite()
			mutate(&site)
			_, err := BuildProject(site)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
		})
	}
}

func TestQuantities(t *testing.T) {
	for _, c := range []struct{ in, cpus string }{{"500m", "0.5"}, {"1", "1"}, {"1.5", "1.5"}, {"250m", "0.25"}, {"2000m", "2"}} {
		if got, err := composeCPUs(c.in); err != nil || got != c.cpus {
			t.Errorf("composeCPUs(%q) = %q, %v; want %q", c.in, got, err, c.cpus)
		}
	}
	for _, c := range []struct{ in, mem string }{{"512Mi", "512M"}, {"1Gi", "1024M"}, {"2Gi", "2048M"}} {
		if got, err := composeMemory(c.in); err != nil || got != c.mem {
			t.Errorf("composeMemory(%q) = %q, %v; want %q", c.in, got, err, c.mem)
		}
	}
	for _, bad := range []string{"", "0", "-1", "1x", "m"} {
		if _, err := composeCPUs(bad); err == nil {
			t.Errorf("composeCPUs(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "1G", "512M", "0Mi", "xGi"} {
		if _, err := composeMemory(bad); err == nil {
			t.Errorf("composeMemory(%q) accepted", bad)
		}
	}
}
