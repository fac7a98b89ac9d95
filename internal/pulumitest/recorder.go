// Package pulumitest runs a Pulumi program against the recording mock
// monitor (internal/mockmonitor, the one `infra plan` runs on) for
// component tests: every registered resource is kept with its type, name,
// parent, options and raw inputs (secrets included, so tests can both read
// them and check that they are secret).
package pulumitest

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/mockmonitor"
)

// Resource is one registered resource.
type Resource = mockmonitor.Resource

// Recorder is the result of a run: the monitor, and the resources it kept.
type Recorder struct {
	*mockmonitor.Monitor
	Resources []Resource
}

// Mock values the components' tests look for.
const (
	LoadBalancerIP = mockmonitor.LoadBalancerIP
	StaleToken     = mockmonitor.StaleToken
	CACert         = mockmonitor.CACert
)

// Run runs program in project "project", stack "test", and fails the test
// on error.
func Run(t testing.TB, program pulumi.RunFunc) *Recorder {
	t.Helper()
	return RunStack(t, "project", "test", program)
}

// RunStack runs program in a project and stack of the caller's choice,
// and fails the test on error.
func RunStack(t testing.TB, project, stack string, program pulumi.RunFunc, opts ...pulumi.RunOption) *Recorder {
	t.Helper()
	r, err := RunStackErr(project, stack, program, opts...)
	if err != nil {
		t.Fatalf("run program: %v", err)
	}
	return r
}

// RunErr runs program and returns its error.
func RunErr(program pulumi.RunFunc) (*Recorder, error) {
	return RunStackErr("project", "test", program)
}

// RunStackErr runs program in a project and stack and returns its error.
func RunStackErr(project, stack string, program pulumi.RunFunc, opts ...pulumi.RunOption) (*Recorder, error) {
	m := mockmonitor.New(project, stack)
	err := pulumi.RunErr(program, append([]pulumi.RunOption{pulumi.WithMocks(project, stack, m)}, opts...)...)
	return &Recorder{Monitor: m, Resources: m.Resources()}, err
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

// Named returns the resource of a name, whatever its type, failing the
// test if absent.
func (r *Recorder) Named(t testing.TB, name string) Resource {
	t.Helper()
	for _, res := range r.Resources {
		if res.Name == name {
			return res
		}
	}
	t.Fatalf("no resource named %q", name)
	return Resource{}
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
