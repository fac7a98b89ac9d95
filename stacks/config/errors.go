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
type problems struct{ list []Problem }

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
