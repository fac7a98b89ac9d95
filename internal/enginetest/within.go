package enginetest

import (
	"testing"
	"time"
)

// Within runs an engine operation and fails the test if it does not return
// in time, with what explain says (called only then: the operation's
// output so far, or why it can hang). An inline program waiting on an
// output nobody settles, or a release waiting on pods that never run,
// keeps an operation open; the test must say so rather than hang until the
// package's timeout.
func Within(t testing.TB, d time.Duration, explain func() string, op func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("the operation did not return within %s: %s", d, explain())
		return nil
	}
}
