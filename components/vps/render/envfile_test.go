package render

import (
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

// Env files are read by compose's own parser: every value must come back
// byte for byte, whatever it holds.
func TestEnvFileRoundTripsThroughComposesParser(t *testing.T) {
	values := map[string]string{
		"PLAIN":       "hello",
		"EMPTY":       "",
		"DOLLAR":      "pa$$word${HOME}$HOME",
		"QUOTES":      `it's "quoted"`,
		"BACKSLASH":   `C:\path\to\n\`,
		"NEWLINES":    "-----BEGIN KEY-----\nabc\n-----END KEY-----\n",
		"CR":          "a\r\nb",
		"HASH":        "value # not a comment",
		"SPACES":      "  padded  ",
		"UNICODE":     "héllo ✓",
		"OCTAL":       `\0123`,
		"CONN_STRING": "Host=postgres;Port=5432;Password=p@ss;word=\"x\"",
	}
	file, err := EncodeEnvFile(values)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dotenv.UnmarshalWithLookup(file, func(string) (string, bool) { return "SHOULD-NOT-BE-USED", true })
	if err != nil {
		t.Fatalf("compose cannot read the env file: %v\n%s", err, file)
	}
	for k, want := range values {
		if got[k] != want {
			t.Errorf("%s: compose reads %q, want %q", k, got[k], want)
		}
	}
	if len(got) != len(values) {
		t.Errorf("compose reads %d variables, want %d", len(got), len(values))
	}
}

func TestEnvFileRejectsBadNames(t *testing.T) {
	for _, name := range []string{"1ABC", "A-B", "A B", ""} {
		if _, err := EncodeEnvFile(map[string]string{name: "x"}); err == nil || !strings.Contains(err.Error(), "not valid") {
			t.Errorf("EncodeEnvFile accepted name %q (err %v)", name, err)
		}
	}
}
