package plan

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ReadWritten reads a plan as Write left it: plan.json (ReadJSON) and
// every rendered file beside it, as Artifacts keyed by their slash-separated
// path relative to plan.json's folder (the keys the program gave them).
func ReadWritten(planJSON string) (*Plan, error) {
	p, err := ReadJSON(planJSON)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(planJSON)
	p.Artifacts = map[string]string{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == planJSON {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if rel == "plan.json" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		p.Artifacts[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the rendered files beside %s: %w", planJSON, err)
	}
	return p, nil
}
