package config

import (
	"net/netip"
	"regexp"
	"slices"
	"sort"

	"github.com/distribution/reference"

	"infra/internal/metric"
	"infra/internal/secretscan"
)

var (
	envName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	secretName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

// validate checks what the schema cannot: references between keys,
// uniqueness, topology and secrets. Defaults are already applied.
func validate(c *Config, ps *problems) {
	validateNetwork(c, ps)
	validateSecrets(c, ps)
	validateRegistries(c, ps)
	dbs := validateDatabase(c, ps)
	validateServices(c, dbs, ps)
	validateEgress(c, ps)
	validateTopology(c, ps)
	validateMonitoring(c, ps)
	validateOffered(c, ps)
	ps.flushUnknown()
}

func validateNetwork(c *Config, ps *problems) {
	p := key(Namespace, "network")
	if _, err := netip.ParsePrefix(c.Network.VPCCIDR); err != nil {
		ps.add(key(p, "vpcCidr"), "not a CIDR: %q", c.Network.VPCCIDR)
	} else if pre := netip.MustParsePrefix(c.Network.VPCCIDR); !pre.Addr().IsPrivate() || pre.Bits() < 16 || pre.Bits() > 24 {
		ps.add(key(p, "vpcCidr"), "must be a private range from /16 to /24, got %s", c.Network.VPCCIDR)
	}
	var admins []netip.Prefix
	for i, cidr := range c.Network.AdminCIDRs {
		pre, err := netip.ParsePrefix(cidr)
		switch {
		case err != nil:
			ps.add(index(key(p, "adminCidrs"), i), "not a CIDR: %q", cidr)
		case pre.Bits() == 0:
			ps.add(index(key(p, "adminCidrs"), i), "%s admits the whole internet; name your admins' addresses", cidr)
		default:
			admins = append(admins, pre.Masked())
		}
	}
	// Together, smaller ranges can add up to the whole internet
	// (0.0.0.0/1 + 128.0.0.0/1).
	for _, v4 := range []bool{true, false} {
		if coversAll(admins, v4) {
			family := "IPv6"
			if v4 {
				family = "IPv4"
			}
			ps.add(key(p, "adminCidrs"), "together these ranges admit every %s address; name your admins' addresses", family)
		}
	}
}

// coversAll reports whether the union of the prefixes of one family is the
// family's whole address space.
func coversAll(prefixes []netip.Prefix, v4 bool) bool {
	var ps []netip.Prefix
	for _, p := range prefixes {
		if p.Addr().Is4() == v4 {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return false
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Addr().Less(ps[j].Addr()) })
	// Walk the sorted ranges: the next uncovered address must start one.
	next := ps[0].Addr()
	if next != netip.IPv4Unspecified() && next != netip.IPv6Unspecified() {
		return false
	}
	for _, p := range ps {
		if next.Less(p.Addr()) {
			return false // a gap before p
		}
		last := lastAddr(p)
		if !last.Less(next) {
			if !last.Next().IsValid() {
				return true // reached the end of the space
			}
			next = last.Next()
		}
	}
	return false
}

// lastAddr is the highest address of a masked prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - uint(i%8))
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// databaseIndex answers which databases exist and which roles may use them.
type databaseIndex struct {
	engine string
	dbs    map[string]DatabaseEntry
	access map[string]map[string]bool // role -> database -> granted
}

func validateDatabase(c *Config, ps *problems) *databaseIndex {
	d := c.Database
	if d == nil {
		return nil
	}
	p := key(Namespace, "database")
	idx := &databaseIndex{engine: d.Engine, dbs: map[string]DatabaseEntry{}, access: map[string]map[string]bool{}}
	switch d.Engine {
	case "managed":
	case "selfhosted":
		if c.Topology != TopologyVPS {
			ps.add(key(p, "engine"), "selfhosted runs on the VPS; with topology %s use managed or external", c.Topology)
		}
		if d.Nodes > 1 {
			ps.add(key(p, "nodes"), "standby nodes need the managed engine")
		}
	case "external":
		if d.ExternalURLSecret == "" {
			ps.add(key(p, "externalUrlSecret"), "required for the external engine: the name of the secret holding the database URL")
		}
		requireSecret(c, key(p, "externalUrlSecret"), d.ExternalURLSecret, ps)
		if d.DumpedOn(c.Topology) {
			validateExternalDumpURL(c, d.ExternalURLSecret, ps)
		}
	}
	validateBackups(d, c.Topology, p, ps)
	for i, db := range d.Databases {
		dp := index(key(p, "databases"), i)
		if _, dup := idx.dbs[db.Name]; dup {
			ps.add(key(dp, "name"), "duplicate database %q", db.Name)
		}
		idx.dbs[db.Name] = db
		if db.Pool != nil && d.Engine != "managed" {
			ps.add(key(dp, "pool"), "connection pools need the managed engine")
		}
		if d.Engine == "external" {
			continue // it exists already: its name is whatever it is
		}
		if why, reserved := reservedDatabase(db.Name); reserved {
			ps.add(key(dp, "name"), "%q is reserved (%s): give the application's database its own name", db.Name, why)
		}
		switch {
		case db.Owner == "" && roleEntryPruned(d.Roles):
			// A role's entry failed the schema: it may be this database's.
		case db.Owner == "" && roleNamesDatabase(d.Roles, db.Name):
			ps.add(dp, "no role owns database %q: every role lists it with an access level; list it by its plain name under the role that owns it, or set owner", db.Name)
		case db.Owner == "":
			ps.add(dp, "no role uses database %q: list it under a role's databases or set owner", db.Name)
		case !roleListsDatabase(d.Roles, db.Owner, db.Name):
			ps.add(key(dp, "owner"), "role %q must exist and list database %q", db.Owner, db.Name)
		}
	}
	for i, r := range d.Roles {
		rp := index(key(p, "roles"), i)
		if _, dup := idx.access[r.Name]; dup {
			ps.add(key(rp, "name"), "duplicate role %q", r.Name)
		}
		if why, reserved := reservedRole(r.Name); reserved {
			ps.add(key(rp, "name"), "%q is reserved (%s)", r.Name, why)
		}
		idx.access[r.Name] = validateRoleDatabases(r, rp, idx.dbs, ps)
	}
	if d.Engine == "external" && len(d.Roles) > 0 {
		ps.add(key(p, "roles"), "roles of an external database are managed where it lives")
	}
	return idx
}

// validateImage checks an image reference by the reference grammar of
// github.com/distribution/reference (what Docker and containerd parse), and
// in production refuses one without a version: no tag, or :latest, runs
// whatever was pushed last and cannot be rolled back to.
func validateImage(c *Config, path, image string, ps *problems) {
	if image == "" {
		return // the schema reports it
	}
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		ps.add(path, "%q is not an image reference (%v): write registry/name:tag, e.g. ghcr.io/acme/api:1.4.2", image, err)
		return
	}
	if !c.Production() {
		return
	}
	_, digested := named.(reference.Digested)
	tagged, hasTag := named.(reference.Tagged)
	switch {
	case digested:
	case !hasTag:
		ps.add(path, "%q has no tag: production runs a version; write %s:<version>", image, image)
	case tagged.Tag() == "latest":
		ps.add(path, "%q: production does not run :latest (it changes under you and cannot be rolled back to); pin a version", image)
	}
}

func validateServices(c *Config, dbs *databaseIndex, ps *problems) {
	names := map[string]int{}
	for i, s := range c.Services {
		if j, dup := names[s.Name]; dup {
			ps.add(key(index(key(Namespace, "services"), i), "name"), "duplicate service %q (also services[%d])", s.Name, j)
			continue
		}
		names[s.Name] = i
	}
	taken := map[string]string{} // job name -> what takes it
	for i, s := range c.Services {
		sp := index(key(Namespace, "services"), i)
		jobs := s.JobNames(c.Topology)
		for _, job := range sortedKeys(jobs) {
			if _, dup := names[job]; dup {
				ps.add(key(sp, jobs[job]), "its job takes the name %q, which is also a service's: rename one", job)
			} else if other, dup := taken[job]; dup {
				ps.add(key(sp, jobs[job]), "its job takes the name %q, which is also %s's", job, other)
			}
			taken[job] = key(sp, jobs[job])
		}
	}
	routes := map[string]string{}
	for i, s := range c.Services {
		sp := index(key(Namespace, "services"), i)
		validateImage(c, key(sp, "image"), s.Image, ps)
		if s.Port == 0 {
			for _, f := range []struct {
				set  bool
				name string
			}{{s.Public != nil, "public"}, {s.Health != "", "health"}, {s.Peers, "peers"}} {
				if f.set {
					ps.add(key(sp, f.name), "needs a port")
				}
			}
		}
		if s.Public != nil {
			r := s.Public.Host + s.Public.Path
			if other, dup := routes[r]; dup {
				ps.add(key(sp, "public"), "route %s is already taken by service %q", r, other)
			}
			routes[r] = s.Name
			checkAllow(ps, key(sp, "public"), s.Public.Allow)
		}
		if a := s.Autoscale; a != nil {
			if a.Min > a.Max {
				ps.add(key(sp, "autoscale"), "min %d is above max %d", a.Min, a.Max)
			}
			if s.Replicas < a.Min || s.Replicas > a.Max {
				ps.add(key(sp, "replicas"), "%d is outside autoscale bounds %d-%d", s.Replicas, a.Min, a.Max)
			}
		}
		for j, dep := range s.DependsOn {
			if _, ok := names[dep]; !ok {
				ps.unknown(index(key(sp, "dependsOn"), j), "service", dep, sortedKeys(names), "")
			} else if dep == s.Name {
				ps.add(index(key(sp, "dependsOn"), j), "a service cannot depend on itself")
			}
		}
		validateEnv(c, s, sp, dbs, ps)
		volumes := map[string]bool{}
		for j, v := range s.Volumes {
			if volumes[v.Name] {
				ps.add(key(index(key(sp, "volumes"), j), "name"), "duplicate volume %q", v.Name)
			}
			volumes[v.Name] = true
		}
	}
}

func validateEnv(c *Config, s Service, sp string, dbs *databaseIndex, ps *problems) {
	used := map[string]string{}
	claim := func(kind, name string) {
		if !envName.MatchString(name) {
			ps.add(key(key(sp, kind), name), "not a valid environment variable name")
		}
		if other, dup := used[name]; dup {
			ps.add(key(key(sp, kind), name), "also set in %s", other)
		}
		used[name] = kind
	}
	for _, name := range sortedKeys(s.Env) {
		claim("env", name)
		v := s.Env[name]
		switch what := secretscan.Value(v); {
		case what == "a connection string with a password":
			ps.add(key(key(sp, "env"), name), "%s in plain config: use connections or secretEnv", what)
		case what != "":
			ps.add(key(key(sp, "env"), name), "%s in plain config: put it in infra:secrets and use secretEnv", what)
		case secretscan.Name(name) && secretscan.Real(v):
			ps.add(key(key(sp, "env"), name), "looks like a secret in plain config: put it in infra:secrets and use secretEnv")
		}
	}
	for _, name := range sortedKeys(s.SecretEnv) {
		claim("secretEnv", name)
		requireSecret(c, key(key(sp, "secretEnv"), name), s.SecretEnv[name], ps)
	}
	for _, name := range sortedKeys(s.Connections) {
		claim("connections", name)
		conn := s.Connections[name]
		cp := key(key(sp, "connections"), name)
		if dbs == nil {
			ps.add(cp, "no infra:database is declared")
			continue
		}
		if _, ok := dbs.dbs[conn.Database]; !ok {
			ps.unknown(key(cp, "database"), "database", conn.Database, sortedKeys(dbs.dbs), "")
			continue
		}
		if dbs.engine == "external" {
			if conn.Format != "url" {
				ps.add(key(cp, "format"), "an external database is handed over as its url")
			}
			continue
		}
		grants, ok := dbs.access[conn.Role]
		switch {
		case conn.Role == "":
			ps.add(key(cp, "role"), "required")
		case !ok:
			ps.unknown(key(cp, "role"), "role", conn.Role, sortedKeys(dbs.access), "")
		case !grants[conn.Database]:
			ps.add(key(cp, "role"), "role %q is not granted database %q", conn.Role, conn.Database)
		}
	}
}

func validateTopology(c *Config, ps *problems) {
	switch c.Topology {
	case TopologyVPS:
		if c.VPS == nil {
			ps.add(key(Namespace, "vps"), "required with topology vps (size and sshKeys at least)")
		} else {
			validateVPS(c, ps)
		}
	case TopologyKubernetes:
		cp := key(Namespace, "cluster")
		pools := map[string]bool{c.Cluster.SystemPool.Name: true}
		for i, p := range c.Cluster.Pools {
			pp := index(key(cp, "pools"), i)
			if pools[p.Name] {
				ps.add(key(pp, "name"), "duplicate node pool %q", p.Name)
			}
			pools[p.Name] = true
			auto := p.MinNodes > 0 || p.MaxNodes > 0
			switch {
			case auto && p.Count > 0:
				ps.add(pp, "set count or minNodes/maxNodes, not both")
			case auto && (p.MinNodes == 0 || p.MaxNodes == 0):
				ps.add(pp, "autoscaling needs both minNodes and maxNodes")
			case auto && p.MinNodes > p.MaxNodes:
				ps.add(pp, "minNodes %d is above maxNodes %d", p.MinNodes, p.MaxNodes)
			case !auto && p.Count == 0:
				ps.add(key(pp, "count"), "required unless minNodes/maxNodes are set")
			}
		}
		validateKubernetes(c, ps)
	}
}

func validateMonitoring(c *Config, ps *problems) {
	mp := key(Namespace, "monitoring")
	names := map[string]bool{}
	services := map[string]bool{}
	withMetrics := map[string]bool{}
	for _, s := range c.Services {
		services[s.Name] = true
		if s.Metrics != nil {
			withMetrics[s.Name] = true
		}
	}
	validateMonitoringHosts(c, ps)
	for i, a := range c.Monitoring.Alerts {
		ap := index(key(mp, "alerts"), i)
		if names[a.Name] {
			ps.add(key(ap, "name"), "duplicate alert %q", a.Name)
		}
		names[a.Name] = true
		if a.Service != "" && !services[a.Service] {
			ps.unknown(key(ap, "service"), "service", a.Service, sortedKeys(services), "")
		}
		if a.Threshold < 0 {
			ps.add(key(ap, "threshold"), "must not be negative")
		}
		fact, _ := metric.Lookup(metric.Name(a.Metric)) // the schema refuses unknown names
		if fact.Unit == metric.Percent && a.Threshold > 100 {
			ps.add(key(ap, "threshold"), "%s is a percentage: at most 100, got %v", a.Metric, a.Threshold)
		}
		if fact.Unit == metric.None && a.Threshold != 0 {
			ps.add(key(ap, "threshold"), "%s fires on a state and takes no threshold: leave it 0", a.Metric)
		}
		if fact.Scope == metric.App {
			switch {
			case a.Service != "" && services[a.Service] && !withMetrics[a.Service]:
				ps.add(key(ap, "service"), "%s is read from the service's metrics endpoint: declare infra:services[].metrics for %q", a.Metric, a.Service)
			case a.Service == "" && len(withMetrics) == 0:
				ps.add(key(ap, "metric"), "%s is read from the services' metrics endpoints, and no service declares metrics", a.Metric)
			}
		}
	}
	if r := c.Monitoring.Receivers; r != nil {
		rp := key(mp, "receivers")
		requireSecret(c, key(rp, "slackWebhookSecret"), r.SlackWebhookSecret, ps)
		requireSecret(c, key(rp, "smtpPasswordSecret"), r.SMTPPasswordSecret, ps)
		requireSecret(c, key(rp, "pagerdutyKeySecret"), r.PagerDutyKeySecret, ps)
		requireSecret(c, key(rp, "deadMansSwitchSecret"), r.DeadMansSwitchSecret, ps)
		if r.Email != "" && r.SMTPHost == "" {
			ps.add(key(rp, "smtpHost"), "required to send email")
		}
	}
}

// validateMonitoringHosts keeps the monitoring's names free: its compose
// services (VPS) and Grafana's public host.
func validateMonitoringHosts(c *Config, ps *problems) {
	if !*c.Monitoring.Enabled {
		return
	}
	for i, s := range c.Services {
		sp := index(key(Namespace, "services"), i)
		if slices.Contains(MonitoringServices(), s.Name) && c.Topology == TopologyVPS {
			ps.add(key(sp, "name"), "%q is the monitoring's own service on the VPS: choose another name or set infra:monitoring.enabled false", s.Name)
		}
		if s.Public != nil && s.Public.Host == GrafanaHost {
			ps.add(key(key(sp, "public"), "host"), "%q is Grafana's host: choose another", GrafanaHost)
		}
	}
	if c.Topology == TopologyVPS && c.VPS != nil && c.VPS.Tools != nil && !*c.VPS.Tools {
		ps.add(key(key(Namespace, "vps"), "tools"), "monitoring scrapes the host tools (node-exporter, cAdvisor): keep tools on or set infra:monitoring.enabled false")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
