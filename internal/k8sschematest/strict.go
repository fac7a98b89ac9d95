package k8sschematest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// quantitySchema is the component name of resource.Quantity.
const quantitySchema = "io.k8s.apimachinery.pkg.api.resource.Quantity"

// quantityPattern is the syntax resource.ParseQuantity accepts, as
// controller-gen writes it into CRDs. The upstream OpenAPI only says
// "string", which lets "1Gb" or "500 m" through.
const quantityPattern = `^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`

// strictify rewrites one schema, in place and recursively, so that it
// rejects what the API server would drop or reject: object schemas that
// list properties get additionalProperties: false unless they carry
// x-kubernetes-preserve-unknown-fields. It also turns the structural-schema
// extensions used by CRDs (nullable, x-kubernetes-int-or-string,
// x-kubernetes-embedded-resource) into plain JSON Schema. Only schema
// positions are visited, so a property that happens to be called
// "properties" or "default" values are left alone.
func strictify(node any) {
	sch, ok := node.(map[string]any)
	if !ok {
		return
	}
	if sch["nullable"] == true {
		if t, ok := sch["type"].(string); ok {
			sch["type"] = []any{t, "null"}
		}
		delete(sch, "nullable")
	}
	if sch["x-kubernetes-int-or-string"] == true && sch["type"] == nil && sch["anyOf"] == nil && sch["oneOf"] == nil {
		sch["anyOf"] = []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}
	}
	props, hasProps := sch["properties"].(map[string]any)
	if sch["x-kubernetes-embedded-resource"] == true && hasProps {
		addObjectHeader(props, map[string]any{"type": "object"})
	}
	_, hasAdditional := sch["additionalProperties"]
	if hasProps && !hasAdditional && sch["x-kubernetes-preserve-unknown-fields"] != true {
		sch["additionalProperties"] = false
	}

	for _, p := range props {
		strictify(p)
	}
	if pp, ok := sch["patternProperties"].(map[string]any); ok {
		for _, p := range pp {
			strictify(p)
		}
	}
	for _, key := range []string{"items", "additionalProperties", "not"} {
		strictify(sch[key])
	}
	for _, key := range []string{"allOf", "anyOf", "oneOf", "items"} {
		if list, ok := sch[key].([]any); ok {
			for _, s := range list {
				strictify(s)
			}
		}
	}
}

// addObjectHeader declares apiVersion, kind and metadata, which the API
// server accepts on every object and embedded resource even when a CRD
// schema does not list them.
func addObjectHeader(props map[string]any, metadata map[string]any) {
	props["apiVersion"] = map[string]any{"type": "string"}
	props["kind"] = map[string]any{"type": "string"}
	props["metadata"] = metadata
}

// constrainQuantity adds the quantity syntax to the string branch of the
// Quantity schema.
func constrainQuantity(sch map[string]any) {
	branches, _ := sch["oneOf"].([]any)
	for _, b := range branches {
		if m, ok := b.(map[string]any); ok && m["type"] == "string" {
			m["pattern"] = quantityPattern
		}
	}
}

// newCompiler returns a compiler that asserts only the formats whose
// meaning Kubernetes and JSON Schema share, plus the Kubernetes integer and
// byte formats. Other names (duration, uri, hostname, ...) stay
// annotations: Kubernetes gives them different rules (duration is a Go
// duration, not ISO 8601) and guessing would reject valid objects.
func newCompiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for _, name := range []string{
		"json-pointer", "relative-json-pointer", "uuid", "duration", "period",
		"ipv4", "ipv6", "hostname", "email", "date", "time", "uri", "iri",
		"uri-reference", "iri-reference", "uri-template", "semver",
	} {
		c.RegisterFormat(&jsonschema.Format{Name: name, Validate: func(any) error { return nil }})
	}
	c.RegisterFormat(&jsonschema.Format{Name: "int32", Validate: intRange(math.MinInt32, math.MaxInt32)})
	c.RegisterFormat(&jsonschema.Format{Name: "int64", Validate: intRange(math.MinInt64, math.MaxInt64)})
	c.RegisterFormat(&jsonschema.Format{Name: "byte", Validate: validateBase64})
	return c
}

// intRange checks that an integer fits the given bounds; non-integers are
// left to the type keyword.
func intRange(lo, hi int64) func(any) error {
	return func(v any) error {
		n, ok := v.(json.Number)
		if !ok {
			return nil
		}
		r, ok := new(big.Rat).SetString(string(n))
		if !ok || !r.IsInt() {
			return nil
		}
		if i := r.Num(); i.Cmp(big.NewInt(lo)) < 0 || i.Cmp(big.NewInt(hi)) > 0 {
			return fmt.Errorf("%s out of range [%d, %d]", n, lo, hi)
		}
		return nil
	}
}

// validateBase64 checks the "byte" format: standard base64, as Secret data
// must be.
func validateBase64(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	if _, err := base64.StdEncoding.DecodeString(s); err != nil {
		return fmt.Errorf("not base64: %w", err)
	}
	return nil
}
