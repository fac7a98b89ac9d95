package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	codeSpan  = regexp.MustCompile("`([^`\n]+)`")
	flagToken = regexp.MustCompile(`^--[a-z][a-z0-9-]*`)
)

// Every flag the README and docs/ show on an infra command line exists on
// that command: a renamed or removed flag breaks the docs' promises, not
// just a test.
func TestDocumentedFlagsExist(t *testing.T) {
	root := NewRootCmd(&IO{Getenv: func(string) string { return "" }})
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, filepath.Join("..", "..", "README.md"))
	checked := 0
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		type snippet struct {
			text string
			cell bool // the span opens a table cell: `plan --stack S`
		}
		var lines []snippet
		inBlock := false
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				inBlock = !inBlock
				continue
			}
			if inBlock || strings.HasPrefix(line, "    ") {
				lines = append(lines, snippet{text: line})
				continue
			}
			for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
				lines = append(lines, snippet{text: m[1], cell: strings.HasPrefix(line, "| `"+m[1]+"`")})
			}
		}
		for _, sn := range lines {
			line := sn.text
			verb, flags := commandLine(line, sn.cell)
			if verb == "" {
				continue
			}
			cmd, _, err := root.Find([]string{verb})
			if err != nil || cmd == root {
				continue // not one of ours (pulumi stack export, go test -run ...)
			}
			for _, f := range flags {
				checked++
				if cmd.Flags().Lookup(strings.TrimPrefix(f, "--")) == nil && f != "--help" {
					t.Errorf("%s: `%s` documents %s, which `infra %s` does not have", filepath.Base(doc), strings.TrimSpace(line), f, verb)
				}
			}
		}
	}
	t.Logf("%d documented flags checked", checked)
	if checked < 40 {
		t.Errorf("only %d documented flags found: the scan is broken", checked)
	}
}

// commandLine finds an infra command in a line of docs: `infra VERB
// --flags`, `go run ./cmd/infra VERB`, `bin/infra VERB`, or a table cell
// starting with the verb itself (`plan --stack S`).
func commandLine(line string, cell bool) (string, []string) {
	fields := strings.Fields(line)
	start := -1
	for i, f := range fields {
		if f == "infra" || strings.HasSuffix(f, "/infra") || f == "./cmd/infra" {
			start = i + 1
			break
		}
	}
	if start < 0 {
		if cell && len(fields) > 0 {
			start = 0 // a table cell: `plan --stack S`
		} else {
			return "", nil
		}
	}
	if start >= len(fields) || strings.HasPrefix(fields[start], "-") {
		return "", nil
	}
	verb := fields[start]
	var flags []string
	for _, f := range fields[start+1:] {
		if f == "|" || f == "&&" || f == ";" || f == ">" || strings.HasPrefix(f, "#") {
			break // the next command, a redirection or a comment
		}
		f = strings.TrimLeft(f, "[(")
		if m := flagToken.FindString(f); m != "" {
			flags = append(flags, m)
		}
	}
	return verb, flags
}
