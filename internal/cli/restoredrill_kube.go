package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"infra/components/backup"
	"infra/internal/remote"
	"infra/stacks"
	"infra/stacks/config"
)

// drillDeleteTimeout bounds the Job's deletion, which runs on a context of
// its own (also after Ctrl-C).
const drillDeleteTimeout = 30 * time.Second

// runKubeDrill runs the drill as a Job in the application's namespace
// (components/backup's DrillJob) with the stack's kubeconfig in a private
// temporary directory: create it, wait until it completes or fails, read
// the drill container's report, and delete it whatever happened.
func runKubeDrill(ctx context.Context, o *RestoreDrillOptions, cfg *config.Config, project string) error {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	job := backup.DrillJobName(now())
	p, err := prepareRemote(ctx, &o.StackOptions, &o.AccessFlags, o.BeforeRun,
		remote.Request{Action: remote.Drill, Job: job, DrillTries: o.Tries, DrillDeadline: o.Timeout}, o.Environ)
	if err != nil {
		return err
	}
	defer p.close()
	ns := p.target.Namespace
	pool, tolerations := stacks.BackupPlacement(cfg)
	manifest, err := backup.DrillJob(backup.DrillJobArgs{
		Name: job, Namespace: ns, PartOf: project, Version: cfg.Database.Version,
		Database: o.Database, Pool: pool, Tolerations: tolerations,
		Tries: o.Tries, Deadline: o.Timeout,
	})
	if err == nil {
		var body []byte
		if body, err = json.Marshal(manifest); err == nil {
			return o.runDrillJob(ctx, p, job, body)
		}
	}
	_ = os.RemoveAll(p.dir)
	return fmt.Errorf("restore drill job %s: %w", job, err)
}

// runDrillJob runs the Job's command lines with the kubeconfig written,
// and reads its report.
func (o *RestoreDrillOptions) runDrillJob(ctx context.Context, p *preparedRemote, job string, manifest []byte) error {
	ns := p.target.Namespace
	lines := remote.Kubernetes{Namespace: ns}.Drill(job, p.dir, o.Timeout)
	var report bytes.Buffer
	code := 0
	run := func(ctx context.Context, argv, env []string) error {
		var err error
		code, err = o.drillJob(ctx, lines, manifest, env, &report)
		return err
	}
	where := fmt.Sprintf("restore drill job %s in namespace %s", job, ns)
	if err := remote.Run(ctx, p.cmd, p.dir, p.env, run); err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%s: %w", where, err)}
	}
	return finishDrill(o, where, report.Bytes(), code)
}

// drillJob creates the Job, waits for it, writes the drill container's
// log to report and returns 0 when the Job completed, 1 when it failed.
// The Job is deleted on the way out, on a context of its own.
func (o *RestoreDrillOptions) drillJob(ctx context.Context, lines remote.KubeDrill, manifest []byte, env []string, report io.Writer) (code int, err error) {
	errOut := o.IO.ErrOut
	var createErr bytes.Buffer
	defer func() {
		if strings.Contains(createErr.String(), "AlreadyExists") {
			return // another drill's Job, of the same second: not ours to delete
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drillDeleteTimeout)
		defer cancel()
		if c, derr := o.Run(dctx, lines.Delete, env, nil, errOut, errOut); derr != nil || c != 0 {
			fmt.Fprintf(errOut, "infra: could not delete the drill job (kubectl exited %d: %v); it removes itself %d s after it ends\n", c, derr, backup.DrillTTLSeconds)
		}
	}()
	c, err := o.Run(ctx, lines.Create, env, bytes.NewReader(manifest), errOut, io.MultiWriter(errOut, &createErr))
	if err != nil {
		return 0, fmt.Errorf("create the job: %w", err)
	}
	if c != 0 {
		return 0, fmt.Errorf("kubectl create exited %d", c)
	}
	failed, err := o.waitDrillJob(ctx, lines, env)
	if err != nil {
		return 0, err
	}
	if failed {
		code = 1
	}
	var logs bytes.Buffer
	if c, err := o.Run(ctx, lines.Logs, env, nil, &logs, errOut); err != nil || c != 0 {
		fmt.Fprintf(errOut, "infra: kubectl logs of the drill container exited %d: %v\n", c, err)
	}
	if _, perr := ParseDrillOutcome(logs.Bytes()); perr != nil {
		// No report: the fetch container's log says why, as a rule.
		fmt.Fprintf(errOut, "infra: the drill container left no report; the fetch container's log:\n")
		_, _ = o.Run(ctx, lines.FetchLogs, env, nil, errOut, errOut)
	}
	_, _ = report.Write(logs.Bytes())
	return code, nil
}

// waitDrillJob races kubectl wait for the complete and the failed
// condition (one wait takes one condition) and says which came; the
// other wait is stopped.
func (o *RestoreDrillOptions) waitDrillJob(ctx context.Context, lines remote.KubeDrill, env []string) (failed bool, err error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		failed bool
		code   int
		err    error
		stderr bytes.Buffer
	}
	results := make(chan *result, 2)
	for _, w := range []struct {
		failed bool
		argv   []string
	}{{false, lines.WaitComplete}, {true, lines.WaitFailed}} {
		go func() {
			r := &result{failed: w.failed}
			r.code, r.err = o.Run(wctx, w.argv, env, nil, io.Discard, &r.stderr)
			results <- r
		}()
	}
	var met *result
	var last *result
	for range 2 {
		r := <-results
		if met == nil && r.err == nil && r.code == 0 {
			met = r
			cancel()
		}
		last = r
	}
	if met != nil {
		return met.failed, nil
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("wait for the job: %w", err)
	}
	return false, fmt.Errorf("wait for the job: kubectl wait exited %d: %v %s", last.code, last.err, bytes.TrimSpace(last.stderr.Bytes()))
}
