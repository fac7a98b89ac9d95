package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/spf13/cobra"

	"infra/internal/planner"
	"infra/internal/stacktest"
	"infra/stacks/config"
)

// drillProject is a project holding the selfhosted dev stack of the repo
// (secrets set) and the managed focusdeck stack.
func drillProject(t *testing.T) string {
	t.Helper()
	dir := testProject(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "Pulumi.dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.self.yaml"), []byte(stacktest.SetSecrets(t, string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fakeSSH records the command line and the deploy key file it names (read
// while the command "runs"), and answers with a canned stdout and exit
// code, as ssh relays the remote script's.
type fakeSSH struct {
	argv    []string
	key     string
	keyPath string
	stdout  string
	code    int
}

func (f *fakeSSH) run(_ context.Context, argv, _ []string, _ io.Reader, stdout, _ io.Writer) (int, error) {
	f.argv = argv
	for i, a := range argv {
		if a == "-i" && i+1 < len(argv) {
			f.keyPath = argv[i+1]
			b, _ := os.ReadFile(f.keyPath)
			f.key = string(b)
		}
	}
	_, _ = io.WriteString(stdout, f.stdout)
	return f.code, nil
}

func drillCmd(f Stack, ssh *fakeSSH) func(*IO) *cobra.Command {
	return func(streams *IO) *cobra.Command {
		return NewCmdRestoreDrill(streams, func(o *RestoreDrillOptions) error {
			o.OpenStack = func(context.Context, StackRequest) (Stack, error) { return f, nil }
			o.Run = ssh.run
			o.Environ = func() []string { return []string{"PATH=/usr/bin"} }
			return runRestoreDrill(context.Background(), o)
		})
	}
}

const goodDrill = `{"ok":true,"backup":"postgres/2026-12-06T033000Z/","time":"2026-12-06T03:30:00Z","ageSeconds":3600,"maxAgeSeconds":93600,"durationSeconds":12,"databases":[{"name":"app","bytes":4096,"tables":3,"rows":1242}],"problems":[],"restorable":{"backup":"postgres/2026-12-06T033000Z/","time":"2026-12-06T03:30:00Z","ageSeconds":3600}}`

const oldDrill = `{"ok":false,"backup":"postgres/2026-12-01T033000Z/","time":"2026-12-01T03:30:00Z","ageSeconds":432000,"maxAgeSeconds":93600,"durationSeconds":12,"databases":[],"problems":["newest backup is too old: age 432000s (120h), the schedule allows 93600s (26h)"],"restorable":{"backup":"postgres/2026-12-01T033000Z/","time":"2026-12-01T03:30:00Z","ageSeconds":432000}}`

// fellBack: the newest did not restore, the night before did.
const fellBack = `{"ok":false,"backup":"postgres/2026-12-06T033000Z/","time":"2026-12-06T03:30:00Z","ageSeconds":3600,"maxAgeSeconds":93600,"durationSeconds":30,"databases":[],"problems":["app: sha256 checksum mismatch for app.dump: manifest aa, downloaded bb (10 bytes, manifest 10)"],"restorable":{"backup":"postgres/2026-12-05T033000Z/","time":"2026-12-05T03:30:00Z","ageSeconds":90000}}`

// noneRestorable: nothing tried restored.
const noneRestorable = `{"ok":false,"backup":"postgres/2026-12-06T033000Z/","time":"2026-12-06T03:30:00Z","ageSeconds":3600,"maxAgeSeconds":93600,"durationSeconds":30,"databases":[],"problems":["app: pg_restore failed: x","older backup postgres/2026-12-05T033000Z/: app: pg_restore failed: x"],"restorable":null}`

// The command line that reaches the Droplet, and how the script's line
// becomes the exit status.
func TestRestoreDrillCommand(t *testing.T) {
	dir := drillProject(t)
	outs := auto.OutputMap{"topology": {Value: "vps"}, "vps": {Value: map[string]any{"reservedIp": "203.0.113.7", "ipv4": "198.51.100.1"}}}
	sshArgv := func(remote string) []string {
		return []string{"ssh", "-i", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new", "deploy@203.0.113.7", remote}
	}
	cases := map[string]struct {
		args     []string
		stdout   string
		code     int
		wantCode int
		wantArgv []string
		wantOut  string
	}{
		"good": {nil, goodDrill, 0, ExitOK, sshArgv("cd /opt/app && exec bash restore-drill.sh"), "app: 3 tables, 1242 rows"},
		"one database": {[]string{"--database", "focusdeck_jobs"}, goodDrill, 0, ExitOK,
			sshArgv("cd /opt/app && exec bash restore-drill.sh --database focusdeck_jobs"), "restorable"},
		"too old":             {nil, oldDrill, 1, ExitFailure, nil, "too old"},
		"no report":           {nil, "", 255, ExitFailure, nil, ""},
		"two lines":           {nil, goodDrill + "\n" + goodDrill, 0, ExitFailure, nil, ""},
		"ok but exit 1":       {nil, goodDrill, 1, ExitFailure, nil, ""},
		"unknown database":    {[]string{"--database", "nope"}, goodDrill, 0, ExitUsage, nil, ""},
		"not a name":          {[]string{"--database", "a;rm -rf /"}, goodDrill, 0, ExitUsage, nil, ""},
		"unknown JSON field":  {nil, strings.Replace(goodDrill, `"ok"`, `"okay":1,"ok"`, 1), 0, ExitFailure, nil, ""},
		"no restorable field": {nil, goodDrill[:strings.Index(goodDrill, `,"restorable"`)] + "}", 0, ExitFailure, nil, ""},
		"fell back":           {nil, fellBack, 1, ExitFailure, nil, "newest restorable backup: postgres/2026-12-05T033000Z/ (2026-12-05T03:30:00Z), age 25h0m0s"},
		"none restorable":     {nil, noneRestorable, 1, ExitFailure, nil, "newest restorable backup: none of those tried"},
		// --tries reaches restore-drill.sh as INFRA_DRILL_TRIES on the
		// remote command line; out of range it is refused before ssh.
		"--tries 5": {[]string{"--tries", "5"}, goodDrill, 0, ExitOK,
			sshArgv("cd /opt/app && exec env INFRA_DRILL_TRIES=5 bash restore-drill.sh"), "restorable"},
		"--tries 10 and a database": {[]string{"--tries", "10", "--database", "focusdeck_jobs"}, goodDrill, 0, ExitOK,
			sshArgv("cd /opt/app && exec env INFRA_DRILL_TRIES=10 bash restore-drill.sh --database focusdeck_jobs"), "restorable"},
		"--tries 1":                {[]string{"--tries", "1"}, goodDrill, 0, ExitOK, sshArgv("cd /opt/app && exec env INFRA_DRILL_TRIES=1 bash restore-drill.sh"), ""},
		"--tries 0":                {[]string{"--tries", "0"}, goodDrill, 0, ExitUsage, nil, ""},
		"--tries 11":               {[]string{"--tries", "11"}, goodDrill, 0, ExitUsage, nil, ""},
		"--tries -1":               {[]string{"--tries", "-1"}, goodDrill, 0, ExitUsage, nil, ""},
		"--tries not a number":     {[]string{"--tries", "three"}, goodDrill, 0, ExitUsage, nil, ""},
		"--timeout 0":              {[]string{"--timeout", "0s"}, goodDrill, 0, ExitUsage, nil, ""},
		"--timeout negative":       {[]string{"--timeout", "-5m"}, goodDrill, 0, ExitUsage, nil, ""},
		"--timeout over a day":     {[]string{"--timeout", "25h"}, goodDrill, 0, ExitUsage, nil, ""},
		"--timeout not a duration": {[]string{"--timeout", "soon"}, goodDrill, 0, ExitUsage, nil, ""},
		// The timeout bounds ssh through its context, not the command line.
		"--timeout 30m": {[]string{"--timeout", "30m"}, goodDrill, 0, ExitOK, sshArgv("cd /opt/app && exec bash restore-drill.sh"), "restorable"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ssh := &fakeSSH{stdout: c.stdout, code: c.code}
			f := &keyedStack{fakeStack: &fakeStack{outputs: outs}}
			args := append([]string{"restore-drill", "--dir", dir, "--stack", "self"}, c.args...)
			r := runWith(context.Background(), t, drillCmd(f, ssh), args...)
			if r.err != nil && !isExitError(r.err) && isUsageError(r.err) {
				r.code = ExitUsage // as MainContext maps cobra's flag errors
			}
			if r.code != c.wantCode {
				t.Fatalf("exit %d, want %d: %v\n%s", r.code, c.wantCode, r.err, r.stdout)
			}
			if c.wantArgv != nil {
				// The key file's path is a fresh temporary one.
				got := slices.Delete(slices.Clone(ssh.argv), 2, 3)
				if !reflect.DeepEqual(got, c.wantArgv) {
					t.Errorf("ran %q\nwant %q", ssh.argv, c.wantArgv)
				}
				if ssh.key != testDeployKey {
					t.Errorf("the deploy key file held %q while ssh ran", ssh.key)
				}
				if _, err := os.Stat(ssh.keyPath); !os.IsNotExist(err) {
					t.Errorf("the deploy key file %s is still there: %v", ssh.keyPath, err)
				}
			}
			if strings.Contains(r.stdout+r.stderr, "cli-remote-test-key-53") {
				t.Error("the deploy key was printed")
			}
			if c.wantCode == ExitUsage && ssh.argv != nil {
				t.Errorf("bad input still reached the host: %q", ssh.argv)
			}
			if !strings.Contains(r.stdout, c.wantOut) {
				t.Errorf("stdout %q does not say %q", r.stdout, c.wantOut)
			}
		})
	}
}

// --timeout on the VPS: ssh runs on a context that ends after it, and a
// drill still running then is ended and reported as not finished in time;
// without --timeout the context has no deadline.
func TestRestoreDrillTimeoutOnTheVPS(t *testing.T) {
	outs := auto.OutputMap{"topology": {Value: "vps"}, "vps": {Value: map[string]any{"reservedIp": "203.0.113.7"}}}
	cases := []struct {
		name         string
		args         []string
		hang         bool
		wantDeadline time.Duration // 0: none
		wantCode     int
		wantErr      string
	}{
		{"no --timeout: no deadline", nil, false, 0, ExitOK, ""},
		{"--timeout 30m: the deadline", []string{"--timeout", "30m"}, false, 30 * time.Minute, ExitOK, ""},
		{"--timeout reached: ssh ended", []string{"--timeout", "50ms"}, true, 50 * time.Millisecond, ExitFailure, "not finished within --timeout 50ms"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var deadline, called time.Time
			var hasDeadline bool
			build := func(streams *IO) *cobra.Command {
				return NewCmdRestoreDrill(streams, func(o *RestoreDrillOptions) error {
					o.OpenStack = func(context.Context, StackRequest) (Stack, error) {
						return &keyedStack{fakeStack: &fakeStack{outputs: outs}}, nil
					}
					o.Environ = func() []string { return nil }
					o.Run = func(ctx context.Context, argv, env []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
						deadline, hasDeadline = ctx.Deadline()
						called = time.Now()
						if c.hang {
							<-ctx.Done() // killed, as exec.CommandContext kills ssh
							return -1, nil
						}
						_, _ = io.WriteString(stdout, goodDrill)
						return 0, nil
					}
					return runRestoreDrill(context.Background(), o)
				})
			}
			start := time.Now()
			args := append([]string{"restore-drill", "--dir", drillProject(t), "--stack", "self"}, c.args...)
			r := runWith(context.Background(), t, build, args...)
			if r.code != c.wantCode || (c.wantErr != "" && (r.err == nil || !strings.Contains(r.err.Error(), c.wantErr))) {
				t.Fatalf("exit %d (%v), want %d and %q", r.code, r.err, c.wantCode, c.wantErr)
			}
			if hasDeadline != (c.wantDeadline > 0) {
				t.Fatalf("ssh's context has a deadline: %v, want %v", hasDeadline, c.wantDeadline > 0)
			}
			if hasDeadline {
				// Set between the start and ssh's run, --timeout ahead.
				if deadline.Before(start.Add(c.wantDeadline)) || deadline.After(called.Add(c.wantDeadline)) {
					t.Errorf("ssh's deadline is %s after the start (ssh ran %s after it), want %s", deadline.Sub(start), called.Sub(start), c.wantDeadline)
				}
			}
		})
	}
}

// A managed stack is refused before anything is contacted, naming what
// DigitalOcean keeps.
func TestRestoreDrillRefusesManaged(t *testing.T) {
	ssh := &fakeSSH{stdout: goodDrill}
	r := runWith(context.Background(), t, drillCmd(&keyedStack{fakeStack: &fakeStack{}}, ssh), "restore-drill", "--dir", testProject(t), "--stack", "prod")
	if r.code != ExitUsage || !strings.Contains(r.err.Error(), "7 days") || ssh.argv != nil {
		t.Errorf("exit %d, err %v, ran %q", r.code, r.err, ssh.argv)
	}
}

// `infra plan` says who backs the database up and for how long: the
// platform's fixed 7 days for a managed cluster, the stack's own schedule
// and retention for a selfhosted one.
func TestPlanSaysWhoKeepsBackups(t *testing.T) {
	cases := map[string][]string{
		"../../examples/jarvis-agents/prod": {"DigitalOcean's own", "point-in-time recovery, 7 days, fixed", `by the Droplet's cron to the stack's Spaces bucket on "30 3 * * *" (UTC), kept 14 days (infra:database.backups)`},
		"../../dev":                         {`on "30 3 * * *" (UTC)`, "kept 7 days (infra:database.backups)", "older than 26h0m0s"},
	}
	for where, wants := range cases {
		t.Run(where, func(t *testing.T) {
			dir, stack := filepath.Dir(where), filepath.Base(where)
			proj, err := openProject(dir, stack)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := config.ReadFile(proj.StackFile())
			if err != nil {
				t.Fatal(err)
			}
			p, err := planner.Run(proj.Name, proj.Stack, raw)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := writePlan(&out, p, t.TempDir(), false); err != nil {
				t.Fatal(err)
			}
			for _, want := range wants {
				if !strings.Contains(out.String(), want) {
					t.Errorf("plan output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// The access hook (--access-from's opening) runs with the Droplet as
// target before ssh, and its cleanup after.
func TestRestoreDrillOpensAccessAroundTheRun(t *testing.T) {
	outs := auto.OutputMap{"topology": {Value: "vps"}, "vps": {Value: map[string]any{"reservedIp": "203.0.113.7"}}}
	var events []string
	ssh := &fakeSSH{stdout: goodDrill}
	build := func(streams *IO) *cobra.Command {
		return NewCmdRestoreDrill(streams, func(o *RestoreDrillOptions) error {
			o.OpenStack = func(context.Context, StackRequest) (Stack, error) {
				return &keyedStack{fakeStack: &fakeStack{outputs: outs}}, nil
			}
			o.Environ = func() []string { return nil }
			o.BeforeRun = func(_ context.Context, tg RemoteTarget) (func(), error) {
				events = append(events, "open "+tg.Host)
				return func() { events = append(events, "close") }, nil
			}
			o.Run = func(ctx context.Context, argv, env []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
				events = append(events, "ssh")
				return ssh.run(ctx, argv, env, stdin, stdout, stderr)
			}
			return runRestoreDrill(context.Background(), o)
		})
	}
	r := runWith(context.Background(), t, build, "restore-drill", "--dir", drillProject(t), "--stack", "self")
	if r.code != ExitOK || !reflect.DeepEqual(events, []string{"open 203.0.113.7", "ssh", "close"}) {
		t.Errorf("exit %d (%v), events %v", r.code, r.err, events)
	}
}

// The drill restores what infra dumps: the selfhosted engine, and a
// managed cluster or an external database once infra:database.backups is
// set, from the Droplet or from the CronJob (tests/backup restores such
// dumps); without it they are refused.
func TestDrillableEngines(t *testing.T) {
	b := &config.Backups{Schedule: "30 3 * * *", RetentionDays: 7}
	vps, kube := config.TopologyVPS, config.TopologyKubernetes
	cases := map[string]struct {
		topology config.Topology
		engine   string
		backups  *config.Backups
		ok       bool
	}{
		"selfhosted":                     {vps, "selfhosted", b, true},
		"managed dumped":                 {vps, "managed", b, true},
		"managed not dumped":             {vps, "managed", nil, false},
		"external":                       {vps, "external", nil, false},
		"external dumped":                {vps, "external", b, true},
		"kubernetes, managed dumped":     {kube, "managed", b, true},
		"kubernetes, managed not dumped": {kube, "managed", nil, false},
		"kubernetes, external dumped":    {kube, "external", b, true},
		"kubernetes, external":           {kube, "external", nil, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := &config.Config{Topology: c.topology, Database: &config.Database{Engine: c.engine, Backups: c.backups}}
			if err := drillable(cfg, ""); (err == nil) != c.ok {
				t.Errorf("drillable = %v, want ok %v", err, c.ok)
			}
		})
	}
}
