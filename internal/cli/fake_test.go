package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/opthistory"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/spf13/cobra"

	"infra/internal/stacktest"
)

// fakeStack is a hand-written Stack: each operation sends its scripted
// engine events to the EventStreams channels (closing them, as the
// Automation API does) and returns its scripted error. block makes an
// operation wait for its context, like an engine interrupted by Ctrl-C.
type fakeStack struct {
	name string

	previewEvents, upEvents, destroyEvents, refreshEvents []events.EngineEvent
	previewErr, upErr, destroyErr, refreshErr, outputsErr error
	block                                                 string // the operation that blocks until cancelled
	started                                               chan string

	outputs   auto.OutputMap
	resources []apitype.ResourceV3
	pending   []apitype.OperationV2
	imported  *apitype.DeploymentV3
	history   []auto.UpdateSummary

	mu      sync.Mutex
	calls   []string
	upOpts  optup.Options
	desOpts optdestroy.Options
	refOpts optrefresh.Options
}

func (f *fakeStack) record(call string) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	if f.started != nil {
		f.started <- call
	}
}

func (f *fakeStack) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeStack) run(ctx context.Context, op string, chans []chan<- events.EngineEvent, evs []events.EngineEvent, err error) error {
	f.record(op)
	for _, ch := range chans {
		for _, ev := range evs {
			ch <- ev
		}
		close(ch)
	}
	if f.block == op {
		<-ctx.Done()
		return errors.New("failed to run " + op + ": signal: interrupt")
	}
	return err
}

func (f *fakeStack) Name() string { return f.name }

func (f *fakeStack) Preview(ctx context.Context, opts ...optpreview.Option) (auto.PreviewResult, error) {
	var o optpreview.Options
	for _, opt := range opts {
		opt.ApplyOption(&o)
	}
	return auto.PreviewResult{}, f.run(ctx, "preview", o.EventStreams, f.previewEvents, f.previewErr)
}

func (f *fakeStack) Up(ctx context.Context, opts ...optup.Option) (auto.UpResult, error) {
	var o optup.Options
	for _, opt := range opts {
		opt.ApplyOption(&o)
	}
	f.upOpts = o
	err := f.run(ctx, "up", o.EventStreams, f.upEvents, f.upErr)
	return auto.UpResult{Outputs: f.outputs}, err
}

func (f *fakeStack) Destroy(ctx context.Context, opts ...optdestroy.Option) (auto.DestroyResult, error) {
	var o optdestroy.Options
	for _, opt := range opts {
		opt.ApplyOption(&o)
	}
	f.desOpts = o
	return auto.DestroyResult{}, f.run(ctx, "destroy", o.EventStreams, f.destroyEvents, f.destroyErr)
}

func (f *fakeStack) Refresh(ctx context.Context, opts ...optrefresh.Option) (auto.RefreshResult, error) {
	var o optrefresh.Options
	for _, opt := range opts {
		opt.ApplyOption(&o)
	}
	f.refOpts = o
	return auto.RefreshResult{}, f.run(ctx, "refresh", o.EventStreams, f.refreshEvents, f.refreshErr)
}

func (f *fakeStack) Outputs(context.Context) (auto.OutputMap, error) {
	f.record("outputs")
	return f.outputs, f.outputsErr
}

func (f *fakeStack) Cancel(context.Context) error {
	f.record("cancel")
	return nil
}

func (f *fakeStack) Info(context.Context) (auto.StackSummary, error) {
	f.record("info")
	return auto.StackSummary{Name: f.name}, nil
}

func (f *fakeStack) History(_ context.Context, _, _ int, opts ...opthistory.Option) ([]auto.UpdateSummary, error) {
	var o opthistory.Options
	for _, opt := range opts {
		opt.ApplyOption(&o)
	}
	if o.ShowSecrets == nil || *o.ShowSecrets {
		return nil, errors.New("history asked for secrets")
	}
	f.record("history")
	return f.history, nil
}

func (f *fakeStack) Export(context.Context) (apitype.UntypedDeployment, error) {
	f.record("export")
	b, err := json.Marshal(apitype.DeploymentV3{Resources: f.resources, PendingOperations: f.pending})
	return apitype.UntypedDeployment{Version: 3, Deployment: b}, err
}

func (f *fakeStack) Import(_ context.Context, dep apitype.UntypedDeployment) error {
	f.record("import")
	var d apitype.DeploymentV3
	if err := json.Unmarshal(dep.Deployment, &d); err != nil {
		return err
	}
	f.imported = &d
	return nil
}

// Engine events.
func pre(op apitype.OpType, typ, name string, keys ...string) events.EngineEvent {
	urn := "urn:pulumi:prod::focusdeck::" + typ + "::" + name
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{
		Metadata: apitype.StepEventMetadata{Op: op, URN: urn, Type: typ, Keys: keys, Diffs: keys},
	}}}
}

func summary(ops map[apitype.OpType]int) events.EngineEvent {
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{SummaryEvent: &apitype.SummaryEvent{ResourceChanges: ops}}}
}

func diag(severity, msg string) events.EngineEvent {
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{DiagnosticEvent: &apitype.DiagnosticEvent{Severity: severity, Message: msg}}}
}

const (
	typeDroplet = "digitalocean:index/droplet:Droplet"
	typeCluster = "digitalocean:index/databaseCluster:DatabaseCluster"
	typeVPC     = "digitalocean:index/vpc:Vpc"
)

// testProject writes a project directory holding the focusdeck example's
// prod stack, its secrets set (the committed file holds placeholders,
// which preview and up refuse), and a dev copy of it (environment dev).
func testProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "..", "examples", "focusdeck", "Pulumi.prod.yaml")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	prod := stacktest.SetSecrets(t, string(b))
	dev := strings.NewReplacer("infra:environment: prod", "infra:environment: dev", "infra:class: production", "infra:class: development").Replace(prod)
	files := map[string]string{
		"Pulumi.yaml":      "name: focusdeck\nruntime: go\n",
		"Pulumi.prod.yaml": prod,
		"Pulumi.dev.yaml":  dev,
		"Pulumi.waived.yaml": prod + "  infra:policy:\n    waivers:\n" +
			"      - { rule: stateful-replace, resource: web, reason: the droplet is cattle and its state lives in the managed database }\n",
		"Pulumi.bad.yaml": "config:\n  infra:environment: dev\n  infra:topology: moon\n  infra:region: nowhere\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// ran is the outcome of one command run against a fake.
type ran struct {
	code           int
	err            error
	stdout, stderr string
}

// runWith runs one command built by build (a NewCmdX with a runF that
// injects the fake) with args, and returns its exit code and output.
// Stdin is not a terminal.
func runWith(ctx context.Context, t *testing.T, build func(*IO) *cobra.Command, args ...string) ran {
	t.Helper()
	return runAt(ctx, t, false, "", build, args...)
}

// runAt is runWith with input on stdin, which passes for a terminal when
// terminal is set.
func runAt(ctx context.Context, t *testing.T, terminal bool, input string, build func(*IO) *cobra.Command, args ...string) ran {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := &IO{
		In: strings.NewReader(input), Out: &out, ErrOut: &errOut,
		IsTerminal: func() bool { return terminal }, Getenv: func(string) string { return "" },
	}
	err := execute(ctx, streams, build, args...)
	return ran{code: ExitCode(err), err: err, stdout: out.String(), stderr: errOut.String()}
}

// execute runs one command under a root, as main would, on streams.
func execute(ctx context.Context, streams *IO, build func(*IO) *cobra.Command, args ...string) error {
	root := &cobra.Command{Use: "infra", SilenceErrors: true, SilenceUsage: true}
	root.AddCommand(build(streams))
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	return root.ExecuteContext(ctx)
}

// opener returns a StackOpener handing out f.
func opener(f *fakeStack) StackOpener {
	return func(_ context.Context, req StackRequest) (Stack, error) {
		f.name = req.Project.Stack
		return f, nil
	}
}
