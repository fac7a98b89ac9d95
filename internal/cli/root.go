// Package cli is the infra command line: the offline plan, and the
// Automation API commands that drive the Pulumi engine.
package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// IO is where commands read and write; passed in, never global.
type IO struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// IsTerminal says whether In is a terminal a question can be asked on
	// (nil: In is checked; tests fake a terminal with it).
	IsTerminal func() bool
	// Getenv reads the environment (os.Getenv in main, a map in tests).
	Getenv func(string) string
}

func (s *IO) getenv(key string) string {
	if s.Getenv == nil {
		return ""
	}
	return s.Getenv(key)
}

// NewRootCmd builds the whole command tree.
func NewRootCmd(streams *IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "infra",
		Short: "Deploy a multi-service application to DigitalOcean with Pulumi",
		Long: `infra deploys an application's services, databases, TLS edge and monitoring
to DigitalOcean, on one Droplet (topology vps) or on Kubernetes (topology
kubernetes), from one typed config per stack (Pulumi.<stack>.yaml).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.AddCommand(
		NewCmdPlan(streams, nil),
		NewCmdDiff(streams, nil),
		NewCmdValidate(streams, nil),
		NewCmdTemplate(streams, nil),
		NewCmdInit(streams, nil),
		NewCmdPreview(streams, nil),
		NewCmdUp(streams, nil),
		NewCmdRefresh(streams, nil),
		NewCmdDestroy(streams, nil),
		NewCmdRollback(streams, nil),
		NewCmdLogs(streams, nil),
		NewCmdSSH(streams, nil),
		NewCmdExec(streams, nil),
		NewCmdRotate(streams, nil),
		NewCmdOutputs(streams, nil),
		NewCmdStatus(streams, nil),
		NewCmdHealth(streams, nil),
		NewCmdRestoreDrill(streams, nil),
		NewCmdCost(streams, nil),
		NewCmdGraph(streams, nil),
		NewCmdVersions(streams, nil),
		NewCmdVersion(streams),
	)
	return root
}

// Main runs the CLI and returns the process exit code. Ctrl-C (or
// SIGTERM) cancels the command's context: an engine operation then stops
// cleanly and the command exits 130.
func Main(args []string, streams *IO) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return MainContext(ctx, args, streams)
}

// MainContext is Main with the caller's context (tests cancel it).
func MainContext(ctx context.Context, args []string, streams *IO) int {
	root := NewRootCmd(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && !isExitError(err) && isUsageError(err) {
		err = &ExitError{Code: ExitUsage, Err: err}
	}
	return reportError(streams.ErrOut, err)
}
