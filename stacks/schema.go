package stacks

import (
	"encoding/json"
	"fmt"
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
// out of range.
func checkSchema(schema *jsonschema.Schema, raw map[string]any, ps *problems) {
	err := schema.Validate(raw)
	if err == nil {
		return
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		ps.add(Namespace, "%v", err)
		return
	}
	printer := message.NewPrinter(language.English)
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		path := configPath(e.InstanceLocation)
		msg := e.ErrorKind.LocalizedString(printer)
		// Name unknown keys in the path itself, the way people read them.
		if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
			for _, p := range ap.Properties {
				ps.add(key(path, p), "unknown key")
			}
			return
		}
		ps.add(path, "%s", msg)
	}
	walk(ve)
}
