package stacks

import (
	"encoding/json"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/stacks/config"
)

// FromContext reads the `infra:` keys a Pulumi program was given. Keys are
// looked up by name (the SDK cannot list them); when the language host
// passes the whole config in PULUMI_CONFIG, unknown keys are reported too.
func FromContext(ctx *pulumi.Context, env func(string) string) *config.Raw {
	raw := &config.Raw{Source: "stack " + ctx.Stack(), Values: map[string]any{}}
	fields := config.TopLevelKeys()
	for name, isString := range fields {
		full := config.Namespace + ":" + name
		v, ok := ctx.GetConfig(full)
		if !ok {
			continue
		}
		raw.Values[name] = config.DecodeValue(v, isString)
		if name == config.SecretsKey && !ctx.IsConfigSecret(full) {
			raw.SecretsArePlain = append(raw.SecretsArePlain, config.Namespace+":"+config.SecretsKey)
		}
	}
	if all := env("PULUMI_CONFIG"); all != "" {
		var m map[string]string
		if json.Unmarshal([]byte(all), &m) == nil {
			for k := range m {
				ns, rest, _ := strings.Cut(k, ":")
				if _, known := fields[rest]; ns == config.Namespace && !known {
					raw.Problems = append(raw.Problems, config.Problem{Path: k, Message: "unknown key"})
				}
			}
		}
	}
	return raw
}
