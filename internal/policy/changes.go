package policy

import (
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"infra/internal/dotype"
	"infra/stacks/config"
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
	// Keys are the properties that force the replacement (the engine's
	// replaceKeys), or else those that differ; they explain a finding.
	Keys []string `json:"keys,omitempty"`
}

// ChangeOptions are the explicit flags of an update.
type ChangeOptions struct {
	// AllowReplace lets stateful resources be replaced in this run (the
	// CLI's --allow-replace). Waivers in the stack file apply as well.
	AllowReplace bool
}

// statefulTypes lose data or addresses when replaced. The Kubernetes
// objects are replaced by the Kubernetes provider when an immutable field
// changes (a Service's clusterIP or type-bound fields, a Deployment's or
// StatefulSet's selector, a claim's storage class); the program names
// them, so the provider deletes the old object before creating the new one
// (deleteBeforeReplace): the Service's address changes and the workload
// has no pod in between.
var statefulTypes = map[string]string{
	dotype.KubernetesCluster:                   "Kubernetes cluster",
	dotype.DatabaseCluster:                     "database cluster",
	dotype.Droplet:                             "Droplet",
	"kubernetes:core/v1:Service":               "Kubernetes Service",
	"kubernetes:apps/v1:Deployment":            "Kubernetes Deployment",
	"kubernetes:apps/v1:StatefulSet":           "Kubernetes StatefulSet",
	"kubernetes:core/v1:PersistentVolumeClaim": "Kubernetes PersistentVolumeClaim",
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
func EvaluateChanges(changes []Change, cfg *config.Config, opts ChangeOptions) Report {
	fs := &findings{}
	// A firewall deleted in the same update as a database cluster goes with
	// it (a destroy, or the component's removal): nothing is left open.
	clusterDeleted := false
	for _, c := range changes {
		// A replaced cluster goes too: its firewall is replaced with it.
		if c.Type == dotype.DatabaseCluster && (c.Op == apitype.OpDelete || replaceOps[c.Op]) {
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
			because := ""
			if keys := changeKeys(changes, c.URN); len(keys) > 0 {
				because = " (because " + strings.Join(keys, ", ") + " changed)"
			}
			fs.add(RuleStatefulReplace, c.URN, name, "%s %s%s would be REPLACED (deleted, then created anew): its data, disks and address are lost; revert the change that forces it, or rerun with --allow-replace if that is intended", what, name, because)
		}
		if c.Type == dotype.DatabaseFirewall && (c.Op == apitype.OpDelete || replaceOps[c.Op]) && !clusterDeleted {
			reported[c.URN] = true
			what := "replaced"
			if c.Op == apitype.OpDelete {
				what = "deleted"
			}
			fs.add(RuleDatabasePublic, c.URN, name, "the database firewall %s would be %s while its cluster stays: the cluster is open to every address meanwhile", name, what)
		}
	}
	return apply(fs.list, waiversOf(cfg))
}

// changeKeys are the keys of every change to urn, sorted, once each.
func changeKeys(changes []Change, urn string) []string {
	seen := map[string]bool{}
	var keys []string
	for _, c := range changes {
		if c.URN != urn {
			continue
		}
		for _, k := range c.Keys {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

func urnName(urn string) string {
	for i := len(urn) - 2; i >= 0; i-- {
		if urn[i:i+2] == "::" {
			return urn[i+2:]
		}
	}
	return urn
}
