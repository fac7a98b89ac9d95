package workload

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/service"
	"infra/internal/pulumitest"
)

const secretValue = "s3cr3t-connection-string"

func specs() []service.Spec {
	res := service.Resources{CPU: "1", Memory: "1Gi", RequestCPU: "250m", RequestMemory: "256Mi"}
	secret := pulumi.ToSecret(pulumi.String(secretValue)).(pulumi.StringOutput)
	return []service.Spec{
		{
			Name: "api", Image: "ghcr.io/demo/api:1.0", Port: 8080, Health: "/healthz",
			Public:   &service.Route{Host: "api.example.com", Path: "/"},
			Replicas: 2, Resources: res,
			Autoscale: &service.Autoscale{Min: 2, Max: 6, CPU: 70, Memory: 80},
			DependsOn: []string{"redis"}, UsesDatabase: true,
			Env:       map[string]string{"MODE": "prod"},
			SecretEnv: map[string]pulumi.StringOutput{"DATABASE_URL": secret},
			Metrics:   &service.Metrics{Path: "/metrics", Port: 9090},
			User:      10001, ReadOnlyRootFilesystem: true,
		},
		{
			Name: "redis", Image: "redis:7.4-alpine", Port: 6379, Replicas: 1, Resources: res, User: 999,
			Volumes: []service.Volume{{Name: "data", Path: "/data", Size: "5Gi"}},
		},
		{
			Name: "worker", Image: "ghcr.io/demo/api:1.0", Command: []string{"worker"}, Replicas: 1, Resources: res, User: 10001,
			DependsOn: []string{"redis", "api"}, UsesDatabase: true, Pool: "batch", ReadOnlyRootFilesystem: true,
			SecretEnv: map[string]pulumi.StringOutput{"DATABASE_URL": secret},
			Migrate:   []string{"./migrate", "up"},
			CronJobs:  []service.CronJob{{Name: "cleanup", Schedule: "0 3 * * *", Command: []string{"./cleanup"}}},
		},
		{
			Name: "gossip", Image: "ghcr.io/demo/gossip:1.0", Port: 7946, Replicas: 3, Resources: res, User: 10001,
			Peers: true, ServiceAccountToken: true, ReadOnlyRootFilesystem: true,
		},
	}
}

func testArgs() *WorkloadArgs {
	return &WorkloadArgs{
		Namespace: "app", PartOf: "demo", Services: specs(),
		IngressClass: "traefik", IngressNamespace: "traefik", ClusterIssuer: "letsencrypt-prod",
		DefaultPool:         "apps",
		PoolTaints:          map[string][]Toleration{"batch": {{Key: "batch", Value: "true", Effect: "NoSchedule"}}},
		DatabaseEgress:      []Egress{{CIDR: "10.0.0.0/16", Ports: []int{25060, 25061}}},
		MonitoringNamespace: "monitoring",
		Protect:             true,
	}
}

func run(t *testing.T, args *WorkloadArgs) (*pulumitest.Recorder, *Workload) {
	t.Helper()
	var w *Workload
	rec := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		var err error
		w, err = NewWorkload(ctx, "demo", args)
		return err
	})
	return rec, w
}

func TestNetworkPolicies(t *testing.T) {
	rec, _ := run(t, testArgs())
	var names []string
	for _, r := range rec.ByType(token("NetworkPolicy")) {
		names = append(names, strings.TrimPrefix(r.Name, "demo-networkpolicy-"))
	}
	sort.Strings(names)
	want := []string{
		"acme-solver-from-ingress", "allow-dns", "api-from-ingress", "api-from-monitoring", "api-from-worker",
		"api-to-database", "api-to-redis", "default-deny", "gossip-peers", "redis-from-api", "redis-from-worker",
		"worker-to-api", "worker-to-database", "worker-to-redis",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("network policies\n got %v\nwant %v", names, want)
	}
	pod := func(name string) map[string]any {
		return map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{ComponentLabel: name}}}
	}
	ns := func(name string) map[string]any {
		return map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": name}}}
	}
	tcp := func(p int) map[string]any { return map[string]any{"protocol": "TCP", "port": p} }
	for _, tc := range []struct {
		name string
		want map[string]any
	}{
		{"default-deny", map[string]any{"spec": map[string]any{"podSelector": map[string]any{}, "policyTypes": []any{"Ingress", "Egress"}}}},
		{"allow-dns", map[string]any{"spec.podSelector": map[string]any{}, "spec.policyTypes": []any{"Egress"}, "spec.egress": []any{map[string]any{
			"to": []any{ns("kube-system")}, "ports": []any{map[string]any{"protocol": "UDP", "port": 53}, tcp(53)},
		}}}},
		{"api-from-ingress", map[string]any{"spec.podSelector.matchLabels": map[string]any{ComponentLabel: "api"}, "spec.policyTypes": []any{"Ingress"},
			"spec.ingress": []any{map[string]any{"from": []any{ns("traefik")}, "ports": []any{tcp(8080)}}}}},
		{"api-to-redis", map[string]any{"spec.podSelector.matchLabels": map[string]any{ComponentLabel: "api"}, "spec.policyTypes": []any{"Egress"},
			"spec.egress": []any{map[string]any{"to": []any{pod("redis")}, "ports": []any{tcp(6379)}}}}},
		{"redis-from-api", map[string]any{"spec.podSelector.matchLabels": map[string]any{ComponentLabel: "redis"}, "spec.policyTypes": []any{"Ingress"},
			"spec.ingress": []any{map[string]any{"from": []any{pod("api")}, "ports": []any{tcp(6379)}}}}},
		{"worker-to-api", map[string]any{"spec.egress": []any{map[string]any{"to": []any{pod("api")}, "ports": []any{tcp(8080)}}}}},
		{"gossip-peers", map[string]any{"spec.policyTypes": []any{"Ingress", "Egress"},
			"spec.ingress": []any{map[string]any{"from": []any{pod("gossip")}, "ports": []any{tcp(7946)}}},
			"spec.egress":  []any{map[string]any{"to": []any{pod("gossip")}, "ports": []any{tcp(7946)}}}}},
		{"api-to-database", map[string]any{"spec.egress": []any{map[string]any{
			"to": []any{map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/16"}}}, "ports": []any{tcp(25060), tcp(25061)},
		}}}},
		{"api-from-monitoring", map[string]any{"spec.ingress": []any{map[string]any{"from": []any{ns("monitoring")}, "ports": []any{tcp(9090)}}}}},
		{"acme-solver-from-ingress", map[string]any{"spec.podSelector.matchLabels": map[string]any{SolverLabel: "true"},
			"spec.ingress": []any{map[string]any{"from": []any{ns("traefik")}, "ports": []any{tcp(SolverPort)}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, tc.name, mustObject(t, rec, "NetworkPolicy", tc.name), tc.want)
		})
	}
}

func TestDeployments(t *testing.T) {
	rec, _ := run(t, testArgs())
	api := mustObject(t, rec, "Deployment", "api")
	expect(t, "api", api, map[string]any{
		"spec.replicas":                                   2,
		"spec.strategy":                                   map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxUnavailable": 0, "maxSurge": 1}},
		"spec.selector.matchLabels":                       map[string]any{NameLabel: "api"},
		"spec.template.spec.nodeSelector":                 map[string]any{PoolLabel: "apps"},
		"spec.template.spec.securityContext":              map[string]any{"runAsNonRoot": true, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001, "seccompProfile": map[string]any{"type": "RuntimeDefault"}},
		"spec.template.spec.automountServiceAccountToken": false,
		"spec.template.spec.serviceAccountName":           "api",
		"spec.template.spec.topologySpreadConstraints": []any{map[string]any{
			"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule", "nodeTaintsPolicy": "Honor",
			"labelSelector": map[string]any{"matchLabels": map[string]any{NameLabel: "api"}},
		}},
	})
	c := pulumitest.Path(api, "spec.template.spec.containers").([]any)[0].(map[string]any)
	expect(t, "api container", c, map[string]any{
		"image":                     "ghcr.io/demo/api:1.0",
		"resources":                 map[string]any{"requests": map[string]any{"cpu": "250m", "memory": "256Mi"}, "limits": map[string]any{"cpu": "1", "memory": "1Gi"}},
		"readinessProbe.httpGet":    map[string]any{"path": "/healthz", "port": "http"},
		"livenessProbe.httpGet":     map[string]any{"path": "/healthz", "port": "http"},
		"startupProbe.httpGet.path": "/healthz",
		"securityContext":           map[string]any{"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true, "runAsUser": 10001, "capabilities": map[string]any{"drop": []any{"ALL"}}},
		"envFrom":                   []any{map[string]any{"configMapRef": map[string]any{"name": "api-env"}}, map[string]any{"secretRef": map[string]any{"name": "api-env"}}},
		"ports":                     []any{map[string]any{"name": "http", "containerPort": 8080, "protocol": "TCP"}, map[string]any{"name": "metrics", "containerPort": 9090, "protocol": "TCP"}},
	})
	d := rec.Get(t, token("Deployment"), "demo-deployment-api")
	if !slices.Equal(d.IgnoreChanges, []string{"spec.replicas"}) {
		t.Errorf("autoscaled deployment ignores %v, want spec.replicas (the autoscaler owns it)", d.IgnoreChanges)
	}
	for _, dep := range []string{"demo-serviceaccount-api", "demo-configmap-api-env", "demo-secret-api-env"} {
		if !dependsOn(rec, d, dep) {
			t.Errorf("api deployment does not wait for %s", dep)
		}
	}

	redis := mustObject(t, rec, "Deployment", "redis")
	expect(t, "redis", redis, map[string]any{
		"spec.strategy": map[string]any{"type": "Recreate"},
		"spec.template.spec.volumes": []any{
			map[string]any{"name": "tmp", "emptyDir": map[string]any{"sizeLimit": "1Gi"}},
			map[string]any{"name": "data", "persistentVolumeClaim": map[string]any{"claimName": "redis-data"}},
		},
	})
	rc := pulumitest.Path(redis, "spec.template.spec.containers").([]any)[0].(map[string]any)
	expect(t, "redis container", rc, map[string]any{
		"readinessProbe.tcpSocket":               map[string]any{"port": "http"},
		"securityContext.readOnlyRootFilesystem": false,
	})
	if r := rec.Get(t, token("Deployment"), "demo-deployment-redis"); len(r.IgnoreChanges) != 0 {
		t.Errorf("fixed-size deployment ignores %v", r.IgnoreChanges)
	}

	worker := mustObject(t, rec, "Deployment", "worker")
	expect(t, "worker", worker, map[string]any{
		"spec.template.spec.nodeSelector": map[string]any{PoolLabel: "batch"},
		"spec.template.spec.tolerations":  []any{map[string]any{"key": "batch", "operator": "Equal", "value": "true", "effect": "NoSchedule"}},
	})
	wc := pulumitest.Path(worker, "spec.template.spec.containers").([]any)[0].(map[string]any)
	for _, f := range []string{"ports", "readinessProbe", "livenessProbe"} {
		if wc[f] != nil {
			t.Errorf("worker container has %s without a port", f)
		}
	}
	if !same(wc["args"], []any{"worker"}) {
		t.Errorf("worker args = %v", wc["args"])
	}
	if !dependsOn(rec, rec.Get(t, token("Deployment"), "demo-deployment-worker"), "demo-job-worker-migrate") {
		t.Error("worker rolls out before its migration")
	}
}

func TestObjectsPerService(t *testing.T) {
	rec, _ := run(t, testArgs())
	for _, tc := range []struct {
		kind, name string
		want       bool
	}{
		{"PodDisruptionBudget", "api", true}, {"PodDisruptionBudget", "gossip", true},
		{"PodDisruptionBudget", "redis", false}, {"PodDisruptionBudget", "worker", false},
		{"HorizontalPodAutoscaler", "api", true}, {"HorizontalPodAutoscaler", "gossip", false},
		{"Ingress", "api", true}, {"Ingress", "redis", false},
		{"Service", "api", true}, {"Service", "worker", false}, {"Service", "gossip-peers", true}, {"Service", "api-peers", false},
		{"ConfigMap", "api-env", true}, {"ConfigMap", "redis-env", false},
		{"Secret", "api-env", true}, {"Secret", "worker-env", true}, {"Secret", "gossip-env", false},
		{"Job", "worker-migrate", true}, {"Job", "api-migrate", false},
		{"CronJob", "worker-cleanup", true},
		{"PersistentVolumeClaim", "redis-data", true},
		{"ServiceAccount", "api", true}, {"ServiceAccount", "worker", true},
	} {
		if got := object(rec, tc.kind, tc.name) != nil; got != tc.want {
			t.Errorf("%s %s declared: %v, want %v", tc.kind, tc.name, got, tc.want)
		}
	}
	expect(t, "hpa", mustObject(t, rec, "HorizontalPodAutoscaler", "api"), map[string]any{
		"spec.minReplicas":    2,
		"spec.maxReplicas":    6,
		"spec.scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
		"spec.metrics": []any{
			map[string]any{"type": "Resource", "resource": map[string]any{"name": "cpu", "target": map[string]any{"type": "Utilization", "averageUtilization": 70}}},
			map[string]any{"type": "Resource", "resource": map[string]any{"name": "memory", "target": map[string]any{"type": "Utilization", "averageUtilization": 80}}},
		},
	})
	expect(t, "pdb", mustObject(t, rec, "PodDisruptionBudget", "gossip"), map[string]any{
		"spec.maxUnavailable": 1, "spec.selector.matchLabels": map[string]any{NameLabel: "gossip"},
	})
	ing := mustObject(t, rec, "Ingress", "api")
	expect(t, "ingress", ing, map[string]any{
		"spec.ingressClassName": "traefik",
		"spec.tls":              []any{map[string]any{"hosts": []any{"api.example.com"}, "secretName": "api-tls"}},
	})
	ann := pulumitest.Path(ing, "metadata.annotations").(map[string]any)
	if ann["cert-manager.io/cluster-issuer"] != "letsencrypt-prod" || ann["traefik.ingress.kubernetes.io/router.tls"] != "true" ||
		ann["traefik.ingress.kubernetes.io/router.entrypoints"] != "websecure" {
		t.Errorf("ingress annotations = %v", ann)
	}
	expect(t, "peers", mustObject(t, rec, "Service", "gossip-peers"), map[string]any{
		"spec.clusterIP": "None", "spec.publishNotReadyAddresses": true,
	})
	expect(t, "service account", mustObject(t, rec, "ServiceAccount", "gossip"), map[string]any{"automountServiceAccountToken": true})
	expect(t, "service account", mustObject(t, rec, "ServiceAccount", "api"), map[string]any{"automountServiceAccountToken": false})
	expect(t, "cron", mustObject(t, rec, "CronJob", "worker-cleanup"), map[string]any{
		"spec.schedule": "0 3 * * *", "spec.concurrencyPolicy": "Forbid",
		"spec.jobTemplate.spec.template.spec.restartPolicy": "Never",
	})
	job := mustObject(t, rec, "Job", "worker-migrate")
	expect(t, "job", job, map[string]any{"spec.template.spec.restartPolicy": "Never"})
	jc := pulumitest.Path(job, "spec.template.spec.containers").([]any)[0].(map[string]any)
	expect(t, "job container", jc, map[string]any{
		"args":    []any{"./migrate", "up"},
		"envFrom": []any{map[string]any{"secretRef": map[string]any{"name": "worker-env"}}},
	})
	labels := pulumitest.Path(mustObject(t, rec, "Job", "worker-migrate"), "spec.template.metadata").(map[string]any)["labels"].(map[string]any)
	if labels[NameLabel] != "worker-migrate" || labels[ComponentLabel] != "worker" {
		t.Errorf("migration pods are labelled %v: the Service must not select them, the policies must", labels)
	}
	pvc := rec.Get(t, token("PersistentVolumeClaim"), "demo-persistentvolumeclaim-redis-data")
	if !pvc.Protect {
		t.Error("volume claim is not protected")
	}
}

func TestSecretsStaySecret(t *testing.T) {
	rec, w := run(t, testArgs())
	s := mustObject(t, rec, "Secret", "api-env")
	if got := pulumitest.Path(s, "stringData.DATABASE_URL"); got != (pulumitest.Secret{Value: secretValue}) {
		t.Errorf("Secret stringData.DATABASE_URL = %#v, want the Pulumi secret", got)
	}
	for path, doc := range w.Manifests {
		if strings.Contains(doc, secretValue) {
			t.Errorf("%s holds a secret value", path)
		}
	}
	if !strings.Contains(w.Manifests["kubernetes/app/secret-api-env.yaml"], "DATABASE_URL: '[secret]'") {
		t.Errorf("rendered Secret does not show its keys:\n%s", w.Manifests["kubernetes/app/secret-api-env.yaml"])
	}
}

func TestEveryObjectIsRenderedAndParented(t *testing.T) {
	rec, w := run(t, testArgs())
	comp := rec.Get(t, "infra:workload:Workload", "demo")
	objects := 0
	for _, r := range rec.Resources {
		if r.URN == comp.URN {
			continue
		}
		objects++
		if r.Parent != comp.URN {
			t.Errorf("%s %s has parent %q", r.Type, r.Name, r.Parent)
		}
	}
	if objects != len(w.Manifests) {
		t.Errorf("%d objects declared, %d rendered", objects, len(w.Manifests))
	}
	ns := rec.Get(t, token("Namespace"), "demo-namespace-app")
	expect(t, "namespace", pulumitest.Plain(ns.Inputs), map[string]any{"metadata.name": "app"})
	if got := pulumitest.Plain(ns.Inputs)["metadata"].(map[string]any)["labels"].(map[string]any)["pod-security.kubernetes.io/enforce"]; got != "restricted" {
		t.Errorf("namespace pod security = %v, want restricted", got)
	}
	if !slices.Equal(w.URLs, []string{"https://api.example.com/"}) {
		t.Errorf("URLs = %v", w.URLs)
	}
}

func TestBadArgs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*WorkloadArgs)
		want   string
	}{
		{"unknown dependency", func(a *WorkloadArgs) { a.Services[0].DependsOn = []string{"cache"} }, `unknown dependency "cache"`},
		{"public without issuer", func(a *WorkloadArgs) { a.ClusterIssuer = "" }, "public route needs"},
		{"root", func(a *WorkloadArgs) { a.Services[1].User = 0 }, "non-root user"},
		{"no namespace", func(a *WorkloadArgs) { a.Namespace = "" }, "namespace is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := testArgs()
			tc.mutate(args)
			_, err := pulumitest.RunErr(func(ctx *pulumi.Context) error {
				_, err := NewWorkload(ctx, "demo", args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestMetricsStayPrivate: a public service whose metrics share its routed
// port gets a Traefik route that refuses its metrics path; one whose
// metrics are on their own port (not on the Ingress' backend port) and a
// private one get none.
func TestMetricsStayPrivate(t *testing.T) {
	args := testArgs()
	shared := args.Services[0]
	shared.Name, shared.Metrics = "web", &service.Metrics{Path: "/metrics", Port: shared.Port}
	shared.Public = &service.Route{Host: "www.example.com", Path: "/"}
	args.Services = append(args.Services, shared)
	rec, _ := run(t, args)

	route := mustObject(t, rec, "IngressRoute", "web-metrics-private")
	expect(t, "web's metrics route", route, map[string]any{"spec": map[string]any{
		"entryPoints": []any{"websecure"},
		"routes": []any{map[string]any{
			"kind": "Rule", "match": "Host(`www.example.com`) && PathRegexp(`(?i)^/metrics/?$`)", "priority": 100000,
			"middlewares": []any{map[string]any{"name": "web-metrics-private"}},
			"services":    []any{map[string]any{"name": "web", "port": "http"}},
		}},
		"tls": map[string]any{"secretName": "web-tls"},
	}})
	mw := mustObject(t, rec, "Middleware", "web-metrics-private")
	expect(t, "web's metrics middleware", mw, map[string]any{"spec": map[string]any{
		"ipAllowList": map[string]any{"sourceRange": []any{"127.0.0.1/32"}},
	}})
	for _, name := range []string{"api", "redis", "worker", "gossip"} {
		if object(rec, "IngressRoute", name+"-metrics-private") != nil {
			t.Errorf("%s: a metrics route, though its metrics are not reachable through its Ingress", name)
		}
	}
}
