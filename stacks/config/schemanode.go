package config

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SchemaNode returns the part of Schema() at a config path written the way
// problems are reported: `database.roles[].databases[]` is the schema of
// one entry of a role's databases, `database.roles[].databases[].access`
// the access field of its object form. It lets a reader (an editor plugin, a
// test) ask what one field accepts without walking the document itself.
func SchemaNode(path string) (map[string]any, error) {
	doc, err := Schema()
	if err != nil {
		return nil, err
	}
	var node map[string]any
	if err := json.Unmarshal(doc, &node); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	for _, part := range strings.Split(path, ".") {
		name, items := strings.CutSuffix(part, "[]")
		next, ok := field(node, name)
		if !ok {
			return nil, fmt.Errorf("schema: no field %q in %s", name, path)
		}
		node = next
		if items {
			next, ok := node["items"].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("schema: %s in %s is not a list", name, path)
			}
			node = next
		}
	}
	return node, nil
}

// field finds name among the node's properties, or among those of its
// oneOf alternatives (a field written either as a plain name or as an
// object is a oneOf).
func field(node map[string]any, name string) (map[string]any, bool) {
	props, _ := node["properties"].(map[string]any)
	if f, ok := props[name].(map[string]any); ok {
		return f, true
	}
	forms, _ := node["oneOf"].([]any)
	for _, form := range forms {
		if alt, ok := form.(map[string]any); ok {
			if f, ok := field(alt, name); ok {
				return f, true
			}
		}
	}
	return nil, false
}

// SchemaEnum returns the values the schema allows at path, in schema
// order, or an error when the field there is not an enum.
func SchemaEnum(path string) ([]string, error) {
	node, err := SchemaNode(path)
	if err != nil {
		return nil, err
	}
	list, ok := node["enum"].([]any)
	if !ok {
		return nil, fmt.Errorf("schema: %s is not an enum", path)
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("schema: %s allows the non-string %v", path, v)
		}
		out = append(out, s)
	}
	return out, nil
}
