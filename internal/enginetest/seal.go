package enginetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/stacks/config"
)

// The example's infra:secrets are encrypted for the team's own stack (and
// some are mere placeholders): the test passphrase cannot decrypt them, and
// the engine stops at "validating stack config: bad value". The copy gets
// values of its own, encrypted by the pulumi CLI itself with the test
// passphrase, the way a user sets them:
//
//	pulumi config set --secret --path 'infra:secrets.<name>' --stack <stack>
//
// A scratch file backend holds the stack while its secrets are set, so the
// backend under test still starts empty. The passphrase provider's salt
// lands in the stack file, and the stack created later in the backend under
// test takes that salt: the values decrypt there.

// SealSecrets replaces every infra:secrets entry of the stack file doc by a
// fresh random value, encrypted with the test passphrase, and writes the
// stack file into dir. It returns the random part of each value: no backend
// file, stack file or printed line may ever contain one.
func SealSecrets(t testing.TB, e *Engine, project, dir, stack, doc string) []string {
	t.Helper()
	raw, err := config.ParseStackFile(config.StackFile(dir, stack), []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := raw.Values[config.SecretsKey].(map[string]any)
	if len(entries) == 0 {
		t.Fatalf("the example has no %s:%s: nothing to seal", config.Namespace, config.SecretsKey)
	}
	// The external database's URL is read as a URI when infra dumps it.
	db, _ := raw.Values["database"].(map[string]any)
	dbURL, _ := db["externalUrlSecret"].(string)
	var needles []string
	settings := auto.ConfigMap{}
	for name := range entries {
		value, needle := secretValue(t, name)
		if name == dbURL {
			// The random part is the password: a URI's userinfo takes
			// letters, digits and '-' as they are.
			value = "postgresql://app:" + needle + "@db.example.test:5432/postgres?sslmode=require"
		}
		needles = append(needles, needle)
		settings[config.Namespace+":"+config.SecretsKey+"."+name] = auto.ConfigValue{Value: value, Secret: true}
	}
	sort.Strings(needles)
	if err := os.WriteFile(config.StackFile(dir, stack), []byte(withoutKey(t, doc, config.Namespace+":"+config.SecretsKey)), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	scratch := NewFileBackend(t)
	noop := func(*pulumi.Context) error { return nil }
	s := e.Stack(ctx, t, project, stack, noop,
		auto.WorkDir(dir), auto.EnvVars(scratch), auto.PulumiHome(scratch["PULUMI_HOME"]))
	if err := s.SetAllConfigWithOptions(ctx, settings, &auto.ConfigOptions{Path: true}); err != nil {
		t.Fatalf("pulumi config set --secret: %v", err)
	}
	sealed, err := config.ReadFile(config.StackFile(dir, stack))
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed.SecretsArePlain) > 0 {
		t.Fatalf("secrets not encrypted: %v", sealed.SecretsArePlain)
	}
	got, _ := sealed.Values[config.SecretsKey].(map[string]any)
	if len(got) != len(needles) {
		t.Fatalf("the stack file holds %d secrets, want %d", len(got), len(needles))
	}
	for _, n := range needles {
		if b, _ := os.ReadFile(config.StackFile(dir, stack)); strings.Contains(string(b), n) {
			t.Fatal("a secret is in plain text in the stack file")
		}
	}
	return needles
}

// secretValue is a random value for a secret, shaped like what it holds,
// and its random part (a key spans lines, which JSON state would escape).
func secretValue(t testing.TB, name string) (value, needle string) {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	needle = "enginetest-" + name + "-" + hex.EncodeToString(b)
	if strings.Contains(name, "ssh") {
		return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + needle + "\n-----END OPENSSH PRIVATE KEY-----\n", needle
	}
	return needle, needle
}

// withoutKey drops a top-level config key (its line and the indented lines
// under it) from a stack file.
func withoutKey(t testing.TB, doc, key string) string {
	t.Helper()
	lines := strings.SplitAfter(doc, "\n")
	var kept []string
	found, inside := false, false
	for _, l := range lines {
		trimmed := strings.TrimSpace(l)
		indent := len(l) - len(strings.TrimLeft(l, " "))
		switch {
		case strings.HasPrefix(l, "  "+key+":"):
			found, inside = true, true
			continue
		case inside && (trimmed == "" || indent > 2):
			continue
		}
		inside = false
		kept = append(kept, l)
	}
	if !found {
		t.Fatalf("the stack file has no %s", key)
	}
	return strings.Join(kept, "")
}
