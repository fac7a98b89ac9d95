package cli

import (
	"fmt"
	"io"
	"strings"

	"infra/internal/cost"
)

// commentLimit keeps a pull request comment under GitHub's limit of
// 65 536 characters (a byte count is never below the character count).
const commentLimit = 65000

// against says what the head is compared with.
func (doc *DiffDocument) against() string {
	if doc.Base == "" {
		return "nothing (the stack is new: everything is added)"
	}
	return "the base branch"
}

// summary is the one line of counts the text and the Markdown start with.
func (doc *DiffDocument) summary() string {
	c, f := doc.Diff.Counts(), doc.Diff.FileCounts()
	return fmt.Sprintf("%d added, %d changed, %d removed resource(s) (%d unchanged); rendered files: %d added, %d changed, %d removed; cost %s/month; policy %s",
		c.Added, c.Changed, c.Removed, doc.Diff.Unchanged, f.Added, f.Changed, f.Removed, signedMoney(doc.Delta.Delta), doc.Policy.Verdict)
}

func signedMoney(v float64) string {
	if v > 0 {
		return "+" + cost.Money(v)
	}
	return cost.Money(v)
}

// Markdown is the pull request comment section for the stack, at most
// limit bytes: a heading, the summary, the changed resources, each
// rendered file's diff collapsed, the cost delta, the policy's verdict and
// the Mermaid graph of what changes. What does not fit is cut with a note:
// the diffs first, then the resource table, then the graph.
func (doc *DiffDocument) Markdown(limit int) string {
	var head strings.Builder
	fmt.Fprintf(&head, "<!-- infra-diff:%s -->\n", doc.Stack)
	fmt.Fprintf(&head, "### Plan diff of stack `%s` against %s\n\n", doc.Stack, doc.against())
	fmt.Fprintf(&head, "**%s.**\n\n", doc.summary())
	head.WriteString("_From offline plans: outputs are simulated; a secret shows only as changed, never its value._\n\n")
	if limit < head.Len()+500 {
		return head.String() + "_The rest is left out: the comment is full. Run `infra diff` for it._\n"
	}

	var tail strings.Builder
	tail.WriteString("#### Cost\n\n")
	_ = doc.Cost.WriteMarkdown(&tail, &doc.Delta)
	tail.WriteString("\n#### Policy\n\n")
	_ = doc.Policy.WriteMarkdown(&tail)
	graph := doc.mermaid()
	room := limit - head.Len() - tail.Len()
	if len(graph) > room/3 {
		graph = fmt.Sprintf("\n_The graph of what changes (%d resources) is left out to fit the comment: `infra diff --json` has it._\n", len(doc.Graph.Nodes))
	}
	room -= len(graph)

	resources := "#### Resources\n\n"
	filesHead := "\n#### Rendered files\n\n"
	tableRoom := room - len(resources) - len(filesHead) - 100
	if len(doc.Diff.Files) > 0 {
		tableRoom = tableRoom * 2 / 5 // the diffs get the rest, and what the table leaves
	}
	resources += doc.Diff.MarkdownResources(tableRoom)
	files := filesHead + doc.Diff.MarkdownFiles(room-len(resources)-len(filesHead)-100)
	// When even the shortest forms overrun a small limit (a comment
	// nearly full already), the parts give way one by one.
	fc := doc.Diff.FileCounts()
	filesShort := fmt.Sprintf("%s%d rendered file(s) changed: left out to fit the comment; run `infra diff` for them.\n", filesHead, fc.Added+fc.Changed+fc.Removed)
	for _, md := range []string{
		head.String() + resources + files + "\n" + tail.String() + graph,
		head.String() + resources + filesShort + "\n" + tail.String(),
		head.String() + tail.String(),
	} {
		if len(md) <= limit {
			return md
		}
	}
	return head.String() + "_The rest is left out: the comment is full. Run `infra diff` for it._\n"
}

// mermaid is the graph of what changes, collapsed.
func (doc *DiffDocument) mermaid() string {
	if len(doc.Graph.Nodes) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n<details><summary>Graph of what changes (%d resources, with their parents)</summary>\n\n```mermaid\n", len(doc.Graph.Nodes))
	_ = doc.Graph.WriteMermaid(&b)
	b.WriteString("```\n\n</details>\n")
	return b.String()
}

// writeText prints the diff for a terminal.
func (doc *DiffDocument) writeText(w io.Writer) error {
	base := doc.Base
	if base == "" {
		base = "nothing (--new-stack: everything is added)"
	}
	fmt.Fprintf(w, "Plan diff of stack %q against %s.\n", doc.Stack, base)
	fmt.Fprintln(w, "Both plans are offline: outputs are SIMULATED; a secret shows only as changed, never its value.")
	fmt.Fprintln(w)
	if err := doc.Diff.WriteText(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := doc.Delta.WriteText(w); err != nil {
		return err
	}
	if err := doc.Policy.Write(w); err != nil {
		return err
	}
	if len(doc.Graph.Nodes) > 0 {
		fmt.Fprintln(w, "\nGraph of what changes (Mermaid):")
		return doc.Graph.WriteMermaid(w)
	}
	return nil
}
