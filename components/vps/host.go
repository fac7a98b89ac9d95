package vps

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/vps/render"
)

// host is what the deploy command needs to wait for.
type host struct {
	droplet    *digitalocean.Droplet
	ip         *digitalocean.ReservedIp
	assignment *digitalocean.ReservedIpAssignment
	firewall   *digitalocean.Firewall
	records    []*digitalocean.DnsRecord
}

// Everyone, for the public ports.
var anywhere = []string{"0.0.0.0/0", "::/0"}

// FirewallInbound are the cloud firewall's inbound rules: SSH from the
// admins only, HTTP and HTTPS (and ping) from anywhere, nothing else.
func FirewallInbound(adminCIDRs []string) digitalocean.FirewallInboundRuleArray {
	return digitalocean.FirewallInboundRuleArray{
		digitalocean.FirewallInboundRuleArgs{Protocol: pulumi.String("tcp"), PortRange: pulumi.String("22"), SourceAddresses: pulumi.ToStringArray(adminCIDRs)},
		digitalocean.FirewallInboundRuleArgs{Protocol: pulumi.String("tcp"), PortRange: pulumi.String("80"), SourceAddresses: pulumi.ToStringArray(anywhere)},
		digitalocean.FirewallInboundRuleArgs{Protocol: pulumi.String("tcp"), PortRange: pulumi.String("443"), SourceAddresses: pulumi.ToStringArray(anywhere)},
		digitalocean.FirewallInboundRuleArgs{Protocol: pulumi.String("icmp"), SourceAddresses: pulumi.ToStringArray(anywhere)},
	}
}

// firewallOutbound leaves egress open: image pulls, apt, Let's Encrypt,
// Spaces, the managed database and the services' own APIs.
func firewallOutbound() digitalocean.FirewallOutboundRuleArray {
	return digitalocean.FirewallOutboundRuleArray{
		digitalocean.FirewallOutboundRuleArgs{Protocol: pulumi.String("tcp"), PortRange: pulumi.String("1-65535"), DestinationAddresses: pulumi.ToStringArray(anywhere)},
		digitalocean.FirewallOutboundRuleArgs{Protocol: pulumi.String("udp"), PortRange: pulumi.String("1-65535"), DestinationAddresses: pulumi.ToStringArray(anywhere)},
		digitalocean.FirewallOutboundRuleArgs{Protocol: pulumi.String("icmp"), DestinationAddresses: pulumi.ToStringArray(anywhere)},
	}
}

func (c *VPS) declareHost(ctx *pulumi.Context, name string, args *VPSArgs) (*host, error) {
	parent := pulumi.Parent(c)
	tags := pulumi.StringArray{}
	for _, t := range args.Tags {
		tags = append(tags, pulumi.String(t))
	}
	tags = append(tags, args.AppTag)
	h := &host{}
	var err error
	// Every input here is host-level: changing the image, region, SSH keys,
	// VPC or user data replaces the Droplet; size and backups do not.
	h.droplet, err = digitalocean.NewDroplet(ctx, name+"-droplet", &digitalocean.DropletArgs{
		Name:             pulumi.String(name),
		Region:           pulumi.String(args.Region),
		Size:             pulumi.String(args.Size),
		Image:            pulumi.String(args.Image),
		SshKeys:          pulumi.ToStringArray(args.SSHKeys),
		Monitoring:       pulumi.Bool(true),
		DropletAgent:     pulumi.Bool(true),
		Backups:          pulumi.Bool(args.DropletBackups),
		BackupPolicy:     backupPolicy(args),
		GracefulShutdown: pulumi.Bool(true),
		VpcUuid:          args.VPCID,
		Tags:             tags,
		UserData:         pulumi.String(c.UserData),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("droplet: %w", err)
	}
	c.DropletID = h.droplet.ID().ToStringOutput()
	c.IPv4 = h.droplet.Ipv4Address

	// The address outlives the Droplet: DNS never has to follow a rebuild.
	h.ip, err = digitalocean.NewReservedIp(ctx, name+"-ip", &digitalocean.ReservedIpArgs{
		Region: pulumi.String(args.Region),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("reserved ip: %w", err)
	}
	c.ReservedIP = h.ip.IpAddress
	dropletID := h.droplet.ID().ApplyT(func(id pulumi.ID) (int, error) {
		n, err := strconv.Atoi(string(id))
		if err != nil {
			return 0, fmt.Errorf("droplet id %q is not a number: %w", id, err)
		}
		return n, nil
	}).(pulumi.IntOutput)
	h.assignment, err = digitalocean.NewReservedIpAssignment(ctx, name+"-ip-assignment", &digitalocean.ReservedIpAssignmentArgs{
		IpAddress: h.ip.IpAddress,
		DropletId: dropletID,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("reserved ip assignment: %w", err)
	}

	h.firewall, err = digitalocean.NewFirewall(ctx, name+"-firewall", &digitalocean.FirewallArgs{
		Name:          pulumi.String(name),
		Tags:          pulumi.StringArray{args.AppTag},
		InboundRules:  FirewallInbound(args.AdminCIDRs),
		OutboundRules: firewallOutbound(),
	}, parent, pulumi.DependsOn([]pulumi.Resource{h.droplet}))
	if err != nil {
		return nil, fmt.Errorf("firewall: %w", err)
	}

	hosts, err := args.Site.Hosts()
	if err != nil {
		return nil, err
	}
	for _, hostname := range hosts {
		record := render.RecordName(hostname, args.Site.Domain)
		slug := strings.ReplaceAll(record, ".", "-")
		if record == "@" {
			slug = "apex"
		}
		r, err := digitalocean.NewDnsRecord(ctx, name+"-dns-"+slug, &digitalocean.DnsRecordArgs{
			Domain: pulumi.String(args.Site.Domain),
			Type:   pulumi.String("A"),
			Name:   pulumi.String(record),
			Value:  h.ip.IpAddress,
			Ttl:    pulumi.Int(300),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("dns record %s: %w", hostname, err)
		}
		h.records = append(h.records, r)
	}
	return h, nil
}

// declareProject groups the stack's resources in a DigitalOcean project.
func (c *VPS) declareProject(ctx *pulumi.Context, name string, args *VPSArgs, h *host, bucket *digitalocean.SpacesBucket) error {
	resources := pulumi.StringArray{h.droplet.DropletUrn, h.ip.ReservedIpUrn, bucket.BucketUrn}
	if args.Database.ClusterID != nil {
		resources = append(resources, pulumi.Sprintf("do:dbaas:%s", args.Database.ClusterID))
	}
	_, err := digitalocean.NewProject(ctx, name+"-project", &digitalocean.ProjectArgs{
		Name:        pulumi.String(name),
		Description: pulumi.String("Declared by infra (topology vps)"),
		Purpose:     pulumi.String("Web Application"),
		Environment: pulumi.String(args.Environment),
		Resources:   resources,
	}, pulumi.Parent(c))
	if err != nil {
		return fmt.Errorf("project: %w", err)
	}
	return nil
}

// backupPolicy is the Droplet's explicit backup schedule: weekly on Sunday
// or daily, both starting in the 04:00 UTC window (DigitalOcean takes hours
// 0, 4, ... 20). Nil when backups are off, since DigitalOcean refuses a
// policy without backups.
func backupPolicy(args *VPSArgs) digitalocean.DropletBackupPolicyPtrInput {
	if !args.DropletBackups {
		return nil
	}
	p := &digitalocean.DropletBackupPolicyArgs{Plan: pulumi.String(args.DropletBackupPlan), Hour: pulumi.Int(4)}
	if args.DropletBackupPlan == "weekly" {
		p.Weekday = pulumi.String("SUN")
	}
	return p
}
