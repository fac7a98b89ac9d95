package config

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// validateKubernetes checks what topology kubernetes needs beyond the
// schema: a fixed system pool, services placed on pools that exist, and the
// features the Kubernetes workloads do not offer.
func validateKubernetes(c *Config, ps *problems) {
	cp := key(Namespace, "cluster")
	sp := c.Cluster.SystemPool
	switch {
	case sp.MinNodes > 0 || sp.MaxNodes > 0:
		ps.add(key(cp, "systemPool"), "the system pool is fixed (changing it replaces the cluster): set count, and autoscale a workload pool instead")
	case sp.Count == 0:
		ps.add(key(key(cp, "systemPool"), "count"), "required")
	}
	if r := c.Cluster.ChartRepository; r != "" {
		if err := checkChartRepository(r); err != nil {
			ps.add(key(cp, "chartRepository"), "%v", err)
		}
	}
	pools := map[string]bool{}
	for _, p := range c.Cluster.Pools {
		pools[p.Name] = true
	}
	for i, s := range c.Services {
		svc := index(key(Namespace, "services"), i)
		if s.Pool != "" && !pools[s.Pool] {
			ps.add(key(svc, "pool"), "unknown node pool %q: name one of infra:cluster.pools", s.Pool)
		}
		if len(s.Volumes) > 0 && (s.Replicas > 1 || s.Autoscale != nil) {
			// DigitalOcean volumes attach to one node (ReadWriteOnce).
			ps.add(key(svc, "volumes"), "a service with volumes runs one replica on kubernetes (block storage attaches to one node)")
		}
	}
	validateClusterSpaces(c, ps)
}

// checkChartRepository accepts an https URL with a host, or http on a
// loopback address: charts carry the cluster's controllers, so they are
// not fetched in the clear over a network.
func checkChartRepository(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("a Helm repository URL: https://host/path")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
			return nil
		}
		return errors.New("http only on a loopback address: use https")
	default:
		return errors.New("a Helm repository URL: https://host/path")
	}
}

// validateClusterSpaces checks the Spaces key of the Kubernetes backups: both
// halves or neither, required when a managed or external database is dumped, and a
// region with Spaces for the bucket.
func validateClusterSpaces(c *Config, ps *problems) {
	cp := key(Namespace, "cluster")
	cl := c.Cluster
	dumped := c.Database != nil && c.Database.DumpedOn(c.Topology)
	switch {
	case (cl.SpacesKeySecret == "") != (cl.SpacesSecretSecret == ""):
		ps.add(cp, "set both spacesKeySecret and spacesSecretSecret, or neither")
	case cl.SpacesKeySecret == "" && dumped:
		ps.add(key(cp, "spacesKeySecret"), "required with infra:database.backups on a managed or external database: the backup CronJob uploads the dumps to Spaces with it")
	}
	requireSecret(c, key(cp, "spacesKeySecret"), cl.SpacesKeySecret, ps)
	requireSecret(c, key(cp, "spacesSecretSecret"), cl.SpacesSecretSecret, ps)
	if !dumped {
		return
	}
	// An empty spacesRegion follows infra:region; when that is missing or
	// malformed the schema has said so already.
	if (cl.SpacesRegion != "" || c.Region != "") && !offered.SpacesRegions.Has(cl.SpacesRegion) {
		regions := strings.Join(offered.SpacesRegions.Values, ", ")
		if cl.SpacesRegion == "" {
			ps.add(key(cp, "spacesRegion"), "region %s has no Spaces: choose one of %s for the backups bucket", c.Region, regions)
		} else {
			ps.add(key(cp, "spacesRegion"), "%s has no Spaces: choose one of %s", cl.SpacesRegion, regions)
		}
	}
}
