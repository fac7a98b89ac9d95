// Package promtest finds the real consumers of the monitoring config for
// tests: promtool (Debian's prometheus package) and amtool (built from the
// Alertmanager module at the deployed version by scripts/amtool.sh). A tool
// that is missing skips the test loudly on a laptop and fails it in CI.
package promtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Promtool returns the path of promtool.
func Promtool(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		missing(t, "promtool (apt-get install prometheus)")
	}
	return p
}

// Amtool returns the path of amtool: $INFRA_AMTOOL, else the one
// scripts/amtool.sh builds (cached after the first build).
func Amtool(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("INFRA_AMTOOL"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "amtool.sh")
	var out, errb bytes.Buffer
	cmd := exec.Command("bash", script)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		missing(t, "amtool (scripts/amtool.sh failed: "+err.Error()+": "+errb.String()+")")
	}
	return strings.TrimSpace(out.String())
}

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI", what)
	}
	t.Skipf("SKIPPED: %s is not available; CI runs this test", what)
}

// Run runs a tool and returns its combined output and whether it succeeded.
func Run(t testing.TB, dir, tool string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(tool, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}
