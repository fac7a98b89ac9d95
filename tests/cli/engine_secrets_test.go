package clitest

import (
	"testing"

	"infra/internal/enginetest"
)

// sealSecrets seals the FocusDeck copy's secrets with the test passphrase
// (enginetest.SealSecrets says how).
func sealSecrets(t *testing.T, e *enginetest.Engine, dir, stack, doc string) []string {
	t.Helper()
	return enginetest.SealSecrets(t, e, "focusdeck", dir, stack, doc)
}
