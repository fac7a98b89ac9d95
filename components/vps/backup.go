package vps

import (
	"fmt"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// declareBucket declares the private backups bucket, whose lifecycle rule
// deletes objects after the retention period. Bucket names are global
// across DigitalOcean, hence the random suffix.
func (c *VPS) declareBucket(ctx *pulumi.Context, name string, args *VPSArgs) (*digitalocean.SpacesBucket, error) {
	b := args.Backups
	if b.RetentionDays < 1 {
		return nil, fmt.Errorf("backups bucket: retention must be at least one day, got %d", b.RetentionDays)
	}
	if (b.AccessKey == nil) != (b.SecretKey == nil) {
		return nil, fmt.Errorf("backups bucket: give both the Spaces access key and secret key, or neither")
	}
	suffix, err := random.NewRandomString(ctx, name+"-backups-suffix", &random.RandomStringArgs{
		Length: pulumi.Int(6), Special: pulumi.Bool(false), Upper: pulumi.Bool(false),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("backups bucket suffix: %w", err)
	}
	opts := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Protect(args.Protect)}
	if b.AccessKey != nil {
		// Spaces speaks the S3 API with its own keys; this provider only
		// manages the bucket.
		spaces, err := digitalocean.NewProvider(ctx, name+"-spaces", &digitalocean.ProviderArgs{
			SpacesAccessId:  b.AccessKey,
			SpacesSecretKey: b.SecretKey,
		}, pulumi.Parent(c))
		if err != nil {
			return nil, fmt.Errorf("spaces provider: %w", err)
		}
		opts = append(opts, pulumi.Provider(spaces))
	}
	bucket, err := digitalocean.NewSpacesBucket(ctx, name+"-backups", &digitalocean.SpacesBucketArgs{
		Name:   pulumi.Sprintf("%s-backups-%s", name, suffix.Result),
		Region: pulumi.String(b.Region),
		Acl:    pulumi.String("private"),
		LifecycleRules: digitalocean.SpacesBucketLifecycleRuleArray{
			digitalocean.SpacesBucketLifecycleRuleArgs{
				Id:                                 pulumi.String("expire-backups"),
				Enabled:                            pulumi.Bool(true),
				Expiration:                         digitalocean.SpacesBucketLifecycleRuleExpirationArgs{Days: pulumi.Int(b.RetentionDays)},
				AbortIncompleteMultipartUploadDays: pulumi.Int(1),
			},
		},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("backups bucket: %w", err)
	}
	c.BucketName = bucket.Name
	return bucket, nil
}
