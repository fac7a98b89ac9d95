package main

import (
	"os/exec"
	"path"
	"strings"
	"testing"
)

// binaries are the programs the module ships: the Pulumi program that
// `pulumi up` runs (this package) and the infra command line.
var binaries = []string{".", "./cmd/infra"}

// TestTestOnlyPackagesSayTheirName keeps the package names honest, Go-style
// (httptest, fstest): a package under internal/ that the binaries do not link
// is there for tests, and its directory and package name end in "test"; a
// package they link has neither end in "test"; and no other package imports
// a "test" one from its non-test files.
func TestTestOnlyPackagesSayTheirName(t *testing.T) {
	linked := map[string]bool{}
	for _, p := range goList(t, append([]string{"-deps"}, binaries...)...) {
		if !strings.HasPrefix(p.path, "infra/") && p.path != "infra" {
			continue
		}
		linked[p.path] = true
		if dirTest, nameTest := testNamed(p); dirTest || nameTest {
			t.Errorf("%s (package %s) is linked by the binaries but named as a test-only package", p.path, p.name)
		}
	}
	if len(linked) == 0 {
		t.Fatal("go list found no infra package the binaries link")
	}

	for _, p := range goList(t, "./internal/...") {
		if dirTest, nameTest := testNamed(p); !linked[p.path] && !(dirTest && nameTest) {
			t.Errorf("%s (package %s) is not linked by the binaries, so only tests use it: its directory and name should end in \"test\"", p.path, p.name)
		}
	}

	for _, p := range goList(t, "./...") {
		if dirTest, nameTest := testNamed(p); dirTest && nameTest {
			continue
		}
		for _, imp := range p.imports {
			if strings.HasPrefix(imp, "infra/") && strings.HasSuffix(path.Base(imp), "test") {
				t.Errorf("%s imports %s outside its tests", p.path, imp)
			}
		}
	}
}

// testNamed reports whether the package's directory and its name end in
// "test".
func testNamed(p listed) (dir, name bool) {
	return strings.HasSuffix(path.Base(p.path), "test"), strings.HasSuffix(p.name, "test")
}

type listed struct {
	path, name string
	imports    []string // of the non-test files
}

// goList runs go list in the module root with args and returns the packages
// it lists.
func goList(t *testing.T, args ...string) []listed {
	t.Helper()
	args = append([]string{"list", "-f", "{{.ImportPath}} {{.Name}} {{join .Imports \" \"}}"}, args...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
		}
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	var pkgs []listed
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) < 2 {
			t.Fatalf("go list printed %q", line)
		}
		pkgs = append(pkgs, listed{path: f[0], name: f[1], imports: f[2:]})
	}
	return pkgs
}

// What reads a plan (the policy, the cost estimate, the graph, the plan
// diff) and the plan itself link neither the program nor a component: a
// waiver list or a price table does not need the whole deployment compiled
// in, and the layering stays one way (config -> program -> planner -> plan
// readers).
func TestPlanReadersDoNotLinkTheProgram(t *testing.T) {
	readers := []string{"./internal/plan", "./internal/policy", "./internal/cost", "./internal/graph", "./internal/plandiff"}
	for _, p := range goList(t, append([]string{"-deps"}, readers...)...) {
		if p.path == "infra/stacks" || strings.HasPrefix(p.path, "infra/components/") || p.path == "infra/internal/planner" {
			t.Errorf("%s is linked by the plan's readers (%s)", p.path, strings.Join(readers, " "))
		}
	}
}
