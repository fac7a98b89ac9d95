package clitest

import (
	"os"
	"strings"
	"testing"

	"infra/internal/cli"
)

// A state file damaged on disk (a truncated write, a bad merge of a
// checked-in backend): every command that reads it fails naming the file
// and the way back (the backups the file backend keeps), and nothing runs
// against a state it cannot read; the way back works.
func TestEngineCorruptedState(t *testing.T) {
	s, e := newSession(t)
	dir, _ := project(t, e, "staging", func(c string) string {
		return strings.Replace(c, "infra:class: production", "infra:class: staging", 1)
	})
	with := func(args ...string) []string { return append(args, "--stack", "staging", "--dir", dir) }
	s.must(cli.ExitOK, with("up", "--yes")...)
	path := e.StatePath("focusdeck", "staging")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{with("status"), with("preview"), with("up", "--yes"), with("refresh"), with("outputs")} {
		r := s.run(args...)
		t.Logf("%v: exit %d\n%s", args, r.code, r.stderr)
		if r.code == cli.ExitOK {
			t.Errorf("%v ran on a corrupted state", args)
			continue
		}
		for _, want := range []string{path, "backups", "copy the newest", "infra refresh --stack staging"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%v: the error lacks %q:\n%s", args, want, r.stderr)
			}
		}
	}
	// The way back the message gives works: the version before the last
	// write, imported, and a refresh.
	bak, err := os.ReadFile(path + ".bak")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bak, 0o600); err != nil {
		t.Fatal(err)
	}
	s.must(cli.ExitOK, with("refresh")...)
	s.must(cli.ExitOK, with("preview", "--expect-no-changes")...)
}
