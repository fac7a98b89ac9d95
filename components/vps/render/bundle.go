package render

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// File is one file of the compose project, relative to AppDir.
type File struct {
	Path    string
	Mode    int64
	Content string
}

// ManifestPath lists the files of a bundle, so the next deploy removes
// the ones it no longer sends.
const ManifestPath = ".manifest"

// Bundle packs files as a base64 tar.gz for the SSH session's stdin, and
// returns the SHA-256 of the archive. The archive is reproducible (sorted,
// zero times and owners), so the same files give the same hash and
// `pulumi up` only redeploys when something changed.
func Bundle(files []File) (encoded, sum string, err error) {
	files = append([]File(nil), files...)
	var names []string
	seen := map[string]bool{}
	for _, f := range files {
		clean := path.Clean(f.Path)
		if clean != f.Path || path.IsAbs(clean) || clean == "." || strings.HasPrefix(clean, "../") || clean == ".." {
			return "", "", fmt.Errorf("bundle path %q must be clean and relative", f.Path)
		}
		if seen[clean] {
			return "", "", fmt.Errorf("bundle path %q appears twice", f.Path)
		}
		seen[clean] = true
		names = append(names, clean)
	}
	sort.Strings(names)
	files = append(files, File{Path: ManifestPath, Mode: 0o644, Content: strings.Join(append([]string{ManifestPath}, names...), "\n") + "\n"})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })

	dirs := map[string]int64{}
	for _, f := range files {
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			mode := int64(0o755)
			if d == "secrets" || strings.HasPrefix(d, "secrets/") {
				mode = 0o700
			}
			dirs[d] = mode
		}
	}
	dirNames := make([]string, 0, len(dirs))
	for d := range dirs {
		dirNames = append(dirNames, d)
	}
	sort.Strings(dirNames)

	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	epoch := time.Unix(0, 0).UTC()
	for _, d := range dirNames {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: dirs[d], ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return "", "", fmt.Errorf("bundle %s: %w", d, err)
		}
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.Path, Mode: f.Mode, Size: int64(len(f.Content)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return "", "", fmt.Errorf("bundle %s: %w", f.Path, err)
		}
		if _, err := tw.Write([]byte(f.Content)); err != nil {
			return "", "", fmt.Errorf("bundle %s: %w", f.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return "", "", fmt.Errorf("bundle: %w", err)
	}
	h := sha256.Sum256(raw.Bytes())

	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return "", "", err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return "", "", fmt.Errorf("bundle: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", "", fmt.Errorf("bundle: %w", err)
	}
	return base64.StdEncoding.EncodeToString(gz.Bytes()), hex.EncodeToString(h[:]), nil
}
