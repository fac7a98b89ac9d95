package cli

import (
	"fmt"
	"io"
	"strings"

	"infra/internal/cost"
	"infra/internal/plan"
	"infra/internal/policy"
)

// planVerdict prints what `infra plan` adds after the resources: the cost
// estimate's total and the policy report (every waiver with its reason). A
// policy violation becomes the policy exit code.
func planVerdict(w io.Writer, p *plan.Plan) error {
	est, err := cost.EstimatePlan(p)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s\n", est.Summary())
	rep := policy.Evaluate(p)
	if err := rep.Write(w); err != nil {
		return err
	}
	if err := rep.Err(); err != nil {
		return &ExitError{Code: ExitPolicy, Err: err}
	}
	return nil
}

// planPolicy is the verdict of `infra plan --json`, whose standard output
// stays one JSON document: nothing is printed, and a blocking report comes
// back as an error that lists the violations (printed on stderr).
func planPolicy(p *plan.Plan) error {
	rep := policy.Evaluate(p)
	if err := rep.Err(); err != nil {
		lines := make([]string, len(rep.Violations))
		for i, f := range rep.Violations {
			lines[i] = f.String()
		}
		return &ExitError{Code: ExitPolicy, Err: fmt.Errorf("%w:\n  - %s", err, strings.Join(lines, "\n  - "))}
	}
	return nil
}
