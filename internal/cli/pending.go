package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// PendingOp is an operation the engine started on a resource and never saw
// finish: the update was killed (kill -9, a lost runner) or cancelled
// (`pulumi cancel`) while the provider was working. The state keeps it in
// its pending_operations.
type PendingOp struct {
	URN  string `json:"urn"`
	Type string `json:"type"`
	// Op is the engine's word for it: creating, updating, deleting, reading, importing.
	Op string `json:"op"`
}

// pendingCreate is the pending operation that matters: the provider may
// have created the resource, but the state does not hold it, so the next
// update would create it a second time (a second database cluster).
const pendingCreate = string(apitype.OperationTypeCreating)

func (s *state) pending() []PendingOp {
	out := make([]PendingOp, 0, len(s.PendingOperations))
	for _, op := range s.PendingOperations {
		out = append(out, PendingOp{URN: string(op.Resource.URN), Type: string(op.Resource.Type), Op: string(op.Type)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].URN < out[j].URN })
	return out
}

func pendingCreates(ops []PendingOp) []PendingOp {
	var out []PendingOp
	for _, op := range ops {
		if op.Op == pendingCreate {
			out = append(out, op)
		}
	}
	return out
}

// refusePending stops preview and up while creates are pending, and says
// how to resolve them. The engine itself would only warn and go on, and
// create the resource again.
func refusePending(ctx context.Context, s Stack, stack, doing string) error {
	st, err := readState(ctx, s)
	if err != nil {
		return classify(err, stack, "read state")
	}
	creates := pendingCreates(st.pending())
	if len(creates) == 0 {
		return nil
	}
	return &ExitError{Code: ExitPending, Err: fmt.Errorf("%s: %s", doing, pendingMessage(stack, creates))}
}

// pendingMessage explains pending creates and the two ways out.
func pendingMessage(stack string, creates []PendingOp) string {
	var b strings.Builder
	fmt.Fprintf(&b, "stack %s has %d pending create(s) left by an interrupted update (killed, or cancelled while a resource was being created):\n", stack, len(creates))
	for _, op := range creates {
		fmt.Fprintf(&b, "  - %s (%s)\n", op.URN, op.Type)
	}
	b.WriteString(strings.Join(pendingFix(stack), "\n"))
	return b.String()
}

// pendingFix is how to resolve pending creates, one line each.
func pendingFix(stack string) []string {
	return []string{
		"Each may exist in the cloud without being in the state; another update would create it a second time.",
		"Look for each (DigitalOcean console, `doctl`), then in one refresh:",
		fmt.Sprintf("  infra refresh --stack %s --import-pending-create '<urn>=<id>' ... --clear-pending-creates", stack),
		"  adopts each one that exists with its cloud ID (one --import-pending-create each) and drops the others (the next up creates them).",
	}
}

// parseImports reads --import-pending-create values: URN=ID each.
func parseImports(pairs []string) (map[string]string, error) {
	ids := map[string]string{}
	for _, p := range pairs {
		urn, id, ok := strings.Cut(p, "=")
		if !ok || !strings.HasPrefix(urn, "urn:pulumi:") || id == "" {
			return nil, usageError("--import-pending-create %q: write URN=ID (the URN as `infra status` lists it, the ID the cloud gave the resource)", p)
		}
		ids[urn] = id
	}
	return ids, nil
}

// undecided refuses a refresh that would drop pending creates nobody
// decided on (the engine's refresh drops them all), and imports of URNs
// that are not pending creates.
func undecided(stack string, creates []PendingOp, ids map[string]string, clear bool) error {
	pending := map[string]bool{}
	var left []PendingOp
	for _, op := range creates {
		pending[op.URN] = true
		if _, adopted := ids[op.URN]; !adopted {
			left = append(left, op)
		}
	}
	var unknown []string
	for urn := range ids {
		if !pending[urn] {
			unknown = append(unknown, urn)
		}
	}
	sort.Strings(unknown)
	switch {
	case len(unknown) > 0:
		return usageError("not a pending create of this stack: %s (`infra status` lists them)", strings.Join(unknown, ", "))
	case len(left) > 0 && !clear:
		return &ExitError{Code: ExitPending, Err: fmt.Errorf("refresh would drop them without a trace: %s", pendingMessage(stack, left))}
	}
	return nil
}

// importPendingCreates adopts pending creates that exist in the cloud
// (urn=id, all of them pending creates: see undecided): each moves from the state's pending operations into its
// resources with the given ID, and the refresh that follows reads its real
// state from the provider by that ID. The deployment is edited through
// export and import, the backend's own interface. (The engine drops a
// pending create turned into a pending import when the next operation
// ends, so `pulumi refresh --import-pending-creates` is not enough.) A
// pending create's parent, provider and dependencies were all created
// before it, so the resource goes last in the list.
// st is the state as read before (undecided has checked ids against it).
func importPendingCreates(ctx context.Context, s Stack, st *state, ids map[string]string) error {
	dep := st.exported
	var d apitype.DeploymentV3
	if err := json.Unmarshal(dep.Deployment, &d); err != nil {
		return fmt.Errorf("decode the stack's state: %w", err)
	}
	var left []apitype.OperationV2
	for _, op := range d.PendingOperations {
		id, ok := ids[string(op.Resource.URN)]
		if !ok || op.Type != apitype.OperationTypeCreating {
			left = append(left, op)
			continue
		}
		r := op.Resource
		r.ID = resource.ID(id)
		d.Resources = append(d.Resources, r)
	}
	d.PendingOperations = left
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode the stack's state: %w", err)
	}
	dep.Deployment = b
	return s.Import(ctx, dep)
}
