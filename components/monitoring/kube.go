package monitoring

import (
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/kube"
)

// ServiceMonitor is a service whose metrics endpoint Prometheus scrapes.
type ServiceMonitor struct {
	Service string
	Port    int
	Path    string
}

// KubeStackArgs declares kube-prometheus-stack. The cluster's provider
// comes in through pulumi.Provider(s) in opts; every child inherits it.
type KubeStackArgs struct {
	// Namespace for the monitoring stack ("monitoring").
	Namespace string
	// AppNamespace is where the services (and their ServiceMonitors) live.
	AppNamespace string
	Rules        []Rule
	Receivers    Receivers
	// Secrets are the receivers' secret values, by key (SecretSlackWebhook, ...).
	Secrets         map[string]pulumi.StringInput
	ServiceMonitors []ServiceMonitor
	// Services are all the application's services (containers).
	Services []string
	// Retention ("30d") and Storage (Prometheus' volume, "20Gi").
	Retention    string
	Storage      string
	StorageClass string
	// Grafana behind the TLS ingress.
	GrafanaHost   string
	IngressClass  string
	ClusterIssuer string
	// ChartRepository is a Helm repository that mirrors the charts at
	// their pinned versions; "" fetches each from its upstream repository.
	ChartRepository string
	// BackupCronJob (in AppNamespace) dumps the database; BackupMaxAge is
	// the oldest its last success may be. Zero: no dumps, no alerts.
	BackupCronJob string
	BackupMaxAge  time.Duration
}

// KubeStack is the in-cluster monitoring.
type KubeStack struct {
	pulumi.ResourceState

	Release         *helmv3.Release
	GrafanaPassword pulumi.StringOutput
	// Values are the chart's values (no secrets: they name Secrets).
	Values map[string]any
	// Objects are the PrometheusRule and ServiceMonitors as plain objects.
	Objects []map[string]any
	Rules   RulesDoc
}

// Names of the Kubernetes objects the chart's values refer to.
const (
	GrafanaSecretName = "grafana-admin"
	// GrafanaGenerationAnnotation on Grafana's pod template changes with
	// its admin password (grafanaAdminGeneration).
	GrafanaGenerationAnnotation = "infra/grafana-admin-generation"
	ReceiverSecretName          = "alertmanager-receivers"
	// KubeSecretDir is where the receivers' Secret is mounted in Alertmanager.
	KubeSecretDir = "/etc/alertmanager/secrets/" + ReceiverSecretName
)

// NewKubeStack declares the CRDs, kube-prometheus-stack, the rules and the
// ServiceMonitors.
func NewKubeStack(ctx *pulumi.Context, name string, args *KubeStackArgs, opts ...pulumi.ResourceOption) (*KubeStack, error) {
	c := &KubeStack{}
	if err := ctx.RegisterComponentResource("infra:monitoring:KubeStack", name, c, opts...); err != nil {
		return nil, fmt.Errorf("register monitoring %q: %w", name, err)
	}
	mons := make([]string, 0, len(args.ServiceMonitors))
	for _, m := range args.ServiceMonitors {
		mons = append(mons, m.Service)
	}
	doc, err := Build(args.Rules, Target{Platform: Kubernetes, Namespace: args.AppNamespace, MetricsServices: mons, Services: args.Services, BackupCronJob: args.BackupCronJob, BackupMaxAge: args.BackupMaxAge})
	if err != nil {
		return nil, err
	}
	c.Rules = doc
	values, err := stackValues(args)
	if err != nil {
		return nil, err
	}
	c.Values = values
	parent := pulumi.Parent(c)
	repo := kube.ChartRepository(args.ChartRepository, ChartRepo)

	ns, err := corev1.NewNamespace(ctx, name+"-ns", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(args.Namespace)},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("namespace: %w", err)
	}
	// The operator's CRDs exceed client-side apply's annotation limit and
	// Helm never upgrades a chart's crds/: the CRD chart keeps them in
	// templates, and Chart v4 applies each object server-side.
	crds, err := helmv4.NewChart(ctx, name+"-crds", &helmv4.ChartArgs{
		Chart:          pulumi.String(CRDChart),
		Version:        pulumi.String(CRDChartVersion),
		RepositoryOpts: &helmv4.RepositoryOptsArgs{Repo: pulumi.String(repo)},
		Namespace:      pulumi.String(args.Namespace),
	}, parent, pulumi.DependsOn([]pulumi.Resource{ns}))
	if err != nil {
		return nil, fmt.Errorf("operator CRDs: %w", err)
	}
	pw, err := random.NewRandomPassword(ctx, name+"-grafana-password", &random.RandomPasswordArgs{
		Length: pulumi.Int(32), Special: pulumi.Bool(false),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("grafana password: %w", err)
	}
	c.GrafanaPassword = pw.Result
	deps := []pulumi.Resource{ns, crds}
	grafana, err := corev1.NewSecret(ctx, name+"-grafana-admin", &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(GrafanaSecretName), Namespace: pulumi.String(args.Namespace)},
		StringData: pulumi.StringMap{
			"admin-user":     pulumi.String("admin"),
			"admin-password": pulumi.ToSecret(pw.Result).(pulumi.StringOutput),
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{ns}))
	if err != nil {
		return nil, fmt.Errorf("grafana secret: %w", err)
	}
	deps = append(deps, grafana)
	generation, err := grafanaAdminGeneration(ctx, name, pw.Result, parent)
	if err != nil {
		return nil, err
	}
	if len(args.Secrets) > 0 {
		data := pulumi.StringMap{}
		for k, v := range args.Secrets {
			data[k] = pulumi.ToSecret(v).(pulumi.StringOutput)
		}
		recv, err := corev1.NewSecret(ctx, name+"-receivers", &corev1.SecretArgs{
			Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(ReceiverSecretName), Namespace: pulumi.String(args.Namespace)},
			StringData: data,
		}, parent, pulumi.DependsOn([]pulumi.Resource{ns}))
		if err != nil {
			return nil, fmt.Errorf("receiver secret: %w", err)
		}
		deps = append(deps, recv)
	}
	rel, err := helmv3.NewRelease(ctx, name+"-stack", &helmv3.ReleaseArgs{
		Name:           pulumi.String(StackChart),
		Chart:          pulumi.String(StackChart),
		Version:        pulumi.String(StackChartVersion),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{Repo: pulumi.String(repo)},
		Namespace:      pulumi.String(args.Namespace),
		// The CRDs come from the CRD chart above.
		SkipCrds:      pulumi.Bool(true),
		Atomic:        pulumi.Bool(true),
		CleanupOnFail: pulumi.Bool(true),
		Timeout:       pulumi.Int(900),
		Values:        pulumi.ToMap(withGrafanaGeneration(values, generation)),
	}, parent, pulumi.DependsOn(deps))
	if err != nil {
		return nil, fmt.Errorf("kube-prometheus-stack: %w", err)
	}
	c.Release = rel

	objects := []map[string]any{PrometheusRuleObject(name+"-rules", args.Namespace, map[string]string{"release": StackChart}, doc)}
	for _, m := range args.ServiceMonitors {
		objects = append(objects, serviceMonitorObject(m, args.AppNamespace))
	}
	c.Objects = objects
	for _, obj := range objects {
		if err := declareObject(ctx, name, obj, parent, pulumi.DependsOn([]pulumi.Resource{crds})); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"release": rel.Name, "grafanaPassword": c.GrafanaPassword}); err != nil {
		return nil, fmt.Errorf("register monitoring %q outputs: %w", name, err)
	}
	return c, nil
}

// declareObject declares a PrometheusRule or ServiceMonitor from its plain object.
func declareObject(ctx *pulumi.Context, name string, obj map[string]any, opts ...pulumi.ResourceOption) error {
	meta := obj["metadata"].(map[string]any)
	labels := pulumi.StringMap{}
	for k, v := range meta["labels"].(map[string]string) {
		labels[k] = pulumi.String(v)
	}
	kind := obj["kind"].(string)
	res := fmt.Sprintf("%s-%s-%s", name, kindSuffix[kind], meta["name"])
	if kind == "PrometheusRule" {
		res = name + "-rules"
	}
	_, err := apiextensions.NewCustomResource(ctx, res, &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(obj["apiVersion"].(string)),
		Kind:       pulumi.String(kind),
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(meta["name"].(string)),
			Namespace: pulumi.String(meta["namespace"].(string)),
			Labels:    labels,
		},
		OtherFields: kubernetes.UntypedArgs{"spec": obj["spec"]},
	}, opts...)
	if err != nil {
		return fmt.Errorf("%s %s: %w", kind, meta["name"], err)
	}
	return nil
}

var kindSuffix = map[string]string{"ServiceMonitor": "sm", "PrometheusRule": "rules"}

func serviceMonitorObject(m ServiceMonitor, namespace string) map[string]any {
	path := m.Path
	if path == "" {
		path = "/metrics"
	}
	return map[string]any{
		"apiVersion": "monitoring.coreos.com/v1",
		"kind":       "ServiceMonitor",
		"metadata": map[string]any{
			"name": m.Service, "namespace": namespace,
			"labels": map[string]string{"app.kubernetes.io/name": m.Service},
		},
		"spec": map[string]any{
			// The job label is the service's name, as on the VPS, so the
			// rules select the same job on both topologies.
			"jobLabel":          "app.kubernetes.io/name",
			"selector":          map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": m.Service}},
			"namespaceSelector": map[string]any{"matchNames": []any{namespace}},
			"endpoints": []any{map[string]any{
				"targetPort": m.Port, "path": path, "interval": "30s",
				"metricRelabelings": serviceMonitorRenames(),
			}},
		},
	}
}

// stackValues are kube-prometheus-stack's values.
func stackValues(args *KubeStackArgs) (map[string]any, error) {
	am, err := AlertmanagerValues(args.Receivers, KubeSecretDir)
	if err != nil {
		return nil, err
	}
	amSpec := map[string]any{}
	if len(args.Secrets) > 0 {
		// Mounted at /etc/alertmanager/secrets/<name>/<key>.
		amSpec["secrets"] = []any{ReceiverSecretName}
	}
	storageClass := args.StorageClass
	if storageClass == "" {
		storageClass = "do-block-storage"
	}
	return map[string]any{
		"crds": map[string]any{"enabled": false},
		// DOKS runs the control plane: its components cannot be scraped,
		// and their alerts would fire forever.
		"kubeControllerManager": map[string]any{"enabled": false},
		"kubeScheduler":         map[string]any{"enabled": false},
		"kubeEtcd":              map[string]any{"enabled": false},
		"kubeProxy":             map[string]any{"enabled": false},
		"defaultRules": map[string]any{"rules": map[string]any{
			"etcd": false, "kubeControllerManager": false, "kubeSchedulerAlerting": false,
			"kubeSchedulerRecording": false, "kubeProxy": false,
		}},
		"prometheus": map[string]any{"prometheusSpec": map[string]any{
			"retention":     args.Retention,
			"retentionSize": retentionSize(args.Storage),
			// Select every rule and monitor, not only the release's own.
			"ruleSelectorNilUsesHelmValues":           false,
			"serviceMonitorSelectorNilUsesHelmValues": false,
			"podMonitorSelectorNilUsesHelmValues":     false,
			"storageSpec": map[string]any{"volumeClaimTemplate": map[string]any{"spec": map[string]any{
				"storageClassName": storageClass,
				"accessModes":      []any{"ReadWriteOnce"},
				"resources":        map[string]any{"requests": map[string]any{"storage": args.Storage}},
			}}},
		}},
		"alertmanager": map[string]any{"config": am, "alertmanagerSpec": amSpec},
		"grafana": map[string]any{
			"admin": map[string]any{"existingSecret": GrafanaSecretName, "userKey": "admin-user", "passwordKey": "admin-password"},
			"ingress": map[string]any{
				"enabled":          true,
				"ingressClassName": args.IngressClass,
				"annotations":      map[string]any{"cert-manager.io/cluster-issuer": args.ClusterIssuer},
				"hosts":            []any{args.GrafanaHost},
				"tls":              []any{map[string]any{"secretName": "grafana-tls", "hosts": []any{args.GrafanaHost}}},
			},
		},
	}, nil
}

// grafanaAdminGeneration is a value that changes with Grafana's admin
// password and says nothing about it: a UUID the random provider makes
// anew whenever its keepers change. Grafana reads the password only when
// it creates its database, which the chart keeps in the pod's emptyDir
// (the grafana subchart's persistence.enabled defaults to false and the
// values leave it), so a new pod reads the new password; the chart rolls
// the pod on a change of its own Secret only (checksum/secret is left out
// with admin.existingSecret, templates/deployment.yaml), so the pod
// template carries this generation instead.
func grafanaAdminGeneration(ctx *pulumi.Context, name string, password pulumi.StringOutput, opts ...pulumi.ResourceOption) (pulumi.StringOutput, error) {
	gen, err := random.NewRandomUuid(ctx, name+"-grafana-admin-generation", &random.RandomUuidArgs{
		Keepers: pulumi.StringMap{"admin-password": pulumi.ToSecret(password).(pulumi.StringOutput)},
	}, opts...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("grafana admin generation: %w", err)
	}
	return gen.Result, nil
}

// withGrafanaGeneration is the chart's values with the generation in
// Grafana's pod annotations (the grafana subchart's podAnnotations); the
// plain values stay as they are.
func withGrafanaGeneration(values map[string]any, generation pulumi.StringOutput) map[string]any {
	out := maps.Clone(values)
	grafana := maps.Clone(values["grafana"].(map[string]any))
	grafana["podAnnotations"] = map[string]any{GrafanaGenerationAnnotation: generation}
	out["grafana"] = grafana
	return out
}

// SortedKeys lists a secret map's keys in order (for callers and tests).
func SortedKeys(m map[string]pulumi.StringInput) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
