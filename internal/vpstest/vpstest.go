// Package vpstest runs the real consumers of what the VPS topology renders
// (the Compose specification's reference loader, nginx, cloud-init,
// shellcheck) for the tests. A consumer that is not installed makes the
// test skip loudly, except in CI (CI=true), where it fails.
package vpstest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/goccy/go-yaml"
	"github.com/sirupsen/logrus"
)

// Tool returns the path of an external validator, skipping the test when
// it is missing outside CI and failing it in CI.
func Tool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed; CI installs it (.ci/run)", name)
	}
	t.Skipf("SKIPPED: %s is not installed, so this rendered file was NOT validated; install it (Debian package) or run .ci/run", name)
	return ""
}

// logrus is global: one compose load at a time captures its warnings.
var composeMu sync.Mutex

// Compose loads dir/compose.yaml with compose-go, every profile active and
// env files read, and returns the project. Warnings the loader logs
// (unset variables, obsolete keys, ...) are errors.
func Compose(ctx context.Context, dir string, env map[string]string) (*types.Project, error) {
	composeMu.Lock()
	defer composeMu.Unlock()
	var logs bytes.Buffer
	std := logrus.StandardLogger()
	out, level, formatter := std.Out, std.GetLevel(), std.Formatter
	std.SetOutput(&logs)
	std.SetLevel(logrus.WarnLevel)
	std.SetFormatter(&logrus.TextFormatter{DisableColors: true, DisableTimestamp: true})
	defer func() {
		std.SetOutput(out)
		std.SetLevel(level)
		std.SetFormatter(formatter)
	}()

	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	sort.Strings(environ)
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(dir, "compose.yaml")},
		cli.WithWorkingDirectory(dir),
		cli.WithEnv(environ),
		cli.WithDotEnv,
		cli.WithProfiles([]string{"*"}),
	)
	if err != nil {
		return nil, fmt.Errorf("compose options: %w", err)
	}
	project, err := opts.LoadProject(ctx)
	if err != nil {
		return nil, fmt.Errorf("compose-go rejected the file: %w", err)
	}
	if w := strings.TrimSpace(logs.String()); w != "" {
		return nil, fmt.Errorf("compose-go warned: %s", w)
	}
	return project, nil
}

// Nginx runs `nginx -t` on a configuration.
func Nginx(t testing.TB, conf string) error {
	t.Helper()
	bin := Tool(t, "nginx")
	path := filepath.Join(t.TempDir(), "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return err
	}
	out, err := exec.Command(bin, "-t", "-q", "-e", "stderr", "-c", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("nginx -t: %v\n%s", err, out)
	}
	return nil
}

// CloudInit validates user data with `cloud-init schema`; deprecations
// count as errors, and so does a top-level key no cloud-init module reads
// (the schema itself lets unknown keys through).
func CloudInit(t testing.TB, userData string) error {
	t.Helper()
	bin := Tool(t, "cloud-init")
	path := filepath.Join(t.TempDir(), "user-data.yaml")
	if err := os.WriteFile(path, []byte(userData), 0o644); err != nil {
		return err
	}
	out, err := exec.Command(bin, "schema", "--config-file", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("cloud-init schema: %v\n%s", err, out)
	}
	if bytes.Contains(bytes.ToLower(out), []byte("deprecat")) {
		return fmt.Errorf("cloud-init schema reports deprecations:\n%s", out)
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(userData), &doc); err != nil {
		return fmt.Errorf("decode user data: %w", err)
	}
	known := CloudInitKeys(t)
	var unknown []string
	for k := range doc {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("no cloud-init module reads %s", strings.Join(unknown, ", "))
	}
	return nil
}

// CloudInitKeys returns the top-level keys cloud-init's installed schema
// knows, read from the schema file that ships with it.
func CloudInitKeys(t testing.TB) map[string]bool {
	t.Helper()
	bin := Tool(t, "cloud-init")
	// cloud-init's own Python knows where its package lives.
	python := "python3"
	if head, err := os.ReadFile(bin); err == nil {
		if line, _, _ := strings.Cut(string(head), "\n"); strings.HasPrefix(line, "#!") {
			python = strings.Fields(strings.TrimPrefix(line, "#!"))[0]
		}
	}
	out, err := exec.Command(python, "-c", "import cloudinit.config.schema as s, os; print(os.path.join(os.path.dirname(s.__file__), 'schemas', 'schema-cloud-config-v1.json'))").Output()
	if err != nil {
		t.Fatalf("locate cloud-init's schema with %s: %v", python, err)
	}
	data, err := os.ReadFile(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("read cloud-init's schema: %v", err)
	}
	var schema struct {
		Defs map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatalf("decode cloud-init's schema: %v", err)
	}
	keys := map[string]bool{}
	for name, def := range schema.Defs {
		if !strings.HasPrefix(name, "cc_") && name != "base_config" && name != "reporting_config" {
			continue
		}
		for k := range def.Properties {
			keys[k] = true
		}
	}
	if len(keys) < 50 {
		t.Fatalf("cloud-init's schema lists only %d keys: unexpected layout", len(keys))
	}
	return keys
}

// Shellcheck checks a script (its shebang picks the shell).
func Shellcheck(t testing.TB, name, script string) error {
	t.Helper()
	bin := Tool(t, "shellcheck")
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return err
	}
	out, err := exec.Command(bin, "--severity=style", "--external-sources", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("shellcheck %s: %v\n%s", name, err, out)
	}
	return nil
}
