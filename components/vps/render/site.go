// Package render writes the files of the single-Droplet topology from
// plain values: the compose project (compose.yaml, env files), the proxy's
// nginx.conf, the Droplet's cloud-init, the scripts the host runs
// (deploy.sh, backup.sh, the crontab, certbot's renewal loop) and the
// bundle that carries them over SSH. Nothing here declares a resource:
// components/vps renders with it and sends the result.
//
// A Site is what the renderers read. nginx.conf, deploy.sh and backup.sh
// are text/templates (nginx.conf.tmpl, scripts/*.tmpl), the other scripts
// plain files beside them; compose.yaml and cloud-init are typed values
// marshalled to YAML, never templated.
package render

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"infra/components/monitoring"
	"infra/components/service"
)

// AppDir is where the compose project lives on the host.
const AppDir = "/opt/app"

// DeployUser is the non-root user that owns AppDir and runs Docker.
const DeployUser = "deploy"

// CertName is certbot's name for the one certificate covering every host.
const CertName = "app"

// Site is what the host runs, as plain values: the input of every renderer
// (compose file, proxy config, scripts). It holds no secrets: secret
// values travel as separate files that the compose file only names.
type Site struct {
	// Project is the compose project name.
	Project string
	// Domain is the DNS zone every public host lives under.
	Domain string
	// Services are the application's services and the extra ones beside it
	// (monitoring); SecretEnv is only read for its variable names.
	Services []service.Spec
	// Tools adds cAdvisor, node-exporter and Dozzle behind ToolsHost (a
	// fully qualified name) with basic authentication.
	Tools     bool
	ToolsHost string
	TLS       TLS
	// RateLimit is per client address on every public route (nil: none).
	RateLimit *RateLimit
	// Database is the self-hosted PostgreSQL (nil for managed or external).
	Database *SiteDatabase
	// Backup uploads nightly dumps of the self-hosted database, or of
	// Managed (nil: none).
	Backup *SiteBackup
	// Managed is the database server backup.sh dumps over the network when
	// Backup is set (nil: none): a managed cluster over the VPC, each
	// database as its owner, or an external database at its URL; the
	// connection strings are in BackupURLsPath; BackupPGService runs the
	// PostgreSQL clients, so the host needs no PostgreSQL. Roles is unused.
	Managed *SiteDatabase
	// Registries are the private registries deploy.sh logs in to before
	// anything is pulled; their passwords travel apart (DeployInput).
	Registries []RegistryLogin
}

// RegistryLogin is who logs in to a private registry: the host as image
// references name it, and the user.
type RegistryLogin struct {
	Server   string
	Username string
}

// TLS is how certificates are obtained from Let's Encrypt.
type TLS struct {
	// Staging uses Let's Encrypt's staging CA (untrusted certificates, high
	// rate limits) for non-production stacks.
	Staging bool
	// Email receives expiry notices; empty registers without one.
	Email string
}

// RateLimit is requests per minute per client, with a burst allowance.
type RateLimit struct {
	RPM   int
	Burst int
}

// SiteDatabase is the self-hosted PostgreSQL server.
type SiteDatabase struct {
	// Version is the PostgreSQL major version (image tag).
	Version   string
	Databases []string
	// Roles get their passwords from PGPASSWORD_<ROLE> in the init env file.
	Roles []string
}

// SiteBackup is where nightly dumps go.
type SiteBackup struct {
	// Region is the Spaces region of the bucket (the S3 endpoint's host).
	Region string
	// Schedule is the crontab schedule of the dump (UTC).
	Schedule string
	// RetentionDays is how long the bucket keeps the dumps.
	RetentionDays int
	// MaxAge is the oldest the newest backup may be: the longest gap
	// between two runs of Schedule plus the time a dump takes. The
	// restore drill fails beyond it.
	MaxAge time.Duration
	// RolesSkipped says why the roles file (pg_dumpall --globals-only) is
	// not dumped; empty: it is, and the restore drill requires it. The
	// manifest carries the reason instead of "globals".
	RolesSkipped string
}

// SpacesEndpoint is the S3 endpoint of a Spaces region.
func SpacesEndpoint(region string) string { return "https://" + region + ".digitaloceanspaces.com" }

// Route is one public path, served by the proxy from a service.
type Route struct {
	Host    string
	Path    string
	Service string
	Port    int
	Auth    bool
	// Realm names the route's basic-auth password and htpasswd file when
	// Auth is set: ToolsRealm for the admin tools, ServiceRealm(service)
	// for a service's own route, so each service has its own login.
	Realm string
	// Allow admits only these CIDRs (empty: everyone).
	Allow []string
	// Private is the service's metrics path when the route would forward
	// it: the proxy answers it with 404, Prometheus scrapes it on the
	// compose network.
	Private string
}

// specs are the site's services plus its admin tools, and which of them
// are tools.
func (s Site) specs() ([]service.Spec, map[string]bool) {
	out := append([]service.Spec(nil), s.Services...)
	tools := map[string]bool{}
	if s.Tools {
		names := map[string]bool{}
		for _, sp := range s.Services {
			names[sp.Name] = true
		}
		for _, t := range toolSpecs(s) {
			// An extra service of the same name (monitoring's own
			// node-exporter, say) replaces the tool.
			if !names[t.Name] {
				out = append(out, t)
				tools[t.Name] = true
			}
		}
	}
	return out, tools
}

// Routes are the public routes of every service, sorted by host and path.
func (s Site) Routes() ([]Route, error) {
	var routes []Route
	seen := map[string]string{}
	specs, tools := s.specs()
	for _, sp := range specs {
		if sp.Public == nil {
			continue
		}
		if sp.Port == 0 {
			return nil, fmt.Errorf("service %q is public but has no port", sp.Name)
		}
		host := sp.Public.Host
		if host != s.Domain && !strings.HasSuffix(host, "."+s.Domain) {
			return nil, fmt.Errorf("service %q: host %q is not under domain %q", sp.Name, host, s.Domain)
		}
		path := sp.Public.Path
		if path == "" {
			path = "/"
		}
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\n\"';{}$\\#?") {
			return nil, fmt.Errorf("service %q: path %q must start with / and hold no spaces, quotes or any of ;{}$\\#?", sp.Name, path)
		}
		k := host + strings.TrimSuffix(path, "/")
		if other, dup := seen[k]; dup {
			return nil, fmt.Errorf("route %s%s is claimed by services %q and %q", host, path, other, sp.Name)
		}
		seen[k] = sp.Name
		r := Route{Host: host, Path: path, Service: sp.Name, Port: sp.Port, Auth: sp.Public.Auth, Allow: sp.Public.Allow, Private: sp.PrivateMetricsPath()}
		if r.Auth {
			r.Realm = ServiceRealm(sp.Name)
			if tools[sp.Name] {
				r.Realm = ToolsRealm
			}
		}
		routes = append(routes, r)
	}
	sort.Slice(routes, func(i, j int) bool {
		if routes[i].Host != routes[j].Host {
			return routes[i].Host < routes[j].Host
		}
		return routes[i].Path < routes[j].Path
	})
	return routes, nil
}

// Hosts are the distinct public host names, sorted.
func (s Site) Hosts() ([]string, error) {
	routes, err := s.Routes()
	if err != nil {
		return nil, err
	}
	return routeHosts(routes), nil
}

// routeHosts are the distinct hosts of routes sorted by host.
func routeHosts(routes []Route) []string {
	var hosts []string
	for _, r := range routes {
		if len(hosts) == 0 || hosts[len(hosts)-1] != r.Host {
			hosts = append(hosts, r.Host)
		}
	}
	return hosts
}

// RecordName is the DNS record name of host within domain ("@" for the apex).
func RecordName(host, domain string) string {
	if host == domain {
		return "@"
	}
	return strings.TrimSuffix(host, "."+domain)
}

// ToolsRealm is the basic-auth realm of the admin tools (cAdvisor, logs,
// node-exporter), opened by the host's admin password.
const ToolsRealm = "admin"

// ServiceRealm is the basic-auth realm of a service's own route. The
// prefix keeps it apart from ToolsRealm whatever the service is called.
func ServiceRealm(service string) string { return "service-" + service }

// AuthRealms are the distinct realms of the routes behind basic
// authentication, sorted; none when no route has auth.
func AuthRealms(routes []Route) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range routes {
		if r.Auth && !seen[r.Realm] {
			seen[r.Realm] = true
			out = append(out, r.Realm)
		}
	}
	sort.Strings(out)
	return out
}

// toolSpecs are the admin tools, routed under host with authentication.
// Their host access (Docker socket, /sys) is added by toolOverrides.
// node-exporter and cAdvisor serve their metrics where
// components/monitoring's scrape jobs read them: the flags come from the
// same Exporter values.
func toolSpecs(s Site) []service.Spec {
	host := s.ToolsHost
	res := service.Resources{CPU: "250m", Memory: "256Mi", RequestMemory: "64Mi"}
	cadvisor, node := monitoring.CAdvisor(), monitoring.NodeExporter()
	return []service.Spec{
		{Name: cadvisor.Job, Image: ImageCAdvisor, Port: cadvisor.Port, Resources: res, ReadOnlyRootFilesystem: true,
			Command: append(append([]string(nil), cadvisor.Flags...), "--docker_only=true", "--housekeeping_interval=30s"),
			Public:  &service.Route{Host: host, Path: monitoring.CAdvisorPrefix + "/", Auth: true}},
		{Name: "dozzle", Image: ImageDozzle, Port: 8080, Resources: res, ReadOnlyRootFilesystem: true,
			Env:    map[string]string{"DOZZLE_BASE": "/logs", "DOZZLE_NO_ANALYTICS": "true"},
			Public: &service.Route{Host: host, Path: "/logs/", Auth: true}},
		{Name: node.Job, Image: ImageNodeExporter, Port: node.Port, Resources: res, ReadOnlyRootFilesystem: true, User: 65534,
			Command: append(nodeFlags(s), node.Flags...),
			Public:  &service.Route{Host: host, Path: monitoring.NodeExporterPrefix + "/", Auth: true}},
	}
}

// toolOverrides give the tools what a plain service never gets: read-only
// views of the host. cAdvisor and Dozzle read the Docker socket, which is
// root-equivalent whatever their uid, so they keep the image's user (root)
// with every capability dropped.
var toolOverrides = map[string]func(*ComposeService){
	"cadvisor": func(c *ComposeService) {
		c.Volumes = append(c.Volumes, "/:/rootfs:ro", "/var/run:/var/run:ro", "/sys:/sys:ro", "/var/lib/docker/:/var/lib/docker:ro", "/dev/disk/:/dev/disk:ro")
		e := monitoring.CAdvisor()
		c.Healthcheck = shellHealthcheck(fmt.Sprintf("wget -q -O /dev/null http://127.0.0.1:%d%s/healthz", e.Port, monitoring.CAdvisorPrefix))
	},
	"dozzle": func(c *ComposeService) {
		c.Volumes = append(c.Volumes, "/var/run/docker.sock:/var/run/docker.sock:ro")
		c.Tmpfs = append(c.Tmpfs, "/data") // its settings; nothing worth keeping without its own users
		c.Healthcheck = &Healthcheck{Test: []string{"CMD", "/dozzle", "healthcheck"}, Interval: "30s", Timeout: "5s", Retries: 3, StartPeriod: "30s"}
	},
	"node-exporter": func(c *ComposeService) {
		c.Volumes = append(c.Volumes, "/:/host:ro,rslave")
		e := monitoring.NodeExporter()
		c.Healthcheck = shellHealthcheck(fmt.Sprintf("wget -q -O /dev/null http://127.0.0.1:%d%s", e.Port, e.Path))
	},
}

// nodeFlags are node-exporter's own flags: the host's root, and the
// directory backup.sh leaves its metric in (seen through that root).
func nodeFlags(s Site) []string {
	flags := []string{"--path.rootfs=/host"}
	if s.Backup != nil {
		flags = append(flags, "--collector.textfile.directory=/host"+TextfileDir)
	}
	return flags
}
