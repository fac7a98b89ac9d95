// Package kube declares Kubernetes objects from one plain value that is
// both registered with Pulumi and rendered as YAML for review, so what is
// applied and what is checked against the Kubernetes OpenAPI schema can
// never differ.
//
// An Object is the object as the API server sees it (apiVersion, kind,
// metadata, spec...), built from maps, slices and scalars. A value that
// only Pulumi knows, a secret such as a connection string, is put in the
// tree as a pulumi.Input: Declare hands it to Pulumi as is (it stays a
// secret), Render writes SecretPlaceholder in its place.
package kube

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"sigs.k8s.io/yaml"
)

// SecretPlaceholder stands in for every Pulumi value in a rendered object.
// It is the string the offline plan uses for masked secrets, so a rendered
// object and the inputs the plan recorded compare equal.
const SecretPlaceholder = "[secret]"

// Object is one Kubernetes object.
type Object map[string]any

// APIVersion is the object's apiVersion.
func (o Object) APIVersion() string { s, _ := o["apiVersion"].(string); return s }

// Kind is the object's kind.
func (o Object) Kind() string { s, _ := o["kind"].(string); return s }

// Name is metadata.name.
func (o Object) Name() string { return o.meta("name") }

// Namespace is metadata.namespace ("" for cluster-scoped objects).
func (o Object) Namespace() string { return o.meta("namespace") }

func (o Object) meta(field string) string {
	m, _ := o["metadata"].(map[string]any)
	s, _ := m[field].(string)
	return s
}

// Token is the Pulumi type token of an apiVersion and kind, the one the
// typed SDK registers: core objects (apiVersion v1) live in module core/v1
// (kubernetes:core/v1:Service), the others in <group>/<version>
// (kubernetes:apps/v1:Deployment, kubernetes:cert-manager.io/v1:ClusterIssuer).
func Token(apiVersion, kind string) string {
	if !strings.Contains(apiVersion, "/") {
		apiVersion = "core/" + apiVersion
	}
	return "kubernetes:" + apiVersion + ":" + kind
}

// Path is where the rendered object is written under the plan's output:
// kubernetes/<namespace>/<kind>-<name>.yaml, cluster-scoped objects under
// kubernetes/cluster/ (a Namespace under its own name).
func (o Object) Path() string {
	dir := o.Namespace()
	if o.Kind() == "Namespace" {
		dir = o.Name()
	}
	if dir == "" {
		dir = "cluster"
	}
	return "kubernetes/" + dir + "/" + strings.ToLower(o.Kind()) + "-" + o.Name() + ".yaml"
}

// Render is the object as YAML (keys sorted), every Pulumi value replaced
// by SecretPlaceholder.
func Render(o Object) ([]byte, error) {
	plain, err := plainValue(map[string]any(o), "")
	if err != nil {
		return nil, fmt.Errorf("render %s %s: %w", o.Kind(), o.Name(), err)
	}
	b, err := yaml.Marshal(plain)
	if err != nil {
		return nil, fmt.Errorf("render %s %s: %w", o.Kind(), o.Name(), err)
	}
	return b, nil
}

// Declare registers the object with Pulumi under its typed-SDK token.
func Declare(ctx *pulumi.Context, name string, o Object, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	if o.APIVersion() == "" || o.Kind() == "" || o.Name() == "" {
		return nil, fmt.Errorf("declare %q: apiVersion, kind and metadata.name are required", name)
	}
	args := kubernetes.UntypedArgs{}
	for k, v := range o {
		in, err := inputValue(v, k)
		if err != nil {
			return nil, fmt.Errorf("declare %s %s: %w", o.Kind(), o.Name(), err)
		}
		args[k] = in
	}
	if o.APIVersion() == "v1" && o.Kind() == "Secret" {
		// As the typed SDK does: the provider's copies stay secret too.
		opts = append(opts, pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))
	}
	var res apiextensions.CustomResource
	if err := ctx.RegisterResource(Token(o.APIVersion(), o.Kind()), name, args, &res, opts...); err != nil {
		return nil, fmt.Errorf("declare %s %s: %w", o.Kind(), o.Name(), err)
	}
	return &res, nil
}

// inputValue converts a tree of plain values and Pulumi inputs to inputs.
func inputValue(v any, path string) (pulumi.Input, error) {
	switch t := v.(type) {
	case pulumi.Input:
		return t, nil
	case string:
		return pulumi.String(t), nil
	case bool:
		return pulumi.Bool(t), nil
	case int:
		return pulumi.Int(t), nil
	case int64:
		return pulumi.Int(int(t)), nil
	case float64:
		return pulumi.Float64(t), nil
	case []string:
		return pulumi.ToStringArray(t), nil
	case map[string]string:
		return pulumi.ToStringMap(t), nil
	case []any:
		arr := make(pulumi.Array, len(t))
		for i, e := range t {
			in, err := inputValue(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			arr[i] = in
		}
		return arr, nil
	case []map[string]any:
		arr := make(pulumi.Array, len(t))
		for i, e := range t {
			in, err := inputValue(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			arr[i] = in
		}
		return arr, nil
	case map[string]any:
		m := make(pulumi.Map, len(t))
		for _, k := range sortedKeys(t) {
			in, err := inputValue(t[k], path+"."+k)
			if err != nil {
				return nil, err
			}
			m[k] = in
		}
		return m, nil
	case Object:
		return inputValue(map[string]any(t), path)
	}
	return nil, fmt.Errorf("%s: unsupported value %T", path, v)
}

// plainValue converts the tree to what YAML marshals, Pulumi values masked.
func plainValue(v any, path string) (any, error) {
	switch t := v.(type) {
	case pulumi.Input:
		return SecretPlaceholder, nil
	case string, bool, int, int64, float64:
		return t, nil
	case []string:
		out := make([]any, len(t))
		for i, s := range t {
			out[i] = s
		}
		return out, nil
	case map[string]string:
		out := make(map[string]any, len(t))
		for k, s := range t {
			out[k] = s
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			p, err := plainValue(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = p
		}
		return out, nil
	case []map[string]any:
		out := make([]any, len(t))
		for i, e := range t {
			p, err := plainValue(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = p
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			p, err := plainValue(e, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = p
		}
		return out, nil
	case Object:
		return plainValue(map[string]any(t), path)
	}
	return nil, fmt.Errorf("%s: unsupported value %T", path, v)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Manifests are rendered objects by Path.
type Manifests map[string]string

// Add renders an object; two objects may not share a path.
func (m Manifests) Add(o Object) error {
	if _, dup := m[o.Path()]; dup {
		return fmt.Errorf("render %s %s: %s is already rendered", o.Kind(), o.Name(), o.Path())
	}
	b, err := Render(o)
	if err != nil {
		return err
	}
	m[o.Path()] = string(b)
	return nil
}

// Apply declares an object and renders it into m: the one way components
// create Kubernetes objects.
func (m Manifests) Apply(ctx *pulumi.Context, name string, o Object, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	if err := m.Add(o); err != nil {
		return nil, err
	}
	return Declare(ctx, name, o, opts...)
}

// ToMap converts a tree of plain values (and Pulumi inputs) to a
// pulumi.Map, for inputs such as Helm values.
func ToMap(m map[string]any) (pulumi.Map, error) {
	in, err := inputValue(m, "")
	if err != nil {
		return nil, err
	}
	return in.(pulumi.Map), nil
}

// RenderValue is any tree as YAML, Pulumi values masked (Helm values).
func RenderValue(v any) ([]byte, error) {
	plain, err := plainValue(v, "")
	if err != nil {
		return nil, err
	}
	return yaml.Marshal(plain)
}
