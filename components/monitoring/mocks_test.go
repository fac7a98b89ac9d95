package monitoring

import (
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/providercheck"
)

// recorded is one resource the program registered.
type recorded struct {
	Type, Name, Parent, Provider string
	Custom                       bool
	Inputs                       resource.PropertyMap
	Dependencies                 []string
	URN                          string
}

type recorder struct {
	mu  sync.Mutex
	all []recorded
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if err := providercheck.CheckInputs(args.TypeToken, args.Name, args.Inputs); err != nil {
		return "", nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := recorded{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs}
	if rpc := args.RegisterRPC; rpc != nil {
		rec.Parent, rec.Provider, rec.Dependencies = rpc.GetParent(), rpc.GetProvider(), rpc.GetDependencies()
	}
	parentType := tokens.Type("")
	if p := resource.URN(rec.Parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	rec.URN = string(resource.NewURN("test", "infra", parentType, tokens.Type(args.TypeToken), args.Name))
	state := args.Inputs.Copy()
	if args.TypeToken == "random:index/randomPassword:RandomPassword" {
		state["result"] = resource.MakeSecret(resource.NewStringProperty("generated-password-0123456789"))
	}
	r.all = append(r.all, rec)
	return args.Name + "-id", state, nil
}

func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

func (r *recorder) ofType(typ string) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recorded
	for _, x := range r.all {
		if x.Type == typ {
			out = append(out, x)
		}
	}
	return out
}

func (r *recorder) named(t *testing.T, name string) recorded {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.all {
		if x.Name == name {
			return x
		}
	}
	t.Fatalf("no resource named %q", name)
	return recorded{}
}

func run(t *testing.T, program pulumi.RunFunc) *recorder {
	t.Helper()
	rec := &recorder{}
	if err := pulumi.RunErr(program, pulumi.WithMocks("infra", "test", rec)); err != nil {
		t.Fatal(err)
	}
	return rec
}

// prop walks nested property maps: prop(v, "prometheus", "prometheusSpec").
func prop(v resource.PropertyValue, keys ...string) resource.PropertyValue {
	for _, k := range keys {
		for v.IsOutput() {
			v = v.OutputValue().Element
		}
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsObject() {
			return resource.NewNullProperty()
		}
		v = v.ObjectValue()[resource.PropertyKey(k)]
	}
	for v.IsOutput() {
		v = v.OutputValue().Element
	}
	return v
}

func isSecret(v resource.PropertyValue) bool {
	return v.IsSecret() || (v.IsOutput() && v.OutputValue().Secret)
}

func urnFor(r recorded) string { return r.URN }

// secretAt reports whether the value at keys is a secret (itself, or an
// output or secret on the way to it).
func secretAt(v resource.PropertyValue, keys ...string) bool {
	for i := 0; ; i++ {
		for v.IsOutput() || v.IsSecret() {
			if isSecret(v) {
				return true
			}
			v = v.OutputValue().Element
		}
		if i == len(keys) {
			return false
		}
		if !v.IsObject() {
			return false
		}
		v = v.ObjectValue()[resource.PropertyKey(keys[i])]
	}
}

// containsSecret reports whether a secret is anywhere in v.
func containsSecret(v resource.PropertyValue) bool {
	switch {
	case isSecret(v):
		return true
	case v.IsOutput():
		return containsSecret(v.OutputValue().Element)
	case v.IsObject():
		for _, e := range v.ObjectValue() {
			if containsSecret(e) {
				return true
			}
		}
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			if containsSecret(e) {
				return true
			}
		}
	}
	return false
}
