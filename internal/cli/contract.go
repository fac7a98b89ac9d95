package cli

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// OutputsSchema is the JSON Schema of the stack outputs: the contract
// other tools rely on (`infra outputs --schema` prints it).
//
//go:embed outputs.schema.json
var OutputsSchema []byte

// Redacted stands in for a secret output.
const Redacted = "[secret]"

// KubeconfigOutput is the output holding the cluster's kubeconfig: always
// a secret, printed only on explicit request.
const KubeconfigOutput = "kubeconfig"

// sensitiveKeyword flags a secret output in the schema, the way Terraform's
// `sensitive` flags one in a module.
const sensitiveKeyword = "x-sensitive"

// sensitive is the set of outputs the schema flags x-sensitive. The
// embedded schema is part of the binary: tests parse it, so a broken one
// never ships and a panic here is a build mistake, not a user's.
var sensitive = sync.OnceValue(func() map[string]bool {
	m, err := sensitiveProperties(OutputsSchema)
	if err != nil {
		panic(err)
	}
	return m
})

// SensitiveOutputs are the outputs the contract says are secret (flagged
// x-sensitive in the schema), sorted. They are redacted even if a program
// forgot to mark them secret.
func SensitiveOutputs() []string {
	out := make([]string, 0, len(sensitive()))
	for k := range sensitive() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sensitiveProperties reads the top-level properties flagged x-sensitive
// from a JSON Schema.
func sensitiveProperties(schema []byte) (map[string]bool, error) {
	var doc struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(schema, &doc); err != nil {
		return nil, fmt.Errorf("parse outputs schema: %w", err)
	}
	m := map[string]bool{}
	for k, p := range doc.Properties {
		switch v := p[sensitiveKeyword].(type) {
		case nil:
		case bool:
			if v {
				m[k] = true
			}
		default:
			return nil, fmt.Errorf("outputs schema: %s.%s is %v, want true or false", k, sensitiveKeyword, v)
		}
	}
	return m, nil
}

// RedactOutputs turns the Automation API's outputs into plain values, as
// `infra outputs` prints them. The API hands secrets over in PLAIN TEXT
// (flagged Secret, and an output holding a nested secret is flagged as a
// whole): each, and each output the contract says is sensitive, becomes
// Redacted unless show. The kubeconfig is redacted either way.
func RedactOutputs(outs auto.OutputMap, show bool) map[string]any {
	m := make(map[string]any, len(outs))
	for k, v := range outs {
		secret := v.Secret || sensitive()[k]
		switch {
		case k == KubeconfigOutput:
			m[k] = Redacted
		case secret && !show:
			m[k] = Redacted
		default:
			m[k] = v.Value
		}
	}
	return m
}

var outputsSchema struct {
	once   sync.Once
	schema *jsonschema.Schema
	err    error
}

// CheckOutputs validates outputs (as printed by `outputs --format json`)
// against the contract and lists every violation.
func CheckOutputs(outputs map[string]any) error {
	s := &outputsSchema
	s.once.Do(func() {
		s.schema, s.err = compileOutputsSchema(OutputsSchema)
	})
	if s.err != nil {
		return s.err
	}
	// Round-trip through JSON: the validator wants JSON values.
	b, err := json.Marshal(outputs)
	if err != nil {
		return fmt.Errorf("encode outputs: %w", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("decode outputs: %w", err)
	}
	if err := s.schema.Validate(v); err != nil {
		return fmt.Errorf("outputs break the contract: %w", err)
	}
	return nil
}

// compileOutputsSchema compiles the contract's schema, its formats (ipv4)
// asserted rather than only annotated.
func compileOutputsSchema(schema []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("parse outputs schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("outputs.schema.json", doc); err != nil {
		return nil, fmt.Errorf("load outputs schema: %w", err)
	}
	sch, err := c.Compile("outputs.schema.json")
	if err != nil {
		return nil, fmt.Errorf("compile outputs schema: %w", err)
	}
	return sch, nil
}

// dotenv renders outputs as KEY="value" lines: nested keys joined with _,
// camelCase turned into UPPER_SNAKE (vpcId -> VPC_ID, database.host ->
// DATABASE_HOST, endpoints[0].url -> ENDPOINTS_0_URL). A redacted secret
// becomes a comment, never an empty or fake value.
func dotenv(outputs map[string]any, prefix string) string {
	lines := map[string]string{}
	var comments []string
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				walk(key+"_"+envName(k), x)
			}
		case []any:
			for i, x := range t {
				walk(fmt.Sprintf("%s_%d", key, i), x)
			}
		case string:
			if t == Redacted {
				comments = append(comments, fmt.Sprintf("# %s is a secret: redacted (use --show-secrets)", key))
				return
			}
			lines[key] = t
		case nil:
			lines[key] = ""
		default:
			b, _ := json.Marshal(t)
			lines[key] = string(b)
		}
	}
	for k, v := range outputs {
		walk(prefix+envName(k), v)
	}
	keys := make([]string, 0, len(lines))
	for k := range lines {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sort.Strings(comments)
	var b strings.Builder
	for _, c := range comments {
		b.WriteString(c + "\n")
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, dotenvQuote(lines[k]))
	}
	return b.String()
}

// envName turns an output key into an environment variable name.
func envName(k string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range k {
		switch {
		case r >= 'A' && r <= 'Z':
			if prevLower {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			prevLower = false
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
			prevLower = true
		case r >= '0' && r <= '9':
			b.WriteRune(r)
			prevLower = true
		default:
			b.WriteByte('_')
			prevLower = false
		}
	}
	return b.String()
}

// dotenvQuote double-quotes a value the way docker compose and most
// dotenv readers unquote it.
func dotenvQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "$", `\$`)
	return `"` + r.Replace(s) + `"`
}
