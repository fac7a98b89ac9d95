package dotype

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Every token names a resource or function of the DigitalOcean provider
// at the pinned version: its own schema, the copy the stand-in providers
// check inputs by.
func TestTokensAreInTheProviderSchema(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "providercheck", "schemas", "digitalocean-v4.57.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Name      string                     `json:"name"`
		Resources map[string]json.RawMessage `json:"resources"`
		Functions map[string]json.RawMessage `json:"functions"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	if schema.Name != Package {
		t.Errorf("schema of package %q, tokens of %q", schema.Name, Package)
	}
	for _, tok := range Resources() {
		if _, ok := schema.Resources[tok]; !ok {
			t.Errorf("%s is not a resource of the provider", tok)
		}
	}
	for _, tok := range Functions() {
		if _, ok := schema.Functions[tok]; !ok {
			t.Errorf("%s is not a function of the provider", tok)
		}
	}
}
