// Package plan runs the stack program offline, through the Pulumi SDK's mock
// monitor (internal/mockmonitor): no cloud account, no Pulumi CLI, no engine. It records every
// resource the program declares (type, name, parent, inputs with secrets
// masked, dependencies) and what the program renders, for review and for
// the cost, policy and graph views.
package plan

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"infra/internal/mockmonitor"
	"infra/stacks"
	"infra/stacks/config"
)

// Resource is one declared resource.
type Resource struct {
	URN          string         `json:"urn"`
	Type         string         `json:"type"`
	Name         string         `json:"name"`
	ID           string         `json:"id,omitempty"`
	Custom       bool           `json:"custom"`
	Parent       string         `json:"parent,omitempty"`
	Provider     string         `json:"provider,omitempty"`
	Protect      bool           `json:"protect,omitempty"`
	DeletedWith  string         `json:"deletedWith,omitempty"`
	Dependencies []string       `json:"dependencies,omitempty"`
	Inputs       map[string]any `json:"inputs"`
}

// Plan is the offline result of running a stack's program.
type Plan struct {
	Project string `json:"project"`
	Stack   string `json:"stack"`
	// Simulated is always true: outputs come from mocks, not the cloud.
	Simulated bool       `json:"simulated"`
	Resources []Resource `json:"resources"`
	// Outputs are the stack outputs with secrets masked.
	Outputs map[string]any `json:"outputs"`
	// Artifacts are the rendered files, by relative path (secrets masked).
	Artifacts map[string]string `json:"-"`
	// Config is the validated config the program ran with.
	Config *config.Config `json:"-"`

	generated []string
}

// GeneratedSecrets are the secret values the mocks generated (passwords);
// nothing the plan prints or writes may contain them.
func (p *Plan) GeneratedSecrets() []string { return p.generated }

// Option adjusts a run.
type Option func(*options)

type options struct {
	inspect func(*pulumi.Context, *stacks.Deployment) error
}

// WithInspect runs f inside the program after Deploy, so tests can await
// outputs (internals.UnsafeAwaitOutput) while the mock monitor is live.
func WithInspect(f func(*pulumi.Context, *stacks.Deployment) error) Option {
	return func(o *options) { o.inspect = f }
}

// Run plans a stack from its raw config. A config error comes back as
// *stacks.ConfigError before anything is declared.
func Run(project, stack string, raw *config.Raw, opts ...Option) (*Plan, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := config.Parse(raw)
	if err != nil {
		return nil, err
	}
	conf, secretKeys, err := raw.PulumiConfig()
	if err != nil {
		return nil, err
	}
	mon := mockmonitor.New(project, stack)
	p := &Plan{Project: project, Stack: stack, Simulated: true, Outputs: map[string]any{}, Artifacts: map[string]string{}, Config: cfg}
	program := func(ctx *pulumi.Context) error {
		d, err := stacks.Deploy(ctx, cfg)
		if err != nil {
			return err
		}
		for k, v := range d.Outputs {
			ctx.Export(k, v)
			val, err := await(ctx.Context(), pulumi.ToOutput(v))
			if err != nil {
				return fmt.Errorf("output %s: %w", k, err)
			}
			p.Outputs[k] = val
		}
		for path, content := range d.Artifacts {
			val, err := await(ctx.Context(), content)
			if err != nil {
				return fmt.Errorf("artifact %s: %w", path, err)
			}
			s, ok := val.(string)
			if !ok {
				s = Masked
			}
			p.Artifacts[path] = s
		}
		if o.inspect != nil {
			return o.inspect(ctx, d)
		}
		return nil
	}
	err = pulumi.RunErr(program, pulumi.WithMocks(project, stack, mon), func(ri *pulumi.RunInfo) {
		ri.Config = conf
		ri.ConfigSecretKeys = secretKeys
	})
	if err != nil {
		return nil, fmt.Errorf("plan stack %s: %w", stack, err)
	}
	for _, r := range mon.Resources() {
		p.Resources = append(p.Resources, fromMonitor(r))
	}
	sort.SliceStable(p.Resources, func(i, j int) bool { return p.Resources[i].urnKey() < p.Resources[j].urnKey() })
	p.generated = mon.Generated()
	return p, nil
}

// fromMonitor is a recorded resource as a plan shows it: secrets masked,
// the provider by URN alone.
func fromMonitor(r mockmonitor.Resource) Resource {
	return Resource{
		URN:          r.URN,
		Type:         r.Type,
		Name:         r.Name,
		ID:           r.ID,
		Custom:       r.Custom,
		Parent:       r.Parent,
		Provider:     providerURN(r.Provider),
		Protect:      r.Protect,
		DeletedWith:  r.DeletedWith,
		Dependencies: r.Dependencies,
		Inputs:       maskProperties(r.Inputs),
	}
}

// providerURN strips the id from a provider reference ("urn::id").
func providerURN(ref string) string {
	if i := strings.LastIndex(ref, "::"); i > 0 {
		return ref[:i]
	}
	return ref
}

func (r Resource) urnKey() string { return r.Parent + "|" + r.Type + "|" + r.Name }

// await resolves an output, masking it when secret.
func await(ctx context.Context, o pulumi.Output) (any, error) {
	res, err := internals.UnsafeAwaitOutput(ctx, o)
	if err != nil {
		return nil, err
	}
	switch {
	case res.Secret:
		return Masked, nil
	case !res.Known:
		return Unknown, nil
	}
	return res.Value, nil
}
