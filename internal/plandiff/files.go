package plandiff

import (
	"strings"

	"github.com/aymanbagabas/go-udiff"

	"infra/internal/mapkeys"
)

// File is one rendered file (compose.yaml, nginx.conf, a Kubernetes
// object, ...) that is added, removed or changed, with its unified diff.
type File struct {
	Path   string `json:"path"`
	Change Change `json:"change"`
	// Diff is the unified diff (three lines of context), headed
	// "--- a/PATH" / "+++ b/PATH" (or /dev/null).
	Diff string `json:"diff"`
	// Added and Removed count the diff's lines.
	Added   int `json:"added"`
	Removed int `json:"removed"`
}

// compareFiles diffs every file of either side, by path.
func compareFiles(base, head map[string]string) []File {
	files := []File{}
	for _, p := range mapkeys.Union(base, head) {
		before, inBase := base[p]
		after, inHead := head[p]
		f := File{Path: p, Change: Changed}
		from, to := "a/"+p, "b/"+p
		switch {
		case !inBase:
			f.Change, from = Added, "/dev/null"
		case !inHead:
			f.Change, to = Removed, "/dev/null"
		case before == after:
			continue
		}
		f.Diff = udiff.Unified(from, to, before, after)
		if f.Diff == "" { // an empty file added or removed
			f.Diff = "--- " + from + "\n+++ " + to + "\n"
		}
		f.Added, f.Removed = countLines(f.Diff)
		files = append(files, f)
	}
	return files
}

// countLines counts the added and removed lines of a unified diff.
func countLines(diff string) (added, removed int) {
	lines := strings.Split(diff, "\n")
	for i, l := range lines {
		if i < 2 { // the ---/+++ header
			continue
		}
		switch {
		case strings.HasPrefix(l, "+"):
			added++
		case strings.HasPrefix(l, "-"):
			removed++
		}
	}
	return added, removed
}
