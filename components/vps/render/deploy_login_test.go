package render

import (
	"encoding/base64"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The registry passwords travel on the deploy command's stdin, and each
// reaches `docker login` on its stdin before anything is pulled: never in
// an argument, docker's environment, or a file of the project.
func TestRegistryLoginsReachDockerOnStdin(t *testing.T) {
	s := newSandbox(t)
	site := fixtureSite()
	passwords := []string{"ghp_s3cretToken with spaces", "pa:ss'w$rd`x`"}
	cmds := s.receive(site, passwords)

	first := indexOf(cmds, "login --username shop-bot --password-stdin ghcr.io")
	second := indexOf(cmds, "login --username o'neil --password-stdin registry.example.com:5000")
	if first < 0 || second < 0 {
		t.Fatalf("no login to each registry in:\n%s", strings.Join(cmds, "\n"))
	}
	if pull := indexOf(cmds, "compose"); pull < 0 || pull < second {
		t.Errorf("a compose command ran before the logins:\n%s", strings.Join(cmds, "\n"))
	}
	stdin, err := os.ReadFile(filepath.Join(s.state, "login-stdin"))
	if err != nil {
		t.Fatal(err)
	}
	if want := passwords[0] + "\n" + passwords[1] + "\n"; string(stdin) != want {
		t.Errorf("docker login read %q on stdin, want %q", stdin, want)
	}
	env, err := os.ReadFile(filepath.Join(s.state, "login-env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range passwords {
		encoded := base64.StdEncoding.EncodeToString([]byte(p))
		for _, c := range cmds {
			if strings.Contains(c, p) || strings.Contains(c, encoded) {
				t.Errorf("a command line holds a password: %s", c)
			}
		}
		if strings.Contains(string(env), p) || strings.Contains(string(env), encoded) {
			t.Error("docker login's environment holds a password")
		}
		err := filepath.WalkDir(s.app, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err == nil && (strings.Contains(string(b), p) || strings.Contains(string(b), encoded)) {
				t.Errorf("%s holds a password", path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Without registries the first line of stdin is empty and nobody logs in;
// by hand (no passwords) deploy.sh keeps docker's stored logins.
func TestDeployWithoutRegistryPasswords(t *testing.T) {
	for name, run := range map[string]func(s *sandbox) []string{
		"no registries": func(s *sandbox) []string { return s.receive(minimalSite(), nil) },
		"by hand":       func(s *sandbox) []string { return s.deploy(fixtureSite()) },
	} {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t)
			cmds := run(s)
			if i := indexOf(cmds, "login"); i >= 0 {
				t.Errorf("logged in without passwords: %s", cmds[i])
			}
			if indexOf(cmds, "compose up -d --wait --wait-timeout 600 --remove-orphans") < 0 {
				t.Errorf("the project never came up:\n%s", strings.Join(cmds, "\n"))
			}
		})
	}
}

// A count of passwords other than the registries' stops the deploy before
// anything is pulled.
func TestDeployRefusesTheWrongNumberOfPasswords(t *testing.T) {
	s := newSandbox(t)
	cmd := exec.Command("bash", "-c", ReceiveCommand())
	cmd.Stdin = strings.NewReader(DeployInput([]string{"only-one"}, s.bundle(fixtureSite())))
	out, err := s.try(cmd)
	if err == nil || !strings.Contains(out, "expected 2 registry passwords, got 1") {
		t.Fatalf("err = %v, output:\n%s", err, out)
	}
	if log, _ := os.ReadFile(s.logf); len(log) > 0 {
		t.Errorf("docker ran:\n%s", log)
	}
}

func TestDeployInput(t *testing.T) {
	for name, c := range map[string]struct {
		passwords []string
		want      string
	}{
		"none": {nil, "\nBUNDLE"},
		"two":  {[]string{"a b", "\n"}, "YSBi Cg==\nBUNDLE"},
	} {
		if got := DeployInput(c.passwords, "BUNDLE"); got != c.want {
			t.Errorf("%s: DeployInput = %q, want %q", name, got, c.want)
		}
	}
}
