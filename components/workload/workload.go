// Package workload runs the application's services on Kubernetes, from the
// same topology-neutral []service.Spec the VPS renders into Compose.
//
// Every object is a kube.Object: declared with Pulumi and rendered into
// Manifests from the same value, so what is applied is what reviewers and
// the schema tests see. Per service: a ServiceAccount (no API token unless
// asked), a ConfigMap for plain env and a Secret for secret env and
// connection strings, a Deployment that rolls out without dropping below
// the desired count, a Service, an Ingress with TLS for public services, an
// autoscaler and a disruption budget where they apply, a headless Service
// for peers, and optional migration Job and CronJobs. With private
// registries, one kubernetes.io/dockerconfigjson Secret holds their logins
// and every pod names it in imagePullSecrets. The namespace denies all
// traffic by default; network policies open exactly the paths the services
// declare.
package workload

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/kube"
	"infra/components/service"
)

// WorkloadArgs declares the application's workloads.
type WorkloadArgs struct {
	Namespace string
	// PartOf is the application's name (app.kubernetes.io/part-of).
	PartOf   string
	Services []service.Spec
	// IngressClass, IngressNamespace (admitted to public services) and
	// ClusterIssuer (the cert-manager issuer of route certificates).
	IngressClass     string
	IngressNamespace string
	ClusterIssuer    string
	// DefaultPool places services that name no pool; "" lets them run on
	// any node.
	DefaultPool string
	// PoolTaints are each pool's taints, tolerated by its services.
	PoolTaints map[string][]Toleration
	// DatabaseEgress is where services holding a connection string may
	// connect.
	DatabaseEgress []Egress
	// MonitoringNamespace may scrape the services' metrics ("" : none).
	MonitoringNamespace string
	// Protect guards persistent volume claims against deletion (prod).
	Protect bool
	// After are resources the workloads wait for: the ingress
	// controller's CRDs and the issuers, the database.
	After []pulumi.Resource
	// Registries are the private registries the images are pulled from:
	// their logins become the namespace's image pull secret (PullSecret),
	// which every pod names.
	Registries []service.Registry
}

// Toleration matches one node pool taint.
type Toleration struct {
	Key, Value, Effect string
}

// Egress is a network the services may open connections to.
type Egress struct {
	CIDR  string
	Ports []int
}

// Workload is the application on Kubernetes.
type Workload struct {
	pulumi.ResourceState

	Namespace string
	// URLs are the https URLs of the public routes.
	URLs []string
	// Manifests are the rendered objects by path.
	Manifests kube.Manifests
	// AdminPasswords (secret) are the generated basic-auth passwords of
	// the routes with auth, by service; the user is AdminUser.
	AdminPasswords map[string]pulumi.StringOutput
}

// NewWorkload declares the namespace and every service's objects. Pass the
// cluster's provider with pulumi.Providers.
func NewWorkload(ctx *pulumi.Context, name string, args *WorkloadArgs, opts ...pulumi.ResourceOption) (*Workload, error) {
	if err := args.check(); err != nil {
		return nil, fmt.Errorf("workload %q: %w", name, err)
	}
	c := &Workload{Namespace: args.Namespace, Manifests: kube.Manifests{}, AdminPasswords: map[string]pulumi.StringOutput{}}
	if err := ctx.RegisterComponentResource("infra:workload:Workload", name, c, opts...); err != nil {
		return nil, fmt.Errorf("register workload %q: %w", name, err)
	}
	b := &builder{args: args}
	ns, err := c.apply(ctx, name, b.namespace(), pulumi.DependsOn(args.After))
	if err != nil {
		return nil, err
	}
	inNS := pulumi.DependsOn([]pulumi.Resource{ns})
	for _, p := range b.networkPolicies() {
		if _, err := c.apply(ctx, name, p, inNS); err != nil {
			return nil, err
		}
	}
	// Pods start once they can pull their images.
	podsAfter := []pulumi.Resource{ns}
	if len(args.Registries) > 0 {
		pull, err := c.apply(ctx, name, b.pullSecret(), inNS)
		if err != nil {
			return nil, err
		}
		podsAfter = append(podsAfter, pull)
	}
	for _, s := range args.Services {
		if err := c.declareService(ctx, name, b, s, pulumi.DependsOn(podsAfter)); err != nil {
			return nil, err
		}
		if s.Public != nil {
			c.URLs = append(c.URLs, URL(*s.Public))
		}
	}
	sort.Strings(c.URLs)
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"namespace": pulumi.String(c.Namespace),
		"urls":      pulumi.ToStringArray(c.URLs),
	}); err != nil {
		return nil, fmt.Errorf("register workload %q outputs: %w", name, err)
	}
	return c, nil
}

// declareService declares one service's objects, the Deployment after what
// its pods read at start.
func (c *Workload) declareService(ctx *pulumi.Context, name string, b *builder, s service.Spec, inNS pulumi.ResourceOption) error {
	var before []pulumi.Resource
	add := func(o kube.Object, opts ...pulumi.ResourceOption) error {
		r, err := c.apply(ctx, name, o, append([]pulumi.ResourceOption{inNS}, opts...)...)
		if err == nil {
			before = append(before, r)
		}
		return err
	}
	if err := add(b.serviceAccount(s)); err != nil {
		return err
	}
	if len(s.Env) > 0 {
		if err := add(b.configMap(s)); err != nil {
			return err
		}
	}
	if len(s.SecretEnv) > 0 {
		if err := add(b.secret(s)); err != nil {
			return err
		}
	}
	for _, v := range s.Volumes {
		if err := add(b.volumeClaim(s, v), pulumi.Protect(b.args.Protect)); err != nil {
			return err
		}
	}
	if len(s.Migrate) > 0 {
		// The Job is replaced (and so runs again) whenever its image or
		// command changes; the new version rolls out after it succeeds.
		if err := add(b.migrateJob(s), pulumi.DependsOn(before)); err != nil {
			return err
		}
	}
	deploymentOpts := []pulumi.ResourceOption{inNS, pulumi.DependsOn(before)}
	if s.Autoscale != nil {
		// The autoscaler owns the replica count after the first rollout.
		deploymentOpts = append(deploymentOpts, pulumi.IgnoreChanges([]string{"spec.replicas"}))
	}
	if _, err := c.apply(ctx, name, b.deployment(s), deploymentOpts...); err != nil {
		return err
	}
	var rest []kube.Object
	if s.Port > 0 {
		rest = append(rest, b.service(s))
	}
	if s.Peers {
		rest = append(rest, b.peersService(s))
	}
	if restricted(s) {
		// The Ingress names these middlewares; Traefik skips a router whose
		// middleware is missing, so they are declared before it.
		if err := c.declareRestrictions(ctx, name, b, s, inNS); err != nil {
			return err
		}
	}
	if s.Public != nil {
		rest = append(rest, b.ingress(s))
		rest = append(rest, b.privateMetrics(s)...)
	}
	if s.Autoscale != nil {
		rest = append(rest, b.autoscaler(s))
	}
	if minReplicas(s) > 1 {
		rest = append(rest, b.disruptionBudget(s))
	}
	for _, cj := range s.CronJobs {
		rest = append(rest, b.cronJob(s, cj))
	}
	for _, o := range rest {
		if _, err := c.apply(ctx, name, o, inNS); err != nil {
			return err
		}
	}
	return nil
}

// declareRestrictions declares a restricted route's middlewares and, for
// basic auth, its generated password and the Secret holding it.
func (c *Workload) declareRestrictions(ctx *pulumi.Context, name string, b *builder, s service.Spec, inNS pulumi.ResourceOption) error {
	if s.Public.Auth {
		pw, err := random.NewRandomPassword(ctx, name+"-"+s.Name+"-admin-password", &random.RandomPasswordArgs{
			Length: pulumi.Int(32), Special: pulumi.Bool(false),
		}, pulumi.Parent(c))
		if err != nil {
			return fmt.Errorf("service %q admin password: %w", s.Name, err)
		}
		password := pulumi.ToSecret(pw.Result).(pulumi.StringOutput)
		c.AdminPasswords[s.Name] = password
		if _, err := c.apply(ctx, name, b.adminCredentials(s, password), inNS); err != nil {
			return err
		}
	}
	for _, m := range b.restrictions(s) {
		if _, err := c.apply(ctx, name, m, inNS); err != nil {
			return err
		}
	}
	return nil
}

// apply declares and renders one object, named after the component, the
// kind and the object.
func (c *Workload) apply(ctx *pulumi.Context, name string, o kube.Object, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	res := name + "-" + strings.ToLower(o.Kind()) + "-" + o.Name()
	r, err := c.Manifests.Apply(ctx, res, o, append([]pulumi.ResourceOption{pulumi.Parent(c)}, opts...)...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// URL is the https URL of a route.
func URL(r service.Route) string {
	if r.Path == "" || r.Path == "/" {
		return "https://" + r.Host + "/"
	}
	return "https://" + r.Host + r.Path
}

// minReplicas is the fewest pods a service runs.
func minReplicas(s service.Spec) int {
	if s.Autoscale != nil && s.Autoscale.Min < s.Replicas {
		return s.Autoscale.Min
	}
	return s.Replicas
}

func (a *WorkloadArgs) check() error {
	var problems []string
	if a.Namespace == "" {
		problems = append(problems, "namespace is required")
	}
	names := map[string]bool{}
	for _, s := range a.Services {
		names[s.Name] = true
	}
	for _, s := range a.Services {
		if s.Public != nil && (s.Port == 0 || a.IngressClass == "" || a.ClusterIssuer == "") {
			problems = append(problems, fmt.Sprintf("service %q: a public route needs a port, an ingress class and an issuer", s.Name))
		}
		if s.Peers && s.Port == 0 {
			problems = append(problems, fmt.Sprintf("service %q: peers need a port", s.Name))
		}
		for _, d := range s.DependsOn {
			if !names[d] {
				problems = append(problems, fmt.Sprintf("service %q: unknown dependency %q", s.Name, d))
			}
		}
		if s.User == 0 {
			problems = append(problems, fmt.Sprintf("service %q: needs a non-root user", s.Name))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}
