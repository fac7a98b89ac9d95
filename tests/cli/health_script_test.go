package clitest

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	sdk "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/enginetest"
)

// health.sh, the deploy's health step, through the real CLI and engine:
// bin/infra reads the dev stack's endpoints output from a file backend
// (a stack whose only content is that output) and probes them. A
// certificate the runner trusts (SSL_CERT_FILE stands in for a public CA)
// and a 200: exit 0. Nothing listening: exit 1.
func TestEngineHealthScript(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
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
	program := func(ctx *sdk.Context) error {
		ctx.Export("endpoints", sdk.Array{sdk.Map{
			"service": sdk.String("server"), "url": sdk.String(srv.URL + "/"), "health": sdk.String(srv.URL + "/healthz"),
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
		c := exec.CommandContext(ctx, bash, filepath.Join(root, "scripts", "ci", "health.sh"), "dev", "2", "0.05")
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

func pemOf(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
