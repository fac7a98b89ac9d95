// Package kubetest runs a real Kubernetes API server for tests: etcd and
// kube-apiserver built from their Go modules by scripts/k8s-build.sh, on
// 127.0.0.1 ports of their own, with a PKI made here. There is no kubelet,
// scheduler or controller-manager: objects are admitted, validated,
// defaulted and stored, and pods never run.
//
//	api := kubetest.Start(t, kubetest.FindTools(t))
//	api.Kubectl(t, "get", "ns")
//
// The processes stop (by PID) when the test ends. Where the binaries are not
// built the test is skipped, loudly; with CI=true it fails.
package kubetest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Versions built by scripts/k8s-build.sh; the cache layout is
// <cache>/<tool>-<version>/bin/<binary>.
const (
	EtcdVersion     = "v3.6.16"
	APIServerVer    = "v1.36.3"
	ProviderVersion = "v4.0.0-20260115033456-f47bc2d6f199"
	HelmVersion     = "v3.19.5"
)

// Tools are the binaries a real API server and the real provider need.
type Tools struct {
	Etcd, APIServer, Provider, Helm, Kubectl string
}

// FindTools locates the cached builds (and kubectl on PATH) the engine
// tests need: the API server's and the Kubernetes provider.
func FindTools(t testing.TB) Tools {
	t.Helper()
	return findTools(t, true)
}

// FindServerTools locates what an API server alone needs.
func FindServerTools(t testing.TB) Tools {
	t.Helper()
	return findTools(t, false)
}

func findTools(t testing.TB, provider bool) Tools {
	t.Helper()
	cache := cacheDir()
	tools := Tools{
		Etcd:      filepath.Join(cache, "etcd-"+EtcdVersion, "bin", "etcd"),
		APIServer: filepath.Join(cache, "kube-apiserver-"+APIServerVer, "bin", "kube-apiserver"),
		Provider:  filepath.Join(cache, "kubernetes-provider-"+ProviderVersion, "bin", "pulumi-resource-kubernetes"),
		Helm:      filepath.Join(cache, "helm-"+HelmVersion, "bin", "helm"),
	}
	var missing []string
	need := []string{tools.Etcd, tools.APIServer}
	if provider {
		need = append(need, tools.Provider)
	}
	for _, p := range need {
		if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
			missing = append(missing, p)
		}
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		missing = append(missing, "kubectl on PATH")
	}
	tools.Kubectl = kubectl
	if len(missing) > 0 {
		msg := fmt.Sprintf("missing %s: run scripts/k8s-build.sh etcd|kube-apiserver|kubernetes-provider "+
			"(about 30 minutes cold, cached afterwards)", strings.Join(missing, ", "))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		fmt.Fprintf(os.Stderr, "\n*** SKIPPING KUBERNETES TEST %s: %s ***\n\n", t.Name(), msg)
		t.Skip(msg)
	}
	return tools
}

func cacheDir() string {
	if c := os.Getenv("INFRA_K8S_CACHE"); c != "" {
		return c
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "infra", "k8s")
}

// APIServer is a running kube-apiserver.
type APIServer struct {
	Endpoint string // https://127.0.0.1:PORT
	// CAData is the CA certificate as base64 PEM (a kubeconfig's
	// certificate-authority-data, and what DOKS returns).
	CAData string
	// ClientCert and ClientKey (PEM) authenticate as system:masters.
	ClientCert, ClientKey string
	// Kubeconfig is a file authenticating with the client certificate.
	Kubeconfig string
	// Started is how long etcd and the API server took to be ready.
	Started time.Duration
	tools   Tools
}

// Start runs etcd and kube-apiserver until the test ends.
func Start(t testing.TB, tools Tools) *APIServer {
	t.Helper()
	begin := time.Now()
	dir := t.TempDir()
	p, err := newPKI(dir)
	if err != nil {
		t.Fatalf("PKI: %v", err)
	}
	ports := freePorts(t, 4)
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	metrics := fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	start(t, dir, "etcd", tools.Etcd,
		"--name", "kubetest", "--data-dir", filepath.Join(dir, "etcd-data"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "kubetest="+peerURL, "--listen-metrics-urls", metrics,
		"--unsafe-no-fsync", "--log-level", "warn")
	waitFor(t, dir, "etcd", func() bool {
		resp, err := http.Get(metrics + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	api := &APIServer{
		Endpoint:   fmt.Sprintf("https://127.0.0.1:%d", ports[3]),
		CAData:     base64.StdEncoding.EncodeToString(p.caPEM),
		ClientCert: string(p.clientCert),
		ClientKey:  string(p.clientKey),
		tools:      tools,
	}
	start(t, dir, "kube-apiserver", tools.APIServer,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ports[3]),
		"--etcd-servers="+etcdURL,
		"--tls-cert-file="+p.file("server.crt"), "--tls-private-key-file="+p.file("server.key"),
		"--client-ca-file="+p.file("ca.crt"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+p.file("sa.pub"),
		"--service-account-signing-key-file="+p.file("sa.key"),
		"--api-audiences=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--cert-dir="+filepath.Join(dir, "apiserver-certs"),
		// A loopback advertise address is not a valid Endpoints IP.
		"--endpoint-reconciler-type=none",
		// Admission webhooks call pods (cert-manager's, the Prometheus
		// operator's), and no pod runs here: every other admission plugin
		// stays on.
		"--disable-admission-plugins=ValidatingAdmissionWebhook,MutatingAdmissionWebhook")
	client, err := p.httpClient()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, dir, "kube-apiserver", func() bool {
		resp, err := client.Get(api.Endpoint + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	api.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(api.Kubeconfig, []byte(api.kubeconfig()), 0o600); err != nil {
		t.Fatal(err)
	}
	api.Started = time.Since(begin)
	return api
}

func (a *APIServer) kubeconfig() string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubetest
  cluster: {server: %q, certificate-authority-data: %s}
users:
- name: admin
  user: {client-certificate-data: %s, client-key-data: %s}
contexts:
- name: kubetest
  context: {cluster: kubetest, user: admin}
current-context: kubetest
`, a.Endpoint, a.CAData, base64.StdEncoding.EncodeToString([]byte(a.ClientCert)),
		base64.StdEncoding.EncodeToString([]byte(a.ClientKey)))
}

// ExecCredential is what a kubeconfig's exec plugin (doctl, for DOKS)
// prints: here the admin client certificate.
func (a *APIServer) ExecCredential() string {
	return fmt.Sprintf(`{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",`+
		`"status":{"clientCertificateData":%q,"clientKeyData":%q}}`, a.ClientCert, a.ClientKey)
}

// Kubectl runs kubectl against the server and returns its output; an
// error fails the test.
func (a *APIServer) Kubectl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := a.TryKubectl(args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TryKubectl runs kubectl and returns its combined output and error.
func (a *APIServer) TryKubectl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.tools.Kubectl, append([]string{"--kubeconfig", a.Kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// start runs a server process until the test ends, logging to dir.
func start(t testing.TB, dir, name, bin string, args ...string) {
	t.Helper()
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		log.Close()
	})
}

// waitFor polls ready for up to a minute, failing with the server's log.
func waitFor(t testing.TB, dir, name string, ready func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if ready() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, name+".log"))
	if len(log) > 4000 {
		log = log[len(log)-4000:]
	}
	t.Fatalf("%s not ready after a minute:\n%s", name, log)
}

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// pki is a CA, the API server's serving certificate, an admin client
// certificate (O=system:masters) and the service-account key pair.
type pki struct {
	dir                          string
	caPEM, clientCert, clientKey []byte
	caCert                       *x509.Certificate
	caKey                        *rsa.PrivateKey
}

func (p *pki) file(name string) string { return filepath.Join(p.dir, name) }

func newPKI(dir string) (*pki, error) {
	p := &pki{dir: dir}
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubetest-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	p.caCert, _ = x509.ParseCertificate(caDER)
	p.caKey = caKey
	p.caPEM = pemBlock("CERTIFICATE", caDER)
	serverCert, serverKey, err := p.issue(2, pkix.Name{CommonName: "kube-apiserver"}, x509.ExtKeyUsageServerAuth,
		[]net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")},
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"})
	if err != nil {
		return nil, err
	}
	p.clientCert, p.clientKey, err = p.issue(3, pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}},
		x509.ExtKeyUsageClientAuth, nil, nil)
	if err != nil {
		return nil, err
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		"ca.crt": p.caPEM, "server.crt": serverCert, "server.key": serverKey,
		"sa.key": pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(saKey)),
		"sa.pub": pemBlock("PUBLIC KEY", saPub),
	}
	for name, b := range files {
		if err := os.WriteFile(p.file(name), b, 0o600); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *pki) issue(serial int64, subject pkix.Name, usage x509.ExtKeyUsage, ips []net.IP, names []string,
) (certPEM, keyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: subject,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips, DNSNames: names,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)), nil
}

func (p *pki) httpClient() (*http.Client, error) {
	pool := x509.NewCertPool()
	pool.AddCert(p.caCert)
	cert, err := tls.X509KeyPair(p.clientCert, p.clientKey)
	if err != nil {
		return nil, err
	}
	return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	}}, nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
