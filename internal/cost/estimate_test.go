package cost

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"infra/internal/dotype"
	"infra/internal/plan"
)

func res(typ, name string, inputs map[string]any, deps ...string) plan.Resource {
	return plan.Resource{URN: "urn:pulumi:test::p::" + typ + "::" + name, Type: typ, Name: name, Custom: true, Inputs: inputs, Dependencies: deps}
}

func crafted(topology string, rs ...plan.Resource) *plan.Plan {
	return &plan.Plan{Project: "p", Stack: "test", Resources: rs, Outputs: map[string]any{"topology": topology}}
}

func mustEstimate(t *testing.T, p *plan.Plan) *Estimate {
	t.Helper()
	e, err := EstimatePlan(p)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEstimateCraftedPlans(t *testing.T) {
	ip := res(dotype.ReservedIP, "ip", map[string]any{"region": "nyc3"})
	cases := []struct {
		name       string
		plan       *plan.Plan
		total, max float64
		unpriced   int
		items      []string
	}{
		{"droplet", crafted("vps", res(dotype.Droplet, "d", map[string]any{"size": "s-2vcpu-4gb"})), 24, 24, 0, []string{"Droplet s-2vcpu-4gb"}},
		// DigitalOcean defaults a Droplet with backups and no backupPolicy.plan
		// to daily backups (pulumi-digitalocean v4.57.0, Droplet.backupPolicy).
		{"backups without a plan are daily, 30 %", crafted("vps", res(dotype.Droplet, "d", map[string]any{"size": "s-2vcpu-4gb", "backups": true})), 31.2, 31.2, 0, []string{"Droplet backups, daily (30 %)", "no backupPolicy.plan: DigitalOcean defaults to daily"}},
		{"weekly plan is 20 %", crafted("vps", res(dotype.Droplet, "d", map[string]any{"size": "s-2vcpu-4gb", "backups": true, "backupPolicy": map[string]any{"plan": "weekly", "weekday": "SUN", "hour": 4.0}})), 28.8, 28.8, 0, []string{"Droplet backups, weekly (20 %)"}},
		{"daily plan is 30 %", crafted("vps", res(dotype.Droplet, "d", map[string]any{"size": "s-4vcpu-8gb", "backups": true, "backupPolicy": map[string]any{"plan": "daily"}})), 62.4, 62.4, 0, []string{"Droplet backups, daily (30 %)"}},
		{"a plan not known offline is priced as daily", crafted("vps", res(dotype.Droplet, "d", map[string]any{"size": "s-2vcpu-4gb", "backups": true, "backupPolicy": map[string]any{"plan": plan.Unknown}})), 31.2, 31.2, 0, []string{"daily (30 %)", "not known offline"}},
		{"a plan the table lacks is reported", crafted("vps", res(dotype.Droplet, "d", map[string]any{"size": "s-2vcpu-4gb", "backups": true, "backupPolicy": map[string]any{"plan": "hourly"}})), 24, 24, 1, []string{"Droplet s-2vcpu-4gb", `not priced: digitalocean:index/droplet:Droplet d: no price for Droplet backup plan "hourly"`}},
		{"no backups, no backup line (a policy alone backs nothing up)", crafted("vps", res(dotype.Droplet, "d", map[string]any{"size": "s-2vcpu-4gb", "backups": false, "backupPolicy": map[string]any{"plan": "weekly"}})), 24, 24, 0, nil},
		{"database with a standby", crafted("vps", res(dotype.DatabaseCluster, "db", map[string]any{"engine": "pg", "size": "db-s-1vcpu-2gb", "nodeCount": 2.0})), 60, 60, 0, []string{"1 standby node(s)"}},
		// DigitalOcean allows standby nodes only on plans with 2 GB of RAM
		// or more: the table has no standby price for the 1 GB plan, and
		// the estimate reports it the way it reports any unknown price.
		{"standby on a plan without a standby price is reported", crafted("vps", res(dotype.DatabaseCluster, "db", map[string]any{"engine": "pg", "size": "db-s-1vcpu-1gb", "nodeCount": 2.0})), 15, 15, 1, []string{"Managed database db-s-1vcpu-1gb, primary", "db-s-1vcpu-1gb has no standby price: DigitalOcean allows standby nodes only on plans with 2 GB of RAM or more"}},
		{"the 1 GB plan on one node is fine", crafted("vps", res(dotype.DatabaseCluster, "db", map[string]any{"engine": "pg", "size": "db-s-1vcpu-1gb", "nodeCount": 1.0})), 15, 15, 0, nil},
		{"database read replica", crafted("vps", res(dotype.DatabaseReplica, "r", map[string]any{"size": "db-s-2vcpu-4gb"})), 60, 60, 0, nil},
		{"valkey is not in the table", crafted("vps", res(dotype.DatabaseCluster, "cache", map[string]any{"engine": "valkey", "size": "db-s-1vcpu-1gb"})), 0, 0, 1, nil},
		{"unknown droplet size", crafted("vps", res(dotype.Droplet, "d", map[string]any{"size": "s-99vcpu"})), 0, 0, 1, nil},
		{"masked size cannot be priced", crafted("vps", res(dotype.Droplet, "d", map[string]any{"size": plan.Masked})), 0, 0, 1, nil},
		{
			"kubernetes: HA, fixed system pool, autoscaled apps pool, no LB in plan -> implied LB",
			crafted("kubernetes",
				res(dotype.KubernetesCluster, "k", map[string]any{"ha": true, "nodePool": map[string]any{"name": "system", "size": "s-2vcpu-4gb", "nodeCount": 1.0}}),
				res(dotype.KubernetesNodePool, "apps", map[string]any{"size": "s-4vcpu-8gb", "autoScale": true, "minNodes": 2.0, "maxNodes": 4.0}),
			),
			40 + 24 + 96 + 12, 40 + 24 + 192 + 12, 0, []string{"Kubernetes HA control plane", "2-4 x s-4vcpu-8gb (autoscaled)", "ingress controller's Service"},
		},
		{
			"kubernetes with its own LoadBalancer: nothing implied",
			crafted("kubernetes",
				res(dotype.KubernetesCluster, "k", map[string]any{"nodePool": map[string]any{"size": "s-2vcpu-4gb", "nodeCount": 2.0}}),
				res(dotype.LoadBalancer, "lb", map[string]any{"sizeUnit": 2.0}),
			),
			48 + 24, 48 + 24, 0, []string{"Load balancer, 2 node(s)"},
		},
		{
			"kubernetes Service of type LoadBalancer with a size annotation",
			crafted("kubernetes",
				res(typeK8sService, "edge", map[string]any{"metadata": map[string]any{"annotations": map[string]any{lbSizeUnitAnnotation: "3"}}, "spec": map[string]any{"type": "LoadBalancer"}}),
				res(typeK8sService, "internal", map[string]any{"spec": map[string]any{"type": "ClusterIP"}}),
				res(typeK8sService, "plain", map[string]any{"spec": map[string]any{"type": "LoadBalancer"}}),
			),
			36 + 12, 36 + 12, 0, []string{"Service edge, 3 node(s)", "Service plain, 1 node(s)"},
		},
		{"legacy lb-medium", crafted("vps", res(dotype.LoadBalancer, "lb", map[string]any{"size": "lb-medium"})), 36, 36, 0, nil},
		{"volume and claim", crafted("vps",
			res(dotype.Volume, "v", map[string]any{"size": 100.0}),
			res(typeK8sPVC, "data", map[string]any{"spec": map[string]any{"resources": map[string]any{"requests": map[string]any{"storage": "20Gi"}}}}),
			res(typeK8sPVC, "local", map[string]any{"spec": map[string]any{"storageClassName": "local-path", "resources": map[string]any{"requests": map[string]any{"storage": "20Gi"}}}}),
		), 12, 12, 0, []string{"Volume 100 GiB", "Volume 20 GiB (PersistentVolumeClaim)"}},
		{"two buckets share one Spaces subscription", crafted("vps", res(dotype.SpacesBucket, "a", nil), res(dotype.SpacesBucket, "b", nil)), 5, 5, 0, []string{"Spaces subscription", "covered by the account's Spaces subscription"}},
		{"reserved IP assigned through an assignment", crafted("vps", ip, res(dotype.ReservedIPAssignment, "ipa", nil, ip.URN)), 0, 0, 0, []string{"Reserved IP (assigned)"}},
		{"reserved IP left unassigned", crafted("vps", ip), 5, 5, 0, []string{"Reserved IP (unassigned)"}},
		{"registry tiers", crafted("vps", res(dotype.ContainerRegistry, "cr", map[string]any{"subscriptionTierSlug": "basic"})), 5, 5, 0, nil},
		{"free and non-DigitalOcean types", crafted("vps",
			res("digitalocean:index/vpc:Vpc", "vpc", nil),
			res("digitalocean:index/databaseFirewall:DatabaseFirewall", "fw", nil),
			res("postgresql:index/role:Role", "role", nil),
			res("kubernetes:apps/v1:Deployment", "api", nil),
		), 0, 0, 0, nil},
		{"a DigitalOcean type the table does not know", crafted("vps", res("digitalocean:index/nfs:Nfs", "share", nil)), 0, 0, 1, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := mustEstimate(t, c.plan)
			if e.Total != c.total || e.MaxTotal != c.max {
				t.Errorf("total %v (max %v), want %v (max %v); lines %+v", e.Total, e.MaxTotal, c.total, c.max, e.Lines)
			}
			if len(e.Unpriced) != c.unpriced {
				t.Errorf("unpriced = %+v, want %d", e.Unpriced, c.unpriced)
			}
			var text bytes.Buffer
			if err := e.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			for _, item := range c.items {
				if !strings.Contains(text.String(), item) {
					t.Errorf("estimate does not mention %q:\n%s", item, text.String())
				}
			}
		})
	}
}

// A plan shaped like seed 003's recommendation (jarvis-agents): one
// s-4vcpu-8gb Droplet, the 1 GB managed PostgreSQL, a Spaces bucket for
// backups and a reserved IP, with DigitalOcean monitoring. The seed puts it
// at $69/month (including a $1 domain bought elsewhere).
func TestJarvisAgentsLikePlanWithinSeedBudget(t *testing.T) {
	ip := res(dotype.ReservedIP, "jarvis-ip", map[string]any{"region": "nyc3"})
	droplet := res(dotype.Droplet, "jarvis-droplet", map[string]any{"size": "s-4vcpu-8gb", "image": "ubuntu-24-04-x64", "monitoring": true})
	p := crafted("vps",
		res("digitalocean:index/vpc:Vpc", "jarvis-vpc", nil),
		droplet, ip,
		res(dotype.ReservedIPAssignment, "jarvis-ip-assignment", nil, ip.URN, droplet.URN),
		res("digitalocean:index/firewall:Firewall", "jarvis-firewall", nil),
		res(dotype.DatabaseCluster, "jarvis-cluster", map[string]any{"engine": "pg", "size": "db-s-1vcpu-1gb", "nodeCount": 1.0}),
		res("digitalocean:index/databaseFirewall:DatabaseFirewall", "jarvis-db-firewall", nil),
		res(dotype.SpacesBucket, "jarvis-backups", nil),
		res("digitalocean:index/monitorAlert:MonitorAlert", "jarvis-cpu", nil),
		res(dotype.UptimeCheck, "jarvis-uptime", nil),
	)
	e := mustEstimate(t, p)
	if e.Total != 68 {
		t.Errorf("total = %v, want 48 + 15 + 5 + 0 = 68; lines %+v", e.Total, e.Lines)
	}
	if e.Total > 69 {
		t.Errorf("total %v is above seed 003's $69/month", e.Total)
	}
	if len(e.Unpriced) > 0 {
		t.Errorf("unpriced: %+v", e.Unpriced)
	}
}

func TestEstimateOfAPlanReadBackFromJSON(t *testing.T) {
	p := crafted("kubernetes", res(dotype.KubernetesCluster, "k", map[string]any{"nodePool": map[string]any{"size": "s-2vcpu-4gb", "nodeCount": 2.0}}))
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := plan.ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	want, got := mustEstimate(t, p), mustEstimate(t, back)
	if got.Total != want.Total || got.Total != 48+12 {
		t.Errorf("read-back total %v, in-process total %v, want 60 (2 nodes + the implied load balancer)", got.Total, want.Total)
	}
	if _, err := plan.ReadJSON(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing plan must be an error")
	}
}
