// Package placeholder recognises the values the committed stack files hold
// where secrets go, without the passphrase: a new stack's `infra preview`
// and `infra up` refuse them by path before the engine, which could only
// say "cipher: message authentication failed", naming at best the whole of
// infra:secrets, not the entry.
//
// A `secure:` value is a placeholder when it is Unset (what `infra
// template` writes) or a passphrase ciphertext whose nonce is all zeros.
// Pulumi's passphrase secrets provider writes `v1:<nonce>:<ciphertext>`,
// both base64, and draws the AES-256-GCM nonce of every value it encrypts
// from crypto/rand (github.com/pulumi/pulumi/sdk/v3,
// go/common/resource/config/crypt.go: symmetricCrypter.EncryptValue calls
// encryptAES256GCGM, which fills `nonce := make([]byte, 12)` with
// cryptorand.Read). A value it wrote has the all-zero nonce with
// probability 2^-96, so the zero nonce marks a placeholder and never a
// secret.
package placeholder

import (
	"encoding/base64"
	"strings"
)

// Unset is the `secure:` value of each secret a template writes: not a
// ciphertext at all.
const Unset = "REPLACE-ME"

// zeroNonce is the base64 of the 12-byte all-zero nonce.
const zeroNonce = "AAAAAAAAAAAAAAAA"

// prefix starts every zero-nonce placeholder.
const prefix = "v1:" + zeroNonce

// Is reports whether a `secure:` value is a placeholder, not a secret.
func Is(ciphertext string) bool {
	return ciphertext == Unset || strings.HasPrefix(ciphertext, prefix)
}

// For is the placeholder committed for the secret name: a well-formed
// passphrase ciphertext with the all-zero nonce, whose ciphertext part is
// the base64 of a text naming the secret (longer than the 16-byte GCM tag,
// so even its length is that of a real value).
func For(name string) string {
	return prefix + ":" + base64.StdEncoding.EncodeToString([]byte("infra placeholder: "+name))
}
