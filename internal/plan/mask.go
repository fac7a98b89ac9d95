package plan

import "strconv"

// Masked stands in for a secret value everywhere a plan is shown or written.
const Masked = "[secret]"

// Unknown stands in for a value only known after the resource exists.
const Unknown = "[unknown]"

// JoinPath extends a dotted input path ("env" + "A" = "env.A"; list
// elements by index, "rules" + 0 = "rules.0"), the form Input and Lookup
// read and Resource.SecretDigests is keyed by.
func JoinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// JoinIndex extends a dotted input path by a list index.
func JoinIndex(path string, i int) string { return JoinPath(path, strconv.Itoa(i)) }
