package workload

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/pulumitest"
)

// A new secret value (a rotated database password) changes the pod
// template of the services that read it, so their pods restart with it;
// the digest is a secret, and services without secret env carry none.
func TestSecretEnvChangeRestartsPods(t *testing.T) {
	annotations := func(value string) (api, gossip map[string]any) {
		args := testArgs()
		args.Services[0].SecretEnv = map[string]pulumi.StringOutput{
			"DATABASE_URL": pulumi.ToSecret(pulumi.String(value)).(pulumi.StringOutput),
		}
		rec, _ := run(t, args)
		api, _ = pulumitest.Path(mustObject(t, rec, "Deployment", "api"), "spec.template.metadata.annotations").(map[string]any)
		gossip, _ = pulumitest.Path(mustObject(t, rec, "Deployment", "gossip"), "spec.template.metadata.annotations").(map[string]any)
		return api, gossip
	}
	before, gossip := annotations("postgres://app:old-password@db:5432/app")
	after, _ := annotations("postgres://app:new-password@db:5432/app")
	again, _ := annotations("postgres://app:old-password@db:5432/app")

	h, ok := before["infra/secret-env-hash"].(pulumitest.Secret)
	if !ok {
		t.Fatalf("the api's pod template has no secret infra/secret-env-hash: %v", before)
	}
	if len(h.Value.(string)) != 16 {
		t.Errorf("secret env hash %q", h.Value)
	}
	if same(before["infra/secret-env-hash"], after["infra/secret-env-hash"]) {
		t.Error("a new secret value leaves the pod template as it was: the pods would keep the old one")
	}
	if !same(before, again) {
		t.Error("the same secret value gives another pod template: every up would restart the pods")
	}
	if !same(before["infra/env-hash"], after["infra/env-hash"]) {
		t.Error("the plain env hash moved with a secret")
	}
	if _, has := gossip["infra/secret-env-hash"]; has {
		t.Error("a service without secret env has a secret env hash")
	}
}
