package tests

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"infra/internal/plan"
	"infra/internal/planner"
	"infra/internal/pulumitest"
	"infra/stacks"
	"infra/stacks/config"
)

// vpsStacks are the stack files whose topology is vps.
var vpsStacks = map[string]struct{ project, stack, file string }{
	"dev":                {"infra", "dev", "../Pulumi.dev.yaml"},
	"prod":               {"infra", "prod", "../Pulumi.prod.yaml"},
	"focusdeck/prod":     {"focusdeck", "prod", "../examples/focusdeck/Pulumi.prod.yaml"},
	"jarvis-agents/prod": {"jarvis-agents", "prod", "../examples/jarvis-agents/Pulumi.prod.yaml"},
}

func readRaw(t *testing.T, file string) *config.Raw {
	t.Helper()
	raw, err := config.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func runPlan(t *testing.T, project, stack string, raw *config.Raw) *plan.Plan {
	t.Helper()
	p, err := planner.Run(project, stack, raw)
	if err != nil {
		t.Fatalf("plan %s/%s: %v", project, stack, err)
	}
	return p
}

func resourcesOf(p *plan.Plan, typ string) []plan.Resource {
	var out []plan.Resource
	for _, r := range p.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func oneOf(t *testing.T, p *plan.Plan, typ string) plan.Resource {
	t.Helper()
	rs := resourcesOf(p, typ)
	if len(rs) != 1 {
		t.Fatalf("want one %s, have %d", typ, len(rs))
	}
	return rs[0]
}

// composeModel decodes the rendered compose file just enough for
// assertions (compose-go checks it properly elsewhere).
type composeModel struct {
	Services map[string]struct {
		Image   string            `yaml:"image"`
		Ports   []string          `yaml:"ports"`
		EnvFile []string          `yaml:"env_file"`
		Env     map[string]string `yaml:"environment"`
		User    string            `yaml:"user"`
	} `yaml:"services"`
}

func decodeCompose(t *testing.T, text string) composeModel {
	t.Helper()
	var m composeModel
	if err := yaml.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("decode compose.yaml: %v", err)
	}
	return m
}

// writeArtifacts writes a plan's artifacts into a temp dir, and stand-ins
// for the secret env files the compose file names (they never are
// artifacts).
func writeArtifacts(t *testing.T, p *plan.Plan) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range p.Artifacts {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := decodeCompose(t, p.Artifacts["vps/compose.yaml"])
	for _, s := range m.Services {
		for _, f := range s.EnvFile {
			path := filepath.Join(dir, "vps", f)
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte("STAND_IN=\"1\"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// deployed runs stacks.Deploy under the mock monitor plan runs on and hands
// the Deployment to inspect, with access to secret values (unlike plan,
// which masks them); the passwords it makes up are distinct per resource.
func deployed(t *testing.T, project, stack string, raw *config.Raw, inspect func(ctx context.Context, d *stacks.Deployment)) {
	t.Helper()
	cfg, err := config.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	conf, secretKeys, err := raw.PulumiConfig()
	if err != nil {
		t.Fatal(err)
	}
	pulumitest.RunStack(t, project, stack, func(ctx *pulumi.Context) error {
		d, err := stacks.Deploy(ctx, cfg)
		if err != nil {
			return err
		}
		inspect(ctx.Context(), d)
		return nil
	}, func(ri *pulumi.RunInfo) {
		ri.Config = conf
		ri.ConfigSecretKeys = secretKeys
	})
}

// await resolves an output, secret or not.
func await(t *testing.T, ctx context.Context, o pulumi.Output) string {
	t.Helper()
	res, err := internals.UnsafeAwaitOutput(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := res.Value.(string)
	if !ok {
		t.Fatalf("output is %T, not a string", res.Value)
	}
	return s
}

// testCerts writes a self-signed pair named like certbot's.
func testCerts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{"fullchain.pem": {Type: "CERTIFICATE", Bytes: der}, "privkey.pem": {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
