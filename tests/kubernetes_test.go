package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"infra/components/kube"
	"infra/internal/plan"
	"infra/internal/planner"
	"infra/stacks/config"
)

const jarvisStack = "../examples/jarvis-cluster/Pulumi.prod.yaml"

// planK8sStack plans a stack file, after edit rewrites its text.
func planK8sStack(t *testing.T, path, project string, edit func(string) string) *plan.Plan {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if edit != nil {
		text = edit(text)
	}
	tmp := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := config.ReadFile(tmp)
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Run(project, "prod", raw)
	if err != nil {
		t.Fatalf("plan %s: %v", path, err)
	}
	return p
}

func planJarvis(t *testing.T) *plan.Plan {
	return planK8sStack(t, jarvisStack, "jarvis-cluster", nil)
}

// k8sObject finds a declared Kubernetes object by type token suffix and
// object name (metadata.name).
func k8sObject(t *testing.T, p *plan.Plan, kind, name string) map[string]any {
	t.Helper()
	for _, r := range p.Resources {
		if strings.HasPrefix(r.Type, "kubernetes:") && strings.HasSuffix(r.Type, ":"+kind) && kube.Object(r.Inputs).Name() == name {
			return r.Inputs
		}
	}
	t.Fatalf("no %s %s in the plan", kind, name)
	return nil
}

func k8sResources(p *plan.Plan, typ string) []plan.Resource {
	var out []plan.Resource
	for _, r := range p.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// at reads a dotted path; a segment "[n]" indexes a list.
func at(v any, path string) any {
	for _, key := range strings.Split(path, ".") {
		switch cur := v.(type) {
		case map[string]any:
			v = cur[key]
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(cur) {
				return nil
			}
			v = cur[i]
		default:
			return nil
		}
	}
	return v
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	var xa, ya any
	_ = json.Unmarshal(x, &xa)
	_ = json.Unmarshal(y, &ya)
	return reflect.DeepEqual(xa, ya)
}

// TestJarvisClusterSeedNumbers checks the seed's numbers end to end, from
// the stack file to the declared resources.
func TestJarvisClusterSeedNumbers(t *testing.T) {
	p := planJarvis(t)
	pools := k8sResources(p, "digitalocean:index/kubernetesNodePool:KubernetesNodePool")
	if len(pools) != 1 {
		t.Fatalf("%d workload pools, want 1", len(pools))
	}
	for path, want := range map[string]any{"autoScale": true, "minNodes": 3.0, "maxNodes": 6.0} {
		if got := at(pools[0].Inputs, path); got != want {
			t.Errorf("apps pool %s = %v, want %v (seed: 3 nodes)", path, got, want)
		}
	}
	dep := k8sObject(t, p, "Deployment", "jarvis-backend")
	for path, want := range map[string]any{
		"metadata.namespace": "jarvis-system",
		"spec.replicas":      3.0,
		"spec.template.spec.containers.0.resources.limits.cpu":    "1",
		"spec.template.spec.containers.0.resources.limits.memory": "2Gi",
		"spec.strategy.rollingUpdate.maxUnavailable":              0.0,
	} {
		if got := at(dep, path); got != want {
			t.Errorf("deployment %s = %v, want %v", path, got, want)
		}
	}
	hpa := k8sObject(t, p, "HorizontalPodAutoscaler", "jarvis-backend")
	for path, want := range map[string]any{
		"spec.minReplicas": 3.0, "spec.maxReplicas": 10.0,
		"spec.metrics.0.resource.name":                      "cpu",
		"spec.metrics.0.resource.target.averageUtilization": 70.0,
	} {
		if got := at(hpa, path); got != want {
			t.Errorf("hpa %s = %v, want %v", path, got, want)
		}
	}
	mw := k8sObject(t, p, "Middleware", "ratelimit")
	for path, want := range map[string]any{"spec.rateLimit.average": 1000.0, "spec.rateLimit.period": "1m", "spec.rateLimit.burst": 2000.0} {
		if got := at(mw, path); got != want {
			t.Errorf("rate limit %s = %v, want %v", path, got, want)
		}
	}
	peers := k8sObject(t, p, "Service", "jarvis-backend-peers")
	if at(peers, "spec.clusterIP") != "None" {
		t.Errorf("gossip peers service is not headless: %v", peers["spec"])
	}
	if got := p.Outputs["kubernetes"]; !sameJSON(got, map[string]any{
		"clusterName": "jarvis-cluster-prod", "endpoint": "https://jarvis-cluster-cluster.k8s.ondigitalocean.com", "namespace": "jarvis-system",
		"backupsBucket": "jarvis-cluster-prod-backups-k3x9qa", // the mocks' random suffix
	}) {
		t.Errorf("kubernetes output = %v", got)
	}
	if got := endpointURLs(p.Outputs["endpoints"]); !reflect.DeepEqual(got, []string{"https://api.jarvis.example.com/"}) {
		t.Errorf("endpoints output = %v", p.Outputs["endpoints"])
	}
	// The seed's alert thresholds, for the monitoring topology to render.
	alerts := map[string]float64{}
	for _, a := range p.Config.Monitoring.Alerts {
		alerts[a.Metric] = a.Threshold
	}
	for metric, want := range map[string]float64{"cpu": 80, "memory": 85, "disk": 90, "errorRate": 10, "syncLatency": 1000, "nodeDown": 0} {
		if got, ok := alerts[metric]; !ok || got != want {
			t.Errorf("alert on %s: threshold %v (declared %v), want %v", metric, got, ok, want)
		}
	}
	if p.Config.Monitoring.Retention != "30d" {
		t.Errorf("metrics retention %q, want 30d", p.Config.Monitoring.Retention)
	}
	if got := p.Outputs["kubeconfig"]; got != plan.Masked {
		t.Errorf("kubeconfig output = %v, want it masked as a secret", got)
	}
}

// TestJarvisRoutesUseTLSAndTheProdIssuer checks every public route.
func TestJarvisRoutesUseTLSAndTheProdIssuer(t *testing.T) {
	p := planJarvis(t)
	routes := k8sResources(p, "kubernetes:networking.k8s.io/v1:Ingress")
	if len(routes) == 0 {
		t.Fatal("no routes")
	}
	for _, r := range routes {
		host := at(r.Inputs, "spec.rules.0.host")
		if !sameJSON(at(r.Inputs, "spec.tls.0.hosts"), []any{host}) || at(r.Inputs, "spec.tls.0.secretName") == nil {
			t.Errorf("route %s has no TLS for %v: %v", r.Name, host, at(r.Inputs, "spec.tls"))
		}
		ann, _ := at(r.Inputs, "metadata.annotations").(map[string]any)
		if ann["cert-manager.io/cluster-issuer"] != "letsencrypt-prod" || ann["traefik.ingress.kubernetes.io/router.entrypoints"] != "websecure" {
			t.Errorf("route %s annotations = %v", r.Name, ann)
		}
	}
	issuer := k8sObject(t, p, "ClusterIssuer", "letsencrypt-prod")
	if at(issuer, "spec.acme.server") != "https://acme-v02.api.letsencrypt.org/directory" {
		t.Errorf("prod issuer server = %v", at(issuer, "spec.acme.server"))
	}
	redirect := at(k8sRelease(t, p, "traefik"), "values.ports.web.http.redirections.entryPoint")
	if !sameJSON(redirect, map[string]any{"to": "websecure", "scheme": "https", "permanent": true}) {
		t.Errorf("HTTP is not redirected to HTTPS: %v", redirect)
	}
}

// endpointURLs reads the "endpoints" output: URLs, or objects with a url.
func endpointURLs(v any) []string {
	if urls, ok := v.([]string); ok {
		return urls
	}
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		switch e := e.(type) {
		case string:
			out = append(out, e)
		case map[string]any:
			u, _ := e["url"].(string)
			out = append(out, u)
		}
	}
	return out
}

func k8sRelease(t *testing.T, p *plan.Plan, chart string) map[string]any {
	t.Helper()
	for _, r := range k8sResources(p, "kubernetes:helm.sh/v3:Release") {
		if r.Inputs["chart"] == chart {
			return r.Inputs
		}
	}
	t.Fatalf("no %s release", chart)
	return nil
}

// TestJarvisNetworkPolicies checks default deny and each allow rule.
func TestJarvisNetworkPolicies(t *testing.T) {
	p := planJarvis(t)
	var names []string
	for _, r := range k8sResources(p, "kubernetes:networking.k8s.io/v1:NetworkPolicy") {
		names = append(names, kube.Object(r.Inputs).Name())
		if ns := kube.Object(r.Inputs).Namespace(); ns != "jarvis-system" {
			t.Errorf("policy %s in namespace %q", r.Name, ns)
		}
	}
	sort.Strings(names)
	want := []string{
		"acme-solver-from-ingress", "allow-dns", "db-backup-egress", "db-restore-drill-egress", "default-deny", "jarvis-backend-from-ingress",
		"jarvis-backend-from-monitoring", "jarvis-backend-peers", "jarvis-backend-to-database",
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("policies = %v, want %v", names, want)
	}
	deny := k8sObject(t, p, "NetworkPolicy", "default-deny")
	if !sameJSON(deny["spec"], map[string]any{"podSelector": map[string]any{}, "policyTypes": []any{"Ingress", "Egress"}}) {
		t.Errorf("default-deny spec = %v", deny["spec"])
	}
	for name, checks := range map[string]map[string]any{
		"allow-dns":                   {"spec.egress.0.ports.0.port": 53.0, "spec.egress.0.ports.0.protocol": "UDP", "spec.egress.0.ports.1.protocol": "TCP"},
		"jarvis-backend-from-ingress": {"spec.ingress.0.ports.0.port": 8000.0},
		"jarvis-backend-to-database":  {"spec.egress.0.to.0.ipBlock.cidr": "10.0.0.0/16", "spec.egress.0.ports.0.port": 25060.0, "spec.egress.0.ports.1.port": 25061.0},
		"jarvis-backend-peers":        {"spec.ingress.0.ports.0.port": 8000.0, "spec.egress.0.ports.0.port": 8000.0},
	} {
		obj := k8sObject(t, p, "NetworkPolicy", name)
		for path, want := range checks {
			if got := at(obj, path); got != want {
				t.Errorf("%s %s = %v, want %v", name, path, got, want)
			}
		}
	}
	from := at(k8sObject(t, p, "NetworkPolicy", "jarvis-backend-from-ingress"), "spec.ingress.0.from.0.namespaceSelector.matchLabels")
	if !sameJSON(from, map[string]any{"kubernetes.io/metadata.name": "traefik"}) {
		t.Errorf("public service admits %v, want the ingress controller's namespace", from)
	}
	dns := at(k8sObject(t, p, "NetworkPolicy", "allow-dns"), "spec.egress.0.to.0.namespaceSelector.matchLabels")
	if !sameJSON(dns, map[string]any{"kubernetes.io/metadata.name": "kube-system"}) {
		t.Errorf("DNS egress goes to %v, want kube-system", dns)
	}
}

// TestJarvisDisruptionBudgets: one per multi-replica service.
func TestJarvisDisruptionBudgets(t *testing.T) {
	p := planJarvis(t)
	pdbs := map[string]bool{}
	for _, r := range k8sResources(p, "kubernetes:policy/v1:PodDisruptionBudget") {
		pdbs[kube.Object(r.Inputs).Name()] = true
	}
	for _, s := range p.Config.Services {
		if want := s.Replicas > 1; pdbs[s.Name] != want {
			t.Errorf("service %s (replicas %d): disruption budget %v, want %v", s.Name, s.Replicas, pdbs[s.Name], want)
		}
	}
}

// TestJarvisEveryChildHasItsComponentAsParent: components hang off the
// stack, every other resource off a component, and the topology's
// resources off the component that owns them.
func TestJarvisEveryChildHasItsComponentAsParent(t *testing.T) {
	p := planJarvis(t)
	types := map[string]string{}
	for _, r := range p.Resources {
		types[r.URN] = r.Type
	}
	owner := func(r plan.Resource) string {
		switch {
		case strings.HasPrefix(r.Type, "digitalocean:index/kubernetes"), r.Type == "pulumi:providers:kubernetes",
			r.Type == "kubernetes:helm.sh/v3:Release" && r.Inputs["chart"] == "metrics-server":
			return "infra:cluster:Cluster"
		case r.Type == "digitalocean:index/dnsRecord:DnsRecord", strings.Contains(r.Type, "cert-manager.io"),
			strings.Contains(r.Type, "traefik.io") && kube.Object(r.Inputs).Namespace() != "jarvis-system",
			r.Type == "kubernetes:helm.sh/v3:Release" && (r.Inputs["chart"] == "traefik" || r.Inputs["chart"] == "cert-manager"):
			return "infra:ingress:Ingress"
		case strings.Contains(kube.Object(r.Inputs).Name(), "db-backup"), strings.Contains(kube.Object(r.Inputs).Name(), "db-restore-drill"),
			r.Type == "digitalocean:index/spacesBucket:SpacesBucket", r.Type == "pulumi:providers:digitalocean",
			strings.HasPrefix(r.Name, "jarvis-cluster-prod-backups"):
			return "infra:backup:KubernetesBackup"
		case strings.HasPrefix(r.Type, "kubernetes:") && !strings.Contains(r.Type, "monitoring.coreos.com") &&
			(kube.Object(r.Inputs).Namespace() == "jarvis-system" || kube.Object(r.Inputs).Name() == "jarvis-system"):
			return "infra:workload:Workload"
		}
		return "infra:"
	}
	for _, r := range p.Resources {
		if !r.Custom && strings.HasPrefix(r.Type, "infra:") {
			if !strings.Contains(r.Parent, "pulumi:pulumi:Stack") {
				t.Errorf("component %s %s has parent %q, want the stack", r.Type, r.Name, r.Parent)
			}
			continue
		}
		if got, want := types[r.Parent], owner(r); !strings.HasPrefix(got, want) {
			t.Errorf("%s %s has parent of type %q, want %s", r.Type, r.Name, got, want)
		}
	}
}

// TestChartRepositoryMirrorsEveryChart: with infra:cluster.chartRepository
// every chart the cluster installs comes from the mirror; without it each
// comes from its upstream repository.
func TestChartRepositoryMirrorsEveryChart(t *testing.T) {
	const mirror = "https://charts.example.com/mirror"
	upstream := map[string]string{
		"traefik": "https://traefik.github.io/charts", "cert-manager": "https://charts.jetstack.io",
		"metrics-server":           "https://kubernetes-sigs.github.io/metrics-server/",
		"kube-prometheus-stack":    "https://prometheus-community.github.io/helm-charts",
		"prometheus-operator-crds": "https://prometheus-community.github.io/helm-charts",
	}
	repos := func(p *plan.Plan) map[string]string {
		got := map[string]string{}
		for _, typ := range []string{"kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"} {
			for _, r := range k8sResources(p, typ) {
				chart, _ := r.Inputs["chart"].(string)
				got[chart], _ = at(r.Inputs, "repositoryOpts.repo").(string)
			}
		}
		return got
	}
	if got := repos(planJarvis(t)); !reflect.DeepEqual(got, upstream) {
		t.Errorf("charts without a mirror = %v, want %v", got, upstream)
	}
	mirrored := planK8sStack(t, jarvisStack, "jarvis-cluster", func(s string) string {
		return strings.Replace(s, "  infra:cluster:\n", "  infra:cluster:\n    chartRepository: "+mirror+"\n", 1)
	})
	got := repos(mirrored)
	if len(got) != len(upstream) {
		t.Errorf("charts with a mirror = %v, want the %d charts", got, len(upstream))
	}
	for chart, repo := range got {
		if repo != mirror {
			t.Errorf("chart %s comes from %q, want the mirror", chart, repo)
		}
	}
}
