// Package planner makes an offline plan (internal/plan) by running the stack
// program through the Pulumi SDK's mock monitor (internal/mockmonitor): no
// cloud account, no Pulumi CLI, no engine.
package planner

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"infra/internal/mockmonitor"
	"infra/internal/plan"
	"infra/stacks"
	"infra/stacks/config"
)

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
func Run(project, stack string, raw *config.Raw, opts ...Option) (*plan.Plan, error) {
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
	p := &plan.Plan{Project: project, Stack: stack, Simulated: true, Outputs: map[string]any{}, Artifacts: map[string]string{}, Config: cfg}
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
				s = plan.Masked
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
	sort.SliceStable(p.Resources, func(i, j int) bool { return p.Resources[i].Key() < p.Resources[j].Key() })
	p.Generated = mon.Generated()
	return p, nil
}

// fromMonitor is a recorded resource as a plan shows it: secrets masked,
// the provider by URN alone.
func fromMonitor(r mockmonitor.Resource) plan.Resource {
	inputs, digests := maskInputs(r.Inputs)
	return plan.Resource{
		URN:           r.URN,
		Type:          r.Type,
		Name:          r.Name,
		ID:            r.ID,
		Custom:        r.Custom,
		Parent:        r.Parent,
		Provider:      providerURN(r.Provider),
		Protect:       r.Protect,
		DeletedWith:   r.DeletedWith,
		Dependencies:  r.Dependencies,
		Inputs:        inputs,
		SecretDigests: digests,
	}
}

// providerURN strips the id from a provider reference ("urn::id").
func providerURN(ref string) string {
	if i := strings.LastIndex(ref, "::"); i > 0 {
		return ref[:i]
	}
	return ref
}

// await resolves an output, masking it when secret.
func await(ctx context.Context, o pulumi.Output) (any, error) {
	res, err := internals.UnsafeAwaitOutput(ctx, o)
	if err != nil {
		return nil, err
	}
	switch {
	case res.Secret:
		return plan.Masked, nil
	case !res.Known:
		return plan.Unknown, nil
	}
	return res.Value, nil
}
