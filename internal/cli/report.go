package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"infra/stacks/config"
)

// Report is what an engine command did; `--json` prints it as the only
// document on stdout (progress then goes to stderr), on success and on
// failure alike.
type Report struct {
	Stack     string `json:"stack"`
	Operation string `json:"operation"`
	// Result is succeeded, failed, invalid-config, refused (a guard or
	// policy), changes (--expect-no-changes), locked or cancelled.
	Result   string `json:"result"`
	ExitCode int    `json:"exitCode"`
	// Changes is the engine's summary: resources by operation ("same" included).
	Changes map[string]int `json:"changes"`
	// Changed counts the resources the operation changes (or would change).
	Changed int    `json:"changed"`
	Steps   []Step `json:"steps"`
	// Outputs are the stack outputs after up, secrets redacted.
	Outputs  map[string]any   `json:"outputs,omitempty"`
	Problems []config.Problem `json:"problems,omitempty"`
	// Rollback is the release a rollback deploys, once it is picked.
	Rollback        *RollbackTarget `json:"rollback,omitempty"`
	Error           string          `json:"error,omitempty"`
	DurationSeconds float64         `json:"durationSeconds"`

	start time.Time
}

func newReport(stack, op string) *Report {
	return &Report{Stack: stack, Operation: op, Changes: map[string]int{}, Steps: []Step{}, start: time.Now()}
}

// record copies what the watcher collected.
func (r *Report) record(w *watcher) {
	steps, summary, _ := w.result()
	r.Steps = steps
	if len(summary) > 0 {
		r.Changes = summary
	}
	r.Changed = changed(r.Changes)
}

var resultNames = map[int]string{
	ExitOK: "succeeded", ExitConfig: "invalid-config", ExitPolicy: "refused",
	ExitChanges: "changes", ExitLocked: "locked", ExitCancelled: "cancelled", ExitUsage: "usage",
}

// finish prints the report (JSON or a summary) and passes err on.
func (o *StackOptions) finish(r *Report, err error) error {
	r.ExitCode = ExitCode(err)
	r.Result = resultNames[r.ExitCode]
	if r.Result == "" {
		r.Result = "failed"
	}
	if err != nil {
		r.Error = err.Error()
		var cfg *config.ConfigError
		if errors.As(err, &cfg) {
			r.Problems = cfg.Problems
		}
	}
	r.DurationSeconds = time.Since(r.start).Round(time.Millisecond).Seconds()
	if e := r.writeMarkdown(o.Markdown); e != nil && err == nil {
		err = e
	}
	if o.JSON {
		if e := writeJSON(o.IO.Out, r); e != nil && err == nil {
			return e
		}
		return err
	}
	if r.ExitCode != ExitConfig && r.ExitCode != ExitUsage {
		r.writeSummary(o.IO.Out)
	}
	return err
}

var opSymbols = map[string]string{
	"create": "+", "update": "~", "delete": "-", "replace": "+-", "create-replacement": "++",
	"delete-replaced": "--", "read": ">", "refresh": "~", "import": "=",
}

// writeSummary prints the resources by operation and each change.
func (r *Report) writeSummary(w io.Writer) {
	fmt.Fprintf(w, "\n%s of stack %s: %s in %.1fs.\n", r.Operation, r.Stack, r.Result, r.DurationSeconds)
	if len(r.Changes) == 0 && len(r.Steps) == 0 {
		return // the engine did not run
	}
	parts := r.counts(false, "%d %s")
	if len(parts) == 0 {
		parts = append(parts, "no resources")
	}
	fmt.Fprintf(w, "Resources: %s (%d changing).\n", strings.Join(parts, ", "), r.Changed)
	for _, s := range r.Steps {
		if s.Type == "pulumi:pulumi:Stack" {
			continue
		}
		sym := opSymbols[s.Op]
		if sym == "" {
			sym = "*"
		}
		line := fmt.Sprintf("  %-2s %-18s %s %s", sym, s.Op, s.Type, s.Name)
		if len(s.Diffs) > 0 {
			line += " [" + explainDiffs(s.Type, s.Diffs) + "]"
		}
		fmt.Fprintln(w, line)
	}
}

// markdownLimit keeps a comment under GitHub's 65 536-character limit.
const markdownLimit = 60000

// Markdown renders the report for a pull request comment or a job summary.
// Its first line is a marker naming the operation and stack, by which a
// workflow finds the comment to edit in place.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- infra-%s:%s -->\n", r.Operation, r.Stack)
	icon := map[string]string{"succeeded": "✅", "changes": "⚠️", "refused": "⛔", "invalid-config": "⛔"}[r.Result]
	if icon == "" {
		icon = "❌"
	}
	fmt.Fprintf(&b, "### %s `infra %s` of stack `%s`: %s\n\n", icon, r.Operation, r.Stack, r.Result)
	if len(r.Changes) > 0 {
		ops := make([]string, 0, len(r.Changes))
		for op := range r.Changes {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		b.WriteString("| operation | resources |\n|---|---:|\n")
		for _, op := range ops {
			fmt.Fprintf(&b, "| %s | %d |\n", op, r.Changes[op])
		}
		fmt.Fprintf(&b, "\n**%d change(s).**\n", r.Changed)
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "\n```\n%s\n```\n", strings.ReplaceAll(r.Error, "```", "'''"))
	}
	var steps strings.Builder
	for _, s := range r.Steps {
		if s.Type == "pulumi:pulumi:Stack" {
			continue
		}
		line := fmt.Sprintf("- `%s` %s `%s`", s.Op, s.Type, s.Name)
		if len(s.Diffs) > 0 {
			line += " (" + explainDiffs(s.Type, s.Diffs) + ")"
		}
		steps.WriteString(line + "\n")
	}
	if steps.Len() > 0 {
		b.WriteString("\n<details><summary>Changes</summary>\n\n")
		body := steps.String()
		if room := markdownLimit - b.Len() - 100; len(body) > room {
			body = body[:max(room, 0)] + "\n… (truncated)\n"
		}
		b.WriteString(body + "\n</details>\n")
	}
	return b.String()
}

// writeMarkdown writes the report's Markdown to path ("" = nowhere).
func (r *Report) writeMarkdown(path string) error {
	if path == "" {
		return nil
	}
	if err := os.WriteFile(path, []byte(r.Markdown()), 0o644); err != nil {
		return fmt.Errorf("write --markdown file: %w", err)
	}
	return nil
}

// counts formats the summary's count per operation (format takes the count
// and the operation), sorted by operation; changing leaves out what changes
// nothing.
func (r *Report) counts(changing bool, format string) []string {
	ops := make([]string, 0, len(r.Changes))
	for op, n := range r.Changes {
		if !changing || (!noChangeOps[op] && n > 0) {
			ops = append(ops, op)
		}
	}
	sort.Strings(ops)
	parts := make([]string, 0, len(ops))
	for _, op := range ops {
		parts = append(parts, fmt.Sprintf(format, r.Changes[op], op))
	}
	return parts
}
