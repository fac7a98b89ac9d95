package remote

import (
	"strings"
	"testing"
)

// Whose failure an exit is: the remote command's status passes through;
// ssh's 255 and kubectl's own failures are the transport's.
func TestStatus(t *testing.T) {
	for _, c := range []struct {
		name, tool, stderr string
		code               int
		want               int
		remote             bool
	}{
		{"the command's 1 through ssh", "ssh", "", 1, 1, true},
		{"the command's 7 through ssh", "ssh", "", 7, 7, true},
		{"ssh's own failure", "ssh", "ssh: connect to host 203.0.113.31 port 22: Connection refused\r\n", 255, TransportFailure, false},
		{"the command's 7 through kubectl", "kubectl", "command terminated with exit code 7\n", 7, 7, true},
		{"the command's 1 through kubectl", "kubectl", "some output\ncommand terminated with exit code 1\n", 1, 1, true},
		{"kubectl's own failure", "kubectl", `Error from server (NotFound): deployments.apps "api" not found` + "\n", 1, TransportFailure, false},
		{"kubectl's status and its message disagree", "kubectl", "command terminated with exit code 7\n", 1, TransportFailure, false},
		{"the message not at the end is the command's own output", "kubectl", "command terminated with exit code 1\nerror: unable to upgrade connection\n", 1, TransportFailure, false},
		{"killed by a signal", "ssh", "", -1, TransportFailure, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, remote := Status(c.tool, &Exit{Code: c.code, Stderr: c.stderr})
			if got != c.want || remote != c.remote {
				t.Errorf("Status = %d, remote %v; want %d, %v", got, remote, c.want, c.remote)
			}
		})
	}
}

func TestTailWriterKeepsTheEnd(t *testing.T) {
	var out strings.Builder
	w := &TailWriter{W: &out, N: 8}
	for _, s := range []string{"0123", "456789", "ab"} {
		if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if out.String() != "0123456789ab" || w.Tail() != "456789ab" {
		t.Errorf("passed on %q, kept %q", out.String(), w.Tail())
	}
}
