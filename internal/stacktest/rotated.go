package stacktest

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/mockmonitor"
)

// RotatedMonitor is the mock monitor, except that one generator answers
// with a result of the test's choosing (a secret): the new value the
// replacement `infra rotate` asks the engine for gets. Type is the
// generator's type (stacks.PasswordType), Name its logical name; an empty
// Value leaves the mock's own.
type RotatedMonitor struct {
	*mockmonitor.Monitor
	Type, Name, Value string
}

// NewResource is the mock monitor's, with the generator's result replaced.
func (m *RotatedMonitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, state, err := m.Monitor.NewResource(args)
	if err == nil && m.Value != "" && args.TypeToken == m.Type && args.Name == m.Name {
		state["result"] = resource.MakeSecret(resource.NewStringProperty(m.Value))
	}
	return id, state, err
}
