package remote

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
)

// Exit is a command line that ended with a non-zero status: the status,
// and the end of what it wrote on stderr (kubectl names the remote
// command's status there).
type Exit struct {
	Code   int
	Stderr string
}

func (e *Exit) Error() string { return fmt.Sprintf("exited with status %d", e.Code) }

// TransportFailure is the status for ssh or kubectl failing themselves
// (no connection, no authentication, no such pod): ssh's own convention.
const TransportFailure = 255

// kubectlRemoteExit is what kubectl writes when the command it ran in the
// container exits non-zero; kubectl then exits with that status
// (k8s.io/client-go tools/remotecommand v4.go: CodeExitError "command
// terminated with exit code %d"; k8s.io/kubectl pkg/cmd/util/helpers.go
// checkErr: utilexec.ExitError -> its ExitStatus). Its own failures exit 1
// (DefaultErrorExitCode) without that line.
var kubectlRemoteExit = regexp.MustCompile(`command terminated with exit code (\d+)\s*$`)

// Status says whose failure an Exit of tool (argv[0]) is and the status
// infra exits with: the remote command's own status, passed through
// (remote true), or TransportFailure when ssh or kubectl failed itself.
//
//   - ssh exits with the remote command's status, and 255 for its own
//     errors (ssh(1), EXIT STATUS): 255 is the transport's.
//   - kubectl exits with the container command's status after saying so
//     on stderr; any other failure is its own.
//
// A status the system cannot report (a signal: -1) is the transport's.
func Status(tool string, e *Exit) (code int, remote bool) {
	if e.Code <= 0 || e.Code > 255 {
		return TransportFailure, false
	}
	switch tool {
	case "ssh":
		if e.Code == TransportFailure {
			return TransportFailure, false
		}
		return e.Code, true
	case "kubectl":
		if m := kubectlRemoteExit.FindStringSubmatch(e.Stderr); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil && n == e.Code {
				return e.Code, true
			}
		}
		return TransportFailure, false
	}
	return e.Code, true
}

// TailWriter passes writes on to W and keeps the last N bytes written.
type TailWriter struct {
	W    io.Writer
	N    int
	tail []byte
}

func (t *TailWriter) Write(p []byte) (int, error) {
	t.tail = append(t.tail, p...)
	if over := len(t.tail) - t.N; over > 0 {
		t.tail = append(t.tail[:0], t.tail[over:]...)
	}
	return t.W.Write(p)
}

// Tail is the end of what was written.
func (t *TailWriter) Tail() string { return string(t.tail) }
