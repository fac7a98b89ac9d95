package monitoring

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/pulumitest"
)

// run runs program against the shared mock monitor.
func run(t *testing.T, program pulumi.RunFunc) *pulumitest.Recorder {
	t.Helper()
	return pulumitest.RunStack(t, "infra", "test", program)
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
