// Package mapkeys lists the keys of maps, in a stable order, for the code
// that compares two maps key by key.
package mapkeys

import "slices"

// Union is every key of a or b, each once, sorted.
func Union[A ~map[string]V, B ~map[string]W, V, W any](a A, b B) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}
