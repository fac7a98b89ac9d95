package render

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// grafanaPassword is the grafana container's admin password in the
// sandbox: every character a shell treats specially.
const grafanaPassword = `gr'af"a$na` + "`x`" + `\ %s`

// fakeTools are stand-ins for the host's commands: each logs its
// arguments. The certbot container's `test -s` succeeds once a certificate
// was "issued".
const fakeDocker = `#!/usr/bin/env bash
printf '%s\n' "$*" >>"$FAKE_LOG"
if [ "$1" = login ]; then
  # What a login was given on stdin, and the environment it ran in.
  { cat; printf '\n'; } >>"$FAKE_STATE/login-stdin"
  env >>"$FAKE_STATE/login-env"
fi
case "$*" in
  # What psql in the postgres container was given on stdin.
  "compose exec -T postgres psql "*) cat >>"$FAKE_STATE/postgres-exec-stdin" ;;
  # The command runs, in the environment the grafana container has (the
  # image's GF_PATHS_*, its env file's admin password).
  "compose exec -T grafana "*)
    shift 4
    GF_SECURITY_ADMIN_PASSWORD=$FAKE_GRAFANA_PASSWORD GF_PATHS_HOME=/usr/share/grafana GF_PATHS_CONFIG=/etc/grafana/grafana.ini "$@"
    ;;
  *"--entrypoint test"*) [ -f "$FAKE_STATE/cert" ] ;;
  *"certonly --standalone"*) touch "$FAKE_STATE/cert" ;;
esac
`

var fakeTools = map[string]string{
	"docker":     fakeDocker,
	"cloud-init": "#!/bin/sh\nexit 0\n",
	// A stand-in hash that tells the passwords apart without holding them.
	"openssl": "#!/bin/sh\nprintf '$6$salt$%s\\n' \"$(sha256sum | cut -c1-16)\"\n",
	"crontab": "#!/bin/sh\ncp \"$1\" \"$FAKE_STATE/installed-crontab\"\n",
	// Grafana's CLI in its container: what it was given.
	"grafana": "#!/bin/sh\nprintf '%s\\n' \"$*\" >>\"$FAKE_STATE/grafana-argv\"\ncat >>\"$FAKE_STATE/grafana-stdin\"\n",
}

type sandbox struct {
	t                     *testing.T
	app, bin, state, logf string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("SKIPPED: bash not installed")
	}
	root := t.TempDir()
	s := &sandbox{t: t, app: filepath.Join(root, "app"), bin: filepath.Join(root, "bin"), state: filepath.Join(root, "state"), logf: filepath.Join(root, "docker.log")}
	for _, d := range []string{s.app, s.bin, s.state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, script := range fakeTools {
		if err := os.WriteFile(filepath.Join(s.bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// deploy unpacks a bundle of the site's project (as receive.sh does) and
// runs its deploy.sh, as a run by hand would; it returns the docker
// commands run.
func (s *sandbox) deploy(site Site, extra ...File) []string {
	t := s.t
	t.Helper()
	enc := s.bundle(site, extra...)
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		t.Fatal(err)
	}
	staging := t.TempDir()
	tar := exec.Command("tar", "-xzpf", "-", "-C", staging)
	tar.Stdin = strings.NewReader(string(raw))
	if out, err := tar.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	return s.run(exec.Command("bash", filepath.Join(staging, "deploy.sh"), staging))
}

// receive runs the receive command as the SSH session would, with the
// deploy command's stdin (the registry passwords, then the bundle).
func (s *sandbox) receive(site Site, passwords []string) []string {
	s.t.Helper()
	cmd := exec.Command("bash", "-c", ReceiveCommand())
	cmd.Stdin = strings.NewReader(DeployInput(passwords, s.bundle(site)))
	return s.run(cmd)
}

// run runs a deploy with the fake tools and returns the docker commands.
func (s *sandbox) run(cmd *exec.Cmd) []string {
	t := s.t
	t.Helper()
	if out, err := s.try(cmd); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	log, err := os.ReadFile(s.logf)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(log)), "\n")
}

// try runs a deploy with the fake tools and returns its output.
func (s *sandbox) try(cmd *exec.Cmd) (string, error) {
	_ = os.Remove(s.logf)
	cmd.Env = append(os.Environ(), "PATH="+s.bin+":"+os.Getenv("PATH"), "FAKE_LOG="+s.logf, "FAKE_STATE="+s.state, "FAKE_GRAFANA_PASSWORD="+grafanaPassword)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// bundle is the site's project as the deploy command sends it.
func (s *sandbox) bundle(site Site, extra ...File) string {
	t := s.t
	t.Helper()
	p, err := BuildProject(site)
	if err != nil {
		t.Fatal(err)
	}
	compose, err := p.Render()
	if err != nil {
		t.Fatal(err)
	}
	script, err := deployScript(site, p, s.app)
	if err != nil {
		t.Fatal(err)
	}
	files := append([]File{
		{Path: "compose.yaml", Mode: 0o644, Content: compose},
		{Path: "deploy.sh", Mode: 0o755, Content: script},
		{Path: "crontab", Mode: 0o644, Content: Crontab(site, p)},
		{Path: "proxy/nginx.conf", Mode: 0o644, Content: "# nginx\n"},
		{Path: "proxy/run.sh", Mode: 0o755, Content: NginxRunScript},
		{Path: "certbot/renew.sh", Mode: 0o755, Content: RenewScript},
		{Path: "grafana/provisioning/datasources.yaml", Mode: 0o644, Content: "apiVersion: 1\n"},
	}, extra...)
	routes, err := site.Routes()
	if err != nil {
		t.Fatal(err)
	}
	for _, realm := range AuthRealms(routes) {
		files = append(files, File{Path: AdminPasswordPath(realm), Mode: 0o600, Content: "s3cret-" + realm})
	}
	enc, _, err := Bundle(files)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// indexOf finds the first command containing every part.
func indexOf(cmds []string, parts ...string) int {
	for i, c := range cmds {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(c, p)
		}
		if ok {
			return i
		}
	}
	return -1
}

func TestDeployScriptRunsTheStepsInOrder(t *testing.T) {
	s := newSandbox(t)
	site := fixtureSite()
	const superuser = "superuser-s3cret"
	cmds := s.deploy(site, File{Path: "stale.txt", Mode: 0o644, Content: "old"},
		File{Path: EnvFilePath(PostgresService), Mode: 0o600, Content: "POSTGRES_PASSWORD=\"" + superuser + "\"\n"})

	steps := [][]string{
		{"compose run --rm -T volume-init"},
		{"compose up -d --wait postgres"},
		// The superuser's password is set before roles.sql logs in with it.
		{"compose exec -T postgres psql", "--username=postgres", "--set=ON_ERROR_STOP=1"},
		{"compose run --rm -T postgres-init"},
		{"compose run --rm -T api-migrate"},
		{"--entrypoint test", "/etc/letsencrypt/live/app/fullchain.pem"},
		{"compose rm --stop --force proxy"},
		{"-p 80:80 --entrypoint certbot", "certonly --standalone", "--test-cert", "--email ops@shop.example.com", "-d shop.example.com", "-d ops.shop.example.com"},
		{"compose up -d --wait --wait-timeout 600 --remove-orphans"},
		// Grafana's admin password, once Grafana is up.
		{"compose exec -T grafana sh -c", "reset-admin-password --password-from-stdin"},
		{"certonly --webroot --webroot-path /var/www/acme"},
		{"compose exec -T proxy nginx", "-s reload"},
		{"image prune"},
	}
	last := -1
	for _, step := range steps {
		i := indexOf(cmds, step...)
		if i < 0 {
			t.Fatalf("no command with %q in:\n%s", step, strings.Join(cmds, "\n"))
		}
		if i <= last {
			t.Errorf("%q ran out of order:\n%s", step, strings.Join(cmds, "\n"))
		}
		last = i
	}

	// The superuser's password reaches psql through the container's
	// environment: neither its command line nor its stdin holds it.
	stdin, err := os.ReadFile(filepath.Join(s.state, "postgres-exec-stdin"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(stdin), `\getenv superuser_password POSTGRES_PASSWORD`) || !strings.Contains(string(stdin), "ALTER ROLE CURRENT_USER PASSWORD :'superuser_password';") {
		t.Errorf("psql in the postgres container was given:\n%s", stdin)
	}
	for _, c := range append(cmds, string(stdin)) {
		if strings.Contains(c, superuser) {
			t.Errorf("the superuser's password is on a command line or stdin: %s", c)
		}
	}

	// Grafana's CLI got the container's password on stdin, one line, and
	// not among its arguments.
	argv, err := os.ReadFile(filepath.Join(s.state, "grafana-argv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "cli --homepath /usr/share/grafana --config /etc/grafana/grafana.ini admin reset-admin-password --password-from-stdin\n"; string(argv) != want {
		t.Errorf("grafana ran with %q, want %q", argv, want)
	}
	if got, err := os.ReadFile(filepath.Join(s.state, "grafana-stdin")); err != nil || string(got) != grafanaPassword+"\n" {
		t.Errorf("grafana read %q from stdin (%v), want the container's password and a newline", got, err)
	}

	// The files are installed, the mounts hashed, the password hashed.
	env, err := os.ReadFile(filepath.Join(s.app, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"INFRA_MOUNTS_PROXY", "INFRA_MOUNTS_CERTBOT", "INFRA_MOUNTS_GRAFANA"} {
		if !regexp.MustCompile(`(?m)^` + v + `=[0-9a-f]{16}$`).Match(env) {
			t.Errorf(".env lacks a hash for %s:\n%s", v, env)
		}
	}
	// One htpasswd per realm, each from its own password: the admin
	// tools' and Grafana's (the fixture's service with auth).
	for _, realm := range []string{"admin", "service-grafana"} {
		htpasswd, err := os.ReadFile(filepath.Join(s.app, "proxy", "htpasswd-"+realm))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte("s3cret-" + realm))
		if want := fmt.Sprintf("admin:$6$salt$%x\n", sum[:8]); string(htpasswd) != want || strings.Contains(string(htpasswd), "s3cret") {
			t.Errorf("htpasswd-%s = %q, want %q", realm, htpasswd, want)
		}
		if fi, err := os.Stat(filepath.Join(s.app, "secrets", "admin-password-"+realm)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("admin password file of %s: %v %v", realm, fi, err)
		}
	}
	if _, err := os.Stat(filepath.Join(s.state, "installed-crontab")); err != nil {
		t.Errorf("crontab not installed: %v", err)
	}

	// A second deploy: the certificate exists, and a file no longer sent
	// is removed.
	hashBefore := string(env)
	cmds = s.deploy(site)
	if i := indexOf(cmds, "certonly --standalone"); i >= 0 {
		t.Errorf("second deploy asked for a certificate again: %s", cmds[i])
	}
	if _, err := os.Stat(filepath.Join(s.app, "stale.txt")); !os.IsNotExist(err) {
		t.Errorf("stale.txt survived the next deploy: %v", err)
	}
	env, _ = os.ReadFile(filepath.Join(s.app, ".env"))
	if string(env) != hashBefore {
		t.Errorf("unchanged files hash differently:\n%s\n%s", hashBefore, env)
	}
}

func TestDeployScriptWithoutRoutesOrDatabase(t *testing.T) {
	s := newSandbox(t)
	cmds := s.deploy(minimalSite())
	for _, absent := range []string{"certbot", "postgres", "volume-init"} {
		if i := indexOf(cmds, absent); i >= 0 {
			t.Errorf("minimal site ran %q", cmds[i])
		}
	}
	if indexOf(cmds, "compose up -d --wait --wait-timeout 600 --remove-orphans") < 0 {
		t.Errorf("minimal site never came up:\n%s", strings.Join(cmds, "\n"))
	}
}
