package tests

import (
	"context"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	"infra/components/kube"
	"infra/internal/k8sschematest"
	"infra/internal/plan"
)

const focusdeckStack = "../examples/focusdeck/Pulumi.prod.yaml"

// The custom resources the program renders are not in the core schema:
// ClusterIssuer is checked against cert-manager's CRD as trimmed in
// internal/k8sschematest's test data, Middleware and IngressRoute against
// Traefik's own CRDs from the vendored chart.
var k8sValidator struct {
	once sync.Once
	v    *k8sschematest.Validator
	err  error
}

// schemaValidator loads the official OpenAPI schema once; a local run that
// cannot reach the module skips loudly, CI fails.
func schemaValidator(t *testing.T) *k8sschematest.Validator {
	t.Helper()
	var traefikCRDs [][]byte
	for _, f := range []string{"crds/traefik.io_middlewares.yaml", "crds/traefik.io_ingressroutes.yaml"} {
		traefikCRDs = append(traefikCRDs, chartFile(t, "traefik", f))
	}
	k8sValidator.once.Do(func() {
		dir, err := k8sschematest.SpecDir(context.Background(), "")
		if err != nil {
			k8sValidator.err = err
			return
		}
		v, err := k8sschematest.Load(dir)
		if err == nil {
			var crd []byte
			if crd, err = os.ReadFile("../internal/k8sschematest/testdata/crd/clusterissuer.yaml"); err == nil {
				err = v.AddCRD(crd)
			}
			for _, crd := range traefikCRDs {
				if err == nil {
					err = v.AddCRD(crd)
				}
			}
		}
		k8sValidator.v, k8sValidator.err = v, err
	})
	if err := k8sValidator.err; err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("load the kubernetes openapi schema: %v", err)
		}
		t.Skipf("SKIPPING: cannot load the kubernetes openapi schema (CI=true makes this fatal): %v", err)
	}
	return k8sValidator.v
}

// kubernetesStacks are the plans whose objects must all be valid.
func kubernetesStacks(t *testing.T) map[string]*plan.Plan {
	return map[string]*plan.Plan{
		"jarvis-cluster":          planJarvis(t),
		"focusdeck":               planK8sStack(t, focusdeckStack, "focusdeck", toKubernetes),
		"focusdeck with registry": planK8sStack(t, focusdeckStack, "focusdeck", withRegistry),
		"jarvis-agents (egress)":  planK8sStack(t, jarvisAgentsStack, "jarvis-agents", toKubernetes),
		// Its dashboard has auth: a basic-auth Secret and a Middleware.
		"cesar": planK8sStack(t, "../examples/cesar/Pulumi.prod.yaml", "cesar", toKubernetes),
	}
}

// withRegistry is focusdeck on Kubernetes pulling from a private ghcr.io.
func withRegistry(s string) string {
	return strings.NewReplacer(
		"  infra:secrets:\n", "  infra:registries:\n    - { server: ghcr.io, username: focusdeck, passwordSecret: ghcr-token }\n"+
			"  infra:secrets:\n    ghcr-token:\n      secure: v1:AAAAAAAAAAAAAAAAghcrtokenplaceholder\n",
	).Replace(toKubernetes(s))
}

// The image pull secret and the pods that name it are valid objects, and a
// misspelt reference to it is caught.
func TestPullSecretMatchesTheKubernetesSchema(t *testing.T) {
	v := schemaValidator(t)
	docs := objectArtifacts(planK8sStack(t, focusdeckStack, "focusdeck", withRegistry))
	secret := docs["kubernetes/focusdeck/secret-registry-credentials.yaml"]
	deployment := docs["kubernetes/focusdeck/deployment-server.yaml"]
	if !strings.Contains(secret, "type: kubernetes.io/dockerconfigjson") || !strings.Contains(secret, ".dockerconfigjson: '[secret]'") {
		t.Fatalf("pull secret:\n%s", secret)
	}
	if !strings.Contains(deployment, "imagePullSecrets:\n      - name: registry-credentials") {
		t.Fatalf("the deployment does not name the pull secret:\n%s", deployment)
	}
	for name, doc := range map[string]string{"secret": secret, "deployment": deployment} {
		if err := v.ValidateYAML([]byte(doc)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	broken := strings.Replace(deployment, "      - name: registry-credentials", "      - nam: registry-credentials", 1)
	if err := v.ValidateYAML([]byte(broken)); err == nil || !strings.Contains(err.Error(), "nam") {
		t.Errorf("a misspelt pull secret reference passed: %v", err)
	}
}

// toKubernetes flips a VPS stack's topology. jarvis-agents' dumps of its
// managed cluster upload with infra:vps's Spaces key, which a Kubernetes
// stack takes from infra:cluster: the flipped stack goes without them.
func toKubernetes(s string) string {
	s = strings.Replace(s, "    backups: { retentionDays: 14 }\n", "", 1)
	return strings.Replace(s, "infra:topology: vps", "infra:topology: kubernetes", 1)
}

// objectArtifacts are the rendered Kubernetes objects (Helm values aside).
func objectArtifacts(p *plan.Plan) map[string]string {
	out := map[string]string{}
	for path, doc := range p.Artifacts {
		if strings.HasPrefix(path, "kubernetes/") && !strings.HasPrefix(path, "kubernetes/helm/") {
			out[path] = doc
		}
	}
	return out
}

// TestRenderedObjectsMatchTheKubernetesSchema validates every object the
// plan writes under kubernetes/ against the OpenAPI schema of the
// cluster's minor version, strictly.
func TestRenderedObjectsMatchTheKubernetesSchema(t *testing.T) {
	v := schemaValidator(t)
	for stack, p := range kubernetesStacks(t) {
		t.Run(stack, func(t *testing.T) {
			if minor := "v" + p.Config.Cluster.VersionPrefix + "."; !strings.HasPrefix(k8sschematest.KubernetesVersion, minor) {
				t.Errorf("schema %s is not of the cluster's version %s", k8sschematest.KubernetesVersion, p.Config.Cluster.VersionPrefix)
			}
			docs := objectArtifacts(p)
			if len(docs) < 10 {
				t.Fatalf("only %d objects rendered", len(docs))
			}
			for path, doc := range docs {
				if err := v.ValidateYAML([]byte(doc)); err != nil {
					t.Errorf("%s:\n%v", path, err)
				}
			}
		})
	}
}

// TestSchemaCheckFailsOnBrokenObjects feeds rendered objects with one
// mistake each: the check must name it.
func TestSchemaCheckFailsOnBrokenObjects(t *testing.T) {
	v := schemaValidator(t)
	docs := objectArtifacts(planJarvis(t))
	for _, tc := range []struct {
		name, path, from, to, want string
	}{
		{"misspelled field", "kubernetes/jarvis-system/deployment-jarvis-backend.yaml", "imagePullPolicy", "imagePullPolcy", "imagePullPolcy"},
		{"unknown field", "kubernetes/jarvis-system/networkpolicy-default-deny.yaml", "policyTypes", "policyType", "policyType"},
		{"wrong type", "kubernetes/jarvis-system/horizontalpodautoscaler-jarvis-backend.yaml", "maxReplicas: 10", "maxReplicas: ten", "maxReplicas"},
		{"bad quantity", "kubernetes/jarvis-system/deployment-jarvis-backend.yaml", "memory: 2Gi", "memory: 2 gigs", "memory"},
		{"wrong apiVersion", "kubernetes/jarvis-system/ingress-jarvis-backend.yaml", "networking.k8s.io/v1", "extensions/v1beta1", "Ingress"},
		{"bad issuer", "kubernetes/cluster/clusterissuer-letsencrypt-prod.yaml", "privateKeySecretRef", "privateKeyRef", "privateKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, ok := docs[tc.path]
			if !ok || !strings.Contains(doc, tc.from) {
				t.Fatalf("%s not rendered or lacks %q", tc.path, tc.from)
			}
			if err := v.ValidateYAML([]byte(doc)); err != nil {
				t.Fatalf("the unbroken object fails: %v", err)
			}
			err := v.ValidateYAML([]byte(strings.Replace(doc, tc.from, tc.to, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("broken object: err = %v, want it to name %q", err, tc.want)
			}
		})
	}
	for name, doc := range map[string]string{
		"misspelled rate limit": "apiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata: {name: ratelimit, namespace: traefik}\nspec: {rateLimit: {averag: 1}}\n",
		"route without match":   "apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata: {name: r, namespace: app}\nspec: {routes: [{kind: Rule, mach: Host(`a`)}]}\n",
	} {
		if err := v.ValidateYAML([]byte(doc)); err == nil {
			t.Errorf("%s passed Traefik's CRD schema", name)
		}
	}
}

// renderingComponents are the components that render each object they
// declare under kubernetes/ (Helm releases aside, which render their
// values under kubernetes/helm/).
var renderingComponents = []string{"::infra:workload:Workload::", "::infra:ingress:Ingress::", "::infra:backup:KubernetesBackup::"}

func renderedByItsComponent(r plan.Resource) bool {
	if !strings.HasPrefix(r.Type, "kubernetes:") || strings.HasPrefix(r.Type, "kubernetes:helm.sh/") {
		return false
	}
	for _, c := range renderingComponents {
		if strings.Contains(r.Parent, c) {
			return true
		}
	}
	return false
}

// TestKubernetesObjectsAreRenderedAsDeclared: each object the workload and
// ingress components declare is rendered, each rendered object declared,
// with the same content (secrets masked the same way in both).
func TestKubernetesObjectsAreRenderedAsDeclared(t *testing.T) {
	for stack, p := range kubernetesStacks(t) {
		t.Run(stack, func(t *testing.T) {
			docs := objectArtifacts(p)
			seen := map[string]bool{}
			for _, r := range p.Resources {
				if !renderedByItsComponent(r) {
					continue
				}
				o := kube.Object(r.Inputs)
				if want := kube.Token(o.APIVersion(), o.Kind()); r.Type != want {
					t.Errorf("%s registered as %s, want %s", r.Name, r.Type, want)
				}
				doc, ok := docs[o.Path()]
				if !ok {
					t.Errorf("%s %s is not rendered (%s)", o.Kind(), o.Name(), o.Path())
					continue
				}
				seen[o.Path()] = true
				var rendered map[string]any
				if err := yaml.Unmarshal([]byte(doc), &rendered); err != nil {
					t.Fatal(err)
				}
				if !sameJSON(rendered, r.Inputs) {
					t.Errorf("%s differs from what is declared:\nrendered %v\ndeclared %v", o.Path(), rendered, r.Inputs)
				}
			}
			for path := range docs {
				if !seen[path] {
					t.Errorf("%s is rendered but not declared", path)
				}
			}
		})
	}
}

// TestKubernetesArtifactsHoldNoSecrets: not the generated passwords, not
// the placeholders of the stack's encrypted secrets.
func TestKubernetesArtifactsHoldNoSecrets(t *testing.T) {
	p := planJarvis(t)
	if len(p.Generated) == 0 {
		t.Fatal("the plan generated no passwords to look for")
	}
	for path, doc := range p.Artifacts {
		for _, s := range p.Generated {
			if strings.Contains(doc, s) {
				t.Errorf("%s holds a generated password", path)
			}
		}
		if strings.Contains(doc, "offline-secret-") {
			t.Errorf("%s holds a secret from infra:secrets", path)
		}
	}
	secret := p.Artifacts["kubernetes/jarvis-system/secret-jarvis-backend-env.yaml"]
	for _, key := range []string{"DATABASE_URL: '[secret]'", "JARVIS_API_KEYS: '[secret]'"} {
		if !strings.Contains(secret, key) {
			t.Errorf("rendered Secret lacks %q:\n%s", key, secret)
		}
	}
}

// TestClusterUnchangedByPoolSizeOrImage: resizing a workload pool or
// shipping a new image changes the pool or the Deployment, never the
// KubernetesCluster's inputs (a change there can replace the cluster).
func TestClusterUnchangedByPoolSizeOrImage(t *testing.T) {
	base := planJarvis(t)
	for _, tc := range []struct {
		name, from, to string
		changed        func(*plan.Plan) any
	}{
		{"pool size", "size: s-4vcpu-8gb, minNodes: 3, maxNodes: 6", "size: s-8vcpu-16gb, minNodes: 4, maxNodes: 8",
			func(p *plan.Plan) any {
				return k8sResources(p, "digitalocean:index/kubernetesNodePool:KubernetesNodePool")[0].Inputs
			}},
		{"image", "jarvis-backend:0.19.0", "jarvis-backend:0.20.0",
			func(p *plan.Plan) any { return k8sObject(t, p, "Deployment", "jarvis-backend") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := planK8sStack(t, jarvisStack, "jarvis-cluster", func(s string) string {
				if !strings.Contains(s, tc.from) {
					t.Fatalf("stack file lacks %q", tc.from)
				}
				return strings.Replace(s, tc.from, tc.to, 1)
			})
			if reflect.DeepEqual(tc.changed(base), tc.changed(edited)) {
				t.Fatal("the edit changed nothing: the test proves nothing")
			}
			a := k8sResources(base, "digitalocean:index/kubernetesCluster:KubernetesCluster")
			b := k8sResources(edited, "digitalocean:index/kubernetesCluster:KubernetesCluster")
			if len(a) != 1 || len(b) != 1 {
				t.Fatalf("clusters: %d and %d", len(a), len(b))
			}
			if !reflect.DeepEqual(a[0].Inputs, b[0].Inputs) {
				t.Errorf("cluster inputs changed:\nbefore %v\nafter  %v", a[0].Inputs, b[0].Inputs)
			}
		})
	}
}

// TestFocusdeckSwitchesToKubernetesWithOneLine: the example's topology
// line is all that changes.
func TestFocusdeckSwitchesToKubernetesWithOneLine(t *testing.T) {
	b, err := os.ReadFile(focusdeckStack)
	if err != nil {
		t.Fatal(err)
	}
	before := strings.Split(string(b), "\n")
	after := strings.Split(toKubernetes(string(b)), "\n")
	diff := 0
	for i := range before {
		if before[i] != after[i] {
			diff++
		}
	}
	if diff != 1 {
		t.Fatalf("%d lines change, want 1", diff)
	}
	p := planK8sStack(t, focusdeckStack, "focusdeck", toKubernetes)
	counts := map[string]int{}
	for _, r := range p.Resources {
		counts[r.Type]++
	}
	for typ, want := range map[string]int{
		"digitalocean:index/kubernetesCluster:KubernetesCluster":   1,
		"digitalocean:index/kubernetesNodePool:KubernetesNodePool": 1,
		"kubernetes:apps/v1:Deployment":                            1,
		"kubernetes:networking.k8s.io/v1:Ingress":                  1,
		"kubernetes:policy/v1:PodDisruptionBudget":                 1,
		// The apex and Grafana's name.
		"digitalocean:index/dnsRecord:DnsRecord": 2,
		"digitalocean:index/droplet:Droplet":     0,
	} {
		if counts[typ] != want {
			t.Errorf("%d %s, want %d", counts[typ], typ, want)
		}
	}
	dep := k8sObject(t, p, "Deployment", "server")
	if at(dep, "metadata.namespace") != "focusdeck" || at(dep, "spec.replicas") != 2.0 {
		t.Errorf("server deployment: namespace %v, replicas %v", at(dep, "metadata.namespace"), at(dep, "spec.replicas"))
	}
	names := map[any]bool{}
	for _, r := range k8sResources(p, "digitalocean:index/dnsRecord:DnsRecord") {
		names[r.Inputs["name"]] = true
		if r.Inputs["domain"] != "focusdeck.example.com" {
			t.Errorf("record outside the domain: %v", r.Inputs)
		}
	}
	if !names["@"] || !names["grafana"] {
		t.Errorf("records %v, want the apex and grafana", names)
	}
	var keys []string
	for k := range p.Outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range []string{"endpoints", "kubeconfig", "kubernetes"} {
		if _, ok := p.Outputs[k]; !ok {
			t.Errorf("output %s missing (outputs %v)", k, keys)
		}
	}
}
