package workflows

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/enginetest"
)

// doctlArchive is a release archive as doctl publishes it: doctl at its
// root, here a script answering `doctl version`.
func doctlArchive(t *testing.T, version string) []byte {
	t.Helper()
	script := "#!/bin/sh\necho \"doctl version " + version + "-release\"\n"
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "doctl", Mode: 0o755, Size: int64(len(script))}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(script)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// install-doctl.sh installs the archive whose checksum is pinned, and
// nothing when the download differs from the pin or is missing.
func TestInstallDoctlScript(t *testing.T) {
	bash := needTool(t, "bash")
	needTool(t, "curl")
	needTool(t, "sha256sum")
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("the pinned checksum is linux-amd64's; this is %s-%s", runtime.GOOS, runtime.GOARCH)
	}
	const version = "1.167.0"
	archive := doctlArchive(t, version)
	sum := sha256.Sum256(archive)
	good := hex.EncodeToString(sum[:])
	var requested []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requested = append(requested, r.URL.Path)
		if r.URL.Path != "/v"+version+"/doctl-"+version+"-linux-amd64.tar.gz" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(archive)
	}))
	t.Cleanup(srv.Close)

	run := func(version, sum string) (dir, githubPath, out string, err error) {
		tmp := t.TempDir()
		dir, githubPath = filepath.Join(tmp, "doctl"), filepath.Join(tmp, "github_path")
		cmd := exec.Command(bash, filepath.Join(root, "scripts", "ci", "install-doctl.sh"), version, sum, dir)
		cmd.Env = append(os.Environ(), "DOCTL_BASE_URL="+srv.URL, "GITHUB_PATH="+githubPath)
		b, err := cmd.CombinedOutput()
		return dir, githubPath, string(b), err
	}

	dir, githubPath, out, err := run(version, good)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "doctl version "+version) {
		t.Errorf("the installed doctl did not answer `doctl version`:\n%s", out)
	}
	if b, err := os.ReadFile(githubPath); err != nil || strings.TrimSpace(string(b)) != dir {
		t.Errorf("GITHUB_PATH holds %q (%v), want %s", b, err, dir)
	}

	bad := strings.Repeat("0", 64)
	dir, _, out, err = run(version, bad)
	if err == nil || !strings.Contains(out, "does not match the pinned SHA-256") || !strings.Contains(out, good) {
		t.Errorf("checksum mismatch: err %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "doctl")); !os.IsNotExist(err) {
		t.Errorf("a doctl whose checksum failed was installed: %v", err)
	}

	if _, _, out, err = run("9.9.9", good); err == nil {
		t.Errorf("a missing release passed:\n%s", out)
	}
	if len(requested) != 3 {
		t.Errorf("requests %q, want one per run", requested)
	}
}

// health.sh, the deploy's health step, through the real CLI and engine:
// bin/infra reads the dev stack's endpoints output from a file backend
// (a stack whose only content is that output) and probes them. A
// certificate the runner trusts (SSL_CERT_FILE stands in for a public CA)
// and a 200: exit 0. Nothing listening: exit 1.
func TestHealthScript(t *testing.T) {
	bash := needTool(t, "bash")
	cliRoot := enginetest.FindCLI(t)
	env := enginetest.NewFileBackend(t)
	ctx := context.Background()

	// The project as the job checks it out, with bin/infra built by setup.
	dir := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "Pulumi.dev.yaml"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "bin", "infra"), "./cmd/infra")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build infra: %v\n%s", err, out)
	}

	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"status":"healthy"}`))
	}))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pemOf(srv.Certificate().Raw), 0o644); err != nil {
		t.Fatal(err)
	}

	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: cliRoot})
	if err != nil {
		t.Fatal(err)
	}
	env["PATH"] = filepath.Join(cliRoot, "bin") + string(os.PathListSeparator) + os.Getenv("PATH")
	program := func(ctx *pulumi.Context) error {
		ctx.Export("endpoints", pulumi.Array{pulumi.Map{
			"service": pulumi.String("server"), "url": pulumi.String(srv.URL + "/"), "health": pulumi.String(srv.URL + "/healthz"),
		}})
		return nil
	}
	stack, err := auto.UpsertStackInlineSource(ctx, "dev", "infra", program, auto.Pulumi(cmd), auto.EnvVars(env),
		auto.PulumiHome(env["PULUMI_HOME"]), auto.WorkDir(t.TempDir()), auto.SecretsProvider("passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stack.Up(ctx); err != nil {
		t.Fatal(err)
	}

	health := func() (string, error) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		c := exec.CommandContext(ctx, bash, filepath.Join(mustAbs(t, root), "scripts", "ci", "health.sh"), "dev", "2", "0.05")
		c.Dir = dir
		c.Env = append(os.Environ(), "SSL_CERT_FILE="+caFile, "INFRA_PULUMI_CLI="+filepath.Join(cliRoot, "bin", "pulumi"))
		for k, v := range env {
			c.Env = append(c.Env, k+"="+v)
		}
		out, err := c.CombinedOutput()
		return string(out), err
	}
	out, err := health()
	if err != nil || strings.Count(out, "Round ") != 2 || !strings.Contains(out, "healthy") {
		t.Fatalf("a healthy dev: %v\n%s", err, out)
	}
	// dev's issuer is Let's Encrypt staging: infra says it trusts its roots.
	if !strings.Contains(out, "staging roots") {
		t.Errorf("dev's staging roots were not trusted:\n%s", out)
	}

	srv.Close()
	out, err = health()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 || !strings.Contains(out, "refused") {
		t.Errorf("an outage: %v, want exit 1 naming the refused connection\n%s", err, out)
	}
}

func TestNewScriptsPassShellcheck(t *testing.T) {
	sc := needTool(t, "shellcheck")
	for _, s := range []string{"install-doctl.sh", "health.sh"} {
		if out, err := exec.Command(sc, filepath.Join(root, "scripts", "ci", s)).CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s: %v\n%s", s, err, out)
		}
	}
}

func pemOf(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
