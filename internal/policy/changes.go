package policy

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"infra/stacks"
)

// Change is one operation the engine plans for a resource. The CLI builds
// them from the engine's preview events: for every ResourcePreEvent,
// Change{URN: e.Metadata.URN, Type: e.Metadata.Type, Op: e.Metadata.Op}.
// Ops of a replacement (replace, create-replacement, delete-replaced, ...)
// may arrive several times for one URN; each URN is reported once.
type Change struct {
	URN  string         `json:"urn"`
	Type string         `json:"type"`
	Op   apitype.OpType `json:"op"`
}

// ChangeOptions are the explicit flags of an update.
type ChangeOptions struct {
	// AllowReplace lets stateful resources be replaced in this run (the
	// CLI's --allow-replace). Waivers in the stack file apply as well.
	AllowReplace bool
}

// statefulTypes lose data or addresses when replaced.
var statefulTypes = map[string]string{
	"digitalocean:index/kubernetesCluster:KubernetesCluster": "Kubernetes cluster",
	"digitalocean:index/databaseCluster:DatabaseCluster":     "database cluster",
	"digitalocean:index/droplet:Droplet":                     "Droplet",
}

var replaceOps = map[apitype.OpType]bool{
	apitype.OpReplace:              true,
	apitype.OpCreateReplacement:    true,
	apitype.OpDeleteReplaced:       true,
	apitype.OpDiscardReplaced:      true,
	apitype.OpImportReplacement:    true,
	apitype.OpReadReplacement:      true,
	apitype.OpRemovePendingReplace: true,
}

// EvaluateChanges checks the engine's planned operations: no stateful
// resource is replaced unless opts.AllowReplace (or a waiver of
// stateful-replace naming it), and no database firewall is deleted or
// replaced while its cluster stays (DigitalOcean opens a cluster whose
// firewall is deleted to every address). cfg gives the waivers; it may be
// nil.
func EvaluateChanges(changes []Change, cfg *stacks.Config, opts ChangeOptions) Report {
	fs := &findings{}
	// A firewall deleted in the same update as a database cluster goes with
	// it (a destroy, or the component's removal): nothing is left open.
	clusterDeleted := false
	for _, c := range changes {
		if c.Op == apitype.OpDelete && c.Type == typeDatabaseCluster {
			clusterDeleted = true
		}
	}
	reported := map[string]bool{}
	for _, c := range changes {
		if reported[c.URN] {
			continue
		}
		name := urnName(c.URN)
		if what, stateful := statefulTypes[c.Type]; stateful && replaceOps[c.Op] && !opts.AllowReplace {
			reported[c.URN] = true
			fs.add(RuleStatefulReplace, c.URN, name, "the %s would be REPLACED (deleted and created anew): its data and address are lost; rerun with --allow-replace if that is intended", what)
		}
		if c.Type == typeDatabaseFirewall && (c.Op == apitype.OpDelete || replaceOps[c.Op]) && !clusterDeleted {
			reported[c.URN] = true
			fs.add(RuleDatabasePublic, c.URN, name, "the database firewall would be %s while its cluster stays: the cluster is open to every address meanwhile", c.Op)
		}
	}
	return apply(fs.list, waiversOf(cfg))
}

func urnName(urn string) string {
	for i := len(urn) - 2; i >= 0; i-- {
		if urn[i:i+2] == "::" {
			return urn[i+2:]
		}
	}
	return urn
}
