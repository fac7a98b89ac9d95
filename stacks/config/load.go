package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/goccy/go-yaml"
)

// Namespace is the Pulumi config namespace of every key infra reads.
const Namespace = "infra"

// SecretsKey is the one key whose values are secrets.
const SecretsKey = "secrets"

// Raw is a stack's `infra:` configuration before it is typed: each
// top-level key (without the namespace) with its decoded JSON value.
type Raw struct {
	// Source names where it came from, for error messages.
	Source string
	Values map[string]any
	// SecretsArePlain lists entries of infra:secrets given in plain text.
	SecretsArePlain []string
	// Secure lists every secure (encrypted) value with its config path, in
	// file order: Values holds offline stand-ins for them (Placeholder),
	// and the CLI checks these before the engine decrypts them.
	Secure []SecureValue
	// Problems found while reading, before the schema is checked.
	Problems []Problem
}

// StackFile is the path of a stack's config file in a project directory.
func StackFile(dir, stack string) string {
	return filepath.Join(dir, "Pulumi."+stack+".yaml")
}

// ReadFile reads the `infra:` keys of a Pulumi.<stack>.yaml file. Secure
// (encrypted) values cannot be decrypted offline: they are replaced by a
// stable placeholder, so that planning never needs the passphrase.
func ReadFile(path string) (*Raw, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read stack file: %w", err)
	}
	return ParseStackFile(path, data)
}

// ParseStackFile is ReadFile on bytes; name is used in messages.
func ParseStackFile(name string, data []byte) (*Raw, error) {
	f, ps := parseLimited(data)
	if len(ps) > 0 {
		return nil, &ConfigError{Source: name, Problems: ps}
	}
	var top yaml.MapSlice
	if len(f.Docs) > 0 && !isNil(f.Docs[0].Body) {
		var v any
		if err := yaml.NodeToValue(f.Docs[0].Body, &v, yaml.UseOrderedMap()); err != nil {
			return nil, &ConfigError{Source: name, Problems: []Problem{{Path: "config", Message: "not a valid stack file: " + yaml.FormatError(err, false, false)}}}
		}
		ms, ok := v.(yaml.MapSlice)
		if !ok && v != nil {
			return nil, &ConfigError{Source: name, Problems: []Problem{{Path: "config", Message: fmt.Sprintf("not a valid stack file: the document is a %T, want a mapping with a config: key", v)}}}
		}
		top = ms
	}
	var config yaml.MapSlice
	for _, item := range top {
		if fmt.Sprint(item.Key) != "config" || item.Value == nil {
			continue
		}
		c, ok := item.Value.(yaml.MapSlice)
		if !ok {
			return nil, &ConfigError{Source: name, Problems: []Problem{{Path: "config", Message: fmt.Sprintf("not a valid stack file: config is a %T, want a mapping of keys to values", item.Value)}}}
		}
		config = c
	}
	raw := &Raw{Source: name, Values: map[string]any{}}
	ours := TopLevelKeys()
	for _, item := range top {
		k := fmt.Sprint(item.Key)
		if stackFileKeys[k] {
			continue
		}
		if want, ok := misplaced(k, ours); ok {
			raw.Problems = append(raw.Problems, Problem{Path: k, Message: fmt.Sprintf("outside config: Pulumi ignores it here; indent it under config: as %s", want)})
		}
	}
	for _, item := range config {
		k, v := fmt.Sprint(item.Key), item.Value
		ns, rest, ok := strings.Cut(k, ":")
		if !ok || ns != Namespace {
			// Another provider's or Pulumi's own key, unless it is one of
			// ours misspelt: it would be ignored and the stack would run
			// without it (a prod stack without its pager receivers).
			if want, ok := misplaced(k, ours); ok {
				raw.Problems = append(raw.Problems, Problem{Path: k, Message: fmt.Sprintf("not read: the project's keys are in the %s namespace; write %s", Namespace, want)})
			}
			continue
		}
		if rest == "" {
			raw.Problems = append(raw.Problems, Problem{Path: k, Message: "empty key"})
			continue
		}
		raw.Values[rest] = normalise(v, configPath([]string{rest}), raw)
	}
	return raw, nil
}

// stackFileKeys are the top-level keys of a Pulumi stack file
// (pkg/workspace.ProjectStack in github.com/pulumi/pulumi/sdk/v3).
var stackFileKeys = map[string]bool{
	"config": true, "secretsprovider": true, "encryptedkey": true, "encryptionsalt": true, "environment": true,
}

// misplaced reports whether key k (outside the infra namespace, or outside
// config:) is meant as one of ours, and how to write it: a key without a
// namespace named like one of ours (monitoring), our namespace in another
// case (Infra:ingress), or a namespace one or two edits from ours
// (infar:services, ifra:region). Other namespaces with keys like ours are
// another provider's (digitalocean:region).
func misplaced(k string, ours map[string]bool) (string, bool) {
	ns, rest, hasNS := strings.Cut(k, ":")
	if !hasNS {
		rest = ns
	}
	want := ""
	for o := range ours {
		if strings.EqualFold(o, rest) {
			want = Namespace + ":" + o
		}
	}
	switch {
	case want == "":
		return "", false
	case !hasNS, ns == Namespace:
		return want, true
	case strings.EqualFold(ns, Namespace), levenshtein.Distance(strings.ToLower(ns), Namespace, nil) <= 2:
		return want, true
	}
	return "", false
}

// normalise turns YAML values into JSON values (ordered maps become plain
// maps, integers become float64 like encoding/json) and replaces secure
// values by placeholders. Only entries of infra:secrets may be secure.
func normalise(v any, path string, raw *Raw) any {
	switch t := v.(type) {
	case yaml.MapSlice:
		m := make(map[string]any, len(t))
		for _, item := range t {
			k := fmt.Sprint(item.Key)
			m[k] = normalise(item.Value, key(path, k), raw)
		}
		if sec, ok := secureValue(m); ok {
			raw.Secure = append(raw.Secure, SecureValue{Path: path, Ciphertext: sec})
			if !isSecretEntry(path) {
				raw.Problems = append(raw.Problems, Problem{Path: path, Message: "secure values belong in infra:secrets; refer to them by name"})
			}
			return Placeholder(sec)
		}
		if path == configPath([]string{SecretsKey}) {
			for _, item := range t {
				if _, ok := item.Value.(yaml.MapSlice); !ok {
					raw.SecretsArePlain = append(raw.SecretsArePlain, key(path, fmt.Sprint(item.Key)))
				}
			}
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalise(e, index(path, i), raw)
		}
		return out
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			raw.Problems = append(raw.Problems, Problem{Path: path, Message: fmt.Sprintf("%v is not a number a setting can take: write a number, such as 80", t)})
			return nil
		}
		return t
	case uint64:
		return float64(t)
	case int64:
		return float64(t)
	case int:
		return float64(t)
	default:
		return v
	}
}

func isSecretEntry(path string) bool {
	prefix := configPath([]string{SecretsKey}) + "."
	return strings.HasPrefix(path, prefix) && !strings.ContainsAny(path[len(prefix):], ".[")
}

func secureValue(m map[string]any) (string, bool) {
	if len(m) != 1 {
		return "", false
	}
	s, ok := m["secure"].(string)
	return s, ok
}

const placeholderPrefix = "offline-secret-"

// IsOfflinePlaceholder says whether a secret's value is the Placeholder
// an offline plan gives it, not a value of the stack's.
func IsOfflinePlaceholder(value string) bool { return strings.HasPrefix(value, placeholderPrefix) }

// Placeholder is what an encrypted value becomes offline: stable for the
// same ciphertext, so plans are reproducible, and never the secret itself.
func Placeholder(ciphertext string) string {
	sum := sha256.Sum256([]byte(ciphertext))
	return placeholderPrefix + hex.EncodeToString(sum[:6])
}

// PulumiConfig turns Raw back into the flat map the Pulumi runtime hands a
// program (infra:key -> string or JSON), with the keys that are secret.
func (r *Raw) PulumiConfig() (map[string]string, []string, error) {
	cfg := map[string]string{}
	var secretKeys []string
	for k, v := range r.Values {
		full := Namespace + ":" + k
		if s, ok := v.(string); ok {
			cfg[full] = s
		} else {
			b, err := json.Marshal(v)
			if err != nil {
				return nil, nil, fmt.Errorf("encode %s: %w", full, err)
			}
			cfg[full] = string(b)
		}
		if k == SecretsKey {
			secretKeys = append(secretKeys, full)
		}
	}
	return cfg, secretKeys, nil
}

// DecodeValue decodes a value the Pulumi runtime handed over: JSON unless
// the key is a string.
func DecodeValue(v string, isString bool) any {
	if isString {
		return v
	}
	var out any
	dec := json.NewDecoder(bytes.NewReader([]byte(v)))
	if err := dec.Decode(&out); err != nil {
		return v // the schema reports the wrong type
	}
	return out
}

// TopLevelKeys maps each top-level key of Config to whether it is a string.
func TopLevelKeys() map[string]bool {
	t := reflect.TypeOf(Config{})
	out := make(map[string]bool, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		out[jsonName(t.Field(i))] = t.Field(i).Type.Kind() == reflect.String
	}
	return out
}
