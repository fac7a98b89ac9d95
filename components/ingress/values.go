package ingress

import "infra/components/kube"

// traefikValues configures the controller: two replicas, the default
// IngressClass, HTTP redirected to HTTPS at the entry point, the rate limit
// on every HTTPS route, and a DigitalOcean load balancer that forwards the
// client's address with the PROXY protocol (without it every request would
// come from the load balancer and share one rate-limit bucket). Since
// chart 39 entry point HTTP options sit under ports.<name>.http and values
// are checked against the chart's schema.
func traefikValues(args *IngressArgs, hosts []string) map[string]any {
	trusted := []any{args.VPCCIDR, PodSubnet}
	annotations := map[string]any{
		"service.beta.kubernetes.io/do-loadbalancer-name":                  args.LoadBalancerName,
		"service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol": "true",
		"service.beta.kubernetes.io/do-loadbalancer-size-unit":             "1",
	}
	if len(hosts) > 0 {
		// With the PROXY protocol on, traffic from inside the cluster to
		// the load balancer's IP would skip it (and its header); a
		// hostname in the service status sends it through the load
		// balancer, which cert-manager's HTTP-01 self check relies on.
		annotations["service.beta.kubernetes.io/do-loadbalancer-hostname"] = hosts[0]
	}
	websecure := map[string]any{
		"proxyProtocol":    map[string]any{"trustedIPs": trusted},
		"forwardedHeaders": map[string]any{"trustedIPs": trusted},
	}
	if args.RateLimit != nil {
		websecure["http"] = map[string]any{"middlewares": []any{MiddlewareRef(RateLimitMiddleware)}}
	}
	return map[string]any{
		"deployment":          map[string]any{"replicas": 2},
		"podDisruptionBudget": map[string]any{"enabled": true, "maxUnavailable": 1},
		"ingressClass":        map[string]any{"enabled": true, "isDefaultClass": true, "name": ClassName},
		"providers": map[string]any{
			"kubernetesCRD":     map[string]any{"enabled": true, "allowCrossNamespace": false},
			"kubernetesIngress": map[string]any{"enabled": true, "publishedService": map[string]any{"enabled": true}},
		},
		"ports": map[string]any{
			"web": map[string]any{
				"http": map[string]any{"redirections": map[string]any{"entryPoint": map[string]any{
					"to": "websecure", "scheme": "https", "permanent": true,
				}}},
				"proxyProtocol":    map[string]any{"trustedIPs": trusted},
				"forwardedHeaders": map[string]any{"trustedIPs": trusted},
			},
			"websecure": websecure,
		},
		"service": map[string]any{"annotations": annotations},
	}
}

// MiddlewareRef is how Traefik names a Middleware of the controller's
// namespace from an entry point or annotation.
func MiddlewareRef(name string) string {
	return ControllerNamespace + "-" + name + "@kubernetescrd"
}

// certManagerValues installs cert-manager with its CRDs (crds.enabled is
// the current name of installCRDs) and keeps the CRDs if the release is
// ever uninstalled, so certificates are not deleted with it.
func certManagerValues() map[string]any {
	return map[string]any{
		"crds":            map[string]any{"enabled": true, "keep": true},
		"startupapicheck": map[string]any{"enabled": true},
	}
}

// clusterIssuer is a Let's Encrypt issuer solving HTTP-01 challenges
// through the controller.
func clusterIssuer(name, email string) kube.Object {
	acme := map[string]any{
		"server":              ACMEServers[name],
		"privateKeySecretRef": map[string]any{"name": name + "-account"},
		"solvers": []any{map[string]any{
			"http01": map[string]any{"ingress": map[string]any{"ingressClassName": ClassName}},
		}},
	}
	if email != "" {
		acme["email"] = email
	}
	return kube.Object{
		"apiVersion": "cert-manager.io/v1",
		"kind":       "ClusterIssuer",
		"metadata":   map[string]any{"name": name},
		"spec":       map[string]any{"acme": acme},
	}
}

// rateLimit is Traefik's per-client-address limit: rl.RPM requests per
// minute on average, rl.Burst at once.
func rateLimit(rl RateLimit) kube.Object {
	return kube.Object{
		"apiVersion": "traefik.io/v1alpha1",
		"kind":       "Middleware",
		"metadata":   map[string]any{"name": RateLimitMiddleware, "namespace": ControllerNamespace},
		"spec": map[string]any{"rateLimit": map[string]any{
			"average": rl.RPM,
			"period":  "1m",
			"burst":   rl.Burst,
		}},
	}
}
