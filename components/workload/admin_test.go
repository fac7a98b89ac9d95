package workload

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"infra/components/service"
	"infra/internal/pulumitest"
)

// TestAdminRestriction: a route with auth and an allow-list gets a
// generated password (secret in the Secret's inputs, in the component's
// output and as kube.SecretPlaceholder in the rendered Secret), a
// kubernetes.io/basic-auth Secret, an ipAllowList and a basicAuth
// Middleware, chained on its Ingress allow-list first; an unrestricted
// route gets none of them.
func TestAdminRestriction(t *testing.T) {
	args := testArgs()
	admin := args.Services[0]
	admin.Name, admin.Metrics, admin.Autoscale, admin.Replicas = "admin", nil, nil, 1
	admin.Public = &service.Route{Host: "admin.example.com", Path: "/", Auth: true, Allow: []string{"203.0.113.0/24", "10.0.0.0/8"}}
	allowOnly := args.Services[3]
	allowOnly.Public = &service.Route{Host: "gossip.example.com", Path: "/", Allow: []string{"198.51.100.7/32"}}
	args.Services = append(args.Services[:3], admin, allowOnly)
	rec, w := run(t, args)

	secret := mustObject(t, rec, "Secret", "admin-admin-credentials")
	expect(t, "admin's credentials", secret, map[string]any{"type": "kubernetes.io/basic-auth", "stringData.username": "admin"})
	pw, ok := pulumitest.Path(secret, "stringData.password").(pulumitest.Secret)
	if !ok || pw.Value == "" {
		t.Fatalf("the admin password is not a secret input: %#v", pulumitest.Path(secret, "stringData.password"))
	}
	expect(t, "admin's allow-list", mustObject(t, rec, "Middleware", "admin-allow"), map[string]any{
		"spec": map[string]any{"ipAllowList": map[string]any{"sourceRange": []any{"203.0.113.0/24", "10.0.0.0/8"}}},
	})
	expect(t, "admin's basic auth", mustObject(t, rec, "Middleware", "admin-auth"), map[string]any{
		"spec": map[string]any{"basicAuth": map[string]any{"secret": "admin-admin-credentials", "removeHeader": true}},
	})
	ann, _ := pulumitest.Path(mustObject(t, rec, "Ingress", "admin"), "metadata.annotations").(map[string]any)
	if ann["traefik.ingress.kubernetes.io/router.middlewares"] != "app-admin-allow@kubernetescrd,app-admin-auth@kubernetescrd" {
		t.Errorf("admin's router middlewares = %v", ann["traefik.ingress.kubernetes.io/router.middlewares"])
	}
	ann, _ = pulumitest.Path(mustObject(t, rec, "Ingress", "gossip"), "metadata.annotations").(map[string]any)
	if ann["traefik.ingress.kubernetes.io/router.middlewares"] != "app-gossip-allow@kubernetescrd" {
		t.Errorf("gossip's router middlewares = %v", ann["traefik.ingress.kubernetes.io/router.middlewares"])
	}
	if object(rec, "Middleware", "gossip-auth") != nil || object(rec, "Secret", "gossip-admin-credentials") != nil {
		t.Error("a route without auth got basic auth")
	}
	ann, _ = pulumitest.Path(mustObject(t, rec, "Ingress", "api"), "metadata.annotations").(map[string]any)
	if _, ok := ann["traefik.ingress.kubernetes.io/router.middlewares"]; ok || object(rec, "Middleware", "api-allow") != nil {
		t.Error("an unrestricted route got middlewares")
	}

	// The output is the same password, still secret.
	res, err := internals.UnsafeAwaitOutput(t.Context(), w.AdminPasswords["admin"])
	if err != nil || !res.Known || !res.Secret || res.Value != pw.Value {
		t.Errorf("AdminPasswords[admin] = %+v, err %v: want the Secret's password, secret", res, err)
	}
	if len(w.AdminPasswords) != 1 {
		t.Errorf("admin passwords for %d services, want 1", len(w.AdminPasswords))
	}
	rendered := w.Manifests["kubernetes/app/secret-admin-admin-credentials.yaml"]
	if !strings.Contains(rendered, "password: '[secret]'") || strings.Contains(rendered, pw.Value.(string)) {
		t.Errorf("rendered credentials:\n%s", rendered)
	}
	for path, doc := range w.Manifests {
		if strings.Contains(doc, pw.Value.(string)) {
			t.Errorf("%s holds the admin password", path)
		}
	}
}
