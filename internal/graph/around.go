package graph

// Around is the part of the graph a change touches: the nodes whose URN is
// a key of changes, each marked with its value (added, changed or
// removed), and their ancestors up to the root for context, unmarked; the
// edges between the nodes it keeps.
func (g *Graph) Around(changes map[string]string) *Graph {
	byURN := map[string]Node{}
	parentOf := map[string]string{} // child id -> parent id
	for _, n := range g.Nodes {
		byURN[n.URN] = n
	}
	for _, e := range g.Edges {
		if e.Kind == Parent {
			parentOf[e.To] = e.From
		}
	}
	keep := map[string]bool{}
	for urn := range changes {
		n, ok := byURN[urn]
		if !ok {
			continue
		}
		for id := n.ID; id != "" && !keep[id]; id = parentOf[id] {
			keep[id] = true
		}
	}
	out := &Graph{Stack: g.Stack, Nodes: []Node{}, Edges: []Edge{}}
	for _, n := range g.Nodes {
		if keep[n.ID] {
			n.Change = changes[n.URN]
			out.Nodes = append(out.Nodes, n)
		}
	}
	for _, e := range g.Edges {
		if keep[e.From] && keep[e.To] {
			out.Edges = append(out.Edges, e)
		}
	}
	return out
}

// changeStyles are the Mermaid classes of marked nodes, in a fixed order.
var changeStyles = []struct{ change, style string }{
	{"added", "fill:#e6ffec,stroke:#1a7f37"},
	{"changed", "fill:#fff8c5,stroke:#9a6700"},
	{"removed", "fill:#ffebe9,stroke:#cf222e,stroke-dasharray:4 2"},
}
