package policy

import (
	"fmt"
	"html"
	"io"
)

// WriteMarkdown prints the report for a pull request comment: the verdict
// in one line, then every violation, every waiver in use with its reason,
// and every waiver that matched nothing (the same facts as Write).
func (r Report) WriteMarkdown(w io.Writer) error {
	switch {
	case r.Blocked():
		fmt.Fprintf(w, "⛔ **Policy: refused**, %d violation(s) (%d rules checked).\n", len(r.Violations), r.Rules)
	default:
		fmt.Fprintf(w, "✅ **Policy: passed** (%d rules checked", r.Rules)
		if len(r.Waived) > 0 {
			fmt.Fprintf(w, ", %d finding(s) waived", len(r.Waived))
		}
		fmt.Fprintln(w, ").")
	}
	if len(r.Violations)+len(r.Waived)+len(r.UnusedWaivers) > 0 {
		fmt.Fprintln(w)
	}
	for _, f := range r.Violations {
		fmt.Fprintf(w, "- violation %s\n", markdownFinding(f))
	}
	for _, f := range r.Waived {
		fmt.Fprintf(w, "- waived %s; reason: %s\n", markdownFinding(f), html.EscapeString(f.Reason))
	}
	for _, wv := range r.UnusedWaivers {
		fmt.Fprintf(w, "- unused waiver: rule `%s` resource %q matched nothing; remove it\n", wv.Rule, wv.Resource)
	}
	return nil
}

func markdownFinding(f Finding) string {
	who := f.Subject
	if who == "" {
		who = f.Resource
	}
	return fmt.Sprintf("`%s` <code>%s</code>: %s", f.Rule, html.EscapeString(who), html.EscapeString(f.Message))
}
