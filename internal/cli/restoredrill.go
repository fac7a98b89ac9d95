package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"infra/internal/remote"
	"infra/stacks/config"
)

// RestoreDrillOptions are the flags of `infra restore-drill`.
type RestoreDrillOptions struct {
	StackOptions
	// AccessFlags is --access-from: SSH to the Droplet opened to this
	// machine while the drill runs (internal/access).
	AccessFlags
	Database string
	// Tries is how many backups the drill tries, newest first, until one
	// restores (0: the script's default, 3).
	Tries int
	// Timeout bounds the drill (0: on Kubernetes the Job's default
	// deadline, backup.DefaultDrillDeadline; on the VPS none).
	Timeout time.Duration
	// BeforeRun is called once the target is known, before the drill
	// runs; its cleanup runs after. Nil opens what --access-from asks for.
	BeforeRun func(ctx context.Context, t RemoteTarget) (cleanup func(), err error)
	// Run runs the command line with env and stdin (nil: none), writing
	// its stdout and stderr to the writers, and returns its exit code
	// (tests replace it).
	Run func(ctx context.Context, argv, env []string, stdin io.Reader, stdout, stderr io.Writer) (code int, err error)
	// Environ is the environment the command inherits (nil: os.Environ).
	Environ func() []string
	// Now names the drill's Job on Kubernetes (nil: time.Now).
	Now func() time.Time
}

// DrillOutcome is restore-drill.sh's one JSON line.
type DrillOutcome struct {
	OK              bool            `json:"ok"`
	Backup          string          `json:"backup"`
	Time            string          `json:"time"`
	AgeSeconds      int64           `json:"ageSeconds"`
	MaxAgeSeconds   int64           `json:"maxAgeSeconds"`
	DurationSeconds int64           `json:"durationSeconds"`
	Databases       []DrillDatabase `json:"databases"`
	Problems        []string        `json:"problems"`
	// Restorable is the newest backup that restored and checked out: the
	// newest itself, or, when it failed, the first of the next older ones
	// the script tried (INFRA_DRILL_TRIES); nil when none did.
	Restorable *DrillRestorable `json:"restorable"`
}

// DrillRestorable names a backup that restores, and its age.
type DrillRestorable struct {
	Backup     string `json:"backup"`
	Time       string `json:"time"`
	AgeSeconds int64  `json:"ageSeconds"`
}

// DrillDatabase is one database the drill restored.
type DrillDatabase struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	Tables int    `json:"tables"`
	Rows   int64  `json:"rows"`
}

// NewCmdRestoreDrill builds `infra restore-drill`. runF replaces the
// action in tests.
func NewCmdRestoreDrill(streams *IO, runF func(*RestoreDrillOptions) error) *cobra.Command {
	opts := &RestoreDrillOptions{StackOptions: newStackOptions(streams), AccessFlags: newAccessFlags(), Run: runCommand}
	cmd := &cobra.Command{
		Use:   "restore-drill --stack NAME [--database NAME] [--tries N] [--timeout DURATION] [--access-from ADDR]",
		Short: "Restore the newest backup into a scratch server and check it",
		Long: `restore-drill proves the newest backup restores. It runs the stack's
restore-drill.sh, which takes the newest finished backup
(postgres/<time>/manifest.json in the backups bucket), checks each dump's
size and sha256 against the manifest, restores it into a throwaway
PostgreSQL, compares every table's row count with the manifest, and reports
the backup's age and the drill's duration. When the newest does not restore
or check out, it tries the next older ones (three in all; --tries N, 1 to
10) and reports the newest that restores ("newest restorable backup"), or
none. --timeout bounds the drill: on Kubernetes it is the Job's deadline
(default 1h) and kubectl waits 10 minutes past it; on the VPS the ssh
command is ended when it runs out (default: no bound).

On topology vps it runs over SSH on the Droplet (as the deploy user, with
the stack's deploy key from infra:secrets, written to a private temporary
file removed afterwards), the scratch server a throwaway container. On
topology kubernetes it runs as the Job db-restore-drill-<unix time> in the
application's namespace, with the stack's kubeconfig (written to a private
temporary file, removed afterwards; doctl gives the token): kubectl create,
wait until it completes or fails, read the drill container's report, and
delete the Job whatever happened. The Job reads the Spaces key and bucket
from the backup CronJob's Secret db-backup and the script from its
ConfigMap db-backup-script.

Exit 1 when the newest backup is older than infra:database.backups.schedule
allows, or any database does not restore or check out, even when an older
backup restores. infra dumps the selfhosted engine, and a managed cluster
with infra:database.backups set; a managed cluster's own backups are
DigitalOcean's (docs/backups.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Stack == "" {
				return usageError("--stack is required")
			}
			if err := checkDrillFlags(cmd, opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runRestoreDrill(cmd.Context(), opts)
		},
	}
	opts.StackOptions.addFlags(cmd)
	opts.AccessFlags.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&opts.Database, "database", "", "restore only this database (default: every database in the backup)")
	f.IntVar(&opts.Tries, "tries", 0, fmt.Sprintf("how many backups to try, newest first, until one restores: 1 to %d (default 3)", remote.MaxDrillTries))
	f.DurationVar(&opts.Timeout, "timeout", 0, fmt.Sprintf("end the drill after this long, up to %s (default: 1h, the Job's deadline, on Kubernetes; none on the VPS)", maxDrillTimeout))
	return cmd
}

// maxDrillTimeout bounds --timeout: a drill that needs longer than a day
// is not one to run from a terminal.
const maxDrillTimeout = 24 * time.Hour

// checkDrillFlags refuses --tries and --timeout out of range (exit 2),
// every problem at once.
func checkDrillFlags(cmd *cobra.Command, o *RestoreDrillOptions) error {
	var problems []string
	if cmd.Flags().Changed("tries") && (o.Tries < 1 || o.Tries > remote.MaxDrillTries) {
		problems = append(problems, fmt.Sprintf("--tries %d: want 1 to %d", o.Tries, remote.MaxDrillTries))
	}
	if cmd.Flags().Changed("timeout") && (o.Timeout <= 0 || o.Timeout > maxDrillTimeout) {
		problems = append(problems, fmt.Sprintf("--timeout %s: want a duration above 0 and up to %s, such as 30m or 2h", o.Timeout, maxDrillTimeout))
	}
	if len(problems) > 0 {
		return usageError("%s", strings.Join(problems, "; "))
	}
	return nil
}

var databaseName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func runRestoreDrill(ctx context.Context, o *RestoreDrillOptions) error {
	proj, err := openProject(o.Dir, o.Stack)
	if err != nil {
		return err
	}
	raw, err := config.ReadFile(proj.StackFile())
	if err != nil {
		return err
	}
	cfg, err := config.Parse(raw)
	if err != nil {
		return err
	}
	if err := drillable(cfg, o.Database); err != nil {
		return err
	}
	if cfg.Topology == config.TopologyKubernetes {
		return runKubeDrill(ctx, o, cfg, proj.Name)
	}
	p, err := prepareRemote(ctx, &o.StackOptions, &o.AccessFlags, o.BeforeRun,
		remote.Request{Action: remote.Drill, Command: DrillArgs(o.Database), DrillTries: o.Tries}, o.Environ)
	if err != nil {
		return err
	}
	defer p.close()
	target := p.target
	var stdout bytes.Buffer
	code := 0
	run := func(ctx context.Context, argv, env []string) error {
		var err error
		code, err = o.Run(ctx, argv, env, nil, &stdout, o.IO.ErrOut)
		return err
	}
	rctx := ctx
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	err = remote.Run(rctx, p.cmd, p.dir, p.env, run)
	// ssh killed at the deadline exits like any failure: the context says
	// why (a drill that finished in time, just before it, stands).
	if (err != nil || code != 0) && ctx.Err() == nil && errors.Is(rctx.Err(), context.DeadlineExceeded) {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("restore drill on %s: not finished within --timeout %s: ssh was ended", target.Host, o.Timeout)}
	}
	if err != nil {
		return fmt.Errorf("run the restore drill on %s: %w", target.Host, err)
	}
	return finishDrill(o, "restore drill on "+target.Host, stdout.Bytes(), code)
}

// finishDrill reads the drill's report (where says which drill), prints
// it, and fails when the drill did or exited non-zero.
func finishDrill(o *RestoreDrillOptions, where string, stdout []byte, code int) error {
	outcome, err := ParseDrillOutcome(stdout)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%s exited %d without its report: %w", where, code, err)}
	}
	if err := printDrill(o, outcome); err != nil {
		return err
	}
	if !outcome.OK || code != 0 {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("restore drill failed: %s", strings.Join(outcome.Problems, "; "))}
	}
	return nil
}

// drillable says whether the stack has backups this drill can restore.
func drillable(cfg *config.Config, database string) error {
	d := cfg.Database
	switch {
	case d == nil:
		return usageError("the stack declares no database")
	case d.Engine == "managed" && !d.DumpedOn(cfg.Topology):
		return usageError("a managed cluster's backups are DigitalOcean's (daily, point-in-time recovery, %d days): restore one into a new cluster with doctl databases fork; set infra:database.backups for dumps of infra's own, which this drill restores", config.ManagedBackupDays)
	case d.Engine != "selfhosted" && !d.DumpedOn(cfg.Topology):
		return usageError("an %s database is backed up by whoever runs it", d.Engine)
	case cfg.Topology != config.TopologyVPS && !d.DumpedOn(cfg.Topology):
		return usageError("restore-drill restores the dumps infra makes: on %s, those of a managed or external database with infra:database.backups set", cfg.Topology)
	}
	if database == "" {
		return nil
	}
	if !databaseName.MatchString(database) {
		return usageError("--database %q is not a database name", database)
	}
	var names []string
	for _, db := range d.Databases {
		names = append(names, db.Name)
	}
	if !slices.Contains(names, database) {
		return usageError("--database %q is not one of the stack's databases (%s)", database, strings.Join(names, ", "))
	}
	return nil
}

// DrillArgs are restore-drill.sh's arguments.
func DrillArgs(database string) []string {
	if database == "" {
		return nil
	}
	return []string{"--database", database}
}

// ParseDrillOutcome reads the script's stdout: exactly one JSON line of
// the documented shape, every field known and "restorable" present (null
// when no backup restored).
func ParseDrillOutcome(stdout []byte) (*DrillOutcome, error) {
	line := bytes.TrimSpace(stdout)
	if len(line) == 0 {
		return nil, errors.New("no output")
	}
	if bytes.Contains(line, []byte("\n")) {
		return nil, fmt.Errorf("want one JSON line, got %d lines", bytes.Count(line, []byte("\n"))+1)
	}
	var o DrillOutcome
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("not the drill's JSON: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(line, &fields); err != nil {
		return nil, fmt.Errorf("not the drill's JSON: %w", err)
	}
	if _, ok := fields["restorable"]; !ok {
		return nil, errors.New(`the report has no "restorable": the stack's restore-drill.sh is older than this infra (run infra up)`)
	}
	return &o, nil
}

func printDrill(o *RestoreDrillOptions, d *DrillOutcome) error {
	w := o.IO.Out
	if o.JSON {
		return json.NewEncoder(w).Encode(d)
	}
	age := time.Duration(d.AgeSeconds) * time.Second
	allowed := time.Duration(d.MaxAgeSeconds) * time.Second
	verdict := "restorable"
	if !d.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "restore drill: %s\nnewest backup: %s (%s), age %s of %s allowed\nduration: %s\n",
		verdict, d.Backup, d.Time, age, allowed, time.Duration(d.DurationSeconds)*time.Second)
	for _, db := range d.Databases {
		fmt.Fprintf(w, "  %s: %d tables, %d rows, %d bytes\n", db.Name, db.Tables, db.Rows, db.Bytes)
	}
	switch r := d.Restorable; {
	case r == nil:
		fmt.Fprintf(w, "newest restorable backup: none of those tried\n")
	case r.Backup != d.Backup:
		fmt.Fprintf(w, "newest restorable backup: %s (%s), age %s\n", r.Backup, r.Time, time.Duration(r.AgeSeconds)*time.Second)
	}
	for _, p := range d.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	return nil
}

// runCommand runs argv with env and stdin, stdout and stderr to the
// writers.
func runCommand(ctx context.Context, argv, env []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}
