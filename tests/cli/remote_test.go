package clitest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"infra/internal/cli"
)

// logs, exec and ssh on a deployed VPS stack, for real up to the ssh
// binary: the deploy key comes out of the stack's encrypted config through
// the engine, and an ssh stand-in on PATH records what it was given (its
// argv, the key file's mode and content) instead of connecting.
func TestEngineRemoteVPS(t *testing.T) {
	s, e := newSession(t)
	dir, secrets := project(t, e, "staging", func(c string) string {
		return strings.Replace(c, "infra:class: production", "infra:class: staging", 1)
	})
	with := func(args ...string) []string { return append(args, "--stack", "staging", "--dir", dir) }
	s.must(cli.ExitOK, with("up", "--yes")...)

	reservedIP := outputs(t, s, with("outputs")...)["vps"].(map[string]any)["reservedIp"].(string)
	bin, rec := t.TempDir(), t.TempDir()
	fake := `#!/bin/sh
set -eu
rec=` + rec + `
printf '%s\n' "$@" > "$rec/argv"
while [ $# -gt 0 ]; do
  if [ "$1" = -i ]; then stat -c %a "$2" > "$rec/mode"; cat "$2" > "$rec/key"; echo "$2" > "$rec/keypath"; fi
  shift
done
exit "${FAKE_SSH_EXIT:-0}"
`
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(rec, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSuffix(string(b), "\n")
	}
	cases := []struct {
		args []string
		last string
	}{
		{with("logs", "server", "--since", "10m", "--follow"), "cd /opt/app && exec docker compose logs --no-log-prefix --since 10m --follow server"},
		{[]string{"exec", "--stack", "staging", "--dir", dir, "server", "--", "dotnet", "--info"}, "cd /opt/app && exec docker compose exec -T server dotnet --info"},
		{with("ssh"), `cd /opt/app && exec "${SHELL:-/bin/sh}" -l`},
	}
	for _, c := range cases {
		s.must(cli.ExitOK, c.args...)
		argv := strings.Split(read("argv"), "\n")
		if argv[len(argv)-1] != c.last || argv[len(argv)-2] != "deploy@"+reservedIP {
			t.Errorf("%v: ssh got %q", c.args, argv)
		}
		if m := read("mode"); m != "600" {
			t.Errorf("%v: key file mode %s", c.args, m)
		}
		key := read("key")
		if !strings.Contains(key, "PRIVATE KEY") || !containsAny(key, secrets) {
			t.Errorf("%v: the key file does not hold the stack's deploy key", c.args)
		}
		if _, err := os.Stat(read("keypath")); !os.IsNotExist(err) {
			t.Errorf("%v: the key file is still there (%v)", c.args, err)
		}
		if containsAny(strings.Join(argv, " "), secrets) {
			t.Errorf("%v: a secret on ssh's command line", c.args)
		}
	}
	// The remote command's status passes through ssh (the stand-in exits
	// with it); ssh's own failure is 255.
	for _, code := range []int{1, 7, 255} {
		t.Setenv("FAKE_SSH_EXIT", strconv.Itoa(code))
		r := s.must(code, "exec", "--stack", "staging", "--dir", dir, "server", "--", "sh", "-c", "exit "+strconv.Itoa(code))
		if own := code != 255; strings.Contains(r.stderr, "the command exited with status") != own {
			t.Errorf("exit %d:\n%s", code, r.stderr)
		}
	}
	t.Setenv("FAKE_SSH_EXIT", "0")
	if r := s.must(cli.ExitUsage, with("logs", "server", "--since", "yesterday")...); !strings.Contains(r.stderr, "--since") {
		t.Errorf("bad --since:\n%s", r.stderr)
	}
	if containsAny(s.transcript.String(), secrets) {
		t.Error("a secret was printed")
	}
}

func outputs(t *testing.T, s *session, args ...string) map[string]any {
	t.Helper()
	var outs map[string]any
	if err := json.Unmarshal([]byte(s.must(cli.ExitOK, args...).stdout), &outs); err != nil {
		t.Fatal(err)
	}
	return outs
}

func containsAny(s string, needles []string) bool {
	for _, n := range needles {
		if strings.Contains(s, n) {
			return true
		}
	}
	return false
}
