// Package graph draws a stack's resource graph from its offline plan, as
// Mermaid (rendered by GitHub in the PR comment) or Graphviz DOT. Three
// kinds of edges are kept apart: parent -> child (the component tree),
// dependent -> dependency (what must exist first), and resource -> its
// explicit provider.
package graph

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"infra/internal/plan"
)

// Edge kinds.
const (
	Parent     = "parent"
	DependsOn  = "depends-on"
	ProviderOf = "provider"
)

// Node is one resource.
type Node struct {
	ID   string `json:"id"`
	URN  string `json:"urn"`
	Type string `json:"type"`
	Name string `json:"name"`
	// Component is a component resource (not a cloud resource).
	Component bool `json:"component"`
	Protect   bool `json:"protect"`
	// Change marks a node of a plan diff's graph (Around): added, changed
	// or removed; empty for context.
	Change string `json:"change,omitempty"`
}

// Edge joins two nodes; From depends on, is the parent of, or uses To.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Kind is parent, depends-on or provider.
	Kind string `json:"kind"`
}

// Graph is the resource graph.
type Graph struct {
	Stack string `json:"stack"`
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Build makes the graph of a plan. Nodes are ordered by URN so the output
// is stable between runs; references to resources outside the plan (the
// root stack, default providers) are left out.
func Build(p *plan.Plan) *Graph {
	rs := append([]plan.Resource(nil), p.Resources...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].URN < rs[j].URN })
	g := &Graph{Stack: p.Stack}
	ids := map[string]string{}
	for i, r := range rs {
		id := fmt.Sprintf("r%d", i)
		ids[r.URN] = id
		g.Nodes = append(g.Nodes, Node{ID: id, URN: r.URN, Type: r.Type, Name: r.Name, Component: !r.Custom, Protect: r.Protect})
	}
	for _, r := range rs {
		from := ids[r.URN]
		if to, ok := ids[r.Parent]; ok {
			g.Edges = append(g.Edges, Edge{From: to, To: from, Kind: Parent})
		}
		seen := map[string]bool{}
		for _, d := range r.Dependencies {
			if to, ok := ids[d]; ok && !seen[to] && to != from {
				seen[to] = true
				g.Edges = append(g.Edges, Edge{From: from, To: to, Kind: DependsOn})
			}
		}
		if to, ok := ids[r.Provider]; ok {
			g.Edges = append(g.Edges, Edge{From: from, To: to, Kind: ProviderOf})
		}
	}
	return g
}

// ShortType drops the module of a provider's index types:
// digitalocean:index/droplet:Droplet -> digitalocean:Droplet.
func ShortType(t string) string {
	parts := strings.Split(t, ":")
	if len(parts) == 3 && strings.HasPrefix(parts[1], "index/") {
		return parts[0] + ":" + parts[2]
	}
	return t
}

// WriteMermaid writes a Mermaid flowchart: solid arrows from parent to
// child, dotted arrows from a resource to what it depends on, and dotted
// arrows labelled "provider" to an explicit provider.
func (g *Graph) WriteMermaid(w io.Writer) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	fmt.Fprintf(&b, "  %%%% stack %s: parent --> child; dependent -.-> dependency; resource -.->|provider| provider\n", mermaidComment(g.Stack))
	for _, n := range g.Nodes {
		label := mermaidText(ShortType(n.Type)) + "<br/>" + mermaidText(n.Name)
		if n.Change != "" {
			label += "<br/>(" + n.Change + ")"
		}
		if n.Protect {
			label += "<br/>(protected)"
		}
		open, close := "[", "]"
		if n.Component {
			open, close = "([", "])"
		}
		fmt.Fprintf(&b, "  %s%s\"%s\"%s\n", n.ID, open, label, close)
	}
	for _, e := range g.Edges {
		arrow := "-->"
		switch e.Kind {
		case DependsOn:
			arrow = "-.->"
		case ProviderOf:
			arrow = "-.->|provider|"
		}
		fmt.Fprintf(&b, "  %s %s %s\n", e.From, arrow, e.To)
	}
	var protected []string
	for _, n := range g.Nodes {
		if n.Protect {
			protected = append(protected, n.ID)
		}
	}
	if len(protected) > 0 {
		b.WriteString("  classDef protected stroke-width:3px\n")
		fmt.Fprintf(&b, "  class %s protected\n", strings.Join(protected, ","))
	}
	for _, c := range changeStyles {
		var ids []string
		for _, n := range g.Nodes {
			if n.Change == c.change {
				ids = append(ids, n.ID)
			}
		}
		if len(ids) > 0 {
			fmt.Fprintf(&b, "  classDef %s %s\n  class %s %s\n", c.change, c.style, strings.Join(ids, ","), c.change)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidText escapes a label for a double-quoted Mermaid string: quotes
// angle brackets and # become entity codes, which Mermaid renders as text.
func mermaidText(s string) string {
	r := strings.NewReplacer("#", "#35;", `"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", " ")
	return r.Replace(s)
}

func mermaidComment(s string) string { return strings.NewReplacer("\n", " ", "%", "").Replace(s) }

// WriteDOT writes a Graphviz digraph: parent edges solid, dependency edges
// dashed, provider edges dotted; components are rounded boxes.
func (g *Graph) WriteDOT(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote("stack "+g.Stack))
	b.WriteString("  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n  edge [fontsize=9];\n")
	for _, n := range g.Nodes {
		attrs := []string{"label=" + dotQuote(ShortType(n.Type)+"\n"+n.Name), "tooltip=" + dotQuote(n.URN)}
		if n.Component {
			attrs = append(attrs, `style="rounded,dashed"`)
		}
		if n.Protect {
			attrs = append(attrs, "penwidth=2.5")
		}
		fmt.Fprintf(&b, "  %s [%s];\n", n.ID, strings.Join(attrs, ", "))
	}
	for _, e := range g.Edges {
		style := `style=solid, color="gray30"`
		switch e.Kind {
		case DependsOn:
			style = `style=dashed, color="steelblue"`
		case ProviderOf:
			style = `style=dotted, label="provider"`
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", e.From, e.To, style)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// dotQuote makes a DOT double-quoted string; newlines become centred line
// breaks.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
