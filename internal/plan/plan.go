// Package plan is an offline plan of a stack: every resource the program
// declares (type, name, parent, inputs with secrets masked, dependencies),
// its outputs and the files it renders, as the cost, policy and graph views
// read it and as plan.json is written. internal/planner makes one by running
// the program; this package imports neither the program nor the Pulumi SDK,
// so what reads a plan does not link every component.
package plan

import (
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
	// SecretDigests holds, by input path (JoinPath), a digest of each
	// masked input, so that two plans tell a changed secret from an
	// unchanged one without either holding its value (see
	// internal/planner's digest for why a digest is safe here).
	SecretDigests map[string]string `json:"secretDigests,omitempty"`
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
	// Generated are the secret values the mocks generated (passwords):
	// nothing the plan prints or writes may contain them.
	Generated []string `json:"-"`
}

// Key orders resources: by parent, type and name.
func (r Resource) Key() string { return r.Parent + "|" + r.Type + "|" + r.Name }
