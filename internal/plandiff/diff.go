// Package plandiff compares two offline plans of one stack (internal/plan),
// typically the base branch's and a pull request's: which resources are
// added, removed or changed; for a changed one, which inputs changed and
// from what to what (a secret only as changed, never a value); and a
// unified diff of every rendered file. It reads plans only, so it links
// neither the program nor the Pulumi SDK.
package plandiff

import (
	"path"
	"sort"

	"infra/internal/plan"
)

// Change says what happens to a resource, an input or a file.
type Change string

// The changes.
const (
	Added   Change = "added"
	Removed Change = "removed"
	Changed Change = "changed"
)

// Symbol is the one-character mark of a change (+, -, ~).
func (c Change) Symbol() string {
	switch c {
	case Added:
		return "+"
	case Removed:
		return "-"
	}
	return "~"
}

// Resource is one resource that is added, removed or changed.
type Resource struct {
	Change Change `json:"change"`
	URN    string `json:"urn"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Parent string `json:"parent,omitempty"`
	// Inputs are the inputs (and options: protect, provider, parent,
	// deletedWith) that differ, for a changed resource.
	Inputs []Input `json:"inputs,omitempty"`
	// SecretsUnchanged are the paths of the secret inputs of a changed
	// resource that did not change (a rotated key would be listed in
	// Inputs).
	SecretsUnchanged []string `json:"secretsUnchanged,omitempty"`
}

// Input is one input that differs. Before and After are the values (JSON
// values as plan.json holds them); for a multi-line string Diff holds a
// unified diff instead; for a secret neither is ever set.
type Input struct {
	Path   string `json:"path"`
	Change Change `json:"change"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
	Diff   string `json:"diff,omitempty"`
	Secret bool   `json:"secret,omitempty"`
	// Note explains what the input is, where that helps a reviewer
	// (the remote command's stdin is the compose project, ...).
	Note string `json:"note,omitempty"`
}

// Diff is what changes between two plans of a stack.
type Diff struct {
	Stack string `json:"stack"`
	// NewStack: there was no base plan (the stack does not exist on the
	// base branch), so everything is added.
	NewStack  bool       `json:"newStack"`
	Resources []Resource `json:"resources"`
	Files     []File     `json:"files"`
	// Unchanged counts the resources that are the same in both plans.
	Unchanged int `json:"unchanged"`
	// SecretsUncompared counts the secret inputs that could not be
	// compared because one plan has no digest for them (a plan.json
	// written before plans kept digests).
	SecretsUncompared int `json:"secretsUncompared,omitempty"`
}

// Counts are the resources by change.
type Counts struct {
	Added, Removed, Changed int
}

// Counts counts the changed resources.
func (d *Diff) Counts() Counts {
	return count(d.Resources, func(r Resource) Change { return r.Change })
}

// FileCounts counts the rendered files by change.
func (d *Diff) FileCounts() Counts {
	return count(d.Files, func(f File) Change { return f.Change })
}

// count tallies items by their change.
func count[T any](items []T, change func(T) Change) Counts {
	var c Counts
	for _, it := range items {
		switch change(it) {
		case Added:
			c.Added++
		case Removed:
			c.Removed++
		default:
			c.Changed++
		}
	}
	return c
}

// Empty reports whether nothing changes.
func (d *Diff) Empty() bool { return len(d.Resources) == 0 && len(d.Files) == 0 }

// Compare diffs head against base. A nil base is a stack that does not
// exist on the base branch: every resource and file is added. Resources
// are matched by URN, then by plan.Resource.Key (parent, type, name).
func Compare(base, head *plan.Plan) *Diff {
	d := &Diff{Stack: head.Stack, Resources: []Resource{}, Files: []File{}}
	if base == nil {
		d.NewStack = true
		base = &plan.Plan{}
	}
	byURN := map[string]int{}
	byKey := map[string]int{}
	for i, r := range base.Resources {
		byURN[r.URN] = i
		byKey[r.Key()] = i
	}
	matched := make([]bool, len(base.Resources))
	for _, h := range head.Resources {
		i, ok := byURN[h.URN]
		if !ok || matched[i] {
			i, ok = byKey[h.Key()]
		}
		if !ok || matched[i] {
			d.Resources = append(d.Resources, resourceOf(Added, h))
			continue
		}
		matched[i] = true
		c := compareResource(base.Resources[i], h)
		d.SecretsUncompared += c.uncompared
		if len(c.inputs) == 0 {
			d.Unchanged++
			continue
		}
		r := resourceOf(Changed, h)
		r.Inputs, r.SecretsUnchanged = c.inputs, c.secretsSame
		d.Resources = append(d.Resources, r)
	}
	for i, b := range base.Resources {
		if !matched[i] {
			d.Resources = append(d.Resources, resourceOf(Removed, b))
		}
	}
	sort.SliceStable(d.Resources, func(i, j int) bool { return d.Resources[i].URN < d.Resources[j].URN })
	d.Files = compareFiles(normalise(base.Artifacts), normalise(head.Artifacts))
	return d
}

func resourceOf(c Change, r plan.Resource) Resource {
	return Resource{Change: c, URN: r.URN, Type: r.Type, Name: r.Name, Parent: r.Parent}
}

// normalise keys rendered files by clean slash paths, as plan.Write and
// plan.ReadWritten do, so a plan made here and one read back match.
func normalise(files map[string]string) map[string]string {
	out := make(map[string]string, len(files))
	for p, content := range files {
		out[path.Clean(p)] = content
	}
	return out
}
