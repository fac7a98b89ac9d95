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

	"infra/components/vps/render"
	"infra/stacks/config"
)

// RestoreDrillOptions are the flags of `infra restore-drill`.
type RestoreDrillOptions struct {
	StackOptions
	Database string
	// Identity is the SSH private key file of the deploy user.
	Identity string
	// SSH is the ssh client (default: ssh on PATH).
	SSH string
	// Run runs a command line, streaming its stderr, and returns its
	// stdout and exit code (tests replace it).
	Run func(ctx context.Context, argv []string, stderr io.Writer) (stdout []byte, code int, err error)
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
	opts := &RestoreDrillOptions{StackOptions: newStackOptions(streams), Run: runCommand}
	cmd := &cobra.Command{
		Use:   "restore-drill --stack NAME [--database NAME] [--identity KEY]",
		Short: "Restore the newest backup into a scratch server and check it",
		Long: `restore-drill proves the newest backup restores. Over SSH to the stack's
Droplet (as the deploy user) it runs restore-drill.sh, which fetches the newest
finished backup (postgres/<time>/manifest.json in the backups bucket), checks
each dump's size and sha256 against the manifest, restores it into a
throwaway postgres container, compares every table's row count with the
manifest, removes the container, and reports the backup's age and the drill's
duration.

Exit 1 when the newest backup is older than infra:database.backups.schedule
allows, or any database does not restore or check out. Only the selfhosted
engine is dumped by infra; a managed cluster's backups are DigitalOcean's own
(docs/backups.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Stack == "" {
				return usageError("--stack is required")
			}
			if runF != nil {
				return runF(opts)
			}
			return runRestoreDrill(cmd.Context(), opts)
		},
	}
	opts.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&opts.Database, "database", "", "restore only this database (default: every database in the backup)")
	f.StringVar(&opts.Identity, "identity", "", "SSH private key of the deploy user (default: ssh's own keys and agent)")
	f.StringVar(&opts.SSH, "ssh", "ssh", "ssh client to run")
	return cmd
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
	s, _, err := o.open(ctx, false)
	if err != nil {
		return err
	}
	outs, err := s.Outputs(ctx)
	if err != nil {
		return classify(err, o.Stack, "read outputs")
	}
	vps, _ := outs["vps"].Value.(map[string]any)
	host, _ := vps["reservedIp"].(string)
	if host == "" {
		host, _ = vps["ipv4"].(string)
	}
	if host == "" {
		return fmt.Errorf("stack %s has no Droplet address in its vps output: run infra up first", o.Stack)
	}
	argv := DrillCommand(o.SSH, o.Identity, host, o.Database)
	stdout, code, err := o.Run(ctx, argv, o.IO.ErrOut)
	if err != nil {
		return fmt.Errorf("run the restore drill on %s: %w", host, err)
	}
	outcome, err := ParseDrillOutcome(stdout)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("restore drill on %s exited %d without its report: %w", host, code, err)}
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
	case cfg.Topology != config.TopologyVPS:
		return usageError("restore-drill runs on the vps topology; the kubernetes topology's databases are managed (docs/backups.md)")
	case d == nil:
		return usageError("the stack declares no database")
	case d.Engine == "managed":
		return usageError("a managed cluster's backups are DigitalOcean's (daily, point-in-time recovery, %d days): restore one into a new cluster with doctl databases fork; infra dumps only the selfhosted engine", config.ManagedBackupDays)
	case d.Engine != "selfhosted":
		return usageError("an %s database is backed up by whoever runs it", d.Engine)
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

// DrillCommand is the ssh command line that runs the drill on the
// Droplet: batch mode (no prompts), the deploy user, the rendered script.
func DrillCommand(ssh, identity, host, database string) []string {
	argv := []string{ssh, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new", "-o", "ConnectTimeout=20"}
	if identity != "" {
		argv = append(argv, "-i", identity, "-o", "IdentitiesOnly=yes")
	}
	argv = append(argv, render.DeployUser+"@"+host, "--", "bash", render.AppDir+"/restore-drill.sh")
	if database != "" {
		argv = append(argv, "--database", database)
	}
	return argv
}

// ParseDrillOutcome reads the script's stdout: exactly one JSON line of
// the documented shape.
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
	for _, p := range d.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	return nil
}

// runCommand runs argv with stderr streamed and stdout captured.
func runCommand(ctx context.Context, argv []string, stderr io.Writer) ([]byte, int, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.Bytes(), exit.ExitCode(), nil
	}
	if err != nil {
		return nil, -1, err
	}
	return out.Bytes(), 0, nil
}
