package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/goccy/go-yaml"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	"infra/stacks/config"
)

// Project is a Pulumi project directory and one of its stacks.
type Project struct {
	Dir   string
	Name  string
	Stack string
}

// StackFile is the path of the stack's config file.
func (p Project) StackFile() string { return config.StackFile(p.Dir, p.Stack) }

// openProject reads the project name from dir/Pulumi.yaml and checks the
// stack's file exists.
func openProject(dir, stack string) (Project, error) {
	if stack == "" {
		return Project{}, usageError("--stack is required")
	}
	// Pulumi's own rule (alphanumerics, hyphens, underscores, periods; at
	// most 100), and no "." or "..": the name is a file and folder name.
	if _, err := tokens.ParseStackName(stack); err != nil || stack == "." || stack == ".." {
		if err == nil {
			err = fmt.Errorf("%q names a folder, not a stack", stack)
		}
		return Project{}, usageError("--stack %q: %v", stack, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return Project{}, usageError("%s is not a Pulumi project: %v", dir, err)
	}
	var doc struct {
		Name string `yaml:"name"`
	}
	file := filepath.Join(dir, "Pulumi.yaml")
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return Project{}, usageError("%s is not valid YAML: %s", file, yaml.FormatError(err, false, true))
	}
	if doc.Name == "" {
		return Project{}, usageError("%s: the field name (the project's name) is missing or empty; write e.g. `name: myapp`", file)
	}
	p := Project{Dir: dir, Name: doc.Name, Stack: stack}
	if _, err := os.Stat(p.StackFile()); err != nil {
		return Project{}, usageError("stack %q has no config file: %v", stack, err)
	}
	return p, nil
}
