package config

import (
	"encoding/json"
	"fmt"
	"regexp"
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
func checkSchema(schema *jsonschema.Schema, raw map[string]any, ps *problems) []failure {
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
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		path := configPath(e.InstanceLocation)
		// The library groups digits (70,000); config values are written plainly.
		msg := ungroup(e.ErrorKind.LocalizedString(printer))
		// Name unknown keys in the path itself, the way people read them.
		if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
			for _, p := range ap.Properties {
				ps.add(key(path, p), "unknown key")
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
		var parent any = raw
		for _, tok := range loc[:len(loc)-1] {
			parent = child(parent, tok)
		}
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

func child(v any, tok string) any {
	switch t := v.(type) {
	case map[string]any:
		return t[tok]
	case []any:
		if i, err := strconv.Atoi(tok); err == nil && i < len(t) {
			return t[i]
		}
	}
	return nil
}

// scope is the part of the config a schema problem makes unreliable, so
// checks that span keys are not reported there (they would only echo the
// first problem): a wrong value inside a list element (services[0].port)
// spoils that element; anything else spoils only itself.
func scope(loc []string, keyOnly bool) string {
	if !keyOnly && len(loc) >= 2 && isIndex(loc[len(loc)-2]) {
		return configPath(loc[:len(loc)-1])
	}
	return configPath(loc)
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
