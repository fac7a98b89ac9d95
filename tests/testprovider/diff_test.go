package main

import (
	"context"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

const (
	dropletType  tokens.Type = "digitalocean:index/droplet:Droplet"
	clusterType  tokens.Type = "digitalocean:index/kubernetesCluster:KubernetesCluster"
	databaseType tokens.Type = "digitalocean:index/databaseCluster:DatabaseCluster"
	passwordType tokens.Type = "random:index/randomPassword:RandomPassword"
	configMap    tokens.Type = "kubernetes:core/v1:ConfigMap"
)

func props(m map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }

func keys(ks []resource.PropertyKey) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

func TestDiff(t *testing.T) {
	droplet := map[string]any{
		"image": "ubuntu-24-04-x64", "region": "fra1", "size": "s-1vcpu-1gb",
		"userData": "#cloud-config\n", "tags": []any{"web"},
	}
	cluster := map[string]any{
		"region": "fra1", "version": "1.33.5-do.0",
		"nodePool": map[string]any{"name": "default", "size": "s-2vcpu-4gb", "nodeCount": 2},
	}
	database := map[string]any{"name": "db", "engine": "pg", "region": "fra1", "size": "db-s-1vcpu-1gb"}
	with := func(base map[string]any, path string, v any) resource.PropertyMap {
		m := props(base)
		if _, ok := mustPath(path).Add(resource.NewProperty(m), resource.NewPropertyValue(v)); !ok {
			t.Fatalf("cannot set %s", path)
		}
		return m
	}
	unknown := resource.MakeComputed(resource.NewProperty(""))

	tests := []struct {
		name        string
		typ         tokens.Type
		olds, news  resource.PropertyMap
		ignore      []string
		wantChanged []string
		wantReplace []string
	}{
		{name: "droplet unchanged", typ: dropletType, olds: props(droplet), news: props(droplet)},
		{
			name: "droplet user data replaces", typ: dropletType,
			olds: props(droplet), news: with(droplet, "userData", "#cloud-config\nruncmd: []\n"),
			wantChanged: []string{"userData"}, wantReplace: []string{"userData"},
		},
		{
			name: "droplet tag updates", typ: dropletType,
			olds: props(droplet), news: with(droplet, "tags", []any{"web", "blue"}),
			wantChanged: []string{"tags"},
		},
		{
			name: "droplet resize updates", typ: dropletType,
			olds: props(droplet), news: with(droplet, "size", "s-2vcpu-2gb"),
			wantChanged: []string{"size"},
		},
		{
			name: "droplet unknown image previews as replacement", typ: dropletType,
			olds: props(droplet), news: func() resource.PropertyMap { m := props(droplet); m["image"] = unknown; return m }(),
			wantChanged: []string{"image"}, wantReplace: []string{"image"},
		},
		{
			name: "ignored change is no change", typ: dropletType,
			olds: props(droplet), news: with(droplet, "userData", "other"), ignore: []string{"userData"},
		},
		{
			name: "cluster node pool size replaces the cluster", typ: clusterType,
			olds: props(cluster), news: with(cluster, "nodePool.size", "s-4vcpu-8gb"),
			wantChanged: []string{"nodePool"}, wantReplace: []string{"nodePool"},
		},
		{
			name: "cluster node count updates", typ: clusterType,
			olds: props(cluster), news: with(cluster, "nodePool.nodeCount", 3),
			wantChanged: []string{"nodePool"},
		},
		{
			name: "cluster upgrade updates", typ: clusterType,
			olds: props(cluster), news: with(cluster, "version", "1.36.0-do.0"),
			wantChanged: []string{"version"},
		},
		{
			name: "cluster region replaces", typ: clusterType,
			olds: props(cluster), news: with(cluster, "region", "ams3"),
			wantChanged: []string{"region"}, wantReplace: []string{"region"},
		},
		{
			name: "database engine replaces", typ: databaseType,
			olds: props(database), news: with(database, "engine", "mysql"),
			wantChanged: []string{"engine"}, wantReplace: []string{"engine"},
		},
		{
			name: "database region migrates in place", typ: databaseType,
			olds: props(database), news: with(database, "region", "ams3"),
			wantChanged: []string{"region"},
		},
		{
			name: "database added tag updates", typ: databaseType,
			olds: props(database), news: with(database, "tags", []any{"prod"}),
			wantChanged: []string{"tags"},
		},
		{
			name: "random password: any input replaces", typ: passwordType,
			olds: props(map[string]any{"length": 32}), news: props(map[string]any{"length": 24}),
			wantChanged: []string{"length"}, wantReplace: []string{"length"},
		},
		{
			name: "kubernetes rename replaces", typ: configMap,
			olds:        props(map[string]any{"metadata": map[string]any{"name": "a"}, "data": map[string]any{"k": "v"}}),
			news:        props(map[string]any{"metadata": map[string]any{"name": "b"}, "data": map[string]any{"k": "v"}}),
			wantChanged: []string{"metadata"}, wantReplace: []string{"metadata"},
		},
		{
			name: "kubernetes data updates", typ: configMap,
			olds:        props(map[string]any{"metadata": map[string]any{"name": "a"}, "data": map[string]any{"k": "v"}}),
			news:        props(map[string]any{"metadata": map[string]any{"name": "a"}, "data": map[string]any{"k": "w"}}),
			wantChanged: []string{"data"},
		},
		{
			name: "unknown type: any change updates", typ: "acme:index/widget:Widget",
			olds: props(map[string]any{"region": "a"}), news: props(map[string]any{"region": "b"}),
			wantChanged: []string{"region"},
		},
		{
			name: "same secret is no change", typ: dropletType,
			olds: resource.PropertyMap{"userData": resource.MakeSecret(resource.NewProperty("x"))},
			news: resource.PropertyMap{"userData": resource.MakeSecret(resource.NewProperty("x"))},
		},
		{
			name: "null and missing are the same", typ: dropletType,
			olds: resource.PropertyMap{"userData": resource.NewNullProperty()},
			news: resource.PropertyMap{},
		},
	}
	p := newProvider("test", pluginVersionMust(t, "1.0.0"), strictChecker(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Diff(context.Background(), plugin.DiffRequest{
				URN: resource.NewURN("dev", "infra", "", tt.typ, "r"), Type: tt.typ,
				OldInputs: tt.olds, NewInputs: tt.news, IgnoreChanges: tt.ignore,
			})
			if err != nil {
				t.Fatal(err)
			}
			wantChanges := plugin.DiffNone
			if len(tt.wantChanged) > 0 {
				wantChanges = plugin.DiffSome
			}
			if got.Changes != wantChanges {
				t.Errorf("Changes = %v, want %v", got.Changes, wantChanges)
			}
			if !slices.Equal(keys(got.ChangedKeys), tt.wantChanged) {
				t.Errorf("ChangedKeys = %v, want %v", got.ChangedKeys, tt.wantChanged)
			}
			if !slices.Equal(keys(got.ReplaceKeys), tt.wantReplace) {
				t.Errorf("ReplaceKeys = %v, want %v", got.ReplaceKeys, tt.wantReplace)
			}
		})
	}
}

func TestDiffConfigNeverReplaces(t *testing.T) {
	p := newProvider("postgresql", pluginVersionMust(t, "3.18.0"), strictChecker(t))
	got, err := p.DiffConfig(context.Background(), plugin.DiffConfigRequest{
		OldInputs: props(map[string]any{"host": "a", "password": "x"}),
		NewInputs: props(map[string]any{"host": "b", "password": "x"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Changes != plugin.DiffSome || !slices.Equal(keys(got.ChangedKeys), []string{"host"}) || len(got.ReplaceKeys) > 0 {
		t.Errorf("DiffConfig = %+v, want an update of host", got)
	}
}

// TestTablePaths parses every property path in the tables, which would
// otherwise panic the first time the engine asks about that type.
func TestTablePaths(t *testing.T) {
	check := func(name string, s typeSpec) {
		for _, p := range s.replaceOnChange {
			if p == "*" {
				continue
			}
			if _, err := resource.ParsePropertyPath(p); err != nil {
				t.Errorf("%s: replaceOnChange %q: %v", name, p, err)
			}
		}
		for _, c := range s.computed {
			if _, err := resource.ParsePropertyPath(c.path); err != nil {
				t.Errorf("%s: computed %q: %v", name, c.path, err)
			}
			if c.gen == nil {
				t.Errorf("%s: computed %q has no generator", name, c.path)
			}
		}
	}
	for typ, s := range types {
		check(string(typ), s)
	}
	for pkg, s := range packageDefaults {
		check(string(pkg), s)
	}
}
