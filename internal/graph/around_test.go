package graph

import (
	"bytes"
	"strings"
	"testing"
)

// The graph of a change keeps the changed nodes, marked, and their
// ancestors, unmarked; nothing else, and only edges between kept nodes.
func TestAroundKeepsChangesAndTheirParents(t *testing.T) {
	p := awkward()
	full := Build(p)
	child, user := p.Resources[1], p.Resources[0]
	tests := []struct {
		name    string
		changes map[string]string
		want    map[string]string // kept node name -> mark
	}{
		{"a changed child and its parent", map[string]string{child.URN: "changed"}, map[string]string{child.Name: "changed", `a"b`: ""}},
		{"an added root resource alone", map[string]string{user.URN: "added"}, map[string]string{"r": "added"}},
		{"nothing changes", map[string]string{}, map[string]string{}},
		{"a URN outside the graph", map[string]string{"urn:pulumi:s::p::x:y:Z::gone": "removed"}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := full.Around(tt.changes)
			got := map[string]string{}
			ids := map[string]bool{}
			for _, n := range g.Nodes {
				got[n.Name] = n.Change
				ids[n.ID] = true
			}
			if len(got) != len(tt.want) {
				t.Fatalf("nodes %v, want %v", got, tt.want)
			}
			for name, mark := range tt.want {
				if m, ok := got[name]; !ok || m != mark {
					t.Errorf("node %q: %q (kept %v), want %q", name, m, ok, mark)
				}
			}
			for _, e := range g.Edges {
				if !ids[e.From] || !ids[e.To] {
					t.Errorf("edge %+v leaves the subgraph", e)
				}
			}
		})
	}
	var b bytes.Buffer
	sub := full.Around(map[string]string{child.URN: "changed"})
	if err := sub.WriteMermaid(&b); err != nil {
		t.Fatal(err)
	}
	var id string
	for _, n := range sub.Nodes {
		if n.URN == child.URN {
			id = n.ID
		}
	}
	for _, want := range []string{"(changed)", "classDef changed ", "class " + id + " changed\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("mermaid lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "classDef added") {
		t.Errorf("a class for a change that is not there:\n%s", b.String())
	}
}
