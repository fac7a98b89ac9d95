package cli

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// fakeBackend knows some stacks; opening one it does not know fails as
// the Automation API's select does, unless the request may create it.
type fakeBackend struct {
	stacks  map[string]bool
	creates []StackRequest
	err     error // returned by every open, when set
}

func (b *fakeBackend) open(_ context.Context, req StackRequest) (Stack, error) {
	if b.err != nil {
		return nil, b.err
	}
	if !b.stacks[req.Project.Stack] {
		if !req.Create {
			return nil, noSuchStack(req.Project.Stack)
		}
		b.stacks[req.Project.Stack] = true
		b.creates = append(b.creates, req)
	}
	return &fakeStack{name: req.Project.Stack}, nil
}

func initCmd(b *fakeBackend) func(*IO) *cobra.Command {
	return func(s *IO) *cobra.Command {
		return NewCmdInit(s, func(o *InitOptions) error {
			o.OpenStack = b.open
			return runInit(context.Background(), o)
		})
	}
}

// init creates a stack the backend does not know, once: a second run
// changes nothing and prints the same next steps.
func TestInitCreatesTheStackOnce(t *testing.T) {
	dir := testProject(t)
	b := &fakeBackend{stacks: map[string]bool{}}
	first := runWith(context.Background(), t, initCmd(b), "init", "--stack", "dev", "--dir", dir, "--secrets-provider", "passphrase")
	if first.code != ExitOK {
		t.Fatalf("exit %d: %v\n%s", first.code, first.err, first.stderr)
	}
	if len(b.creates) != 1 || b.creates[0].SecretsProvider != "passphrase" || b.creates[0].Project.Name != "focusdeck" {
		t.Fatalf("creates = %+v, want one of focusdeck/dev with the passphrase provider", b.creates)
	}
	for _, want := range []string{"Created stack dev in the backend.", "infra preview --stack dev --dir " + dir, "infra up --stack dev --dir " + dir} {
		if !strings.Contains(first.stdout, want) {
			t.Errorf("init output lacks %q:\n%s", want, first.stdout)
		}
	}
	for secret, usedBy := range map[string]string{
		"deploy-ssh-key": "infra:vps.sshPrivateKeySecret",
		"smtp-password":  "infra:monitoring.receivers.smtpPasswordSecret",
	} {
		command := "pulumi config set --secret --path 'infra:secrets." + secret + "' --stack dev --cwd " + dir + " "
		if !strings.Contains(lineWith(first.stdout, command), "# "+usedBy) {
			t.Errorf("no line %q ... # %s in:\n%s", command, usedBy, first.stdout)
		}
	}
	if n := strings.Count(first.stdout, "pulumi config set --secret"); n != 7 {
		t.Errorf("%d secret lines, want one per secret of the stack file (7):\n%s", n, first.stdout)
	}

	again := runWith(context.Background(), t, initCmd(b), "init", "--stack", "dev", "--dir", dir)
	if again.code != ExitOK || len(b.creates) != 1 {
		t.Fatalf("second init: exit %d, %d creates", again.code, len(b.creates))
	}
	if !strings.HasPrefix(again.stdout, "Stack dev exists in the backend already; nothing changed.\n") {
		t.Errorf("second init says:\n%s", again.stdout)
	}
	_, firstSteps, _ := strings.Cut(first.stdout, "\n")
	_, againSteps, _ := strings.Cut(again.stdout, "\n")
	if firstSteps != againSteps {
		t.Errorf("the next steps changed:\n%s\n---\n%s", firstSteps, againSteps)
	}
}

// --json: whether the stack was created, every secret with its command
// and the keys using it, the commands in order.
func TestInitJSON(t *testing.T) {
	dir := testProject(t)
	b := &fakeBackend{stacks: map[string]bool{"prod": true}}
	r := runWith(context.Background(), t, initCmd(b), "init", "--stack", "prod", "--dir", dir, "--json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	var got Init
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if got.Created || got.Stack != "prod" || len(got.Secrets) != 7 || len(got.Problems) != 0 {
		t.Fatalf("init = %+v", got)
	}
	s := got.Secrets[0]
	if s.Name != "deadmansswitch-url" || s.Command != "pulumi config set --secret --path 'infra:secrets.deadmansswitch-url' --stack prod --cwd "+dir ||
		strings.Join(s.UsedBy, ",") != "infra:monitoring.receivers.deadMansSwitchSecret" {
		t.Errorf("first secret = %+v", s)
	}
	if n := len(got.Next); n != 9 || got.Next[0] != s.Command || got.Next[n-1] != "infra up --stack prod --dir "+dir {
		t.Errorf("next = %q", got.Next)
	}
}

// A stack file with config problems: the stack is still created (the
// backend does not read the config) and the first step is to fix them.
func TestInitWithConfigProblems(t *testing.T) {
	dir := testProject(t)
	b := &fakeBackend{stacks: map[string]bool{}}
	r := runWith(context.Background(), t, initCmd(b), "init", "--stack", "bad", "--dir", dir)
	if r.code != ExitOK || len(b.creates) != 1 {
		t.Fatalf("exit %d, %d creates: %v", r.code, len(b.creates), r.err)
	}
	for _, want := range []string{"1. Fix the stack file's", "`infra validate --stack bad --dir " + dir + "` lists them", "infra:topology: value must be one of"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("init output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// What init cannot do, it says, and it creates nothing.
func TestInitFailures(t *testing.T) {
	dir := testProject(t)
	for name, c := range map[string]struct {
		backend *fakeBackend
		args    []string
		code    int
		text    string
	}{
		"no stack file":       {&fakeBackend{stacks: map[string]bool{}}, []string{"--stack", "staging"}, ExitUsage, `stack "staging" has no config file`},
		"no --stack":          {&fakeBackend{stacks: map[string]bool{}}, nil, ExitUsage, "--stack is required"},
		"backend unreachable": {&fakeBackend{stacks: map[string]bool{}, err: errors.New("failed to log in to the backend")}, []string{"--stack", "dev"}, ExitFailure, "failed to log in"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runWith(context.Background(), t, initCmd(c.backend), append([]string{"init", "--dir", dir}, c.args...)...)
			if r.code != c.code || r.err == nil || !strings.Contains(r.err.Error(), c.text) {
				t.Fatalf("exit %d (%v), want %d mentioning %q", r.code, r.err, c.code, c.text)
			}
			if len(c.backend.creates) != 0 {
				t.Errorf("created %d stacks", len(c.backend.creates))
			}
		})
	}
}

// lineWith is the first line of text containing part ("" if none).
func lineWith(text, part string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, part) {
			return l
		}
	}
	return ""
}

func TestShellWord(t *testing.T) {
	for in, want := range map[string]string{"dev": "dev", "/tmp/a b": "'/tmp/a b'", "it's": `'it'\''s'`, "": "''"} {
		if got := shellWord(in); got != want {
			t.Errorf("shellWord(%q) = %s, want %s", in, got, want)
		}
	}
}
