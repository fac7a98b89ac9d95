package config

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	invopop "github.com/invopop/jsonschema"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Schema returns the JSON Schema of the `infra:` namespace, generated from
// Config's types and tags so that the types stay the one definition. Editors
// can use it for completion (`infra schema`).
func Schema() ([]byte, error) {
	r := &invopop.Reflector{DoNotReference: true, ExpandedStruct: true}
	s := r.Reflect(&Config{})
	s.Title = "infra stack configuration (the infra: namespace)"
	return json.MarshalIndent(s, "", "  ")
}

var digitGroups = regexp.MustCompile(`(\d),(\d{3})\b`)

type compiledSchema struct {
	once   sync.Once
	schema *jsonschema.Schema
	err    error
}

func (c *compiledSchema) get() (*jsonschema.Schema, error) {
	c.once.Do(func() {
		doc, err := Schema()
		if err != nil {
			c.err = fmt.Errorf("generate config schema: %w", err)
			return
		}
		parsed, err := jsonschema.UnmarshalJSON(strings.NewReader(string(doc)))
		if err != nil {
			c.err = fmt.Errorf("parse config schema: %w", err)
			return
		}
		comp := jsonschema.NewCompiler()
		comp.AssertFormat()
		if err := comp.AddResource("infra-config.json", parsed); err != nil {
			c.err = fmt.Errorf("load config schema: %w", err)
			return
		}
		c.schema, c.err = comp.Compile("infra-config.json")
	})
	return c.schema, c.err
}

// checkSchema validates raw config (decoded JSON values) against the schema
// and adds one Problem per failing value: unknown keys, wrong types, values
// out of range. It returns the locations that failed.
// Paths in reported already have a problem (found while reading the file):
// they are pruned but not reported twice.
func checkSchema(schema *jsonschema.Schema, raw map[string]any, reported map[string]bool, ps *problems) []failure {
	err := schema.Validate(raw)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		ps.add(Namespace, "%v", err)
		return []failure{{keyOnly: false}}
	}
	var failed []failure
	printer := message.NewPrinter(language.Und)
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if _, ok := e.ErrorKind.(*kind.OneOf); ok && len(e.Causes) > 0 {
			// A value of one of several forms (a role's database: a name or
			// an object) is judged by the form it is written in: the other
			// forms' "wrong type" says nothing.
			causes := matchingForms(e)
			if len(causes) == 0 {
				path := configPath(e.InstanceLocation)
				ps.add(path, "got %s, want %s", jsonType(child(raw, e.InstanceLocation...)), formsWanted(e))
				failed = append(failed, failure{loc: e.InstanceLocation})
				return
			}
			for _, c := range causes {
				walk(c)
			}
			return
		}
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		path := configPath(e.InstanceLocation)
		if reported[path] {
			failed = append(failed, failure{loc: e.InstanceLocation})
			return
		}
		// The library groups digits (70,000); config values are written plainly.
		msg := ungroup(e.ErrorKind.LocalizedString(printer))
		switch k := e.ErrorKind.(type) {
		case *kind.Pattern:
			msg = patternMessage(k.Got, k.Want)
		case *kind.Type:
			msg = typeMessage(k, child(raw, e.InstanceLocation...), msg)
		case *kind.Enum:
			if why, ok := withdrawn[fmt.Sprint(k.Got)]; ok {
				msg = why
			}
		}
		// Name unknown keys in the path itself, the way people read them.
		if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
			for _, p := range ap.Properties {
				ps.add(key(path, p), "%s", unknownKeyMessage(e.InstanceLocation, p))
				failed = append(failed, failure{loc: append(append([]string(nil), e.InstanceLocation...), p), keyOnly: true})
			}
			return
		}
		if req, ok := e.ErrorKind.(*kind.Required); ok {
			for _, p := range req.Missing {
				ps.add(key(path, p), "required")
				failed = append(failed, failure{loc: append(append([]string(nil), e.InstanceLocation...), p), keyOnly: true})
			}
			return
		}
		ps.add(path, "%s", msg)
		failed = append(failed, failure{loc: e.InstanceLocation})
	}
	walk(ve)
	return failed
}

// matchingForms drops, from a failed oneOf, the forms the value is not
// written in: a bare type mismatch at the value itself.
func matchingForms(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		if _, wrongType := c.ErrorKind.(*kind.Type); wrongType && len(c.Causes) == 0 && slices.Equal(c.InstanceLocation, e.InstanceLocation) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// formsWanted names the types a oneOf accepts ("string or object").
func formsWanted(e *jsonschema.ValidationError) string {
	var want []string
	for _, c := range e.Causes {
		if t, ok := c.ErrorKind.(*kind.Type); ok {
			want = append(want, t.Want...)
		}
	}
	return strings.Join(want, " or ")
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "number"
}

// failure is where the schema check failed.
type failure struct {
	loc     []string
	keyOnly bool // an unknown or missing key, not a wrong value
}

// prune removes the failed locations from raw, so the rest can still be
// typed and checked. Array elements become null to keep indices stable.
func prune(raw map[string]any, failed []failure) {
	for _, f := range failed {
		loc := f.loc
		if len(loc) == 0 {
			continue
		}
		parent := child(raw, loc[:len(loc)-1]...)
		last := loc[len(loc)-1]
		switch p := parent.(type) {
		case map[string]any:
			delete(p, last)
		case []any:
			if i, err := strconv.Atoi(last); err == nil && i < len(p) {
				p[i] = nil
			}
		}
	}
}

// child is the value at loc under v, or nil.
func child(v any, loc ...string) any {
	for _, tok := range loc {
		switch t := v.(type) {
		case map[string]any:
			v = t[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
	}
	return v
}

// typeMessage says what to write for a value of the wrong type where the
// fix is known: a number in quotes, a number too large for YAML to read as
// one (it arrives as a string), a fraction where a whole number goes.
func typeMessage(k *kind.Type, got any, fallback string) string {
	numeric := false
	for _, w := range k.Want {
		numeric = numeric || w == "integer" || w == "number"
	}
	switch v := got.(type) {
	case string:
		if !numeric {
			break
		}
		digits := strings.TrimLeft(strings.TrimSpace(v), "+-")
		if digits != "" && strings.Trim(digits, "0123456789") == "" && len(digits) > 15 {
			return fmt.Sprintf("%s is too large a number (%d digits); write a whole number in the setting's range", v, len(digits))
		}
		if _, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			return fmt.Sprintf("%q is a number in quotes: write %s without quotes", v, strings.TrimSpace(v))
		}
		if len(k.Want) == 1 && k.Want[0] == "integer" {
			return fmt.Sprintf("%q is not a number: write a whole number, without quotes", v)
		}
		return fmt.Sprintf("%q is not a number: write a number, without quotes", v)
	case float64:
		if len(k.Want) == 1 && k.Want[0] == "integer" {
			return fmt.Sprintf("%v is not a whole number: write %v", v, math.Round(v))
		}
	}
	return fallback
}

// scopes are the parts of the config a schema problem makes unreliable, so
// checks that span keys are not reported there (they would only echo the
// first problem). A failed value is pruned before the cross-key checks run,
// so it spoils itself and, inside a list element, the sibling keys whose
// checks read it (siblingReaders): a port of the wrong type spoils "needs a
// port" on public and health, but not the element's env, image or
// references, which are still checked, plaintext secrets included.
func scopes(loc []string, keyOnly bool) []string {
	out := []string{configPath(loc)}
	if keyOnly {
		return out
	}
	// The innermost list element the failure is in, and the key of that
	// element it is under.
	for i := len(loc) - 2; i >= 0; i-- {
		if !isIndex(loc[i]) {
			continue
		}
		elem := loc[:i+1]
		for _, sib := range siblingReaders[loc[i+1]] {
			out = append(out, configPath(append(append([]string(nil), elem...), sib)))
		}
		break
	}
	return out
}

// siblingReaders maps a key of a list element to the keys of the same
// element whose cross-key checks read it (validate.go): with the key pruned
// they would report a consequence, not a problem.
var siblingReaders = map[string][]string{
	"port":      {"public", "health", "peers"},
	"replicas":  {"replicas", "autoscale"},
	"autoscale": {"replicas", "autoscale"},
	"name":      {"name", "public", "dependsOn"},
	"count":     {"count", "minNodes", "maxNodes"},
	"minNodes":  {"count", "minNodes", "maxNodes"},
	"maxNodes":  {"count", "minNodes", "maxNodes"},
	"metric":    {"threshold"},
	"engine":    {"pool"},
}

func ungroup(s string) string {
	for {
		next := digitGroups.ReplaceAllString(s, "$1$2")
		if next == s {
			return s
		}
		s = next
	}
}
