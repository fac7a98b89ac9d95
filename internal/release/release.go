// Package release reads a stack's releases (what each update deployed of
// the services: images, env, and which secrets feed which variable) from
// the Pulumi update history, picks the one a rollback returns to, and
// applies it to the stack's config for that one update.
//
// The history is the record: every update keeps the stack's config as it
// ran (UpdateSummary.Config), so no output or extra state is needed, and
// a release needs no secret: env is plain by the config's rule, secretEnv
// names secrets in infra:secrets, whose current values stay as they are.
package release

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// ServicesKey is the config key a release is read from.
const ServicesKey = "infra:services"

// messagePrefix marks a rollback update in the history: its config is the
// stack file's, its services the release it returned to.
const messagePrefix = "infra rollback to release "

// Message is the update message of a rollback to version.
func Message(version int) string { return messagePrefix + strconv.Itoa(version) }

// Service is what a release fixes of one service.
type Service struct {
	Name      string            `json:"name"`
	Image     string            `json:"image"`
	Env       map[string]string `json:"env,omitempty"`
	SecretEnv map[string]string `json:"secretEnv,omitempty"`
}

func (s Service) equal(o Service) bool {
	return s.Name == o.Name && s.Image == o.Image && maps.Equal(s.Env, o.Env) && maps.Equal(s.SecretEnv, o.SecretEnv)
}

// Release is the services one succeeded update deployed.
type Release struct {
	// Version is the update's number in the stack's history.
	Version int    `json:"version"`
	Time    string `json:"time"`
	Message string `json:"message,omitempty"`
	// RollbackTo is the version this update returned to (0: a plain up).
	RollbackTo int       `json:"rollbackTo,omitempty"`
	Services   []Service `json:"services"`
	// ChangedEnv are the env and secretEnv keys that differ from the
	// release before, by service.
	ChangedEnv map[string][]string `json:"changedEnv,omitempty"`
}

// Same reports whether two releases deploy the same services.
func (r Release) Same(o Release) bool {
	return slices.EqualFunc(r.Services, o.Services, Service.equal)
}

// FromHistory turns the stack's history (any order) into its releases,
// oldest first: every succeeded update.
func FromHistory(history []auto.UpdateSummary) ([]Release, error) {
	h := numbered(history)
	var out []Release
	byVersion := map[int]Release{}
	for _, u := range h {
		if u.Kind != "update" || u.Result != "succeeded" {
			continue
		}
		r := Release{Version: u.Version, Time: u.StartTime, Message: unquote(u.Message)}
		if to, ok := rollbackTarget(r.Message); ok {
			if prev, known := byVersion[to]; known {
				r.RollbackTo, r.Services = to, prev.Services
			}
		}
		if r.RollbackTo == 0 {
			svcs, err := servicesOf(u.Config)
			if err != nil {
				return nil, fmt.Errorf("update %d: %w", u.Version, err)
			}
			r.Services = svcs
		}
		if len(out) > 0 {
			r.ChangedEnv = changedEnv(out[len(out)-1].Services, r.Services)
		}
		out = append(out, r)
		byVersion[r.Version] = r
	}
	return out, nil
}

// numbered returns the history oldest first, each entry with its version.
// Pulumi Cloud numbers updates; a self-managed (file://) backend reports
// version 0 for every one, newest first (`pulumi stack history`), so
// there the version is the entry's place in the history, counting from
// the oldest as 1, as Pulumi Cloud counts: stable, since the history only
// grows.
func numbered(history []auto.UpdateSummary) []auto.UpdateSummary {
	h := slices.Clone(history)
	unnumbered := true
	for _, u := range h {
		unnumbered = unnumbered && u.Version == 0
	}
	if unnumbered {
		for i := range h {
			h[i].Version = len(h) - i
		}
	}
	slices.SortStableFunc(h, func(a, b auto.UpdateSummary) int { return a.Version - b.Version })
	return h
}

// unquote undoes the quotes the Automation API puts around an update
// message (optup.Message reaches the history as "\"text\"").
func unquote(msg string) string {
	if s, err := strconv.Unquote(msg); err == nil && strings.HasPrefix(msg, `"`) {
		return s
	}
	return msg
}

func rollbackTarget(msg string) (int, bool) {
	rest, ok := strings.CutPrefix(msg, messagePrefix)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(rest)
	return v, err == nil
}

// servicesOf reads infra:services from an update's config. The history
// is read without secrets: a secret value shows only as a flag, and the
// services are never one.
func servicesOf(cfg auto.ConfigMap) ([]Service, error) {
	v, ok := cfg[ServicesKey]
	if !ok {
		return nil, nil
	}
	if v.Secret {
		return nil, fmt.Errorf("%s is a secret in the stack's history: a release can't be read from it (services are plain config; secret values belong in infra:secrets)", ServicesKey)
	}
	var svcs []Service
	if err := json.Unmarshal([]byte(v.Value), &svcs); err != nil {
		return nil, fmt.Errorf("read %s: %w", ServicesKey, err)
	}
	return svcs, nil
}

// changedEnv lists, by service, the variables whose value or secret
// differs between two lists of services.
func changedEnv(before, after []Service) map[string][]string {
	old := map[string]Service{}
	for _, s := range before {
		old[s.Name] = s
	}
	out := map[string][]string{}
	for _, s := range after {
		if keys := diffKeys(old[s.Name], s); len(keys) > 0 {
			out[s.Name] = keys
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func diffKeys(a, b Service) []string {
	var keys []string
	for _, pair := range [][2]map[string]string{{a.Env, b.Env}, {a.SecretEnv, b.SecretEnv}} {
		for k := range union(pair[0], pair[1]) {
			va, inA := pair[0][k]
			vb, inB := pair[1][k]
			if va != vb || inA != inB {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

func union(a, b map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// Pick chooses the release a rollback returns to. to > 0 names one by
// version; to == 0 is the newest release that deploys something else than
// the latest one (the current deployment).
func Pick(releases []Release, to int) (Release, error) {
	if len(releases) == 0 {
		return Release{}, fmt.Errorf("the stack has no succeeded update to return to")
	}
	current := releases[len(releases)-1]
	if to > 0 {
		for _, r := range releases {
			if r.Version == to {
				return r, nil
			}
		}
		return Release{}, fmt.Errorf("--to %d: no succeeded update %d in the stack's history (releases: %s)", to, to, versions(releases))
	}
	for i := len(releases) - 2; i >= 0; i-- {
		if !releases[i].Same(current) {
			return releases[i], nil
		}
	}
	return Release{}, fmt.Errorf("no earlier release deploys other images or env than the current one (update %d)", current.Version)
}

func versions(rs []Release) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = strconv.Itoa(r.Version)
	}
	return strings.Join(s, ", ")
}
