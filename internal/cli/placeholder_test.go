package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	sdkconfig "github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/spf13/cobra"

	"infra/internal/placeholder"
	"infra/internal/stacktest"
	"infra/stacks/config"
)

// Every secure value of every committed stack file is a placeholder, so a
// real-looking value committed by mistake (a secret, or a ciphertext that
// only the author's passphrase opens) fails here; and preview refuses each
// file before the engine, listing every one of its secrets by path with
// the command that sets it.
func TestCommittedStackFilesHoldOnlyPlaceholders(t *testing.T) {
	files, err := stacktest.Committed(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("found %d committed stack files, want at least 8", len(files))
	}
	total := 0
	for _, file := range files {
		t.Run(filepath.ToSlash(filepath.Join(file.Dir, filepath.Base(file.Path))), func(t *testing.T) {
			raw, err := config.ReadFile(file.Path)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(file.Path)
			if err != nil {
				t.Fatal(err)
			}
			// The reader saw every `secure:` of the file.
			if n := strings.Count(string(b), "secure:"); len(raw.Secure) != n || n == 0 {
				t.Fatalf("the reader recorded %d secure values, the file has %d `secure:` keys; want the same, and more than 0", len(raw.Secure), n)
			}
			if len(raw.SecretsArePlain) > 0 {
				t.Errorf("secrets in plain text: %v", raw.SecretsArePlain)
			}
			for _, v := range raw.Secure {
				if !placeholder.Is(v.Ciphertext) {
					t.Errorf("%s is not a placeholder (%.24s...): commit only placeholders, `pulumi config set --secret` writes the real value locally", v.Path, v.Ciphertext)
				}
			}
			total += len(raw.Secure)

			f := &fakeStack{}
			r := runWith(context.Background(), t, previewCmd(f, nil), "preview", "--stack", file.Stack, "--dir", filepath.Dir(file.Path))
			if r.code != ExitConfig {
				t.Fatalf("preview: exit %d, want %d: %v", r.code, ExitConfig, r.err)
			}
			for _, v := range raw.Secure {
				want := v.Path + ": a placeholder, not a secret: set it with `pulumi config set --secret --path '" + v.Path + "' --stack " + file.Stack + "`"
				if !strings.Contains(r.err.Error(), want) {
					t.Errorf("the refusal lacks %q:\n%v", want, r.err)
				}
			}
			if calls := f.Calls(); len(calls) != 0 || f.name != "" {
				t.Errorf("the stack was opened (%q) or the engine reached: %v", f.name, calls)
			}
		})
	}
	t.Logf("%d secure values in %d stack files, all placeholders", total, len(files))
}

// preview and up (and refresh and destroy) refuse placeholder secrets
// with the config exit code, before the stack is opened: every path in one
// error, each with the exact command for this stack; --json carries them
// as problems. A config problem elsewhere is listed in the same error.
// plan and validate never decrypt, and accept them.
func TestPlaceholderSecretsRefusedBeforeTheEngine(t *testing.T) {
	dir := testProject(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "focusdeck", "Pulumi.prod.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	unset := strings.Replace(string(b), "infra:environment: prod", "infra:environment: canary", 1)
	bad := strings.Replace(unset, "size: s-2vcpu-4gb\n    sshKeys", "size: s-99vcpu-1tb\n    sshKeys", 1)
	for name, doc := range map[string]string{"Pulumi.canary.yaml": unset, "Pulumi.broken.yaml": bad} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	secrets := []string{"deploy-ssh-key", "spaces-access-key", "spaces-secret-key", "slack-webhook", "smtp-password", "pagerduty-key", "deadmansswitch-url"}
	preview := func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) }
	up := func(f *fakeStack) func(*IO) *cobra.Command { return upCmd(context.Background(), f) }
	refresh := func(f *fakeStack) func(*IO) *cobra.Command { return refreshCmd(f) }
	destroy := func(f *fakeStack) func(*IO) *cobra.Command { return destroyCmd(f) }
	tests := []struct {
		name  string
		cmd   func(*fakeStack) func(*IO) *cobra.Command
		args  []string
		stack string
		extra string // another problem the same error lists
	}{
		{"preview", preview, []string{"preview"}, "canary", ""},
		{"up", up, []string{"up", "--yes"}, "canary", ""},
		{"up --json", up, []string{"up", "--yes", "--json"}, "canary", ""},
		{"preview, and a config problem", preview, []string{"preview"}, "broken", "infra:vps.size: "},
		// The engine decrypts the stack's secrets before a refresh or a
		// destroy too, even of an empty stack.
		{"refresh", refresh, []string{"refresh"}, "canary", ""},
		{"destroy", destroy, []string{"destroy", "--yes", "--confirm", "canary"}, "canary", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeStack{}
			r := runWith(context.Background(), t, tt.cmd(f), append(tt.args, "--stack", tt.stack, "--dir", dir)...)
			if r.code != ExitConfig {
				t.Fatalf("exit %d, want %d: %v", r.code, ExitConfig, r.err)
			}
			msg := r.err.Error()
			for _, name := range secrets {
				path := "infra:secrets." + name
				want := "\n  - " + path + ": a placeholder, not a secret: set it with `pulumi config set --secret --path '" + path + "' --stack " + tt.stack + "`"
				if !strings.Contains(msg, want) {
					t.Errorf("the refusal lacks %q:\n%s", want, msg)
				}
			}
			if want := "7 secret(s) of stack " + tt.stack + " are placeholders"; !strings.Contains(msg, want) {
				t.Errorf("the refusal lacks %q:\n%s", want, msg)
			}
			if tt.extra != "" && !strings.Contains(msg, "\n  - "+tt.extra) {
				t.Errorf("the refusal lacks the other problem %q:\n%s", tt.extra, msg)
			}
			if calls := f.Calls(); len(calls) != 0 || f.name != "" {
				t.Errorf("the stack was opened (%q) or the engine reached: %v", f.name, calls)
			}
			if !slices.Contains(tt.args, "--json") {
				return
			}
			var rep Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("not a JSON report: %v\n%s", err, r.stdout)
			}
			paths := map[string]bool{}
			for _, p := range rep.Problems {
				paths[p.Path] = strings.Contains(p.Message, "pulumi config set --secret --path '"+p.Path+"' --stack "+tt.stack)
			}
			for _, name := range secrets {
				if !paths["infra:secrets."+name] {
					t.Errorf("the report's problems lack infra:secrets.%s with its command: %+v", name, rep.Problems)
				}
			}
			if rep.ExitCode != ExitConfig {
				t.Errorf("report exitCode %d, want %d", rep.ExitCode, ExitConfig)
			}
		})
	}

	t.Run("plan and validate accept placeholders", func(t *testing.T) {
		if code, out, errOut := runInfra("plan", "--stack", "canary", "--dir", dir, "--out", t.TempDir()); code != ExitOK {
			t.Errorf("plan: exit %d: %s%s", code, out, errOut)
		}
		if code, out, errOut := runInfra("validate", "--stack", "canary", "--dir", dir); code != ExitOK {
			t.Errorf("validate: exit %d: %s%s", code, out, errOut)
		}
	})
}

// A value the passphrase provider wrote (a random nonce) is not a
// placeholder: a stack holding such values passes the check and reaches
// the engine.
func TestRandomNonceIsNotAPlaceholder(t *testing.T) {
	key := make([]byte, sdkconfig.SymmetricCrypterKeyBytes)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	crypter := sdkconfig.NewSymmetricCrypter(key)
	for i := 0; i < 100; i++ {
		v, err := crypter.EncryptValue(context.Background(), "a secret")
		if err != nil {
			t.Fatal(err)
		}
		if placeholder.Is(v) {
			t.Fatalf("%s is taken for a placeholder", v)
		}
	}
	dir := testProject(t) // its secrets set by stacktest.SetSecrets, random nonces
	f := &fakeStack{previewEvents: evs{summary(map[apitype.OpType]int{"same": 1})}}
	if r := runWith(context.Background(), t, previewCmd(f, nil), "preview", "--stack", "prod", "--dir", dir); r.code != ExitOK {
		t.Fatalf("preview with the secrets set: exit %d: %v", r.code, r.err)
	}
	if calls := f.Calls(); !slices.Contains(calls, "preview") {
		t.Errorf("engine calls %v: no preview", calls)
	}
}
