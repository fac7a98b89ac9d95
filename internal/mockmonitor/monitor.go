// Package mockmonitor is the one pulumi.MockResourceMonitor of the
// repository: it runs a Pulumi program with no cloud and no engine, keeps
// every resource the program registers (type, name, URN, id, parent,
// options, raw inputs) and answers with plausible outputs for the provider
// types the program uses, so the program's own Apply code runs as it would
// against DigitalOcean.
//
// The offline planner (internal/plan, behind `infra plan`) and the tests'
// helpers (internal/pulumitest) both run on it, so a test sees the answers
// a plan is made from. It imports neither stacks/ nor components/, so
// their own tests can use it without an import cycle.
package mockmonitor

import (
	"fmt"
	"hash/fnv"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/dotype"
	"infra/internal/providercheck"
)

// Resource is one registered resource, as the program declared it.
type Resource struct {
	Type, Name, URN, ID string
	Custom              bool
	Parent              string
	// Provider is the provider reference as registered ("urn::id").
	Provider                string
	Protect                 bool
	DeletedWith             string
	Dependencies            []string
	IgnoreChanges           []string
	AdditionalSecretOutputs []string
	// Inputs are the raw inputs, secrets included (and marked secret).
	Inputs resource.PropertyMap
}

// Monitor is a pulumi.MockResourceMonitor that keeps every resource.
// Use New: the URNs it computes need the project and stack.
type Monitor struct {
	project, stack string

	mu        sync.Mutex
	resources []Resource
	generated []string
}

var _ pulumi.MockResourceMonitor = (*Monitor)(nil)

// New returns a monitor for a run with pulumi.WithMocks(project, stack, m).
func New(project, stack string) *Monitor {
	return &Monitor{project: project, stack: stack}
}

// Resources are the registered resources, in registration order (which
// goroutines make random: sort before comparing).
func (m *Monitor) Resources() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Resource(nil), m.resources...)
}

// Generated are the secret values the monitor made up (passwords), so
// callers can prove none of them leaks.
func (m *Monitor) Generated() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.generated...)
}

// NewResource records a resource and answers with its inputs plus the
// outputs the cloud would compute. Inputs the real provider would refuse
// fail the registration, with the property path (internal/providercheck).
func (m *Monitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if err := providercheck.CheckInputs(args.TypeToken, args.Name, args.Inputs); err != nil {
		return "", nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := Resource{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs, Provider: args.Provider}
	if rpc := args.RegisterRPC; rpc != nil {
		rec.Parent = rpc.GetParent()
		rec.Protect = rpc.GetProtect()
		rec.Dependencies = append([]string(nil), rpc.GetDependencies()...)
		rec.IgnoreChanges = rpc.GetIgnoreChanges()
		rec.AdditionalSecretOutputs = rpc.GetAdditionalSecretOutputs()
		rec.Provider = rpc.GetProvider()
		rec.DeletedWith = rpc.GetDeletedWith()
	}
	rec.URN = m.urn(rec.Parent, args.TypeToken, args.Name)
	rec.ID = id(args)
	m.resources = append(m.resources, rec)

	state := args.Inputs.Copy()
	for k, v := range m.computed(args.TypeToken, args.Name) {
		if _, set := state[k]; !set {
			state[k] = v
		}
	}
	return rec.ID, state, nil
}

// id derives a resource's id from its name, not from the order of
// registration, so two runs of one program are equal. Components have none.
func id(args pulumi.MockResourceArgs) string {
	switch {
	case !args.Custom:
		return ""
	case args.TypeToken == dotype.Droplet:
		h := fnv.New32a()
		h.Write([]byte(args.Name))
		return fmt.Sprint(DropletIDBase + h.Sum32()%100000000) // DigitalOcean droplet ids are numbers
	}
	return args.Name + "-id"
}

// Call answers the functions the program calls, after checking their
// arguments like the real provider.
func (m *Monitor) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	checker, err := providercheck.Shared()
	if err != nil {
		return nil, err
	}
	if failures, _ := checker.CheckInvoke(args.Token, args.Args); len(failures) > 0 {
		return nil, providercheck.Error(args.Token, "call", failures)
	}
	switch args.Token {
	case dotype.GetKubernetesVersions:
		return providercheck.KubernetesVersions(checker.Catalog(), args.Args), nil
	case dotype.GetLoadBalancer:
		name := fmt.Sprint(args.Args["name"].V)
		return resource.NewPropertyMapFromMap(map[string]any{"name": name, "ip": LoadBalancerIP, "status": "active"}), nil
	}
	return resource.PropertyMap{}, nil
}

// urn computes a resource's URN the way the engine does.
func (m *Monitor) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.stack), tokens.PackageName(m.project), parentType, tokens.Type(typ), name))
}
