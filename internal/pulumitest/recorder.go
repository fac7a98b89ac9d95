// Package pulumitest runs a Pulumi program against a recording mock for
// component tests: every registered resource is kept with its type, name,
// parent, options and raw inputs (secrets included, so tests can both read
// them and check that they are secret).
package pulumitest

import (
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/providercheck"
)

// Resource is one registered resource.
type Resource struct {
	Type, Name, URN, Parent, Provider string
	Custom                            bool
	Protect                           bool
	Inputs                            resource.PropertyMap
	Dependencies                      []string
	IgnoreChanges                     []string
	AdditionalSecretOutputs           []string
}

// Recorder is a pulumi.MockResourceMonitor that keeps every resource.
type Recorder struct {
	mu        sync.Mutex
	Resources []Resource
	// Outputs adds computed outputs for a resource type (optional).
	Outputs func(typ, name string) resource.PropertyMap
}

// Run runs program against a new Recorder and fails the test on error.
func Run(t testing.TB, program pulumi.RunFunc) *Recorder {
	t.Helper()
	r := &Recorder{Outputs: DigitalOceanOutputs}
	if err := pulumi.RunErr(program, pulumi.WithMocks("project", "test", r)); err != nil {
		t.Fatalf("run program: %v", err)
	}
	return r
}

// RunErr runs program and returns its error.
func RunErr(program pulumi.RunFunc) (*Recorder, error) {
	r := &Recorder{Outputs: DigitalOceanOutputs}
	return r, pulumi.RunErr(program, pulumi.WithMocks("project", "test", r))
}

// NewResource records a resource and echoes its inputs as its state.
// Inputs the real provider would refuse fail the registration, with the
// property path (internal/providercheck).
func (r *Recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if err := providercheck.CheckInputs(args.TypeToken, args.Name, args.Inputs); err != nil {
		return "", nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := Resource{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs, Provider: args.Provider}
	if rpc := args.RegisterRPC; rpc != nil {
		rec.Parent = rpc.GetParent()
		rec.Protect = rpc.GetProtect()
		rec.Dependencies = rpc.GetDependencies()
		rec.IgnoreChanges = rpc.GetIgnoreChanges()
		rec.AdditionalSecretOutputs = rpc.GetAdditionalSecretOutputs()
		rec.Provider = rpc.GetProvider()
	}
	parentType := tokens.Type("")
	if p := resource.URN(rec.Parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	rec.URN = string(resource.NewURN("test", "project", parentType, tokens.Type(args.TypeToken), args.Name))
	r.Resources = append(r.Resources, rec)
	state := args.Inputs.Copy()
	if r.Outputs != nil {
		for k, v := range r.Outputs(args.TypeToken, args.Name) {
			if _, set := state[k]; !set {
				state[k] = v
			}
		}
	}
	id := ""
	if args.Custom {
		id = args.Name + "-id"
	}
	return id, state, nil
}

// Call answers the DigitalOcean lookups the components make.
func (r *Recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	checker, err := providercheck.Shared()
	if err != nil {
		return nil, err
	}
	if failures, _ := checker.CheckInvoke(args.Token, args.Args); len(failures) > 0 {
		return nil, providercheck.Error(args.Token, "call", failures)
	}
	switch args.Token {
	case "digitalocean:index/getKubernetesVersions:getKubernetesVersions":
		return providercheck.KubernetesVersions(checker.Catalog(), args.Args), nil
	case "digitalocean:index/getLoadBalancer:getLoadBalancer":
		return resource.NewPropertyMapFromMap(map[string]any{"ip": LoadBalancerIP}), nil
	}
	return resource.PropertyMap{}, nil
}

// Mock values the components' tests look for.
const (
	LoadBalancerIP = "203.0.113.30"
	// StaleToken is the 7-day token DOKS puts in a cluster's kubeConfigs.
	StaleToken = "stale-7-day-token"
	CACert     = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"
)

// DigitalOceanOutputs are the computed outputs of the cluster resource.
func DigitalOceanOutputs(typ, name string) resource.PropertyMap {
	if typ != "digitalocean:index/kubernetesCluster:KubernetesCluster" {
		return nil
	}
	return resource.PropertyMap{
		"endpoint": resource.NewStringProperty("https://" + name + ".k8s.ondigitalocean.com"),
		"kubeConfigs": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
			"rawConfig":            resource.MakeSecret(resource.NewStringProperty("apiVersion: v1\nusers:\n- user:\n    token: " + StaleToken + "\n")),
			"clusterCaCertificate": resource.NewStringProperty(CACert),
			"token":                resource.MakeSecret(resource.NewStringProperty(StaleToken)),
		})}),
	}
}

// ByType returns the resources of a type, in registration order.
func (r *Recorder) ByType(typ string) []Resource {
	var out []Resource
	for _, res := range r.Resources {
		if res.Type == typ {
			out = append(out, res)
		}
	}
	return out
}

// Get returns the resource of a type and name, failing the test if absent.
func (r *Recorder) Get(t testing.TB, typ, name string) Resource {
	t.Helper()
	for _, res := range r.Resources {
		if res.Type == typ && res.Name == name {
			return res
		}
	}
	t.Fatalf("no %s named %s", typ, name)
	return Resource{}
}

// Plain turns inputs into plain Go values; secrets become Secret{Value}.
func Plain(pm resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(pm))
	for k, v := range pm {
		out[string(k)] = plain(v)
	}
	return out
}

// Secret marks a secret value in Plain's result.
type Secret struct{ Value any }

func plain(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return Secret{plain(v.SecretValue().Element)}
	case v.IsOutput():
		o := v.OutputValue()
		if o.Secret {
			return Secret{plain(o.Element)}
		}
		return plain(o.Element)
	case v.IsObject():
		return Plain(v.ObjectValue())
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plain(e)
		}
		return out
	case v.IsNull():
		return nil
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	}
	return v.V
}

// Path reads a dotted path ("spec.template.spec") from plain inputs.
func Path(m map[string]any, path string) any {
	var cur any = m
	for _, key := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[key]
	}
	return cur
}
