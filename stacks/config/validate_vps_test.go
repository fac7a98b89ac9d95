package config

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// jarvisFile is the committed VPS example the cases edit.
const jarvisFile = "../../examples/jarvis-agents/Pulumi.prod.yaml"

// What the VPS topology needs is checked before anything is declared, with
// the config path of each problem.
func TestVPSConfigErrors(t *testing.T) {
	cases := map[string]struct {
		mutate func(v map[string]any)
		path   string
		text   string
	}{
		"no deploy key": {func(v map[string]any) { delete(vpsOf(v), "sshPrivateKeySecret") }, "infra:vps.sshPrivateKeySecret", "required"},
		"unknown deploy key": {func(v map[string]any) { vpsOf(v)["sshPrivateKeySecret"] = "nope" },
			"infra:vps.sshPrivateKeySecret", `unknown secret "nope"`},
		"no admin addresses": {func(v map[string]any) { v["network"].(map[string]any)["adminCidrs"] = []any{} },
			"infra:network.adminCidrs", "SSH"},
		"half a spaces key": {func(v map[string]any) { delete(vpsOf(v), "spacesSecretSecret") }, "infra:vps", "both"},
		"selfhosted without spaces": {func(v map[string]any) {
			delete(vpsOf(v), "spacesKeySecret")
			delete(vpsOf(v), "spacesSecretSecret")
			db := v["database"].(map[string]any)
			db["engine"] = "selfhosted"
			delete(db, "size")
		}, "infra:vps.spacesKeySecret", "selfhosted"},
		"region without spaces": {func(v map[string]any) { v["region"] = "nyc1" }, "infra:vps.spacesRegion", "has no Spaces"},
		"spaces region unknown": {func(v map[string]any) { vpsOf(v)["spacesRegion"] = "lon2" }, "infra:vps.spacesRegion", "lon2"},
		"two services on one port": {func(v map[string]any) { serviceOf(v, 1)["port"] = float64(9998) },
			"infra:services[1].port", `service "auth"`},
		"proxy port":    {func(v map[string]any) { serviceOf(v, 0)["port"] = float64(443) }, "infra:services[0].port", "proxy"},
		"reserved name": {func(v map[string]any) { serviceOf(v, 1)["name"] = "proxy" }, "infra:services[1].name", "VPS's own"},
		"tools host taken": {func(v map[string]any) { serviceOf(v, 5)["public"] = map[string]any{"host": "ops"} },
			"infra:services[5].public.host", "admin tools"},
		"proxy caddy": {func(v map[string]any) { vpsOf(v)["proxy"] = "caddy" }, "infra:vps.proxy", ""},
	}
	base, err := ReadFile(jarvisFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(base); err != nil {
		t.Fatalf("the unedited example is refused: %v", err)
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			raw := cloneRaw(t, base)
			c.mutate(raw.Values)
			_, err := Parse(raw)
			requireProblem(t, err, c.path, c.text)
		})
	}
}

func vpsOf(v map[string]any) map[string]any { return v["vps"].(map[string]any) }

func serviceOf(v map[string]any, i int) map[string]any {
	return v["services"].([]any)[i].(map[string]any)
}

// cloneRaw deep-copies a stack file's values, for a case to edit.
func cloneRaw(t *testing.T, raw *Raw) *Raw {
	t.Helper()
	b, err := json.Marshal(raw.Values)
	if err != nil {
		t.Fatal(err)
	}
	out := &Raw{Source: raw.Source}
	if err := json.Unmarshal(b, &out.Values); err != nil {
		t.Fatal(err)
	}
	return out
}

// requireProblem fails unless err is a ConfigError with a problem at path
// whose message mentions text.
func requireProblem(t *testing.T, err error, path, text string) {
	t.Helper()
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("want a ConfigError, got %v", err)
	}
	for _, p := range ce.Problems {
		if p.Path == path && strings.Contains(p.Message, text) {
			return
		}
	}
	t.Errorf("no problem at %s mentioning %q in:\n%v", path, text, err)
}
