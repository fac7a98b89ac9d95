package placeholder

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
)

func TestIs(t *testing.T) {
	key := make([]byte, config.SymmetricCrypterKeyBytes)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	// What the passphrase provider writes: a random nonce.
	secret, err := config.NewSymmetricCrypter(key).EncryptValue(context.Background(), "a real secret")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		ciphertext string
		want       bool
	}{
		{"the template's value", Unset, true},
		{"zero nonce", "v1:AAAAAAAAAAAAAAAA:aW5mcmEgcGxhY2Vob2xkZXI6IGtleQ==", true},
		{"made by For", For("deploy-ssh-key"), true},
		{"written by the passphrase provider", secret, false},
		{"a nonce that only starts with zeros", "v1:AAAAAAAAAAAAAAAB:aW5mcmEgcGxhY2Vob2xkZXI6IGtleQ==", false},
		{"the word inside a value", "not REPLACE-ME", false},
		{"empty", "", false},
		{"base64 without the version", "AAAAAAAAAAAAAAAAAAAAAAAA", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Is(tt.ciphertext); got != tt.want {
				t.Errorf("Is(%q) = %v, want %v", tt.ciphertext, got, tt.want)
			}
		})
	}
}

// A placeholder is a well-formed passphrase ciphertext: the provider
// parses it, and only authenticating it fails.
func TestForIsWellFormed(t *testing.T) {
	p := For("spaces-secret-key")
	parts := strings.Split(p, ":")
	if len(parts) != 3 || parts[0] != "v1" {
		t.Fatalf("%q is not v1:<nonce>:<ciphertext>", p)
	}
	if nonce, err := base64.StdEncoding.DecodeString(parts[1]); err != nil || !reflect.DeepEqual(nonce, make([]byte, 12)) {
		t.Errorf("nonce %q = %v (%v), want 12 zero bytes", parts[1], nonce, err)
	}
	if ct, err := base64.StdEncoding.DecodeString(parts[2]); err != nil || len(ct) < 16 {
		t.Errorf("ciphertext %q: %d bytes (%v), want at least the 16-byte tag", parts[2], len(ct), err)
	}
	_, err := config.NewSymmetricCrypter(make([]byte, config.SymmetricCrypterKeyBytes)).DecryptValue(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "message authentication failed") {
		t.Errorf("decrypting the placeholder: %v, want an authentication failure", err)
	}
}
