// Package providercheck checks resource inputs the way the real providers
// do, before a stand-in accepts them: against the real provider schemas
// (unknown properties, missing required ones, wrong types) and against the
// constraints the schemas leave in prose (rules.yaml: allowed values, ranges,
// formats, combinations and what DigitalOcean offers, each rule with its
// source).
//
// The strict stand-in providers of the engine tests (tests/testprovider) and
// the mocks behind `infra plan` (internal/mockmonitor) both run it, so a value the
// real DigitalOcean, PostgreSQL, random or command provider would refuse is
// refused here, with the property path, before anything is created.
package providercheck

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"infra/internal/catalog"
)

// Failure is one refused input: the property path (as the engine shows it,
// "notifications[0].emails") and why.
type Failure struct {
	Property string
	Reason   string
}

func (f Failure) String() string {
	if f.Property == "" {
		return f.Reason
	}
	return f.Property + ": " + f.Reason
}

// Checker holds the schemas, the rule table and the catalog.
type Checker struct {
	schemas map[string]*packageSchema
	rules   map[string][]Rule // by type or function token
	catalog *catalog.Catalog
}

// New loads the embedded schemas, rules.yaml and the catalog.
func New() (*Checker, error) {
	schemas, err := loadSchemas()
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Load()
	if err != nil {
		return nil, err
	}
	rules, err := loadRules(schemas)
	if err != nil {
		return nil, err
	}
	c := &Checker{schemas: schemas, catalog: cat, rules: map[string][]Rule{}}
	for _, r := range rules {
		c.rules[r.Type] = append(c.rules[r.Type], r)
	}
	return c, nil
}

// Packages lists the packages the checker has a schema of.
func (c *Checker) Packages() []string {
	out := make([]string, 0, len(c.schemas))
	for name := range c.schemas {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Knows reports whether the schema of pkg is loaded.
func (c *Checker) Knows(pkg string) bool { _, ok := c.schemas[pkg]; return ok }

// HasResource reports whether the schema of typ's package declares typ.
func (c *Checker) HasResource(typ string) bool {
	s, ok := c.schemas[packageOf(typ)]
	if !ok {
		return false
	}
	_, ok = s.Resources[typ]
	return ok
}

// HasFunction reports whether the schema of tok's package declares tok.
func (c *Checker) HasFunction(tok string) bool {
	s, ok := c.schemas[packageOf(tok)]
	if !ok {
		return false
	}
	_, ok = s.Functions[tok]
	return ok
}

// Rules returns the rule table, in file order per type.
func (c *Checker) Rules() map[string][]Rule { return c.rules }

// Catalog is the table of offered sizes, regions and versions.
func (c *Checker) Catalog() *catalog.Catalog { return c.catalog }

// CheckResource checks the inputs of a resource of type typ. A type of a
// package without a schema here is not checked (ok is false then); a type
// the package's schema does not declare is a failure.
func (c *Checker) CheckResource(typ string, inputs resource.PropertyMap) (failures []Failure, ok bool) {
	pkg := packageOf(typ)
	s, known := c.schemas[pkg]
	if !known {
		return nil, false
	}
	if strings.HasPrefix(typ, "pulumi:providers:") {
		return c.CheckProviderConfig(pkg, inputs), true
	}
	spec, declared := s.Resources[typ]
	if !declared {
		return []Failure{{Reason: fmt.Sprintf("unknown resource type %s: not in the %s provider schema (%s)", typ, pkg, s.file)}}, true
	}
	v := &validator{schema: s}
	v.object("", inputs, spec.InputProperties, spec.RequiredInputs)
	return append(v.failures, c.applyRules(typ, inputs)...), true
}

// CheckProviderConfig checks the inputs of an explicit provider resource of
// package pkg. Provider config may arrive JSON-encoded in strings (the SDKs
// send non-string config that way), which is accepted for any type.
func (c *Checker) CheckProviderConfig(pkg string, inputs resource.PropertyMap) []Failure {
	s, ok := c.schemas[pkg]
	if !ok {
		return nil
	}
	clean := resource.PropertyMap{}
	for k, val := range inputs {
		switch k {
		case "version", "pluginDownloadURL": // the engine's own keys
			continue
		}
		clean[k] = val
	}
	v := &validator{schema: s, configStrings: true}
	v.object("", clean, s.Provider.InputProperties, s.Provider.RequiredInputs)
	return append(v.failures, c.applyRules("pulumi:providers:"+pkg, clean)...)
}

// CheckInvoke checks the arguments of a function call.
func (c *Checker) CheckInvoke(tok string, args resource.PropertyMap) (failures []Failure, ok bool) {
	s, known := c.schemas[packageOf(tok)]
	if !known {
		return nil, false
	}
	fn, declared := s.Functions[tok]
	if !declared {
		return []Failure{{Reason: fmt.Sprintf("unknown function %s: not in the provider schema (%s)", tok, s.file)}}, true
	}
	v := &validator{schema: s}
	if fn.Inputs != nil {
		v.object("", args, fn.Inputs.Properties, fn.Inputs.Required)
	} else if len(args) > 0 {
		v.fail("", "%s takes no arguments", tok)
	}
	return append(v.failures, c.applyRules(tok, args)...), true
}

// packageOf is the package of a type token: "digitalocean" for
// "digitalocean:index/droplet:Droplet" and "pulumi:providers:digitalocean".
func packageOf(tok string) string {
	if p, ok := strings.CutPrefix(tok, "pulumi:providers:"); ok {
		return p
	}
	pkg, _, _ := strings.Cut(tok, ":")
	return pkg
}

// validator walks inputs against the schema and collects failures.
type validator struct {
	schema        *packageSchema
	configStrings bool
	failures      []Failure
}

func (v *validator) fail(path, format string, args ...any) {
	v.failures = append(v.failures, Failure{Property: path, Reason: fmt.Sprintf(format, args...)})
}

func (v *validator) object(path string, m resource.PropertyMap, props map[string]*property, required []string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.HasPrefix(k, "__") { // engine and bridge metadata (__defaults)
			continue
		}
		p, ok := props[k]
		if !ok {
			v.fail(join(path, k), "unknown property %q; the schema allows %s", k, strings.Join(sortedKeys(props), ", "))
			continue
		}
		v.value(join(path, k), m[resource.PropertyKey(k)], p)
	}
	for _, r := range required {
		val, ok := m[resource.PropertyKey(r)]
		if !ok || val.IsNull() {
			v.fail(join(path, r), "missing required property %q", r)
		}
	}
}

// value checks one value against a property schema. Unknown values
// (previews) pass: the real providers check them once known.
func (v *validator) value(path string, val resource.PropertyValue, p *property) {
	val, known := unwrap(val)
	if !known || val.IsNull() {
		return
	}
	if len(p.OneOf) > 0 {
		for _, alt := range p.OneOf {
			probe := &validator{schema: v.schema, configStrings: v.configStrings}
			probe.value(path, val, alt)
			if len(probe.failures) == 0 {
				return
			}
		}
		v.fail(path, "%s matches none of the types the schema allows", describe(val))
		return
	}
	if p.Ref != "" {
		v.ref(path, val, p.Ref)
		return
	}
	if v.configStrings && p.Type != "string" && val.IsString() {
		return // JSON-encoded provider config
	}
	switch p.Type {
	case "string":
		if !val.IsString() {
			v.fail(path, "expected a string, got %s", describe(val))
		}
	case "boolean":
		if !val.IsBool() {
			v.fail(path, "expected a boolean, got %s", describe(val))
		}
	case "integer":
		if !val.IsNumber() {
			v.fail(path, "expected an integer, got %s", describe(val))
		} else if n := val.NumberValue(); n != math.Trunc(n) || math.IsInf(n, 0) {
			v.fail(path, "expected an integer, got %v", n)
		}
	case "number":
		if !val.IsNumber() {
			v.fail(path, "expected a number, got %s", describe(val))
		}
	case "array":
		if !val.IsArray() {
			v.fail(path, "expected a list, got %s", describe(val))
			return
		}
		for i, item := range val.ArrayValue() {
			if p.Items != nil {
				v.value(fmt.Sprintf("%s[%d]", path, i), item, p.Items)
			}
		}
	case "object":
		if !val.IsObject() {
			v.fail(path, "expected a map, got %s", describe(val))
			return
		}
		if p.AdditionalProperties != nil {
			for k, item := range val.ObjectValue() {
				v.value(join(path, string(k)), item, p.AdditionalProperties)
			}
		}
	case "":
		// An untyped property (rare): anything goes.
	default:
		v.fail(path, "schema type %q is not supported by the checker", p.Type)
	}
}

func (v *validator) ref(path string, val resource.PropertyValue, ref string) {
	switch ref {
	case "pulumi.json#/Any", "pulumi.json#/Json":
		return
	case "pulumi.json#/Archive":
		if !val.IsArchive() {
			v.fail(path, "expected an archive, got %s", describe(val))
		}
		return
	case "pulumi.json#/Asset":
		if !val.IsAsset() && !val.IsArchive() {
			v.fail(path, "expected an asset, got %s", describe(val))
		}
		return
	}
	t, ok := v.schema.typeRef(ref)
	if !ok {
		// A reference to another package's type (a resource reference):
		// not checked.
		return
	}
	if len(t.Enum) > 0 {
		allowed := make([]string, 0, len(t.Enum))
		for _, e := range t.Enum {
			allowed = append(allowed, fmt.Sprint(e.Value))
			if fmt.Sprint(e.Value) == scalarString(val) {
				return
			}
		}
		v.fail(path, "expected one of [%s], got %s", strings.Join(allowed, " "), describe(val))
		return
	}
	if !val.IsObject() {
		v.fail(path, "expected an object, got %s", describe(val))
		return
	}
	v.object(path, val.ObjectValue(), t.Properties, t.Required)
}

// unwrap strips secrets and known outputs; known is false for an unknown
// value anywhere at the top.
func unwrap(val resource.PropertyValue) (resource.PropertyValue, bool) {
	for {
		switch {
		case val.IsSecret():
			val = val.SecretValue().Element
		case val.IsOutput():
			o := val.OutputValue()
			if !o.Known {
				return val, false
			}
			val = o.Element
		case val.IsComputed():
			return val, false
		default:
			return val, true
		}
	}
}

func describe(val resource.PropertyValue) string {
	switch {
	case val.IsString():
		return fmt.Sprintf("the string %q", val.StringValue())
	case val.IsNumber():
		return fmt.Sprintf("the number %v", val.NumberValue())
	case val.IsBool():
		return fmt.Sprintf("the boolean %v", val.BoolValue())
	case val.IsArray():
		return "a list"
	case val.IsObject():
		return "an object"
	case val.IsResourceReference():
		return "a resource reference"
	}
	return string(val.TypeString())
}

func scalarString(val resource.PropertyValue) string {
	switch {
	case val.IsString():
		return val.StringValue()
	case val.IsNumber():
		return fmt.Sprint(val.NumberValue())
	case val.IsBool():
		return fmt.Sprint(val.BoolValue())
	}
	return ""
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]*property) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// loadOnce shares one parsed checker per process: the schemas are a few
// megabytes of JSON, and mocks create many runs.
var loadOnce = sync.OnceValues(New)

// Shared returns the process's checker, loading it on first use.
func Shared() (*Checker, error) { return loadOnce() }

// Error is the failures of one resource or call, as one error.
func Error(typ, name string, failures []Failure) error {
	msgs := make([]string, len(failures))
	for i, f := range failures {
		msgs[i] = f.String()
	}
	return fmt.Errorf("%s %q has invalid inputs (the real provider refuses them):\n  %s", typ, name, strings.Join(msgs, "\n  "))
}

// KubernetesVersions answers getKubernetesVersions from the catalog, the
// way DigitalOcean answers it: releases newest first, honouring
// versionPrefix.
func KubernetesVersions(cat *catalog.Catalog, args resource.PropertyMap) resource.PropertyMap {
	prefix := ""
	if p, ok := args["versionPrefix"]; ok && p.IsString() {
		prefix = p.StringValue()
	}
	valid := []any{}
	for _, v := range cat.KubernetesMinors.Releases(prefix) {
		valid = append(valid, v)
	}
	latest := ""
	if len(valid) > 0 {
		latest = valid[0].(string)
	}
	out := resource.NewPropertyMapFromMap(map[string]any{
		"id": "kubernetes-versions", "latestVersion": latest, "validVersions": valid,
	})
	if prefix != "" {
		out["versionPrefix"] = resource.NewProperty(prefix)
	}
	return out
}

// CheckInputs is the check a mock resource monitor runs on every
// registration: nil, or the failures of the resource as one error.
func CheckInputs(typ, name string, inputs resource.PropertyMap) error {
	c, err := Shared()
	if err != nil {
		return err
	}
	if failures, _ := c.CheckResource(typ, inputs); len(failures) > 0 {
		return Error(typ, name, failures)
	}
	return nil
}
