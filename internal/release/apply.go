package release

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Edit is one line of the stack file a rollback deploys differently: a
// service's image, or one of its env or secretEnv variables (Remove: the
// release has no such variable). Values are plain config, never secrets:
// secretEnv names a secret, it does not hold one.
type Edit struct {
	// Path is the config path, e.g. infra:services[0].env.Features__Jarvis.
	Path    string `json:"path"`
	Service string `json:"service"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	Remove  bool   `json:"remove,omitempty"`
}

// Apply puts rel's images, env and secretEnv in place of those of the
// same services in services (infra:services as read from the stack's
// config: a list of JSON-like maps). It returns the edited list, the
// edits made, and notes on what a rollback does not restore: services
// added since the release keep their config, services removed since are
// not brought back.
func Apply(services any, rel Release) (any, []Edit, []string, error) {
	b, err := json.Marshal(services)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read %s: %w", ServicesKey, err)
	}
	var list []map[string]any
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, nil, nil, fmt.Errorf("read %s: not a list of services: %w", ServicesKey, err)
	}
	want := map[string]Service{}
	for _, s := range rel.Services {
		want[s.Name] = s
	}
	var edits []Edit
	var notes []string
	seen := map[string]bool{}
	for i, m := range list {
		name, _ := m["name"].(string)
		r, ok := want[name]
		if !ok {
			notes = append(notes, fmt.Sprintf("service %s is not in release %d: its config stays as in the stack file", name, rel.Version))
			continue
		}
		seen[name] = true
		at := fmt.Sprintf("%s[%d]", ServicesKey, i)
		if cur, _ := m["image"].(string); cur != r.Image {
			edits = append(edits, Edit{Path: at + ".image", Service: name, From: cur, To: r.Image})
			m["image"] = r.Image
		}
		for _, field := range []string{"env", "secretEnv"} {
			target := r.Env
			if field == "secretEnv" {
				target = r.SecretEnv
			}
			cur := stringMap(m[field])
			edits = append(edits, mapEdits(at+"."+field, name, cur, target)...)
			if len(target) == 0 {
				delete(m, field)
			} else {
				m[field] = anyMap(target)
			}
		}
	}
	for _, s := range rel.Services {
		if !seen[s.Name] {
			notes = append(notes, fmt.Sprintf("service %s of release %d is no longer in the stack file: a rollback does not bring it back", s.Name, rel.Version))
		}
	}
	out := make([]any, len(list))
	for i, m := range list {
		out[i] = m
	}
	return out, edits, notes, nil
}

func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := make(map[string]string, len(m))
	for k, x := range m {
		s, ok := x.(string)
		if !ok {
			s = fmt.Sprint(x)
		}
		out[k] = s
	}
	return out
}

func mapEdits(at, service string, cur, target map[string]string) []Edit {
	var out []Edit
	for k := range union(cur, target) {
		c, inC := cur[k]
		t, inT := target[k]
		switch {
		case !inT:
			out = append(out, Edit{Path: at + "." + k, Service: service, From: c, Remove: true})
		case !inC || c != t:
			out = append(out, Edit{Path: at + "." + k, Service: service, From: c, To: t})
		}
	}
	slices.SortFunc(out, func(a, b Edit) int {
		if a.Path < b.Path {
			return -1
		}
		if a.Path > b.Path {
			return 1
		}
		return 0
	})
	return out
}

// anyMap is m as the config's JSON-like values hold a mapping.
func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
