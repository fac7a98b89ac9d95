package policy

import (
	"fmt"
	"sort"
	"strings"

	"infra/internal/plan"
	"infra/internal/secretscan"
)

// offlinePlaceholder prefixes what an encrypted config value becomes
// offline (stacks.Placeholder): seen unmasked, a secret lost its secrecy.
const offlinePlaceholder = "offline-secret-"

// checkPlaintextSecrets looks for secrets in plain text wherever the plan
// shows values: every resource input and every rendered file. Config
// validation already refuses secrets in plain config; this re-checks what
// the program made of it.
func checkPlaintextSecrets(p *plan.Plan, fs *findings) {
	generated := p.Generated
	if cfg := p.Config; cfg != nil {
		for i, svc := range cfg.Services {
			keys := make([]string, 0, len(svc.Env))
			for k := range svc.Env {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if msg := suspicious(k, svc.Env[k], generated); msg != "" {
					fs.add(RulePlaintextSecret, fmt.Sprintf("infra:services[%d].env.%s", i, k), svc.Name, "plain config holds %s: put it in infra:secrets and use secretEnv", msg)
				}
			}
		}
	}
	for _, r := range p.Resources {
		seen := map[string]bool{}
		walkStrings("", r.Inputs, func(where, key, value string) {
			if msg := suspicious(key, value, generated); msg != "" && !seen[where] {
				seen[where] = true
				fs.resource(RulePlaintextSecret, r, "input %s holds %s in plain text: make it a Pulumi secret", where, msg)
			}
		})
	}
	paths := make([]string, 0, len(p.Artifacts))
	for path := range p.Artifacts {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		for i, line := range strings.Split(p.Artifacts[path], "\n") {
			if msg := suspicious("", line, generated); msg != "" {
				fs.add(RulePlaintextSecret, path, path, "line %d holds %s: reference the secret instead of writing it", i+1, msg)
			}
		}
	}
}

// walkStrings calls f for every string in a decoded value, with its path
// and the name it is stored under (a map key, or the name of a
// {name, value} pair such as a container's env entry).
func walkStrings(where string, v any, f func(where, key, value string)) {
	switch t := v.(type) {
	case map[string]any:
		if name, ok := t["name"].(string); ok {
			if value, ok := t["value"].(string); ok {
				f(where+".value", name, value)
			}
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			next := k
			if where != "" {
				next = where + "." + k
			}
			if s, ok := t[k].(string); ok {
				f(next, k, s)
				continue
			}
			walkStrings(next, t[k], f)
		}
	case []any:
		for i, e := range t {
			walkStrings(fmt.Sprintf("%s[%d]", where, i), e, f)
		}
	case string:
		f(where, "", t)
	}
}

// suspicious says what secret a value looks like, or "".
func suspicious(key, value string, generated []string) string {
	if value == "" || value == plan.Masked || value == plan.Unknown {
		return ""
	}
	for _, g := range generated {
		if g != "" && strings.Contains(value, g) {
			return "a generated password"
		}
	}
	if strings.Contains(value, offlinePlaceholder) {
		return "a value of infra:secrets"
	}
	if what := secretscan.Value(value); what != "" && !strings.Contains(value, plan.Masked) {
		return what
	}
	if key != "" && secretscan.Name(key) && secretscan.Real(value) {
		return fmt.Sprintf("a value named %s", key)
	}
	return ""
}
