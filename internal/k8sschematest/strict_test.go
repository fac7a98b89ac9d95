package k8sschematest

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestStrictify(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{{
		name: "object with properties is closed",
		in:   `{"type":"object","properties":{"a":{"type":"string"}}}`,
		want: `{"additionalProperties":false,"properties":{"a":{"type":"string"}},"type":"object"}`,
	}, {
		name: "maps keep their additionalProperties",
		in:   `{"type":"object","additionalProperties":{"type":"object","properties":{"x":{}}}}`,
		want: `{"additionalProperties":{"additionalProperties":false,"properties":{"x":{}},"type":"object"},"type":"object"}`,
	}, {
		name: "free-form objects stay open",
		in:   `{"type":"object"}`,
		want: `{"type":"object"}`,
	}, {
		name: "preserve-unknown-fields stays open",
		in:   `{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"a":{}}}`,
		want: `{"properties":{"a":{}},"type":"object","x-kubernetes-preserve-unknown-fields":true}`,
	}, {
		name: "allOf ref wrappers and default values are left alone",
		in:   `{"type":"array","items":{"allOf":[{"$ref":"#/x"}],"default":{"properties":{}}}}`,
		want: `{"items":{"allOf":[{"$ref":"#/x"}],"default":{"properties":{}}},"type":"array"}`,
	}, {
		name: "a property called properties is a schema, not a keyword",
		in:   `{"properties":{"properties":{"type":"object","additionalProperties":{"type":"string"}}}}`,
		want: `{"additionalProperties":false,"properties":{"properties":{"additionalProperties":{"type":"string"},"type":"object"}}}`,
	}, {
		name: "int-or-string becomes anyOf",
		in:   `{"x-kubernetes-int-or-string":true}`,
		want: `{"anyOf":[{"type":"integer"},{"type":"string"}],"x-kubernetes-int-or-string":true}`,
	}, {
		name: "nullable adds null",
		in:   `{"type":"string","nullable":true}`,
		want: `{"type":["string","null"]}`,
	}, {
		name: "embedded resource accepts the object header",
		in:   `{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"object"}}}`,
		want: `{"additionalProperties":false,"properties":{"apiVersion":{"type":"string"},"kind":{"type":"string"},"metadata":{"type":"object"},"spec":{"type":"object"}},"type":"object","x-kubernetes-embedded-resource":true}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sch any
			if err := json.Unmarshal([]byte(tt.in), &sch); err != nil {
				t.Fatal(err)
			}
			strictify(sch)
			got, err := json.Marshal(sch)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("strictify(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	c := newCompiler()
	schema := map[string]any{"properties": map[string]any{
		"i32": map[string]any{"type": "integer", "format": "int32"},
		"b":   map[string]any{"type": "string", "format": "byte"},
		"dur": map[string]any{"type": "string", "format": "duration"},
		"ts":  map[string]any{"type": "string", "format": "date-time"},
	}}
	if err := c.AddResource("https://k8sschema.invalid/formats.json", schema); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("https://k8sschema.invalid/formats.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		value string
		valid bool
	}{
		{"int32 max", `{"i32": 2147483647}`, true},
		{"int32 overflow", `{"i32": 2147483648}`, false},
		{"int32 underflow", `{"i32": -2147483649}`, false},
		{"base64", `{"b": "c2VjcmV0"}`, true},
		{"not base64", `{"b": "secret!"}`, false},
		{"go duration is not judged by ISO 8601", `{"dur": "1h30m"}`, true},
		{"RFC 3339 time", `{"ts": "2025-01-02T03:04:05Z"}`, true},
		{"not a time", `{"ts": "yesterday"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inst any
			dec := json.NewDecoder(strings.NewReader(tt.value))
			dec.UseNumber()
			if err := dec.Decode(&inst); err != nil {
				t.Fatal(err)
			}
			err := sch.Validate(inst)
			if (err == nil) != tt.valid {
				t.Errorf("Validate(%s) = %v, want valid=%v", tt.value, err, tt.valid)
			}
		})
	}
}

func TestFormatPath(t *testing.T) {
	obj := map[string]any{
		"spec": map[string]any{
			"containers": []any{map[string]any{"name": "a"}},
		},
		"metadata": map[string]any{"labels": map[string]any{"0": "x", "app.kubernetes.io/name": "web"}},
	}
	tests := []struct {
		loc  []string
		want string
	}{
		{nil, ""},
		{[]string{"spec", "containers", "0", "name"}, "spec.containers[0].name"},
		{[]string{"metadata", "labels", "0"}, `metadata.labels["0"]`},
		{[]string{"metadata", "labels", "app.kubernetes.io/name"}, `metadata.labels["app.kubernetes.io/name"]`},
		{[]string{"spec", "missing", "deeper"}, "spec.missing.deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := formatPath(obj, tt.loc); got != tt.want {
				t.Errorf("formatPath(%q) = %q, want %q", tt.loc, got, tt.want)
			}
		})
	}
}
