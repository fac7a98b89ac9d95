package stacks

import (
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"infra/internal/pulumitest"
	"infra/stacks/config"
)

const programStack = `config:
  infra:environment: dev
  infra:class: development
  infra:topology: vps
  infra:region: nyc3
  infra:domain: example.com
  infra:network: { adminCidrs: [198.51.100.7/32] }
  infra:vps: { size: s-1vcpu-1gb, sshKeys: [k], sshPrivateKeySecret: deploy-key }
  infra:secrets: { api-key: { secure: v1:abc }, deploy-key: { secure: v1:def } }
  infra:services:
    - { name: api, image: "nginx:1", port: 8080, secretEnv: { API_KEY: api-key } }
`

// runProgram runs Program the way the engine would, with config as the
// language host passes it.
func runProgram(t *testing.T, doc string, secretKeys bool, env map[string]string) (int, error) {
	t.Helper()
	raw, err := config.ParseStackFile("test.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	conf, keys, err := raw.PulumiConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !secretKeys {
		keys = nil
	}
	rec, err := pulumitest.RunStackErr("infra", "dev", func(ctx *pulumi.Context) error {
		return program(ctx, func(k string) string { return env[k] }, nil)
	}, func(ri *pulumi.RunInfo) {
		ri.Config, ri.ConfigSecretKeys = conf, keys
	})
	return len(rec.Resources), err
}

func TestProgramReadsConfigFromTheEngine(t *testing.T) {
	n, err := runProgram(t, programStack, true, nil)
	if err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	if n == 0 {
		t.Fatal("no resources registered")
	}
}

func TestProgramRejectsBadConfigBeforeAnyResource(t *testing.T) {
	tests := []struct {
		name       string
		doc        string
		secretKeys bool
		env        map[string]string
		want       string
	}{
		{"wrong value", strings.Replace(programStack, "port: 8080", "port: 0", 1), true, nil, "infra:services[0].port"},
		{"secrets not encrypted", programStack, false, nil, "infra:secrets: must be a secret"},
		{"unknown key from the language host", programStack, true, map[string]string{"PULUMI_CONFIG": `{"infra:regoin":"nyc3","aws:region":"x"}`}, "infra:regoin: unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := runProgram(t, tt.doc, tt.secretKeys, tt.env)
			var cfgErr *config.ConfigError
			if !errors.As(err, &cfgErr) {
				t.Fatalf("want a ConfigError, got %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if n != 0 {
				t.Errorf("%d resources registered before the config error: a half-applied stack", n)
			}
		})
	}
}

// deployArtifacts runs the program for cfg under mocks and returns the
// recorded resources and the rendered artifacts; an artifact marked secret
// is an error (artifacts are written to disk in plain text).
func deployArtifacts(t *testing.T, project, stack string, cfg *config.Config) (*pulumitest.Recorder, map[string]string) {
	t.Helper()
	artifacts := map[string]string{}
	rec := pulumitest.RunStack(t, project, stack, func(ctx *pulumi.Context) error {
		d, err := Deploy(ctx, cfg)
		if err != nil {
			return err
		}
		for p, o := range d.Artifacts {
			res, err := internals.UnsafeAwaitOutput(ctx.Context(), o)
			if err != nil {
				return err
			}
			if res.Secret {
				t.Errorf("artifact %s is secret", p)
			}
			artifacts[p], _ = res.Value.(string)
		}
		return nil
	})
	return rec, artifacts
}
