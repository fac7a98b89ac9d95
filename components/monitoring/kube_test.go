package monitoring

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/pulumitest"
)

func kubeArgs() *KubeStackArgs {
	return &KubeStackArgs{
		Namespace: "monitoring", AppNamespace: "jarvis-system",
		Rules:     seedRules,
		Receivers: everyReceiver,
		Secrets: map[string]pulumi.StringInput{
			SecretSlackWebhook: pulumi.String("https://hooks.slack.example/T0/B0/xyz"),
			SecretPagerDuty:    pulumi.String("pd-routing-key-123"),
		},
		ServiceMonitors: []ServiceMonitor{{Service: "api", Port: 8080, Path: "/metrics"}, {Service: "worker", Port: 9102}},
		Services:        []string{"api", "worker", "web"},
		Retention:       "30d", Storage: "50Gi",
		GrafanaHost: "grafana.jarvis.example.com", IngressClass: "traefik", ClusterIssuer: "letsencrypt-prod",
	}
}

func runKube(t *testing.T, args *KubeStackArgs) (*pulumitest.Recorder, *KubeStack) {
	t.Helper()
	var st *KubeStack
	rec := run(t, func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "cluster", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("apiVersion: v1\nkind: Config\n")})
		if err != nil {
			return err
		}
		st, err = NewKubeStack(ctx, "jarvis-monitoring", args, pulumi.Provider(p))
		return err
	})
	return rec, st
}

func TestKubeStackChartsArePinned(t *testing.T) {
	rec, _ := runKube(t, kubeArgs())
	rel := rec.Named(t, "jarvis-monitoring-stack")
	if rel.Type != "kubernetes:helm.sh/v3:Release" {
		t.Fatalf("stack is a %s, want a helm v3 Release", rel.Type)
	}
	for k, want := range map[string]string{"chart": StackChart, "version": StackChartVersion, "namespace": "monitoring"} {
		if got := prop(rel.Inputs[resource.PropertyKey(k)]); !got.IsString() || got.StringValue() != want {
			t.Errorf("release %s = %v, want %q", k, got, want)
		}
	}
	if got := prop(rel.Inputs["repositoryOpts"], "repo"); got.StringValue() != ChartRepo {
		t.Errorf("release repo = %v, want %s", got, ChartRepo)
	}
	if got := prop(rel.Inputs["skipCrds"]); !got.IsBool() || !got.BoolValue() {
		t.Errorf("release skipCrds = %v, want true (the CRD chart owns them)", got)
	}
	crds := rec.Named(t, "jarvis-monitoring-crds")
	if crds.Type != "kubernetes:helm.sh/v4:Chart" {
		t.Errorf("CRDs are a %s, want a helm v4 Chart (server-side apply)", crds.Type)
	}
	if got := prop(crds.Inputs["version"]); got.StringValue() != CRDChartVersion || prop(crds.Inputs["chart"]).StringValue() != CRDChart {
		t.Errorf("CRD chart = %v %v, want %s %s", crds.Inputs["chart"], got, CRDChart, CRDChartVersion)
	}
	if !contains(rel.Dependencies, urnOf(rec, "jarvis-monitoring-crds")) {
		t.Errorf("the release does not depend on the CRD chart: %v", rel.Dependencies)
	}
}

func TestKubeStackValues(t *testing.T) {
	rec, st := runKube(t, kubeArgs())
	values := rec.Named(t, "jarvis-monitoring-stack").Inputs["values"]
	checks := []struct {
		path []string
		want any
	}{
		{[]string{"prometheus", "prometheusSpec", "retention"}, "30d"},
		{[]string{"prometheus", "prometheusSpec", "retentionSize"}, "46080MB"},
		{[]string{"prometheus", "prometheusSpec", "storageSpec", "volumeClaimTemplate", "spec", "resources", "requests", "storage"}, "50Gi"},
		{[]string{"prometheus", "prometheusSpec", "ruleSelectorNilUsesHelmValues"}, false},
		{[]string{"crds", "enabled"}, false},
		{[]string{"kubeControllerManager", "enabled"}, false},
		{[]string{"kubeScheduler", "enabled"}, false},
		{[]string{"kubeEtcd", "enabled"}, false},
		{[]string{"kubeProxy", "enabled"}, false},
		{[]string{"defaultRules", "rules", "kubeControllerManager"}, false},
		{[]string{"defaultRules", "rules", "kubeSchedulerAlerting"}, false},
		{[]string{"defaultRules", "rules", "etcd"}, false},
		{[]string{"defaultRules", "rules", "kubeProxy"}, false},
		{[]string{"grafana", "admin", "existingSecret"}, GrafanaSecretName},
		{[]string{"grafana", "admin", "passwordKey"}, "admin-password"},
		{[]string{"grafana", "ingress", "enabled"}, true},
		{[]string{"grafana", "ingress", "ingressClassName"}, "traefik"},
	}
	for _, c := range checks {
		got := prop(values, c.path...)
		if got.IsNull() || got.V != c.want {
			t.Errorf("values.%s = %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}
	if got := prop(values, "grafana", "ingress", "annotations", "cert-manager.io/cluster-issuer"); got.StringValue() != "letsencrypt-prod" {
		t.Errorf("grafana ingress issuer = %v", got)
	}
	if got := prop(values, "grafana", "ingress", "hosts"); !got.IsArray() || got.ArrayValue()[0].StringValue() != "grafana.jarvis.example.com" {
		t.Errorf("grafana ingress hosts = %v", got)
	}
	// Alertmanager: the same routing as the VPS, secrets by file.
	routes := prop(values, "alertmanager", "config", "route", "routes")
	if !routes.IsArray() || len(routes.ArrayValue()) < 4 {
		t.Fatalf("alertmanager routes = %v", routes)
	}
	if got := prop(values, "alertmanager", "alertmanagerSpec", "secrets"); !got.IsArray() || got.ArrayValue()[0].StringValue() != ReceiverSecretName {
		t.Errorf("alertmanager secrets = %v, want [%s]", got, ReceiverSecretName)
	}
	// No secret value in the values at all.
	b, err := ObjectYAML(st.Values)
	if err != nil {
		t.Fatal(err)
	}
	// The mock monitor made up Grafana's admin password; it must not leak.
	if len(rec.Generated()) == 0 {
		t.Fatal("the mock generated no password to look for")
	}
	for _, secret := range append([]string{"hooks.slack.example", "pd-routing-key-123"}, rec.Generated()...) {
		if strings.Contains(string(b), secret) {
			t.Errorf("chart values contain the secret %q", secret)
		}
	}
	if !strings.Contains(string(b), "routing_key_file: "+KubeSecretDir+"/"+SecretPagerDuty) {
		t.Errorf("values do not reference the PagerDuty key by file:\n%s", b)
	}
}

func TestKubeStackSecrets(t *testing.T) {
	rec, _ := runKube(t, kubeArgs())
	pw := rec.ByType("random:index/randomPassword:RandomPassword")
	if len(pw) != 1 || pw[0].Name != "jarvis-monitoring-grafana-password" {
		t.Fatalf("random passwords = %v", pw)
	}
	grafana := rec.Named(t, "jarvis-monitoring-grafana-admin")
	if got := prop(grafana.Inputs["metadata"], "name"); got.StringValue() != GrafanaSecretName {
		t.Errorf("grafana secret name = %v", got)
	}
	if !secretAt(grafana.Inputs["stringData"], "admin-password") {
		t.Errorf("grafana admin password is not a Pulumi secret: %v", grafana.Inputs["stringData"])
	}
	recv := rec.Named(t, "jarvis-monitoring-receivers")
	data := recv.Inputs["stringData"]
	for _, k := range []string{SecretSlackWebhook, SecretPagerDuty} {
		if !secretAt(data, k) {
			t.Errorf("receiver secret %s is not a Pulumi secret: %v", k, prop(data, k))
		}
	}
}

func TestKubeStackRulesAndMonitors(t *testing.T) {
	rec, _ := runKube(t, kubeArgs())
	crdURN := urnOf(rec, "jarvis-monitoring-crds")
	rules := rec.ByType("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
	if len(rules) != 1 {
		t.Fatalf("PrometheusRules = %d, want 1", len(rules))
	}
	groups := prop(rules[0].Inputs["spec"], "groups")
	if !groups.IsArray() || len(prop(groups.ArrayValue()[0], "rules").ArrayValue()) != len(seedRules) {
		t.Errorf("PrometheusRule carries %v, want the %d typed rules", groups, len(seedRules))
	}
	mons := rec.ByType("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
	if len(mons) != 2 {
		t.Fatalf("ServiceMonitors = %d, want 2 (api, worker)", len(mons))
	}
	for _, m := range append(rules, mons...) {
		if !contains(m.Dependencies, crdURN) {
			t.Errorf("%s does not depend on the CRDs", m.Name)
		}
	}
	api := rec.Named(t, "jarvis-monitoring-sm-api")
	if got := prop(api.Inputs["metadata"], "namespace"); got.StringValue() != "jarvis-system" {
		t.Errorf("ServiceMonitor namespace = %v", got)
	}
	ep := prop(api.Inputs["spec"], "endpoints").ArrayValue()[0]
	if prop(ep, "targetPort").NumberValue() != 8080 || prop(ep, "path").StringValue() != "/metrics" {
		t.Errorf("ServiceMonitor endpoint = %v", ep)
	}
	// Every child has the component as parent and the cluster's provider.
	var comp string
	for _, r := range rec.Resources {
		if r.Type == "infra:monitoring:KubeStack" {
			comp = urnOf(rec, r.Name)
		}
	}
	for _, r := range rec.Resources {
		if r.Type == "infra:monitoring:KubeStack" || r.Type == "pulumi:providers:kubernetes" {
			continue
		}
		if r.Parent != comp {
			t.Errorf("%s %s has parent %q, want the component", r.Type, r.Name, r.Parent)
		}
		if strings.HasPrefix(r.Type, "kubernetes:") && r.Custom && !strings.Contains(r.Provider, "pulumi:providers:kubernetes::cluster") {
			t.Errorf("%s %s uses provider %q, want the cluster's", r.Type, r.Name, r.Provider)
		}
	}
}

func TestKubeStackWithoutReceiverSecrets(t *testing.T) {
	args := kubeArgs()
	args.Receivers, args.Secrets = Receivers{}, nil
	rec, _ := runKube(t, args)
	if len(rec.ByType("kubernetes:core/v1:Secret")) != 1 {
		t.Errorf("want only Grafana's Secret when no receiver has a secret")
	}
	values := rec.Named(t, "jarvis-monitoring-stack").Inputs["values"]
	if got := prop(values, "alertmanager", "alertmanagerSpec", "secrets"); !got.IsNull() {
		t.Errorf("alertmanager mounts %v, want no secret", got)
	}
}

func urnOf(rec *pulumitest.Recorder, name string) string {
	for _, r := range rec.Resources {
		if r.Name == name {
			return r.URN
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Grafana's admin password on Kubernetes: the pod template carries a
// generation that the random provider makes anew when its keeper, the
// password (a secret), changes; the chart keeps Grafana's database in the
// pod (no persistence in the values), so the restarted pod reads the new
// password from the Secret. The generation is not the password.
func TestKubeStackGrafanaRestartsWithItsPassword(t *testing.T) {
	rec, st := runKube(t, kubeArgs())
	gen := rec.Named(t, "jarvis-monitoring-grafana-admin-generation")
	if gen.Type != "random:index/randomUuid:RandomUuid" {
		t.Fatalf("the generation is a %s", gen.Type)
	}
	if !secretAt(gen.Inputs["keepers"], "admin-password") {
		t.Errorf("the generation's keeper is not a Pulumi secret: %v", gen.Inputs["keepers"])
	}
	kept := prop(gen.Inputs["keepers"], "admin-password")
	if kept.IsSecret() {
		kept = kept.SecretValue().Element
	}
	if got := kept.StringValue(); len(rec.Generated()) == 0 || got != rec.Generated()[0] {
		t.Errorf("the generation keeps %q, want Grafana's password", got)
	}
	comp := ""
	for _, r := range rec.Resources {
		if r.Type == "infra:monitoring:KubeStack" {
			comp = urnOf(rec, r.Name)
		}
	}
	if gen.Parent != comp {
		t.Errorf("the generation's parent is %q, want the component", gen.Parent)
	}
	rel := rec.Named(t, "jarvis-monitoring-stack")
	ann := prop(rel.Inputs["values"], "grafana", "podAnnotations", GrafanaGenerationAnnotation)
	if !ann.IsString() || len(ann.StringValue()) != 36 || isSecret(prop(rel.Inputs["values"], "grafana")) {
		t.Fatalf("Grafana's pod annotation %s = %v: want the generation, in plain sight", GrafanaGenerationAnnotation, ann)
	}
	for _, pw := range rec.Generated() {
		if strings.Contains(ann.StringValue(), pw) {
			t.Error("the annotation holds the password")
		}
	}
	if p := prop(rel.Inputs["values"], "grafana", "persistence"); !p.IsNull() {
		t.Errorf("grafana.persistence = %v: with a kept database a new password would need a reset, not a restart", p)
	}
	if _, ok := st.Values["grafana"].(map[string]any)["podAnnotations"]; ok {
		t.Error("the plain values carry the generation: it is only known in the update")
	}
}
