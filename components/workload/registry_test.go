package workload

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/service"
	"infra/internal/pulumitest"
)

// pods are the pod specs of every workload of specs(), by object.
var pods = []struct{ kind, name, path string }{
	{"Deployment", "api", "spec.template.spec"},
	{"Deployment", "redis", "spec.template.spec"},
	{"Deployment", "worker", "spec.template.spec"},
	{"Deployment", "gossip", "spec.template.spec"},
	{"Job", "worker-migrate", "spec.template.spec"},
	{"CronJob", "worker-cleanup", "spec.jobTemplate.spec.template.spec"},
}

func registries() []service.Registry {
	secret := func(v string) pulumi.StringOutput { return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput) }
	return []service.Registry{
		{Server: "ghcr.io", Username: "demo-bot", Password: secret("ghp_t0ken")},
		{Server: "docker.io", Username: "demo", Password: secret("hub-passw0rd")},
	}
}

// With registries, the namespace gets one dockerconfigjson Secret whose
// content is a Pulumi secret (rendered masked), every pod names it, and
// the pods wait for it.
func TestRegistryPullSecret(t *testing.T) {
	args := testArgs()
	args.Registries = registries()
	rec, w := run(t, args)

	s := mustObject(t, rec, "Secret", PullSecret)
	expect(t, "pull secret", s, map[string]any{"type": "kubernetes.io/dockerconfigjson", "metadata.namespace": "app"})
	data, _ := s["stringData"].(map[string]any)
	sec, ok := data[".dockerconfigjson"].(pulumitest.Secret)
	if !ok {
		t.Fatalf("stringData[.dockerconfigjson] = %#v, want a Pulumi secret", data[".dockerconfigjson"])
	}
	var config struct {
		Auths map[string]struct{ Username, Password, Auth string }
	}
	if err := json.Unmarshal([]byte(sec.Value.(string)), &config); err != nil {
		t.Fatalf("not a docker config: %v", err)
	}
	for key, want := range map[string][2]string{"ghcr.io": {"demo-bot", "ghp_t0ken"}, "https://index.docker.io/v1/": {"demo", "hub-passw0rd"}} {
		got := config.Auths[key]
		auth, _ := base64.StdEncoding.DecodeString(got.Auth)
		if got.Username != want[0] || got.Password != want[1] || string(auth) != want[0]+":"+want[1] {
			t.Errorf("auths[%s] = %+v, want %v", key, got, want)
		}
	}
	if len(config.Auths) != 2 {
		t.Errorf("auths = %v", config.Auths)
	}
	rendered := w.Manifests["kubernetes/app/secret-"+PullSecret+".yaml"]
	if !strings.Contains(rendered, ".dockerconfigjson: '[secret]'") {
		t.Errorf("rendered pull secret:\n%s", rendered)
	}
	for path, doc := range w.Manifests {
		for _, pw := range []string{"ghp_t0ken", "hub-passw0rd", base64.StdEncoding.EncodeToString([]byte("demo-bot:ghp_t0ken"))} {
			if strings.Contains(doc, pw) {
				t.Errorf("%s holds a registry password", path)
			}
		}
	}
	for _, p := range pods {
		o := mustObject(t, rec, p.kind, p.name)
		expect(t, p.kind+" "+p.name, o, map[string]any{p.path + ".imagePullSecrets": []any{map[string]any{"name": PullSecret}}})
		r := rec.Named(t, "demo-"+strings.ToLower(p.kind)+"-"+p.name)
		if !dependsOn(rec, r, "demo-secret-"+PullSecret) {
			t.Errorf("%s %s does not wait for the pull secret", p.kind, p.name)
		}
	}
}

// Without registries there is no pull secret and no pod names one.
func TestNoRegistriesNoPullSecret(t *testing.T) {
	rec, w := run(t, testArgs())
	if object(rec, "Secret", PullSecret) != nil {
		t.Error("a pull secret without registries")
	}
	if _, ok := w.Manifests["kubernetes/app/secret-"+PullSecret+".yaml"]; ok {
		t.Error("a pull secret rendered without registries")
	}
	for _, p := range pods {
		o := mustObject(t, rec, p.kind, p.name)
		if got := pulumitest.Path(o, p.path+".imagePullSecrets"); got != nil {
			t.Errorf("%s %s names %v", p.kind, p.name, got)
		}
	}
}

func TestDockerConfigJSON(t *testing.T) {
	regs := []service.Registry{{Server: "registry.example.com:5000", Username: "ci"}, {Server: "index.docker.io", Username: "me"}}
	got, err := dockerConfigJSON(regs, []string{`p"w`, "x"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"auths":{"https://index.docker.io/v1/":{"username":"me","password":"x","auth":"bWU6eA=="},"registry.example.com:5000":{"username":"ci","password":"p\"w","auth":"Y2k6cCJ3"}}}`
	if got != want {
		t.Errorf("docker config\n got %s\nwant %s", got, want)
	}
	if _, err := dockerConfigJSON(regs, []string{"one"}); err == nil {
		t.Error("a password short: no error")
	}
}
