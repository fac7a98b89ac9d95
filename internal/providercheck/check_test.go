package providercheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func newChecker(t *testing.T) *Checker {
	t.Helper()
	c, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func props(m map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }

const (
	uptimeAlert = "digitalocean:index/uptimeAlert:UptimeAlert"
	dbCluster   = "digitalocean:index/databaseCluster:DatabaseCluster"
	droplet     = "digitalocean:index/droplet:Droplet"
	doks        = "digitalocean:index/kubernetesCluster:KubernetesCluster"
	firewall    = "digitalocean:index/firewall:Firewall"
)

func validAlert() map[string]any {
	return map[string]any{
		"checkId": "c", "name": "web down", "type": "down", "period": "2m",
		"comparison": "greater_than", "threshold": 1,
		"notifications": []any{map[string]any{"emails": []any{"ops@example.com"}}},
	}
}

func validCluster() map[string]any {
	return map[string]any{
		"name": "db", "engine": "pg", "version": "16", "size": "db-s-1vcpu-2gb",
		"region": "fra1", "nodeCount": 2,
	}
}

func validDroplet() map[string]any {
	return map[string]any{"image": "ubuntu-24-04-x64", "size": "s-1vcpu-1gb", "region": "fra1"}
}

func validDOKS() map[string]any {
	return map[string]any{
		"name": "k", "region": "fra1", "version": "1.36.0-do.0",
		"nodePool": map[string]any{"name": "system", "size": "s-2vcpu-4gb", "nodeCount": 1},
	}
}

func with(base map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for key, val := range base {
		out[key] = val
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// TestEveryClassOfRuleCatchesAWrongValue is the mutation table: each row
// is a valid input with one value made wrong, and the failure must name the
// property. The valid inputs pass (the first rows), so each failure comes
// from the one change.
func TestEveryClassOfRuleCatchesAWrongValue(t *testing.T) {
	c := newChecker(t)
	tests := []struct {
		name     string
		typ      string
		inputs   map[string]any
		property string // "" = must pass
		reason   string // regexp on the reason
	}{
		{"valid uptime alert", uptimeAlert, validAlert(), "", ""},
		{"valid database cluster", dbCluster, validCluster(), "", ""},
		{"valid droplet", droplet, validDroplet(), "", ""},
		{"valid DOKS cluster", doks, validDOKS(), "", ""},

		{"enum: camel-cased comparison", uptimeAlert, with(validAlert(), "comparison", "greaterThan"),
			"comparison", `one of \["greater_than" "less_than"\], got the string "greaterThan"`},
		{"enum: camel-cased alert type", uptimeAlert, with(validAlert(), "type", "sslExpiry"),
			"type", `one of .*"ssl_expiry".*got the string "sslExpiry"`},
		{"size: standby on the 1 GB plan", dbCluster, with(validCluster(), "size", "db-s-1vcpu-1gb"),
			"size", `"db-s-1vcpu-1gb" is not offered \(database-sizes-with-standby`},
		{"size: no such droplet", droplet, with(validDroplet(), "size", "s-1vcpu-1gib"),
			"size", `"s-1vcpu-1gib" is not offered \(droplet-sizes`},
		{"version: DOKS minor past its end of life", doks, with(validDOKS(), "version", "1.34.1-do.0"),
			"version", `"1.34.1-do.0" is not offered \(kubernetes-versions`},
		{"version: PostgreSQL 14", dbCluster, with(validCluster(), "version", "14"),
			"version", `"14" is not offered \(database-versions-pg`},
		{"missing required input", droplet, with(validDroplet(), "image", nil),
			"image", `missing required property "image"`},
		{"wrong type", droplet, with(validDroplet(), "backups", "yes"),
			"backups", `expected a boolean, got the string "yes"`},
		{"wrong type in a nested object", doks, with(validDOKS(), "nodePool",
			map[string]any{"name": "system", "size": "s-2vcpu-4gb", "nodeCount": "2"}),
			"nodePool.nodeCount", `expected an integer`},
		{"unknown property", droplet, with(validDroplet(), "backup", true),
			"backup", `unknown property "backup"`},
		{"enum: alert period", uptimeAlert, with(validAlert(), "period", "1m"),
			"period", `one of`},
		{"range: backup hour", droplet, with(with(validDroplet(), "backups", true), "backupPolicy",
			map[string]any{"plan": "weekly", "weekday": "SUN", "hour": 24}),
			"backupPolicy.hour", `in the range`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failures, ok := c.CheckResource(tt.typ, props(tt.inputs))
			if !ok {
				t.Fatalf("%s: no schema", tt.typ)
			}
			if tt.property == "" {
				if len(failures) > 0 {
					t.Fatalf("valid input refused: %v", failures)
				}
				return
			}
			if len(failures) != 1 {
				t.Fatalf("want exactly one failure at %s, got %d: %v", tt.property, len(failures), failures)
			}
			f := failures[0]
			if f.Property != tt.property {
				t.Errorf("property = %q, want %q (%s)", f.Property, tt.property, f.Reason)
			}
			if !regexp.MustCompile(tt.reason).MatchString(f.Reason) {
				t.Errorf("reason %q does not match %q", f.Reason, tt.reason)
			}
		})
	}
}

// TestUnknownValuesPass: during a preview, computed inputs are unknown; the
// real providers check them once known, and so does the checker.
func TestUnknownValuesPass(t *testing.T) {
	c := newChecker(t)
	in := props(validAlert())
	in["comparison"] = resource.MakeComputed(resource.NewProperty(""))
	in["checkId"] = resource.NewOutputProperty(resource.Output{Known: false})
	if failures, _ := c.CheckResource(uptimeAlert, in); len(failures) > 0 {
		t.Fatalf("unknown values refused: %v", failures)
	}
	in["comparison"] = resource.MakeSecret(resource.NewProperty("greaterThan"))
	if failures, _ := c.CheckResource(uptimeAlert, in); len(failures) != 1 {
		t.Fatalf("a wrong value inside a secret must fail once, got %v", failures)
	}
}

// TestRulesApplyPerListElement: a firewall rule's protocol and port range
// are checked within the same rule, not across rules.
func TestRulesApplyPerListElement(t *testing.T) {
	c := newChecker(t)
	fw := func(rules ...map[string]any) resource.PropertyMap {
		list := make([]any, len(rules))
		for i, r := range rules {
			list[i] = r
		}
		return props(map[string]any{"name": "fw", "inboundRules": list})
	}
	ok := map[string]any{"protocol": "tcp", "portRange": "443", "sourceAddresses": []any{"0.0.0.0/0"}}
	icmp := map[string]any{"protocol": "icmp", "sourceAddresses": []any{"0.0.0.0/0"}}
	noPort := map[string]any{"protocol": "udp", "sourceAddresses": []any{"0.0.0.0/0"}}
	if failures, _ := c.CheckResource(firewall, fw(ok, icmp)); len(failures) > 0 {
		t.Fatalf("valid rules refused: %v", failures)
	}
	failures, _ := c.CheckResource(firewall, fw(ok, noPort))
	if len(failures) != 1 || !strings.HasPrefix(failures[0].Property, "inboundRules[1].") {
		t.Fatalf("udp without a port range: want one failure in inboundRules[1], got %v", failures)
	}
}

// TestUnknownTypeFails: a resource type the schema does not declare is
// refused, the way the engine refuses a type no provider knows.
func TestUnknownTypeFails(t *testing.T) {
	c := newChecker(t)
	failures, ok := c.CheckResource("digitalocean:index/dropplet:Dropplet", props(validDroplet()))
	if !ok || len(failures) != 1 || !strings.Contains(failures[0].Reason, "unknown resource type") {
		t.Fatalf("got %v, %v", failures, ok)
	}
	if _, ok := c.CheckResource("kubernetes:core/v1:Namespace", nil); ok {
		t.Fatal("kubernetes has no schema here: the check must say it did not check")
	}
}

// TestEveryRuleHasASource: the table is only as good as its sources; a rule
// without one does not load (and so the stand-ins do not start).
func TestEveryRuleHasASource(t *testing.T) {
	c := newChecker(t)
	n := 0
	for typ, rules := range c.Rules() {
		for _, r := range rules {
			n++
			if !regexp.MustCompile(`(\.go:\d|\.ya?ml:\d|\.md:\d|https://)`).MatchString(r.Source) {
				t.Errorf("%s %s: source %q names no file:line or page", typ, r.Property, r.Source)
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d rules loaded", n)
	}
}

// TestSchemasMatchGoMod: the embedded schema of each provider is the one of
// the SDK version go.mod pins.
func TestSchemasMatchGoMod(t *testing.T) {
	gomod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	modules := map[string]string{
		"digitalocean": "github.com/pulumi/pulumi-digitalocean/sdk/v4",
		"postgresql":   "github.com/pulumi/pulumi-postgresql/sdk/v3",
		"random":       "github.com/pulumi/pulumi-random/sdk/v4",
		"command":      "github.com/pulumi/pulumi-command/sdk",
	}
	entries, err := os.ReadDir("schemas")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, e := range entries {
		files[e.Name()] = true
	}
	for pkg, mod := range modules {
		m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(mod) + `\s+v(\S+)`).FindStringSubmatch(string(gomod))
		if m == nil {
			t.Errorf("%s not in go.mod", mod)
			continue
		}
		if want := pkg + "-v" + m[1] + ".json"; !files[want] {
			t.Errorf("go.mod pins %s v%s but schemas/ has no %s", mod, m[1], want)
		}
	}
	if got := len(newChecker(t).Packages()); got != len(modules) {
		t.Errorf("%d schemas loaded, want %d", got, len(modules))
	}
}
