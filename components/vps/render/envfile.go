package render

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

var envKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// EncodeEnvFile renders variables as a compose env file. Every value is
// double-quoted with backslash escapes, so any byte string survives
// compose's parser: quotes, backslashes, newlines, and `$`, which compose
// would otherwise interpolate.
func EncodeEnvFile(vars map[string]string) (string, error) {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		if !envKey.MatchString(k) {
			return "", fmt.Errorf("environment variable name %q is not valid", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Written by infra from Pulumi secrets. Do not edit; do not copy.\n")
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(`="`)
		b.WriteString(envEscaper.Replace(vars[k]))
		b.WriteString("\"\n")
	}
	return b.String(), nil
}

var envEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "\n", `\n`, "\r", `\r`)
