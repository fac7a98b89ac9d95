package render

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestBundleIsReproducible(t *testing.T) {
	a := []File{{Path: "compose.yaml", Mode: 0o644, Content: "x"}, {Path: "secrets/api.env", Mode: 0o600, Content: "K=\"v\"\n"}}
	b := []File{a[1], a[0]}
	encA, sumA, err := Bundle(a)
	if err != nil {
		t.Fatal(err)
	}
	encB, sumB, err := Bundle(b)
	if err != nil {
		t.Fatal(err)
	}
	if encA != encB || sumA != sumB {
		t.Error("the same files in another order give another bundle")
	}
	_, sumC, err := Bundle([]File{a[0], {Path: a[1].Path, Mode: a[1].Mode, Content: "K=\"w\"\n"}})
	if err != nil {
		t.Fatal(err)
	}
	if sumC == sumA {
		t.Error("a changed secret does not change the hash, so it would never be deployed")
	}
}

// The bundle unpacks with the host's tar exactly as receive.sh does, with
// secrets readable by the deploy user only.
func TestBundleUnpacksWithTar(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("SKIPPED: tar not installed")
	}
	enc, _, err := Bundle([]File{
		{Path: "compose.yaml", Mode: 0o644, Content: "name: x\n"},
		{Path: "deploy.sh", Mode: 0o755, Content: "#!/bin/sh\n"},
		{Path: "secrets/api.env", Mode: 0o600, Content: "K=\"v\"\n"},
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command("tar", "-xzpf", "-", "-C", dir)
	cmd.Stdin = strings.NewReader(string(raw))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	for path, mode := range map[string]os.FileMode{"compose.yaml": 0o644, "deploy.sh": 0o755, "secrets": 0o700 | os.ModeDir, "secrets/api.env": 0o600, ManifestPath: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, path))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), mode)
		}
	}
	manifest, err := os.ReadFile(filepath.Join(dir, ManifestPath))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(manifest); got != ".manifest\ncompose.yaml\ndeploy.sh\nsecrets/api.env\n" {
		t.Errorf("manifest = %q", got)
	}
}

func TestBundleRejectsBadPaths(t *testing.T) {
	for _, p := range []string{"/etc/passwd", "../x", "a/../../x", "a//b", ".", "dup"} {
		files := []File{{Path: p, Mode: 0o644}}
		if p == "dup" {
			files = append(files, File{Path: "dup", Mode: 0o644})
		}
		if _, _, err := Bundle(files); err == nil {
			t.Errorf("Bundle accepted %q", p)
		}
	}
}
