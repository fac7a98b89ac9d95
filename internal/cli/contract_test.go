package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"infra/stacks"
)

func TestSensitiveProperties(t *testing.T) {
	tests := []struct {
		name    string
		schema  string
		want    []string
		wantErr string
	}{
		{name: "flagged, unflagged and absent", schema: `{"properties": {
			"a": {"x-sensitive": true}, "b": {"x-sensitive": false}, "c": {"type": "string"},
			"d": {"type": "object", "properties": {"e": {"x-sensitive": true}}}}}`, want: []string{"a"}},
		{name: "no properties", schema: `{"type": "object"}`, want: []string{}},
		{name: "flag not a boolean", schema: `{"properties": {"a": {"x-sensitive": "yes"}}}`, wantErr: "a.x-sensitive"},
		{name: "not JSON", schema: `{`, wantErr: "parse outputs schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := sensitiveProperties([]byte(tt.schema))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, 0, len(m))
			for k := range m {
				got = append(got, k)
			}
			sort.Strings(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("sensitive = %v, want %v", got, tt.want)
			}
		})
	}
}

// The redaction list is the schema's: the two outputs the CLI has always
// treated as secret are flagged there.
func TestSensitiveOutputsComeFromTheSchema(t *testing.T) {
	got := SensitiveOutputs()
	for _, k := range []string{"connectionStrings", KubeconfigOutput} {
		if !slices.Contains(got, k) {
			t.Errorf("SensitiveOutputs() = %v, lacks %s", got, k)
		}
	}
}

// schemaDoc is the embedded schema as plain JSON values.
func schemaDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(OutputsSchema, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// walkSchema calls f on every subschema of s (not into "if": a condition
// describes nothing), with its JSON pointer.
func walkSchema(ptr string, s any, f func(ptr string, s map[string]any)) {
	m, ok := s.(map[string]any)
	if !ok {
		return
	}
	f(ptr, m)
	for _, kw := range []string{"items", "additionalProperties", "propertyNames", "then", "else", "not"} {
		walkSchema(ptr+"/"+kw, m[kw], f)
	}
	for _, kw := range []string{"properties", "$defs"} {
		sub, _ := m[kw].(map[string]any)
		for k, v := range sub {
			walkSchema(ptr+"/"+kw+"/"+k, v, f)
		}
	}
	for _, kw := range []string{"anyOf", "allOf", "oneOf"} {
		list, _ := m[kw].([]any)
		for i, v := range list {
			walkSchema(fmt.Sprintf("%s/%s/%d", ptr, kw, i), v, f)
		}
	}
}

// The contract is closed and documented: an object schema says what else
// it admits (false where it lists properties, a typed map otherwise),
// every listed property has a description, x-sensitive flags only
// top-level outputs, and each of those admits the redacted placeholder.
func TestOutputsSchemaIsClosedAndDocumented(t *testing.T) {
	doc := schemaDoc(t)
	objects := 0
	walkSchema("", doc, func(ptr string, s map[string]any) {
		if s["type"] == "object" {
			objects++
			ap, has := s["additionalProperties"]
			switch {
			case !has:
				t.Errorf("%s: an object without additionalProperties admits any key", ptr)
			case s["properties"] != nil && ap != false:
				t.Errorf("%s: lists properties but admits others (additionalProperties %v)", ptr, ap)
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, v := range props {
			if p, ok := v.(map[string]any); ok {
				if d, _ := p["description"].(string); strings.TrimSpace(d) == "" {
					t.Errorf("%s/properties/%s: no description", ptr, k)
				}
			}
		}
		if _, flagged := s[sensitiveKeyword]; flagged {
			if !regexp.MustCompile(`^/properties/[^/]+$`).MatchString(ptr) {
				t.Errorf("%s: %s flags only top-level outputs (the CLI redacts whole outputs)", ptr, sensitiveKeyword)
			}
			if b, _ := json.Marshal(s["anyOf"]); !strings.Contains(string(b), `"#/$defs/redacted"`) {
				t.Errorf("%s: a sensitive output must admit the redacted placeholder (anyOf #/$defs/redacted)", ptr)
			}
		}
	})
	if objects < 5 {
		t.Errorf("walked %d object schemas: the walk is broken", objects)
	}
}

// The schema's version is the program's.
func TestOutputsSchemaVersionIsTheProgramsVersion(t *testing.T) {
	doc := schemaDoc(t)
	props, _ := doc["properties"].(map[string]any)
	cv, _ := props["contractVersion"].(map[string]any)
	if got, want := cv["const"], float64(stacks.ContractVersion); got != want {
		t.Errorf("schema contractVersion const = %v, program's ContractVersion = %v", got, want)
	}
	if req, _ := doc["required"].([]any); !slices.Contains(req, any("contractVersion")) {
		t.Errorf("contractVersion is not required (required: %v)", req)
	}
}

// docs/cli.md documents the contract of this version: a row per output,
// sensitive ones marked secret, and every key of the vps and kubernetes
// objects.
func TestDocsListTheOutputContract(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	heading := fmt.Sprintf("## Output contract (version %d)\n", stacks.ContractVersion)
	_, section, ok := strings.Cut(string(b), heading)
	if !ok {
		t.Fatalf("docs/cli.md has no %q", strings.TrimSpace(heading))
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[string]string{}
	for line := range strings.Lines(section) {
		if m := regexp.MustCompile("^\\| `([A-Za-z]+)` \\|").FindStringSubmatch(line); m != nil {
			rows[m[1]] = line
		}
	}
	doc := schemaDoc(t)
	props, _ := doc["properties"].(map[string]any)
	sensitive := sensitive()
	for k, v := range props {
		row, ok := rows[k]
		if !ok {
			t.Errorf("docs/cli.md: no row for output %s", k)
			continue
		}
		if got := strings.Contains(row, "**secret**"); got != sensitive[k] {
			t.Errorf("docs/cli.md: %s marked secret = %v, the schema's x-sensitive = %v", k, got, sensitive[k])
		}
		nested, _ := v.(map[string]any)["properties"].(map[string]any)
		for n := range nested {
			if !strings.Contains(row, n) {
				t.Errorf("docs/cli.md: the %s row does not name its key %s", k, n)
			}
		}
	}
	for k := range rows {
		if _, ok := props[k]; !ok {
			t.Errorf("docs/cli.md documents output %s, which the schema does not have", k)
		}
	}
}
