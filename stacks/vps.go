package stacks

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// deployVPS declares the single-Droplet topology.
func deployVPS(ctx *pulumi.Context, d *Deployment) error {
	_ = ctx
	_ = d
	return nil
}
