// Package network declares a stack's private network: the VPC every other
// resource lives in, and the tag that marks the application's machines.
package network

import (
	"fmt"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NetworkArgs declares the VPC.
type NetworkArgs struct {
	Region  string
	IPRange string
	// AppTag is the DigitalOcean tag put on the droplets or nodes that run
	// the application; firewalls admit it.
	AppTag string
}

// Network is the VPC and the application's tag.
type Network struct {
	pulumi.ResourceState

	VPCID   pulumi.StringOutput
	AppTag  pulumi.StringOutput
	IPRange string
}

// NewNetwork declares the VPC and tag.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	c := &Network{IPRange: args.IPRange}
	if err := ctx.RegisterComponentResource("infra:network:Network", name, c, opts...); err != nil {
		return nil, fmt.Errorf("register network %q: %w", name, err)
	}
	vpc, err := digitalocean.NewVpc(ctx, name+"-vpc", &digitalocean.VpcArgs{
		Region:      pulumi.String(args.Region),
		IpRange:     pulumi.String(args.IPRange),
		Description: pulumi.String("private network of " + name),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("vpc: %w", err)
	}
	tag, err := digitalocean.NewTag(ctx, name+"-tag", &digitalocean.TagArgs{
		Name: pulumi.String(args.AppTag),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("tag: %w", err)
	}
	c.VPCID, c.AppTag = vpc.ID().ToStringOutput(), tag.Name
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"vpcId": c.VPCID, "appTag": c.AppTag}); err != nil {
		return nil, fmt.Errorf("register network %q outputs: %w", name, err)
	}
	return c, nil
}
