package cost

import (
	"fmt"
	"io"
	"strings"
)

// Money formats an amount in dollars.
func Money(v float64) string {
	if v < 0 {
		return fmt.Sprintf("-$%.2f", -v)
	}
	return fmt.Sprintf("$%.2f", v)
}

func signed(v float64) string {
	if v > 0 {
		return "+" + Money(v)
	}
	return Money(v)
}

// Provenance says where the prices come from, for every printout.
func (e *Estimate) Provenance() string {
	s := fmt.Sprintf("DigitalOcean list prices in %s as of %s", e.Currency, e.PricesAsOf)
	if !e.Verified {
		s += ", some not verified at the source: see verification in internal/cost/prices.yaml"
	}
	return s
}

// Summary is the one line `infra plan` prints.
func (e *Estimate) Summary() string {
	s := fmt.Sprintf("Estimated cost: %s/month", Money(e.Total))
	if e.MaxTotal != e.Total {
		s += fmt.Sprintf(" (up to %s with autoscaled pools at maximum)", Money(e.MaxTotal))
	}
	if n := len(e.Unpriced); n > 0 {
		s += fmt.Sprintf(", %d resource(s) not priced", n)
	}
	return s + "; " + e.Provenance() + "."
}

// WriteText prints every line and the total.
func (e *Estimate) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "Monthly cost estimate of stack %q (%s).\n\n", e.Stack, e.Provenance())
	width := 0
	amounts := make([]string, len(e.Lines))
	for i, l := range e.Lines {
		amounts[i] = Money(l.Monthly)
		if l.MaxMonthly != l.Monthly {
			amounts[i] += " - " + Money(l.MaxMonthly)
		}
		width = max(width, len(amounts[i]))
	}
	for i, l := range e.Lines {
		note := ""
		if l.Note != "" {
			note = "  (" + l.Note + ")"
		}
		fmt.Fprintf(w, "  %*s  %s  [%s]%s\n", width, amounts[i], l.Item, l.Name, note)
	}
	fmt.Fprintf(w, "\n%s\n", e.Summary())
	for _, u := range e.Unpriced {
		fmt.Fprintf(w, "  not priced: %s %s: %s\n", u.Type, u.Name, u.Reason)
	}
	return nil
}

// WriteMarkdown prints the estimate as a table, with the delta against the
// base branch when d is not nil (the PR preview comment).
func (e *Estimate) WriteMarkdown(w io.Writer, d *Delta) error {
	fmt.Fprintf(w, "### Cost of stack `%s`: %s/month", e.Stack, Money(e.Total))
	if d != nil {
		fmt.Fprintf(w, " (%s against the base branch)", signed(d.Delta))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	if d != nil && len(d.Changes) > 0 {
		fmt.Fprintln(w, "| Change | Item | Resource | Before | After |")
		fmt.Fprintln(w, "|---|---|---|---:|---:|")
		for _, c := range d.Changes {
			fmt.Fprintf(w, "| %s | %s | `%s` | %s | %s |\n", c.Kind, cell(c.Item), cell(c.Name), Money(c.Before), Money(c.After))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "<details><summary>Every line</summary>")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Item | Resource | Monthly |")
	fmt.Fprintln(w, "|---|---|---:|")
	for _, l := range e.Lines {
		amount := Money(l.Monthly)
		if l.MaxMonthly != l.Monthly {
			amount += " - " + Money(l.MaxMonthly)
		}
		fmt.Fprintf(w, "| %s | `%s` | %s |\n", cell(l.Item), cell(l.Name), amount)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "</details>")
	fmt.Fprintln(w)
	for _, u := range e.Unpriced {
		fmt.Fprintf(w, "- not priced: `%s` %s: %s\n", u.Type, cell(u.Name), cell(u.Reason))
	}
	_, err := fmt.Fprintf(w, "_%s._\n", e.Provenance())
	return err
}

// WriteText prints the delta against the base branch.
func (d Delta) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "Cost of stack %q against the base: %s -> %s/month (%s).\n", d.Stack, Money(d.Before), Money(d.After), signed(d.Delta))
	for _, c := range d.Changes {
		fmt.Fprintf(w, "  %-8s %s [%s]: %s -> %s\n", c.Kind, c.Item, c.Name, Money(c.Before), Money(c.After))
	}
	return nil
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
