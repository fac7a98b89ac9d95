package cli

import (
	"strings"

	"infra/internal/dotype"
)

// commandType is the remote command that ships the VPS deploy bundle.
const commandType = "command:remote:Command"

// diffReasons say, for the properties whose name alone tells a reviewer
// nothing, what their change means. The deploy command's stdin is a
// secret (it carries registry logins ahead of the bundle), so the engine
// can only name it; `infra diff` shows the rendered files that changed.
var diffReasons = map[string]map[string]string{
	commandType: {
		"stdin":      "the deploy bundle changed (compose.yaml, nginx.conf, scripts or a registry login: `infra diff` shows the files)",
		"triggers":   "the bundle's digest changed, so the deploy runs again",
		"connection": "how the deploy reaches the Droplet (address, user or key)",
		"create":     "the command that receives the bundle changed",
	},
	dotype.Droplet: {
		"userData": "cloud-init changed: the Droplet is rebuilt",
		"size":     "the Droplet is resized (it powers off meanwhile)",
		"image":    "the base image changed: the Droplet is rebuilt",
	},
}

// explainDiffs renders a step's changed properties, each with its reason
// where one is known: "stdin: the deploy bundle changed (...)".
func explainDiffs(typ string, diffs []string) string {
	parts := make([]string, len(diffs))
	for i, d := range diffs {
		parts[i] = d
		if why := diffReasons[typ][d]; why != "" {
			parts[i] = d + ": " + why
		}
	}
	return strings.Join(parts, "; ")
}
