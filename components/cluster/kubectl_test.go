package cluster

import (
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// kubectl is the real consumer of the kubeconfig: a local run without it
// skips loudly, CI fails.
func kubectl(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("kubectl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("kubectl is required in CI (Debian package kubernetes-client): %v", err)
		}
		t.Skipf("SKIPPING: kubectl not on PATH (set CI=true to make this fatal): %v", err)
	}
	return path
}

// fakeDoctl writes a doctl that records its arguments and answers like
// `doctl kubernetes cluster kubeconfig exec-credential` does.
func fakeDoctl(t *testing.T, dir, token string) string {
	t.Helper()
	argsFile := filepath.Join(dir, "doctl-args")
	script := "#!/bin/sh\n" +
		"echo \"$@\" > " + argsFile + "\n" +
		"test -n \"$DIGITALOCEAN_ACCESS_TOKEN\" || { echo 'no access token' >&2; exit 1; }\n" +
		`echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"` + token + `"}}'` + "\n"
	if err := os.WriteFile(filepath.Join(dir, ExecCommand), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return argsFile
}

// TestKubectlAuthenticatesThroughDoctl runs kubectl with the kubeconfig
// against a TLS API server stand-in: kubectl must trust the CA from the
// kubeconfig, run doctl with the cluster's id, and send doctl's fresh token.
func TestKubectlAuthenticatesThroughDoctl(t *testing.T) {
	bin := kubectl(t)
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"major":"1","minor":"34","gitVersion":"v1.34.1"}`))
	}))
	defer srv.Close()
	ca := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	cfg, err := RenderKubeconfig("jarvis-prod", srv.URL, ca, "cluster-id-123")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	binDir := filepath.Join(dir, "bin")
	if err := os.Mkdir(binDir, 0o755); err != nil {
		t.Fatal(err)
	}

	run := func(path string) (string, error) {
		cmd := exec.Command(bin, "--kubeconfig", kubeconfig, "--cache-dir", filepath.Join(dir, "cache"), "get", "--raw", "/version")
		cmd.Env = []string{"PATH=" + path, "HOME=" + dir, "DIGITALOCEAN_ACCESS_TOKEN=test-access-token"}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	// Without doctl there are no credentials at all: nothing static to fall back on.
	out, err := run(binDir + ":/usr/bin:/bin")
	if err == nil || !strings.Contains(out, ExecCommand) {
		t.Fatalf("kubectl without doctl: err %v, output %q; want a failure naming doctl", err, out)
	}

	argsFile := fakeDoctl(t, binDir, "fresh-token-from-doctl")
	out, err = run(binDir + ":/usr/bin:/bin")
	if err != nil {
		t.Fatalf("kubectl get --raw /version: %v\n%s", err, out)
	}
	if !strings.Contains(out, "v1.34.1") {
		t.Errorf("kubectl output %q lacks the server's version", out)
	}
	args, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatalf("doctl was not run: %v", err)
	}
	if got, want := strings.TrimSpace(string(args)), "kubernetes cluster kubeconfig exec-credential --version=v1beta1 cluster-id-123"; got != want {
		t.Errorf("doctl args = %q, want %q", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auth) == 0 || auth[len(auth)-1] != "Bearer fresh-token-from-doctl" {
		t.Errorf("API server saw Authorization %q, want doctl's token", auth)
	}
}
