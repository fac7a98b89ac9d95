package providercheck

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// The real schemas of the providers the program uses, byte for byte from
// their releases (see schemas/README.md for where each came from).
//
//go:embed schemas/*.json
var schemaFiles embed.FS

// packageSchema is the part of a Pulumi package schema the checks read.
type packageSchema struct {
	Name     string `json:"name"`
	Provider struct {
		InputProperties map[string]*property `json:"inputProperties"`
		RequiredInputs  []string             `json:"requiredInputs"`
	} `json:"provider"`
	Resources map[string]*resourceSpec `json:"resources"`
	Functions map[string]*functionSpec `json:"functions"`
	Types     map[string]*typeSpec     `json:"types"`
	// file is the embedded file the schema came from (for messages).
	file string
}

// property is a schema property or type reference.
type property struct {
	Type                 string      `json:"type"`
	Ref                  string      `json:"$ref"`
	Items                *property   `json:"items"`
	AdditionalProperties *property   `json:"additionalProperties"`
	OneOf                []*property `json:"oneOf"`
	Const                any         `json:"const"`
}

type resourceSpec struct {
	InputProperties map[string]*property `json:"inputProperties"`
	RequiredInputs  []string             `json:"requiredInputs"`
	IsComponent     bool                 `json:"isComponent"`
}

type functionSpec struct {
	Inputs *struct {
		Properties map[string]*property `json:"properties"`
		Required   []string             `json:"required"`
	} `json:"inputs"`
}

type typeSpec struct {
	Type       string               `json:"type"`
	Properties map[string]*property `json:"properties"`
	Required   []string             `json:"required"`
	Enum       []struct {
		Value any `json:"value"`
	} `json:"enum"`
}

// loadSchemas reads every embedded schema, keyed by package name.
func loadSchemas() (map[string]*packageSchema, error) {
	entries, err := fs.ReadDir(schemaFiles, "schemas")
	if err != nil {
		return nil, fmt.Errorf("read embedded schemas: %w", err)
	}
	out := map[string]*packageSchema{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := schemaFiles.ReadFile(path.Join("schemas", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read schema %s: %w", e.Name(), err)
		}
		var s packageSchema
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("parse schema %s: %w", e.Name(), err)
		}
		if s.Name == "" {
			return nil, fmt.Errorf("schema %s has no package name", e.Name())
		}
		if _, dup := out[s.Name]; dup {
			return nil, fmt.Errorf("schema %s: package %q already loaded", e.Name(), s.Name)
		}
		s.file = e.Name()
		out[s.Name] = &s
	}
	return out, nil
}

// typeRef resolves a local "#/types/<token>" reference.
func (s *packageSchema) typeRef(ref string) (*typeSpec, bool) {
	tok, ok := strings.CutPrefix(ref, "#/types/")
	if !ok {
		return nil, false
	}
	t, ok := s.Types[tok]
	return t, ok
}
