package cli

import (
	"errors"
	"fmt"
	"io"

	"infra/internal/plan"
	"infra/internal/planner"
	"infra/internal/policy"
	"infra/stacks/config"
)

// PreflightFunc checks a stack before the engine touches it. It sees the
// offline plan: the validated config and every resource the program
// declares, with its inputs (secrets masked).
type PreflightFunc func(p *plan.Plan) error

// policyPreflight is what up and preview run after the config validated:
// the policy checks on the offline plan. It prints the report on w (every
// waiver with its reason, each time) and refuses, with exit code 4, when a
// rule is violated, before the engine runs.
func policyPreflight(w io.Writer) PreflightFunc {
	return func(p *plan.Plan) error {
		rep := policy.Evaluate(p)
		if err := rep.Write(w); err != nil {
			return err
		}
		return policyGate("stack "+p.Stack, rep, true)
	}
}

// checkBeforeEngine validates the stack's config offline (a
// *config.ConfigError, exit 3, lists every problem, placeholder secrets
// among them) and runs the preflight checks (exit 4). Nothing reaches the
// engine before both pass.
func checkBeforeEngine(proj Project, check PreflightFunc) (*plan.Plan, error) {
	raw, err := config.ReadFile(proj.StackFile())
	if err != nil {
		return nil, err
	}
	return checkRawBeforeEngine(proj, raw, check)
}

// checkRawBeforeEngine is checkBeforeEngine on config already read (and,
// for a rollback, edited).
func checkRawBeforeEngine(proj Project, raw *config.Raw, check PreflightFunc) (*plan.Plan, error) {
	unset := unsetSecrets(proj, raw)
	p, err := planner.Run(proj.Name, proj.Stack, raw)
	if err != nil {
		var cfg *config.ConfigError
		if errors.As(err, &cfg) {
			return nil, withUnsetSecrets(proj, cfg, unset)
		}
		return nil, fmt.Errorf("plan stack %s offline: %w", proj.Stack, err)
	}
	if len(unset) > 0 {
		return nil, withUnsetSecrets(proj, &config.ConfigError{Source: proj.StackFile()}, unset)
	}
	if check == nil {
		return p, nil
	}
	if err := check(p); err != nil {
		var exit *ExitError
		if errors.As(err, &exit) {
			return nil, err
		}
		return nil, &ExitError{Code: ExitPolicy, Err: fmt.Errorf("policy check of stack %s: %w", proj.Stack, err)}
	}
	return p, nil
}
