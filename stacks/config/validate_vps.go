package config

import (
	"slices"
	"strings"
)

// validateVPS checks what the single-Droplet topology needs: a way in for
// `pulumi up` (SSH key and admin addresses), Spaces credentials for the
// backups, and services that can share one host.
func validateVPS(c *Config, ps *problems) {
	vp := key(Namespace, "vps")
	v := c.VPS
	if strings.TrimSpace(v.Size) == "" {
		ps.add(key(vp, "size"), "required: a Droplet size slug such as s-2vcpu-4gb")
	}
	if v.SSHPrivateKeySecret == "" {
		ps.add(key(vp, "sshPrivateKeySecret"), "required: the name of the secret holding the private SSH key that `pulumi up` deploys the compose project with")
	}
	requireSecret(c, key(vp, "sshPrivateKeySecret"), v.SSHPrivateKeySecret, ps)
	if len(c.Network.AdminCIDRs) == 0 {
		ps.add(key(key(Namespace, "network"), "adminCidrs"), "required with topology vps: SSH (and so `pulumi up`) is only open to these addresses")
	}
	switch {
	case (v.SpacesKeySecret == "") != (v.SpacesSecretSecret == ""):
		ps.add(vp, "set both spacesKeySecret and spacesSecretSecret, or neither")
	case v.SpacesKeySecret == "" && c.Database != nil && c.Database.Engine == "selfhosted":
		ps.add(key(vp, "spacesKeySecret"), "required with the selfhosted database engine: the nightly dumps go to Spaces")
	case v.SpacesKeySecret == "" && c.Database != nil && c.Database.DumpedOn(c.Topology):
		ps.add(key(vp, "spacesKeySecret"), "required with infra:database.backups on the %s engine: the Droplet uploads the dumps to Spaces with it", c.Database.Engine)
	}
	requireSecret(c, key(vp, "spacesKeySecret"), v.SpacesKeySecret, ps)
	requireSecret(c, key(vp, "spacesSecretSecret"), v.SpacesSecretSecret, ps)
	// An empty spacesRegion follows infra:region; when that is missing or
	// malformed the schema has said so already.
	if (v.SpacesRegion != "" || c.Region != "") && !offered.SpacesRegions.Has(v.SpacesRegion) {
		regions := offered.SpacesRegions.Values
		if v.SpacesRegion == "" {
			ps.add(key(vp, "spacesRegion"), "region %s has no Spaces: choose one of %s for the backups bucket", c.Region, strings.Join(regions, ", "))
		} else {
			ps.add(key(vp, "spacesRegion"), "%s has no Spaces: choose one of %s", v.SpacesRegion, strings.Join(regions, ", "))
		}
	}
	validateVPSServices(c, ps)
}

// validateVPSServices: on one host every service's port is published on
// 127.0.0.1, so ports must be unique and leave 80 and 443 to the proxy.
func validateVPSServices(c *Config, ps *problems) {
	ports := map[int]string{}
	for i, s := range c.Services {
		sp := index(key(Namespace, "services"), i)
		if slices.Contains(VPSServices(), s.Name) {
			ps.add(key(sp, "name"), "%q is one of the VPS's own services (%s)", s.Name, strings.Join(VPSServices(), ", "))
		}
		if s.Port != 0 {
			if s.Port == 80 || s.Port == 443 {
				ps.add(key(sp, "port"), "%d is the proxy's port on the VPS; listen on another", s.Port)
			}
			if other, dup := ports[s.Port]; dup {
				ps.add(key(sp, "port"), "%d is also the port of service %q; on the VPS each service's port is published on 127.0.0.1", s.Port, other)
			} else {
				ports[s.Port] = s.Name
			}
		}
		if *c.VPS.Tools && s.Public != nil && s.Public.Host == c.VPS.ToolsHost {
			ps.add(key(key(sp, "public"), "host"), "%q serves the admin tools (infra:vps.toolsHost); choose another host", s.Public.Host)
		}
	}
}
