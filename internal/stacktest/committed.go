package stacktest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

// File is one committed stack file.
type File struct {
	// Dir is the project directory, relative to the repository root ("."
	// for the root project).
	Dir     string
	Project string
	Stack   string
	// Path is the stack file's path as found (under root).
	Path string
}

// Committed lists the stack files under root: root/Pulumi.*.yaml and
// root/examples/*/Pulumi.*.yaml, sorted by path.
func Committed(root string) ([]File, error) {
	files, err := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	examples, err := filepath.Glob(filepath.Join(root, "examples", "*", "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	files = append(files, examples...)
	sort.Strings(files)
	projects := map[string]string{}
	var out []File
	for _, f := range files {
		dir := filepath.Dir(f)
		project, ok := projects[dir]
		if !ok {
			if project, err = ProjectName(dir); err != nil {
				return nil, err
			}
			projects[dir] = project
		}
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			return nil, err
		}
		stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
		out = append(out, File{Dir: rel, Project: project, Stack: stack, Path: f})
	}
	return out, nil
}

// ProjectName is the name in dir/Pulumi.yaml.
func ProjectName(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return "", err
	}
	var doc struct {
		Name string `yaml:"name"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return "", fmt.Errorf("%s/Pulumi.yaml: %w", dir, err)
	}
	if doc.Name == "" {
		return "", fmt.Errorf("%s/Pulumi.yaml names no project", dir)
	}
	return doc.Name, nil
}
