package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParseStackFile feeds arbitrary stack files to the config loader,
// aliases and merge keys included: it must answer with a Config or a
// ConfigError listing problems, never panic or hang.
func FuzzParseStackFile(f *testing.F) {
	f.Add([]byte(validStack))
	f.Add([]byte("config:\n  infra:services: [{name: a, image: b, port: -1}]\n"))
	f.Add([]byte("config:\n  infra:database: {engine: external, databases: [{name: x}]}\n"))
	f.Add([]byte("config: [1, 2]\n"))
	f.Add([]byte("config:\n  infra:secrets: {a: {secure: x}, b: [1]}\n"))
	// Aliases and merge keys: the loader reads them (within limits), so the
	// fuzzer starts from them.
	f.Add([]byte(aliasBomb()))
	f.Add([]byte(mergeBomb()))
	f.Add([]byte("config:\n  infra:environment: dev\n  infra:x: &x { A: \"1\", B: \"2\" }\n  infra:y: *x\n  infra:z: { <<: *x, C: \"3\" }\n"))
	f.Add(unknownKeys(50))
	for _, pattern := range []string{"../../Pulumi.*.yaml", "../../examples/*/Pulumi.*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		go func() {
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				panic(fmt.Sprintf("hang on %q", data))
			}
		}()
		defer close(done)
		raw, err := ParseStackFile("fuzz.yaml", data)
		if err == nil {
			var cfg *Config
			cfg, err = Parse(raw)
			if err == nil && cfg == nil {
				t.Fatal("no config and no error")
			}
		}
		var cfgErr *ConfigError
		if errors.As(err, &cfgErr) && len(cfgErr.Problems) == 0 {
			t.Fatal("a ConfigError must list at least one problem")
		}
	})
}
