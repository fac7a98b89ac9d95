package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Counts summarises a plan.
type Counts struct {
	Total      int
	Custom     int
	Components int
}

// Counts counts the plan's resources.
func (p *Plan) Counts() Counts {
	c := Counts{Total: len(p.Resources)}
	for _, r := range p.Resources {
		if r.Custom {
			c.Custom++
		} else {
			c.Components++
		}
	}
	return c
}

// WriteTree prints the resource tree: each resource's type and name,
// indented under its parent.
func (p *Plan) WriteTree(w io.Writer) error {
	known := map[string]bool{}
	children := map[string][]Resource{}
	for _, r := range p.Resources {
		known[r.URN] = true
	}
	for _, r := range p.Resources {
		parent := r.Parent
		if !known[parent] {
			parent = ""
		}
		children[parent] = append(children[parent], r)
	}
	var walk func(parent, indent string) error
	walk = func(parent, indent string) error {
		kids := children[parent]
		sort.SliceStable(kids, func(i, j int) bool {
			if kids[i].Type != kids[j].Type {
				return kids[i].Type < kids[j].Type
			}
			return kids[i].Name < kids[j].Name
		})
		for i, r := range kids {
			branch, next := "├─ ", "│  "
			if i == len(kids)-1 {
				branch, next = "└─ ", "   "
			}
			flags := ""
			if r.Protect {
				flags = "  [protected]"
			}
			if _, err := fmt.Fprintf(w, "%s%s%s  %s%s\n", indent, branch, r.Type, r.Name, flags); err != nil {
				return err
			}
			if err := walk(r.URN, indent+next); err != nil {
				return err
			}
		}
		return nil
	}
	return walk("", "")
}

// Write writes plan.json and every rendered artifact under dir, and returns
// the paths written. Artifacts never hold secrets; plan.json has them masked.
func (p *Plan) Write(dir string) ([]string, error) {
	return p.WriteDocument(dir, p)
}

// WriteDocument is Write with plan.json holding doc: the plan with what a
// caller judged of it (the CLI adds the cost and the policy's verdict).
func (p *Plan) WriteDocument(dir string, doc any) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	written := []string{filepath.Join(dir, "plan.json")}
	if err := os.WriteFile(written[0], append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("write plan: %w", err)
	}
	paths := make([]string, 0, len(p.Artifacts))
	for path := range p.Artifacts {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, rel := range paths {
		clean := filepath.Clean(rel)
		if filepath.IsAbs(clean) || strings.HasPrefix(clean, "..") {
			return nil, fmt.Errorf("artifact path %q leaves the output directory", rel)
		}
		full := filepath.Join(dir, clean)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", filepath.Dir(full), err)
		}
		if err := os.WriteFile(full, []byte(p.Artifacts[rel]), 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", full, err)
		}
		written = append(written, full)
	}
	return written, nil
}
