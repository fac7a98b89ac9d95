package config

import (
	"strings"

	"infra/internal/placeholder"
)

// SecureValue is one secure (encrypted) value of a stack file, as written.
// Offline it cannot be decrypted, but a placeholder committed in place of
// a secret can be told from one (internal/placeholder).
type SecureValue struct {
	// Path is the value's config path, the way `pulumi config set --path`
	// takes it: infra:secrets.deploy-ssh-key.
	Path string
	// Ciphertext is the value of its `secure:` key.
	Ciphertext string
}

// Placeholders are the secure values of r that are placeholders, not
// secrets, in file order.
func (r *Raw) Placeholders() []SecureValue {
	var out []SecureValue
	for _, v := range r.Secure {
		if placeholder.Is(v.Ciphertext) {
			out = append(out, v)
		}
	}
	return out
}

// SecretName is the name of the infra:secrets entry at path, if the path
// is one.
func SecretName(path string) (string, bool) {
	if !isSecretEntry(path) {
		return "", false
	}
	return strings.TrimPrefix(path, configPath([]string{SecretsKey})+"."), true
}
