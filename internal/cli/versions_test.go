package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"infra/internal/pins"
)

// fixedManifest has one pin in each support state on 2026-12-01.
const fixedManifest = `pins:
  - name: traefik
    kind: chart
    value: "41.3.0"
    source: "https://github.com/traefik/traefik-helm-chart/releases/tag/v41.3.0"
    checked: "2026-12-01"
  - name: postgres-14
    kind: image
    value: "postgres:14"
    source: "https://github.com/docker-library/official-images/blob/master/library/postgres"
    checked: "2026-11-01"
    endOfSupport: "2026-11-12"
    endOfSupportSource: "https://www.postgresql.org/support/versioning/"
  - name: grafana
    kind: image
    value: "grafana/grafana:12.4.8"
    source: "https://github.com/grafana/grafana/releases/tag/v12.4.8"
    checked: "2026-12-01"
    endOfSupport: "2027-01-15"
    endOfSupportSource: "https://grafana.com/docs/grafana/latest/upgrade-guide/when-to-upgrade/"
  - name: postgres-16
    kind: image
    value: "postgres:16"
    source: "https://github.com/docker-library/official-images/blob/master/library/postgres"
    checked: "2026-12-01"
    endOfSupport: "2028-11-09"
    endOfSupportSource: "https://www.postgresql.org/support/versioning/"
`

func day(y int, m time.Month, d int) func() time.Time {
	return func() time.Time { return time.Date(y, m, d, 9, 30, 0, 0, time.UTC) }
}

func versionsCmd(now func() time.Time, manifest string) func(*IO) *cobra.Command {
	return func(s *IO) *cobra.Command {
		return NewCmdVersions(s, func(o *VersionsOptions) error {
			o.Now = now
			if manifest != "" {
				o.Load = func() (pins.Manifest, error) { return pins.Parse([]byte(manifest)) }
			}
			return runVersions(o)
		})
	}
}

func TestVersions(t *testing.T) {
	tests := []struct {
		name       string
		now        func() time.Time
		args       []string
		code       int
		stdout     []string
		stderr     []string
		notStderr  []string
		errContain string
	}{
		{
			name: "table with warnings", now: day(2026, 12, 1), args: []string{"versions"}, code: ExitOK,
			stdout: []string{
				"NAME", "END OF SUPPORT", "SOURCE",
				"traefik", "chart", "41.3.0", "2026-12-01", "https://github.com/traefik/traefik-helm-chart/releases/tag/v41.3.0",
				"2026-11-12 (ended)", "2027-01-15 (45 days left)", "2028-11-09  ",
			},
			stderr: []string{
				"warning: postgres-14 postgres:14: support ended on 2026-11-12 (19 days ago, https://www.postgresql.org/support/versioning/)",
				"warning: grafana grafana/grafana:12.4.8: support ends on 2027-01-15 (in 45 days,",
			},
			notStderr: []string{"postgres-16", "traefik"},
		},
		{
			name: "check fails on a pin past its end", now: day(2026, 12, 1), args: []string{"versions", "--check"}, code: ExitPolicy,
			stderr:     []string{"warning: postgres-14"},
			errContain: "1 pin(s) past end of support on 2026-12-01: postgres-14",
		},
		{
			name: "check passes while support lasts, warning inside 60 days", now: day(2026, 10, 1), args: []string{"versions", "--check"}, code: ExitOK,
			stdout:    []string{"2026-11-12 (42 days left)", "2027-01-15  "},
			stderr:    []string{"support ends on 2026-11-12 (in 42 days,"},
			notStderr: []string{"grafana", "ended"},
		},
		{
			name: "the end day itself still passes", now: day(2026, 11, 12), args: []string{"versions", "--check"}, code: ExitOK,
			stderr: []string{"support ends on 2026-11-12 (in 0 days,"},
		},
		{
			name: "nothing near an end: no warnings", now: day(2026, 1, 1), args: []string{"versions", "--check"}, code: ExitOK,
			notStderr: []string{"warning"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWith(context.Background(), t, versionsCmd(tt.now, fixedManifest), tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d: %v\nstderr:\n%s", r.code, tt.code, r.err, r.stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			for _, s := range tt.notStderr {
				if strings.Contains(r.stderr, s) {
					t.Errorf("stderr has %q:\n%s", s, r.stderr)
				}
			}
			if tt.errContain != "" && (r.err == nil || !strings.Contains(r.err.Error(), tt.errContain)) {
				t.Errorf("error %v, want %q", r.err, tt.errContain)
			}
		})
	}
}

func TestVersionsJSON(t *testing.T) {
	r := runWith(context.Background(), t, versionsCmd(day(2026, 12, 1), fixedManifest), "versions", "--json", "--check")
	if r.code != ExitPolicy {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	var rep VersionsReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, r.stdout)
	}
	if rep.Today != "2026-12-01" || len(rep.Pins) != 4 {
		t.Fatalf("report %+v", rep)
	}
	if strings.Join(rep.Ended, ",") != "postgres-14" || strings.Join(rep.Ending, ",") != "grafana" {
		t.Errorf("ended %v, ending %v", rep.Ended, rep.Ending)
	}
	byName := map[string]PinVersion{}
	for _, p := range rep.Pins {
		byName[p.Name] = p
	}
	if p := byName["traefik"]; p.Support != pins.SupportUnknown || p.DaysLeft != nil || p.EndOfSupport != "" {
		t.Errorf("traefik %+v", p)
	}
	if p := byName["postgres-14"]; p.Support != pins.SupportEnded || p.DaysLeft == nil || *p.DaysLeft != -19 || p.Checked != "2026-11-01" {
		t.Errorf("postgres-14 %+v", p)
	}
	if p := byName["postgres-16"]; p.Support != pins.Supported || p.EndOfSupportSource == "" {
		t.Errorf("postgres-16 %+v", p)
	}
}

// The real manifest prints every pin, whatever today's date.
func TestVersionsRealManifest(t *testing.T) {
	m, err := pins.Load()
	if err != nil {
		t.Fatal(err)
	}
	r := runWith(context.Background(), t, versionsCmd(day(2026, 12, 1), ""), "versions")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	if lines := strings.Count(r.stdout, "\n"); lines != len(m.Pins)+1 {
		t.Errorf("%d lines for %d pins and a header", lines, len(m.Pins))
	}
	for _, p := range m.Pins {
		if !strings.Contains(r.stdout, p.Name) || !strings.Contains(r.stdout, p.Value) {
			t.Errorf("the table lacks %s %s", p.Name, p.Value)
		}
	}
}

func TestVersionsRegistered(t *testing.T) {
	root := NewRootCmd(&IO{})
	if c, _, err := root.Find([]string{"versions"}); err != nil || c.Name() != "versions" {
		t.Fatalf("infra versions is not registered: %v", err)
	}
}

func TestVersionsBadManifest(t *testing.T) {
	r := runWith(context.Background(), t, versionsCmd(day(2026, 12, 1), "pins: []\n"), "versions", "--check")
	if r.code != ExitFailure || !strings.Contains(r.err.Error(), "no pins") {
		t.Errorf("exit %d: %v", r.code, r.err)
	}
}

func TestVersionCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"version", "--json"}, &IO{Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var v VersionInfo
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	// A test binary has no module version or dependency list (a built
	// binary has both), but its Go version and platform are known.
	if v.Go != runtime.Version() || v.Platform != runtime.GOOS+"/"+runtime.GOARCH || v.Version == "" {
		t.Errorf("version --json = %+v", v)
	}
	out.Reset()
	if code := Main([]string{"version"}, &IO{Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }}); code != ExitOK || !strings.HasPrefix(out.String(), "infra "+v.Version) {
		t.Errorf("version: exit %d\n%s", code, out.String())
	}
}
