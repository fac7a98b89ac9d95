package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"infra/internal/plan"
	"infra/internal/planner"
	"infra/stacks/config"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// pullRequest is the change of issue 17's acceptance test, made to the
// repository's dev stack: an image bump, an env change, a bigger Droplet
// and a new public service.
var pullRequest = []struct{ old, new string }{
	{"image: ghcr.io/focusdeck/server:1.4.2", "image: ghcr.io/focusdeck/server:1.4.3"},
	{`Features__Jarvis: "true"`, `Features__Jarvis: "false"`},
	{"size: s-2vcpu-4gb", "size: s-4vcpu-8gb"},
	{"  # PLACEHOLDERS, not secrets", `    - name: reports
      image: ghcr.io/focusdeck/reports:2.0.0
      port: 8090
      health: /healthz
      public: { host: reports }
      resources: { cpu: "0.5", memory: 512Mi }
  # PLACEHOLDERS, not secrets`},
}

// runMain runs the whole CLI as main does.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, &IO{Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

// diffProject is a project holding the repository's dev stack, planned
// as the base (under base/), then changed by the pull request.
func diffProject(t *testing.T) (dir, basePlan string) {
	t.Helper()
	dir = devProject(t)
	if code, _, errOut := runMain(t, "plan", "--stack", "dev", "--dir", dir, "--out", filepath.Join(dir, "base")); code != ExitOK {
		t.Fatalf("base plan: exit %d: %s", code, errOut)
	}
	stackFile := filepath.Join(dir, "Pulumi.dev.yaml")
	b, err := os.ReadFile(stackFile)
	if err != nil {
		t.Fatal(err)
	}
	head := string(b)
	for _, e := range pullRequest {
		if !strings.Contains(head, e.old) {
			t.Fatalf("test setup: Pulumi.dev.yaml lacks %q", e.old)
		}
		head = strings.Replace(head, e.old, e.new, 1)
	}
	if err := os.WriteFile(stackFile, []byte(head), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(dir, "base", "dev", "plan.json")
}

// devProject is a project holding a copy of the repository's dev stack.
func devProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"Pulumi.yaml", "Pulumi.dev.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Issue 17, done when: "a test posts (to a file) the PR comment for a
// change of image, env, size and a new service, and its content is
// asserted". The comment is what the preview workflow posts after the
// engine preview: `infra diff --markdown --append` onto preview.md.
func TestDiffCommentOfAPullRequest(t *testing.T) {
	dir, basePlan := diffProject(t)
	comment := filepath.Join(dir, "preview.md")
	preview := "<!-- infra-preview:dev -->\n### ✅ `infra preview` of stack `dev`: succeeded\n"
	if err := os.WriteFile(comment, []byte(preview), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := runMain(t, "diff", "--stack", "dev", "--dir", dir, "--base-plan", basePlan, "--markdown", comment, "--append")
	if code != ExitOK {
		t.Fatalf("diff: exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(comment)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)

	if !strings.HasPrefix(md, preview) {
		t.Errorf("the engine preview (and its marker, by which the comment is edited in place) must stay first:\n%.300s", md)
	}
	for _, want := range []struct{ what, text string }{
		{"heading", "### Plan diff of stack `dev` against the base branch"},
		{"the image before, in the compose diff", "-    image: ghcr.io/focusdeck/server:1.4.2\n"},
		{"the image after, in the compose diff", "+    image: ghcr.io/focusdeck/server:1.4.3\n"},
		{"the env key", "Features__Jarvis"},
		{"the size before and after", "<code>size</code>: <code>s-2vcpu-4gb</code> → <code>s-4vcpu-8gb</code>"},
		{"the cost heading with the delta", "### Cost of stack `dev`: $53.00/month (+$24.00 against the base branch)"},
		{"the Droplet's cost line", "| changed | Droplet s-4vcpu-8gb | `infra-dev-droplet` | $24.00 | $48.00 |"},
		{"the new service's image in the compose diff", "+    image: ghcr.io/focusdeck/reports:2.0.0\n"},
		{"the compose diff collapsed", "<details><summary><code>vps/compose.yaml</code> changed"},
		{"the deploy command's stdin, as a changed secret", "<code>stdin</code>: secret, changed"},
		{"the policy verdict", "✅ **Policy: passed**"},
		{"a mermaid block", "```mermaid\nflowchart LR\n"},
		{"the graph marks what changes", "class "},
	} {
		if !strings.Contains(md, want.text) {
			t.Errorf("the comment lacks %s: %q", want.what, want.text)
		}
	}
	// The new service's resources are added: its DNS record and its
	// uptime check, and nothing else is.
	var added []string
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| + | ") {
			added = append(added, line)
		}
	}
	if len(added) != 2 || !strings.Contains(added[0]+added[1], "<code>infra-dev-dns-reports</code> | <code>digitalocean:index/dnsRecord:DnsRecord</code> | added |") ||
		!strings.Contains(added[0]+added[1], "<code>infra-alerts-uptime-reports-dev-focusdeck-example-com</code>") {
		t.Errorf("the new service's resources as added: %q", added)
	}
	if len(md) > commentLimit {
		t.Errorf("comment of %d bytes, over the limit %d", len(md), commentLimit)
	}
	for _, leak := range secretsOf(t, dir, basePlan) {
		if strings.Contains(md, leak) || strings.Contains(stdout, leak) {
			t.Errorf("a secret (or its digest) is shown: %.12s…", leak)
		}
	}
	if !strings.Contains(stdout, "size: s-2vcpu-4gb -> s-4vcpu-8gb") || !strings.Contains(stdout, "+    image: ghcr.io/focusdeck/server:1.4.3") {
		t.Errorf("the text output lacks the size or the image change:\n%s", stdout)
	}

	golden := filepath.Join("testdata", "diff-comment.md")
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./internal/cli -run DiffComment -update writes it)", err)
	}
	if string(want) != md {
		t.Errorf("the comment differs from %s (rerun with -update after checking the change)", golden)
	}
}

// secretsOf lists what must never be shown: the passwords the mocks
// generate for the head, the config secrets' offline placeholders, and
// the digests either plan keeps of its masked values.
func secretsOf(t *testing.T, dir, basePlan string) []string {
	t.Helper()
	raw, err := config.ReadFile(filepath.Join(dir, "Pulumi.dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	head, err := planner.Run("focusdeck", "dev", raw)
	if err != nil {
		t.Fatal(err)
	}
	base, err := plan.ReadJSON(basePlan)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]string{"offline-secret-"}, head.Generated...)
	for _, p := range []*plan.Plan{head, base} {
		for _, r := range p.Resources {
			for _, d := range r.SecretDigests {
				out = append(out, d)
			}
		}
	}
	if len(out) < 5 {
		t.Fatalf("only %d secrets to look for: the scan would prove nothing", len(out))
	}
	return out
}

// --json carries the same facts; --new-stack compares with nothing.
func TestDiffJSONAndNewStack(t *testing.T) {
	dir, basePlan := diffProject(t)
	code, stdout, errOut := runMain(t, "diff", "--stack", "dev", "--dir", dir, "--base-plan", basePlan, "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc DiffDocument
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("diff --json is not one document: %v", err)
	}
	c := doc.Diff.Counts()
	if c.Added == 0 || c.Changed == 0 || doc.Delta.Delta != 24 || doc.Policy.Verdict != "passed" || len(doc.Graph.Nodes) == 0 {
		t.Errorf("counts %+v, cost delta %v, verdict %q, %d graph nodes", c, doc.Delta.Delta, doc.Policy.Verdict, len(doc.Graph.Nodes))
	}
	var compose string
	for _, f := range doc.Diff.Files {
		if f.Path == "vps/compose.yaml" {
			compose = f.Diff
		}
	}
	if !strings.Contains(compose, "+    image: ghcr.io/focusdeck/server:1.4.3") {
		t.Errorf("the JSON lacks the compose diff:\n%s", compose)
	}

	code, stdout, errOut = runMain(t, "diff", "--stack", "dev", "--dir", dir, "--new-stack", "--json")
	if code != ExitOK {
		t.Fatalf("--new-stack: exit %d: %s", code, errOut)
	}
	doc = DiffDocument{}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if c := doc.Diff.Counts(); !doc.Diff.NewStack || c.Changed+c.Removed != 0 || c.Added == 0 || doc.Delta.Before != 0 {
		t.Errorf("a new stack: counts %+v, cost before %v", c, doc.Delta.Before)
	}

	// A whole stack added is a long comment: it keeps within any limit
	// it is given, and its code blocks and <details> stay closed.
	for _, limit := range []int{commentLimit, 20000, 6000, 1500} {
		md := doc.Markdown(limit)
		if len(md) > limit {
			t.Errorf("limit %d: %d bytes", limit, len(md))
		}
		if strings.Count(md, "<details>") != strings.Count(md, "</details>") || strings.Count(md, "```")%2 != 0 {
			t.Errorf("limit %d: an unclosed block:\n%s", limit, md)
		}
		if !strings.Contains(md, "### Plan diff of stack `dev` against nothing") {
			t.Errorf("limit %d: no heading", limit)
		}
	}
}

func TestDiffFlags(t *testing.T) {
	dir := devProject(t)
	basePlan := filepath.Join(dir, "base", "dev", "plan.json")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no base", []string{"diff", "--stack", "dev", "--dir", dir}, ExitUsage},
		{"base and new stack", []string{"diff", "--stack", "dev", "--dir", dir, "--base-plan", basePlan, "--new-stack"}, ExitUsage},
		{"append without markdown", []string{"diff", "--stack", "dev", "--dir", dir, "--new-stack", "--append"}, ExitUsage},
		{"missing base plan", []string{"diff", "--stack", "dev", "--dir", dir, "--base-plan", basePlan}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, errOut := runMain(t, tt.args...); code != tt.want {
				t.Errorf("exit %d, want %d: %s", code, tt.want, errOut)
			}
		})
	}
}
