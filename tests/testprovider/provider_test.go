package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

func pluginVersionMust(t *testing.T, v string) semver.Version {
	t.Helper()
	return semver.MustParse(v)
}

func urnOfType(typ tokens.Type, name string) resource.URN {
	return resource.NewURN("dev", "infra", "", typ, name)
}

func create(t *testing.T, typ tokens.Type, name string, inputs resource.PropertyMap, preview bool) plugin.CreateResponse {
	t.Helper()
	p := newProvider(string(typ.Package()), pluginVersionMust(t, "1.0.0"), strictChecker(t))
	resp, err := p.Create(context.Background(), plugin.CreateRequest{
		URN: urnOfType(typ, name), Name: name, Type: typ, Properties: inputs, Preview: preview,
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// plain unwraps secrets; secret reports whether v was one.
func plain(v resource.PropertyValue) (resource.PropertyValue, bool) {
	secret := false
	for v.IsSecret() {
		v, secret = v.SecretValue().Element, true
	}
	return v, secret
}

func TestCreateComputedOutputs(t *testing.T) {
	tests := []struct {
		name   string
		typ    tokens.Type
		inputs resource.PropertyMap
		check  func(t *testing.T, id resource.ID, out resource.PropertyMap)
	}{
		{
			name: "random password is a secret of the asked length", typ: passwordType,
			inputs: props(map[string]any{"length": 20, "special": false}),
			check: func(t *testing.T, _ resource.ID, out resource.PropertyMap) {
				v, secret := plain(out["result"])
				if !secret || !regexp.MustCompile(`^[a-zA-Z0-9]{20}$`).MatchString(v.StringValue()) {
					t.Errorf("result = %v (secret %v), want 20 secret alphanumerics", v, secret)
				}
			},
		},
		{
			name: "random id encodes the same bytes", typ: "random:index/randomId:RandomId",
			inputs: props(map[string]any{"byteLength": 4}),
			check: func(t *testing.T, id resource.ID, out resource.PropertyMap) {
				if len(out["hex"].StringValue()) != 8 || out["b64Url"].StringValue() != string(id) || out["dec"].StringValue() == "" {
					t.Errorf("outputs %v, id %q", out, id)
				}
			},
		},
		{
			name: "database cluster connection details", typ: databaseType,
			inputs: props(map[string]any{"name": "app-db", "engine": "pg", "version": "16", "region": "fra1", "size": "db-s-1vcpu-1gb", "nodeCount": 1}),
			check: func(t *testing.T, id resource.ID, out resource.PropertyMap) {
				password, secret := plain(out["password"])
				uri, uriSecret := plain(out["uri"])
				if !secret || !uriSecret {
					t.Errorf("password secret %v, uri secret %v: want both secret", secret, uriSecret)
				}
				if out["port"].NumberValue() != 25060 || out["user"].StringValue() != "doadmin" ||
					out["database"].StringValue() != "defaultdb" || !strings.HasPrefix(out["host"].StringValue(), "app-db-") ||
					out["privateHost"].StringValue() != "private-"+out["host"].StringValue() {
					t.Errorf("connection outputs %v", out)
				}
				want := "postgresql://doadmin:" + password.StringValue() + "@" + out["host"].StringValue() + ":25060/defaultdb"
				if !strings.HasPrefix(uri.StringValue(), want) {
					t.Errorf("uri = %q, want prefix %q", uri.StringValue(), want)
				}
				if out["clusterUrn"].StringValue() != "do:dbaas:"+string(id) {
					t.Errorf("clusterUrn = %v, id %q", out["clusterUrn"], id)
				}
			},
		},
		{
			name: "droplet: numeric id, address, auto-name, secret input kept secret", typ: dropletType,
			inputs: resource.PropertyMap{
				"image":    resource.NewProperty("ubuntu-24-04-x64"),
				"size":     resource.NewProperty("s-1vcpu-1gb"),
				"userData": resource.MakeSecret(resource.NewProperty("#cloud-config\n")),
			},
			check: func(t *testing.T, id resource.ID, out resource.PropertyMap) {
				if !regexp.MustCompile(`^[1-9][0-9]{8}$`).MatchString(string(id)) {
					t.Errorf("id %q is not a droplet id", id)
				}
				if !strings.HasPrefix(out["ipv4Address"].StringValue(), "203.0.113.") {
					t.Errorf("ipv4Address = %v", out["ipv4Address"])
				}
				if !strings.HasPrefix(out["name"].StringValue(), "web-") {
					t.Errorf("name = %v, want auto-name web-xxxxxxx", out["name"])
				}
				if !out["userData"].IsSecret() {
					t.Errorf("userData lost its secret flag: %v", out["userData"])
				}
				if out["image"].StringValue() != "ubuntu-24-04-x64" {
					t.Errorf("image not echoed: %v", out["image"])
				}
			},
		},
		{
			name: "droplet: a given name is kept", typ: dropletType,
			inputs: props(map[string]any{"name": "web-1", "image": "ubuntu-24-04-x64", "size": "s-1vcpu-1gb"}),
			check: func(t *testing.T, _ resource.ID, out resource.PropertyMap) {
				if out["name"].StringValue() != "web-1" {
					t.Errorf("name = %v", out["name"])
				}
			},
		},
		{
			name: "reserved ip: the id is the address", typ: "digitalocean:index/reservedIp:ReservedIp",
			inputs: props(map[string]any{"region": "fra1"}),
			check: func(t *testing.T, id resource.ID, out resource.PropertyMap) {
				if out["ipAddress"].StringValue() != string(id) || !strings.HasPrefix(string(id), "203.0.113.") {
					t.Errorf("ipAddress %v, id %q", out["ipAddress"], id)
				}
			},
		},
		{
			name: "kubernetes cluster: endpoint and a secret kubeconfig", typ: clusterType,
			inputs: props(map[string]any{"name": "k8s", "region": "fra1", "version": "1.36.0-do.0",
				"nodePool": map[string]any{"name": "system", "size": "s-2vcpu-4gb", "nodeCount": 1}}),
			check: func(t *testing.T, id resource.ID, out resource.PropertyMap) {
				configs, secret := plain(out["kubeConfigs"])
				if !secret || !configs.IsArray() || len(configs.ArrayValue()) != 1 {
					t.Fatalf("kubeConfigs = %v, want one secret config", out["kubeConfigs"])
				}
				kc := configs.ArrayValue()[0].ObjectValue()
				if !strings.Contains(kc["rawConfig"].StringValue(), "token: "+kc["token"].StringValue()) ||
					!strings.Contains(kc["rawConfig"].StringValue(), "server: "+out["endpoint"].StringValue()) {
					t.Errorf("rawConfig does not carry the token and endpoint:\n%s", kc["rawConfig"].StringValue())
				}
				if out["endpoint"].StringValue() != "https://"+string(id)+".k8s.ondigitalocean.com" {
					t.Errorf("endpoint = %v", out["endpoint"])
				}
			},
		},
		{
			name: "kubernetes object: auto-named, empty status", typ: configMap,
			inputs: props(map[string]any{"metadata": map[string]any{"namespace": "apps"}, "data": map[string]any{"k": "v"}}),
			check: func(t *testing.T, _ resource.ID, out resource.PropertyMap) {
				md := out["metadata"].ObjectValue()
				if md["namespace"].StringValue() != "apps" || !strings.HasPrefix(md["name"].StringValue(), "web-") {
					t.Errorf("metadata = %v", md)
				}
				if !out["status"].IsObject() {
					t.Errorf("status = %v", out["status"])
				}
			},
		},
		{
			name: "helm release status", typ: "kubernetes:helm.sh/v3:Release",
			inputs: props(map[string]any{"chart": "cert-manager", "version": "v1.19.1", "namespace": "cert-manager"}),
			check: func(t *testing.T, _ resource.ID, out resource.PropertyMap) {
				st := out["status"].ObjectValue()
				if st["status"].StringValue() != "deployed" || st["name"].StringValue() != out["name"].StringValue() ||
					st["namespace"].StringValue() != "cert-manager" {
					t.Errorf("status = %v", st)
				}
			},
		},
		{
			name: "unknown type echoes", typ: "acme:index/widget:Widget",
			inputs: props(map[string]any{"a": "b"}),
			check: func(t *testing.T, id resource.ID, out resource.PropertyMap) {
				if len(out) != 1 || out["a"].StringValue() != "b" || !strings.HasPrefix(string(id), "widget-") {
					t.Errorf("id %q, outputs %v", id, out)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := create(t, tt.typ, "web", tt.inputs, false)
			if resp.ID == "" {
				t.Fatal("empty id")
			}
			tt.check(t, resp.ID, resp.Properties)
		})
	}
}

func TestPreviewLeavesComputedOutputsUnknown(t *testing.T) {
	resp := create(t, databaseType, "db", props(map[string]any{
		"name": "db", "engine": "pg", "version": "16", "region": "fra1", "size": "db-s-1vcpu-1gb", "nodeCount": 1,
	}), true)
	if resp.ID != "" {
		t.Errorf("preview id = %q, want none", resp.ID)
	}
	if !resp.Properties["host"].IsComputed() || !resp.Properties["password"].IsComputed() {
		t.Errorf("preview outputs %v: want host and password unknown", resp.Properties)
	}
	if resp.Properties["engine"].StringValue() != "pg" {
		t.Errorf("preview dropped an input: %v", resp.Properties)
	}
}

func TestIDsAreStable(t *testing.T) {
	in := props(map[string]any{"image": "ubuntu", "size": "s-1vcpu-1gb", "userData": "a"})
	first, again := create(t, dropletType, "web", in, false), create(t, dropletType, "web", in, false)
	if first.ID != again.ID {
		t.Errorf("same resource, same inputs: ids %q and %q", first.ID, again.ID)
	}
	replaced := create(t, dropletType, "web", props(map[string]any{"image": "ubuntu", "size": "s-1vcpu-1gb", "userData": "b"}), false)
	if replaced.ID == first.ID {
		t.Errorf("a replacement got the old id %q", first.ID)
	}
}

func TestUpdateKeepsComputedOutputs(t *testing.T) {
	p := newProvider("digitalocean", pluginVersionMust(t, "4.57.0"), strictChecker(t))
	urn := urnOfType(databaseType, "db")
	cluster := map[string]any{"name": "db", "engine": "pg", "version": "16", "region": "fra1", "nodeCount": 1}
	oldIn := props(with(with(cluster, "size", "db-s-1vcpu-1gb"), "tags", []any{"a"}))
	created := create(t, databaseType, "db", oldIn, false)
	newIn := props(with(cluster, "size", "db-s-2vcpu-4gb"))
	for _, preview := range []bool{true, false} {
		got, err := p.Update(context.Background(), plugin.UpdateRequest{
			URN: urn, Name: "db", Type: databaseType, ID: created.ID,
			OldInputs: oldIn, OldOutputs: created.Properties, NewInputs: newIn, Preview: preview,
		})
		if err != nil {
			t.Fatal(err)
		}
		out := got.Properties
		for _, k := range []resource.PropertyKey{"password", "host", "uri", "clusterUrn", "name"} {
			if !out[k].DeepEquals(created.Properties[k]) {
				t.Errorf("preview=%v: %s changed from %v to %v", preview, k, created.Properties[k], out[k])
			}
		}
		if !out["password"].IsSecret() {
			t.Errorf("preview=%v: password no longer secret", preview)
		}
		if out["size"].StringValue() != "db-s-2vcpu-4gb" {
			t.Errorf("preview=%v: size = %v", preview, out["size"])
		}
		if _, ok := out["tags"]; ok {
			t.Errorf("preview=%v: removed input tags still in state", preview)
		}
	}
}

func TestReadReturnsState(t *testing.T) {
	p := newProvider("digitalocean", pluginVersionMust(t, "4.57.0"), strictChecker(t))
	state := props(map[string]any{"ipv4Address": "203.0.113.9"})
	got, err := p.Read(context.Background(), plugin.ReadRequest{
		URN: urnOfType(dropletType, "web"), Type: dropletType, ID: "123456789", State: state,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "123456789" || !got.Outputs.DeepEquals(state) {
		t.Errorf("Read = %+v", got.ReadResult)
	}
}

// TestCreateRefusesWhatCheckWouldRefuse: an engine that skipped Check still
// cannot get an invalid resource created.
func TestCreateRefusesWhatCheckWouldRefuse(t *testing.T) {
	p := newProvider("random", pluginVersionMust(t, "4.21.0"), strictChecker(t))
	_, err := p.Create(context.Background(), plugin.CreateRequest{
		URN: urnOfType(passwordType, "pw"), Name: "pw", Type: passwordType, Properties: props(map[string]any{}),
	})
	if err == nil || !strings.Contains(err.Error(), `length: missing required property "length"`) {
		t.Fatalf("create without the required length: %v", err)
	}
	check, err := p.Check(context.Background(), plugin.CheckRequest{
		URN: urnOfType(passwordType, "pw"), Name: "pw", Type: passwordType, News: props(map[string]any{"length": 0}),
	})
	if err != nil || len(check.Failures) != 1 || check.Failures[0].Property != "length" {
		t.Fatalf("check of length 0: %v, %v", check.Failures, err)
	}
}

func with(base map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for key, val := range base {
		if key != k {
			out[key] = val
		}
	}
	return out
}

func TestIDsFromInputs(t *testing.T) {
	got := create(t, "digitalocean:index/domain:Domain", "site", props(map[string]any{"name": "example.com"}), false)
	if got.ID != "example.com" {
		t.Errorf("domain id = %q, want its name", got.ID)
	}
}

func TestCheckChartInputs(t *testing.T) {
	tests := []struct {
		name   string
		inputs map[string]any
		want   []string
	}{
		{"chart and version", map[string]any{"chart": "prometheus-operator-crds", "version": "24.0.1"}, nil},
		{"missing chart", map[string]any{"version": "24.0.1"}, []string{"chart: required, a non-empty string"}},
		{"empty chart", map[string]any{"chart": ""}, []string{"chart: required, a non-empty string"}},
		{"unknown input", map[string]any{"chart": "x", "repo": "https://example"},
			[]string{"repo: not an input of kubernetes:helm.sh/v4:Chart"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkChartInputs(tt.inputs); !slices.Equal(got, tt.want) {
				t.Errorf("checkChartInputs(%v) = %q, want %q", tt.inputs, got, tt.want)
			}
		})
	}
}
