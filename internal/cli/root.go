// Package cli is the infra command line: the offline plan, and the
// Automation API commands that drive the Pulumi engine.
package cli

import (
	"io"

	"github.com/spf13/cobra"
)

// IO is where commands read and write; passed in, never global.
type IO struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// Getenv reads the environment (os.Getenv in main, a map in tests).
	Getenv func(string) string
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
	root.AddCommand(NewCmdPlan(streams, nil))
	root.AddCommand(NewCmdCost(streams, nil), NewCmdGraph(streams, nil))
	return root
}

// Main runs the CLI and returns the process exit code.
func Main(args []string, streams *IO) int {
	root := NewRootCmd(streams)
	root.SetArgs(args)
	err := root.Execute()
	return reportError(streams.ErrOut, err)
}
