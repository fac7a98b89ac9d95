package policy

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"infra/internal/dotype"
	"infra/internal/stacktest"
	"infra/stacks/config"
)

const singleNodeProd = "nodes: 2"

func TestWaiverWithAReasonWaivesAndIsPrintedEveryTime(t *testing.T) {
	stack := stacktest.Edit(t, stacktest.ProdVPS, singleNodeProd, "nodes: 1") + `  infra:policy:
    waivers:
      - rule: prod-database-ha
        resource: test-cluster
        reason: "seed 003 budget: $69/month; daily backups and PITR are the recovery plan"
      - rule: container-health
        resource: nothing-by-this-name
        reason: "kept from an older config, matches nothing now"
`
	p := stackPlan(t, stack)
	rep := Evaluate(p)
	if rep.Blocked() {
		t.Fatalf("waived stack blocked: %+v", rep.Violations)
	}
	if len(rep.Waived) != 1 || rep.Waived[0].Rule != RuleProdDatabaseHA || !strings.Contains(rep.Waived[0].Reason, "$69/month") {
		t.Fatalf("waived = %+v", rep.Waived)
	}
	if len(rep.UnusedWaivers) != 1 || rep.UnusedWaivers[0].Resource != "nothing-by-this-name" {
		t.Errorf("unused waivers = %+v", rep.UnusedWaivers)
	}
	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"WAIVED    prod-database-ha: test-cluster", "reason: seed 003 budget", "unused waiver: rule container-health"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report does not print %q:\n%s", want, out.String())
		}
	}
}

func TestWaiverMatching(t *testing.T) {
	f := Finding{Rule: RuleContainerHealth, Resource: "urn:pulumi:s::p::kubernetes:apps/v1:Deployment::redis", Subject: "redis"}
	for _, c := range []struct {
		resource string
		want     bool
	}{{"", true}, {"redis", true}, {f.Resource, true}, {"api", false}, {"redi", false}} {
		if got := matches(c.resource, f); got != c.want {
			t.Errorf("matches(%q) = %v, want %v", c.resource, got, c.want)
		}
	}
}

// A Config built in code skips the schema: the policy still refuses a
// waiver without a reason, or of a rule that does not exist, and such a
// waiver waives nothing.
func TestMalformedWaiversAreViolations(t *testing.T) {
	p := stackPlan(t, stacktest.Edit(t, stacktest.ProdVPS, singleNodeProd, "nodes: 1"))
	cfg := *p.Config
	cfg.Policy = &config.Policy{Waivers: []config.Waiver{
		{Rule: RuleProdDatabaseHA, Reason: "  "},
		{Rule: "no-such-rule", Reason: "a reason that is long enough"},
		{Rule: RuleWaiver, Reason: "waive the waiver check itself"},
	}}
	p.Config = &cfg
	rep := Evaluate(p)
	if len(violations(rep, RuleProdDatabaseHA)) == 0 {
		t.Error("a waiver without a reason must not waive")
	}
	bad := violations(rep, RuleWaiver)
	if len(bad) != 3 {
		t.Fatalf("policy-waiver violations = %+v, want 3", bad)
	}
	want := []string{"infra:policy.waivers[0].reason", "infra:policy.waivers[1].rule", "infra:policy.waivers[2].rule"}
	for i, f := range bad {
		if f.Resource != want[i] {
			t.Errorf("violation %d at %s, want %s", i, f.Resource, want[i])
		}
	}
}

func TestEvaluateChanges(t *testing.T) {
	droplet := "urn:pulumi:prod::app::infra:vps:Host$digitalocean:index/droplet:Droplet::app-droplet"
	cluster := "urn:pulumi:prod::app::infra:database:Postgres$digitalocean:index/databaseCluster:DatabaseCluster::app-cluster"
	firewall := "urn:pulumi:prod::app::infra:database:Postgres$digitalocean:index/databaseFirewall:DatabaseFirewall::app-firewall"
	replaceDroplet := []Change{
		{URN: droplet, Type: dotype.Droplet, Op: apitype.OpReplace},
		{URN: droplet, Type: dotype.Droplet, Op: apitype.OpCreateReplacement},
		{URN: droplet, Type: dotype.Droplet, Op: apitype.OpDeleteReplaced},
	}
	cases := []struct {
		name    string
		changes []Change
		cfg     *config.Config
		opts    ChangeOptions
		rule    string
		blocked bool
		waived  int
	}{
		{"droplet replaced without the flag", replaceDroplet, nil, ChangeOptions{}, RuleStatefulReplace, true, 0},
		{"droplet replaced with --allow-replace", replaceDroplet, nil, ChangeOptions{AllowReplace: true}, "", false, 0},
		{"droplet replaced under a waiver", replaceDroplet, &config.Config{Policy: &config.Policy{Waivers: []config.Waiver{{Rule: RuleStatefulReplace, Resource: "app-droplet", Reason: "the droplet is cattle: state lives in the managed database"}}}}, ChangeOptions{}, "", false, 1},
		{"database cluster replaced", []Change{{URN: cluster, Type: dotype.DatabaseCluster, Op: apitype.OpReplace}}, nil, ChangeOptions{}, RuleStatefulReplace, true, 0},
		{"database cluster updated in place", []Change{{URN: cluster, Type: dotype.DatabaseCluster, Op: apitype.OpUpdate}}, nil, ChangeOptions{}, "", false, 0},
		{"kubernetes cluster replaced (node pool resized)", []Change{{URN: "urn:pulumi:prod::app::digitalocean:index/kubernetesCluster:KubernetesCluster::k", Type: "digitalocean:index/kubernetesCluster:KubernetesCluster", Op: apitype.OpCreateReplacement}}, nil, ChangeOptions{}, RuleStatefulReplace, true, 0},
		{"stateless resource replaced", []Change{{URN: "urn:pulumi:prod::app::digitalocean:index/dnsRecord:DnsRecord::www", Type: "digitalocean:index/dnsRecord:DnsRecord", Op: apitype.OpReplace}}, nil, ChangeOptions{}, "", false, 0},
		{"database firewall deleted alone", []Change{{URN: firewall, Type: dotype.DatabaseFirewall, Op: apitype.OpDelete}}, nil, ChangeOptions{}, RuleDatabasePublic, true, 0},
		{"kubernetes Service replaced (clusterIP changed)", []Change{{URN: "urn:pulumi:prod::app::kubernetes:core/v1:Service::api", Type: "kubernetes:core/v1:Service", Op: apitype.OpReplace, Keys: []string{"spec.clusterIP"}}}, nil, ChangeOptions{}, RuleStatefulReplace, true, 0},
		{"kubernetes Deployment replaced (selector changed)", []Change{{URN: "urn:pulumi:prod::app::kubernetes:apps/v1:Deployment::api", Type: "kubernetes:apps/v1:Deployment", Op: apitype.OpCreateReplacement, Keys: []string{"spec.selector"}}}, nil, ChangeOptions{}, RuleStatefulReplace, true, 0},
		{"kubernetes Deployment updated (image bump)", []Change{{URN: "urn:pulumi:prod::app::kubernetes:apps/v1:Deployment::api", Type: "kubernetes:apps/v1:Deployment", Op: apitype.OpUpdate, Keys: []string{"spec"}}}, nil, ChangeOptions{}, "", false, 0},
		{"kubernetes ConfigMap replaced", []Change{{URN: "urn:pulumi:prod::app::kubernetes:core/v1:ConfigMap::c", Type: "kubernetes:core/v1:ConfigMap", Op: apitype.OpReplace}}, nil, ChangeOptions{}, "", false, 0},
		{"database firewall replaced with its cluster", []Change{{URN: firewall, Type: dotype.DatabaseFirewall, Op: apitype.OpCreateReplacement}, {URN: cluster, Type: dotype.DatabaseCluster, Op: apitype.OpCreateReplacement}}, nil, ChangeOptions{AllowReplace: true}, "", false, 0},
		{"database firewall replaced alone", []Change{{URN: firewall, Type: dotype.DatabaseFirewall, Op: apitype.OpReplace}}, nil, ChangeOptions{AllowReplace: true}, RuleDatabasePublic, true, 0},
		{"database firewall deleted with its cluster (destroy)", []Change{{URN: firewall, Type: dotype.DatabaseFirewall, Op: apitype.OpDelete}, {URN: cluster, Type: dotype.DatabaseCluster, Op: apitype.OpDelete}}, nil, ChangeOptions{}, "", false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := EvaluateChanges(c.changes, c.cfg, c.opts)
			if rep.Blocked() != c.blocked || len(rep.Waived) != c.waived {
				t.Fatalf("blocked=%v waived=%d, want %v and %d: %+v", rep.Blocked(), len(rep.Waived), c.blocked, c.waived, rep)
			}
			if c.blocked {
				if len(rep.Violations) != 1 || rep.Violations[0].Rule != c.rule {
					t.Fatalf("violations = %+v, want one of %s (a replacement's several ops count once)", rep.Violations, c.rule)
				}
				// The finding says why: the properties forcing it.
				for _, ch := range c.changes {
					for _, k := range ch.Keys {
						if !strings.Contains(rep.Violations[0].Message, k) {
							t.Errorf("finding %q does not name %s", rep.Violations[0].Message, k)
						}
					}
				}
			}
		})
	}
}
