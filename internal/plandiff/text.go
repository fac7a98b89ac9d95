package plandiff

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// maxValue bounds a value shown inline; longer ones are cut with "…".
const maxValue = 160

// Show formats an input's value for people: a string as it is, anything
// else as compact JSON, cut at maxValue characters.
func Show(v any) string {
	var s string
	switch t := v.(type) {
	case nil:
		s = "(unset)"
	case string:
		s = t
		if s == "" {
			s = `""`
		}
	default:
		b, err := json.Marshal(t)
		if err != nil {
			b = []byte(fmt.Sprint(t))
		}
		s = string(b)
	}
	if r := []rune(s); len(r) > maxValue {
		s = string(r[:maxValue]) + "…"
	}
	return s
}

// Reason says in one line what happens to an input: "a -> b", "added b",
// "secret, changed", "multi-line value changed (+2 -1 lines)".
func (in Input) Reason(arrow string) string {
	switch {
	case in.Secret && in.Change == Changed:
		return "secret, changed"
	case in.Secret:
		return "secret, " + string(in.Change)
	case in.Diff != "":
		a, r := countLines(in.Diff)
		return fmt.Sprintf("multi-line value changed (+%d -%d lines)", a, r)
	case in.Change == Added:
		return "added " + Show(in.After)
	case in.Change == Removed:
		return "removed (was " + Show(in.Before) + ")"
	}
	return Show(in.Before) + " " + arrow + " " + Show(in.After)
}

// WriteText prints the changes for a terminal: each resource with its
// changed inputs, then each rendered file's unified diff.
func (d *Diff) WriteText(w io.Writer) error {
	c := d.Counts()
	fmt.Fprintf(w, "Resources: %d added, %d changed, %d removed (%d unchanged).\n", c.Added, c.Changed, c.Removed, d.Unchanged)
	for _, r := range d.Resources {
		fmt.Fprintf(w, "  %s %s  %s\n", r.Change.Symbol(), r.Type, r.Name)
		for _, in := range r.Inputs {
			fmt.Fprintf(w, "      %s: %s\n", in.Path, in.Reason("->"))
			if in.Note != "" {
				fmt.Fprintf(w, "        (%s)\n", in.Note)
			}
			if in.Diff != "" {
				fmt.Fprint(w, indent(in.Diff, "        "))
			}
		}
		if len(r.SecretsUnchanged) > 0 {
			fmt.Fprintf(w, "      unchanged secrets: %s\n", strings.Join(r.SecretsUnchanged, ", "))
		}
	}
	if d.SecretsUncompared > 0 {
		fmt.Fprintf(w, "  %d secret input(s) not compared: the base plan has no digests for them (made before plans kept them).\n", d.SecretsUncompared)
	}
	fc := d.FileCounts()
	fmt.Fprintf(w, "\nRendered files: %d added, %d changed, %d removed.\n", fc.Added, fc.Changed, fc.Removed)
	for _, f := range d.Files {
		fmt.Fprintf(w, "\n%s", f.Diff)
		if !strings.HasSuffix(f.Diff, "\n") {
			fmt.Fprintln(w)
		}
	}
	return nil
}

func indent(s, prefix string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteString("\n")
	}
	return b.String()
}
