package cli

import (
	"fmt"
	"strings"

	"infra/internal/policy"
)

// policyExit is the verdict of `infra plan --json`, whose standard output
// stays one JSON document: a blocking report comes back as an error that
// lists the violations (printed on stderr), with the policy exit code.
func policyExit(rep policy.Report) error {
	if err := rep.Err(); err != nil {
		lines := make([]string, len(rep.Violations))
		for i, f := range rep.Violations {
			lines[i] = f.String()
		}
		return &ExitError{Code: ExitPolicy, Err: fmt.Errorf("%w:\n  - %s", err, strings.Join(lines, "\n  - "))}
	}
	return nil
}
