package workload

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/kube"
	"infra/components/service"
)

// AdminUser is the user name of a route's basic authentication.
const AdminUser = "admin"

// adminSecretName holds a service's basic-auth credential.
func adminSecretName(s service.Spec) string { return s.Name + "-admin-credentials" }

// restricted reports whether a public route is behind basic auth or an
// allow-list.
func restricted(s service.Spec) bool {
	return s.Public != nil && (s.Public.Auth || len(s.Public.Allow) > 0)
}

// adminCredentials is a service's basic-auth login, a Secret of type
// kubernetes.io/basic-auth that Traefik reads (it hashes the password
// itself, so no hash is made here). The password stays a Pulumi secret;
// rendered, it is kube.SecretPlaceholder.
func (b *builder) adminCredentials(s service.Spec, password pulumi.StringOutput) kube.Object {
	return kube.Object{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   b.meta(adminSecretName(s), b.labels(s)),
		"type":       "kubernetes.io/basic-auth",
		"stringData": map[string]any{"username": AdminUser, "password": pulumi.ToSecret(password).(pulumi.StringOutput)},
	}
}

// restrictions are a restricted route's Traefik Middlewares, in the order
// the Ingress chains them: the allow-list first, so a client outside it
// gets 403 without learning that a login exists, then basic auth.
func (b *builder) restrictions(s service.Spec) []kube.Object {
	var out []kube.Object
	if len(s.Public.Allow) > 0 {
		ranges := make([]any, len(s.Public.Allow))
		for i, c := range s.Public.Allow {
			ranges[i] = c
		}
		out = append(out, kube.Object{
			"apiVersion": "traefik.io/v1alpha1",
			"kind":       "Middleware",
			"metadata":   b.meta(s.Name+"-allow", b.labels(s)),
			"spec":       map[string]any{"ipAllowList": map[string]any{"sourceRange": ranges}},
		})
	}
	if s.Public.Auth {
		out = append(out, kube.Object{
			"apiVersion": "traefik.io/v1alpha1",
			"kind":       "Middleware",
			"metadata":   b.meta(s.Name+"-auth", b.labels(s)),
			"spec": map[string]any{"basicAuth": map[string]any{
				"secret": adminSecretName(s),
				// The service never sees the admin's credential.
				"removeHeader": true,
			}},
		})
	}
	return out
}

// routerMiddlewares is the Ingress annotation value that chains a route's
// restrictions ("" when it has none).
func (b *builder) routerMiddlewares(s service.Spec) string {
	var refs []string
	for _, m := range b.restrictions(s) {
		refs = append(refs, b.args.Namespace+"-"+m.Name()+"@kubernetescrd")
	}
	return strings.Join(refs, ",")
}
