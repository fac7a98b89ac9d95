package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// up and destroy change the cloud only when told to: --yes, or "yes"
// typed at the question they ask on a terminal. Without a terminal and
// without --yes they refuse (exit 2) before changing anything: a script
// must say it means it. A declined question changes nothing (exit 130,
// like Ctrl-C: the person stopped it).

// addYesFlag adds --yes/-y, which skips the question.
func addYesFlag(cmd *cobra.Command, yes *bool, what string) {
	cmd.Flags().BoolVarP(yes, "yes", "y", false, what+" without asking; required when stdin is not a terminal (CI)")
}

// interactive reports whether a question can be asked on In.
func (s *IO) interactive() bool {
	if s.IsTerminal != nil {
		return s.IsTerminal()
	}
	return isTerminal(s.In)
}

// isTerminal reports whether r is an interactive terminal: a character
// device that answers the terminal ioctls (/dev/null does not).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// confirm stands between a checked plan and the change: with yes it lets
// the change through; on a terminal it shows the change (show writes it)
// and asks question; otherwise it refuses with exit 2.
func (o *StackOptions) confirm(ctx context.Context, yes bool, op, question string, show func(io.Writer)) error {
	if yes {
		return nil
	}
	if !o.IO.interactive() {
		return usageError("%s of stack %s needs a confirmation and stdin is not a terminal to ask on: nothing was changed. "+
			"Run it again with --yes (-y) to %s without asking (in CI, for instance)", op, o.Stack, op)
	}
	show(o.IO.ErrOut)
	ok, err := ask(ctx, o.IO, question)
	if err != nil {
		return &ExitError{Code: ExitCancelled, Err: fmt.Errorf("%s of stack %s cancelled at the question: nothing was changed", op, o.Stack)}
	}
	if !ok {
		return &ExitError{Code: ExitCancelled, Err: fmt.Errorf("%s of stack %s declined: nothing was changed", op, o.Stack)}
	}
	return nil
}

// ask prints question on ErrOut (stdout may carry --json) and reads one
// line from In: y or yes confirms; anything else or the end of input
// declines. A cancelled ctx (Ctrl-C at the question: the terminal's read
// does not return) is the error; the read is then left behind, to end with
// the process.
func ask(ctx context.Context, streams *IO, question string) (bool, error) {
	fmt.Fprintf(streams.ErrOut, "%s [yes/no] ", question)
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(streams.In).ReadString('\n')
		answer <- line
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(streams.ErrOut)
		return false, ctx.Err()
	case line := <-answer:
		if !strings.HasSuffix(line, "\n") {
			fmt.Fprintln(streams.ErrOut) // end of input: end the prompt's line
		}
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return true, nil
		}
		return false, nil
	}
}

// destructiveOps are the steps listed before the question: what is lost.
var destructiveOps = map[string]string{
	"replace": "replace", "create-replacement": "replace", "delete-replaced": "replace",
	"delete": "delete", "discard": "delete", "discard-replaced": "replace",
}

// writeChangeSummary prints what a preview would change: the counts by
// operation, then each resource replaced or deleted.
func writeChangeSummary(w io.Writer, r *Report) {
	parts := r.counts(true, "%d to %s")
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%d change(s)", countChanges(r)))
	}
	fmt.Fprintf(w, "\nStack %s: %s.\n", r.Stack, strings.Join(parts, ", "))
	seen := map[string]bool{}
	for _, s := range r.Steps {
		kind := destructiveOps[s.Op]
		if kind == "" || seen[s.URN] {
			continue
		}
		seen[s.URN] = true
		line := fmt.Sprintf("  %-7s %s %s", strings.ToUpper(kind), s.Type, s.Name)
		if kind == "replace" && len(s.ReplaceKeys) > 0 {
			line += " (because " + strings.Join(s.ReplaceKeys, ", ") + " changed)"
		}
		fmt.Fprintln(w, line)
	}
}

// countChanges is how many resources a preview would change: the
// engine's summary, or the steps when it sent none.
func countChanges(r *Report) int {
	if r.Changed > 0 {
		return r.Changed
	}
	n := 0
	for _, s := range r.Steps {
		if !noChangeOps[s.Op] {
			n++
		}
	}
	return n
}
