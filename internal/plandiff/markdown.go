package plandiff

import (
	"fmt"
	"html"
	"strings"
)

// maxInputsShown bounds the inputs listed in one table cell.
const maxInputsShown = 8

// MarkdownResources is the table of changed resources for a pull request
// comment, at most limit bytes long: rows that do not fit are counted in
// a last line instead.
func (d *Diff) MarkdownResources(limit int) string {
	if len(d.Resources) == 0 {
		return "No resource is added, changed or removed.\n"
	}
	var b strings.Builder
	b.WriteString("| | Resource | Type | What changes |\n|---|---|---|---|\n")
	for i, r := range d.Resources {
		row := fmt.Sprintf("| %s | %s | %s | %s |\n", r.Change.Symbol(), Code(r.Name), Code(r.Type), cellReasons(r))
		// Room for this row and the note about the rows left out.
		if b.Len()+len(row)+120 > limit {
			fmt.Fprintf(&b, "\n… and %d more resource(s): run `infra diff` for all of them.\n", len(d.Resources)-i)
			return b.String()
		}
		b.WriteString(row)
	}
	if d.SecretsUncompared > 0 {
		fmt.Fprintf(&b, "\n%d secret input(s) not compared: the base plan has no digests for them (made before plans kept them).\n", d.SecretsUncompared)
	}
	return b.String()
}

// cellReasons lists a resource's changed inputs in one table cell.
func cellReasons(r Resource) string {
	if r.Change != Changed {
		return string(r.Change)
	}
	var parts []string
	for i, in := range r.Inputs {
		if i == maxInputsShown {
			parts = append(parts, fmt.Sprintf("… %d more", len(r.Inputs)-i))
			break
		}
		part := Code(in.Path) + ": " + markdownReason(in)
		if in.Note != "" {
			part += " <sub>(" + cellText(in.Note) + ")</sub>"
		}
		parts = append(parts, part)
	}
	if len(r.SecretsUnchanged) > 0 {
		parts = append(parts, fmt.Sprintf("%d secret(s) unchanged", len(r.SecretsUnchanged)))
	}
	return strings.Join(parts, "<br>")
}

func markdownReason(in Input) string {
	switch {
	case in.Secret, in.Diff != "":
		return cellText(in.Reason("→"))
	case in.Change == Added:
		return "added " + Code(Show(in.After))
	case in.Change == Removed:
		return "removed (was " + Code(Show(in.Before)) + ")"
	}
	return Code(Show(in.Before)) + " → " + Code(Show(in.After))
}

// Code is s as inline code that is safe in a table cell: HTML-escaped,
// pipes and newlines as entities.
func Code(s string) string { return "<code>" + cellText(s) + "</code>" }

func cellText(s string) string {
	return strings.NewReplacer("|", "&#124;", "\n", "⏎", "\r", "").Replace(html.EscapeString(s))
}

// MarkdownFiles is each rendered file's diff, collapsed in <details>, at
// most limit bytes long: a diff that does not fit is cut at a line with a
// note, and files past the limit are listed by name only.
func (d *Diff) MarkdownFiles(limit int) string {
	if len(d.Files) == 0 {
		return "No rendered file changes.\n"
	}
	var b strings.Builder
	for i, f := range d.Files {
		head := fmt.Sprintf("<details><summary><code>%s</code> %s (+%d −%d)</summary>\n\n", html.EscapeString(f.Path), f.Change, f.Added, f.Removed)
		fence := fenceFor(f.Diff)
		const tail = "\n</details>\n\n"
		// What the rest needs at least: one line per later file.
		rest := 0
		for _, g := range d.Files[i+1:] {
			rest += len(g.Path) + 80
		}
		// 250: the note on a cut diff, and the heading of files left out.
		room := limit - b.Len() - len(head) - 2*len(fence) - len("diff\n\n") - len(tail) - rest - 250
		if room < 200 {
			b.WriteString(filesLeftOut(d.Files[i:]))
			return b.String()
		}
		body, cut := cutLines(f.Diff, room)
		b.WriteString(head + fence + "diff\n" + body + fence + "\n")
		if cut > 0 {
			fmt.Fprintf(&b, "\n_… %d more line(s) of this diff left out to fit the comment: run `infra diff` for all of it._\n", cut)
		}
		b.WriteString(tail)
	}
	return b.String()
}

func filesLeftOut(files []File) string {
	var b strings.Builder
	b.WriteString("Left out to fit the comment (run `infra diff` for them):\n")
	for _, f := range files {
		fmt.Fprintf(&b, "- <code>%s</code> %s (+%d −%d)\n", html.EscapeString(f.Path), f.Change, f.Added, f.Removed)
	}
	return b.String()
}

// cutLines keeps the whole lines of s that fit in limit bytes and returns
// how many lines it left out. The result ends with a newline.
func cutLines(s string, limit int) (string, int) {
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	if len(s) <= limit {
		return s, 0
	}
	end := strings.LastIndex(s[:limit], "\n") + 1
	return s[:end], strings.Count(s[end:], "\n")
}

// fenceFor is a code fence longer than any run of backticks in s, so the
// content cannot close it.
func fenceFor(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}
