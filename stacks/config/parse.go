package config

import (
	"encoding/json"
	"fmt"
	"strings"
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
	reported := make(map[string]bool, len(raw.Problems))
	for _, p := range raw.Problems {
		reported[p.Path] = true
	}
	failed := checkSchema(schema, raw.Values, reported, ps)
	values := raw.Values
	if len(failed) > 0 {
		values = deepCopy(raw.Values).(map[string]any)
		prune(values, failed)
	}
	b, err := json.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	var cfg Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		if len(ps.list) == 0 {
			ps.add(Namespace, "%v", err)
		}
		return nil, ps.err(raw.Source)
	}
	applyDefaults(&cfg)
	cross := &problems{}
	validate(&cfg, cross)
	var spoiled []string
	for _, f := range failed {
		spoiled = append(spoiled, scopes(f.loc, f.keyOnly)...)
	}
	for _, p := range cross.list {
		if !within(p.Path, spoiled) {
			ps.list = append(ps.list, p)
		}
	}
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

func within(path string, scopes []string) bool {
	for _, s := range scopes {
		if path == s || strings.HasPrefix(path, s+".") || strings.HasPrefix(path, s+"[") {
			return true
		}
	}
	return false
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}
