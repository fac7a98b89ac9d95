package k8sschematest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// KubernetesVersion is the k8s.io/kubernetes module version whose OpenAPI
// spec is used by default. Keep it on the cluster's minor version.
const KubernetesVersion = "v1.36.3"

// kubernetesModule is the module that ships api/openapi-spec.
const kubernetesModule = "k8s.io/kubernetes"

// specSubdir is where the per group-version OpenAPI v3 documents live
// inside the module.
const specSubdir = "api/openapi-spec/v3"

// moduleDownload is the part of `go mod download -json` output we read.
type moduleDownload struct {
	Version string
	Dir     string
	Error   string
}

// SpecDir returns the api/openapi-spec/v3 directory of k8s.io/kubernetes at
// version (KubernetesVersion when empty). It runs `go mod download -json`,
// which fetches the module zip through GOPROXY into the module cache once
// and afterwards works offline. The go command is looked up on PATH.
func SpecDir(ctx context.Context, version string) (string, error) {
	if version == "" {
		version = KubernetesVersion
	}
	mod := kubernetesModule + "@" + version
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", mod)
	// A -mod flag from the caller's environment is meaningless here and
	// -mod=vendor would make the go command refuse to download.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	var dl moduleDownload
	if err := json.Unmarshal(stdout.Bytes(), &dl); err != nil {
		if runErr != nil {
			return "", fmt.Errorf("go mod download %s: %w: %s", mod, runErr, bytes.TrimSpace(stderr.Bytes()))
		}
		return "", fmt.Errorf("go mod download %s: decode output: %w", mod, err)
	}
	if dl.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", mod, strings.TrimPrefix(dl.Error, mod+": "))
	}
	if runErr != nil {
		return "", fmt.Errorf("go mod download %s: %w: %s", mod, runErr, bytes.TrimSpace(stderr.Bytes()))
	}
	if dl.Dir == "" {
		return "", fmt.Errorf("go mod download %s: no Dir in output", mod)
	}
	dir := filepath.Join(dl.Dir, filepath.FromSlash(specSubdir))
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("openapi spec of %s: %w", mod, err)
	}
	return dir, nil
}
