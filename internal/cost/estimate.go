package cost

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"infra/internal/dotype"
	"infra/internal/plan"
)

// Type tokens priced here, as the DigitalOcean provider SDK names them.
const (
	typeK8sService = "kubernetes:core/v1:Service"
	typeK8sPVC     = "kubernetes:core/v1:PersistentVolumeClaim"

	lbSizeUnitAnnotation = "service.beta.kubernetes.io/do-loadbalancer-size-unit"
)

// Line is one priced item: a resource, or part of one (a cluster's HA
// control plane and its node pool are two lines).
type Line struct {
	// Key identifies the line across plans (for Diff): the URN and the part.
	Key  string `json:"key"`
	URN  string `json:"urn,omitempty"`
	Type string `json:"type"`
	Name string `json:"name"`
	// Item says what is priced, in words ("Droplet s-4vcpu-8gb").
	Item    string  `json:"item"`
	Monthly float64 `json:"monthly"`
	// MaxMonthly is the upper bound of an autoscaled item (else = Monthly).
	MaxMonthly float64 `json:"maxMonthly"`
	// Implied lines are created outside the plan (a controller's load balancer).
	Implied bool   `json:"implied,omitempty"`
	Note    string `json:"note,omitempty"`
}

// Unpriced is a resource the table has no price for.
type Unpriced struct {
	URN    string `json:"urn"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Estimate is a stack's monthly cost.
type Estimate struct {
	Project    string     `json:"project"`
	Stack      string     `json:"stack"`
	Currency   string     `json:"currency"`
	PricesAsOf string     `json:"pricesAsOf"`
	Verified   bool       `json:"pricesVerified"`
	Lines      []Line     `json:"lines"`
	Unpriced   []Unpriced `json:"unpriced,omitempty"`
	Total      float64    `json:"total"`
	// MaxTotal is the total with every autoscaled pool at its maximum.
	MaxTotal float64 `json:"maxTotal"`
}

// EstimatePlan prices a plan with the embedded table.
func EstimatePlan(p *plan.Plan) (*Estimate, error) {
	prices, err := DefaultPrices()
	if err != nil {
		return nil, err
	}
	return prices.Estimate(p), nil
}

// Estimate prices every resource of the plan.
func (pr *Prices) Estimate(p *plan.Plan) *Estimate {
	e := &Estimate{Project: p.Project, Stack: p.Stack, Currency: pr.Currency, PricesAsOf: pr.AsOf, Verified: pr.Verified}
	est := &estimator{prices: pr, plan: p, e: e, assignedIPs: assignedIPs(p)}
	for _, r := range p.Resources {
		est.price(r)
	}
	est.implied()
	sort.SliceStable(e.Lines, func(i, j int) bool { return e.Lines[i].Key < e.Lines[j].Key })
	for _, l := range e.Lines {
		e.Total += l.Monthly
		e.MaxTotal += l.MaxMonthly
	}
	e.Total, e.MaxTotal = cents(e.Total), cents(e.MaxTotal)
	return e
}

type estimator struct {
	prices      *Prices
	plan        *plan.Plan
	e           *Estimate
	assignedIPs map[string]bool
	spacesPaid  bool
	lbSeen      bool
}

func (est *estimator) add(r plan.Resource, part, item string, monthly, max float64, note string) {
	key := r.URN
	if part != "" {
		key += "#" + part
	}
	est.e.Lines = append(est.e.Lines, Line{
		Key: key, URN: r.URN, Type: r.Type, Name: r.Name, Item: item,
		Monthly: cents(monthly), MaxMonthly: cents(max), Note: note,
	})
}

func (est *estimator) unpriced(r plan.Resource, format string, args ...any) {
	est.e.Unpriced = append(est.e.Unpriced, Unpriced{URN: r.URN, Type: r.Type, Name: r.Name, Reason: fmt.Sprintf(format, args...)})
}

// price adds the lines of one resource. Types outside DigitalOcean (the
// PostgreSQL and Kubernetes objects, random, components) cost nothing,
// except the Kubernetes objects that make DigitalOcean create something.
func (est *estimator) price(r plan.Resource) {
	pr := est.prices
	switch r.Type {
	case dotype.Droplet:
		est.droplet(r)
	case dotype.DatabaseCluster:
		est.database(r)
	case dotype.DatabaseReplica:
		size, _ := r.String("size")
		price, ok := pr.DatabaseSize(size)
		if !ok {
			est.unpriced(r, "no price for database size %q", size)
			return
		}
		est.add(r, "", "Database read replica "+size, price.Primary, price.Primary, "")
	case dotype.KubernetesCluster:
		est.kubernetes(r)
	case dotype.KubernetesNodePool:
		est.nodePool(r, "", "Node pool", r.Inputs)
	case dotype.LoadBalancer:
		est.lbSeen = true
		nodes, err := pr.lbNodes(r)
		if err != nil {
			est.unpriced(r, "%v", err)
			return
		}
		v := float64(nodes) * pr.LoadBalancers.PerNode
		est.add(r, "", fmt.Sprintf("Load balancer, %d node(s)", nodes), v, v, "")
	case dotype.Volume:
		gib, ok := r.Number("size")
		if !ok {
			est.unpriced(r, "volume size is not known offline")
			return
		}
		v := gib * pr.Volumes.PerGiB
		est.add(r, "", fmt.Sprintf("Volume %g GiB", gib), v, v, "")
	case dotype.SpacesBucket:
		if est.spacesPaid {
			est.add(r, "", "Spaces bucket", 0, 0, "covered by the account's Spaces subscription")
			return
		}
		est.spacesPaid = true
		v := pr.Spaces.Subscription
		est.add(r, "", "Spaces subscription", v, v,
			fmt.Sprintf("one per account, includes %d GiB; $0 if another stack already pays it", pr.Spaces.IncludedGiB))
	case dotype.ReservedIP, dotype.FloatingIP:
		if _, set := r.Input("dropletId"); set || est.assignedIPs[r.URN] {
			est.add(r, "", "Reserved IP (assigned)", pr.ReservedIPs.Assigned, pr.ReservedIPs.Assigned, "free while assigned to a Droplet")
			return
		}
		v := pr.ReservedIPs.Unassigned
		est.add(r, "", "Reserved IP (unassigned)", v, v, "billed while not assigned to a Droplet")
	case dotype.ContainerRegistry:
		tier, _ := r.String("subscriptionTierSlug")
		v, ok := pr.ContainerRegistry[tier]
		if !ok {
			est.unpriced(r, "no price for registry tier %q", tier)
			return
		}
		est.add(r, "", "Container registry "+tier, v, v, "")
	case dotype.UptimeCheck:
		v := pr.UptimeCheck
		est.add(r, "", "Uptime check", v, v, "check the uptime pricing source: may be billed per check")
	case typeK8sService:
		if t, _ := r.String("spec.type"); t == "LoadBalancer" {
			est.lbSeen = true
			nodes := 1
			if s, ok := r.Annotation(lbSizeUnitAnnotation); ok {
				if _, err := fmt.Sscanf(s, "%d", &nodes); err != nil || nodes < 1 {
					est.unpriced(r, "annotation %s=%q is not a node count", lbSizeUnitAnnotation, s)
					return
				}
			}
			v := float64(nodes) * pr.LoadBalancers.PerNode
			est.add(r, "", fmt.Sprintf("Load balancer for Service %s, %d node(s)", r.Name, nodes), v, v, "created by DigitalOcean's cloud controller")
		}
	case typeK8sPVC:
		est.claim(r)
	default:
		if strings.HasPrefix(r.Type, "digitalocean:") && r.Custom && !pr.IsFree(r.Type) && !strings.HasPrefix(r.Type, "digitalocean:index/get") {
			est.unpriced(r, "type %s is not in the price table", r.Type)
		}
	}
}

func (est *estimator) droplet(r plan.Resource) {
	size, _ := r.String("size")
	base, ok := est.prices.DropletSize(size)
	if !ok {
		est.unpriced(r, "no price for Droplet size %q", size)
		return
	}
	est.add(r, "", "Droplet "+size, base, base, "")
	// DigitalOcean backs a Droplet up only with backups: true (the provider
	// rejects a backupPolicy without it). The plan is backupPolicy.plan;
	// "If omitted and backups is true, the backup plan will default to
	// daily" (pulumi-digitalocean v4.57.0, Droplet.backupPolicy).
	if on, _ := r.Bool("backups"); !on {
		return
	}
	kind, note := "daily", ""
	if p, set := r.Input("backupPolicy.plan"); !set || p == nil {
		note = "no backupPolicy.plan: DigitalOcean defaults to daily"
	} else if s, known := r.String("backupPolicy.plan"); !known {
		note = "backupPolicy.plan is not known offline: priced as daily, the dearer plan"
	} else {
		kind = s
	}
	var frac float64
	switch kind {
	case "daily":
		frac = est.prices.Backups.Daily
	case "weekly":
		frac = est.prices.Backups.Weekly
	default:
		est.unpriced(r, "no price for Droplet backup plan %q (the table has daily and weekly)", kind)
		return
	}
	v := base * frac
	est.add(r, "backups", fmt.Sprintf("Droplet backups, %s (%.0f %%)", kind, frac*100), v, v, note)
}

func (est *estimator) database(r plan.Resource) {
	engine, _ := r.String("engine")
	if engine != "pg" && engine != "mysql" {
		est.unpriced(r, "database engine %q is not in the price table", engine)
		return
	}
	size, _ := r.String("size")
	price, ok := est.prices.DatabaseSize(size)
	if !ok {
		est.unpriced(r, "no price for database size %q", size)
		return
	}
	nodes := 1
	if n, ok := r.Number("nodeCount"); ok && n >= 1 {
		nodes = int(n)
	}
	est.add(r, "", "Managed database "+size+", primary", price.Primary, price.Primary, "")
	if nodes > 1 {
		standby, ok := price.StandbyPrice()
		if !ok {
			// Reported like an unknown price: the standby nodes are not in
			// the total, and DigitalOcean would refuse the cluster.
			est.unpriced(r, "nodeCount %d asks for %d standby node(s), but %s has no standby price: DigitalOcean allows standby nodes only on plans with 2 GB of RAM or more", nodes, nodes-1, size)
		} else {
			v := float64(nodes-1) * standby
			est.add(r, "standby", fmt.Sprintf("Managed database %s, %d standby node(s)", size, nodes-1), v, v, "")
		}
	}
	if _, set := r.Input("storageSizeMib"); set {
		est.e.Lines[len(est.e.Lines)-1].Note = "additional storage (storageSizeMib) is not estimated"
	}
}

func (est *estimator) kubernetes(r plan.Resource) {
	if ha, _ := r.Bool("ha"); ha {
		v := est.prices.Kubernetes.HAControlPlane
		est.add(r, "control-plane", "Kubernetes HA control plane", v, v, "")
	}
	pool, ok := r.Input("nodePool")
	m, isMap := pool.(map[string]any)
	if !ok || !isMap {
		est.unpriced(r, "the cluster's nodePool is not known offline")
		return
	}
	est.nodePool(r, "node-pool", "Cluster's own node pool", m)
}

// nodePool prices nodeCount nodes, or minNodes..maxNodes when autoscaled.
func (est *estimator) nodePool(r plan.Resource, part, what string, inputs map[string]any) {
	pool := plan.Resource{Inputs: inputs}
	size, _ := pool.String("size")
	each, ok := est.prices.DropletSize(size)
	if !ok {
		est.unpriced(r, "no price for node size %q", size)
		return
	}
	count, hasCount := pool.Number("nodeCount")
	auto, _ := pool.Bool("autoScale")
	lo, hi := count, count
	if auto {
		minN, okMin := pool.Number("minNodes")
		maxN, okMax := pool.Number("maxNodes")
		if !okMin || !okMax {
			est.unpriced(r, "autoscaled pool without minNodes/maxNodes")
			return
		}
		lo, hi = minN, maxN
		if hasCount && count > lo {
			lo = count
		}
	} else if !hasCount {
		est.unpriced(r, "node pool without nodeCount")
		return
	}
	item := fmt.Sprintf("%s, %g x %s", what, lo, size)
	if hi != lo {
		item = fmt.Sprintf("%s, %g-%g x %s (autoscaled)", what, lo, hi, size)
	}
	est.add(r, part, item, lo*each, hi*each, "")
}

func (est *estimator) claim(r plan.Resource) {
	class, _ := r.String("spec.storageClassName")
	if class != "" && !strings.HasPrefix(class, "do-block-storage") {
		return
	}
	q, _ := r.String("spec.resources.requests.storage")
	gib, err := quantityGiB(q)
	if err != nil {
		est.unpriced(r, "storage request: %v", err)
		return
	}
	v := gib * est.prices.Volumes.PerGiB
	est.add(r, "", fmt.Sprintf("Volume %g GiB (PersistentVolumeClaim)", gib), v, v, "a DigitalOcean volume created by the CSI driver")
}

// implied adds what a stack causes DigitalOcean to create outside the plan.
// On kubernetes, the ingress or Gateway controller is installed by a Helm
// chart whose Service of type LoadBalancer makes DigitalOcean's cloud
// controller create a load balancer; the chart's objects are not in the
// plan, so one load balancer of the configured size is assumed unless the
// plan already declares one.
func (est *estimator) implied() {
	if est.plan.Topology() != "kubernetes" || est.lbSeen {
		return
	}
	nodes := est.prices.LoadBalancers.ImpliedKubernetesNodes
	v := float64(nodes) * est.prices.LoadBalancers.PerNode
	est.e.Lines = append(est.e.Lines, Line{
		Key: "implied:ingress-load-balancer", Type: dotype.LoadBalancer, Name: "ingress controller",
		Item:    fmt.Sprintf("Load balancer of the ingress controller's Service, %d node(s)", nodes),
		Monthly: cents(v), MaxMonthly: cents(v), Implied: true,
		Note: "created by DigitalOcean's cloud controller for the Helm-installed controller, not in the plan",
	})
}

// lbNodes is a load balancer's size in nodes: sizeUnit, else the legacy
// size name, else one node.
func (pr *Prices) lbNodes(r plan.Resource) (int, error) {
	if n, ok := r.Number("sizeUnit"); ok && n >= 1 {
		return int(n), nil
	}
	size, ok := r.String("size")
	if !ok {
		return 1, nil
	}
	n, ok := pr.LoadBalancers.Sizes[size]
	if !ok {
		return 0, fmt.Errorf("no price for load balancer size %q", size)
	}
	return n, nil
}

// assignedIPs are reserved IPs that a ReservedIpAssignment gives a Droplet:
// the assignment depends on the address it assigns.
func assignedIPs(p *plan.Plan) map[string]bool {
	out := map[string]bool{}
	for _, r := range p.Resources {
		if r.Type != dotype.ReservedIPAssignment && r.Type != dotype.FloatingIPAssignment {
			continue
		}
		for _, dep := range r.Dependencies {
			out[dep] = true
		}
	}
	return out
}

// quantityGiB converts a Kubernetes storage quantity (Mi, Gi, Ti) to GiB.
func quantityGiB(q string) (float64, error) {
	units := []struct {
		suffix string
		gib    float64
	}{{"Ti", 1024}, {"Gi", 1}, {"Mi", 1.0 / 1024}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(q, u.suffix); ok {
			var v float64
			if _, err := fmt.Sscanf(n, "%g", &v); err != nil || v < 0 {
				return 0, fmt.Errorf("not a quantity: %q", q)
			}
			return v * u.gib, nil
		}
	}
	return 0, fmt.Errorf("not a quantity in Mi, Gi or Ti: %q", q)
}

func cents(v float64) float64 { return math.Round(v*100) / 100 }
