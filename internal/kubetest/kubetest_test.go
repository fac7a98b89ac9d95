package kubetest

import (
	"strings"
	"testing"
)

// TestAPIServerAdmitsAndRefuses: the server started here stores a valid
// object and refuses an invalid one with the API server's own message.
func TestAPIServerAdmitsAndRefuses(t *testing.T) {
	api := Start(t, FindServerTools(t))
	t.Logf("ready in %s", api.Started)
	if out := api.Kubectl(t, "get", "namespaces", "-o", "name"); !strings.Contains(out, "namespace/default") {
		t.Fatalf("kubectl get namespaces:\n%s", out)
	}
	api.Kubectl(t, "create", "namespace", "kubetest")
	if out := api.Kubectl(t, "get", "namespace", "kubetest", "-o", "name"); strings.TrimSpace(out) != "namespace/kubetest" {
		t.Errorf("created namespace not found:\n%s", out)
	}
	out, err := api.TryKubectl("create", "deployment", "Bad_Name", "--image=nginx", "-n", "kubetest")
	if err == nil || !strings.Contains(out, "Invalid value") {
		t.Errorf("an invalid Deployment name was not refused: %v\n%s", err, out)
	}
}
