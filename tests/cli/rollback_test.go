package clitest

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"infra/internal/cli"
	"infra/internal/enginetest"
	releases "infra/internal/release"
)

// rollback against the real engine: each rollback must be one update of
// the deploy command and nothing replaced, and afterwards the stack must
// be exactly what the stack file says once the printed lines are applied
// (preview --expect-no-changes), which proves the rolled-back images and
// env are what the state holds.
func TestEngineRollback(t *testing.T) {
	s, e := newSession(t)
	dir, secrets := project(t, e, "staging", func(c string) string {
		return strings.Replace(c, "infra:class: production", "infra:class: staging", 1)
	})
	with := func(args ...string) []string { return append(args, "--stack", "staging", "--dir", dir) }
	const v2, v3, v4 = "ghcr.io/focusdeck/server:1.4.3", "ghcr.io/focusdeck/server:1.4.4", "ghcr.io/focusdeck/server:1.4.5"

	// Nothing to return to before a second release.
	s.must(cli.ExitOK, with("up", "--yes")...)
	if r := s.must(cli.ExitFailure, with("rollback", "--yes")...); !strings.Contains(r.stderr, "no earlier release") {
		t.Errorf("rollback of a single release:\n%s", r.stderr)
	}
	editStack(t, dir, "staging", image, v2)
	s.must(cli.ExitOK, with("up", "--yes")...)

	// Without a terminal and without --yes: refused, nothing changed.
	if r := s.must(cli.ExitUsage, with("rollback")...); !strings.Contains(r.stderr, "--yes") {
		t.Errorf("rollback without --yes:\n%s", r.stderr)
	}
	imageBack := s.must(cli.ExitOK, with("rollback", "--yes", "--json")...)
	oneUpdate(t, "image rollback", report(t, imageBack))
	for _, want := range []string{"server: image " + v2 + " -> " + image, `infra:services[0].image: "` + image + `"`} {
		if !strings.Contains(imageBack.stderr, want) {
			t.Errorf("image rollback lacks %q:\n%s", want, imageBack.stderr)
		}
	}
	// The file was not written; the state is now the old release.
	s.must(cli.ExitChanges, with("preview", "--expect-no-changes")...)
	editStack(t, dir, "staging", v2, image)
	s.must(cli.ExitOK, with("preview", "--expect-no-changes")...)

	// An env-only rollback: a feature flag switched off, then back on.
	editStack(t, dir, "staging", `Features__Jarvis: "true"`, `Features__Jarvis: "false"`)
	s.must(cli.ExitOK, with("up", "--yes")...)
	flagBack := s.must(cli.ExitOK, with("rollback", "--yes", "--json")...)
	oneUpdate(t, "env rollback", report(t, flagBack))
	if !strings.Contains(flagBack.stderr, "server: env.Features__Jarvis changed") || !strings.Contains(flagBack.stderr, `infra:services[0].env.Features__Jarvis: "true"`) {
		t.Errorf("env rollback:\n%s", flagBack.stderr)
	}
	editStack(t, dir, "staging", `Features__Jarvis: "false"`, `Features__Jarvis: "true"`)
	s.must(cli.ExitOK, with("preview", "--expect-no-changes")...)

	// A rollback ships only the rollback: with an unrelated key changed in
	// the stack file since the last update it refuses before the preview
	// (exit 5), naming the key, and no update is recorded; with
	// --include-pending it deploys the key too.
	editStack(t, dir, "staging", "rpm: 600", "rpm: 900")
	updates := historyEntries(t, e)
	refused := s.must(cli.ExitChanges, with("rollback", "--yes", "--json")...)
	if rep := report(t, refused); rep.Rollback == nil || !slices.Equal(rep.Rollback.Pending, []string{"infra:ingress.rateLimit.rpm"}) ||
		!strings.Contains(rep.Error, "infra:ingress.rateLimit.rpm") || rep.Changed != 0 {
		t.Errorf("rollback with a pending key: %+v\n%s", rep.Rollback, rep.Error)
	}
	if n := historyEntries(t, e); n != updates {
		t.Errorf("a refused rollback recorded an update: %d history entries, want %d", n, updates)
	}
	included := report(t, s.must(cli.ExitOK, with("rollback", "--yes", "--include-pending", "--json")...))
	if included.Result != "succeeded" || included.Rollback == nil || !included.Rollback.PendingIncluded ||
		!slices.Equal(included.Rollback.Pending, []string{"infra:ingress.rateLimit.rpm"}) {
		t.Errorf("rollback --include-pending: %s, %+v", included.Result, included.Rollback)
	}
	editStack(t, dir, "staging", "rpm: 900", "rpm: 600")

	// --to an older release: 1.4.3 was update 2.
	editStack(t, dir, "staging", image, v3)
	s.must(cli.ExitOK, with("up", "--yes")...)
	editStack(t, dir, "staging", v3, v4)
	s.must(cli.ExitOK, with("up", "--yes")...)
	rels := releaseList(t, s, with)
	imageOf := map[int]string{}
	for _, r := range rels {
		imageOf[r.Version] = r.Services[0].Image
	}
	t.Logf("releases: %v", imageOf)
	if imageOf[2] != v2 || imageOf[3] != image || rels[0].Services[0].Image != v4 {
		t.Fatalf("releases: %v", imageOf)
	}
	if r := s.must(cli.ExitFailure, with("rollback", "--to", "99", "--yes")...); !strings.Contains(r.stderr, "no succeeded update 99") {
		t.Errorf("--to 99:\n%s", r.stderr)
	}
	older := report(t, s.must(cli.ExitOK, with("rollback", "--to", "2", "--yes", "--json")...))
	oneUpdate(t, "--to 2", older)
	editStack(t, dir, "staging", v4, v2)
	s.must(cli.ExitOK, with("preview", "--expect-no-changes")...)
	text := s.must(cli.ExitOK, with("rollback", "--list")...).stdout
	if !strings.Contains(text, "rollback to 2") {
		t.Errorf("the list does not show the rollback:\n%s", text)
	}

	for _, secret := range secrets {
		if strings.Contains(s.transcript.String(), secret) {
			t.Error("a secret was printed")
		}
	}
}

// releaseList is `rollback --list --json`: the stack's succeeded updates.
func releaseList(t *testing.T, s *session, with func(...string) []string) []releases.Release {
	t.Helper()
	var rels []releases.Release
	if err := json.Unmarshal([]byte(s.must(cli.ExitOK, with("rollback", "--list", "--json")...).stdout), &rels); err != nil {
		t.Fatal(err)
	}
	return rels
}

// historyEntries counts the updates of every kind the file backend keeps
// in its history (.pulumi/history/<project>/<stack>/*.history.json, one a
// finished update, whatever its result).
func historyEntries(t *testing.T, e *enginetest.Engine) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(e.BackendDir, ".pulumi", "history"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".history.json") {
			n++
		}
		return err
	})
	if err != nil || n == 0 {
		t.Fatalf("the backend's history: %d entries (%v)", n, err)
	}
	return n
}

// oneUpdate checks that a rollback updated exactly one resource, the VPS
// deploy command, and replaced nothing.
func oneUpdate(t *testing.T, what string, rep cli.Report) {
	t.Helper()
	if rep.Result != "succeeded" || rep.Changed != 1 || rep.Changes["update"] != 1 {
		t.Errorf("%s: %s, %v, want exactly 1 update", what, rep.Result, rep.Changes)
	}
	for _, st := range rep.Steps {
		if slices.Contains([]string{"replace", "create-replacement", "delete-replaced", "create", "delete"}, st.Op) || st.Name != "focusdeck-prod-deploy" {
			t.Errorf("%s: %s of %s %s", what, st.Op, st.Type, st.Name)
		}
	}
}

// On Kubernetes an image rollback changes the service's Deployment (its
// pod template: a rolling update) and replaces nothing.
func TestEngineRollbackKubernetes(t *testing.T) {
	s, e := newSession(t)
	dir := t.TempDir()
	src := filepath.Join("..", "..", "examples", "jarvis-cluster")
	proj, err := os.ReadFile(filepath.Join(src, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(src, "Pulumi.prod.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "Pulumi.yaml"), proj)
	doc := strings.Replace(string(cfg), "infra:class: production", "infra:class: staging", 1)
	secrets := enginetest.SealSecrets(t, e, "jarvis-cluster", dir, "staging", doc)
	with := func(args ...string) []string { return append(args, "--stack", "staging", "--dir", dir) }
	const old, next = "ghcr.io/jarvis-ai/jarvis-backend:0.19.0", "ghcr.io/jarvis-ai/jarvis-backend:0.19.1"

	s.must(cli.ExitOK, with("up", "--yes")...)
	editStack(t, dir, "staging", old, next)
	s.must(cli.ExitOK, with("up", "--yes")...)
	rep := report(t, s.must(cli.ExitOK, with("rollback", "--yes", "--json")...))
	if rep.Result != "succeeded" || rep.Changes["update"] < 1 || rep.Changed != rep.Changes["update"] {
		t.Errorf("kubernetes rollback: %v, want updates only", rep.Changes)
	}
	deployments := 0
	for _, st := range rep.Steps {
		if st.Op != "update" {
			t.Errorf("kubernetes rollback: %s of %s %s", st.Op, st.Type, st.Name)
		}
		if st.Type == "kubernetes:apps/v1:Deployment" {
			deployments++
		}
	}
	if deployments != 1 {
		t.Errorf("kubernetes rollback updated %d Deployments, want 1: %+v", deployments, rep.Steps)
	}
	t.Logf("kubernetes rollback: %v", rep.Changes)
	editStack(t, dir, "staging", next, old)
	s.must(cli.ExitOK, with("preview", "--expect-no-changes")...)
	if containsAny(s.transcript.String(), secrets) {
		t.Error("a secret was printed")
	}
}
