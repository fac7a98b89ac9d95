package config

import "net/netip"

// checkAllow checks a route's IP allow-list: each entry a CIDR in its
// canonical form (nginx warns about, and Traefik may read differently, an
// address with host bits set), none admitting everyone (leave the list
// empty for that).
func checkAllow(ps *problems, route string, allow []string) {
	for i, cidr := range allow {
		p := index(key(route, "allow"), i)
		pre, err := netip.ParsePrefix(cidr)
		switch {
		case err != nil:
			ps.add(p, "not a CIDR: %q (write an address as 203.0.113.7/32)", cidr)
		case pre.Bits() == 0:
			ps.add(p, "%s admits everyone; leave allow empty for that", cidr)
		case pre != pre.Masked():
			ps.add(p, "%s has host bits set; write %s", cidr, pre.Masked())
		}
	}
}
