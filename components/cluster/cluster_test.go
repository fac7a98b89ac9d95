package cluster

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"sigs.k8s.io/yaml"

	"infra/internal/pulumitest"
)

const (
	clusterType  = "digitalocean:index/kubernetesCluster:KubernetesCluster"
	poolType     = "digitalocean:index/kubernetesNodePool:KubernetesNodePool"
	providerType = "pulumi:providers:kubernetes"
	releaseType  = "kubernetes:helm.sh/v3:Release"
)

func testArgs() *ClusterArgs {
	return &ClusterArgs{
		ClusterName:     "jarvis-prod",
		Region:          "sfo3",
		VPCID:           pulumi.String("vpc-1"),
		VersionPrefix:   "1.36",
		HA:              true,
		AutoUpgrade:     false,
		MaintenanceDay:  "sunday",
		MaintenanceHour: "04:00",
		SystemPool:      Pool{Name: "system", Size: "s-2vcpu-4gb", Count: 2},
		Pools: []Pool{
			{Name: "apps", Size: "s-4vcpu-8gb", MinNodes: 3, MaxNodes: 6, Labels: map[string]string{"tier": "apps"}},
			{Name: "batch", Size: "s-2vcpu-4gb", Count: 1, Taints: []Taint{{Key: "batch", Value: "true", Effect: "NoSchedule"}}},
		},
		AppTag:        pulumi.String("jarvis-prod-app"),
		Tags:          []string{"infra", "jarvis", "prod"},
		Protect:       true,
		MetricsServer: true,
	}
}

// run declares a cluster and returns what was recorded and the component.
func run(t *testing.T, args *ClusterArgs) (*pulumitest.Recorder, *Cluster, string) {
	t.Helper()
	var c *Cluster
	var kubeconfig string
	var secret bool
	rec := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		var err error
		c, err = NewCluster(ctx, "jarvis", args)
		if err != nil {
			return err
		}
		res, err := internals.UnsafeAwaitOutput(ctx.Context(), c.Kubeconfig)
		if err != nil {
			return err
		}
		kubeconfig, _ = res.Value.(string)
		secret = res.Secret
		return nil
	})
	if !secret {
		t.Error("the Kubeconfig output is not a secret")
	}
	return rec, c, kubeconfig
}

func TestClusterInputs(t *testing.T) {
	rec, _, _ := run(t, testArgs())
	cl := rec.Get(t, clusterType, "jarvis-cluster")
	in := pulumitest.Plain(cl.Inputs)
	want := map[string]any{
		"name":                        "jarvis-prod",
		"region":                      "sfo3",
		"vpcUuid":                     "vpc-1",
		"version":                     "1.36.0-do.0", // newest release of the minor
		"ha":                          true,
		"autoUpgrade":                 false,
		"surgeUpgrade":                true,
		"maintenancePolicy.day":       "sunday",
		"maintenancePolicy.startTime": "04:00",
		"nodePool.name":               "system",
		"nodePool.size":               "s-2vcpu-4gb",
		"nodePool.nodeCount":          2.0,
	}
	for path, w := range want {
		if got := pulumitest.Path(in, path); got != w {
			t.Errorf("cluster %s = %#v, want %#v", path, got, w)
		}
	}
	if v := pulumitest.Path(in, "nodePool.autoScale"); v != nil {
		t.Errorf("the system pool autoscales (%v): resizing it would replace the cluster", v)
	}
	if !cl.Protect {
		t.Error("the cluster is not protected")
	}
}

func TestWorkloadPoolsAreSeparateResources(t *testing.T) {
	rec, _, _ := run(t, testArgs())
	cl := rec.Get(t, clusterType, "jarvis-cluster")
	pools := rec.ByType(poolType)
	if len(pools) != 2 {
		t.Fatalf("%d node pools, want 2", len(pools))
	}
	for _, tc := range []struct {
		name string
		want map[string]any
	}{
		{"jarvis-pool-apps", map[string]any{"name": "apps", "size": "s-4vcpu-8gb", "autoScale": true, "minNodes": 3.0, "maxNodes": 6.0, "nodeCount": nil, "labels.tier": "apps"}},
		{"jarvis-pool-batch", map[string]any{"name": "batch", "nodeCount": 1.0, "autoScale": nil, "clusterId": "jarvis-cluster-id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := rec.Get(t, poolType, tc.name)
			in := pulumitest.Plain(p.Inputs)
			for path, w := range tc.want {
				if got := pulumitest.Path(in, path); got != w {
					t.Errorf("%s = %#v, want %#v", path, got, w)
				}
			}
			tags, _ := in["tags"].([]any)
			if !slices.Contains(tags, any("jarvis-prod-app")) {
				t.Errorf("pool tags %v lack the app tag the database firewall admits", tags)
			}
			if !slices.Contains(p.Dependencies, cl.URN) {
				t.Errorf("pool does not depend on the cluster: %v", p.Dependencies)
			}
		})
	}
	taints := pulumitest.Path(pulumitest.Plain(rec.Get(t, poolType, "jarvis-pool-batch").Inputs), "taints")
	want := []any{map[string]any{"key": "batch", "value": "true", "effect": "NoSchedule"}}
	if !equalJSON(taints, want) {
		t.Errorf("batch taints = %v, want %v", taints, want)
	}
}

func TestProviderIsNotBuiltFromTheStaticToken(t *testing.T) {
	rec, _, kubeconfig := run(t, testArgs())
	p := rec.Get(t, providerType, "jarvis-k8s")
	in := pulumitest.Plain(p.Inputs)
	sec, ok := in["kubeconfig"].(pulumitest.Secret)
	if !ok {
		t.Fatalf("provider kubeconfig is not a secret: %#v", in["kubeconfig"])
	}
	cfg, _ := sec.Value.(string)
	if cfg != kubeconfig {
		t.Errorf("provider kubeconfig differs from the component's Kubeconfig output")
	}
	if strings.Contains(cfg, pulumitest.StaleToken) || strings.Contains(cfg, "token") {
		t.Fatalf("provider kubeconfig carries a static token:\n%s", cfg)
	}
	var doc struct {
		Clusters []struct {
			Cluster map[string]string `json:"cluster"`
		} `json:"clusters"`
		Users []struct {
			User struct {
				Exec struct {
					APIVersion string   `json:"apiVersion"`
					Command    string   `json:"command"`
					Args       []string `json:"args"`
				} `json:"exec"`
			} `json:"user"`
		} `json:"users"`
	}
	if err := yaml.UnmarshalStrict([]byte(cfg), &doc, yaml.DisallowUnknownFields); err != nil {
		// Unknown keys are fine for kubeconfig; only the shape matters.
		if err := yaml.Unmarshal([]byte(cfg), &doc); err != nil {
			t.Fatalf("kubeconfig is not YAML: %v", err)
		}
	}
	if len(doc.Clusters) != 1 || doc.Clusters[0].Cluster["server"] != "https://jarvis-cluster.k8s.ondigitalocean.com" ||
		doc.Clusters[0].Cluster["certificate-authority-data"] != pulumitest.CACert {
		t.Errorf("cluster entry = %+v, want the endpoint and CA of the cluster", doc.Clusters)
	}
	wantArgs := []string{"kubernetes", "cluster", "kubeconfig", "exec-credential", "--version=v1beta1", "jarvis-cluster-id"}
	if len(doc.Users) != 1 || doc.Users[0].User.Exec.Command != "doctl" || !slices.Equal(doc.Users[0].User.Exec.Args, wantArgs) ||
		doc.Users[0].User.Exec.APIVersion != "client.authentication.k8s.io/v1beta1" {
		t.Errorf("user entry = %+v, want doctl %v", doc.Users, wantArgs)
	}
	if got := pulumitest.Path(in, "clusterIdentifier"); got != "jarvis-cluster-id" {
		t.Errorf("clusterIdentifier = %v, want the cluster id", got)
	}
}

func TestChildrenHaveTheComponentAsParent(t *testing.T) {
	rec, _, _ := run(t, testArgs())
	comp := rec.Get(t, "infra:cluster:Cluster", "jarvis")
	for _, r := range rec.Resources {
		if r.URN == comp.URN {
			continue
		}
		if r.Parent != comp.URN {
			t.Errorf("%s %s has parent %q, want the component", r.Type, r.Name, r.Parent)
		}
	}
}

func TestMetricsServerOnlyWhenAsked(t *testing.T) {
	rec, _, _ := run(t, testArgs())
	rel := rec.Get(t, releaseType, "jarvis-metrics-server")
	in := pulumitest.Plain(rel.Inputs)
	for path, w := range map[string]any{"chart": "metrics-server", "version": MetricsServerVersion, "repositoryOpts.repo": MetricsServerRepo, "namespace": "kube-system", "name": "metrics-server"} {
		if got := pulumitest.Path(in, path); got != w {
			t.Errorf("metrics-server %s = %v, want %v", path, got, w)
		}
	}
	if !strings.HasSuffix(rel.Provider, "::jarvis-k8s-id") {
		t.Errorf("metrics-server is not deployed through the cluster's provider: %q", rel.Provider)
	}
	args := testArgs()
	args.MetricsServer = false
	rec, _, _ = run(t, args)
	if n := len(rec.ByType(releaseType)); n != 0 {
		t.Errorf("%d releases without autoscaling, want 0", n)
	}
}

func TestBadPoolsAreRejected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*ClusterArgs)
		want   string
	}{
		{"autoscaled system pool", func(a *ClusterArgs) { a.SystemPool = Pool{Name: "system", Size: "s", MinNodes: 1, MaxNodes: 3} }, "fixed count"},
		{"duplicate pool", func(a *ClusterArgs) { a.Pools[1].Name = "apps" }, `duplicate pool "apps"`},
		{"inverted bounds", func(a *ClusterArgs) { a.Pools[0].MinNodes, a.Pools[0].MaxNodes = 5, 2 }, "autoscale bounds 5-2"},
		{"no count", func(a *ClusterArgs) { a.Pools[1].Count = 0 }, `pool "batch": count 0`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := testArgs()
			tc.mutate(args)
			_, err := pulumitest.RunErr(func(ctx *pulumi.Context) error {
				_, err := NewCluster(ctx, "jarvis", args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRenderKubeconfigNeedsEveryPart(t *testing.T) {
	if _, err := RenderKubeconfig("c", "https://x", "", "id"); err == nil {
		t.Fatal("a kubeconfig without a CA certificate was rendered")
	}
}

func equalJSON(a, b any) bool {
	x, _ := yaml.Marshal(a)
	y, _ := yaml.Marshal(b)
	return string(x) == string(y)
}
