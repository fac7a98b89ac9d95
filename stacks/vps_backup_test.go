package stacks

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"infra/internal/pulumitest"
	"infra/stacks/config"
)

// An offline plan's placeholder of the external URL becomes a URI (the
// secret file takes the password out of a URI only); a real value passes
// as it is; both stay secrets.
func TestOfflineURL(t *testing.T) {
	placeholder := config.Placeholder("v1:ciphertext")
	for name, tc := range map[string]struct{ in, want string }{
		"offline placeholder": {placeholder, "postgresql://offline:" + placeholder + "@offline.invalid/postgres"},
		"a real URL":          {"postgresql://u:p%40ss@db.example:5432/app?sslmode=require", "postgresql://u:p%40ss@db.example:5432/app?sslmode=require"},
	} {
		t.Run(name, func(t *testing.T) {
			pulumitest.Run(t, func(ctx *pulumi.Context) error {
				in := pulumi.ToSecret(pulumi.String(tc.in)).(pulumi.StringOutput)
				res, err := internals.UnsafeAwaitOutput(ctx.Context(), offlineURL(in, "postgres"))
				if err != nil {
					return err
				}
				if !res.Secret || res.Value != tc.want {
					t.Errorf("offlineURL = %v (secret %v), want %q as a secret", res.Value, res.Secret, tc.want)
				}
				return nil
			})
		})
	}
}
