package stacks

import (
	"encoding/json"
	"fmt"
)

// Parse types and validates raw config: the schema first (unknown keys,
// wrong types, ranges), then the rules that span keys (references, secrets,
// topology). It returns every problem at once as a *ConfigError, or a
// Config with defaults applied.
func Parse(raw *Raw) (*Config, error) {
	ps := &problems{list: append([]Problem(nil), raw.Problems...)}
	for _, p := range raw.SecretsArePlain {
		ps.add(p, "must be a secret: set it with `pulumi config set --secret --path '%s'`", p)
	}
	schema, err := compiled.get()
	if err != nil {
		return nil, err
	}
	checkSchema(schema, raw.Values, ps)
	if len(ps.list) > 0 {
		// Typed decoding of a value of the wrong shape would only repeat
		// what the schema said.
		return nil, ps.err(raw.Source)
	}
	b, err := json.Marshal(raw.Values)
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	var cfg Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		ps.add(Namespace, "%v", err)
		return nil, ps.err(raw.Source)
	}
	applyDefaults(&cfg)
	validate(&cfg, ps)
	if err := ps.err(raw.Source); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// compiled is the schema compiled once per process; it is derived from the
// Config type alone, so sharing it is safe.
var compiled compiledSchema

// LoadFile reads and validates a stack file in one step.
func LoadFile(path string) (*Config, *Raw, error) {
	raw, err := ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := Parse(raw)
	return cfg, raw, err
}
