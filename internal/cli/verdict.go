package cli

import (
	"fmt"
	"io"

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
