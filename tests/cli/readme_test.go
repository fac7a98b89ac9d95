package clitest

// The README's "Deploying for real" steps, run as written: each command
// line of the section, in order, by bash, in a copy of the repository's
// project and dev stack file, against a fresh file backend and the
// stand-in providers. A command added to the section runs too; one the
// test cannot run fails it.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/crypto/ssh"

	"infra/internal/cli"
	"infra/internal/enginetest"
	"infra/stacks/config"
)

const (
	readmeSection = "## Deploying for real with `pulumi up`"
	// readmeHelper makes this test binary act as cmd/infra (TestReadmeInfraHelper).
	readmeHelper = "INFRA_README_HELPER"
	// buildLine is the README's build step; the test replaces it (below).
	buildLine = "go build -o bin/infra ./cmd/infra"
)

// What the test changes in the README's commands, and nothing else:
//
//   - buildLine writes bin/infra as a shim that runs this test binary as
//     cmd/infra's main (cli.Main with the process's streams and
//     environment, the whole of cmd/infra/main.go) instead of linking a
//     second copy of the program;
//   - HOME is a temporary directory, so ~ and $HOME are the test's: the
//     backend directory, and ~/.ssh/deploy_ed25519, a fresh ed25519 key;
//   - PATH starts with the stand-in provider plugins and the pulumi CLI
//     under test; PULUMI_HOME is a temporary directory, with no update
//     check and no plugin download;
//   - stdin: a `pulumi config set --secret` without a redirection reads a
//     dummy value, readmeSecret(name); `infra up` or `infra destroy`
//     without --yes runs on a terminal (a pty) and is answered "yes".
//
// Every other word, DIGITALOCEAN_TOKEN's dummy value and the passphrase
// included, is the README's.

// TestReadmeInfraHelper is `infra` for the README's commands: the shim
// bin/infra runs it. On its own it does nothing.
func TestReadmeInfraHelper(t *testing.T) {
	if os.Getenv(readmeHelper) == "" {
		t.Skip("runs only as the `infra` of TestReadmeDeploySteps")
	}
	os.Exit(cli.Main(flag.Args(), &cli.IO{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Getenv: os.Getenv}))
}

func TestReadmeDeploySteps(t *testing.T) {
	e := enginetest.New(t)
	lines := readmeCommands(t, filepath.Join("..", "..", "README.md"))
	var secretLines []string
	for _, l := range lines {
		if strings.HasPrefix(l, "pulumi config set --secret") {
			secretLines = append(secretLines, strings.TrimSpace(strings.Split(l, "<")[0]))
		}
	}
	for _, want := range []string{buildLine, "infra init --stack dev", "infra preview --stack dev", "infra up --stack dev"} {
		if !slices.Contains(lines, want) {
			t.Fatalf("the README's deploy steps lack `%s`:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	if len(secretLines) == 0 {
		t.Fatal("the README's deploy steps set no secret")
	}

	sh := newReadmeShell(t, e)
	placeholders := sh.placeholders()
	if len(placeholders) == 0 {
		t.Fatal("the repository's Pulumi.dev.yaml holds no placeholder: the steps prove nothing about setting them")
	}
	start := time.Now()
	created := 0
	for i, line := range lines {
		r := sh.run(line)
		if r.code != 0 {
			t.Fatalf("step %d, `%s`: exit %d\n%s", i+1, line, r.code, r.out)
		}
		switch {
		case line == "infra init --stack dev":
			sh.checkInit(r, secretLines, placeholders)
		case line == "infra up --stack dev":
			created = sh.checkUp(r)
		case line == "infra status --stack dev" && !strings.Contains(r.out, "last update: update succeeded"):
			t.Errorf("status after up:\n%s", r.out)
		}
	}
	t.Logf("%d README commands ran in %s", len(lines), time.Since(start).Round(time.Second))

	// The deployed stack: the output contract, and nothing left to do.
	var outs map[string]any
	if r := sh.must(0, "infra outputs --stack dev --format json"); json.Unmarshal([]byte(r.stdout), &outs) != nil {
		t.Fatalf("outputs are not JSON:\n%s", r.out)
	}
	if err := cli.CheckOutputs(outs); err != nil {
		t.Errorf("outputs against the contract: %v", err)
	}
	if outs["topology"] != "vps" || outs["environment"] != "dev" || outs["connectionStrings"] != cli.Redacted {
		t.Errorf("outputs: %v", outs)
	}
	var again cli.Report
	if r := sh.must(0, "infra up --stack dev --yes --json"); json.Unmarshal([]byte(r.stdout), &again) != nil {
		t.Fatalf("not a JSON report:\n%s", r.out)
	}
	if again.Changed != 0 || again.Changes["same"] != created {
		t.Errorf("a second up: %v, want no change to the deployed resources", again.Changes)
	}
	t.Logf("a second up: %v", again.Changes)
	t.Log("not run: `infra health --stack dev`; the stand-ins create no host to answer it")

	for _, secret := range sh.secrets {
		if strings.Contains(sh.transcript.String(), secret) {
			t.Errorf("a secret value was printed: %q", secret)
		}
	}
}

// readmeCommands returns the command lines of the README's deploy section:
// the indented code blocks inside its numbered steps (7 spaces, the step's
// 3 and Markdown's 4), in order.
func readmeCommands(t *testing.T, readme string) []string {
	t.Helper()
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n"+readmeSection+"\n")
	if !ok {
		t.Fatalf("the README has no %q", readmeSection)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var lines []string
	for _, l := range strings.Split(section, "\n") {
		if strings.HasPrefix(l, "       ") && strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if len(lines) < 5 {
		t.Fatalf("only %d commands in the README's deploy steps: the extraction is broken", len(lines))
	}
	return lines
}

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

// run runs one README line. The build line is replaced (see above).
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

var upCreated = regexp.MustCompile(`(?m)^up of stack dev: succeeded .*\nResources: (\d+) create \(\d+ changing\)\.$`)

// checkUp: up asked, was answered yes, and created the stack's resources,
// in the backend the README logged in to. It returns how many.
func (sh *readmeShell) checkUp(r shellResult) int {
	t := sh.t
	t.Helper()
	if !strings.Contains(r.out, "Do you want to perform this update? [yes/no] yes") {
		t.Errorf("up did not ask, or was not answered:\n%s", r.out)
	}
	m := upCreated.FindStringSubmatch(r.out)
	if m == nil {
		t.Fatalf("up reports no resources created:\n%s", r.out)
	}
	n, _ := strconv.Atoi(m[1])
	if n < 15 {
		t.Errorf("up created %d resources, want the whole dev stack", n)
	}
	state := filepath.Join(sh.home, ".pulumi-state", ".pulumi", "stacks", "infra", "dev.json")
	if _, err := os.Stat(state); err != nil {
		t.Errorf("the state is not in the backend the README logs in to: %v", err)
	}
	return n
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

// placeholders are the placeholder paths of the project copy's stack file.
func (sh *readmeShell) placeholders() []string {
	raw, err := config.ReadFile(config.StackFile(sh.dir, "dev"))
	if err != nil {
		sh.t.Fatal(err)
	}
	var paths []string
	for _, p := range raw.Placeholders() {
		paths = append(paths, p.Path)
	}
	return paths
}

// checkInit: init created the stack and printed exactly the README's
// secret lines; a second init changes nothing; before the secrets are set,
// preview refuses, naming each placeholder.
func (sh *readmeShell) checkInit(r shellResult, readmeLines, placeholders []string) {
	t := sh.t
	t.Helper()
	if !strings.HasPrefix(r.stdout, "Created stack dev in the backend.") {
		t.Errorf("init did not create the stack:\n%s", r.out)
	}
	var printed []string
	for _, l := range strings.Split(r.stdout, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "pulumi config set") {
			cmd, _, _ := strings.Cut(l, "  #")
			printed = append(printed, strings.TrimSpace(cmd))
		}
	}
	if !slices.Equal(printed, readmeLines) {
		t.Errorf("init prints the secret lines\n  %s\nthe README shows\n  %s", strings.Join(printed, "\n  "), strings.Join(readmeLines, "\n  "))
	}
	if again := sh.must(0, "infra init --stack dev"); !strings.HasPrefix(again.stdout, "Stack dev exists in the backend already; nothing changed.") {
		t.Errorf("a second init:\n%s", again.out)
	}
	refused := sh.must(cli.ExitConfig, "infra preview --stack dev")
	for _, p := range placeholders {
		want := p + ": a placeholder, not a secret: set it with `pulumi config set --secret --path '" + p + "' --stack dev`"
		if !strings.Contains(refused.out, want) {
			t.Errorf("preview before the secrets lacks %q:\n%s", want, refused.out)
		}
	}
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
