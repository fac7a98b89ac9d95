package clitest

// The README's "Deploying for real" steps, run as written: each command
// line of the section, in order, by bash, in a copy of the repository's
// project and dev stack file, against a fresh file backend and the
// stand-in providers. A command added to the section runs too; one the
// test cannot run fails it.

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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
		t.Skip("runs only as the `infra` of TestReadmeDeployStepsOnTheEngine")
	}
	os.Exit(cli.Main(flag.Args(), &cli.IO{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Getenv: os.Getenv}))
}

func TestReadmeDeployStepsOnTheEngine(t *testing.T) {
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
