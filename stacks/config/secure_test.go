package config

import (
	"reflect"
	"testing"
)

// The reader keeps every secure value with its path, wherever it is, and
// still hands the program its offline stand-in.
func TestRawRecordsSecureValues(t *testing.T) {
	doc := `config:
  infra:domain: { secure: v1:AAAAAAAAAAAAAAAA:ZG9tYWlu }
  infra:secrets:
    deploy-key: { secure: REPLACE-ME }
    api-key:
      secure: v1:Zm9vYmFyYmF6cXV4:YmFy
    plain: not-encrypted
`
	raw, err := ParseStackFile("Pulumi.dev.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []SecureValue{
		{Path: "infra:domain", Ciphertext: "v1:AAAAAAAAAAAAAAAA:ZG9tYWlu"},
		{Path: "infra:secrets.deploy-key", Ciphertext: "REPLACE-ME"},
		{Path: "infra:secrets.api-key", Ciphertext: "v1:Zm9vYmFyYmF6cXV4:YmFy"},
	}
	if !reflect.DeepEqual(raw.Secure, want) {
		t.Errorf("Secure = %+v\nwant %+v", raw.Secure, want)
	}
	if got := raw.Placeholders(); !reflect.DeepEqual(got, want[:2]) {
		t.Errorf("Placeholders = %+v, want %+v", got, want[:2])
	}
	secrets, _ := raw.Values[SecretsKey].(map[string]any)
	if got := secrets["api-key"]; got != Placeholder("v1:Zm9vYmFyYmF6cXV4:YmFy") {
		t.Errorf("offline value of api-key = %v", got)
	}
	if len(raw.Problems) != 1 || raw.Problems[0].Path != "infra:domain" {
		t.Errorf("problems = %v, want the secure infra:domain", raw.Problems)
	}
}

func TestSecretName(t *testing.T) {
	tests := []struct {
		path, want string
		ok         bool
	}{
		{"infra:secrets.deploy-ssh-key", "deploy-ssh-key", true},
		{"infra:secrets", "", false},
		{"infra:secrets.a.b", "", false},
		{"infra:secrets.a[0]", "", false},
		{"infra:domain", "", false},
		{"infra:secretsx.a", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, ok := SecretName(tt.path)
			if got != tt.want || ok != tt.ok {
				t.Errorf("SecretName(%q) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.ok)
			}
		})
	}
}
