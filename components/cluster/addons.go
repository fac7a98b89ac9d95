package cluster

import (
	"fmt"

	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/kube"
	"infra/internal/pins"
)

// metrics-server, installed the way DigitalOcean's own 1-click does
// (release metrics-server in kube-system, two replicas).
const (
	MetricsServerRepo  = "https://kubernetes-sigs.github.io/metrics-server/"
	MetricsServerChart = "metrics-server"
)

// MetricsServerVersion is pinned in internal/pins/pins.yaml.
var MetricsServerVersion = pins.MustValue(MetricsServerChart)

func (c *Cluster) installMetricsServer(ctx *pulumi.Context, name, repo string) error {
	_, err := helmv3.NewRelease(ctx, name+"-metrics-server", &helmv3.ReleaseArgs{
		Name:           pulumi.String(MetricsServerChart),
		Chart:          pulumi.String(MetricsServerChart),
		Version:        pulumi.String(MetricsServerVersion),
		RepositoryOpts: helmv3.RepositoryOptsArgs{Repo: pulumi.String(kube.ChartRepository(repo, MetricsServerRepo))},
		Namespace:      pulumi.String("kube-system"),
		Timeout:        pulumi.Int(600),
		Values: pulumi.Map{
			"replicas":   pulumi.Int(2),
			"apiService": pulumi.Map{"create": pulumi.Bool(true)},
		},
	}, pulumi.Parent(c), pulumi.Provider(c.Provider))
	if err != nil {
		return fmt.Errorf("metrics-server release: %w", err)
	}
	return nil
}
