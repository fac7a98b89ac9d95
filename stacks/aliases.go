package stacks

// The config types live in stacks/config (free of the Pulumi SDK, so the
// loader can be fuzzed); these aliases let the program speak of them plainly.

import (
	"encoding/json"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/stacks/config"
)

type (
	Topology          = config.Topology
	Config            = config.Config
	Network           = config.Network
	Database          = config.Database
	MaintenanceWindow = config.MaintenanceWindow
	DatabaseEntry     = config.DatabaseEntry
	Pool              = config.Pool
	Role              = config.Role
	Service           = config.Service
	Route             = config.Route
	Connection        = config.Connection
	Resources         = config.Resources
	Autoscale         = config.Autoscale
	Metrics           = config.Metrics
	Volume            = config.Volume
	Job               = config.Job
	CronJob           = config.CronJob
	Cluster           = config.Cluster
	NodePool          = config.NodePool
	Taint             = config.Taint
	VPS               = config.VPS
	Ingress           = config.Ingress
	RateLimit         = config.RateLimit
	Monitoring        = config.Monitoring
	Alert             = config.Alert
	Receivers         = config.Receivers
	Policy            = config.Policy
	Waiver            = config.Waiver
	Problem           = config.Problem
	ConfigError       = config.ConfigError
	Raw               = config.Raw
)

// The topologies and config constants.
const (
	TopologyVPS        = config.TopologyVPS
	TopologyKubernetes = config.TopologyKubernetes
	Namespace          = config.Namespace
	SecretsKey         = config.SecretsKey
)

// StackFile is the path of a stack's config file in a project directory.
func StackFile(dir, stack string) string { return config.StackFile(dir, stack) }

// ReadFile reads the `infra:` keys of a stack file (see config.ReadFile).
func ReadFile(path string) (*Raw, error) { return config.ReadFile(path) }

// Parse types and validates raw config (see config.Parse).
func Parse(raw *Raw) (*Config, error) { return config.Parse(raw) }

// FromContext reads the `infra:` keys a Pulumi program was given. Keys are
// looked up by name (the SDK cannot list them); when the language host
// passes the whole config in PULUMI_CONFIG, unknown keys are reported too.
func FromContext(ctx *pulumi.Context, env func(string) string) *Raw {
	raw := &Raw{Source: "stack " + ctx.Stack(), Values: map[string]any{}}
	fields := config.TopLevelKeys()
	for name, isString := range fields {
		full := Namespace + ":" + name
		v, ok := ctx.GetConfig(full)
		if !ok {
			continue
		}
		raw.Values[name] = config.DecodeValue(v, isString)
		if name == SecretsKey && !ctx.IsConfigSecret(full) {
			raw.SecretsArePlain = append(raw.SecretsArePlain, Namespace+":"+SecretsKey)
		}
	}
	if all := env("PULUMI_CONFIG"); all != "" {
		var m map[string]string
		if json.Unmarshal([]byte(all), &m) == nil {
			for k := range m {
				ns, rest, _ := strings.Cut(k, ":")
				if _, known := fields[rest]; ns == Namespace && !known {
					raw.Problems = append(raw.Problems, Problem{Path: k, Message: "unknown key"})
				}
			}
		}
	}
	return raw
}

// ParseStackFile reads the `infra:` keys of stack file bytes (see config.ParseStackFile).
func ParseStackFile(name string, data []byte) (*Raw, error) { return config.ParseStackFile(name, data) }

// LoadFile reads and validates a stack file (see config.LoadFile).
func LoadFile(path string) (*Config, *Raw, error) { return config.LoadFile(path) }

// DefaultBackupRetentionDays is how long backups are kept (see config).
const DefaultBackupRetentionDays = config.DefaultBackupRetentionDays
