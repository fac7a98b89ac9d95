package providercheck

import (
	_ "embed"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// rulesYAML is the rule table: every constraint the schemas leave in prose,
// each with the source it was taken from.
//
//go:embed rules.yaml
var rulesYAML []byte

// Rule is one constraint on one property of one resource type (or function).
// Exactly one kind of check is set; When limits it to some inputs.
type Rule struct {
	Type     string `yaml:"type"`
	Property string `yaml:"property"`
	Source   string `yaml:"source"`
	Note     string `yaml:"note,omitempty"`

	OneOf         []any    `yaml:"oneOf,omitempty"`
	IgnoreCase    bool     `yaml:"ignoreCase,omitempty"`
	Min           *float64 `yaml:"min,omitempty"`
	Max           *float64 `yaml:"max,omitempty"`
	MinLength     *int     `yaml:"minLength,omitempty"`
	MaxLength     *int     `yaml:"maxLength,omitempty"`
	MinItems      *int     `yaml:"minItems,omitempty"`
	MaxItems      *int     `yaml:"maxItems,omitempty"`
	Pattern       string   `yaml:"pattern,omitempty"`
	Format        string   `yaml:"format,omitempty"`
	Catalog       string   `yaml:"catalog,omitempty"`
	ConflictsWith []string `yaml:"conflictsWith,omitempty"`
	RequiredWith  []string `yaml:"requiredWith,omitempty"`
	ExactlyOneOf  []string `yaml:"exactlyOneOf,omitempty"`
	AtLeastOneOf  []string `yaml:"atLeastOneOf,omitempty"`

	When *When `yaml:"when,omitempty"`

	pattern *regexp.Regexp
}

// When makes a rule conditional on another property of the same inputs.
type When struct {
	Property string   `yaml:"property"`
	Min      *float64 `yaml:"min,omitempty"`
	OneOf    []any    `yaml:"oneOf,omitempty"`
	Set      *bool    `yaml:"set,omitempty"`
}

// Kind names the check a rule makes (one per rule).
func (r Rule) Kind() string {
	var kinds []string
	add := func(on bool, k string) {
		if on {
			kinds = append(kinds, k)
		}
	}
	add(len(r.OneOf) > 0, "oneOf")
	add(r.Min != nil || r.Max != nil, "range")
	add(r.MinLength != nil || r.MaxLength != nil, "length")
	add(r.MinItems != nil || r.MaxItems != nil, "items")
	add(r.Pattern != "", "pattern")
	add(r.Format != "", "format")
	add(r.Catalog != "", "catalog")
	add(len(r.ConflictsWith) > 0, "conflictsWith")
	add(len(r.RequiredWith) > 0, "requiredWith")
	add(len(r.ExactlyOneOf) > 0, "exactlyOneOf")
	add(len(r.AtLeastOneOf) > 0, "atLeastOneOf")
	return strings.Join(kinds, "+")
}

// formats are the named formats a rule may ask for.
var formats = map[string]func(string) bool{
	"cidr": func(s string) bool { _, _, err := net.ParseCIDR(s); return err == nil },
	"ip":   func(s string) bool { return net.ParseIP(s) != nil },
	"ipv4": func(s string) bool {
		ip := net.ParseIP(s)
		return ip != nil && ip.To4() != nil && !strings.Contains(s, ":")
	},
	"uuid": regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`).MatchString,
	"url": func(s string) bool {
		u, err := url.Parse(s)
		return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	},
	"hhmm":    regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$`).MatchString,
	"rfc3339": func(s string) bool { _, err := time.Parse(time.RFC3339, s); return err == nil },
	// NoZeroValues / StringIsNotEmpty: "" is refused, whitespace is not.
	"notEmpty": func(s string) bool { return s != "" },
}

// catalogs are the catalog lists a rule may name.
func (c *Checker) catalogList(name string) ([]string, bool) {
	cat := c.catalog
	switch name {
	case "droplet-sizes":
		return cat.DropletSizes.Values, true
	case "database-sizes":
		return cat.DatabaseSizes.Slugs(), true
	case "database-sizes-with-standby":
		return cat.DatabaseSizes.WithStandby(), true
	case "regions":
		return cat.Regions.Values, true
	case "spaces-regions":
		return cat.SpacesRegions.Values, true
	case "database-versions-pg":
		return cat.PostgresVersions.Versions(), true
	case "kubernetes-versions":
		return cat.KubernetesMinors.Slugs(), true
	}
	return nil, false
}

// catalogHas is membership in a catalog list; DOKS versions match by minor.
func (c *Checker) catalogHas(name, v string) bool {
	if name == "kubernetes-versions" {
		return c.catalog.KubernetesMinors.Offers(v)
	}
	list, _ := c.catalogList(name)
	return slices.Contains(list, v)
}

// loadRules parses rules.yaml and checks every rule against the schemas.
func loadRules(schemas map[string]*packageSchema) ([]Rule, error) {
	var file struct {
		Rules []Rule `yaml:"rules"`
	}
	if err := yaml.UnmarshalWithOptions(rulesYAML, &file, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("rules.yaml: %w", err)
	}
	var problems []string
	for i := range file.Rules {
		r := &file.Rules[i]
		if err := r.compile(schemas); err != nil {
			problems = append(problems, fmt.Sprintf("rules[%d] (%s %s): %v", i, r.Type, r.Property, err))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("rules.yaml:\n  %s", strings.Join(problems, "\n  "))
	}
	return file.Rules, nil
}

func (r *Rule) compile(schemas map[string]*packageSchema) error {
	if strings.TrimSpace(r.Source) == "" {
		return fmt.Errorf("no source")
	}
	kind := r.Kind()
	if kind == "" || strings.Contains(kind, "+") {
		return fmt.Errorf("needs exactly one kind of check, has %q", kind)
	}
	if r.Pattern != "" {
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			return fmt.Errorf("pattern: %w", err)
		}
		r.pattern = re
	}
	if r.Format != "" && formats[r.Format] == nil {
		return fmt.Errorf("unknown format %q", r.Format)
	}
	if r.Catalog != "" {
		switch r.Catalog {
		case "droplet-sizes", "database-sizes", "database-sizes-with-standby", "regions",
			"spaces-regions", "database-versions-pg", "kubernetes-versions":
		default:
			return fmt.Errorf("unknown catalog %q", r.Catalog)
		}
	}
	s, ok := schemas[packageOf(r.Type)]
	if !ok {
		return fmt.Errorf("no schema for package %q", packageOf(r.Type))
	}
	paths := append([]string{r.Property}, r.ConflictsWith...)
	paths = append(paths, r.RequiredWith...)
	paths = append(paths, r.ExactlyOneOf...)
	paths = append(paths, r.AtLeastOneOf...)
	if r.When != nil {
		paths = append(paths, r.When.Property)
	}
	for _, p := range paths {
		if err := s.hasPath(r.Type, p); err != nil {
			return err
		}
	}
	return nil
}

// hasPath checks that a rule's property path exists in the schema of typ.
func (s *packageSchema) hasPath(typ, path string) error {
	var props map[string]*property
	switch {
	case strings.HasPrefix(typ, "pulumi:providers:"):
		props = s.Provider.InputProperties
	case s.Resources[typ] != nil:
		props = s.Resources[typ].InputProperties
	case s.Functions[typ] != nil && s.Functions[typ].Inputs != nil:
		props = s.Functions[typ].Inputs.Properties
	default:
		return fmt.Errorf("type %s is not in the %s schema", typ, s.Name)
	}
	var p *property
	for _, seg := range splitPath(path) {
		if seg == "*" {
			if p == nil || p.Items == nil {
				return fmt.Errorf("path %q: [*] on a property that is not a list", path)
			}
			p = p.Items
			props = s.propsOf(p)
			continue
		}
		next, ok := props[seg]
		if !ok {
			return fmt.Errorf("path %q: %q is not an input property", path, seg)
		}
		p = next
		props = s.propsOf(p)
	}
	return nil
}

func (s *packageSchema) propsOf(p *property) map[string]*property {
	if p == nil || p.Ref == "" {
		return nil
	}
	if t, ok := s.typeRef(p.Ref); ok {
		return t.Properties
	}
	return nil
}

// splitPath turns "a.b[*].c" into ["a", "b", "*", "c"].
func splitPath(path string) []string {
	var out []string
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		out = append(out, name)
		for n := strings.Count("["+rest, "[*]"); n > 0; n-- {
			out = append(out, "*")
		}
	}
	return out
}

// located is a value found at a concrete path ("inboundRules[2].protocol").
type located struct {
	path string
	val  resource.PropertyValue
}

// lookup finds every value a rule path names; unknown values are skipped,
// and known is false when any step was unknown.
func lookup(m resource.PropertyMap, path string) (found []located, known bool) {
	known = true
	cur := []located{{path: "", val: resource.NewProperty(m)}}
	for _, seg := range splitPath(path) {
		var next []located
		for _, l := range cur {
			v, ok := unwrap(l.val)
			if !ok {
				known = false
				continue
			}
			if seg == "*" {
				if !v.IsArray() {
					continue
				}
				for i, item := range v.ArrayValue() {
					next = append(next, located{path: fmt.Sprintf("%s[%d]", l.path, i), val: item})
				}
				continue
			}
			if !v.IsObject() {
				continue
			}
			item, ok := v.ObjectValue()[resource.PropertyKey(seg)]
			if !ok || item.IsNull() {
				continue
			}
			next = append(next, located{path: join(l.path, seg), val: item})
		}
		cur = next
	}
	var out []located
	for _, l := range cur {
		v, ok := unwrap(l.val)
		if !ok {
			known = false
			continue
		}
		if v.IsNull() {
			continue
		}
		out = append(out, located{path: l.path, val: v})
	}
	return out, known
}

// applyRules runs the rules of typ on inputs.
func (c *Checker) applyRules(typ string, inputs resource.PropertyMap) []Failure {
	var failures []Failure
	for _, r := range c.rules[typ] {
		failures = append(failures, c.apply(r, inputs)...)
	}
	return failures
}

// related are the other paths a rule reads.
func (r Rule) related() []string {
	paths := slices.Concat(r.ConflictsWith, r.RequiredWith, r.ExactlyOneOf, r.AtLeastOneOf)
	if r.When != nil {
		paths = append(paths, r.When.Property)
	}
	return paths
}

// elementScope is the longest "x[*]" prefix the rule's property shares with
// every related path, or "" when there are none or they share none.
func (r Rule) elementScope() string {
	related := r.related()
	if len(related) == 0 {
		return ""
	}
	scope := ""
	for i := strings.Index(r.Property, "[*]"); i >= 0; {
		candidate := r.Property[:i+3]
		shared := len(r.Property) > len(candidate)
		for _, p := range related {
			shared = shared && strings.HasPrefix(p, candidate+".")
		}
		if !shared {
			break
		}
		scope = candidate
		next := strings.Index(r.Property[i+3:], "[*]")
		if next < 0 {
			break
		}
		i += 3 + next
	}
	return scope
}

// relativeTo rewrites the rule's paths below prefix.
func (r Rule) relativeTo(prefix string) Rule {
	trim := func(p string) string { return strings.TrimPrefix(p, prefix+".") }
	trimAll := func(ps []string) []string {
		if ps == nil {
			return nil
		}
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = trim(p)
		}
		return out
	}
	out := r
	out.Property = trim(r.Property)
	out.ConflictsWith, out.RequiredWith = trimAll(r.ConflictsWith), trimAll(r.RequiredWith)
	out.ExactlyOneOf, out.AtLeastOneOf = trimAll(r.ExactlyOneOf), trimAll(r.AtLeastOneOf)
	if r.When != nil {
		w := *r.When
		w.Property = trim(w.Property)
		out.When = &w
	}
	return out
}

func (w *When) holds(inputs resource.PropertyMap) bool {
	found, known := lookup(inputs, w.Property)
	if !known {
		return false
	}
	if w.Set != nil {
		return (len(found) > 0) == *w.Set
	}
	for _, f := range found {
		if w.Min != nil && f.val.IsNumber() && f.val.NumberValue() >= *w.Min {
			return true
		}
		if len(w.OneOf) > 0 && slices.ContainsFunc(w.OneOf, func(a any) bool { return fmt.Sprint(a) == scalarString(f.val) }) {
			return true
		}
	}
	return false
}

// apply runs one rule. Paths that share a list prefix with the rule's
// property ("inboundRules[*].protocol" and "inboundRules[*].portRange")
// refer to the same element: the rule then runs once per element.
func (c *Checker) apply(r Rule, inputs resource.PropertyMap) []Failure {
	if prefix := r.elementScope(); prefix != "" {
		var failures []Failure
		elems, _ := lookup(inputs, prefix)
		for _, e := range elems {
			if !e.val.IsObject() {
				continue
			}
			for _, f := range c.apply(r.relativeTo(prefix), e.val.ObjectValue()) {
				f.Property = join(e.path, f.Property)
				failures = append(failures, f)
			}
		}
		return failures
	}
	if r.When != nil && !r.When.holds(inputs) {
		return nil
	}
	var failures []Failure
	fail := func(path, format string, args ...any) {
		if path == "" {
			path = r.Property
		}
		reason := fmt.Sprintf(format, args...) + " (rule: " + r.Source + ")"
		failures = append(failures, Failure{Property: path, Reason: reason})
	}
	found, _ := lookup(inputs, r.Property)
	present := func(p string) bool { f, known := lookup(inputs, p); return len(f) > 0 || !known }
	switch r.Kind() {
	case "conflictsWith":
		if len(found) > 0 {
			for _, other := range r.ConflictsWith {
				if present(other) {
					fail("", "%s cannot be set together with %s", r.Property, other)
				}
			}
		}
		return failures
	case "requiredWith":
		if len(found) > 0 {
			for _, other := range r.RequiredWith {
				if !present(other) {
					fail("", "%s requires %s to be set too", r.Property, other)
				}
			}
		}
		return failures
	case "exactlyOneOf", "atLeastOneOf":
		set := r.AtLeastOneOf
		if len(r.ExactlyOneOf) > 0 {
			set = r.ExactlyOneOf
		}
		var n int
		for _, p := range set {
			if present(p) {
				n++
			}
		}
		if n == 0 || (len(r.ExactlyOneOf) > 0 && n > 1) {
			fail("", "%s: exactly/at least one of [%s] must be set, %d are", r.Kind(), strings.Join(set, " "), n)
		}
		return failures
	}
	for _, f := range found {
		c.checkValue(r, f, fail)
	}
	return failures
}

func (c *Checker) checkValue(r Rule, f located, fail func(path, format string, args ...any)) {
	v := f.val
	switch r.Kind() {
	case "oneOf":
		s := scalarString(v)
		for _, a := range r.OneOf {
			if fmt.Sprint(a) == s || (r.IgnoreCase && strings.EqualFold(fmt.Sprint(a), s)) {
				return
			}
		}
		fail(f.path, "expected %s to be one of %v, got %s", lastSegment(f.path), quoteAll(r.OneOf), describe(v))
	case "range":
		if !v.IsNumber() {
			return // the schema check reports the type
		}
		n := v.NumberValue()
		if (r.Min != nil && n < *r.Min) || (r.Max != nil && n > *r.Max) {
			fail(f.path, "expected %s to be in the range (%s - %s), got %v", lastSegment(f.path), bound(r.Min), bound(r.Max), n)
		}
	case "length":
		if !v.IsString() {
			return
		}
		n := len(v.StringValue())
		if (r.MinLength != nil && n < *r.MinLength) || (r.MaxLength != nil && n > *r.MaxLength) {
			fail(f.path, "expected length of %s to be in the range (%s - %s), got %d", lastSegment(f.path), ibound(r.MinLength), ibound(r.MaxLength), n)
		}
	case "items":
		if !v.IsArray() {
			return
		}
		n := len(v.ArrayValue())
		if (r.MinItems != nil && n < *r.MinItems) || (r.MaxItems != nil && n > *r.MaxItems) {
			fail(f.path, "expected %s to have between %s and %s items, got %d", lastSegment(f.path), ibound(r.MinItems), ibound(r.MaxItems), n)
		}
	case "pattern":
		if v.IsString() && !r.pattern.MatchString(v.StringValue()) {
			fail(f.path, "%s %q does not match %s", lastSegment(f.path), v.StringValue(), r.Pattern)
		}
	case "format":
		if r.Format == "notEmpty" && v.IsNumber() && v.NumberValue() == 0 {
			fail(f.path, "expected %s to not be zero", lastSegment(f.path))
		}
		if v.IsString() && !formats[r.Format](v.StringValue()) {
			fail(f.path, "expected %s to be a valid %s, got %q", lastSegment(f.path), r.Format, v.StringValue())
		}
	case "catalog":
		s := scalarString(v)
		if !c.catalogHas(r.Catalog, s) {
			list, _ := c.catalogList(r.Catalog)
			fail(f.path, "%q is not offered (%s as of %s: %s)", s, r.Catalog, c.catalog.AsOf, strings.Join(list, ", "))
		}
	}
}

func lastSegment(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[i+1:]
	}
	return path
}

func quoteAll(values []any) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return "[" + strings.Join(q, " ") + "]"
}

func bound(f *float64) string {
	if f == nil {
		return "-"
	}
	return fmt.Sprint(*f)
}

func ibound(i *int) string {
	if i == nil {
		return "-"
	}
	return fmt.Sprint(*i)
}
