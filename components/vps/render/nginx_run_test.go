package render

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"infra/components/service"
	"infra/internal/vpstest"
)

// TestProxyKeepsMetricsPrivate runs the real nginx on the rendered config,
// with only its listen ports, pid file and upstream addresses rewritten to
// this machine, and requests every spelling of the metrics path a client
// could send. The service behind the apex serves its metrics on its public
// port: the proxy answers 404 and never forwards. The control host's
// service serves metrics on another port, so its /metrics is an ordinary
// path and is forwarded.
func TestProxyKeepsMetricsPrivate(t *testing.T) {
	nginx := vpstest.Tool(t, "nginx")
	res := service.Resources{CPU: "500m", Memory: "512Mi"}
	site := Site{
		Project: "shop", Domain: "shop.example.com",
		Services: []service.Spec{
			{Name: "web", Image: "ghcr.io/shop/web:1", Port: 3000, Replicas: 1, Resources: res,
				Public: &service.Route{Host: "shop.example.com", Path: "/"}, Metrics: &service.Metrics{Path: "/metrics", Port: 3000}},
			{Name: "api", Image: "ghcr.io/shop/api:1", Port: 8080, Replicas: 1, Resources: res,
				Public: &service.Route{Host: "api.shop.example.com", Path: "/"}, Metrics: &service.Metrics{Path: "/metrics", Port: 9102}},
		},
	}
	conf, err := Nginx(site, testCertDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := vpstest.Nginx(t, conf); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	seen := map[string][]string{}
	backend := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[name] = append(seen[name], r.URL.Path)
			mu.Unlock()
			fmt.Fprintf(w, "%s %s", name, r.URL.Path)
		}))
	}
	web, api := backend("web"), backend("api")
	defer web.Close()
	defer api.Close()

	get := runProxy(t, nginx, conf, map[string]string{"http://web:3000;": web.URL + ";", "http://api:8080;": api.URL + ";"})

	if code, body := get("shop.example.com", "/"); code != 200 || body != "web /" {
		t.Fatalf("the apex is not proxied: %d %q", code, body)
	}
	for _, p := range []string{"/metrics", "/metrics/", "/METRICS", "/Metrics/", "/%6Detrics", "//metrics", "/./metrics", "/x/../metrics", "/metrics?format=prometheus"} {
		if code, body := get("shop.example.com", p); code != 404 {
			t.Errorf("GET %s on the public host: %d %q, want 404", p, code, body)
		}
	}
	for _, p := range []string{"/metricsfoo", "/metrics/x", "/app/metrics"} {
		if code, _ := get("shop.example.com", p); code != 200 {
			t.Errorf("GET %s: %d, want 200: only the metrics path itself is kept inside", p, code)
		}
	}
	mu.Lock()
	for _, p := range seen["web"] {
		if strings.EqualFold(strings.Trim(p, "/"), "metrics") {
			t.Errorf("the proxy forwarded %s to the service", p)
		}
	}
	mu.Unlock()
	if code, body := get("api.shop.example.com", "/metrics"); code != 200 || body != "api /metrics" {
		t.Errorf("control: api serves metrics on another port, its /metrics is an ordinary path: %d %q", code, body)
	}
}

// proxyGet sends GET path to the running proxy as host, with extra
// request header lines, and returns the status and body.
type proxyGet func(host, rawPath string, header ...string) (int, string)

// runProxy starts the real nginx on the rendered config with its listen
// ports, pid file and, from extra, the upstream addresses and other host
// paths rewritten to this machine, and stops it when the test ends.
func runProxy(t *testing.T, nginx, conf string, extra map[string]string) proxyGet {
	t.Helper()
	dir := t.TempDir()
	httpsAddr, httpAddr := freeAddr(t), freeAddr(t)
	running := conf
	rewrites := map[string]string{
		"listen 443 ssl default_server;": "listen " + httpsAddr + " ssl default_server;",
		"listen 443 ssl;":                "listen " + httpsAddr + " ssl;",
		"listen 80 default_server;":      "listen " + httpAddr + " default_server;",
		"listen 80;":                     "listen " + httpAddr + ";",
		"pid /var/run/nginx.pid;":        "pid " + filepath.Join(dir, "nginx.pid") + ";",
	}
	for old, repl := range extra {
		rewrites[old] = repl
	}
	for old, repl := range rewrites {
		if !strings.Contains(running, old) {
			t.Fatalf("test setup: %q is not in the rendered config", old)
		}
		running = strings.ReplaceAll(running, old, repl)
	}
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(running), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, nginx, "-e", "stderr", "-p", dir, "-c", path, "-g", "daemon off;")
	logFile, err := os.Create(filepath.Join(dir, "nginx.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// TERM lets the master stop its workers too.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	logs := func() string { b, _ := os.ReadFile(logFile.Name()); return string(b) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	ready := false
	for i := 0; i < 100 && !ready; i++ {
		if c, err := net.DialTimeout("tcp", httpsAddr, time.Second); err == nil {
			c.Close()
			ready = true
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !ready {
		t.Fatalf("nginx does not listen on %s after 10 s:\n%s", httpsAddr, logs())
	}

	// Requests go out byte for byte as written (encoded, doubled and dotted
	// paths stay), over TLS with the host's name.
	return func(host, rawPath string, header ...string) (int, string) {
		t.Helper()
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", httpsAddr,
			&tls.Config{ServerName: host, InsecureSkipVerify: true}) //nolint:gosec // the test's own certificate
		if err != nil {
			t.Fatalf("TLS to %s as %s: %v\nnginx:\n%s", httpsAddr, host, err, logs())
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n", rawPath, host, headerLines(header)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("GET https://%s%s: %v\nnginx:\n%s", host, rawPath, err, logs())
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
}

func headerLines(header []string) string {
	var b strings.Builder
	for _, h := range header {
		b.WriteString(h + "\r\n")
	}
	return b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
