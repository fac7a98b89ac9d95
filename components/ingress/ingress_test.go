package ingress

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/pulumitest"
)

const (
	releaseType    = "kubernetes:helm.sh/v3:Release"
	issuerType     = "kubernetes:cert-manager.io/v1:ClusterIssuer"
	middlewareType = "kubernetes:traefik.io/v1alpha1:Middleware"
	recordType     = "digitalocean:index/dnsRecord:DnsRecord"
)

func testArgs() *IngressArgs {
	return &IngressArgs{
		Domain:           "jarvis.example.com",
		Hosts:            []string{"api.jarvis.example.com", "jarvis.example.com"},
		Issuer:           IssuerProd,
		Email:            "ops@jarvis.example.com",
		RateLimit:        &RateLimit{RPM: 1000, Burst: 2000},
		LoadBalancerName: "jarvis-prod-ingress",
		VPCCIDR:          "10.0.0.0/16",
	}
}

func run(t *testing.T, args *IngressArgs) (*pulumitest.Recorder, *Ingress) {
	t.Helper()
	var c *Ingress
	rec := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		var err error
		c, err = NewIngress(ctx, "edge", args)
		return err
	})
	return rec, c
}

func check(t *testing.T, what string, in map[string]any, want map[string]any) {
	t.Helper()
	for path, w := range want {
		if got := pulumitest.Path(in, path); !equal(got, w) {
			t.Errorf("%s %s = %#v, want %#v", what, path, got, w)
		}
	}
}

func equal(a, b any) bool {
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok {
		return slices.EqualFunc(as, bs, equal)
	}
	return a == b
}

func TestReleasesArePinned(t *testing.T) {
	rec, _ := run(t, testArgs())
	for _, tc := range []struct {
		name string
		want map[string]any
	}{
		{"edge-traefik", map[string]any{
			"name": "traefik", "chart": "traefik", "version": TraefikVersion, "repositoryOpts.repo": TraefikRepo,
			"namespace": ControllerNamespace, "createNamespace": true,
		}},
		{"edge-cert-manager", map[string]any{
			"name": "cert-manager", "chart": "cert-manager", "version": CertManagerVersion, "repositoryOpts.repo": CertManagerRepo,
			"namespace": CertManagerNamespace, "values.crds.enabled": true, "values.crds.keep": true,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.name, pulumitest.Plain(rec.Get(t, releaseType, tc.name).Inputs), tc.want)
		})
	}
	for _, v := range []string{TraefikVersion, CertManagerVersion} {
		if v == "" || strings.ContainsAny(v, "*^~x") {
			t.Errorf("chart version %q is not pinned", v)
		}
	}
}

func TestTraefikValues(t *testing.T) {
	rec, _ := run(t, testArgs())
	in := pulumitest.Plain(rec.Get(t, releaseType, "edge-traefik").Inputs)
	trusted := []any{"10.0.0.0/16", PodSubnet}
	check(t, "traefik", in, map[string]any{
		// HTTP is redirected to HTTPS for every host.
		"values.ports.web.http.redirections.entryPoint.to":        "websecure",
		"values.ports.web.http.redirections.entryPoint.scheme":    "https",
		"values.ports.web.http.redirections.entryPoint.permanent": true,
		// Every HTTPS route passes the rate limit.
		"values.ports.websecure.http.middlewares": []any{"traefik-ratelimit@kubernetescrd"},
		// The client's address arrives by PROXY protocol from the VPC.
		"values.ports.websecure.proxyProtocol.trustedIPs": trusted,
		"values.ports.web.proxyProtocol.trustedIPs":       trusted,
		"values.ingressClass.name":                        ClassName,
		"values.deployment.replicas":                      2.0,
	})
	ann, _ := pulumitest.Path(in, "values.service.annotations").(map[string]any)
	for k, v := range map[string]any{
		"service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol": "true",
		"service.beta.kubernetes.io/do-loadbalancer-name":                  "jarvis-prod-ingress",
		"service.beta.kubernetes.io/do-loadbalancer-hostname":              "api.jarvis.example.com",
	} {
		if ann[k] != v {
			t.Errorf("service annotation %s = %v, want %v", k, ann[k], v)
		}
	}
}

func TestIssuers(t *testing.T) {
	rec, c := run(t, testArgs())
	if c.Issuer != IssuerProd {
		t.Errorf("routes use %q, want %q", c.Issuer, IssuerProd)
	}
	certManager := rec.Get(t, releaseType, "edge-cert-manager")
	for name, server := range ACMEServers {
		t.Run(name, func(t *testing.T) {
			r := rec.Get(t, issuerType, "edge-issuer-"+name)
			check(t, name, pulumitest.Plain(r.Inputs), map[string]any{
				"metadata.name":                      name,
				"spec.acme.server":                   server,
				"spec.acme.email":                    "ops@jarvis.example.com",
				"spec.acme.privateKeySecretRef.name": name + "-account",
			})
			solvers := pulumitest.Path(pulumitest.Plain(r.Inputs), "spec.acme.solvers").([]any)
			if got := pulumitest.Path(solvers[0].(map[string]any), "http01.ingress.ingressClassName"); got != ClassName {
				t.Errorf("solver ingress class = %v, want %s", got, ClassName)
			}
			// The CRDs and the webhook come with the release, which is
			// awaited: the issuer is only sent once they are there.
			if !slices.Contains(r.Dependencies, certManager.URN) {
				t.Errorf("issuer does not wait for cert-manager: %v", r.Dependencies)
			}
		})
	}
	if !strings.Contains(ACMEServers[IssuerStaging], "staging") || strings.Contains(ACMEServers[IssuerProd], "staging") {
		t.Errorf("ACME servers mixed up: %v", ACMEServers)
	}
}

func TestRateLimitMiddleware(t *testing.T) {
	rec, _ := run(t, testArgs())
	r := rec.Get(t, middlewareType, "edge-ratelimit")
	check(t, "middleware", pulumitest.Plain(r.Inputs), map[string]any{
		"metadata.name":          RateLimitMiddleware,
		"metadata.namespace":     ControllerNamespace,
		"spec.rateLimit.average": 1000.0,
		"spec.rateLimit.period":  "1m",
		"spec.rateLimit.burst":   2000.0,
	})
	traefik := rec.Get(t, releaseType, "edge-traefik")
	if !slices.Contains(r.Dependencies, traefik.URN) {
		t.Errorf("middleware does not wait for Traefik's CRDs: %v", r.Dependencies)
	}

	args := testArgs()
	args.RateLimit = nil
	rec, _ = run(t, args)
	if n := len(rec.ByType(middlewareType)); n != 0 {
		t.Errorf("%d middlewares without a rate limit", n)
	}
	in := pulumitest.Plain(rec.Get(t, releaseType, "edge-traefik").Inputs)
	if mw := pulumitest.Path(in, "values.ports.websecure.http"); mw != nil {
		t.Errorf("websecure references middlewares without a rate limit: %v", mw)
	}
}

func TestDNSRecordPerHost(t *testing.T) {
	rec, c := run(t, testArgs())
	for name, label := range map[string]string{"edge-dns-api": "api", "edge-dns-apex": "@"} {
		check(t, name, pulumitest.Plain(rec.Get(t, recordType, name).Inputs), map[string]any{
			"domain": "jarvis.example.com", "type": "A", "name": label, "value": pulumitest.LoadBalancerIP,
		})
	}
	if n := len(rec.ByType(recordType)); n != 2 {
		t.Errorf("%d records, want one per host", n)
	}
	if c.LoadBalancerIP == (pulumi.StringOutput{}) {
		t.Error("LoadBalancerIP is not set")
	}
}

func TestChildrenHaveTheComponentAsParent(t *testing.T) {
	rec, _ := run(t, testArgs())
	comp := rec.Get(t, "infra:ingress:Ingress", "edge")
	for _, r := range rec.Resources {
		if r.URN != comp.URN && r.Parent != comp.URN {
			t.Errorf("%s %s has parent %q", r.Type, r.Name, r.Parent)
		}
	}
}

func TestBadArgs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*IngressArgs)
		want   string
	}{
		{"host outside the domain", func(a *IngressArgs) { a.Hosts = []string{"api.other.com"} }, `host "api.other.com" is not in domain`},
		{"unknown issuer", func(a *IngressArgs) { a.Issuer = "letsencrypt" }, `unknown issuer "letsencrypt"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := testArgs()
			tc.mutate(args)
			_, err := pulumitest.RunErr(func(ctx *pulumi.Context) error {
				_, err := NewIngress(ctx, "edge", args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestManifestsAreRendered(t *testing.T) {
	_, c := run(t, testArgs())
	for _, path := range []string{
		"kubernetes/cluster/clusterissuer-letsencrypt-prod.yaml",
		"kubernetes/cluster/clusterissuer-letsencrypt-staging.yaml",
		"kubernetes/traefik/middleware-ratelimit.yaml",
		"kubernetes/helm/traefik.yaml",
		"kubernetes/helm/cert-manager.yaml",
	} {
		if _, ok := c.Manifests[path]; !ok {
			t.Errorf("%s not rendered", path)
		}
	}
	if !strings.Contains(c.Manifests["kubernetes/helm/traefik.yaml"], "version: "+TraefikVersion) {
		t.Errorf("rendered Helm values lack the chart version:\n%s", c.Manifests["kubernetes/helm/traefik.yaml"])
	}
}
