package clitest

// The shell TestReadmeDeployStepsOnTheEngine runs the README's lines in.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/crypto/ssh"

	"infra/internal/enginetest"
)

// readmeShell runs README lines with bash in the project copy, keeping the
// exports of earlier lines (each line is a bash of its own).
type readmeShell struct {
	t          *testing.T
	dir, home  string
	env        []string
	exports    []string
	secrets    []string // the values fed to pulumi config set, and the key
	transcript bytes.Buffer
}

type shellResult struct {
	code        int
	out, stdout string // out is everything printed; stdout alone when not on a pty
}

func newReadmeShell(t *testing.T, e *enginetest.Engine) *readmeShell {
	work := t.TempDir()
	home, dir := filepath.Join(work, "home"), filepath.Join(work, "repo")
	for _, d := range []string{filepath.Join(home, ".ssh"), dir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"Pulumi.yaml", "Pulumi.dev.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, f), b)
	}
	sh := &readmeShell{t: t, dir: dir, home: home}
	sh.secrets = append(sh.secrets, deployKey(t, filepath.Join(home, ".ssh", "deploy_ed25519")))
	sh.env = []string{
		"HOME=" + home,
		"PATH=" + strings.Join([]string{e.ProviderDir, filepath.Join(e.CLIRoot, "bin"), os.Getenv("PATH")}, string(os.PathListSeparator)),
		"PULUMI_HOME=" + e.Env["PULUMI_HOME"],
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"TMPDIR=" + os.TempDir(),
	}
	return sh
}

// deployKey writes a fresh ed25519 private key in OpenSSH's format, as
// ssh-keygen does, and returns its PEM body's first line (never printed).
func deployKey(t *testing.T, path string) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "deploy")
	if err != nil {
		t.Fatal(err)
	}
	key := pem.EncodeToMemory(block)
	if err := os.WriteFile(path, key, 0o600); err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(key), "\n")[1]
}

// readmeSecret is the value typed for the secret name.
func readmeSecret(name string) string { return "readme-test-" + name }

var secretPath = regexp.MustCompile(`--path 'infra:secrets\.([a-z0-9-]+)'`)

// run runs one README line; the build line is replaced (readme_test.go
// lists what the test changes).
func (sh *readmeShell) run(line string) shellResult {
	sh.t.Helper()
	if line == buildLine {
		return sh.writeShim()
	}
	cmd := exec.Command("bash", "-c", strings.Join(append(append([]string{"set -eo pipefail"}, sh.exports...), line), "\n"))
	cmd.Dir, cmd.Env = sh.dir, sh.env
	if strings.HasPrefix(line, "export ") {
		sh.exports = append(sh.exports, line)
	}
	var r shellResult
	start := time.Now()
	switch {
	case (strings.HasPrefix(line, "infra up") || strings.HasPrefix(line, "infra destroy")) && !strings.Contains(line, "--yes"):
		r = sh.answerYes(cmd)
	default:
		if m := secretPath.FindStringSubmatch(line); m != nil && !strings.Contains(line, "<") {
			v := readmeSecret(m[1])
			sh.secrets = append(sh.secrets, v)
			cmd.Stdin = strings.NewReader(v)
		}
		var stdout bytes.Buffer
		all := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = io.MultiWriter(&stdout, all), all
		r = shellResult{code: exitCode(sh.t, cmd.Run()), out: all.String(), stdout: stdout.String()}
	}
	sh.t.Logf("$ %s: exit %d in %s", line, r.code, time.Since(start).Round(time.Millisecond))
	sh.transcript.WriteString(r.out)
	return r
}

// must runs a line the test adds, which has to exit with want.
func (sh *readmeShell) must(want int, line string) shellResult {
	sh.t.Helper()
	r := sh.run(line)
	if r.code != want {
		sh.t.Fatalf("`%s`: exit %d, want %d\n%s", line, r.code, want, r.out)
	}
	return r
}

// writeShim is the build step's stand-in: bin/infra runs this test
// binary as cmd/infra.
func (sh *readmeShell) writeShim() shellResult {
	self, err := os.Executable()
	if err != nil {
		sh.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(sh.dir, "bin"), 0o755); err != nil {
		sh.t.Fatal(err)
	}
	shim := fmt.Sprintf("#!/bin/sh\n%s=1 exec '%s' -test.run='^TestReadmeInfraHelper$' -- \"$@\"\n", readmeHelper, self)
	if err := os.WriteFile(filepath.Join(sh.dir, "bin", "infra"), []byte(shim), 0o755); err != nil {
		sh.t.Fatal(err)
	}
	return shellResult{}
}

// answerYes runs cmd on a pty and types "yes" at its question.
func (sh *readmeShell) answerYes(cmd *exec.Cmd) shellResult {
	sh.t.Helper()
	ptmx, err := pty.Start(cmd)
	if err != nil {
		sh.t.Fatalf("start on a pty: %v", err)
	}
	defer ptmx.Close()
	var mu sync.Mutex
	var screen bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	shown := func() string { mu.Lock(); defer mu.Unlock(); return screen.String() }
	deadline := time.After(10 * time.Minute)
wait:
	for !strings.Contains(shown(), "[yes/no]") {
		select {
		case <-done: // it ended without asking
			break wait
		case <-deadline:
			_ = cmd.Process.Kill()
			sh.t.Fatalf("no question within 10 minutes:\n%s", shown())
		case <-time.After(100 * time.Millisecond):
		}
	}
	if strings.Contains(shown(), "[yes/no]") {
		if _, err := ptmx.Write([]byte("yes\n")); err != nil {
			sh.t.Fatal(err)
		}
	}
	code := exitCode(sh.t, cmd.Wait())
	<-done
	out := strings.ReplaceAll(shown(), "\r\n", "\n")
	return shellResult{code: code, out: out, stdout: out}
}

// lockedBuffer is one buffer for two writers: stdout and stderr are
// copied by goroutines of their own.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}
