package workload

import (
	"fmt"

	"infra/components/kube"
	"infra/components/service"
)

func (b *builder) service(s service.Spec) kube.Object {
	ports := []any{map[string]any{"name": "http", "port": s.Port, "targetPort": "http", "protocol": "TCP"}}
	if s.Metrics != nil && s.Metrics.Port != 0 && s.Metrics.Port != s.Port {
		ports = append(ports, map[string]any{"name": "metrics", "port": s.Metrics.Port, "targetPort": "metrics", "protocol": "TCP"})
	}
	return kube.Object{
		"apiVersion": "v1",
		"kind":       "Service",
		"metadata":   b.meta(s.Name, b.labels(s)),
		"spec":       map[string]any{"type": "ClusterIP", "selector": selector(s), "ports": ports},
	}
}

func peersName(s service.Spec) string { return s.Name + "-peers" }

// peersService resolves to every replica's address, ready or not: gossip
// has to find its peers before the cluster it forms is ready.
func (b *builder) peersService(s service.Spec) kube.Object {
	return kube.Object{
		"apiVersion": "v1",
		"kind":       "Service",
		"metadata":   b.meta(peersName(s), b.labels(s)),
		"spec": map[string]any{
			"clusterIP":                "None",
			"publishNotReadyAddresses": true,
			"selector":                 selector(s),
			"ports":                    []any{map[string]any{"name": "gossip", "port": s.Port, "targetPort": "http", "protocol": "TCP"}},
		},
	}
}

// ingress routes a public service over HTTPS only, with a certificate
// cert-manager requests from the cluster issuer.
func (b *builder) ingress(s service.Spec) kube.Object {
	r := s.Public
	meta := b.meta(s.Name, b.labels(s))
	meta["annotations"] = map[string]any{
		"cert-manager.io/cluster-issuer":                   b.args.ClusterIssuer,
		"traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
		"traefik.ingress.kubernetes.io/router.tls":         "true",
	}
	if mw := b.routerMiddlewares(s); mw != "" {
		meta["annotations"].(map[string]any)["traefik.ingress.kubernetes.io/router.middlewares"] = mw
	}
	path := r.Path
	if path == "" {
		path = "/"
	}
	return kube.Object{
		"apiVersion": "networking.k8s.io/v1",
		"kind":       "Ingress",
		"metadata":   meta,
		"spec": map[string]any{
			"ingressClassName": b.args.IngressClass,
			"tls":              []any{map[string]any{"hosts": []any{r.Host}, "secretName": s.Name + "-tls"}},
			"rules": []any{map[string]any{
				"host": r.Host,
				"http": map[string]any{"paths": []any{map[string]any{
					"path":     path,
					"pathType": "Prefix",
					"backend":  map[string]any{"service": map[string]any{"name": s.Name, "port": map[string]any{"name": "http"}}},
				}}},
			}},
		},
	}
}

// privateMetrics keeps a public service's metrics path from the internet
// when its Ingress would route it (service.Spec.PrivateMetricsPath): a
// Traefik IngressRoute on the same host and entry point matches that path
// in every case and with or without a trailing slash, above every Ingress
// route (priority), and passes it through a Middleware that admits only
// loopback, so Traefik answers 403. Prometheus scrapes the pods directly.
func (b *builder) privateMetrics(s service.Spec) []kube.Object {
	p := s.PrivateMetricsPath()
	if p == "" {
		return nil
	}
	name := s.Name + "-metrics-private"
	middleware := kube.Object{
		"apiVersion": "traefik.io/v1alpha1",
		"kind":       "Middleware",
		"metadata":   b.meta(name, b.labels(s)),
		"spec":       map[string]any{"ipAllowList": map[string]any{"sourceRange": []any{"127.0.0.1/32"}}},
	}
	match := fmt.Sprintf("Host(`%s`) && PathRegexp(`(?i)%s`)", s.Public.Host, service.PrivateMetricsPattern(p))
	route := kube.Object{
		"apiVersion": "traefik.io/v1alpha1",
		"kind":       "IngressRoute",
		"metadata":   b.meta(name, b.labels(s)),
		"spec": map[string]any{
			"entryPoints": []any{"websecure"},
			"routes": []any{map[string]any{
				"kind":        "Rule",
				"match":       match,
				"priority":    privateMetricsPriority,
				"middlewares": []any{map[string]any{"name": name}},
				"services":    []any{map[string]any{"name": s.Name, "port": "http"}},
			}},
			"tls": map[string]any{"secretName": s.Name + "-tls"},
		},
	}
	return []kube.Object{middleware, route}
}

// privateMetricsPriority puts the metrics route above the Ingress routes,
// whose priority Traefik sets to the length of their rule.
const privateMetricsPriority = 100000

func (b *builder) autoscaler(s service.Spec) kube.Object {
	a := s.Autoscale
	var metrics []any
	for _, m := range []struct {
		name   string
		target int
	}{{"cpu", a.CPU}, {"memory", a.Memory}} {
		if m.target == 0 {
			continue
		}
		metrics = append(metrics, map[string]any{
			"type":     "Resource",
			"resource": map[string]any{"name": m.name, "target": map[string]any{"type": "Utilization", "averageUtilization": m.target}},
		})
	}
	spec := map[string]any{
		"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": s.Name},
		"minReplicas":    a.Min,
		"maxReplicas":    a.Max,
	}
	if metrics != nil {
		spec["metrics"] = metrics
	}
	return kube.Object{"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": b.meta(s.Name, b.labels(s)), "spec": spec}
}

// disruptionBudget lets node drains take one replica at a time.
func (b *builder) disruptionBudget(s service.Spec) kube.Object {
	return kube.Object{
		"apiVersion": "policy/v1",
		"kind":       "PodDisruptionBudget",
		"metadata":   b.meta(s.Name, b.labels(s)),
		"spec": map[string]any{
			"maxUnavailable": 1,
			"selector":       map[string]any{"matchLabels": selector(s)},
		},
	}
}

// jobPod is a service's pod for a one-off or scheduled command.
func (b *builder) jobPod(s service.Spec, args []string, role string) map[string]any {
	pod := b.podSpec(s, args, false)
	pod["restartPolicy"] = "Never"
	labels := b.labels(s)
	labels[NameLabel] = s.Name + "-" + role
	return map[string]any{"metadata": map[string]any{"labels": labels}, "spec": pod}
}

func (b *builder) migrateJob(s service.Spec) kube.Object {
	return kube.Object{
		"apiVersion": "batch/v1",
		"kind":       "Job",
		"metadata":   b.meta(s.Name+"-migrate", b.labels(s)),
		"spec": map[string]any{
			"backoffLimit": 2,
			"template":     b.jobPod(s, s.Migrate, "migrate"),
		},
	}
}

func (b *builder) cronJob(s service.Spec, cj service.CronJob) kube.Object {
	return kube.Object{
		"apiVersion": "batch/v1",
		"kind":       "CronJob",
		"metadata":   b.meta(s.Name+"-"+cj.Name, b.labels(s)),
		"spec": map[string]any{
			"schedule":                   cj.Schedule,
			"concurrencyPolicy":          "Forbid",
			"successfulJobsHistoryLimit": 3,
			"failedJobsHistoryLimit":     3,
			"jobTemplate": map[string]any{"spec": map[string]any{
				"backoffLimit": 2,
				"template":     b.jobPod(s, cj.Command, cj.Name),
			}},
		},
	}
}
