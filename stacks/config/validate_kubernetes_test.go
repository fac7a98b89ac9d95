package config

import (
	"strings"
	"testing"
)

const kubernetesBase = `config:
  infra:environment: prod
  infra:class: production
  infra:topology: kubernetes
  infra:region: nyc3
  infra:domain: example.com
  infra:cluster:
    pools:
      - { name: apps, size: s-2vcpu-4gb, count: 2 }
  infra:services:
    - name: api
      image: ghcr.io/demo/api:1.0
      port: 8080
      public: { host: api }
`

func TestKubernetesValidation(t *testing.T) {
	for _, tc := range []struct {
		name, from, to string
		path, message  string
	}{
		{"autoscaled system pool", "  infra:cluster:\n", "  infra:cluster:\n    systemPool: { size: s-2vcpu-4gb, minNodes: 1, maxNodes: 3 }\n",
			"infra:cluster.systemPool", "the system pool is fixed"},
		{"system pool without count", "  infra:cluster:\n", "  infra:cluster:\n    systemPool: { size: s-2vcpu-4gb }\n",
			"infra:cluster.systemPool.count", "required"},
		{"unknown pool", "      port: 8080\n", "      port: 8080\n      pool: gpu\n",
			"infra:services[0].pool", `unknown node pool "gpu"`},
		{"the system pool is not a workload pool", "      port: 8080\n", "      port: 8080\n      pool: system\n",
			"infra:services[0].pool", `unknown node pool "system"`},
		{"chart repository over plain http", "  infra:cluster:\n", "  infra:cluster:\n    chartRepository: http://charts.example.com\n",
			"infra:cluster.chartRepository", "http only on a loopback address"},
		{"chart repository not a URL", "  infra:cluster:\n", "  infra:cluster:\n    chartRepository: charts.example.com\n",
			"infra:cluster.chartRepository", "a Helm repository URL"},
		{"volume with replicas", "      port: 8080\n", "      port: 8080\n      replicas: 2\n      volumes: [{ name: data, path: /data }]\n",
			"infra:services[0].volumes", "one replica"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(kubernetesBase, tc.from) {
				t.Fatalf("base config lacks %q", tc.from)
			}
			raw, err := ParseStackFile("test.yaml", []byte(strings.Replace(kubernetesBase, tc.from, tc.to, 1)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(raw)
			requireProblem(t, err, tc.path, tc.message)
		})
	}
}

func TestKubernetesBaseIsValid(t *testing.T) {
	raw, err := ParseStackFile("test.yaml", []byte(kubernetesBase))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m := cfg.Cluster.Maintenance; m == nil || m.Day != "sunday" || m.Hour != "04:00" {
		t.Errorf("default cluster maintenance = %+v", m)
	}
}

func TestChartRepositoryAccepted(t *testing.T) {
	for _, r := range []string{"https://charts.example.com/mirror", "http://127.0.0.1:8879", "http://localhost:8879/charts"} {
		if err := checkChartRepository(r); err != nil {
			t.Errorf("checkChartRepository(%q) = %v, want nil", r, err)
		}
	}
}
