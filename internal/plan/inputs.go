package plan

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Input returns the input at a dotted path ("nodePool.size",
// "spec.template.spec.containers"), and whether it is set. Array elements
// are addressed by index ("rules.0.value").
func (r Resource) Input(path string) (any, bool) {
	return Lookup(r.Inputs, path)
}

// Lookup walks a decoded JSON value along a dotted path.
func Lookup(v any, path string) (any, bool) {
	if path == "" {
		return v, v != nil
	}
	for _, part := range strings.Split(path, ".") {
		switch t := v.(type) {
		case map[string]any:
			next, ok := t[part]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			v = t[i]
		default:
			return nil, false
		}
	}
	return v, v != nil
}

// String returns a string input; false when unset, not a string, or not
// known offline (masked or computed).
func (r Resource) String(path string) (string, bool) {
	v, ok := r.Input(path)
	s, isString := v.(string)
	if !ok || !isString || s == Masked || s == Unknown {
		return "", false
	}
	return s, true
}

// Number returns a numeric input (JSON numbers decode as float64, mocks
// may hand over ints).
func (r Resource) Number(path string) (float64, bool) {
	v, ok := r.Input(path)
	if !ok {
		return 0, false
	}
	return AsNumber(v)
}

// AsNumber converts a decoded JSON number.
func AsNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// Bool returns a boolean input.
func (r Resource) Bool(path string) (bool, bool) {
	v, ok := r.Input(path)
	b, isBool := v.(bool)
	return b, ok && isBool
}

// Annotation returns a Kubernetes object's annotation (keys hold dots, so
// they cannot be addressed by a dotted path).
func (r Resource) Annotation(key string) (string, bool) {
	v, _ := r.Input("metadata.annotations")
	m, _ := v.(map[string]any)
	s, ok := m[key].(string)
	return s, ok
}

// List returns an array input.
func (r Resource) List(path string) []any {
	v, _ := r.Input(path)
	l, _ := v.([]any)
	return l
}

// ByType returns the plan's resources of one type token, in plan order.
func (p *Plan) ByType(typ string) []Resource {
	var out []Resource
	for _, r := range p.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Topology is the stack's topology: from the config when the plan was
// made in this process, else from the recorded outputs (plan.json).
func (p *Plan) Topology() string {
	if p.Config != nil {
		return string(p.Config.Topology)
	}
	s, _ := p.Outputs["topology"].(string)
	return s
}

// ReadJSON reads a plan.json written by Write (for example the base
// branch's plan, to compare costs). Config and artifacts are not in it.
func ReadJSON(path string) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decode plan %s: %w", path, err)
	}
	if p.Outputs == nil {
		p.Outputs = map[string]any{}
	}
	return &p, nil
}
