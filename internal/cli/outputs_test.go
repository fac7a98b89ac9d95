package cli

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

const (
	testPassword        = "Zq8xv2LmP0aRt6Yw"
	testGrafanaPassword = "Gf4wQ9nZk2LpV7xR"
	testKubeconfig      = "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user: {token: dop_v1_abcdef}\n"
)

// contractOutputs are outputs as the Automation API returns them: secrets
// in plain text, flagged.
func contractOutputs() auto.OutputMap {
	return auto.OutputMap{
		"contractVersion": {Value: float64(2)},
		"topology":        {Value: "kubernetes"},
		"environment":     {Value: "prod"},
		"class":           {Value: "production"},
		"region":          {Value: "nyc3"},
		"domain":          {Value: "focusdeck.example.com"},
		"vpcId":           {Value: "3f1a-vpc"},
		"database": {Value: map[string]any{
			"engine": "managed", "host": "private-db.example", "port": float64(25060),
			"databases": []any{"focusdeck", "focusdeck_jobs"},
		}},
		"connectionStrings": {Value: map[string]any{"server": map[string]any{
			"ConnectionStrings__DefaultConnection": "Host=private-db.example;Password=" + testPassword,
		}}, Secret: true},
		"endpoints": {Value: []any{map[string]any{
			"service": "server", "url": "https://focusdeck.example.com/", "health": "https://focusdeck.example.com/healthz",
		}}},
		"kubernetes": {Value: map[string]any{
			"clusterName": "focusdeck-prod", "endpoint": "https://3f1a.k8s.ondigitalocean.com", "namespace": "focusdeck",
		}},
		"kubeconfig":           {Value: testKubeconfig, Secret: true},
		"grafanaUrl":           {Value: "https://grafana.focusdeck.example.com/"},
		"grafanaAdminPassword": {Value: testGrafanaPassword, Secret: true},
	}
}

func runOutputsWith(t *testing.T, outs auto.OutputMap, args ...string) ran {
	t.Helper()
	f := &fakeStack{outputs: outs}
	return runWith(context.Background(), t, outputsCmd(f), append([]string{"outputs", "--stack", "prod", "--dir", testProject(t)}, args...)...)
}

func TestOutputsFormats(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		want        []string
		wantSecrets bool
		wantKube    bool
	}{
		{name: "json", args: nil, want: []string{`"connectionStrings": "[secret]"`, `"kubeconfig": "[secret]"`, `"port": 25060`}},
		{name: "yaml", args: []string{"--format", "yaml"}, want: []string{"connectionStrings: \"[secret]\"", "port: 25060\n", "- focusdeck_jobs"}},
		{name: "dotenv", args: []string{"--format", "dotenv"}, want: []string{
			"# CONNECTION_STRINGS is a secret: redacted", "# KUBECONFIG is a secret", `VPC_ID="3f1a-vpc"`,
			`DATABASE_PORT="25060"`, `DATABASE_DATABASES_1="focusdeck_jobs"`, `ENDPOINTS_0_URL="https://focusdeck.example.com/"`,
		}},
		{name: "dotenv with prefix", args: []string{"--format", "dotenv", "--prefix", "INFRA_"}, want: []string{`INFRA_TOPOLOGY="kubernetes"`}},
		{
			name: "show secrets", args: []string{"--format", "dotenv", "--show-secrets"}, wantSecrets: true,
			want: []string{`CONNECTION_STRINGS_SERVER_CONNECTION_STRINGS__DEFAULT_CONNECTION="Host=private-db.example;Password=` + testPassword + `"`, "# KUBECONFIG is a secret"},
		},
		{name: "kubeconfig on request", args: []string{"--show-secrets", "--kubeconfig"}, wantKube: true, wantSecrets: false, want: []string{"kind: Config"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runOutputsWith(t, contractOutputs(), tt.args...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %v", r.code, r.err)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, r.stdout)
				}
			}
			if got := strings.Contains(r.stdout, testPassword); got != tt.wantSecrets {
				t.Errorf("password printed = %v, want %v:\n%s", got, tt.wantSecrets, r.stdout)
			}
			if got := strings.Contains(r.stdout, "dop_v1_abcdef"); got != tt.wantKube {
				t.Errorf("kubeconfig token printed = %v, want %v", got, tt.wantKube)
			}
		})
	}
}

// A program that forgot to mark a sensitive output secret still has it
// redacted: the contract (the schema's x-sensitive) says it is secret.
func TestOutputsRedactContractSecretsEvenUnflagged(t *testing.T) {
	outs := contractOutputs()
	// adminPassword belongs to topology vps; redaction does not care.
	outs["adminPassword"] = auto.OutputValue{Value: "Ad9mPw3xLq7ZkR2v", Secret: true}
	outs["adminCredentials"] = auto.OutputValue{Value: map[string]any{"dashboard": map[string]any{"username": "admin", "password": "Cr7dQw2pLx9TzV4m"}}, Secret: true}
	secrets := map[string]string{
		"adminCredentials":     "Cr7dQw2pLx9TzV4m",
		"connectionStrings":    testPassword,
		"kubeconfig":           "dop_v1_abcdef",
		"grafanaAdminPassword": testGrafanaPassword,
		"adminPassword":        "Ad9mPw3xLq7ZkR2v",
	}
	for _, k := range SensitiveOutputs() {
		t.Run(k, func(t *testing.T) {
			secret, ok := secrets[k]
			if !ok {
				t.Fatalf("the schema flags %s x-sensitive: give the test a value for it", k)
			}
			unflagged := maps.Clone(outs)
			v := unflagged[k]
			v.Secret = false
			unflagged[k] = v
			r := runOutputsWith(t, unflagged, "--format", "yaml")
			if r.code != ExitOK || strings.Contains(r.stdout, secret) || !strings.Contains(r.stdout, k+`: "[secret]"`) {
				t.Fatalf("unflagged %s not redacted (exit %d):\n%s", k, r.code, r.stdout)
			}
		})
	}
}

func TestOutputsMatchTheContract(t *testing.T) {
	r := runOutputsWith(t, contractOutputs())
	var outs map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &outs); err != nil {
		t.Fatal(err)
	}
	if err := CheckOutputs(outs); err != nil {
		t.Fatalf("redacted outputs break the contract: %v", err)
	}
	// YAML output decodes to the same document.
	y := runOutputsWith(t, contractOutputs(), "--format", "yaml")
	var fromYAML map[string]any
	if err := yaml.Unmarshal([]byte(y.stdout), &fromYAML); err != nil {
		t.Fatal(err)
	}
	if err := CheckOutputs(fromYAML); err != nil {
		t.Fatalf("YAML outputs break the contract: %v", err)
	}
}

// The contract check can fail: each broken document is caught.
func TestCheckOutputsCatchesBreaks(t *testing.T) {
	valid := func() map[string]any {
		return RedactOutputs(contractOutputs(), false)
	}
	tests := []struct {
		name   string
		mutate func(m map[string]any)
		want   string
	}{
		{"missing vpcId", func(m map[string]any) { delete(m, "vpcId") }, "vpcId"},
		{"unknown topology", func(m map[string]any) { m["topology"] = "lambda" }, "topology"},
		{"port as text", func(m map[string]any) { m["database"].(map[string]any)["port"] = "25060" }, "port"},
		{"plain http endpoint", func(m map[string]any) {
			m["endpoints"] = []any{map[string]any{"service": "s", "url": "http://x.example/"}}
		}, "url"},
		{"connection strings as a plain string", func(m map[string]any) { m["connectionStrings"] = "Host=x;Password=y" }, "connectionStrings"},
		{"undocumented output", func(m map[string]any) { m["adminToken"] = "x" }, "adminToken"},
		{"undocumented cluster key", func(m map[string]any) { m["kubernetes"].(map[string]any)["clusterId"] = "c1" }, "clusterId"},
		{"cluster endpoint over http", func(m map[string]any) { m["kubernetes"].(map[string]any)["endpoint"] = "http://c.example" }, "endpoint"},
		{"no contract version", func(m map[string]any) { delete(m, "contractVersion") }, "contractVersion"},
		{"another contract version", func(m map[string]any) { m["contractVersion"] = 1 }, "contractVersion"},
		{"vps object on kubernetes", func(m map[string]any) {
			m["vps"] = map[string]any{"ipv4": "203.0.113.10", "reservedIp": "203.0.113.20", "dropletId": "300000001", "backupsBucket": "b", "adminUser": "admin"}
		}, "vps"},
		{"kubernetes without its cluster", func(m map[string]any) { delete(m, "kubernetes") }, "kubernetes"},
		{"vps topology with a kubeconfig", func(m map[string]any) {
			m["topology"] = "vps"
			delete(m, "kubernetes")
			m["vps"] = map[string]any{"ipv4": "203.0.113.10", "reservedIp": "203.0.113.20", "dropletId": "300000001", "backupsBucket": "b", "adminUser": "admin"}
			m["adminPassword"] = Redacted
		}, "kubeconfig"},
		{"grafanaUrl without its password", func(m map[string]any) { delete(m, "grafanaAdminPassword") }, "grafanaAdminPassword"},
		{"managed database without its port", func(m map[string]any) { delete(m["database"].(map[string]any), "port") }, "port"},
		{"external database with a host", func(m map[string]any) { m["database"].(map[string]any)["engine"] = "external" }, "host"},
		{"database without connection strings", func(m map[string]any) { delete(m, "connectionStrings") }, "connectionStrings"},
	}
	if err := CheckOutputs(valid()); err != nil {
		t.Fatalf("valid outputs rejected: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid()
			tt.mutate(m)
			err := CheckOutputs(m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

func TestOutputsSchemaFlag(t *testing.T) {
	r := runOutputsWith(t, nil, "--schema")
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc["properties"] == nil {
		t.Fatalf("--schema printed no JSON Schema: %v\n%s", err, r.stdout)
	}
}

func TestOutputsWithoutKubeconfig(t *testing.T) {
	outs := contractOutputs()
	delete(outs, "kubeconfig")
	r := runOutputsWith(t, outs, "--show-secrets", "--kubeconfig")
	if r.code != ExitFailure || !strings.Contains(r.err.Error(), "no kubeconfig output") {
		t.Errorf("exit %d: %v", r.code, r.err)
	}
}

func TestEnvName(t *testing.T) {
	for in, want := range map[string]string{
		"vpcId": "VPC_ID", "connectionStrings": "CONNECTION_STRINGS", "topology": "TOPOLOGY",
		"ConnectionStrings__DefaultConnection": "CONNECTION_STRINGS__DEFAULT_CONNECTION", "DATABASE_URL": "DATABASE_URL",
		"s3Bucket": "S3_BUCKET", "x-y": "X_Y",
	} {
		if got := envName(in); got != want {
			t.Errorf("envName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDotenvQuotes(t *testing.T) {
	got := dotenv(map[string]any{"motd": "say \"hi\"\n$HOME \\o/"}, "")
	want := `MOTD="say \"hi\"\n\$HOME \\o/"` + "\n"
	if got != want {
		t.Errorf("dotenv = %q, want %q", got, want)
	}
}
