package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/cluster"
	"infra/components/database"
	"infra/components/ingress"
	"infra/components/workload"
	"infra/stacks/config"
)

// Managed PostgreSQL answers on 25060 (direct) and 25061 (PgBouncer pools).
var managedPostgresPorts = []int{25060, 25061}

// deployKubernetes declares the DOKS topology: the cluster, the TLS edge
// (only when a service is public) and the workloads, all Kubernetes
// objects through the cluster's provider.
func deployKubernetes(ctx *pulumi.Context, d *Deployment) error {
	cfg := d.Config
	cl := cfg.Cluster
	k8s, err := cluster.NewCluster(ctx, d.Name, d.clusterArgs(), pulumi.DependsOn([]pulumi.Resource{d.Network}))
	if err != nil {
		return fmt.Errorf("declare cluster: %w", err)
	}
	d.KubeProvider, d.Namespace = k8s.Provider, cl.Namespace
	providers := pulumi.Providers(k8s.Provider)

	specs := d.Services()
	var hosts []string
	for _, s := range specs {
		if s.Public != nil {
			hosts = append(hosts, s.Public.Host)
		}
	}
	// Grafana's Ingress (kube-prometheus-stack) answers on its own name:
	// it needs the DNS record as much as the services do.
	if *cfg.Monitoring.Enabled {
		hosts = append(hosts, d.Host(config.GrafanaHost))
	}
	wargs := &workload.WorkloadArgs{
		Namespace:           cl.Namespace,
		PartOf:              d.Name,
		Services:            specs,
		DefaultPool:         cl.Pools[0].Name,
		PoolTaints:          map[string][]workload.Toleration{},
		MonitoringNamespace: d.monitoringNamespace(),
		Protect:             cfg.Production(),
		Registries:          d.Registries(),
	}
	for _, p := range cl.Pools {
		for _, t := range p.Taints {
			wargs.PoolTaints[p.Name] = append(wargs.PoolTaints[p.Name], workload.Toleration{Key: t.Key, Value: t.Value, Effect: t.Effect})
		}
	}
	if d.Database != nil {
		wargs.After = append(wargs.After, d.Database)
		switch d.Database.Engine {
		case database.EngineManaged:
			wargs.DatabaseEgress = []workload.Egress{{CIDR: cfg.Network.VPCCIDR, Ports: managedPostgresPorts}}
		case database.EngineExternal:
			// Only the URL knows where an external database lives.
			wargs.DatabaseEgress = []workload.Egress{{CIDR: "0.0.0.0/0"}}
		}
	}
	if len(hosts) > 0 {
		edge, err := ingress.NewIngress(ctx, d.Name, d.ingressArgs(hosts), providers)
		if err != nil {
			return fmt.Errorf("declare ingress: %w", err)
		}
		wargs.IngressClass, wargs.IngressNamespace, wargs.ClusterIssuer = edge.ClassName, edge.Namespace, edge.Issuer
		wargs.After = append(wargs.After, edge)
		d.addManifests(edge.Manifests)
	}
	app, err := workload.NewWorkload(ctx, d.Name, wargs, providers)
	if err != nil {
		return fmt.Errorf("declare workloads: %w", err)
	}
	d.addManifests(app.Manifests)
	// After the workloads: their namespace and its default deny exist.
	dumps, err := d.declareKubernetesBackup(ctx, []pulumi.Resource{app}, providers)
	if err != nil {
		return err
	}
	out := pulumi.Map{
		"clusterName": k8s.Name,
		"endpoint":    k8s.Endpoint,
		"namespace":   pulumi.String(cl.Namespace),
	}
	if dumps != nil {
		out["backupsBucket"] = dumps.BucketName
	}
	d.Outputs["kubernetes"] = out
	d.Outputs["kubeconfig"] = pulumi.ToSecret(k8s.Kubeconfig)
	d.exportAdminCredentials(app.AdminPasswords)
	return nil
}

func (d *Deployment) clusterArgs() *cluster.ClusterArgs {
	cfg := d.Config
	cl := cfg.Cluster
	autoscale := false
	for _, s := range cfg.Services {
		autoscale = autoscale || s.Autoscale != nil
	}
	args := &cluster.ClusterArgs{
		ClusterName:     d.Name + "-" + cfg.Environment,
		Region:          cfg.Region,
		VPCID:           d.Network.VPCID,
		VersionPrefix:   cl.VersionPrefix,
		HA:              cl.HA,
		AutoUpgrade:     *cl.AutoUpgrade,
		MaintenanceDay:  cl.Maintenance.Day,
		MaintenanceHour: cl.Maintenance.Hour,
		SystemPool:      clusterPool(*cl.SystemPool),
		AppTag:          d.Network.AppTag,
		Tags:            d.Tags,
		Protect:         cfg.Production(),
		MetricsServer:   autoscale,
		ChartRepository: cl.ChartRepository,
	}
	for _, p := range cl.Pools {
		args.Pools = append(args.Pools, clusterPool(p))
	}
	return args
}

func clusterPool(p config.NodePool) cluster.Pool {
	out := cluster.Pool{Name: p.Name, Size: p.Size, Count: p.Count, MinNodes: p.MinNodes, MaxNodes: p.MaxNodes, Labels: p.Labels}
	for _, t := range p.Taints {
		out.Taints = append(out.Taints, cluster.Taint{Key: t.Key, Value: t.Value, Effect: t.Effect})
	}
	return out
}

func (d *Deployment) ingressArgs(hosts []string) *ingress.IngressArgs {
	cfg := d.Config
	args := &ingress.IngressArgs{
		Domain:           cfg.Domain,
		Hosts:            hosts,
		Issuer:           cfg.Ingress.Issuer,
		Email:            cfg.Ingress.Email,
		LoadBalancerName: d.Name + "-" + cfg.Environment + "-ingress",
		VPCCIDR:          cfg.Network.VPCCIDR,
		ChartRepository:  cfg.Cluster.ChartRepository,
	}
	if rl := cfg.Ingress.RateLimit; rl != nil {
		args.RateLimit = &ingress.RateLimit{RPM: rl.RPM, Burst: rl.Burst}
	}
	return args
}

// monitoringNamespace is where the Kubernetes monitoring stack runs and
// scrapes from ("" when monitoring is off); it must match the namespace
// the monitoring topology installs kube-prometheus-stack in.
func (d *Deployment) monitoringNamespace() string {
	if m := d.Config.Monitoring; m != nil && m.Enabled != nil && *m.Enabled {
		return "monitoring"
	}
	return ""
}

// addManifests records rendered objects as artifacts (never secret: the
// objects hold placeholders where secrets go).
func (d *Deployment) addManifests(m map[string]string) {
	for path, doc := range m {
		d.AddArtifact(path, pulumi.String(doc).ToStringOutput())
	}
}
