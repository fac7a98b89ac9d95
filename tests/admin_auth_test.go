package tests

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"infra/internal/planner"
	"infra/internal/stacktest"
	"infra/stacks"
	"infra/stacks/config"
)

// TestAdminCredentials: CESAR's dashboard has auth. On both topologies the
// adminCredentials output is secret and names the dashboard's login, its
// password a generated one of its own (on the VPS not the admin tools'
// adminPassword), which no artifact holds; the proxy puts basic auth in front of the dashboard
// (nginx auth_basic; Traefik a basicAuth Middleware on its Ingress and a
// kubernetes.io/basic-auth Secret rendered with a placeholder).
func TestAdminCredentials(t *testing.T) {
	files, err := stacktest.Committed(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	var cesar *stacktest.File
	for i, f := range files {
		if f.Dir == "examples/cesar" {
			cesar = &files[i]
		}
	}
	if cesar == nil {
		t.Fatal("no examples/cesar stack")
	}
	for _, topology := range []config.Topology{config.TopologyVPS, config.TopologyKubernetes} {
		t.Run(string(topology), func(t *testing.T) {
			var password string
			p := stackOn{File: *cesar, Topology: topology}.Plan(t, planner.WithInspect(func(ctx *pulumi.Context, d *stacks.Deployment) error {
				v, ok := d.Outputs["adminCredentials"]
				if !ok {
					return fmt.Errorf("no adminCredentials output")
				}
				res, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.ToOutput(v))
				if err != nil {
					return err
				}
				if !res.Secret {
					t.Error("adminCredentials is not a secret output")
				}
				m, _ := res.Value.(map[string]any)
				if len(m) != 1 {
					t.Errorf("adminCredentials = %d logins, want the dashboard's alone", len(m))
				}
				login, _ := m["dashboard"].(map[string]any)
				password, _ = login["password"].(string)
				if login["username"] != "admin" || password == "" {
					return fmt.Errorf("dashboard's login = %v", login)
				}
				if topology == config.TopologyVPS {
					res, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.ToOutput(d.Outputs["adminPassword"]))
					if err != nil || res.Value == "" || res.Value == password {
						t.Errorf("on the VPS the dashboard's login is the admin tools' (adminPassword %v)", err)
					}
				}
				return nil
			}))
			if !slices.Contains(p.Generated, password) {
				t.Errorf("the dashboard's password is not one the plan generated")
			}
			for path, doc := range p.Artifacts {
				if strings.Contains(doc, password) {
					t.Errorf("artifact %s holds the dashboard's password", path)
				}
			}
			if topology == config.TopologyVPS {
				conf := p.Artifacts["vps/nginx.conf"]
				if !strings.Contains(conf, "auth_basic_user_file /etc/nginx/infra/htpasswd-service-dashboard;") {
					t.Errorf("nginx.conf has no basic auth:\n%s", conf)
				}
				return
			}
			docs := objectArtifacts(p)
			ns := ""
			for path := range docs {
				if strings.HasSuffix(path, "/middleware-dashboard-auth.yaml") {
					ns = strings.Split(path, "/")[1]
				}
			}
			if ns == "" {
				t.Fatal("no basicAuth Middleware for the dashboard")
			}
			secret := docs["kubernetes/"+ns+"/secret-dashboard-admin-credentials.yaml"]
			if !strings.Contains(secret, "type: kubernetes.io/basic-auth") || !strings.Contains(secret, "password: '[secret]'") {
				t.Errorf("dashboard's credentials:\n%s", secret)
			}
			ing := docs["kubernetes/"+ns+"/ingress-dashboard.yaml"]
			if !strings.Contains(ing, "traefik.ingress.kubernetes.io/router.middlewares: "+ns+"-dashboard-auth@kubernetescrd") {
				t.Errorf("the dashboard's Ingress does not chain its basic auth:\n%s", ing)
			}
		})
	}
}
