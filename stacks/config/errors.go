package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a stack's configuration.
type Problem struct {
	// Path is where the problem is, as a config path: infra:database.roles[0].name.
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// ConfigError lists every problem found in a stack's configuration. It is a
// user mistake: the CLI prints it plainly and exits with the config code.
type ConfigError struct {
	// Source names where the config came from (a file or a stack).
	Source   string    `json:"source"`
	Problems []Problem `json:"problems"`
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid configuration in %s (%d problem", e.Source, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString("):")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// problems collects Problems while validating.
type problems struct {
	list []Problem
	// refs are references to names nobody declared, reported once per
	// name when validation ends (see unknown).
	refs []unknownRef
	// secretUses are the config paths that name each secret.
	secretUses map[string][]string
}

// unknownRef is one use of a name that is not declared.
type unknownRef struct {
	kind, name, path, fix string
	known                 []string
}

// unknown records that path refers to a kind of thing (service, database,
// role, secret) by a name that is not declared. One renamed service can be
// referred to from many places; report it once, at its first use, with the
// declared names, the nearest one, the other places and the fix (fix may
// be empty), instead of one echo per place.
func (ps *problems) unknown(path, kind, name string, known []string, fix string) {
	ps.refs = append(ps.refs, unknownRef{kind: kind, name: name, path: path, fix: fix, known: known})
}

// flushUnknown turns the recorded references into problems.
func (ps *problems) flushUnknown() {
	type group struct {
		first unknownRef
		paths []string
	}
	groups := map[[2]string]*group{}
	var order [][2]string
	for _, r := range ps.refs {
		k := [2]string{r.kind, r.name}
		g, ok := groups[k]
		if !ok {
			g = &group{first: r}
			groups[k] = g
			order = append(order, k)
		}
		g.paths = append(g.paths, r.path)
	}
	ps.refs = nil
	for _, k := range order {
		g := groups[k]
		sort.Strings(g.paths)
		r := g.first
		var b strings.Builder
		fmt.Fprintf(&b, "unknown %s %q", r.kind, r.name)
		if near := nearest(r.name, r.known); near != "" {
			fmt.Fprintf(&b, ": did you mean %q?", near)
		}
		if len(r.known) > 0 {
			known := append([]string(nil), r.known...)
			sort.Strings(known)
			fmt.Fprintf(&b, " (declared: %s)", strings.Join(known, ", "))
		} else {
			fmt.Fprintf(&b, " (none is declared)")
		}
		if r.fix != "" {
			b.WriteString("; " + r.fix)
		}
		if len(g.paths) > 1 {
			fmt.Fprintf(&b, "; also used at %s", strings.Join(g.paths[1:], ", "))
		}
		ps.add(g.paths[0], "%s", b.String())
	}
}

func (ps *problems) add(path, format string, args ...any) {
	ps.list = append(ps.list, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing was found, else a ConfigError with the
// problems in a stable order.
func (ps *problems) err(source string) error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool { return ps.list[i].Path < ps.list[j].Path })
	seen := map[Problem]bool{}
	out := ps.list[:0]
	for _, p := range ps.list {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return &ConfigError{Source: source, Problems: out}
}

// configPath turns a JSON pointer's tokens into a config path:
// ["database","roles","0","name"] -> infra:database.roles[0].name.
func configPath(tokens []string) string {
	if len(tokens) == 0 {
		return Namespace
	}
	var b strings.Builder
	b.WriteString(Namespace + ":" + tokens[0])
	for _, t := range tokens[1:] {
		if isIndex(t) {
			b.WriteString("[" + t + "]")
			continue
		}
		b.WriteString("." + t)
	}
	return b.String()
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// path helpers for hand-written checks.
func key(parent, name string) string {
	if parent == Namespace {
		return Namespace + ":" + name
	}
	return parent + "." + name
}

func index(parent string, i int) string { return fmt.Sprintf("%s[%d]", parent, i) }
