package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"infra/stacks/config"
)

// Exit codes: the one place errors become process statuses. Documented in
// the README; scripts rely on them.
const (
	ExitOK        = 0
	ExitFailure   = 1   // the engine or the program failed
	ExitUsage     = 2   // bad flags or arguments; up or destroy unconfirmed (no terminal, no --yes)
	ExitConfig    = 3   // the stack's config is invalid
	ExitPolicy    = 4   // a policy check blocked the change
	ExitChanges   = 5   // --expect-no-changes and there are changes (drift); rotate or rollback with more changes than their own
	ExitLocked    = 6   // another update holds the stack's lock
	ExitPending   = 7   // an interrupted update left pending creates in the state
	ExitCancelled = 130 // Ctrl-C, or up or destroy answered anything but yes
)

// ExitError carries an exit code chosen by a command.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// usageError marks bad flags or arguments.
func usageError(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// ExitCode maps an error to the process status.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	var cfg *config.ConfigError
	if errors.As(err, &cfg) {
		return ExitConfig
	}
	return ExitFailure
}

func reportError(w io.Writer, err error) int {
	code := ExitCode(err)
	if err != nil {
		fmt.Fprintln(w, "error:", err)
	}
	return code
}

func isExitError(err error) bool {
	var exit *ExitError
	return errors.As(err, &exit)
}

// isUsageError recognises cobra's own argument and command errors, which
// it returns as plain errors.
func isUsageError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
