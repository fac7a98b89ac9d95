package workflows

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// doctlArchive is a release archive as doctl publishes it: doctl at its
// root, here a script answering `doctl version`.
func doctlArchive(t *testing.T, version string) []byte {
	t.Helper()
	script := "#!/bin/sh\necho \"doctl version " + version + "-release\"\n"
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "doctl", Mode: 0o755, Size: int64(len(script))}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(script)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// install-doctl.sh installs the archive whose checksum is pinned, and
// nothing when the download differs from the pin or is missing.
func TestInstallDoctlScript(t *testing.T) {
	bash := needTool(t, "bash")
	needTool(t, "curl")
	needTool(t, "sha256sum")
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("the pinned checksum is linux-amd64's; this is %s-%s", runtime.GOOS, runtime.GOARCH)
	}
	const version = "1.167.0"
	archive := doctlArchive(t, version)
	sum := sha256.Sum256(archive)
	good := hex.EncodeToString(sum[:])
	var requested []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requested = append(requested, r.URL.Path)
		if r.URL.Path != "/v"+version+"/doctl-"+version+"-linux-amd64.tar.gz" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(archive)
	}))
	t.Cleanup(srv.Close)

	run := func(version, sum string) (dir, githubPath, out string, err error) {
		tmp := t.TempDir()
		dir, githubPath = filepath.Join(tmp, "doctl"), filepath.Join(tmp, "github_path")
		cmd := exec.Command(bash, filepath.Join(root, "scripts", "ci", "install-doctl.sh"), version, sum, dir)
		cmd.Env = append(os.Environ(), "DOCTL_BASE_URL="+srv.URL, "GITHUB_PATH="+githubPath)
		b, err := cmd.CombinedOutput()
		return dir, githubPath, string(b), err
	}

	dir, githubPath, out, err := run(version, good)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "doctl version "+version) {
		t.Errorf("the installed doctl did not answer `doctl version`:\n%s", out)
	}
	if b, err := os.ReadFile(githubPath); err != nil || strings.TrimSpace(string(b)) != dir {
		t.Errorf("GITHUB_PATH holds %q (%v), want %s", b, err, dir)
	}

	bad := strings.Repeat("0", 64)
	dir, _, out, err = run(version, bad)
	if err == nil || !strings.Contains(out, "does not match the pinned SHA-256") || !strings.Contains(out, good) {
		t.Errorf("checksum mismatch: err %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "doctl")); !os.IsNotExist(err) {
		t.Errorf("a doctl whose checksum failed was installed: %v", err)
	}

	if _, _, out, err = run("9.9.9", good); err == nil {
		t.Errorf("a missing release passed:\n%s", out)
	}
	if len(requested) != 3 {
		t.Errorf("requests %q, want one per run", requested)
	}
}

func TestNewScriptsPassShellcheck(t *testing.T) {
	sc := needTool(t, "shellcheck")
	for _, s := range []string{"install-doctl.sh", "health.sh"} {
		if out, err := exec.Command(sc, filepath.Join(root, "scripts", "ci", s)).CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s: %v\n%s", s, err, out)
		}
	}
}
