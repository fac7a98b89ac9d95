// Package releasetest builds stack histories for tests of releases and
// rollbacks: the config an update recorded, as the Automation API reads it.
package releasetest

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/encoding"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// Recorded is the config of an update that ran with the stack file doc,
// as `pulumi stack history --json` prints it without --show-secrets and
// auto.Stack.History reads it back. The CLI's rule (pkg/v3
// cmd/pulumi/stack/stack_history.go, buildUpdatesJSON): a secure value,
// and an object holding one (infra:secrets), has no value, only
// "secret": true; any other value is its text, an object or a list its
// JSON. doc is parsed by Pulumi's own stack file code
// (workspace.ProjectStack).
func Recorded(t testing.TB, doc string) auto.ConfigMap {
	t.Helper()
	var ps workspace.ProjectStack
	if err := encoding.YAML.Unmarshal([]byte(doc), &ps); err != nil {
		t.Fatalf("parse the stack file: %v", err)
	}
	type value struct {
		Value  *string `json:"value,omitempty"`
		Secret bool    `json:"secret"`
	}
	cfg := map[string]value{}
	for k, v := range ps.Config {
		cv := value{Secret: v.Secure()}
		if !v.Secure() {
			s, err := v.Value(config.Decrypter(nil))
			if err != nil {
				t.Fatalf("config %s: %v", k, err)
			}
			cv.Value = &s
		}
		cfg[k.String()] = cv
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out auto.ConfigMap
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
