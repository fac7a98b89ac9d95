package main

import (
	"bufio"
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"infra/internal/providercheck"
)

var loadStrict = sync.OnceValues(providercheck.New)

// strictChecker is the checker the stand-in runs, loaded once per test binary.
func strictChecker(t *testing.T) *providercheck.Checker {
	t.Helper()
	c, err := loadStrict()
	if err != nil {
		t.Fatalf("load the strict checks: %v", err)
	}
	return c
}

func TestInvoke(t *testing.T) {
	p := newProvider("digitalocean", pluginVersionMust(t, "4.57.0"), strictChecker(t))
	invoke := func(tok string, args map[string]any) resource.PropertyMap {
		t.Helper()
		resp, err := p.Invoke(context.Background(), plugin.InvokeRequest{Tok: tokens.ModuleMember(tok), Args: props(args)})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Properties
	}
	versions := "digitalocean:index/getKubernetesVersions:getKubernetesVersions"
	// The catalog's DOKS minors, oldest first: the newest is the latest.
	minors := strictChecker(t).Catalog().KubernetesMinors.Minors()
	newest, oldest := minors[len(minors)-1], minors[0]
	if got := invoke(versions, nil)["latestVersion"].StringValue(); !strings.HasPrefix(got, newest+".") {
		t.Errorf("latestVersion = %q, want the newest offered minor %s", got, newest)
	}
	got := invoke(versions, map[string]any{"versionPrefix": oldest + "."})
	if !strings.HasPrefix(got["latestVersion"].StringValue(), oldest+".") || len(got["validVersions"].ArrayValue()) != 1 {
		t.Errorf("with prefix %s.: %v", oldest, got)
	}
	if got := invoke(versions, map[string]any{"versionPrefix": "1.34."}); got["latestVersion"].StringValue() != "" {
		t.Errorf("1.34 is past its end of life and must not be offered: %v", got)
	}
	if _, err := p.Invoke(context.Background(), plugin.InvokeRequest{
		Tok: "digitalocean:index/getAccount:getAccount", Args: resource.PropertyMap{},
	}); err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("an invoke the stand-in does not answer must fail, got %v", err)
	}
	resp, err := p.Invoke(context.Background(), plugin.InvokeRequest{
		Tok: tokens.ModuleMember(versions), Args: props(map[string]any{"versionPrefx": "1.36."}),
	})
	if err != nil || len(resp.Failures) != 1 || resp.Failures[0].Property != "versionPrefx" {
		t.Errorf("a misspelt argument must be a check failure, got %v, %v", resp.Failures, err)
	}
	decoded := invoke("kubernetes:yaml:decode", map[string]any{
		"text": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n",
	})
	if n := len(decoded["result"].ArrayValue()); n != 2 {
		t.Errorf("yaml decode returned %d objects, want 2: %v", n, decoded)
	}
}

// TestServerSecretsAndConfigure goes through the gRPC server the engine talks
// to: Configure must accept secrets and previews, and a secret input must come
// back from Create as a secret.
func TestServerSecretsAndConfigure(t *testing.T) {
	srv := plugin.NewProviderServer(newProvider("postgresql", pluginVersionMust(t, "3.18.0"), strictChecker(t)))
	ctx := context.Background()
	conf, err := srv.Configure(ctx, &pulumirpc.ConfigureRequest{AcceptSecrets: true, AcceptResources: true})
	if err != nil {
		t.Fatal(err)
	}
	if !conf.AcceptSecrets || !conf.AcceptResources || !conf.SupportsPreview {
		t.Errorf("Configure = %v, want secrets, resources and preview accepted", conf)
	}
	info, err := srv.GetPluginInfo(ctx, nil)
	if err != nil || info.Version != "3.18.0" {
		t.Errorf("GetPluginInfo = %v, %v", info, err)
	}
	opts := plugin.MarshalOptions{KeepSecrets: true, KeepUnknowns: true}
	in, err := plugin.MarshalProperties(resource.PropertyMap{
		"password": resource.MakeSecret(resource.NewProperty("hunter2")),
		"login":    resource.NewProperty(true),
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	const roleType = "postgresql:index/role:Role"
	resp, err := srv.Create(ctx, &pulumirpc.CreateRequest{
		Urn: string(urnOfType(roleType, "app")), Type: roleType, Name: "app", Properties: in,
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := plugin.UnmarshalProperties(resp.Properties, opts)
	if err != nil {
		t.Fatal(err)
	}
	if v, secret := plain(out["password"]); !secret || v.StringValue() != "hunter2" {
		t.Errorf("password = %v, want the secret back", out["password"])
	}
}

func TestPackageName(t *testing.T) {
	for in, want := range map[string]string{
		"/tmp/bin/pulumi-resource-digitalocean": "digitalocean",
		"pulumi-resource-random.exe":            "random",
		"testprovider":                          "testprovider",
	} {
		if got := packageName(in); got != want {
			t.Errorf("packageName(%q) = %q, want %q", in, got, want)
		}
	}
	if _, err := pluginVersion("testprovider", ""); err == nil {
		t.Error("an unknown package without an override should be an error")
	}
	if v, err := pluginVersion("testprovider", "2.0.0"); err != nil || v.String() != "2.0.0" {
		t.Errorf("override: %v, %v", v, err)
	}
}

// TestPluginVersionsMatchGoMod keeps the reported versions equal to the SDK
// versions pinned in go.mod, which are the versions the SDKs request.
func TestPluginVersionsMatchGoMod(t *testing.T) {
	f, err := os.Open("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sdk := regexp.MustCompile(`^\s*github\.com/pulumi/pulumi-([a-z]+)/sdk(/v\d+)?\s+v(\S+)`)
	seen := 0
	for s := bufio.NewScanner(f); s.Scan(); {
		m := sdk.FindStringSubmatch(s.Text())
		if m == nil {
			continue
		}
		seen++
		if got := pluginVersions[m[1]]; got != m[3] {
			t.Errorf("pluginVersions[%q] = %q, go.mod pins %s", m[1], got, m[3])
		}
	}
	if seen == 0 {
		t.Error("no provider SDK found in go.mod")
	}
}
