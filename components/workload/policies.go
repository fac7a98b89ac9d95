package workload

import (
	"infra/components/kube"
	"infra/components/service"
)

// SolverLabel marks cert-manager's HTTP-01 solver pods, which it starts in
// the namespace of the route being certified; SolverPort is where they
// answer.
const (
	SolverLabel = "acme.cert-manager.io/http01-solver"
	SolverPort  = 8089
)

// networkPolicies deny every connection in the namespace, then allow what
// the services declare: DNS for all, the ingress controller to public
// services (and to cert-manager's solvers), each declared dependency in
// both directions, peers among themselves, the database to those holding
// a connection string, each service to its declared outside destinations,
// and monitoring to the metrics ports.
func (b *builder) networkPolicies() []kube.Object {
	out := []kube.Object{
		b.policy("default-deny", map[string]any{}, nil, nil),
		b.policy("allow-dns", map[string]any{}, nil, []any{map[string]any{
			"to":    []any{namespacePeer("kube-system")},
			"ports": []any{port("UDP", 53), port("TCP", 53)},
		}}),
	}
	byName := map[string]service.Spec{}
	public := false
	for _, s := range b.args.Services {
		byName[s.Name] = s
		public = public || s.Public != nil
	}
	if public {
		out = append(out, b.policy("acme-solver-from-ingress", map[string]any{SolverLabel: "true"}, []any{map[string]any{
			"from":  []any{namespacePeer(b.args.IngressNamespace)},
			"ports": []any{port("TCP", SolverPort)},
		}}, nil))
	}
	for _, s := range b.args.Services {
		sel := component(s.Name)
		if s.Public != nil {
			out = append(out, b.policy(s.Name+"-from-ingress", sel, []any{map[string]any{
				"from":  []any{namespacePeer(b.args.IngressNamespace)},
				"ports": []any{port("TCP", s.Port)},
			}}, nil))
		}
		for _, name := range s.DependsOn {
			dep := byName[name]
			if dep.Port == 0 {
				continue // a worker takes no connections
			}
			ports := []any{port("TCP", dep.Port)}
			out = append(out,
				b.policy(s.Name+"-to-"+dep.Name, sel, nil, []any{map[string]any{
					"to": []any{podPeer(dep.Name)}, "ports": ports,
				}}),
				b.policy(dep.Name+"-from-"+s.Name, component(dep.Name), []any{map[string]any{
					"from": []any{podPeer(s.Name)}, "ports": ports,
				}}, nil))
		}
		if s.Peers {
			ports := []any{port("TCP", s.Port)}
			out = append(out, b.policy(s.Name+"-peers", sel,
				[]any{map[string]any{"from": []any{podPeer(s.Name)}, "ports": ports}},
				[]any{map[string]any{"to": []any{podPeer(s.Name)}, "ports": ports}}))
		}
		if s.UsesDatabase && len(b.args.DatabaseEgress) > 0 {
			var rules []any
			for _, e := range b.args.DatabaseEgress {
				var ports []any
				for _, p := range e.Ports {
					ports = append(ports, port("TCP", p))
				}
				rule := map[string]any{"to": []any{map[string]any{"ipBlock": map[string]any{"cidr": e.CIDR}}}}
				if ports != nil {
					rule["ports"] = ports
				}
				rules = append(rules, rule)
			}
			out = append(out, b.policy(s.Name+"-to-database", sel, nil, rules))
		}
		if len(s.Egress) > 0 {
			out = append(out, b.policy(s.Name+"-egress", sel, nil, b.egressPolicy(s)))
		}
		if s.Metrics != nil && b.args.MonitoringNamespace != "" && s.Port > 0 {
			mp := s.Metrics.Port
			if mp == 0 {
				mp = s.Port
			}
			out = append(out, b.policy(s.Name+"-from-monitoring", sel, []any{map[string]any{
				"from":  []any{namespacePeer(b.args.MonitoringNamespace)},
				"ports": []any{port("TCP", mp)},
			}}, nil))
		}
	}
	return out
}

// policy is a NetworkPolicy for the selected pods: a nil list leaves that
// direction alone, an empty one (default-deny) denies it.
func (b *builder) policy(name string, podSelector map[string]any, ingress, egress []any) kube.Object {
	spec := map[string]any{"podSelector": map[string]any{}}
	if len(podSelector) > 0 {
		spec["podSelector"] = map[string]any{"matchLabels": podSelector}
	}
	var types []any
	if ingress != nil {
		types = append(types, "Ingress")
		spec["ingress"] = ingress
	}
	if egress != nil {
		types = append(types, "Egress")
		spec["egress"] = egress
	}
	if ingress == nil && egress == nil {
		types = []any{"Ingress", "Egress"}
	}
	spec["policyTypes"] = types
	return kube.Object{
		"apiVersion": "networking.k8s.io/v1",
		"kind":       "NetworkPolicy",
		"metadata":   b.meta(name, nil),
		"spec":       spec,
	}
}

func namespacePeer(ns string) map[string]any {
	return map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": ns}}}
}

func podPeer(name string) map[string]any {
	return map[string]any{"podSelector": map[string]any{"matchLabels": component(name)}}
}

func port(protocol string, p int) map[string]any {
	return map[string]any{"protocol": protocol, "port": p}
}
