package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at release time: -ldflags "-X infra/internal/cli.version=v1.2.3"
// (.github/workflows/release.yml). A build from source reports the commit.
var version = ""

// VersionInfo is what `infra version --json` prints.
type VersionInfo struct {
	Version string `json:"version"`
	// Commit is the source revision, with "-dirty" for uncommitted changes.
	Commit string `json:"commit,omitempty"`
	Go     string `json:"go"`
	// PulumiSDK is the Pulumi SDK this binary was built with; the pulumi CLI
	// it drives should be the same version.
	PulumiSDK string `json:"pulumiSdk,omitempty"`
	Platform  string `json:"platform"`
}

func versionInfo() VersionInfo {
	v := VersionInfo{Version: version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if v.Version == "" {
		v.Version = info.Main.Version
	}
	var dirty bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && v.Commit != "" {
		v.Commit += "-dirty"
	}
	for _, d := range info.Deps {
		if d.Path == "github.com/pulumi/pulumi/sdk/v3" {
			v.PulumiSDK = d.Version
		}
	}
	return v
}

// NewCmdVersion builds `infra version`.
func NewCmdVersion(streams *IO) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of infra and of the Pulumi SDK it was built with",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := versionInfo()
			if asJSON {
				return writeJSON(streams.Out, v)
			}
			fmt.Fprintf(streams.Out, "infra %s", v.Version)
			if v.Commit != "" {
				fmt.Fprintf(streams.Out, " (%s)", v.Commit)
			}
			fmt.Fprintf(streams.Out, " %s %s\n", v.Go, v.Platform)
			if v.PulumiSDK != "" {
				fmt.Fprintf(streams.Out, "built with the Pulumi SDK %s: use the pulumi CLI of the same version\n", v.PulumiSDK)
			}
			return nil
		},
	}
	addJSONFlag(cmd, &asJSON, "the versions")
	return cmd
}
