package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

func TestPreviewMarkdown(t *testing.T) {
	md := filepath.Join(t.TempDir(), "preview.md")
	f := &fakeStack{previewEvents: evs{
		pre(apitype.OpUpdate, typeDroplet, "web", "tags"), pre(apitype.OpCreate, typeVPC, "vpc"),
		summary(map[apitype.OpType]int{"update": 1, "create": 1, "same": 7}),
	}}
	r := runWith(context.Background(), t, previewCmd(f, nil), "preview", "--stack", "prod", "--dir", testProject(t), "--markdown", md)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, want := range []string{"<!-- infra-preview:prod -->\n", "| update | 1 |", "| same | 7 |", "**2 change(s).**", "- `update` " + typeDroplet + " `web` (tags)"} {
		if !strings.Contains(doc, want) {
			t.Errorf("markdown lacks %q:\n%s", want, doc)
		}
	}
	if !strings.HasPrefix(doc, "<!-- infra-preview:prod -->") {
		t.Error("the marker must come first: the workflow finds the comment by it")
	}
}

// A deploy that reruns says why in words, in the summary and in the
// comment: the engine alone names only "stdin, triggers".
func TestStepReasonsAreReadable(t *testing.T) {
	md := filepath.Join(t.TempDir(), "preview.md")
	f := &fakeStack{previewEvents: evs{
		pre(apitype.OpUpdate, commandType, "infra-dev-deploy", "stdin", "triggers"),
		pre(apitype.OpUpdate, typeDroplet, "web", "tags"),
		summary(map[apitype.OpType]int{"update": 2}),
	}}
	r := runWith(context.Background(), t, previewCmd(f, nil), "preview", "--stack", "prod", "--dir", testProject(t), "--markdown", md)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"summary": r.stdout + r.stderr, "markdown": string(b)} {
		for _, want := range []string{"stdin: the deploy bundle changed", "triggers: the bundle's digest changed", "`infra diff` shows the files"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, text)
			}
		}
		// A property without a known reason keeps its bare name.
		if !strings.Contains(text, "web") || strings.Contains(text, "tags:") {
			t.Errorf("%s: tags should stay a bare name:\n%s", name, text)
		}
	}
}

func TestMarkdownRefusalAndTruncation(t *testing.T) {
	r := newReport("prod", "preview")
	r.Result, r.Error = "refused", "the change would REPLACE ```x```"
	for i := 0; i < 5000; i++ {
		r.Steps = append(r.Steps, Step{Op: "create", Type: typeVPC, Name: fmt.Sprintf("vpc-%04d-with-a-long-name", i)})
	}
	doc := r.Markdown()
	if len(doc) > 65536 {
		t.Errorf("markdown is %d characters: over GitHub's comment limit", len(doc))
	}
	if !strings.Contains(doc, "(truncated)") || !strings.Contains(doc, "⛔") || strings.Contains(doc, "```x```") {
		t.Errorf("refusal markdown:\n%.400s", doc)
	}
}
