package config

import (
	"fmt"
	"sort"
)

func validateSecrets(c *Config, ps *problems) {
	for name := range c.Secrets {
		if !secretName.MatchString(name) {
			ps.add(key(key(Namespace, SecretsKey), name), "secret names are lower-case words joined by dashes")
		}
	}
}

// SecretUses maps each secret a valid config names to the config paths
// that name it, sorted. A declared secret nothing names is absent.
func SecretUses(c *Config) map[string][]string {
	ps := &problems{}
	validate(c, ps)
	for _, paths := range ps.secretUses {
		sort.Strings(paths)
	}
	return ps.secretUses
}

func (c *Config) hasSecret(name string) bool {
	_, ok := c.Secrets[name]
	return ok
}

// requireSecret checks that path names a declared secret, and records the
// use (SecretUses).
func requireSecret(c *Config, path, name string, ps *problems) {
	if name != "" {
		if ps.secretUses == nil {
			ps.secretUses = map[string][]string{}
		}
		ps.secretUses[name] = append(ps.secretUses[name], path)
	}
	if name != "" && !c.hasSecret(name) {
		ps.unknown(path, "secret", name, sortedKeys(c.Secrets), fmt.Sprintf("add it with `pulumi config set --secret --path 'infra:secrets.%s' ...`", name))
	}
}
