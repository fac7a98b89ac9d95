package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// aliasBomb is the "billion laughs" in YAML: nine levels of nine aliases,
// 9^9 (387 million) strings once expanded, in a dozen lines.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("config:\n  infra:environment: dev\n")
	b.WriteString("  infra:l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 9; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "  infra:l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(p+", ", 9), ", "))
	}
	return b.String()
}

// mergeBomb does the same with merge keys.
func mergeBomb() string {
	var b strings.Builder
	b.WriteString("config:\n  infra:m0: &m0 { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9 }\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "  infra:m%d: &m%d\n", i, i)
		for j := 0; j < 9; j++ {
			fmt.Fprintf(&b, "    k%d: { <<: *m%d }\n", j, i-1)
		}
	}
	return b.String()
}

// Aliases within reason are YAML like any other: the hotdash example shares
// one env block between two services.
func TestModestAliasesAreRead(t *testing.T) {
	doc := "config:\n  infra:environment: dev\n  infra:x: &x { A: \"1\", B: \"2\" }\n  infra:y: *x\n  infra:z: { <<: *x, C: \"3\" }\n"
	raw, err := ParseStackFile("ok.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if y, _ := raw.Values["y"].(map[string]any); y["B"] != "2" {
		t.Errorf("the alias was not read: %v", raw.Values["y"])
	}
}

func TestStackFileLimits(t *testing.T) {
	deepBlock := "config:\n  infra:domain:\n"
	for i := 0; i < 40; i++ {
		deepBlock += strings.Repeat("  ", i+2) + fmt.Sprintf("k%d:\n", i)
	}
	deepBlock += strings.Repeat("  ", 42) + "v: 1\n"
	cases := []struct {
		name, doc, want string
	}{
		{"alias bomb", aliasBomb(), "with its aliases expanded the stack file would hold more than 100000 values"},
		{"merge-key bomb", mergeBomb(), "more than 100000 values"},
		{"deep flow nesting", "config:\n  infra:domain: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n", "line 2: nested 20000 levels deep"},
		{"deep block nesting", deepBlock, "nested more than 32 levels deep"},
		{"oversized", "config:\n  infra:domain: " + strings.Repeat("x", 2<<20) + "\n", "bytes; a stack file is at most"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := ParseStackFile("bad.yaml", []byte(c.doc))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want a ConfigError, got %v", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q lacks %q", err, c.want)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %s: the limits must be checked before anything expands", d)
			}
		})
	}
}

// Brackets inside quotes and comments are not nesting.
func TestFlowNestingIgnoresQuotesAndComments(t *testing.T) {
	doc := "config:\n  infra:domain: \"[[[[[[\" # {{{{{{\n  infra:region: '{{{{'\n  infra:x: [[1]]\n"
	if depth, line := flowNesting([]byte(doc)); depth != 2 || line != 4 {
		t.Errorf("flowNesting = %d at line %d, want 2 at line 4", depth, line)
	}
}

func BenchmarkParseStackFileAliasBomb(b *testing.B) {
	doc := []byte(aliasBomb())
	for i := 0; i < b.N; i++ {
		if _, err := ParseStackFile("bomb.yaml", doc); err == nil {
			b.Fatal("the alias bomb was accepted")
		}
	}
}

// unknownKeys is the valid stack with n unknown keys in one mapping.
func unknownKeys(n int) []byte {
	var c strings.Builder
	c.WriteString("nodes: 2\n    extra: {")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&c, "k%d: 1, ", i)
	}
	c.WriteString("}\n")
	return []byte(strings.Replace(validStack, "nodes: 2\n", c.String(), 1))
}

// BenchmarkUnknownKeys reads and validates a stack file with many unknown
// keys: the time per key stays flat from 1,000 to 40,000 keys (linear in
// the file), and 90,000 are refused by the value limit before decoding.
func BenchmarkUnknownKeys(b *testing.B) {
	for _, n := range []int{1000, 10000, 40000} {
		doc := unknownKeys(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				raw, err := ParseStackFile("x.yaml", doc)
				if err == nil {
					_, err = Parse(raw)
				}
				if err == nil {
					b.Fatal("unknown keys accepted")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/key")
		})
	}
}

func TestManyUnknownKeys(t *testing.T) {
	for _, tc := range []struct {
		n          int
		path, want string
	}{
		{2000, "infra:database.extra", "unknown key"},
		{90000, "config", "holds more than 100000 keys and values"},
	} {
		raw, err := ParseStackFile("x.yaml", unknownKeys(tc.n))
		if err == nil {
			_, err = Parse(raw)
		}
		var cfgErr *ConfigError
		if !errors.As(err, &cfgErr) || len(cfgErr.Problems) != 1 {
			t.Fatalf("%d keys: want one problem, got %v", tc.n, err)
		}
		if p := cfgErr.Problems[0]; p.Path != tc.path || !strings.Contains(p.Message, tc.want) || strings.Contains(p.Message, "alias") {
			t.Errorf("%d keys: got %s", tc.n, p)
		}
	}
}
