// Package cluster declares a DigitalOcean Kubernetes (DOKS) cluster and the
// kubernetes Provider everything downstream deploys through.
//
// Two traps of the provider shape it. Resizing the pool declared inside a
// KubernetesCluster replaces the whole cluster, so the cluster's own pool
// is a small fixed system pool and the application runs on separate
// KubernetesNodePool resources that can change freely. And the kubeconfig
// DOKS returns carries a token that expires after 7 days, so the Provider
// is never built from it: see Kubeconfig.
package cluster

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ClusterArgs declares a cluster.
type ClusterArgs struct {
	// ClusterName is the cluster's name in DigitalOcean.
	ClusterName string
	Region      string
	VPCID       pulumi.StringInput
	// VersionPrefix picks the newest DOKS release of a minor ("1.34").
	VersionPrefix string
	// HA buys the highly available control plane.
	HA          bool
	AutoUpgrade bool
	// MaintenanceDay ("sunday" or "any") and MaintenanceHour ("04:00", UTC).
	MaintenanceDay  string
	MaintenanceHour string
	// SystemPool is the cluster's own pool: keep it small and never resize
	// it, since that replaces the cluster. Count only.
	SystemPool Pool
	// Pools run the application; each is its own resource.
	Pools []Pool
	// AppTag marks the workload nodes; the database firewall admits it.
	AppTag pulumi.StringInput
	Tags   []string
	// Protect guards the cluster against deletion (prod).
	Protect bool
	// MetricsServer installs metrics-server, which horizontal pod
	// autoscalers need and DOKS does not ship.
	MetricsServer bool
	// ChartRepository is a Helm repository that mirrors the charts at
	// their pinned versions; "" fetches each from its upstream repository.
	ChartRepository string
}

// Pool is a group of identical nodes: Count nodes, or MinNodes..MaxNodes
// under the cluster autoscaler.
type Pool struct {
	Name     string
	Size     string
	Count    int
	MinNodes int
	MaxNodes int
	Labels   map[string]string
	Taints   []Taint
}

// Taint keeps pods without a matching toleration off a pool.
type Taint struct {
	Key, Value, Effect string
}

// Autoscaled reports whether the autoscaler sizes the pool.
func (p Pool) Autoscaled() bool { return p.MinNodes > 0 || p.MaxNodes > 0 }

// Cluster is a DOKS cluster and its Provider.
type Cluster struct {
	pulumi.ResourceState

	ClusterID pulumi.StringOutput
	Name      pulumi.StringOutput
	Endpoint  pulumi.StringOutput
	Version   pulumi.StringOutput
	// Kubeconfig authenticates through doctl on every use (secret).
	Kubeconfig pulumi.StringOutput
	// Provider deploys to the cluster; hand it to downstream components
	// with pulumi.Providers.
	Provider *kubernetes.Provider
	// Pools are the workload pools by name.
	Pools map[string]*digitalocean.KubernetesNodePool
}

// NewCluster declares the cluster, its workload pools and its Provider.
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if err := args.check(); err != nil {
		return nil, fmt.Errorf("cluster %q: %w", name, err)
	}
	c := &Cluster{Pools: map[string]*digitalocean.KubernetesNodePool{}}
	if err := ctx.RegisterComponentResource("infra:cluster:Cluster", name, c, opts...); err != nil {
		return nil, fmt.Errorf("register cluster %q: %w", name, err)
	}
	version, err := pickVersion(ctx, c, args.VersionPrefix)
	if err != nil {
		return nil, err
	}
	sys := args.SystemPool
	cluster, err := digitalocean.NewKubernetesCluster(ctx, name+"-cluster", &digitalocean.KubernetesClusterArgs{
		Name:         pulumi.String(args.ClusterName),
		Region:       pulumi.String(args.Region),
		Version:      pulumi.String(version),
		VpcUuid:      args.VPCID,
		Ha:           pulumi.Bool(args.HA),
		AutoUpgrade:  pulumi.Bool(args.AutoUpgrade),
		SurgeUpgrade: pulumi.Bool(true),
		MaintenancePolicy: digitalocean.KubernetesClusterMaintenancePolicyArgs{
			Day:       pulumi.String(args.MaintenanceDay),
			StartTime: pulumi.String(args.MaintenanceHour),
		},
		NodePool: digitalocean.KubernetesClusterNodePoolArgs{
			Name:      pulumi.String(sys.Name),
			Size:      pulumi.String(sys.Size),
			NodeCount: pulumi.Int(sys.Count),
			Labels:    pulumi.ToStringMap(sys.Labels),
			Tags:      pulumi.ToStringArray(args.Tags),
		},
		Tags: pulumi.ToStringArray(args.Tags),
	}, pulumi.Parent(c), pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("kubernetes cluster: %w", err)
	}
	c.ClusterID, c.Name, c.Endpoint, c.Version = cluster.ID().ToStringOutput(), cluster.Name, cluster.Endpoint, cluster.Version
	for _, p := range args.Pools {
		pool, err := declarePool(ctx, name, c, cluster, p, args)
		if err != nil {
			return nil, err
		}
		c.Pools[p.Name] = pool
	}
	c.Kubeconfig = Kubeconfig(cluster)
	c.Provider, err = kubernetes.NewProvider(ctx, name+"-k8s", &kubernetes.ProviderArgs{
		Kubeconfig: c.Kubeconfig,
		// The cluster's id, not the kubeconfig, decides when the provider
		// (and everything deployed through it) is replaced.
		ClusterIdentifier: c.ClusterID,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("kubernetes provider: %w", err)
	}
	if args.MetricsServer {
		if err := c.installMetricsServer(ctx, name, args.ChartRepository); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"clusterId":  c.ClusterID,
		"name":       c.Name,
		"endpoint":   c.Endpoint,
		"version":    c.Version,
		"kubeconfig": c.Kubeconfig,
	}); err != nil {
		return nil, fmt.Errorf("register cluster %q outputs: %w", name, err)
	}
	return c, nil
}

func declarePool(ctx *pulumi.Context, name string, c *Cluster, cluster *digitalocean.KubernetesCluster, p Pool, args *ClusterArgs) (*digitalocean.KubernetesNodePool, error) {
	taints := digitalocean.KubernetesNodePoolTaintArray{}
	for _, t := range p.Taints {
		taints = append(taints, digitalocean.KubernetesNodePoolTaintArgs{
			Key: pulumi.String(t.Key), Value: pulumi.String(t.Value), Effect: pulumi.String(t.Effect),
		})
	}
	tags := pulumi.StringArray{args.AppTag}
	for _, t := range args.Tags {
		tags = append(tags, pulumi.String(t))
	}
	pa := &digitalocean.KubernetesNodePoolArgs{
		ClusterId: cluster.ID(),
		Name:      pulumi.String(p.Name),
		Size:      pulumi.String(p.Size),
		Labels:    pulumi.ToStringMap(p.Labels),
		Taints:    taints,
		Tags:      tags,
	}
	if p.Autoscaled() {
		pa.AutoScale = pulumi.Bool(true)
		pa.MinNodes = pulumi.Int(p.MinNodes)
		pa.MaxNodes = pulumi.Int(p.MaxNodes)
	} else {
		pa.NodeCount = pulumi.Int(p.Count)
	}
	pool, err := digitalocean.NewKubernetesNodePool(ctx, name+"-pool-"+p.Name, pa, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("node pool %q: %w", p.Name, err)
	}
	return pool, nil
}

func (a *ClusterArgs) check() error {
	var problems []string
	if a.SystemPool.Autoscaled() || a.SystemPool.Count < 1 {
		problems = append(problems, "the system pool needs a fixed count")
	}
	seen := map[string]bool{a.SystemPool.Name: true}
	for _, p := range a.Pools {
		if seen[p.Name] {
			problems = append(problems, fmt.Sprintf("duplicate pool %q", p.Name))
		}
		seen[p.Name] = true
		if p.Autoscaled() && (p.MinNodes < 1 || p.MaxNodes < p.MinNodes) {
			problems = append(problems, fmt.Sprintf("pool %q: autoscale bounds %d-%d", p.Name, p.MinNodes, p.MaxNodes))
		}
		if !p.Autoscaled() && p.Count < 1 {
			problems = append(problems, fmt.Sprintf("pool %q: count %d", p.Name, p.Count))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// pickVersion asks DigitalOcean which DOKS releases it offers and picks the
// newest of the wanted minor. When none matches (the minor reached its end
// of life and DOKS dropped it), the error lists the minors on offer.
func pickVersion(ctx *pulumi.Context, parent pulumi.Resource, minor string) (string, error) {
	versions, err := digitalocean.GetKubernetesVersions(ctx, &digitalocean.GetKubernetesVersionsArgs{}, pulumi.Parent(parent))
	if err != nil {
		return "", fmt.Errorf("look up the DOKS versions on offer: %w", err)
	}
	var offered []string
	for _, v := range versions.ValidVersions {
		// A trailing dot keeps "1.3" from matching 1.30.
		if strings.HasPrefix(v, minor+".") {
			return v, nil // newest first, as DigitalOcean lists them
		}
		m := strings.SplitN(v, ".", 3)
		if len(m) >= 2 && !slices.Contains(offered, m[0]+"."+m[1]) {
			offered = append(offered, m[0]+"."+m[1])
		}
	}
	return "", fmt.Errorf("DOKS offers no Kubernetes %s release (it drops a minor at its end of life); offered: %s: set infra:cluster.versionPrefix to one of them",
		minor, strings.Join(offered, ", "))
}
