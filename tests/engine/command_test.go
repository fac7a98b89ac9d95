package engine

import (
	"context"
	"slices"
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/enginetest"
)

// deployKnobs shape a remote.Command like the VPS topology's deploy: the
// project on stdin (a secret), the project's hash as its trigger.
type deployKnobs struct {
	stdin, trigger, update string
}

func deployProgram(k *deployKnobs) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		args := &remote.CommandArgs{
			Connection: remote.ConnectionArgs{
				Host:       pulumi.String("203.0.113.10"),
				User:       pulumi.String("deploy"),
				PrivateKey: pulumi.ToSecret(pulumi.String(testPrivateKey)).(pulumi.StringOutput),
			},
			Create:   pulumi.String("sh receive.sh"),
			Stdin:    pulumi.ToSecret(pulumi.String(k.stdin)).(pulumi.StringOutput),
			Triggers: pulumi.Array{pulumi.String(k.trigger)},
		}
		if k.update != "" {
			args.Update = pulumi.String(k.update)
		}
		cmd, err := remote.NewCommand(ctx, "deploy", args)
		if err != nil {
			return err
		}
		ctx.Export("stdout", cmd.Stdout)
		return nil
	}
}

const testPrivateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nenginetest-deploy-key-3f9a1c\n-----END OPENSSH PRIVATE KEY-----\n"

// TestEngineRemoteCommand pins what the engine plans for pulumi-command
// v1.2.1's remote.Command, which the VPS topology deploys with. Its schema
// marks triggers replaceOnChanges (the Go SDK also registers the resource
// with ReplaceOnChanges("triggers[*]")), and the test provider mirrors the
// schema: a changed trigger replaces the command, which runs `create` again;
// a changed stdin alone is an update (which runs `update`, else `create`).
// The key and stdin stay encrypted in the state.
func TestEngineRemoteCommand(t *testing.T) {
	e := enginetest.New(t)
	ctx := context.Background()
	k := &deployKnobs{stdin: "project-v1", trigger: "sha-v1"}
	stack := e.Stack(ctx, t, "enginetest", "command", deployProgram(k))
	if _, err := stack.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	cases := []struct {
		name string
		knob deployKnobs
		op   apitype.OpType
		keys []string
	}{
		{"new project and trigger", deployKnobs{stdin: "project-v2", trigger: "sha-v2"}, apitype.OpReplace, []string{"triggers"}},
		{"new project, same trigger", deployKnobs{stdin: "project-v2", trigger: "sha-v1"}, apitype.OpUpdate, nil},
		{"an update command added", deployKnobs{stdin: "project-v1", trigger: "sha-v1", update: "sh receive.sh"}, apitype.OpUpdate, nil},
		{"nothing new", deployKnobs{stdin: "project-v1", trigger: "sha-v1"}, apitype.OpSame, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			*k = c.knob
			plan := mustPreview(ctx, t, stack)
			if ops := plan.Ops("deploy"); !slices.Contains(ops, c.op) {
				t.Errorf("deploy ops = %v, want %s", ops, c.op)
			}
			if s, _ := plan.Step("deploy"); !slices.Equal(s.Keys, c.keys) {
				t.Errorf("replace keys = %v, want %v", s.Keys, c.keys)
			}
		})
	}
	for _, secret := range []string{"project-v1", "enginetest-deploy-key-3f9a1c"} {
		if files := e.FilesContaining(t, secret); len(files) > 0 {
			t.Errorf("%q is in plain text in %v", secret, files)
		}
	}
}
