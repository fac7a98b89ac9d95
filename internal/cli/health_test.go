package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/spf13/cobra"
)

// healthServer serves /healthz with the given status code and body over
// TLS on 127.0.0.1, with a certificate valid for validFor. It returns the
// server and a CA file trusting it.
func healthServer(t *testing.T, validFor time.Duration, code int, body string) (*httptest.Server, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(validFor),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv, ca
}

func healthCmd(f *fakeStack) func(*IO) *cobra.Command {
	return func(s *IO) *cobra.Command {
		return NewCmdHealth(s, func(o *HealthOptions) error {
			o.OpenStack = opener(f)
			return runHealth(context.Background(), o)
		})
	}
}

func TestHealthProbes(t *testing.T) {
	const year = 365 * 24 * time.Hour
	tests := []struct {
		name     string
		validFor time.Duration
		code     int
		body     string
		extra    []string
		want     int
		wantText []string
	}{
		{name: "healthy", validFor: year, code: 200, body: `{"status":"healthy","version":"1.4.2"}`, want: ExitOK, wantText: []string{"200", "healthy", "ok"}},
		{name: "server error", validFor: year, code: 503, body: `{"status":"unhealthy"}`, want: ExitFailure, wantText: []string{"HTTP 503", `health status "unhealthy"`}},
		{name: "degraded JSON", validFor: year, code: 200, body: `{"status":"degraded"}`, want: ExitFailure, wantText: []string{`health status "degraded"`}},
		{name: "certificate about to expire", validFor: 5 * 24 * time.Hour, code: 200, body: `{"status":"ok"}`, want: ExitFailure, wantText: []string{"certificate expires in 4 day(s)"}},
		{name: "shorter threshold", validFor: 5 * 24 * time.Hour, code: 200, body: `{"status":"ok"}`, extra: []string{"--min-cert-days", "3"}, want: ExitOK},
		{name: "plain text body", validFor: year, code: 200, body: "OK", want: ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ca := healthServer(t, tt.validFor, tt.code, tt.body)
			args := append([]string{"health", "--url", srv.URL + "/healthz", "--ca-file", ca}, tt.extra...)
			r := runWith(context.Background(), t, healthCmd(&fakeStack{}), args...)
			if r.code != tt.want {
				t.Fatalf("exit %d, want %d: %v\n%s", r.code, tt.want, r.err, r.stdout)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("table lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

// Without --ca-file the test server's certificate is not trusted: the
// probe fails on verification, it never skips it.
func TestHealthVerifiesCertificates(t *testing.T) {
	srv, _ := healthServer(t, time.Hour*24*365, 200, `{"status":"ok"}`)
	r := runWith(context.Background(), t, healthCmd(&fakeStack{}), "health", "--url", srv.URL+"/healthz", "--json")
	if r.code != ExitFailure {
		t.Fatalf("exit %d: an untrusted certificate passed", r.code)
	}
	if !strings.Contains(r.stdout, "certificate") {
		t.Errorf("no certificate problem reported: %s", r.stdout)
	}
}

func TestHealthContinuousJSON(t *testing.T) {
	var hits atomic.Int32
	srv, ca := healthServer(t, 90*24*time.Hour, 200, `{"status":"ok"}`)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"status":"ok","checks":{"db":"ok"}}`))
	})
	r := runWith(context.Background(), t, healthCmd(&fakeStack{}),
		"health", "--url", srv.URL+"/healthz", "--ca-file", ca, "--continuous", "--interval", "10ms", "--count", "3", "--json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || hits.Load() != 3 {
		t.Fatalf("%d JSON lines, %d requests, want 3 and 3:\n%s", len(lines), hits.Load(), r.stdout)
	}
	for i, line := range lines {
		var round HealthRound
		if err := json.Unmarshal([]byte(line), &round); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		p := round.Endpoints[0]
		if round.Round != i+1 || !round.Healthy || p.Status != 200 || p.CertDaysLeft == nil || *p.CertDaysLeft != 89 || p.Health["checks"] == nil {
			t.Errorf("round %d: %+v", i+1, round)
		}
	}
}

// The endpoints come from the stack's outputs when no --url is given.
func TestHealthReadsEndpointsFromOutputs(t *testing.T) {
	srv, ca := healthServer(t, 365*24*time.Hour, 200, `{"status":"up"}`)
	f := &fakeStack{outputs: auto.OutputMap{"endpoints": {Value: []any{
		map[string]any{"service": "server", "url": srv.URL + "/", "health": srv.URL + "/healthz"},
	}}}}
	r := runWith(context.Background(), t, healthCmd(f), "health", "--stack", "prod", "--dir", testProject(t), "--ca-file", ca)
	if r.code != ExitOK || !strings.Contains(r.stdout, "server") || !strings.Contains(r.stdout, "/healthz") {
		t.Fatalf("exit %d: %v\n%s", r.code, r.err, r.stdout)
	}
	empty := &fakeStack{outputs: auto.OutputMap{"endpoints": {Value: []any{}}}}
	r = runWith(context.Background(), t, healthCmd(empty), "health", "--stack", "prod", "--dir", testProject(t))
	if r.code != ExitFailure || !strings.Contains(r.err.Error(), "no public endpoints") {
		t.Errorf("no endpoints: exit %d, %v", r.code, r.err)
	}
}

func TestHealthFlags(t *testing.T) {
	for _, args := range [][]string{
		{"health"},
		{"health", "--url", "https://x.example", "--continuous", "--interval", "0"},
		{"health", "--url", "https://x.example", "--interval", "soon"},
	} {
		r := runWith(context.Background(), t, healthCmd(&fakeStack{}), args...)
		if r.code != ExitUsage && !(r.err != nil && strings.Contains(r.err.Error(), "invalid argument")) {
			t.Errorf("%v: exit %d (%v), want usage", args, r.code, r.err)
		}
	}
}
