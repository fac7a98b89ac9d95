package config

import (
	"encoding/json"
	"errors"
	"testing"
)

// registriesStack is monitoringStack with a token among its secrets, for
// the registry cases to refer to.
const registriesStack = `config:
  infra:environment: dev
  infra:class: development
  infra:topology: vps
  infra:region: nyc3
  infra:domain: example.com
  infra:network: { adminCidrs: [198.51.100.7/32] }
  infra:vps: { size: s-2vcpu-4gb, sshKeys: ["aa:bb"], sshPrivateKeySecret: deploy-key }
  infra:secrets: { deploy-key: { secure: v1:abc }, ghcr-token: { secure: v1:def } }
  infra:services:
    - { name: api, image: "ghcr.io/acme/api:1", port: 8080 }
    - { name: cache, image: "redis:7" }
`

// Each problem of infra:registries is reported at its path.
func TestRegistryProblems(t *testing.T) {
	cases := []struct {
		name, registries, path, text string
	}{
		{"scheme", `[{ server: "https://ghcr.io", username: acme, passwordSecret: ghcr-token }]`,
			"infra:registries[0].server", `without https://: "ghcr.io"`},
		{"path", `[{ server: ghcr.io/acme, username: acme, passwordSecret: ghcr-token }]`,
			"infra:registries[0].server", `host only ("ghcr.io")`},
		{"upper case", `[{ server: GHCR.io, username: acme, passwordSecret: ghcr-token }]`,
			"infra:registries[0].server", `lower case: "ghcr.io"`},
		{"not a host", `[{ server: "ghcr io", username: acme, passwordSecret: ghcr-token }]`,
			"infra:registries[0].server", "not a host name"},
		{"port out of range", `[{ server: "registry.example.com:70000", username: acme, passwordSecret: ghcr-token }]`,
			"infra:registries[0].server", "port 70000"},
		{"no dot, no port", `[{ server: myregistry, username: acme, passwordSecret: ghcr-token }]`,
			"infra:registries[0].server", "Docker Hub namespace"},
		{"server missing", `[{ username: acme, passwordSecret: ghcr-token }]`,
			"infra:registries[0].server", "required"},
		{"empty username", `[{ server: ghcr.io, username: "", passwordSecret: ghcr-token }]`,
			"infra:registries[0].username", "minLength"},
		{"blank username", `[{ server: ghcr.io, username: "  ", passwordSecret: ghcr-token }]`,
			"infra:registries[0].username", "required"},
		{"colon in username", `[{ server: ghcr.io, username: "acme:bot", passwordSecret: ghcr-token }]`,
			"infra:registries[0].username", "no colon"},
		{"password secret missing", `[{ server: ghcr.io, username: acme }]`,
			"infra:registries[0].passwordSecret", "required"},
		{"password given instead of a secret's name", `[{ server: ghcr.io, username: acme, password: hunter2 }]`,
			"infra:registries[0].password", "unknown key"},
		{"unknown password secret", `[{ server: ghcr.io, username: acme, passwordSecret: ghcr-tokn }]`,
			"infra:registries[0].passwordSecret", `unknown secret "ghcr-tokn": did you mean "ghcr-token"?`},
		{"duplicate server", `[{ server: ghcr.io, username: acme, passwordSecret: ghcr-token }, { server: ghcr.io, username: other, passwordSecret: ghcr-token }]`,
			"infra:registries[1].server", `duplicate registry "ghcr.io" (also infra:registries[0])`},
		{"Docker Hub under two names", `[{ server: docker.io, username: acme, passwordSecret: ghcr-token }, { server: index.docker.io, username: acme, passwordSecret: ghcr-token }]`,
			"infra:registries[1].server", "duplicate registry"},
		{"not a list", `{ server: ghcr.io, username: acme, passwordSecret: ghcr-token }`,
			"infra:registries", "want array"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseText(t, registriesStack+"  infra:registries: "+c.registries+"\n")
			requireProblem(t, err, c.path, c.text)
		})
	}
}

// Every problem of every registry is reported at once.
func TestRegistryProblemsAllAtOnce(t *testing.T) {
	_, err := parseText(t, registriesStack+`  infra:registries:
    - { server: "https://ghcr.io", username: "a b", passwordSecret: nope }
    - { server: registry.example.com:5000, username: acme, passwordSecret: ghcr-token }
    - { server: registry.example.com:5000, username: acme, passwordSecret: ghcr-token }
`)
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("want a ConfigError, got %v", err)
	}
	want := []string{"infra:registries[0].server", "infra:registries[0].username", "infra:registries[0].passwordSecret", "infra:registries[2].server"}
	got := map[string]bool{}
	for _, p := range ce.Problems {
		got[p.Path] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no problem at %s in:\n%v", w, err)
		}
	}
	if len(ce.Problems) != len(want) {
		t.Errorf("%d problems, want %d:\n%v", len(ce.Problems), len(want), err)
	}
}

// Valid registries are typed as written; an image whose registry is not
// listed (redis on Docker Hub here) is public, not a problem.
func TestRegistriesParse(t *testing.T) {
	for name, c := range map[string]struct {
		yaml string
		want []Registry
	}{
		"none": {"", nil},
		"ghcr and a private host with a port": {`  infra:registries:
    - { server: ghcr.io, username: acme, passwordSecret: ghcr-token }
    - { server: "registry.example.com:5000", username: ci-bot, passwordSecret: ghcr-token }
    - { server: localhost, username: me, passwordSecret: deploy-key }
`, []Registry{
			{Server: "ghcr.io", Username: "acme", PasswordSecret: "ghcr-token"},
			{Server: "registry.example.com:5000", Username: "ci-bot", PasswordSecret: "ghcr-token"},
			{Server: "localhost", Username: "me", PasswordSecret: "deploy-key"},
		}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := parseText(t, registriesStack+c.yaml)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(cfg.Registries)
			want, _ := json.Marshal(c.want)
			if string(got) != string(want) {
				t.Errorf("registries = %s, want %s", got, want)
			}
		})
	}
}

// SecretUses names, for each secret, every key that refers to it.
func TestSecretUses(t *testing.T) {
	cfg, err := parseText(t, registriesStack+`  infra:registries:
    - { server: ghcr.io, username: acme, passwordSecret: ghcr-token }
    - { server: registry.example.com, username: acme, passwordSecret: ghcr-token }
`)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(SecretUses(cfg))
	want := `{"deploy-key":["infra:vps.sshPrivateKeySecret"],"ghcr-token":["infra:registries[0].passwordSecret","infra:registries[1].passwordSecret"]}`
	if string(got) != want {
		t.Errorf("SecretUses = %s, want %s", got, want)
	}
}
