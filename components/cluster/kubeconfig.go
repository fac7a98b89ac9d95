package cluster

import (
	"fmt"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"sigs.k8s.io/yaml"
)

// ExecCommand is the credential plugin the kubeconfig runs; it must be on
// the PATH of whoever runs Pulumi, with DIGITALOCEAN_ACCESS_TOKEN set.
const ExecCommand = "doctl"

// Kubeconfig builds the provider's kubeconfig from what never expires, the
// cluster's endpoint and CA certificate, and authenticates with an exec
// credential plugin: `doctl kubernetes cluster kubeconfig exec-credential`
// asks DigitalOcean for a fresh short-lived token whenever the provider
// connects. The static token in the cluster's kubeConfigs expires 7 days
// after creation and would be stored in the state, where `pulumi destroy`
// and `pulumi refresh` (which do not run the program) would keep using it;
// it is never read here. The result is a secret all the same.
func Kubeconfig(cluster *digitalocean.KubernetesCluster) pulumi.StringOutput {
	// Not KubeConfigs.Index(0): it panics on an empty list, which a cluster
	// still being created can report.
	ca := cluster.KubeConfigs.ApplyT(func(kcs []digitalocean.KubernetesClusterKubeConfig) string {
		if len(kcs) == 0 || kcs[0].ClusterCaCertificate == nil {
			return ""
		}
		return *kcs[0].ClusterCaCertificate
	}).(pulumi.StringOutput)
	out := pulumi.All(cluster.Name, cluster.Endpoint, ca, cluster.ID()).ApplyT(func(v []any) (string, error) {
		return RenderKubeconfig(v[0].(string), v[1].(string), v[2].(string), string(v[3].(pulumi.ID)))
	}).(pulumi.StringOutput)
	return pulumi.ToSecret(out).(pulumi.StringOutput)
}

// RenderKubeconfig is the kubeconfig of a cluster (caData is the base64 PEM
// that DOKS returns) authenticating through doctl.
func RenderKubeconfig(name, endpoint, caData, clusterID string) (string, error) {
	if name == "" || endpoint == "" || caData == "" || clusterID == "" {
		return "", fmt.Errorf("kubeconfig of cluster %q: name, endpoint, CA certificate and id are required", name)
	}
	user := name + "-doctl"
	doc := map[string]any{
		"apiVersion":      "v1",
		"kind":            "Config",
		"current-context": name,
		"clusters": []any{map[string]any{
			"name":    name,
			"cluster": map[string]any{"server": endpoint, "certificate-authority-data": caData},
		}},
		"contexts": []any{map[string]any{
			"name":    name,
			"context": map[string]any{"cluster": name, "user": user},
		}},
		"users": []any{map[string]any{
			"name": user,
			"user": map[string]any{"exec": map[string]any{
				"apiVersion": "client.authentication.k8s.io/v1beta1",
				"command":    ExecCommand,
				"args":       []any{"kubernetes", "cluster", "kubeconfig", "exec-credential", "--version=v1beta1", clusterID},
			}},
		}},
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("kubeconfig of cluster %q: %w", name, err)
	}
	return string(b), nil
}
