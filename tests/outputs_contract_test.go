package tests

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"infra/internal/cli"
	"infra/internal/planner"
	"infra/stacks"
	"infra/stacks/config"
)

// TestOutputsContract: the schema (internal/cli/outputs.schema.json) and
// what the program emits agree, for every committed stack file on both
// topologies. Every plan's outputs validate as `infra outputs` prints them
// (redacted, and with --show-secrets) and with every secret in plain text;
// an output is secret exactly when the schema flags it x-sensitive; and
// every property the schema lists is emitted by some plan, so the schema
// lists nothing dead.
func TestOutputsContract(t *testing.T) {
	sensitive := map[string]bool{}
	for _, k := range cli.SensitiveOutputs() {
		sensitive[k] = true
	}
	emitted := map[string]bool{}
	samples := map[config.Topology]auto.OutputMap{}
	for _, s := range onBothTopologies(t) {
		t.Run(s.Name(), func(t *testing.T) {
			outs := emittedOutputs(t, s)
			if got := outs["topology"].Value; got != string(s.Topology) {
				t.Fatalf("topology output %v, planned on %s", got, s.Topology)
			}
			if got := outs["contractVersion"].Value; got != float64(stacks.ContractVersion) {
				t.Errorf("contractVersion output %v, want %d", got, stacks.ContractVersion)
			}
			for _, m := range sensitivityMismatches(outs, sensitive) {
				t.Error(m)
			}
			if err := cli.CheckOutputs(plainOutputs(outs)); err != nil {
				t.Errorf("with secrets in plain text: %v", err)
			}
			for _, show := range []bool{false, true} {
				if err := cli.CheckOutputs(cli.RedactOutputs(outs, show)); err != nil {
					t.Errorf("as printed (show secrets %v): %v", show, err)
				}
			}
			for k, v := range outs {
				collectPaths(k, v.Value, emitted)
			}
			if _, ok := samples[s.Topology]; !ok {
				samples[s.Topology] = outs
			}
		})
	}
	if dead := unemitted(schemaPaths(t, cli.OutputsSchema), emitted); len(dead) > 0 {
		t.Errorf("the schema lists outputs no committed stack emits on either topology: %v", dead)
	}
	if len(samples) != 2 {
		t.Fatalf("planned topologies %v, want both", slices.Collect(maps.Keys(samples)))
	}
	t.Run("rejects what the contract does not say", func(t *testing.T) {
		rejectsBreaks(t, samples)
	})
}

// rejectsBreaks: the check that passes every plan above can fail. Each
// mutation of a real plan's outputs is rejected, naming what broke.
func rejectsBreaks(t *testing.T, samples map[config.Topology]auto.OutputMap) {
	tests := []struct {
		name     string
		topology config.Topology
		mutate   func(m map[string]any)
		want     string
	}{
		{"undocumented output", config.TopologyVPS, func(m map[string]any) { m["sshHost"] = "203.0.113.10" }, "sshHost"},
		{"undocumented vps key", config.TopologyVPS, func(m map[string]any) { m["vps"].(map[string]any)["ipv6"] = "2001:db8::1" }, "ipv6"},
		{"undocumented cluster key", config.TopologyKubernetes, func(m map[string]any) { m["kubernetes"].(map[string]any)["clusterId"] = "c1" }, "clusterId"},
		{"droplet id as a number", config.TopologyVPS, func(m map[string]any) { m["vps"].(map[string]any)["dropletId"] = 300000001 }, "dropletId"},
		{"reserved address not an address", config.TopologyVPS, func(m map[string]any) { m["vps"].(map[string]any)["reservedIp"] = "droplet" }, "reservedIp"},
		{"port as text", config.TopologyKubernetes, func(m map[string]any) { m["database"].(map[string]any)["port"] = "25060" }, "port"},
		{"older contract version", config.TopologyKubernetes, func(m map[string]any) { m["contractVersion"] = 1 }, "contractVersion"},
		{"kubeconfig on the vps", config.TopologyVPS, func(m map[string]any) { m["kubeconfig"] = cli.Redacted }, "kubeconfig"},
		{"vps object on kubernetes", config.TopologyKubernetes, func(m map[string]any) { m["vps"] = map[string]any{} }, "vps"},
		{"no admin password on the vps", config.TopologyVPS, func(m map[string]any) { delete(m, "adminPassword") }, "adminPassword"},
		{"secret printed as something else", config.TopologyVPS, func(m map[string]any) { m["grafanaAdminPassword"] = 42 }, "grafanaAdminPassword"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := deepCopy(t, cli.RedactOutputs(samples[tt.topology], false))
			if err := cli.CheckOutputs(m); err != nil {
				t.Fatalf("before the mutation: %v", err)
			}
			tt.mutate(m)
			err := cli.CheckOutputs(m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}

	t.Run("secret output the schema does not flag", func(t *testing.T) {
		outs := maps.Clone(samples[config.TopologyVPS])
		outs["apiToken"] = auto.OutputValue{Value: "t0k3n", Secret: true}
		v := outs["grafanaAdminPassword"]
		v.Secret = false
		outs["grafanaAdminPassword"] = v
		got := strings.Join(sensitivityMismatches(outs, map[string]bool{"grafanaAdminPassword": true, "adminPassword": true, "connectionStrings": true}), "\n")
		for _, want := range []string{"apiToken", "grafanaAdminPassword"} {
			if !strings.Contains(got, want) {
				t.Errorf("mismatches %q do not name %s", got, want)
			}
		}
	})
	t.Run("schema property no plan emits", func(t *testing.T) {
		got := unemitted([]string{"vps", "vps.ipv4", "vps.ipv6"}, map[string]bool{"vps": true, "vps.ipv4": true})
		if !slices.Equal(got, []string{"vps.ipv6"}) {
			t.Errorf("unemitted = %v, want [vps.ipv6]", got)
		}
	})
}

// deepCopy copies outputs through JSON, so a mutation leaves the original
// (and its nested objects) alone.
func deepCopy(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// emittedOutputs plans s and returns the outputs the program exports as the
// engine hands them to the Automation API: every value in plain text (as
// JSON decodes it), secrets flagged.
func emittedOutputs(t *testing.T, s stackOn) auto.OutputMap {
	t.Helper()
	outs := auto.OutputMap{}
	s.Plan(t, planner.WithInspect(func(ctx *pulumi.Context, d *stacks.Deployment) error {
		for k, v := range d.Outputs {
			res, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.ToOutput(v))
			if err != nil {
				return fmt.Errorf("output %s: %w", k, err)
			}
			if !res.Known {
				return fmt.Errorf("output %s is unknown after the plan", k)
			}
			b, err := json.Marshal(res.Value)
			if err != nil {
				return fmt.Errorf("encode output %s: %w", k, err)
			}
			var val any
			if err := json.Unmarshal(b, &val); err != nil {
				return fmt.Errorf("decode output %s: %w", k, err)
			}
			outs[k] = auto.OutputValue{Value: val, Secret: res.Secret}
		}
		return nil
	}))
	if len(outs) == 0 {
		t.Fatal("the plan exported no outputs")
	}
	return outs
}

// plainOutputs are outputs with every secret in plain text, the kubeconfig
// too (what `--show-secrets --kubeconfig` hands over alone).
func plainOutputs(outs auto.OutputMap) map[string]any {
	m := make(map[string]any, len(outs))
	for k, v := range outs {
		m[k] = v.Value
	}
	return m
}

// sensitivityMismatches names each output that is secret where the schema
// does not flag it x-sensitive, or flagged where the program left it plain.
func sensitivityMismatches(outs auto.OutputMap, sensitive map[string]bool) []string {
	var out []string
	for k, v := range outs {
		switch {
		case v.Secret && !sensitive[k]:
			out = append(out, fmt.Sprintf("output %s is secret but not x-sensitive in the schema", k))
		case !v.Secret && sensitive[k]:
			out = append(out, fmt.Sprintf("output %s is x-sensitive in the schema but the program does not mark it secret", k))
		}
	}
	sort.Strings(out)
	return out
}

// collectPaths records the key paths of an output value: "vps.ipv4",
// "endpoints[].health".
func collectPaths(path string, v any, into map[string]bool) {
	into[path] = true
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			collectPaths(path+"."+k, x, into)
		}
	case []any:
		for _, x := range t {
			collectPaths(path+"[]", x, into)
		}
	}
}

// schemaPaths lists the key paths the schema's properties describe, in
// the form collectPaths records them.
func schemaPaths(t *testing.T, schema []byte) []string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(schema, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(path string, s map[string]any)
	walk = func(path string, s map[string]any) {
		props, _ := s["properties"].(map[string]any)
		for k, v := range props {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out = append(out, p)
			if sub, ok := v.(map[string]any); ok {
				walk(p, sub)
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			walk(path+"[]", items)
		}
		branches, _ := s["anyOf"].([]any)
		for _, b := range branches {
			if sub, ok := b.(map[string]any); ok {
				walk(path, sub)
			}
		}
	}
	walk("", doc)
	sort.Strings(out)
	return out
}

// unemitted are the schema paths no plan emitted.
func unemitted(paths []string, emitted map[string]bool) []string {
	var out []string
	for _, p := range paths {
		if !emitted[p] {
			out = append(out, p)
		}
	}
	return out
}
