package mapkeys

import (
	"slices"
	"testing"
)

func TestUnion(t *testing.T) {
	tests := map[string]struct {
		a    map[string]int
		b    map[string]bool
		want []string
	}{
		"both empty":   {nil, nil, []string{}},
		"only a":       {map[string]int{"b": 1, "a": 2}, nil, []string{"a", "b"}},
		"only b":       {nil, map[string]bool{"z": true, "y": false}, []string{"y", "z"}},
		"shared once":  {map[string]int{"k": 1, "m": 2}, map[string]bool{"k": true, "a": true}, []string{"a", "k", "m"}},
		"same key set": {map[string]int{"x": 1}, map[string]bool{"x": false}, []string{"x"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Union(tc.a, tc.b); !slices.Equal(got, tc.want) {
				t.Fatalf("Union = %q, want %q", got, tc.want)
			}
		})
	}
}
