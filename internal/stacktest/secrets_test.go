package stacktest_test

import (
	"strings"
	"testing"

	"infra/internal/stacktest"
	"infra/stacks/config"
)

// SetSecrets leaves no placeholder, touches nothing else, and writes what
// the passphrase provider writes: v1:<nonce>:<ciphertext>, fresh each time.
func TestSetSecrets(t *testing.T) {
	doc := stacktest.ProdVPS + "  infra:other: { secure: v1:Zm9vYmFyYmF6cXV4:YmFy }\n"
	set := stacktest.SetSecrets(t, doc)
	raw, err := config.ParseStackFile("Pulumi.prod.yaml", []byte(set))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.Secure) != 4 {
		t.Fatalf("%d secure values, want 4: %+v", len(raw.Secure), raw.Secure)
	}
	if p := raw.Placeholders(); len(p) != 0 {
		t.Errorf("placeholders left: %+v", p)
	}
	seen := map[string]bool{}
	for _, v := range raw.Secure[:3] {
		if parts := strings.Split(v.Ciphertext, ":"); len(parts) != 3 || parts[0] != "v1" || len(parts[1]) != 16 {
			t.Errorf("%s = %q, not v1:<12-byte nonce>:<ciphertext>", v.Path, v.Ciphertext)
		}
		if seen[v.Ciphertext] {
			t.Errorf("%s repeats a value", v.Path)
		}
		seen[v.Ciphertext] = true
	}
	if got := raw.Secure[3].Ciphertext; got != "v1:Zm9vYmFyYmF6cXV4:YmFy" {
		t.Errorf("a value that is no placeholder was changed: %q", got)
	}
	if withoutSecure(set) != withoutSecure(doc) {
		t.Errorf("lines without a secure value changed:\n%s", set)
	}
}

// withoutSecure drops the lines holding a secure value.
func withoutSecure(doc string) string {
	var kept []string
	for _, l := range strings.Split(doc, "\n") {
		if !strings.Contains(l, "secure:") {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}
