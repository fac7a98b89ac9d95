package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"infra/internal/plan"
)

// masker turns recorded inputs into plain JSON-able values with every
// secret replaced by plan.Masked, and keeps a digest of each masked value
// by its input path (plan.Resource.SecretDigests). With reveal set it
// unwraps secrets instead: the input of a digest, never written anywhere.
type masker struct {
	digests map[string]string
	reveal  bool
}

// maskInputs masks a resource's inputs and returns the digests of what it
// masked (nil when nothing was secret).
func maskInputs(pm resource.PropertyMap) (map[string]any, map[string]string) {
	m := &masker{digests: map[string]string{}}
	out := m.properties(pm, "")
	if len(m.digests) == 0 {
		return out, nil
	}
	return out, m.digests
}

func (m *masker) properties(pm resource.PropertyMap, path string) map[string]any {
	out := make(map[string]any, len(pm))
	for k, v := range pm {
		out[string(k)] = m.value(v, plan.JoinPath(path, string(k)))
	}
	return out
}

func (m *masker) value(v resource.PropertyValue, path string) any {
	switch {
	case v.IsSecret() && m.reveal:
		return m.value(v.SecretValue().Element, path)
	case v.IsSecret():
		m.digest(path, v.SecretValue().Element)
		return plan.Masked
	case v.IsOutput():
		o := v.OutputValue()
		if o.Secret && !m.reveal {
			if o.Known {
				m.digest(path, o.Element)
			}
			return plan.Masked
		}
		if !o.Known {
			return plan.Unknown
		}
		return m.value(o.Element, path)
	case v.IsComputed():
		return plan.Unknown
	case v.IsObject():
		return m.properties(v.ObjectValue(), path)
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = m.value(e, plan.JoinIndex(path, i))
		}
		return out
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsAsset(), v.IsArchive():
		return "[asset]"
	case v.IsNull():
		return nil
	}
	return v.V
}

// digest records a short digest of a secret's value as the program saw it.
//
// Why a digest is safe here: an offline plan never holds a real secret.
// Config secrets reach the program as config.Placeholder values (derived
// from the ciphertext, which the committed stack file already shows; the
// passphrase is never read), and the passwords a RandomPassword or a
// database cluster would generate are the mock monitor's, derived from the
// resource's name. A masked value is therefore made of public material
// (placeholders, mock passwords, hosts, the rendered compose project), and
// its digest tells only whether that material changed between two plans:
// the plan diff shows "secret, changed" or nothing, never a value. If the
// planner ever ran with decrypted config, this would have to become a keyed
// hash (or go), because a digest of a low-entropy real secret can be
// guessed.
func (m *masker) digest(path string, v resource.PropertyValue) {
	b, err := json.Marshal(reveal(v)) // encoding/json sorts map keys: stable
	if err != nil {
		m.digests[path] = "unhashable"
		return
	}
	sum := sha256.Sum256(append([]byte("infra plan secret\x00"), b...))
	m.digests[path] = hex.EncodeToString(sum[:8])
}

// reveal is v as plain JSON values, secrets unwrapped: the input of digest
// alone, never written anywhere.
func reveal(v resource.PropertyValue) any {
	return (&masker{reveal: true}).value(v, "")
}
