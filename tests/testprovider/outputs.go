package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"google.golang.org/protobuf/proto"
)

// resourceInfo is what id makers and output generators may look at.
type resourceInfo struct {
	urn    resource.URN
	name   string
	typ    tokens.Type
	id     resource.ID
	inputs resource.PropertyMap
	// outputs is the state under construction: the inputs plus the computed
	// outputs generated so far (table order), for id makers and generators
	// that build on others (a URI from host, user and password).
	outputs resource.PropertyMap
	// seed is a digest of the URN and inputs: stable for the same resource
	// and inputs, different after a replacement (whose inputs differ).
	seed [sha256.Size]byte
}

func newResourceInfo(urn resource.URN, typ tokens.Type, inputs resource.PropertyMap) *resourceInfo {
	if typ == "" {
		typ = urn.Type()
	}
	r := &resourceInfo{urn: urn, name: urn.Name(), typ: typ, inputs: inputs, outputs: inputs}
	h := sha256.New()
	h.Write([]byte(urn))
	if rpc, err := plugin.MarshalProperties(inputs, plugin.MarshalOptions{KeepSecrets: true, KeepUnknowns: true}); err == nil {
		if b, err := (proto.MarshalOptions{Deterministic: true}).Marshal(rpc); err == nil {
			h.Write(b)
		}
	}
	copy(r.seed[:], h.Sum(nil))
	return r
}

// computed is one output a real provider would compute.
type computed struct {
	// path is where the output goes, for example "ipv4Address" or "metadata.name".
	path string
	// secret marks the value secret in state, as the real provider does.
	secret bool
	gen    func(r *resourceInfo) resource.PropertyValue
}

// outputsFor builds a resource's state: its inputs plus each computed output
// of spec that the inputs do not set. An output already in olds (the previous
// state) is kept, so an update does not change ids, addresses or passwords.
// In a preview a new computed output is unknown.
func outputsFor(spec typeSpec, r *resourceInfo, olds resource.PropertyMap, preview bool) resource.PropertyMap {
	out := deepCopy(r.inputs)
	r.outputs = out
	oldObj := resource.NewProperty(olds)
	for _, c := range spec.computed {
		path := mustPath(c.path)
		if _, ok := path.Get(resource.NewProperty(out)); ok {
			continue
		}
		var v resource.PropertyValue
		if old, ok := path.Get(oldObj); ok && olds != nil {
			v = old
		} else if preview {
			v = resource.MakeComputed(resource.NewProperty(""))
		} else {
			v = c.gen(r)
			if c.secret {
				v = resource.MakeSecret(v)
			}
		}
		if nv, ok := path.Add(resource.NewProperty(out), v); ok {
			out = nv.ObjectValue()
			r.outputs = out
		}
	}
	return out
}

func mustPath(s string) resource.PropertyPath {
	p, err := resource.ParsePropertyPath(s)
	if err != nil {
		panic(fmt.Sprintf("testprovider: bad property path %q in the type table: %v", s, err))
	}
	return p
}

func deepCopy(m resource.PropertyMap) resource.PropertyMap {
	out := make(resource.PropertyMap, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsObject():
		return resource.NewProperty(deepCopy(v.ObjectValue()))
	case v.IsArray():
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = deepCopyValue(e)
		}
		return resource.NewProperty(arr)
	case v.IsSecret():
		return resource.MakeSecret(deepCopyValue(v.SecretValue().Element))
	default:
		return v
	}
}

// Generators. Values derived from the seed are stable; secrets are random.

func constant(v any) func(*resourceInfo) resource.PropertyValue {
	return func(*resourceInfo) resource.PropertyValue { return resource.NewPropertyValue(v) }
}

// autoName mimics Pulumi auto-naming: the logical name and a short suffix.
func autoName(r *resourceInfo) resource.PropertyValue {
	return resource.NewProperty(r.name + "-" + hex.EncodeToString(r.seed[:4])[:7])
}

func seedNumber(r *resourceInfo, salt string) uint32 {
	s := sha256.Sum256(append(r.seed[:], salt...))
	return binary.BigEndian.Uint32(s[:4])
}

// publicIP is an address in TEST-NET-3 (RFC 5737), which never routes.
func publicIP(salt string) func(*resourceInfo) resource.PropertyValue {
	return func(r *resourceInfo) resource.PropertyValue {
		return resource.NewProperty(fmt.Sprintf("203.0.113.%d", seedNumber(r, salt)%254+1))
	}
}

func privateIP(r *resourceInfo) resource.PropertyValue {
	n := seedNumber(r, "private")
	return resource.NewProperty(fmt.Sprintf("10.110.%d.%d", (n>>8)%256, n%254+1))
}

func seedUUID(r *resourceInfo, salt string) string {
	s := sha256.Sum256(append(r.seed[:], salt...))
	b := s[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func uuidOutput(salt string) func(*resourceInfo) resource.PropertyValue {
	return func(r *resourceInfo) resource.PropertyValue { return resource.NewProperty(seedUUID(r, salt)) }
}

// urnOf is DigitalOcean's own resource URN, "do:<kind>:<id>".
func urnOf(kind string) func(*resourceInfo) resource.PropertyValue {
	return func(r *resourceInfo) resource.PropertyValue {
		return resource.NewProperty(fmt.Sprintf("do:%s:%s", kind, r.id))
	}
}

const (
	alphanumeric  = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	randomSpecial = "!#$%&*()-_=+[]{}<>:?"
	fixedTime     = "2025-01-01T00:00:00Z"
)

func randomString(n int, alphabet string) string {
	var b strings.Builder
	for range n {
		b.WriteByte(alphabet[rand.IntN(len(alphabet))])
	}
	return b.String()
}

func randomText(prefix string, n int) func(*resourceInfo) resource.PropertyValue {
	return func(*resourceInfo) resource.PropertyValue {
		return resource.NewProperty(prefix + randomString(n, alphanumeric))
	}
}

// str reads a string at key from the state under construction, unwrapping a
// secret; def when it is absent or not a string.
func (r *resourceInfo) str(key, def string) string {
	v, ok := r.outputs[resource.PropertyKey(key)]
	for ok && v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !ok || !v.IsString() || v.StringValue() == "" {
		return def
	}
	return v.StringValue()
}

// num reads a number input at key; def when it is absent.
func (r *resourceInfo) num(key string, def int) int {
	v, ok := r.outputs[resource.PropertyKey(key)]
	for ok && v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !ok || !v.IsNumber() {
		return def
	}
	return int(v.NumberValue())
}

func (r *resourceInfo) boolean(key string, def bool) bool {
	v, ok := r.outputs[resource.PropertyKey(key)]
	if !ok || !v.IsBool() {
		return def
	}
	return v.BoolValue()
}
