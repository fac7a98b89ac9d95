package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/opthistory"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// unreadable reports whether the engine said a stack's state (its
// checkpoint) cannot be read: "failed to load checkpoint" when an
// operation loads it (pkg/backend/diy), "could not list stacks" with the
// JSON error when `stack ls` reads every checkpoint to summarise it.
func unreadable(msg string) bool {
	return strings.Contains(msg, "failed to load checkpoint") ||
		strings.Contains(msg, "could not list stacks") && strings.Contains(msg, "JSON")
}

// stateChecked is a Stack whose operations, when the state cannot be read,
// fail saying where the state is and how to get it back, instead of with
// the engine's parse error alone.
type stateChecked struct {
	Stack
	project, stack, backendURL string
}

// checkState wraps s. backendURL is PULUMI_BACKEND_URL ("" = Pulumi Cloud).
func checkState(s Stack, project, stack, backendURL string) Stack {
	return &stateChecked{Stack: s, project: project, stack: stack, backendURL: backendURL}
}

// stateRecovery says where a stack's state lives, what is wrong with it
// when that can be seen, and how to restore it. A file backend
// (pkg/backend/diy, on gocloud.dev's fileblob) keeps the state in
// .pulumi/stacks/<project>/<stack>.json with its metadata in a .json.attrs
// file beside it, the version before the last write as .json.bak, and a
// copy of the state after each update in .pulumi/backups/<project>/<stack>/
// (unless PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS is set).
func stateRecovery(project, stack, backendURL string) string {
	u, err := url.Parse(backendURL)
	if backendURL == "" || err != nil || u.Scheme != "file" {
		return fmt.Sprintf("the backend (%s) keeps every version of the state: find the last good one in its history "+
			"(Pulumi Cloud: the stack's Activity, \"Download checkpoint\"), then `pulumi stack import --stack %s --file <checkpoint.json>`, "+
			"then `infra refresh --stack %s` to reconcile it with the cloud", backendLabel(backendURL), stack, stack)
	}
	root := u.Path
	if strings.HasPrefix(root, "/~") || u.Host == "~" {
		if home, err := os.UserHomeDir(); err == nil {
			root = filepath.Join(home, strings.TrimPrefix(root, "/~"))
		}
	}
	state := filepath.Join(root, ".pulumi", "stacks", project, stack+".json")
	backups := filepath.Join(root, ".pulumi", "backups", project, stack)
	diagnosis := ""
	// A write cut short (a killed engine) can leave the state or its
	// metadata empty or half-written: say which, so the fix is the right one.
	if b, err := os.ReadFile(state + ".attrs"); err == nil && !json.Valid(b) {
		diagnosis += fmt.Sprintf("  its metadata file %s.attrs is damaged (%d bytes, not JSON; a write was cut short): delete it, the state itself may be intact\n", state, len(b))
	}
	if b, err := os.ReadFile(state); err == nil && !json.Valid(b) {
		diagnosis += fmt.Sprintf("  the state file itself is damaged (%d bytes, not JSON)\n", len(b))
	}
	return fmt.Sprintf("state file: %s (possibly .json.gz)\n%s  the version before the last write: %s.bak; every earlier one: %s/ (the backups the file backend keeps)\n"+
		"  to recover: copy the newest of those that reads (`jq . FILE`) over the state file (they are checkpoints, not the "+
		"`pulumi stack export` format `pulumi stack import` takes), then run `infra refresh --stack %s` to reconcile it with the cloud", state, diagnosis, state, backups, stack)
}

func backendLabel(u string) string {
	if u == "" {
		return "Pulumi Cloud"
	}
	return u
}

func (c *stateChecked) check(err error) error {
	return stateError(c.project, c.stack, c.backendURL, err)
}

// stateError turns the engine's "cannot read the checkpoint" into an error
// that names the state file, what is damaged and the way back; other
// errors pass unchanged.
func stateError(project, stack, backendURL string, err error) error {
	if err == nil || !unreadable(err.Error()) {
		return err
	}
	// The cause is the engine's last line that names the parse error.
	cause := "unreadable"
	for _, line := range strings.Split(err.Error(), "\n") {
		if strings.Contains(line, "JSON") || strings.Contains(line, "checkpoint") {
			cause = strings.TrimSpace(line)
			for _, prefix := range []string{"stderr:", "error:"} {
				cause = strings.TrimSpace(strings.TrimPrefix(cause, prefix))
			}
		}
	}
	return &ExitError{Code: ExitFailure, Err: fmt.Errorf("the state of stack %s cannot be read (%s); nothing was run.\n  %s", stack, cause, stateRecovery(project, stack, backendURL))}
}

func (c *stateChecked) Preview(ctx context.Context, opts ...optpreview.Option) (auto.PreviewResult, error) {
	r, err := c.Stack.Preview(ctx, opts...)
	return r, c.check(err)
}

func (c *stateChecked) Up(ctx context.Context, opts ...optup.Option) (auto.UpResult, error) {
	r, err := c.Stack.Up(ctx, opts...)
	return r, c.check(err)
}

func (c *stateChecked) Destroy(ctx context.Context, opts ...optdestroy.Option) (auto.DestroyResult, error) {
	r, err := c.Stack.Destroy(ctx, opts...)
	return r, c.check(err)
}

func (c *stateChecked) Refresh(ctx context.Context, opts ...optrefresh.Option) (auto.RefreshResult, error) {
	r, err := c.Stack.Refresh(ctx, opts...)
	return r, c.check(err)
}

func (c *stateChecked) Outputs(ctx context.Context) (auto.OutputMap, error) {
	r, err := c.Stack.Outputs(ctx)
	return r, c.check(err)
}

func (c *stateChecked) Info(ctx context.Context) (auto.StackSummary, error) {
	r, err := c.Stack.Info(ctx)
	return r, c.check(err)
}

func (c *stateChecked) History(ctx context.Context, pageSize, page int, opts ...opthistory.Option) ([]auto.UpdateSummary, error) {
	r, err := c.Stack.History(ctx, pageSize, page, opts...)
	return r, c.check(err)
}

func (c *stateChecked) Export(ctx context.Context) (apitype.UntypedDeployment, error) {
	r, err := c.Stack.Export(ctx)
	return r, c.check(err)
}

func (c *stateChecked) Import(ctx context.Context, state apitype.UntypedDeployment) error {
	return c.check(c.Stack.Import(ctx, state))
}
