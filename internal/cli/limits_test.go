package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// helperArgs, when set, makes the test binary run `infra` with these
// arguments (one per line) instead of the tests: the process under a
// memory limit below.
const helperArgs = "INFRA_CLI_HELPER_ARGS"

func TestHelperInfra(t *testing.T) {
	args := os.Getenv(helperArgs)
	if args == "alloc" {
		// The control: what expanding the bomb would do to the heap.
		big := make([]byte, 2<<30)
		for i := range big {
			big[i] = 1
		}
		os.Exit(int(big[len(big)-1]) - 1)
	}
	if args == "" {
		t.Skip("runs only as the helper process of TestAliasBombUnderMemoryLimit")
	}
	os.Exit(Main(strings.Split(args, "\n"), &IO{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Getenv: os.Getenv}))
}

// The "billion laughs": nine levels of nine aliases would expand to 9^9
// values (gigabytes once decoded). `infra validate` and `infra plan` refuse
// it with exit 3, in a process whose address space is limited to 2 GiB
// (ulimit -v; the Go runtime and its threads reserve part of it): the file
// is measured, not expanded. A control allocating 2 GiB under the same
// limit must fail, or the limit proves nothing.
func TestAliasBombUnderMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("config:\n  infra:environment: dev\n  infra:l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 9; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "  infra:l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(p+", ", 9), ", "))
	}
	for name, content := range map[string]string{"Pulumi.yaml": "name: bomb\nruntime: go\n", "Pulumi.dev.yaml": b.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	limited := func(args string) *exec.Cmd {
		cmd := exec.Command("sh", "-c", `ulimit -v 2097152 && exec "$0" -test.run '^TestHelperInfra$'`, os.Args[0])
		cmd.Env = append(os.Environ(), helperArgs+"="+args)
		return cmd
	}
	if out, err := limited("alloc").CombinedOutput(); err == nil {
		t.Fatalf("2 GiB were allocated under the 2 GiB limit: the limit does not hold\n%s", out)
	}
	for _, verb := range []string{"validate", "plan"} {
		cmd := limited(strings.Join([]string{verb, "--stack", "dev", "--dir", dir}, "\n"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: exit %d in %s under ulimit -v 2 GiB", verb, code, took.Round(time.Millisecond))
		if code != ExitConfig || !strings.Contains(out.String(), "more than 100000 values") || !strings.Contains(out.String(), "line ") {
			t.Errorf("%s: exit %d, want %d with the line and the limit:\n%s", verb, code, ExitConfig, out.String())
		}
	}
}
