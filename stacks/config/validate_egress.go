package config

import (
	"net/netip"
)

// validateEgress checks each declared outside destination: exactly one of
// cidr and to, a network written in its canonical form (the API server
// refuses 203.0.113.7/24 in an ipBlock), and real ports. A cidr of /0
// would open the cloud metadata address and the VPC: that is what
// `to: internet` is for, with those ranges excluded.
func validateEgress(c *Config, ps *problems) {
	for i, s := range c.Services {
		for j, e := range s.Egress {
			ep := index(key(index(key(Namespace, "services"), i), "egress"), j)
			switch {
			case e.CIDR != "" && e.To != "":
				ps.add(ep, "set cidr or to, not both")
			case e.CIDR == "" && e.To == "":
				ps.add(ep, "set cidr (a network such as 203.0.113.0/24) or to: internet")
			case e.CIDR != "":
				checkEgressCIDR(key(ep, "cidr"), e.CIDR, ps)
			}
			for k, p := range e.Ports {
				if p < 1 || p > 65535 {
					ps.add(index(key(ep, "ports"), k), "must be between 1 and 65535, got %d", p)
				}
			}
		}
	}
}

func checkEgressCIDR(path, cidr string, ps *problems) {
	pre, err := netip.ParsePrefix(cidr)
	switch {
	case err != nil:
		ps.add(path, "not a CIDR: %q", cidr)
	case pre.Bits() == 0:
		ps.add(path, "%s is every address, the cloud metadata service and the VPC included: write to: internet, which leaves those out", cidr)
	case pre.Masked() != pre:
		ps.add(path, "%s has host bits set: write %s", cidr, pre.Masked())
	}
}
