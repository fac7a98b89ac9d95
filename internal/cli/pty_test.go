package cli

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// screen is what the pty's master side shows: everything written to the
// terminal, echoed input included.
type screen struct {
	mu   sync.Mutex
	text strings.Builder
	more chan struct{}
}

func (s *screen) read(r interface{ Read([]byte) (int, error) }) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		s.mu.Lock()
		s.text.Write(buf[:n])
		s.mu.Unlock()
		select {
		case s.more <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.text.String()
}

// waitFor waits until the screen shows want.
func (s *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for !strings.Contains(s.String(), want) {
		select {
		case <-s.more:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("the terminal never showed %q:\n%s", want, s.String())
		}
	}
}

// up on a real terminal (a pty: the real terminal check, no fake) shows
// the change and asks; the answer typed there decides.
func TestUpAsksOnARealTerminal(t *testing.T) {
	for _, tc := range []struct {
		answer string
		want   int
		calls  []string
	}{
		{"yes", ExitOK, []string{"export", "preview", "up"}},
		{"no", ExitCancelled, []string{"export", "preview"}},
	} {
		t.Run(tc.answer, func(t *testing.T) {
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Skipf("no pty on this machine: %v", err)
			}
			defer ptmx.Close()
			defer tty.Close()
			if !isTerminal(tty) {
				t.Fatal("the pty's terminal side does not pass for a terminal")
			}
			scr := &screen{more: make(chan struct{}, 1)}
			go scr.read(ptmx)

			f := &fakeStack{previewEvents: changingPreview()}
			var out bytes.Buffer
			streams := &IO{In: tty, Out: &out, ErrOut: tty, Getenv: func(string) string { return "" }}
			done := make(chan error, 1)
			dir := testProject(t)
			go func() {
				done <- execute(context.Background(), streams, upCmd(context.Background(), f), "up", "--stack", "prod", "--dir", dir)
			}()
			scr.waitFor(t, upQuestion)
			if _, err := ptmx.Write([]byte(tc.answer + "\n")); err != nil {
				t.Fatal(err)
			}
			var runErr error
			select {
			case runErr = <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("up did not return after the answer:\n%s", scr.String())
			}
			if code := ExitCode(runErr); code != tc.want {
				t.Fatalf("exit %d, want %d: %v\n%s", code, tc.want, runErr, scr.String())
			}
			if calls := f.Calls(); !slices.Equal(calls, tc.calls) {
				t.Errorf("calls %v, want %v", calls, tc.calls)
			}
			scr.waitFor(t, upQuestion+" "+tc.answer) // the terminal echoes what was typed
			t.Logf("the terminal showed:\n%s", scr.String())
			for _, want := range []string{"Stack prod: 2 to create, 1 to delete, 1 to replace.", "REPLACE " + typeVPC + " vpc"} {
				if !strings.Contains(scr.String(), want) {
					t.Errorf("the terminal lacks %q:\n%s", want, scr.String())
				}
			}
		})
	}
}
