package release

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"infra/internal/release/releasetest"
	infracfg "infra/stacks/config"
)

// stackFile is a stack file as the last update ran it: the release's
// server image and env, a worker the release does not know, a secret.
const stackFile = `config:
  infra:environment: staging
  infra:domain: focusdeck.example.com
  infra:database:
    engine: selfhosted
    backups: { schedule: "0 3 * * *", keep: 7 }
  infra:services:
    - name: server
      image: ghcr.io/focusdeck/server:1.4.2
      port: 8080
      env: { Features__Jarvis: "true" }
      secretEnv: { Api__Key: api-key }
    - name: worker
      image: ghcr.io/focusdeck/worker:1.0.0
      replicas: 1
  infra:secrets:
    api-key: { secure: v1:ciphertext-of-the-recorded-api-key }
`

const recordedAPIKey = "v1:ciphertext-of-the-recorded-api-key"

// recordedHistory is a stack's history whose last succeeded update ran
// with doc, newest first and unnumbered as on a file backend, after a
// failed one.
func recordedHistory(t *testing.T, doc string) []auto.UpdateSummary {
	t.Helper()
	return []auto.UpdateSummary{
		{Kind: "update", Result: "failed", StartTime: "t3", Config: auto.ConfigMap{}},
		{Kind: "update", Result: "succeeded", StartTime: "t2", Config: releasetest.Recorded(t, doc)},
		{Kind: "update", Result: "succeeded", StartTime: "t1", Config: auto.ConfigMap{}},
	}
}

// release142 is the release a rollback deploys: the server at 1.4.1 with
// the flag off and no secretEnv.
var release142 = Release{Version: 1, Services: []Service{{
	Name: "server", Image: "ghcr.io/focusdeck/server:1.4.1", Env: map[string]string{"Features__Jarvis": "false"},
}}}

func TestPendingChanges(t *testing.T) {
	tests := []struct {
		name          string
		edit          func(string) string
		wantKeys      []string
		wantUnchecked []string
	}{
		{"the stack file as the last update ran it", nil, nil, []string{"infra:secrets"}},
		{"one extra key", add("  infra:region: nyc3\n"), []string{"infra:region"}, []string{"infra:secrets"}},
		{"one extra nested key", replace("      replicas: 1\n", "      replicas: 1\n      port: 9000\n"),
			[]string{"infra:services[1].port"}, []string{"infra:secrets"}},
		{"a changed value", replace(`"0 3 * * *"`, `"0 4 * * *"`), []string{"infra:database.backups.schedule"}, []string{"infra:secrets"}},
		{"a changed number", replace("replicas: 1", "replicas: 3"), []string{"infra:services[1].replicas"}, []string{"infra:secrets"}},
		{"a removed key", replace("  infra:domain: focusdeck.example.com\n", ""), []string{"infra:domain"}, []string{"infra:secrets"}},
		{"a removed nested key", replace(", keep: 7", ""), []string{"infra:database.backups.keep"}, []string{"infra:secrets"}},
		{"a service added", replace("      replicas: 1\n", "      replicas: 1\n    - { name: cron, image: ghcr.io/focusdeck/cron:1.0.0 }\n"),
			[]string{"infra:services[2]"}, []string{"infra:secrets"}},
		{"several at once, each listed", func(d string) string {
			return replace("replicas: 1", "replicas: 3")(replace(`"0 3 * * *"`, `"0 4 * * *"`)(add("  infra:region: nyc3\n")(d)))
		}, []string{"infra:database.backups.schedule", "infra:region", "infra:services[1].replicas"}, []string{"infra:secrets"}},
		// The rollback puts the release's image, env and secretEnv in
		// place of the file's: whatever the file says there is not pending.
		{"the overridden image, env and secretEnv ignored", func(d string) string {
			return replace("secretEnv: { Api__Key: api-key }", "secretEnv: { Api__Token: api-key }")(
				replace(`Features__Jarvis: "true"`, `Features__Jarvis: "maybe"`)(
					replace("server:1.4.2", "server:1.4.3")(d)))
		}, nil, []string{"infra:secrets"}},
		{"a service the release does not have is not overridden", replace("worker:1.0.0", "worker:1.0.1"),
			[]string{"infra:services[1].image"}, []string{"infra:secrets"}},
		{"a field of an overridden service besides image and env", replace("port: 8080", "port: 8081"),
			[]string{"infra:services[0].port"}, []string{"infra:secrets"}},
		// The history shows infra:secrets as a bare secret flag: a changed
		// ciphertext can't be compared; it is named unchecked, never shown.
		{"a secret's value changed", replace(recordedAPIKey, "v1:ciphertext-of-a-new-api-key"), nil, []string{"infra:secrets"}},
		{"infra:secrets removed", replace("  infra:secrets:\n    api-key: { secure: "+recordedAPIKey+" }\n", ""),
			[]string{"infra:secrets"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := stackFile
			if tc.edit != nil {
				doc = tc.edit(doc)
				if doc == stackFile {
					t.Fatal("the edit changed nothing")
				}
			}
			raw, err := infracfg.ParseStackFile("Pulumi.staging.yaml", []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			svcs, _, _, err := Apply(raw.Values["services"], release142)
			if err != nil {
				t.Fatal(err)
			}
			raw.Values["services"] = svcs
			got, err := PendingChanges(raw.Values, recordedHistory(t, stackFile), release142)
			if err != nil {
				t.Fatal(err)
			}
			if got.Update != 2 || !slices.Equal(got.Keys, tc.wantKeys) || !slices.Equal(got.Unchecked, tc.wantUnchecked) {
				t.Errorf("pending = %+v, want update 2, keys %q, unchecked %q", got, tc.wantKeys, tc.wantUnchecked)
			}
			out := fmt.Sprintf("%+v", got)
			for _, secret := range []string{recordedAPIKey, "v1:ciphertext-of-a-new-api-key", "offline-secret-"} {
				if strings.Contains(out, secret) {
					t.Errorf("the result holds a secret's ciphertext or placeholder: %s", out)
				}
			}
		})
	}
}

// A secret in a history where it was recorded in plain text (before the
// file encrypted it) differs from the file's secure value: the key is
// reported, and neither value.
func TestPendingChangesSecretNowEncrypted(t *testing.T) {
	plain := strings.Replace(stackFile, "{ secure: "+recordedAPIKey+" }", "plain-text-key", 1)
	raw, err := infracfg.ParseStackFile("Pulumi.staging.yaml", []byte(stackFile))
	if err != nil {
		t.Fatal(err)
	}
	svcs, _, _, err := Apply(raw.Values["services"], release142)
	if err != nil {
		t.Fatal(err)
	}
	raw.Values["services"] = svcs
	got, err := PendingChanges(raw.Values, recordedHistory(t, plain), release142)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Keys, []string{"infra:secrets.api-key"}) || len(got.Unchecked) != 0 {
		t.Errorf("pending = %+v, want infra:secrets.api-key", got)
	}
	if out := fmt.Sprintf("%+v", got); strings.Contains(out, "plain-text-key") || strings.Contains(out, recordedAPIKey) {
		t.Errorf("a value was returned: %s", out)
	}
}

func TestPendingChangesWithoutASucceededUpdate(t *testing.T) {
	h := recordedHistory(t, stackFile)
	for i := range h {
		h[i].Result = "failed"
	}
	if _, err := PendingChanges(map[string]any{}, h, release142); err == nil {
		t.Error("no succeeded update: no error")
	}
}

func add(lines string) func(string) string {
	return func(d string) string { return d + lines }
}

func replace(old, new string) func(string) string {
	return func(d string) string { return strings.Replace(d, old, new, 1) }
}
