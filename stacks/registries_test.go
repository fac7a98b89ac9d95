package stacks

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"infra/components/workload"
	"infra/internal/pulumitest"
)

// registryStack is a small stack of either topology; registries are added
// by the cases.
const registryStack = `config:
  infra:environment: dev
  infra:class: development
  infra:topology: TOPOLOGY
  infra:region: nyc3
  infra:domain: example.com
  infra:network: { adminCidrs: [198.51.100.7/32] }
  infra:vps: { size: s-1vcpu-1gb, sshKeys: [k], sshPrivateKeySecret: deploy-key }
  infra:secrets: { deploy-key: { secure: v1:def }, ghcr-token: { secure: v1:ghcr } }
  infra:services:
    - { name: api, image: "ghcr.io/acme/api:1", port: 8080, migrate: { command: [migrate] }, cronJobs: [{ name: nightly, schedule: "0 3 * * *", command: [sweep] }] }
    - { name: cache, image: "redis:7" }
`

const withRegistry = "  infra:registries: [{ server: ghcr.io, username: acme-bot, passwordSecret: ghcr-token }]\n"

// registryRun deploys a registry stack and returns the recorded resources,
// the artifacts and the password (the secret's offline placeholder).
func registryRun(t *testing.T, topology, extra string) (*pulumitest.Recorder, map[string]string, string) {
	t.Helper()
	cfg, err := parseStack(t, strings.Replace(registryStack, "TOPOLOGY", topology, 1)+extra)
	if err != nil {
		t.Fatal(err)
	}
	rec, artifacts := deployArtifacts(t, "infra", "dev", cfg)
	return rec, artifacts, cfg.Secrets["ghcr-token"]
}

// The registry password is a Pulumi secret in every resource input it
// reaches, and in no artifact: on the VPS it rides on the deploy command's
// stdin, on Kubernetes in the namespace's pull secret.
func TestRegistryPasswordStaysSecret(t *testing.T) {
	for _, topology := range []string{"vps", "kubernetes"} {
		t.Run(topology, func(t *testing.T) {
			rec, artifacts, password := registryRun(t, topology, withRegistry)
			needles := []string{password, base64.StdEncoding.EncodeToString([]byte(password)), base64.StdEncoding.EncodeToString([]byte("acme-bot:" + password))}
			reached := 0
			for _, r := range rec.Resources {
				in := pulumitest.Plain(r.Inputs)
				for _, path := range plainHits(in, needles, "") {
					t.Errorf("%s %s: %s holds the password outside a secret", r.Type, r.Name, path)
				}
				reached += secretHits(in, needles)
			}
			if reached == 0 {
				t.Error("the password reached no resource")
			}
			for p, a := range artifacts {
				for _, n := range needles {
					if strings.Contains(a, n) {
						t.Errorf("artifact %s holds the password", p)
					}
				}
			}
			switch topology {
			case "vps":
				stdin := deployStdin(t, rec)
				if first, _, _ := strings.Cut(stdin, "\n"); first != needles[1] {
					t.Errorf("the deploy's stdin starts %q, want the password's base64", first)
				}
				if !strings.Contains(artifacts["vps/deploy.sh"], "registry_login 0 'ghcr.io' 'acme-bot'") {
					t.Errorf("deploy.sh does not log in:\n%s", artifacts["vps/deploy.sh"])
				}
			case "kubernetes":
				for _, r := range rec.ByType("kubernetes:core/v1:Secret") {
					if strings.HasSuffix(r.Name, "-secret-"+workload.PullSecret) {
						return
					}
				}
				t.Error("no pull secret")
			}
		})
	}
}

// Without infra:registries nothing logs in: the deploy's first line is
// empty, deploy.sh has no login, no pod names a pull secret.
func TestNoRegistriesNoLogin(t *testing.T) {
	for _, topology := range []string{"vps", "kubernetes"} {
		t.Run(topology, func(t *testing.T) {
			rec, artifacts, _ := registryRun(t, topology, "")
			for p, a := range artifacts {
				if strings.Contains(a, "registry_login") || strings.Contains(a, "imagePullSecrets") || strings.Contains(a, workload.PullSecret) {
					t.Errorf("artifact %s logs in to a registry", p)
				}
			}
			if topology == "vps" && !strings.HasPrefix(deployStdin(t, rec), "\n") {
				t.Error("the deploy's stdin has registry passwords")
			}
			for _, r := range rec.Resources {
				if strings.Contains(r.Name, workload.PullSecret) {
					t.Errorf("%s declared without registries", r.Name)
				}
			}
		})
	}
}

// deployStdin is the VPS deploy command's stdin, which must be a secret.
func deployStdin(t *testing.T, rec *pulumitest.Recorder) string {
	t.Helper()
	cmds := rec.ByType("command:remote:Command")
	if len(cmds) != 1 {
		t.Fatalf("%d deploy commands", len(cmds))
	}
	s, ok := pulumitest.Plain(cmds[0].Inputs)["stdin"].(pulumitest.Secret)
	if !ok {
		t.Fatal("the deploy's stdin is not a secret")
	}
	v, _ := s.Value.(string)
	return v
}

// plainHits are the paths of plain (not secret) strings holding a needle.
func plainHits(v any, needles []string, path string) []string {
	var out []string
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			out = append(out, plainHits(e, needles, path+"."+k)...)
		}
	case []any:
		for i, e := range t {
			out = append(out, plainHits(e, needles, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case string:
		for _, n := range needles {
			if strings.Contains(t, n) {
				return []string{path}
			}
		}
	}
	return out
}

// secretHits counts the secrets holding a needle.
func secretHits(v any, needles []string) int {
	n := 0
	switch t := v.(type) {
	case pulumitest.Secret:
		n += len(plainHits(t.Value, needles, ""))
	case map[string]any:
		for _, e := range t {
			n += secretHits(e, needles)
		}
	case []any:
		for _, e := range t {
			n += secretHits(e, needles)
		}
	}
	return n
}
