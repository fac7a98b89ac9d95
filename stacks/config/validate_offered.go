package config

import (
	"slices"
	"strings"

	"infra/internal/catalog"
)

// offered is what DigitalOcean offers (internal/catalog): the same dated,
// sourced table the strict stand-in providers check against, so validation
// refuses what the provider would. Read-only, embedded in the binary.
var offered = catalog.MustLoad()

// validateOffered checks sizes, regions and versions against the catalog,
// and standby nodes against the plans that may have them.
func validateOffered(c *Config, ps *problems) {
	if c.Region != "" && !offered.Regions.Has(c.Region) {
		ps.add(key(Namespace, "region"), "%q is not a DigitalOcean region; choose one of %s", c.Region, strings.Join(offered.Regions.Values, ", "))
	}
	if c.VPS != nil && c.VPS.Size != "" && !offered.DropletSizes.Has(c.VPS.Size) {
		ps.add(key(key(Namespace, "vps"), "size"), "%q is not a Droplet size DigitalOcean offers (e.g. s-2vcpu-4gb, s-4vcpu-8gb)", c.VPS.Size)
	}
	if cl := c.Cluster; cl != nil {
		cp := key(Namespace, "cluster")
		if cl.VersionPrefix != "" && !offered.KubernetesMinors.Offers(cl.VersionPrefix) {
			ps.add(key(cp, "versionPrefix"), "DOKS does not offer Kubernetes %s; offered: %s (%s)", cl.VersionPrefix,
				strings.Join(offered.KubernetesMinors.Minors(), ", "), offered.KubernetesMinors.Source)
		}
		if cl.SystemPool != nil && cl.SystemPool.Size != "" && !offered.DropletSizes.Has(cl.SystemPool.Size) {
			ps.add(key(key(cp, "systemPool"), "size"), "%q is not a node size DigitalOcean offers", cl.SystemPool.Size)
		}
		for i, p := range cl.Pools {
			if p.Size != "" && !offered.DropletSizes.Has(p.Size) {
				ps.add(key(index(key(cp, "pools"), i), "size"), "%q is not a node size DigitalOcean offers", p.Size)
			}
		}
	}
	d := c.Database
	if d == nil || d.Engine == "external" {
		return
	}
	dp := key(Namespace, "database")
	if d.Version != "" && !slices.Contains(offered.PostgresVersions.Versions(), d.Version) {
		ps.add(key(dp, "version"), "PostgreSQL %s is not offered for new clusters; choose one of %s (%s)", d.Version,
			strings.Join(offered.PostgresVersions.Versions(), ", "), offered.PostgresVersions.Source)
	}
	if d.Engine != "managed" || d.Size == "" {
		return
	}
	if _, ok := offered.DatabaseSizes.Lookup(d.Size); !ok {
		ps.add(key(dp, "size"), "%q is not a managed database plan; choose one of %s", d.Size, strings.Join(offered.DatabaseSizes.Slugs(), ", "))
	} else if d.Nodes >= 2 && !offered.DatabaseSizes.AllowsStandby(d.Size) {
		ps.add(key(dp, "size"), "%s cannot have standby nodes (nodes: %d): DigitalOcean allows them only on plans with 2 GB of RAM or more; use %s or larger, or nodes: 1",
			d.Size, d.Nodes, offered.DatabaseSizes.WithStandby()[0])
	}
}
