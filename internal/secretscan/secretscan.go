// Package secretscan recognises credentials in plain text: by the name a
// value is stored under and by the value's own form. Config validation
// (stacks/config) refuses them in a stack file; the policy's
// plaintext-secret rule looks for them in everything the program renders.
// One table, so both judge alike.
package secretscan

import (
	"math"
	"regexp"
	"strings"
)

var (
	// user:password@ and :password@ (Redis has no user name).
	urlWithPassword = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:([^/\s@]+)@`)
	connStringPass  = regexp.MustCompile(`(?i)(^|;)\s*(password|pwd)\s*=\s*([^;\s]+)`)
	// tokenShapes are credentials recognisable by their form.
	tokenShapes = []struct {
		name string
		re   *regexp.Regexp
	}{
		{"a private key", regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)},
		{"a DigitalOcean token", regexp.MustCompile(`\bdo[por]_v1_[a-f0-9]{20,}`)},
		{"a GitHub token", regexp.MustCompile(`\b(ghp|gho|ghs|ghu|ghr|github_pat)_[A-Za-z0-9_]{20,}`)},
		{"a Slack token", regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`)},
		{"a Slack webhook", regexp.MustCompile(`hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+`)},
		{"an AWS access key", regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)},
		{"an OpenAI or Anthropic key", regexp.MustCompile(`\bsk-(proj-|ant-)?[A-Za-z0-9_-]{20,}`)},
		{"a Stripe key", regexp.MustCompile(`\b[sr]k_(live|test)_[A-Za-z0-9]{16,}`)},
		{"a JSON Web Token", regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`)},
	}
	// secretName matches names of settings that hold secrets.
	secretName = regexp.MustCompile(`(?i)(password|passwd|passphrase|(^|_)pass($|_)|(^|_)pwd($|_)|secret|token|api_?key|private_?key|access_?key|signing_?key|encryption_?key|master_?key|hmac_?key|credentials?)`)
	// notASecret are names that only refer to a secret (secretName,
	// existingSecret, passwordFile, tokenSecretRef, a chart's passwordKey: the
	// key inside an existing Secret) or describe one.
	notASecret = regexp.MustCompile(`(?i)(name|ref|file|path|existing|key_?id|length|policy|enabled|required|expir|ttl|type|mode|password_?key$|user_?key$)`)
	// opaque is a run of characters a generated credential is made of.
	opaque = regexp.MustCompile(`^[A-Za-z0-9+/=_-]{32,}$`)
)

// Name reports whether a setting's name says it holds a secret.
func Name(name string) bool {
	return secretName.MatchString(name) && !notASecret.MatchString(name)
}

// Value says what kind of credential a value looks like by its form, or "".
func Value(v string) string {
	if m := urlWithPassword.FindStringSubmatch(v); m != nil && Real(m[1]) {
		return "a URL with an embedded password"
	}
	if m := connStringPass.FindStringSubmatch(v); m != nil && Real(m[3]) {
		return "a connection string with a password"
	}
	for _, t := range tokenShapes {
		if t.re.MatchString(v) {
			return t.name
		}
	}
	if randomLooking(v) {
		return "a random-looking string (a key or token?)"
	}
	return ""
}

// Real rules out values that only stand for a secret: placeholders,
// interpolations, file paths, switches.
func Real(v string) bool {
	switch {
	case strings.HasPrefix(v, "/"),
		strings.Contains(v, "${"), strings.Contains(v, "{$"), strings.Contains(v, "$("), strings.Contains(v, "{{"),
		strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">"):
		return false
	}
	switch strings.ToLower(v) {
	case "true", "false", "yes", "no", "required", "optional", "none", "":
		return false
	}
	return true
}

// randomLooking: 32 or more characters of the base64/hex alphabet with
// upper case, lower case and digits mixed, and close to random (Shannon
// entropy of at least 4.5 bits per character; English words and
// identifiers stay well below, a base64 key is near 6). Hex digests and
// UUIDs are one case only and pass.
func randomLooking(v string) bool {
	if !opaque.MatchString(v) {
		return false
	}
	var upper, lower, digit bool
	counts := map[rune]int{}
	for _, r := range v {
		counts[r]++
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	if !upper || !lower || !digit {
		return false
	}
	h := 0.0
	n := float64(len(v))
	for _, c := range counts {
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h >= 4.5
}
