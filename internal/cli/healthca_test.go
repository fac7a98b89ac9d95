package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/spf13/cobra"
)

// stagingCA stands in for a Let's Encrypt staging root: its private key
// is needed to issue, and Let's Encrypt keeps the real one.
type stagingCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newStagingCA(t *testing.T) stagingCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "(STAGING) Stand-in Pear X1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return stagingCA{cert: cert, key: key}
}

// serve starts a TLS server whose certificate, issued by the CA, names
// host and is valid from notBefore to notAfter; it answers code.
func (ca stagingCA) serve(t *testing.T, host string, notBefore, notAfter time.Time, code int) *httptest.Server {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// stagingHealthCmd is healthCmd with the stand-in CA as the staging roots.
func stagingHealthCmd(f *fakeStack, ca stagingCA) func(*IO) *cobra.Command {
	return func(s *IO) *cobra.Command {
		return NewCmdHealth(s, func(o *HealthOptions) error {
			o.OpenStack = opener(f)
			o.StagingRoots = func() ([]*x509.Certificate, error) { return []*x509.Certificate{ca.cert}, nil }
			return runHealth(context.Background(), o)
		})
	}
}

func endpointsAt(url string) *fakeStack {
	return &fakeStack{outputs: auto.OutputMap{"endpoints": {Value: []any{
		map[string]any{"service": "server", "url": url + "/", "health": url + "/healthz"},
	}}}}
}

// A certificate from the staging CA passes only for a stack whose issuer
// is letsencrypt-staging (testProject's dev: not production, so the
// default issuer), never for prod (letsencrypt-prod); and a staging stack
// still fails on a real outage: an expired certificate, a certificate for
// another host, a 5xx, nothing listening.
func TestHealthTrustsStagingRootsOnlyForAStagingStack(t *testing.T) {
	ca := newStagingCA(t)
	now := time.Now()
	year := 365 * 24 * time.Hour
	closed := ca.serve(t, "127.0.0.1", now.Add(-time.Hour), now.Add(year), 200)
	closed.Close()
	tests := []struct {
		name, stack string
		srv         *httptest.Server
		want        int
		wantText    string
	}{
		{"staging stack, staging certificate", "dev", ca.serve(t, "127.0.0.1", now.Add(-time.Hour), now.Add(90*24*time.Hour), 200), ExitOK, "ok"},
		{"production stack, staging certificate", "prod", ca.serve(t, "127.0.0.1", now.Add(-time.Hour), now.Add(year), 200), ExitFailure, "unknown authority"},
		{"expired certificate", "dev", ca.serve(t, "127.0.0.1", now.Add(-2*year), now.Add(-24*time.Hour), 200), ExitFailure, "expired"},
		{"certificate for another host", "dev", ca.serve(t, "dev.focusdeck.example.com", now.Add(-time.Hour), now.Add(year), 200), ExitFailure, "cannot validate certificate for 127.0.0.1"},
		{"server error", "dev", ca.serve(t, "127.0.0.1", now.Add(-time.Hour), now.Add(year), 502), ExitFailure, "HTTP 502"},
		{"connection refused", "dev", closed, ExitFailure, "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWith(context.Background(), t, stagingHealthCmd(endpointsAt(tt.srv.URL), ca),
				"health", "--stack", tt.stack, "--dir", testProject(t))
			if r.code != tt.want {
				t.Fatalf("exit %d, want %d: %v\n%s", r.code, tt.want, r.err, r.stdout)
			}
			if !strings.Contains(r.stdout, tt.wantText) {
				t.Errorf("table lacks %q:\n%s", tt.wantText, r.stdout)
			}
			if trusted := strings.Contains(r.stderr, "staging roots"); trusted != (tt.stack == "dev") {
				t.Errorf("stack %s: staging roots trusted %v\n%s", tt.stack, trusted, r.stderr)
			}
		})
	}
}

// With --url there is no stack to ask: --letsencrypt-staging says it.
func TestHealthLetsEncryptStagingFlag(t *testing.T) {
	ca := newStagingCA(t)
	srv := ca.serve(t, "127.0.0.1", time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour), 200)
	r := runWith(context.Background(), t, stagingHealthCmd(&fakeStack{}, ca), "health", "--url", srv.URL+"/healthz")
	if r.code != ExitFailure {
		t.Errorf("without the flag: exit %d, want %d", r.code, ExitFailure)
	}
	r = runWith(context.Background(), t, stagingHealthCmd(&fakeStack{}, ca), "health", "--url", srv.URL+"/healthz", "--letsencrypt-staging")
	if r.code != ExitOK {
		t.Errorf("with the flag: exit %d: %v\n%s", r.code, r.err, r.stdout)
	}
}

// The embedded roots are Let's Encrypt's four staging roots and nothing
// else: a bundle holding any other certificate is refused.
func TestStagingRootsEmbedded(t *testing.T) {
	roots, err := stagingRoots()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range roots {
		if !c.IsCA || c.Subject.String() != c.Issuer.String() || c.CheckSignatureFrom(c) != nil {
			t.Errorf("%s is not a self-signed CA", c.Subject)
		}
		if c.NotAfter.Before(time.Now()) {
			t.Errorf("%s expired on %s", c.Subject, c.NotAfter)
		}
		names = append(names, c.Subject.CommonName)
	}
	want := "(STAGING) Pretend Pear X1,(STAGING) Bogus Broccoli X2,(STAGING) Yearning Yucca Root YE,(STAGING) Yonder Yam Root YR"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("staging roots %s, want %s", got, want)
	}

	saved := stagingRootsPEM
	t.Cleanup(func() { stagingRootsPEM = saved })
	_, other := healthServer(t, time.Hour, 200, "")
	extra, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	stagingRootsPEM = append(append([]byte{}, saved...), extra...)
	if _, err := stagingRoots(); err == nil || !strings.Contains(err.Error(), "unexpected certificate") {
		t.Errorf("a bundle with another certificate: %v", err)
	}
}
