package workload

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/kube"
	"infra/components/service"
)

// PullSecret is the image pull secret of the namespace: the logins of the
// private registries, which every pod of the workloads names.
const PullSecret = "registry-credentials"

// dockerHubKey is the key Docker and the kubelet file Docker Hub's login
// under, whichever of its names the registry was given as.
const dockerHubKey = "https://index.docker.io/v1/"

func dockerConfigKey(server string) string {
	switch server {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return dockerHubKey
	}
	return server
}

// dockerConfigJSON is a Docker config file (the .dockerconfigjson of a
// kubernetes.io/dockerconfigjson Secret) holding a login per registry,
// passwords[i] being the password of regs[i].
func dockerConfigJSON(regs []service.Registry, passwords []string) (string, error) {
	if len(passwords) != len(regs) {
		return "", fmt.Errorf("%d passwords for %d registries", len(passwords), len(regs))
	}
	type login struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Auth     string `json:"auth"`
	}
	auths := map[string]login{}
	for i, r := range regs {
		auths[dockerConfigKey(r.Server)] = login{
			Username: r.Username,
			Password: passwords[i],
			Auth:     base64.StdEncoding.EncodeToString([]byte(r.Username + ":" + passwords[i])),
		}
	}
	b, err := json.Marshal(map[string]any{"auths": auths})
	if err != nil {
		return "", fmt.Errorf("docker config: %w", err)
	}
	return string(b), nil
}

// pullSecret holds the registries' logins. Its content is built inside an
// Apply from the passwords and stays a Pulumi secret; rendered, it is
// kube.SecretPlaceholder. stringData, as the services' env Secrets use:
// the API server stores it as data.
func (b *builder) pullSecret() kube.Object {
	regs := b.args.Registries
	passwords := make(pulumi.StringArray, len(regs))
	for i, r := range regs {
		passwords[i] = r.Password
	}
	config := passwords.ToStringArrayOutput().ApplyT(func(pw []string) (string, error) {
		return dockerConfigJSON(regs, pw)
	}).(pulumi.StringOutput)
	labels := map[string]any{ManagedLabel: "pulumi"}
	if b.args.PartOf != "" {
		labels[PartOfLabel] = b.args.PartOf
	}
	return kube.Object{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   b.meta(PullSecret, labels),
		"type":       "kubernetes.io/dockerconfigjson",
		"stringData": map[string]any{".dockerconfigjson": pulumi.ToSecret(config).(pulumi.StringOutput)},
	}
}

// imagePullSecrets is what a pod names to pull from the private
// registries (nil without any).
func (b *builder) imagePullSecrets() []any {
	if len(b.args.Registries) == 0 {
		return nil
	}
	return []any{map[string]any{"name": PullSecret}}
}
