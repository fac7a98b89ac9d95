package backup

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// argvRecorder puts psql, pg_dump and pg_dumpall wrappers first on PATH
// that append their whole command line to a log and exec the real client:
// with the docker shim's log (every argv docker gets), it is every command
// line a dump runs. It returns the PATH entry and the log's path.
func argvRecorder(t *testing.T) (pathEnv, log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "argv.log")
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"psql", "pg_dump", "pg_dumpall"} {
		real, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		wrapper := "#!/usr/bin/env bash\nprintf '%s\\n' \"$0 $*\" >>" + shellWord(log) + "\nexec " + shellWord(real) + " \"$@\"\n"
		if err := os.WriteFile(filepath.Join(bin, tool), []byte(wrapper), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin, log
}

func shellWord(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// assertNoPassword fails if a recorded command line holds any of the
// passwords, as given or percent-encoded as in a URI's user information,
// and if the logs recorded no client at all (nothing was checked).
func assertNoPassword(t *testing.T, passwords []string, logs ...string) {
	t.Helper()
	var all strings.Builder
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	lines := all.String()
	for _, client := range []string{"pg_dump ", "psql "} {
		if !strings.Contains(lines, client) {
			t.Fatalf("no %scommand line recorded: the check below would check nothing\n%s", client, lines)
		}
	}
	for _, pw := range passwords {
		encoded := strings.TrimPrefix(url.UserPassword("", pw).String(), ":")
		for _, form := range []string{pw, encoded} {
			if strings.Contains(lines, form) {
				t.Errorf("a command line holds a password (%d bytes)", len(form))
			}
		}
	}
}

// watchCmdlines reads every process's /proc/<pid>/cmdline (world-readable:
// what any user of the host sees) every few milliseconds until stop is
// called, and fails the test if one held a password, raw or
// percent-encoded. It complements the recorders, which see only the
// commands they wrap; stop returns how many processes it read, for the
// log.
func watchCmdlines(t *testing.T, passwords []string) (stop func() int) {
	t.Helper()
	var forms []string
	for _, pw := range passwords {
		forms = append(forms, pw, strings.TrimPrefix(url.UserPassword("", pw).String(), ":"))
	}
	done, result := make(chan struct{}), make(chan int)
	go func() {
		reads, hits := 0, 0
		for {
			select {
			case <-done:
				if hits > 0 {
					t.Errorf("%d process command lines held a password", hits)
				}
				result <- reads
				return
			case <-time.After(2 * time.Millisecond):
			}
			procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
			for _, p := range procs {
				b, err := os.ReadFile(p)
				if err != nil {
					continue // gone already
				}
				reads++
				for _, f := range forms {
					if strings.Contains(string(b), f) {
						hits++
					}
				}
			}
		}
	}()
	return func() int { close(done); return <-result }
}
