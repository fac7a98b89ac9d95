package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeGH is a gh on PATH that logs its arguments and answers the comment
// listing with $FAKE_COMMENT_ID (the id gh's --jq would have selected).
const fakeGH = `#!/usr/bin/env bash
printf '%s\n' "$*" >> "$FAKE_GH_LOG"
case "$*" in
  *--paginate*) [ -n "${FAKE_COMMENT_ID:-}" ] && echo "$FAKE_COMMENT_ID" ;;
esac
exit 0
`

func runComment(t *testing.T, existing string, args ...string) (log, out string, err error) {
	t.Helper()
	bash := needTool(t, "bash")
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "gh"), []byte(fakeGH), 0o755); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(t.TempDir(), "gh.log")
	cmd := exec.Command(bash, append([]string{filepath.Join(root, "scripts", "ci", "pr-comment.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_GH_LOG="+logFile, "FAKE_COMMENT_ID="+existing)
	b, err := cmd.CombinedOutput()
	l, _ := os.ReadFile(logFile)
	return string(l), string(b), err
}

func TestPRCommentPostsThenEdits(t *testing.T) {
	md := filepath.Join(t.TempDir(), "preview.md")
	if err := os.WriteFile(md, []byte("<!-- infra-preview:prod -->\n### preview\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	marker := "<!-- infra-preview:prod -->"

	log, out, err := runComment(t, "", "acme/shop", "42", marker, md)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(log, `startswith("<!-- infra-preview:prod -->")`) {
		t.Errorf("the comment lookup does not select by the marker:\n%s", log)
	}
	if !strings.Contains(log, "api --method POST repos/acme/shop/issues/42/comments -F body=@"+md) {
		t.Errorf("no new comment posted:\n%s", log)
	}

	log, out, err = runComment(t, "987654", "acme/shop", "42", marker, md)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(log, "api --method PATCH repos/acme/shop/issues/comments/987654 -F body=@"+md) || strings.Contains(log, "POST") {
		t.Errorf("the existing comment was not edited in place:\n%s", log)
	}
}

func TestPRCommentRefusesAFileWithoutItsMarker(t *testing.T) {
	md := filepath.Join(t.TempDir(), "preview.md")
	if err := os.WriteFile(md, []byte("<!-- infra-preview:dev -->\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	log, out, err := runComment(t, "", "acme/shop", "42", "<!-- infra-preview:prod -->", md)
	if err == nil || log != "" || !strings.Contains(out, "does not start with") {
		t.Errorf("err %v, gh calls %q, output %q", err, log, out)
	}
}

func TestPRCommentScriptPassesShellcheck(t *testing.T) {
	sc := needTool(t, "shellcheck")
	if out, err := exec.Command(sc, filepath.Join(root, "scripts", "ci", "pr-comment.sh")).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}
