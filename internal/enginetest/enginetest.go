// Package enginetest runs Pulumi programs through the real engine in tests:
// the pulumi CLI built by scripts/pulumi-cli.sh, the fake provider plugins of
// tests/testprovider on PATH, and a file backend in a temporary directory. No
// cloud, no network, no ~/.pulumi.
//
//	e := enginetest.New(t)
//	stack := e.Stack(ctx, t, "infra", "dev", program)
//	res, err := stack.Up(ctx)
//
// Where no CLI is found the test is skipped, loudly; with CI=true it fails.
package enginetest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Passphrase encrypts the secrets of every test stack.
const Passphrase = "enginetest-passphrase"

// ProviderPackages are the plugins the test provider stands in for.
var ProviderPackages = []string{"digitalocean", "kubernetes", "random", "postgresql", "command"}

// Engine is everything a test needs to run a stack through the engine.
type Engine struct {
	CLIRoot     string            // holds bin/pulumi; auto.PulumiCommandOptions.Root
	ProviderDir string            // the pulumi-resource-* test plugins
	BackendDir  string            // the file backend; states under .pulumi/stacks
	Env         map[string]string // for every CLI run: backend, passphrase, PATH, ...
	Command     auto.PulumiCommand
}

// New finds the CLI, installs the test providers and creates a file backend.
func New(t testing.TB) *Engine {
	t.Helper()
	root := FindCLI(t)
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root})
	if err != nil {
		t.Fatalf("pulumi CLI at %s: %v", root, err)
	}
	providers := InstallProviders(t)
	env := NewFileBackend(t)
	// Providers first: the engine prefers a plugin on PATH over any other.
	env["PATH"] = strings.Join([]string{providers, filepath.Join(root, "bin"), os.Getenv("PATH")},
		string(os.PathListSeparator))
	return &Engine{
		CLIRoot:     root,
		ProviderDir: providers,
		BackendDir:  BackendDir(env),
		Env:         env,
		Command:     cmd,
	}
}

// Stack creates (or selects) a stack that runs program in-process, in a
// workspace of its own under t.TempDir(). opts come last and so win.
func (e *Engine) Stack(ctx context.Context, t testing.TB, project, stack string, program pulumi.RunFunc,
	opts ...auto.LocalWorkspaceOption,
) auto.Stack {
	t.Helper()
	base := []auto.LocalWorkspaceOption{
		auto.Pulumi(e.Command),
		auto.EnvVars(e.Env),
		auto.PulumiHome(e.Env["PULUMI_HOME"]),
		auto.WorkDir(t.TempDir()),
		auto.SecretsProvider("passphrase"),
	}
	s, err := auto.UpsertStackInlineSource(ctx, stack, project, program, append(base, opts...)...)
	if err != nil {
		t.Fatalf("create stack %s/%s: %v", project, stack, err)
	}
	return s
}

// StatePath is where the file backend keeps a stack's checkpoint.
func (e *Engine) StatePath(project, stack string) string {
	return filepath.Join(e.BackendDir, ".pulumi", "stacks", project, stack+".json")
}

// FilesContaining lists the backend files (checkpoints, their backups and
// history) that contain needle: a secret must never be found.
func (e *Engine) FilesContaining(t testing.TB, needle string) []string {
	t.Helper()
	if needle == "" {
		t.Fatal("FilesContaining: empty needle matches everything")
	}
	var found []string
	err := filepath.WalkDir(e.BackendDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), needle) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read backend %s: %v", e.BackendDir, err)
	}
	return found
}

// FindCLI returns the directory holding bin/pulumi: $INFRA_PULUMI_CLI (the
// binary itself) or the cache scripts/pulumi-cli.sh builds into. Without one
// the test is skipped, or fails when CI=true.
func FindCLI(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("INFRA_PULUMI_CLI"); bin != "" {
		if !isExecutable(bin) {
			t.Fatalf("INFRA_PULUMI_CLI=%s is not an executable file", bin)
		}
		return rootFor(t, bin)
	}
	root, err := cachedCLIRoot()
	if err == nil && isExecutable(filepath.Join(root, "bin", "pulumi")) {
		return root
	}
	msg := fmt.Sprintf("no pulumi CLI (looked for $INFRA_PULUMI_CLI and %s/bin/pulumi): "+
		"run scripts/pulumi-cli.sh to build it (about 5 minutes, cached afterwards)", root)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	fmt.Fprintf(os.Stderr, "\n*** SKIPPING ENGINE TEST %s: %s ***\n\n", t.Name(), msg)
	t.Skip(msg)
	return ""
}

// cachedCLIRoot mirrors the cache layout of scripts/pulumi-cli.sh.
func cachedCLIRoot() (string, error) {
	cache := os.Getenv("INFRA_PULUMI_CACHE")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", err
			}
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "infra", "pulumi-cli")
	}
	return filepath.Join(cache, "v"+sdk.Version.String()), nil
}

// rootFor returns the root of bin's layout <root>/bin/pulumi, linking the
// binary into one when it lives elsewhere.
func rootFor(t testing.TB, bin string) string {
	abs, err := filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(abs) == "pulumi" && filepath.Base(filepath.Dir(abs)) == "bin" {
		return filepath.Dir(filepath.Dir(abs))
	}
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, filepath.Join(root, "bin", "pulumi")); err != nil {
		t.Fatal(err)
	}
	return root
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// InstallProviders returns a directory holding the test provider under every
// plugin name in ProviderPackages. $INFRA_TEST_PROVIDERS names one made by
// scripts/test-providers.sh; otherwise the provider is built into t.TempDir().
func InstallProviders(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("INFRA_TEST_PROVIDERS"); dir != "" {
		for _, pkg := range ProviderPackages {
			if !isExecutable(filepath.Join(dir, "pulumi-resource-"+pkg)) {
				t.Fatalf("INFRA_TEST_PROVIDERS=%s has no pulumi-resource-%s: run scripts/test-providers.sh %s",
					dir, pkg, dir)
			}
		}
		return dir
	}
	dir := t.TempDir()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("build the test provider: no go on PATH: %v", err)
	}
	build := exec.Command(goBin, "build", "-o", filepath.Join(dir, "testprovider"), "infra/tests/testprovider")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the test provider: %v\n%s", err, out)
	}
	for _, pkg := range ProviderPackages {
		if err := os.Symlink("testprovider", filepath.Join(dir, "pulumi-resource-"+pkg)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// NewFileBackend returns the environment of a fresh file backend under
// t.TempDir(): its URL, the passphrase, a PULUMI_HOME of its own (so no
// plugin cache but the providers on PATH) and no update checks or plugin
// downloads.
func NewFileBackend(t testing.TB) map[string]string {
	t.Helper()
	backend := t.TempDir()
	return map[string]string{
		"PULUMI_BACKEND_URL":       "file://" + filepath.ToSlash(backend),
		"PULUMI_CONFIG_PASSPHRASE": Passphrase,
		"PULUMI_HOME":              t.TempDir(),
		"PULUMI_SKIP_UPDATE_CHECK": "true",
		// A plugin missing from PATH fails at once instead of trying the network.
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
	}
}

// BackendDir is the directory of the file backend env points at.
func BackendDir(env map[string]string) string {
	return filepath.FromSlash(strings.TrimPrefix(env["PULUMI_BACKEND_URL"], "file://"))
}
