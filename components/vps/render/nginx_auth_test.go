package render

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"infra/components/service"
	"infra/internal/vpstest"
)

// TestProxyAdminRestriction runs the real nginx on the rendered config and
// sends real requests from 127.0.0.1: a route behind basic auth answers
// 401 without credentials or with wrong ones and 200 with the right ones;
// a route whose allow-list excludes 127.0.0.1 answers 403 with or without
// credentials, one that includes it answers 200. The htpasswd is made the
// way deploy.sh makes it on the host (openssl passwd -6).
func TestProxyAdminRestriction(t *testing.T) {
	nginx := vpstest.Tool(t, "nginx")
	openssl := vpstest.Tool(t, "openssl")
	res := service.Resources{CPU: "250m", Memory: "128Mi"}
	svc := func(name string, r service.Route) service.Spec {
		r.Host = name + ".shop.example.com"
		r.Path = "/"
		return service.Spec{Name: name, Image: "ghcr.io/shop/" + name + ":1", Port: 8080, Replicas: 1, Resources: res, Public: &r}
	}
	site := Site{
		Project: "shop", Domain: "shop.example.com",
		Services: []service.Spec{
			svc("open", service.Route{}),
			svc("auth", service.Route{Auth: true}),
			svc("inside", service.Route{Allow: []string{"10.0.0.0/8", "127.0.0.0/8"}}),
			svc("outside", service.Route{Allow: []string{"10.0.0.0/8", "192.0.2.0/24"}}),
			svc("both", service.Route{Auth: true, Allow: []string{"127.0.0.1/32"}}),
			svc("bothout", service.Route{Auth: true, Allow: []string{"203.0.113.0/24"}}),
		},
	}
	conf, err := Nginx(site, testCertDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := vpstest.Nginx(t, conf); err != nil {
		t.Fatal(err)
	}

	// nginx's workers read the file: when the test runs as root they run
	// as an unprivileged user, as on the host, and t.TempDir's parent is
	// closed to them.
	dir, err := os.MkdirTemp("", "htpasswd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	routes, err := site.Routes()
	if err != nil {
		t.Fatal(err)
	}
	// Each service with auth has its own realm and password.
	password := map[string]string{}
	rewrites := map[string]string{}
	for _, r := range routes {
		if !r.Auth {
			continue
		}
		password[r.Service] = "s3cret-" + r.Service
		cmd := exec.Command(openssl, "passwd", "-6", "-stdin")
		cmd.Stdin = strings.NewReader(password[r.Service])
		hash, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		htpasswd := filepath.Join(dir, "htpasswd-"+r.Realm)
		if err := os.WriteFile(htpasswd, []byte("admin:"+string(hash)), 0o644); err != nil {
			t.Fatal(err)
		}
		rewrites["auth_basic_user_file "+HtpasswdPath(r.Realm)+";"] = "auth_basic_user_file " + htpasswd + ";"
	}
	if len(password) != 3 {
		t.Fatalf("routes with auth: %v, want auth, both and bothout", password)
	}

	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "served")
	}))
	defer backend.Close()
	for _, s := range site.Services {
		rewrites["http://"+s.Name+":8080;"] = backend.URL + ";"
	}
	get := runProxy(t, nginx, conf, rewrites)

	basic := func(user, pw string) string {
		return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
	}
	for _, tc := range []struct {
		service string
		header  []string
		want    int
	}{
		{"open", nil, 200},
		{"auth", nil, 401},
		{"auth", []string{basic("admin", "wrong")}, 401},
		{"auth", []string{basic("root", password["auth"])}, 401},
		{"auth", []string{basic("admin", password["auth"])}, 200},
		// One service's login opens no other.
		{"auth", []string{basic("admin", password["both"])}, 401},
		{"inside", nil, 200},
		{"outside", nil, 403},
		{"both", nil, 401},
		{"both", []string{basic("admin", password["both"])}, 200},
		{"both", []string{basic("admin", password["auth"])}, 401},
		{"bothout", nil, 403},
		{"bothout", []string{basic("admin", password["bothout"])}, 403},
	} {
		code, body := get(tc.service+".shop.example.com", "/", tc.header...)
		if code != tc.want {
			t.Errorf("GET %s with %q: %d %q, want %d", tc.service, tc.header, code, body, tc.want)
		}
		if code == 200 && body != "served" {
			t.Errorf("GET %s: body %q, want the service's", tc.service, body)
		}
	}
}
