package clitest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	pulumisdk "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/cli"
	"infra/internal/enginetest"
	"infra/stacks/config"
)

// sealSecrets seals the FocusDeck copy's secrets with the test passphrase
// (enginetest.SealSecrets says how).
func sealSecrets(t *testing.T, e *enginetest.Engine, dir, stack, doc string) []string {
	t.Helper()
	return enginetest.SealSecrets(t, e, "focusdeck", dir, stack, doc)
}

// The example as committed, its secrets placeholders: every command that
// would have the engine decrypt them refuses first, by path, and leaves the
// backend without the stack. The engine on its own fails on them with a
// message that names no entry.
func TestEnginePlaceholderSecretsRefused(t *testing.T) {
	s, e := newSession(t)
	dir := t.TempDir()
	src := filepath.Join("..", "..", "examples", "focusdeck")
	for _, f := range []string{"Pulumi.yaml", "Pulumi.prod.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, f), b)
	}
	raw, err := config.ReadFile(config.StackFile(dir, "prod"))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.Placeholders()) == 0 {
		t.Fatal("the committed example holds no placeholder")
	}
	for _, args := range [][]string{{"preview"}, {"up", "--yes"}, {"refresh"}, {"destroy", "--yes", "--confirm", "prod"}} {
		r := s.must(cli.ExitConfig, append(args, "--stack", "prod", "--dir", dir)...)
		for _, v := range raw.Placeholders() {
			want := "`pulumi config set --secret --path '" + v.Path + "' --stack prod`"
			if !strings.Contains(r.stderr, v.Path+": a placeholder, not a secret: set it with "+want) {
				t.Errorf("%s: the refusal lacks %s:\n%s", args[0], want, r.stderr)
			}
		}
	}
	if _, err := os.Stat(e.StatePath("focusdeck", "prod")); !os.IsNotExist(err) {
		t.Errorf("the stack reached the backend: %v", err)
	}

	// What the refusal spares the user: the engine's own words.
	ctx := context.Background()
	noop := func(*pulumisdk.Context) error { return nil }
	stack := e.Stack(ctx, t, "focusdeck", "prod", noop, auto.WorkDir(dir))
	_, err = stack.Refresh(ctx)
	if err == nil || !strings.Contains(err.Error(), "message authentication failed") {
		t.Fatalf("the engine on placeholder secrets: %v, want it to fail to decrypt them", err)
	}
	for _, v := range raw.Placeholders() {
		if strings.Contains(err.Error(), v.Path) {
			t.Errorf("the engine names %s after all; the refusal is still the one that lists every entry", v.Path)
		}
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
