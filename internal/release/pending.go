package release

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"infra/internal/mapkeys"
)

// namespace is the project's config namespace (stacks/config.Namespace,
// which this package may not import).
const namespace = "infra"

// Pending is what the stack file changed since the stack's last succeeded
// update besides what a rollback overrides: a rollback with it deploys
// those changes too.
type Pending struct {
	// Update is the version of the last succeeded update compared with.
	Update int `json:"update"`
	// Keys are the config paths that differ (added, removed or changed),
	// sorted: infra:services[2].replicas, infra:database.backups.schedule.
	Keys []string `json:"keys,omitempty"`
	// Unchecked are keys the history holds only as secrets: Pulumi's history
	// shows a secure value (and an object holding one, infra:secrets) as a
	// bare flag without --show-secrets, and a rollback never decrypts, so
	// whether they changed can't be told.
	Unchecked []string `json:"unchecked,omitempty"`
}

// PendingChanges compares file, the stack file's infra: values as
// stacks/config reads them (keys without the namespace, secure values as
// their ciphertext's placeholder, infra:services with rel already
// applied), with the config the last succeeded update in history ran
// with, rel applied to its services the same way: the keys the rollback
// overrides compare equal, and what is left is pending. Only paths are
// returned, never values.
func PendingChanges(file map[string]any, history []auto.UpdateSummary, rel Release) (Pending, error) {
	last, ok := lastSucceeded(history)
	if !ok {
		return Pending{}, fmt.Errorf("the stack has no succeeded update to compare the stack file with")
	}
	out := Pending{Update: last.Version}
	recorded := map[string]auto.ConfigValue{}
	for k, v := range last.Config {
		if rest, ok := strings.CutPrefix(k, namespace+":"); ok {
			recorded[rest] = v
		}
	}
	for _, k := range mapkeys.Union(file, recorded) {
		path := namespace + ":" + k
		cur, inFile := file[k]
		rec, inRec := recorded[k]
		switch {
		case !inFile || !inRec:
			out.Keys = append(out.Keys, path)
		case rec.Secret:
			out.Unchecked = append(out.Unchecked, path)
		default:
			was, err := decodeRecorded(rec.Value, cur)
			if err != nil {
				return Pending{}, fmt.Errorf("update %d: read %s: %w", last.Version, path, err)
			}
			if k == servicesName {
				if was, _, _, err = Apply(was, rel); err != nil {
					return Pending{}, fmt.Errorf("update %d: %w", last.Version, err)
				}
			}
			out.Keys = append(out.Keys, diffPaths(path, cur, was)...)
		}
	}
	return out, nil
}

// servicesName is ServicesKey without its namespace.
const servicesName = "services"

// lastSucceeded is the newest succeeded update of the history (any order).
func lastSucceeded(history []auto.UpdateSummary) (auto.UpdateSummary, bool) {
	h := numbered(history)
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Kind == "update" && h[i].Result == "succeeded" {
			return h[i], true
		}
	}
	return auto.UpdateSummary{}, false
}

// decodeRecorded reads a value of the history's config: Pulumi keeps an
// object or a list as JSON and a scalar as its text, so it is decoded as
// JSON when the stack file's value is an object or a list.
func decodeRecorded(v string, like any) (any, error) {
	switch like.(type) {
	case map[string]any, []any:
		var out any
		if err := json.Unmarshal([]byte(v), &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	return v, nil
}

// diffPaths lists the paths under path where a and b differ: a key or an
// element on one side only is reported at its own path, a scalar by the
// path holding it.
func diffPaths(path string, a, b any) []string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return []string{path}
		}
		var out []string
		for _, k := range mapkeys.Union(x, y) {
			va, inA := x[k]
			vb, inB := y[k]
			if inA != inB {
				out = append(out, path+"."+k)
				continue
			}
			out = append(out, diffPaths(path+"."+k, va, vb)...)
		}
		return out
	case []any:
		y, ok := b.([]any)
		if !ok {
			return []string{path}
		}
		var out []string
		for i := range max(len(x), len(y)) {
			at := fmt.Sprintf("%s[%d]", path, i)
			if i >= len(x) || i >= len(y) {
				out = append(out, at)
				continue
			}
			out = append(out, diffPaths(at, x[i], y[i])...)
		}
		return out
	}
	switch b.(type) {
	case map[string]any, []any:
		return []string{path}
	}
	if scalar(a) != scalar(b) {
		return []string{path}
	}
	return nil
}

// scalar is a leaf as text: a string as it is, anything else as JSON, the
// way Pulumi's config holds a top-level scalar (2 and "2" are one value).
func scalar(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
