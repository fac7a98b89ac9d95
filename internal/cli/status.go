package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/opthistory"
	"github.com/spf13/cobra"
)

// StatusOptions are the flags of `infra status`.
type StatusOptions struct {
	StackOptions
}

// Status is the stack summary `infra status --json` prints.
type Status struct {
	Stack            string      `json:"stack"`
	URL              string      `json:"url,omitempty"`
	UpdateInProgress bool        `json:"updateInProgress"`
	LastUpdate       *LastUpdate `json:"lastUpdate,omitempty"`
	Resources        int         `json:"resources"`
	Protected        int         `json:"protected"`
	// PendingOperations were started by an update that never finished them
	// (killed or cancelled); pending creates block preview and up.
	PendingOperations []PendingOp `json:"pendingOperations"`
	// Outputs are the stack outputs, secrets redacted.
	Outputs map[string]any `json:"outputs"`
}

// LastUpdate is the most recent operation recorded in the stack's history.
type LastUpdate struct {
	Kind    string         `json:"kind"`
	Result  string         `json:"result"`
	Started string         `json:"started"`
	Ended   string         `json:"ended,omitempty"`
	Message string         `json:"message,omitempty"`
	Changes map[string]int `json:"changes,omitempty"`
}

// NewCmdStatus builds `infra status`. runF replaces the action in tests.
func NewCmdStatus(streams *IO, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{StackOptions: newStackOptions(streams)}
	cmd := &cobra.Command{
		Use:   "status --stack NAME",
		Short: "Summarise the stack: last update, resources, outputs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runStatus(cmd.Context(), opts)
		},
	}
	opts.addFlags(cmd)
	return cmd
}

func runStatus(ctx context.Context, o *StatusOptions) error {
	s, _, err := o.open(ctx, false)
	if err != nil {
		return err
	}
	st := Status{Stack: o.Stack}
	info, err := s.Info(ctx)
	if err != nil {
		return classify(err, o.Stack, "read stack info")
	}
	st.URL, st.UpdateInProgress = info.URL, info.UpdateInProgress
	// ShowSecrets(false): the history carries the config, secrets included.
	hist, err := s.History(ctx, 1, 1, opthistory.ShowSecrets(false))
	if err != nil {
		return classify(err, o.Stack, "read stack history")
	}
	if len(hist) > 0 {
		h := hist[0]
		st.LastUpdate = &LastUpdate{Kind: h.Kind, Result: h.Result, Started: h.StartTime, Message: h.Message}
		if h.EndTime != nil {
			st.LastUpdate.Ended = *h.EndTime
		}
		if h.ResourceChanges != nil {
			st.LastUpdate.Changes = *h.ResourceChanges
		}
	}
	state, err := readState(ctx, s)
	if err != nil {
		return classify(err, o.Stack, "read state")
	}
	for _, r := range state.Resources {
		if r.Type != "pulumi:pulumi:Stack" && !strings.HasPrefix(string(r.Type), "pulumi:providers:") {
			st.Resources++
		}
	}
	st.Protected = len(state.protected())
	st.PendingOperations = state.pending()
	outs, err := s.Outputs(ctx)
	if err != nil {
		return classify(err, o.Stack, "read outputs")
	}
	st.Outputs = RedactOutputs(outs, false)
	if o.JSON {
		return writeJSON(o.IO.Out, st)
	}
	writeStatus(o.IO, st)
	return nil
}

func writeStatus(streams *IO, st Status) {
	w := streams.Out
	fmt.Fprintf(w, "Stack %s\n", st.Stack)
	if st.URL != "" {
		fmt.Fprintf(w, "  url:         %s\n", st.URL)
	}
	if st.UpdateInProgress {
		fmt.Fprintln(w, "  in progress: an update is running now")
	}
	if u := st.LastUpdate; u != nil {
		fmt.Fprintf(w, "  last update: %s %s, started %s", u.Kind, u.Result, u.Started)
		if u.Ended != "" {
			fmt.Fprintf(w, ", ended %s", u.Ended)
		}
		fmt.Fprintln(w)
		if len(u.Changes) > 0 {
			fmt.Fprintf(w, "  changes:     %s\n", countsLine(u.Changes))
		}
	} else {
		fmt.Fprintln(w, "  last update: never")
	}
	fmt.Fprintf(w, "  resources:   %d (%d protected)\n", st.Resources, st.Protected)
	if len(st.PendingOperations) > 0 {
		fmt.Fprintf(w, "  pending:     %d operation(s) an interrupted update never finished:\n", len(st.PendingOperations))
		for _, op := range st.PendingOperations {
			fmt.Fprintf(w, "    %-9s %s (%s)\n", op.Op, op.URN, op.Type)
		}
		if creates := pendingCreates(st.PendingOperations); len(creates) > 0 {
			for _, line := range pendingFix(st.Stack) {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
	keys := make([]string, 0, len(st.Outputs))
	width := 18
	for k := range st.Outputs {
		keys = append(keys, k)
		width = max(width, len(k))
	}
	sort.Strings(keys)
	fmt.Fprintln(w, "  outputs:")
	for _, k := range keys {
		fmt.Fprintf(w, "    %-*s %s\n", width, k, summarise(st.Outputs[k]))
	}
}

func countsLine(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

// summarise prints scalars as they are and collections by size, except a
// list of endpoints, whose URLs are what people look for.
func summarise(v any) string {
	switch t := v.(type) {
	case map[string]any:
		return fmt.Sprintf("{%d keys}", len(t))
	case []any:
		var urls []string
		for _, x := range t {
			if m, ok := x.(map[string]any); ok {
				if u, ok := m["url"].(string); ok {
					urls = append(urls, u)
				}
			}
		}
		if len(urls) == len(t) && len(urls) > 0 {
			return strings.Join(urls, " ")
		}
		return fmt.Sprintf("[%d items]", len(t))
	default:
		return fmt.Sprint(t)
	}
}
