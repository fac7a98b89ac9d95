package stacktest

import (
	"context"
	"crypto/rand"
	"regexp"
	"testing"

	sdkconfig "github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"

	"infra/internal/placeholder"
)

// secureValue is the value of a `secure:` key, block or flow style.
var secureValue = regexp.MustCompile(`(secure:[ \t]*)([^\s{},]+)`)

// SetSecrets returns the stack file doc with every placeholder secret
// (internal/placeholder) replaced by a value like the ones `pulumi config
// set --secret` writes with the passphrase provider: encrypted with a
// fresh random nonce, here under a throwaway key. That is the stack file
// once its secrets are set, to everything that does not decrypt it (the
// CLI's checks before the engine, fakes of the engine). Tests on the real
// engine, which decrypts, use enginetest.SealSecrets: values encrypted
// with the test passphrase by the pulumi CLI itself. It fails the test
// when doc holds no placeholder.
func SetSecrets(t testing.TB, doc string) string {
	t.Helper()
	key := make([]byte, sdkconfig.SymmetricCrypterKeyBytes)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	crypter := sdkconfig.NewSymmetricCrypter(key)
	n := 0
	out := secureValue.ReplaceAllStringFunc(doc, func(m string) string {
		parts := secureValue.FindStringSubmatch(m)
		if !placeholder.Is(parts[2]) {
			return m
		}
		v, err := crypter.EncryptValue(context.Background(), "stacktest secret")
		if err != nil {
			t.Fatal(err)
		}
		n++
		return parts[1] + v
	})
	if n == 0 {
		t.Fatal("SetSecrets: the stack file holds no placeholder secret")
	}
	return out
}
