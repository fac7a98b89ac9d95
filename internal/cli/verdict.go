package cli

import (
	"fmt"
	"strings"

	"infra/internal/policy"
)

// policyGate is the one place a policy verdict becomes exit 4: nil when
// the report does not block, else an error that names what was judged and
// lists every violation, so that the refusal reads the same from plan,
// validate, preflight, preview and up. shown says the caller already
// printed the report (rep.Write): the error then only points at it. extra
// is appended (what the engine said besides, for one).
func policyGate(what string, rep policy.Report, shown bool, extra ...string) error {
	if !rep.Blocked() {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s is refused by %d policy finding(s)", what, len(rep.Violations))
	if shown {
		b.WriteString(", listed above.")
	} else {
		b.WriteString(":")
		for _, f := range rep.Violations {
			fmt.Fprintf(&b, "\n  - %s", f)
		}
	}
	b.WriteString("\nA finding can be waived for one resource, with a reason, under infra:policy.waivers.")
	for _, e := range extra {
		b.WriteString("\n" + e)
	}
	return &ExitError{Code: ExitPolicy, Err: &policyRefusal{text: b.String(), err: rep.Err()}}
}

// policyRefusal keeps the *policy.Error reachable with errors.As.
type policyRefusal struct {
	text string
	err  error
}

func (e *policyRefusal) Error() string { return e.text }
func (e *policyRefusal) Unwrap() error { return e.err }
