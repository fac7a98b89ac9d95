// Package remote builds the command lines that reach a stack's running
// services through the credentials the stack already holds: ssh with the
// VPS deploy key, kubectl with the cluster's exec-credential kubeconfig.
// A command is data (argv, env, the secret files it needs) so that tests
// assert it without a host; Run writes the files (0600, in a fresh 0700
// directory), runs it, and removes them whatever happens.
package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"infra/components/backup"
)

// Action is what a command does on the target.
type Action string

// The actions.
const (
	Logs  Action = "logs"
	Shell Action = "ssh"
	Exec  Action = "exec"
	// Drill runs the rendered restore-drill.sh: in the app directory on
	// the VPS (Command: its arguments), as the Job Request.Job on
	// Kubernetes (Build gives the create line; KubeDrill the rest).
	Drill Action = "restore-drill"
)

// Request is one action on one service.
type Request struct {
	Action  Action
	Service string
	// Since limits logs to the last duration (Go syntax: 10m, 1h30m; "" = all).
	Since  string
	Follow bool
	// Command is what exec runs in the service's container, or ssh on the
	// Droplet in the app directory (none: a login shell).
	Command []string
	// TTY: stdin is a terminal, so the remote side gets one too.
	TTY bool
	// Job is the restore drill's Job (Drill on Kubernetes).
	Job string
	// DrillTries is how many backups the drill tries, newest first, until
	// one restores (0: restore-drill.sh's default, INFRA_DRILL_TRIES=3).
	DrillTries int
	// DrillDeadline ends the drill's Job on Kubernetes, and the waits
	// follow it (0: backup.DefaultDrillDeadline).
	DrillDeadline time.Duration
}

// MaxDrillTries bounds DrillTries: each try downloads and restores a
// whole backup.
const MaxDrillTries = 10

// File is a secret file a command reads: written before it runs,
// removed after. Path is inside the directory given to Build.
type File struct {
	Path    string
	Content string
}

// Command is a command line and what it needs.
type Command struct {
	Argv []string
	// Env are KEY=VALUE entries added to the environment the command
	// inherits.
	Env   []string
	Files []File
}

// VPS is how the deploy user reaches the Droplet.
type VPS struct {
	// Host is the address to connect to (the reserved IP).
	Host string
	// User is the deploy user; AppDir the compose project's directory.
	User, AppDir string
	// PrivateKey is the deploy key (OpenSSH PEM), a secret.
	PrivateKey string
	// HostKey is the host's public key ("ssh-ed25519 AAAA..."), when the
	// stack knows it: ssh then accepts that key and no other. Without it,
	// the first connection records the key (StrictHostKeyChecking
	// accept-new) and a changed key is refused later.
	HostKey string
}

// Kubernetes is how kubectl reaches the cluster.
type Kubernetes struct {
	// Kubeconfig authenticates through doctl (an exec credential); a secret.
	Kubeconfig string
	Namespace  string
}

// Validate checks a request before anything is built or run.
func (r Request) Validate() error {
	var errs []error
	switch r.Action {
	case Logs, Exec:
		if r.Service == "" {
			errs = append(errs, fmt.Errorf("%s needs a service", r.Action))
		}
	case Shell, Drill:
	default:
		errs = append(errs, fmt.Errorf("unknown action %q", r.Action))
	}
	if r.Action == Exec && len(r.Command) == 0 {
		errs = append(errs, errors.New("exec needs a command after --"))
	}
	if r.DrillTries < 0 || r.DrillTries > MaxDrillTries {
		errs = append(errs, fmt.Errorf("--tries %d: want 1 to %d", r.DrillTries, MaxDrillTries))
	}
	if r.DrillDeadline < 0 {
		errs = append(errs, fmt.Errorf("--timeout %s: want a positive duration", r.DrillDeadline))
	}
	if r.Since != "" {
		if d, err := time.ParseDuration(r.Since); err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("--since %q: want a positive duration such as 10m or 1h30m", r.Since))
		}
	}
	return errors.Join(errs...)
}

// Build is the ssh command line for r on the VPS; dir is the directory
// Run will write the key (and known_hosts) to.
func (v VPS) Build(r Request, dir string) (Command, error) {
	if err := r.Validate(); err != nil {
		return Command{}, err
	}
	if v.Host == "" || v.User == "" || v.PrivateKey == "" {
		return Command{}, errors.New("the stack has no VPS address or deploy key: run it on a deployed topology vps stack")
	}
	key := filepath.Join(dir, "deploy_key")
	c := Command{Files: []File{{Path: key, Content: withNewline(v.PrivateKey)}}}
	argv := []string{"ssh", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"}
	if v.HostKey != "" {
		known := filepath.Join(dir, "known_hosts")
		c.Files = append(c.Files, File{Path: known, Content: v.Host + " " + strings.TrimSpace(v.HostKey) + "\n"})
		argv = append(argv, "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+known)
	} else {
		argv = append(argv, "-o", "StrictHostKeyChecking=accept-new")
	}
	var remote []string
	switch r.Action {
	case Shell:
		if len(r.Command) == 0 {
			argv = append(argv, "-t", v.User+"@"+v.Host, "cd "+quote(v.AppDir)+" && exec \"${SHELL:-/bin/sh}\" -l")
			c.Argv = argv
			return c, nil
		}
		remote = r.Command
	case Logs:
		remote = []string{"docker", "compose", "logs", "--no-log-prefix"}
		if r.Since != "" {
			remote = append(remote, "--since", r.Since)
		}
		if r.Follow {
			remote = append(remote, "--follow")
		}
		remote = append(remote, r.Service)
	case Exec:
		remote = []string{"docker", "compose", "exec"}
		if !r.TTY {
			remote = append(remote, "-T")
		}
		remote = append(append(remote, r.Service), r.Command...)
	case Drill:
		remote = []string{"bash", "restore-drill.sh"}
		if r.DrillTries > 0 {
			remote = append([]string{"env", "INFRA_DRILL_TRIES=" + strconv.Itoa(r.DrillTries)}, remote...)
		}
		remote = append(remote, r.Command...)
	}
	if r.TTY {
		argv = append(argv, "-t")
	}
	argv = append(argv, v.User+"@"+v.Host, "cd "+quote(v.AppDir)+" && exec "+quoteAll(remote))
	c.Argv = argv
	return c, nil
}

// Build is the kubectl command line for r on the cluster; dir is the
// directory Run will write the kubeconfig to.
func (k Kubernetes) Build(r Request, dir string) (Command, error) {
	if err := r.Validate(); err != nil {
		return Command{}, err
	}
	if r.Action == Shell {
		return Command{}, errors.New("ssh is for topology vps; on Kubernetes use `infra exec --stack S SERVICE -- sh`")
	}
	if r.Action == Drill && !jobName.MatchString(r.Job) {
		return Command{}, fmt.Errorf("restore-drill needs its Job's name, got %q", r.Job)
	}
	if k.Kubeconfig == "" || k.Namespace == "" {
		return Command{}, errors.New("the stack has no kubeconfig or namespace output: run it on a deployed topology kubernetes stack")
	}
	kc := filepath.Join(dir, "kubeconfig")
	argv := k.kubectl(dir)
	switch r.Action {
	case Drill:
		argv = k.Drill(r.Job, dir, r.DrillDeadline).Create
	case Logs:
		argv = append(argv, "logs", "deploy/"+r.Service, "--all-containers")
		if r.Since != "" {
			argv = append(argv, "--since", r.Since)
		}
		if r.Follow {
			argv = append(argv, "--follow")
		}
	case Exec:
		argv = append(argv, "exec", "-i")
		if r.TTY {
			argv = append(argv, "-t")
		}
		argv = append(append(argv, "deploy/"+r.Service, "--"), r.Command...)
	}
	// KUBECONFIG too, for the doctl the exec credential runs.
	return Command{Argv: argv, Env: []string{"KUBECONFIG=" + kc}, Files: []File{{Path: kc, Content: k.Kubeconfig}}}, nil
}

func (k Kubernetes) kubectl(dir string) []string {
	return []string{"kubectl", "--kubeconfig", filepath.Join(dir, "kubeconfig"), "--namespace", k.Namespace}
}

var jobName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// KubeDrill is the restore drill on Kubernetes, one command line per
// step: create the Job from the manifest on stdin, wait until it
// completes or fails (kubectl wait takes one condition: the two waits
// race), read the drill container's report (and the fetch container's
// log when there is none), and delete the Job and its pod whatever
// happened.
type KubeDrill struct {
	Create, WaitComplete, WaitFailed, Logs, FetchLogs, Delete []string
}

// Drill is the command lines of the drill Job job whose deadline
// (activeDeadlineSeconds) is deadline (0: backup.DefaultDrillDeadline);
// dir is where Run writes the kubeconfig. DrillWaitTimeout bounds each
// wait (the Job's deadline ends it before).
func (k Kubernetes) Drill(job, dir string, deadline time.Duration) KubeDrill {
	base := k.kubectl(dir)
	line := func(args ...string) []string { return append(slices.Clone(base), args...) }
	wait := func(cond string) []string {
		return line("wait", "--for=condition="+cond, "--timeout="+DrillWaitTimeout(deadline).String(), "job/"+job)
	}
	return KubeDrill{
		Create:       line("create", "--filename=-"),
		WaitComplete: wait("complete"),
		WaitFailed:   wait("failed"),
		Logs:         line("logs", "job/"+job, "--container="+backup.DrillContainer),
		FetchLogs:    line("logs", "job/"+job, "--container="+backup.FetchContainer),
		Delete:       line("delete", "job", job, "--wait=false", "--ignore-not-found"),
	}
}

// DrillWaitTimeout is how long the CLI waits for a drill Job whose
// deadline is deadline (0: backup.DefaultDrillDeadline): 10 minutes past
// it, by when the Job has failed (activeDeadlineSeconds counts from the
// Job's start, pulling the images included).
func DrillWaitTimeout(deadline time.Duration) time.Duration {
	if deadline <= 0 {
		deadline = backup.DefaultDrillDeadline
	}
	return deadline + drillWaitMargin
}

const drillWaitMargin = 10 * time.Minute

// Runner runs a command line with the process's stdio attached; env is
// the complete environment.
type Runner func(ctx context.Context, argv, env []string) error

// TempDir is a new private (0700) directory for a command's files, for
// Build and then Run, which removes it.
func TempDir() (string, error) {
	dir, err := os.MkdirTemp("", "infra-remote-")
	if err != nil {
		return "", fmt.Errorf("create the directory for the credentials: %w", err)
	}
	return dir, nil
}

// Run writes c's files (0600) into dir (from TempDir), runs c through run
// with environ plus c.Env, and removes dir whatever happens.
func Run(ctx context.Context, c Command, dir string, environ []string, run Runner) (err error) {
	defer func() {
		if rmErr := os.RemoveAll(dir); rmErr != nil && err == nil {
			err = fmt.Errorf("remove the credentials in %s: %w", dir, rmErr)
		}
	}()
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		return fmt.Errorf("the directory for the credentials %s must exist and be private (0700)", dir)
	}
	for _, f := range c.Files {
		if filepath.Dir(f.Path) != filepath.Clean(dir) {
			return fmt.Errorf("credential file %s is outside %s", f.Path, dir)
		}
		if err := os.WriteFile(f.Path, []byte(f.Content), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Base(f.Path), err)
		}
	}
	return run(ctx, c.Argv, append(append([]string(nil), environ...), c.Env...))
}

func withNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

// quote makes s one word for the remote POSIX shell ssh hands the
// command to.
func quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func quoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = quote(a)
	}
	return strings.Join(q, " ")
}
