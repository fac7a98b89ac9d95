// Package ingress declares the TLS edge of a Kubernetes stack: the Traefik
// ingress controller behind a DigitalOcean load balancer, cert-manager with
// Let's Encrypt issuers, per-client rate limiting, and a DNS record for
// every public host.
//
// Traefik rather than ingress-nginx (retired in March 2026): it is
// maintained, implements both Ingress and Gateway API, and has a rate limit
// middleware that can be attached to an entry point, so every route is
// limited without each one opting in.
package ingress

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/kube"
	"infra/internal/pins"
)

// The charts and where they come from.
const (
	TraefikRepo      = "https://traefik.github.io/charts"
	TraefikChart     = "traefik"
	CertManagerRepo  = "https://charts.jetstack.io"
	CertManagerChart = "cert-manager"
)

// The chart versions, pinned in internal/pins/pins.yaml (with their
// sources): a new version is a reviewed change of that file.
var (
	TraefikVersion     = pins.MustValue(TraefikChart)
	CertManagerVersion = pins.MustValue(CertManagerChart)
)

// Where the controllers run, and the names routes refer to.
const (
	ControllerNamespace  = "traefik"
	CertManagerNamespace = "cert-manager"
	ClassName            = "traefik"
	IssuerStaging        = "letsencrypt-staging"
	IssuerProd           = "letsencrypt-prod"
	// RateLimitMiddleware is the Middleware every websecure route passes.
	RateLimitMiddleware = "ratelimit"
	// PodSubnet is DOKS's default pod network: in-cluster hops the load
	// balancer's traffic may take come from it.
	PodSubnet = "10.244.0.0/16"
)

// ACMEServers are the Let's Encrypt directories by issuer name.
var ACMEServers = map[string]string{
	IssuerStaging: "https://acme-staging-v02.api.letsencrypt.org/directory",
	IssuerProd:    "https://acme-v02.api.letsencrypt.org/directory",
}

// IngressArgs declares the edge.
type IngressArgs struct {
	// Domain is an existing DigitalOcean DNS domain; Hosts are the fully
	// qualified public hosts in it.
	Domain string
	Hosts  []string
	// Issuer is the ClusterIssuer routes use (both are always created).
	Issuer string
	// Email receives Let's Encrypt notices (optional).
	Email     string
	RateLimit *RateLimit
	// LoadBalancerName names the DigitalOcean load balancer.
	LoadBalancerName string
	// VPCCIDR is where the load balancer's connections come from: trusted
	// to speak the PROXY protocol that carries the client's address.
	VPCCIDR string
	// ChartRepository is a Helm repository that mirrors the charts at
	// their pinned versions; "" fetches each from its upstream repository.
	ChartRepository string
}

// RateLimit is per client address: RPM requests a minute on average, Burst
// at once.
type RateLimit struct {
	RPM, Burst int
}

// Ingress is the deployed edge.
type Ingress struct {
	pulumi.ResourceState

	// ClassName is the IngressClass routes name; Namespace is the
	// controller's, which network policies admit.
	ClassName string
	Namespace string
	// Issuer is the ClusterIssuer routes annotate.
	Issuer string
	// LoadBalancerIP is the public address every host points at.
	LoadBalancerIP pulumi.StringOutput
	// Manifests are the rendered objects and Helm values.
	Manifests kube.Manifests
}

// NewIngress declares the controllers, issuers, rate limit and DNS. Pass
// the cluster's provider with pulumi.Providers.
func NewIngress(ctx *pulumi.Context, name string, args *IngressArgs, opts ...pulumi.ResourceOption) (*Ingress, error) {
	records, err := recordNames(args.Domain, args.Hosts)
	if err != nil {
		return nil, fmt.Errorf("ingress %q: %w", name, err)
	}
	if _, ok := ACMEServers[args.Issuer]; !ok {
		return nil, fmt.Errorf("ingress %q: unknown issuer %q", name, args.Issuer)
	}
	c := &Ingress{ClassName: ClassName, Namespace: ControllerNamespace, Issuer: args.Issuer, Manifests: kube.Manifests{}}
	if err := ctx.RegisterComponentResource("infra:ingress:Ingress", name, c, opts...); err != nil {
		return nil, fmt.Errorf("register ingress %q: %w", name, err)
	}
	certManager, err := c.release(ctx, name+"-cert-manager", CertManagerChart, CertManagerVersion, kube.ChartRepository(args.ChartRepository, CertManagerRepo), CertManagerNamespace, certManagerValues())
	if err != nil {
		return nil, err
	}
	traefik, err := c.release(ctx, name+"-traefik", TraefikChart, TraefikVersion, kube.ChartRepository(args.ChartRepository, TraefikRepo), ControllerNamespace, traefikValues(args, sortedHosts(records)))
	if err != nil {
		return nil, err
	}
	// The releases are awaited: Helm installs the CRDs first and waits for
	// the webhook (cert-manager's startupapicheck hook) and the load
	// balancer, so the custom resources below only go to a cluster that
	// can take them.
	for _, issuer := range []string{IssuerStaging, IssuerProd} {
		if _, err := c.Manifests.Apply(ctx, name+"-issuer-"+issuer, clusterIssuer(issuer, args.Email),
			pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{certManager})); err != nil {
			return nil, err
		}
	}
	if args.RateLimit != nil {
		if _, err := c.Manifests.Apply(ctx, name+"-ratelimit", rateLimit(*args.RateLimit),
			pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{traefik})); err != nil {
			return nil, err
		}
	}
	c.LoadBalancerIP = loadBalancerIP(ctx, c, traefik, args.LoadBalancerName)
	for _, host := range sortedHosts(records) {
		rec := records[host]
		label := strings.ReplaceAll(rec, "@", "apex")
		if _, err := digitalocean.NewDnsRecord(ctx, name+"-dns-"+label, &digitalocean.DnsRecordArgs{
			Domain: pulumi.String(args.Domain),
			Type:   pulumi.String("A"),
			Name:   pulumi.String(rec),
			Value:  c.LoadBalancerIP,
			Ttl:    pulumi.Int(300),
		}, pulumi.Parent(c)); err != nil {
			return nil, fmt.Errorf("dns record for %s: %w", host, err)
		}
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"loadBalancerIp": c.LoadBalancerIP,
		"issuer":         pulumi.String(c.Issuer),
	}); err != nil {
		return nil, fmt.Errorf("register ingress %q outputs: %w", name, err)
	}
	return c, nil
}

// loadBalancerIP looks up the address of the load balancer that Traefik's
// Service asked DigitalOcean for, once the release exists (unknown during
// the preview of a first deploy).
//
// A plain lookup inside an apply on the release's id, not
// LookupLoadBalancerOutput with DependsOn: the SDK's output-form invoke
// never settles its result when a dependency fails to register (it returns
// without resolving or rejecting), so a failed release would leave the
// program waiting for ever; an apply passes the failure on.
func loadBalancerIP(ctx *pulumi.Context, parent pulumi.Resource, traefik *helmv3.Release, lbName string) pulumi.StringOutput {
	return traefik.ID().ApplyT(func(pulumi.ID) (string, error) {
		lb, err := digitalocean.LookupLoadBalancer(ctx, &digitalocean.LookupLoadBalancerArgs{Name: &lbName}, pulumi.Parent(parent))
		if err != nil {
			return "", fmt.Errorf("load balancer %q of the ingress controller: %w", lbName, err)
		}
		return lb.Ip, nil
	}).(pulumi.StringOutput)
}

// release declares a pinned Helm chart and renders its values.
func (c *Ingress) release(ctx *pulumi.Context, name, chart, version, repo, namespace string, values map[string]any) (*helmv3.Release, error) {
	in, err := kube.ToMap(values)
	if err != nil {
		return nil, fmt.Errorf("helm values of %s: %w", chart, err)
	}
	doc, err := kube.RenderValue(map[string]any{"chart": chart, "version": version, "repository": repo, "namespace": namespace, "values": values})
	if err != nil {
		return nil, fmt.Errorf("render helm values of %s: %w", chart, err)
	}
	c.Manifests["kubernetes/helm/"+chart+".yaml"] = string(doc)
	r, err := helmv3.NewRelease(ctx, name, &helmv3.ReleaseArgs{
		// A fixed release name: the chart names its objects after it.
		Name:            pulumi.String(chart),
		Chart:           pulumi.String(chart),
		Version:         pulumi.String(version),
		RepositoryOpts:  helmv3.RepositoryOptsArgs{Repo: pulumi.String(repo)},
		Namespace:       pulumi.String(namespace),
		CreateNamespace: pulumi.Bool(true),
		CleanupOnFail:   pulumi.Bool(true),
		Timeout:         pulumi.Int(600),
		Values:          in,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("helm release %s: %w", chart, err)
	}
	return r, nil
}

// recordNames maps each host to its record name in domain ("@" the apex).
func recordNames(domain string, hosts []string) (map[string]string, error) {
	out := map[string]string{}
	for _, h := range hosts {
		switch {
		case h == domain:
			out[h] = "@"
		case strings.HasSuffix(h, "."+domain):
			out[h] = strings.TrimSuffix(h, "."+domain)
		default:
			return nil, fmt.Errorf("host %q is not in domain %q", h, domain)
		}
	}
	return out, nil
}

func sortedHosts(records map[string]string) []string {
	out := make([]string, 0, len(records))
	for h := range records {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}
