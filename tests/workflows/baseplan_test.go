package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeGo stands in for `go build -o OUT ./cmd/infra`: the "infra" it
// builds answers `plan --stack S --dir D --out O` by copying D's stack file
// to O/S/ (evidence of which commit it planned) next to a plan.json, and
// exits $FAKE_PLAN_EXIT.
const fakeGo = `#!/usr/bin/env bash
[ "$1" = build ] && [ "$2" = -o ] || { echo "fake go: $*" >&2; exit 1; }
cat > "$3" <<'INFRA'
#!/usr/bin/env bash
while [ "$#" -gt 0 ]; do
  case "$1" in
    --stack) stack=$2; shift ;;
    --dir) dir=$2; shift ;;
    --out) out=$2; shift ;;
  esac
  shift
done
mkdir -p "$out/$stack"
cp "$dir/Pulumi.$stack.yaml" "$out/$stack/"
echo '{}' > "$out/$stack/plan.json"
exit "${FAKE_PLAN_EXIT:-0}"
INFRA
chmod +x "$3"
`

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// base-plan.sh plans a stack as the base commit has it, in a worktree of
// that commit that it removes after; a stack the base lacks is no plan
// (the diff then runs with --new-stack); a policy refusal (exit 4) still
// counts as a plan, any other failure does not.
func TestBasePlanScript(t *testing.T) {
	bash := needTool(t, "bash")
	needTool(t, "git")
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Pulumi.yaml", "name: shop\n")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "no stack yet")
	noStack := git(t, repo, "rev-parse", "HEAD")
	write("Pulumi.dev.yaml", "base version\n")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "dev stack")
	withStack := git(t, repo, "rev-parse", "HEAD")
	write("Pulumi.dev.yaml", "head version\n") // the pull request's change

	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(sha, planExit string) (string, error) {
		cmd := exec.Command(bash, filepath.Join(mustAbs(t, root), "scripts", "ci", "base-plan.sh"), sha, "dev", "base-plan")
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_PLAN_EXIT="+planExit)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	planned := filepath.Join(repo, "base-plan", "dev")

	out, err := run(withStack, "0")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(planned, "Pulumi.dev.yaml")); err != nil || string(b) != "base version\n" {
		t.Errorf("planned %q (%v), want the base commit's stack file", b, err)
	}
	if list := git(t, repo, "worktree", "list"); strings.Count(list, "\n") != 0 {
		t.Errorf("the base worktree was left behind:\n%s", list)
	}

	if out, err := run(noStack, "0"); err != nil || !strings.Contains(out, "--new-stack") {
		t.Errorf("a stack the base lacks: %v\n%s", err, out)
	}
	if _, err := os.Stat(planned); !os.IsNotExist(err) {
		t.Errorf("a stack the base lacks left a plan behind: %v", err)
	}

	if out, err := run(withStack, "4"); err != nil {
		t.Errorf("a base the policy refuses is still a plan: %v\n%s", err, out)
	}
	if out, err := run(withStack, "3"); err == nil {
		t.Errorf("a base whose plan failed passed:\n%s", out)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestBasePlanScriptPassesShellcheck(t *testing.T) {
	sc := needTool(t, "shellcheck")
	if out, err := exec.Command(sc, filepath.Join(root, "scripts", "ci", "base-plan.sh")).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}
