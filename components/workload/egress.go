package workload

import "infra/components/service"

// InternetCIDR with InternetExcept is the ipBlock of `to: internet`: every IPv4 address except
// the ranges that are not the internet. Left out, so that a service
// allowed "the internet" cannot reach the VPC, the managed database or
// the node's neighbours through it:
//   - 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16: private networks (RFC 1918),
//     which hold the VPC, the cluster's pod and service networks;
//   - 100.64.0.0/10: shared address space (RFC 6598), used by carrier NAT
//     and by some clusters' internal networks;
//   - 169.254.0.0/16: link-local (RFC 3927), which holds the cloud
//     metadata service (169.254.169.254) and its credentials.
const InternetCIDR = "0.0.0.0/0"

// InternetExcept are the ranges Internet leaves out.
var InternetExcept = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"}

// egressPolicy is `<svc>-egress`: the service's pods may open connections
// to its declared outside destinations, one rule per destination.
func (b *builder) egressPolicy(s service.Spec) []any {
	var rules []any
	for _, e := range s.Egress {
		block := map[string]any{"cidr": e.CIDR}
		if e.Internet {
			block = map[string]any{"cidr": InternetCIDR, "except": toAny(InternetExcept)}
		}
		protocol := e.Protocol
		if protocol == "" {
			protocol = "TCP"
		}
		var ports []any
		for _, p := range e.Ports {
			ports = append(ports, port(protocol, p))
		}
		rules = append(rules, map[string]any{
			"to":    []any{map[string]any{"ipBlock": block}},
			"ports": ports,
		})
	}
	return rules
}
