// Package policy checks a stack's planned resources and config before
// anything is applied: databases closed to the internet, TLS on every public
// route, production safeguards, container limits and health checks, job
// queues off transaction pools, no plaintext secrets, declared egress for
// outside calls on Kubernetes, and no replacement of stateful resources
// without an explicit flag. A violation blocks; a stack
// may waive a rule with a reason (infra:policy.waivers), and every waiver is
// printed on every run.
//
// `infra plan` runs Evaluate on the offline plan; `preview` and `up` run
// Evaluate too, and EvaluateChanges on the engine's planned operations.
package policy

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"infra/internal/plan"
	"infra/stacks/config"
)

// Rule ids. They are stable: waivers and CI logs name them.
const (
	RuleDatabasePublic   = "database-public"
	RulePublicTLS        = "public-tls"
	RuleProdIssuer       = "prod-cert-issuer"
	RuleProdDatabaseHA   = "prod-database-ha"
	RuleContainerLimits  = "container-limits"
	RuleContainerHealth  = "container-health"
	RuleJobQueuePool     = "jobqueue-session-pool"
	RuleStatefulReplace  = "stateful-replace"
	RulePlaintextSecret  = "plaintext-secret"
	RuleKubernetesEgress = "kubernetes-egress"
	// RuleWaiver reports a malformed waiver; it cannot itself be waived.
	RuleWaiver = "policy-waiver"
)

// Rule is one check.
type Rule struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
}

// Rules lists every rule, in the order they are reported.
var Rules = []Rule{
	{RuleDatabasePublic, "no database is reachable from 0.0.0.0/0: every managed cluster has a database firewall with rules, none admitting the whole internet, and no firewall or Service opens a database port to it"},
	{RulePublicTLS, "every public route is served over TLS (Ingress tls, HTTPS Gateway listeners, load balancer redirects, the VPS proxy's nginx servers with certificates and port 80 redirecting to https)"},
	{RuleProdIssuer, "production uses the letsencrypt-prod certificate issuer"},
	{RuleProdDatabaseHA, "the production database has a standby node (nodeCount >= 2) and is protected from deletion"},
	{RuleContainerLimits, "every container has CPU and memory limits"},
	{RuleContainerHealth, "every container that listens on a port has a health check"},
	{RuleJobQueuePool, "a job queue's database is not behind a transaction-mode pool (advisory locks and LISTEN/NOTIFY need a session)"},
	{RuleStatefulReplace, "no Kubernetes cluster, database cluster, Droplet, Kubernetes Service, Deployment, StatefulSet or volume claim is replaced (and no database firewall deleted) without an explicit flag"},
	{RulePlaintextSecret, "no secret in plain text in resource inputs or rendered files"},
	{RuleKubernetesEgress, "on kubernetes, a service whose env names an outside http(s) URL declares egress (the namespace denies the rest)"},
	{RuleWaiver, "every waiver names a known rule and gives a reason"},
}

// Finding is one violation of a rule, or one waived violation.
type Finding struct {
	Rule string `json:"rule"`
	// Resource is what the finding is about: a URN, or a config path.
	Resource string `json:"resource"`
	// Subject is the short name a waiver's resource can use: the resource's
	// name, the service's or the database's.
	Subject string `json:"subject,omitempty"`
	Message string `json:"message"`
	// Reason is the waiver's reason, for a waived finding.
	Reason string `json:"reason,omitempty"`
}

func (f Finding) String() string {
	who := f.Subject
	if who == "" {
		who = f.Resource
	}
	return fmt.Sprintf("%s: %s: %s", f.Rule, who, f.Message)
}

// Report is the outcome of the checks.
type Report struct {
	Violations []Finding `json:"violations"`
	Waived     []Finding `json:"waived"`
	// UnusedWaivers matched nothing: probably stale, worth removing.
	UnusedWaivers []config.Waiver `json:"unusedWaivers,omitempty"`
	// Rules is how many rules were checked.
	Rules int `json:"rules"`
}

// Blocked reports whether a violation stops the change.
func (r Report) Blocked() bool { return len(r.Violations) > 0 }

// Error is a blocking report as an error.
type Error struct{ Report Report }

func (e *Error) Error() string {
	return fmt.Sprintf("policy: %d violation(s) block this change (waive one with a reason under infra:policy.waivers)", len(e.Report.Violations))
}

// Err returns an *Error when the report blocks, else nil.
func (r Report) Err() error {
	if r.Blocked() {
		return &Error{Report: r}
	}
	return nil
}

// Write prints the report for people: violations, then every waiver in use
// with its reason (printed on every run, on purpose), then stale waivers.
func (r Report) Write(w io.Writer) error {
	switch {
	case r.Blocked():
		fmt.Fprintf(w, "Policy: %d violation(s).\n", len(r.Violations))
	default:
		fmt.Fprintf(w, "Policy: %d rules passed", r.Rules)
		if len(r.Waived) > 0 {
			fmt.Fprintf(w, ", %d finding(s) waived", len(r.Waived))
		}
		fmt.Fprintln(w, ".")
	}
	for _, f := range r.Violations {
		fmt.Fprintf(w, "  VIOLATION %s\n", f)
	}
	for _, f := range r.Waived {
		fmt.Fprintf(w, "  WAIVED    %s\n            reason: %s\n", f, f.Reason)
	}
	for _, wv := range r.UnusedWaivers {
		fmt.Fprintf(w, "  unused waiver: rule %s resource %q: it matched nothing; remove it\n", wv.Rule, wv.Resource)
	}
	return nil
}

// findings collects what the checks find.
type findings struct{ list []Finding }

func (fs *findings) add(rule, resource, subject, format string, args ...any) {
	fs.list = append(fs.list, Finding{Rule: rule, Resource: resource, Subject: subject, Message: fmt.Sprintf(format, args...)})
}

func (fs *findings) resource(rule string, r plan.Resource, format string, args ...any) {
	fs.add(rule, r.URN, r.Name, format, args...)
}

// Evaluate runs every rule on a plan. The plan's Config (set when the plan
// was made in this process) adds the config checks and the waivers; a plan
// read back from JSON is checked on its resources alone.
func Evaluate(p *plan.Plan) Report {
	fs := &findings{}
	checkDatabasePublic(p, fs)
	checkPublicTLS(p, fs)
	checkProdIssuer(p, fs)
	checkProdDatabase(p, fs)
	checkContainers(p, fs)
	checkJobQueuePools(p, fs)
	checkPlaintextSecrets(p, fs)
	checkKubernetesEgress(p, fs)
	return apply(fs.list, waiversOf(p.Config))
}

func waiversOf(cfg *config.Config) []config.Waiver {
	if cfg == nil || cfg.Policy == nil {
		return nil
	}
	return cfg.Policy.Waivers
}

// minReasonLength matches the schema of infra:policy.waivers[].reason.
const minReasonLength = 10

// apply sorts findings into violations and waived ones. A waiver with an
// unknown rule or without a real reason is itself a violation (the schema
// rejects a missing reason at load time; this holds for any Config).
func apply(found []Finding, waivers []config.Waiver) Report {
	known := map[string]bool{}
	for _, r := range Rules {
		known[r.ID] = true
	}
	var bad []Finding
	valid := make([]bool, len(waivers))
	for i, w := range waivers {
		path := fmt.Sprintf("infra:policy.waivers[%d]", i)
		switch {
		case !known[w.Rule] || w.Rule == RuleWaiver:
			bad = append(bad, Finding{Rule: RuleWaiver, Resource: path + ".rule", Message: fmt.Sprintf("unknown or unwaivable rule %q; rules: %s", w.Rule, ruleIDs())})
		case len(strings.TrimSpace(w.Reason)) < minReasonLength:
			bad = append(bad, Finding{Rule: RuleWaiver, Resource: path + ".reason", Message: fmt.Sprintf("a waiver of %s needs a reason of at least %d characters", w.Rule, minReasonLength)})
		default:
			valid[i] = true
		}
	}
	rep := Report{Rules: len(Rules)}
	used := make([]bool, len(waivers))
	for _, f := range found {
		waived := false
		for i, w := range waivers {
			if valid[i] && w.Rule == f.Rule && matches(w.Resource, f) {
				f.Reason = w.Reason
				rep.Waived = append(rep.Waived, f)
				used[i], waived = true, true
				break
			}
		}
		if !waived {
			rep.Violations = append(rep.Violations, f)
		}
	}
	rep.Violations = append(rep.Violations, bad...)
	for i, w := range waivers {
		// A waiver of a change rule is a standing permission: only an
		// update that replaces its resource uses it.
		if valid[i] && !used[i] && w.Rule != RuleStatefulReplace {
			rep.UnusedWaivers = append(rep.UnusedWaivers, w)
		}
	}
	sortFindings(rep.Violations)
	sortFindings(rep.Waived)
	return rep
}

// matches reports whether a waiver's resource selects a finding: empty
// selects every finding of the rule; else the URN, the config path, the
// subject (service, database or resource name) or the URN's name part.
func matches(resource string, f Finding) bool {
	if resource == "" || resource == f.Resource || resource == f.Subject {
		return true
	}
	i := strings.LastIndex(f.Resource, "::")
	return i >= 0 && f.Resource[i+2:] == resource
}

func ruleIDs() string {
	ids := make([]string, 0, len(Rules))
	for _, r := range Rules {
		if r.ID != RuleWaiver {
			ids = append(ids, r.ID)
		}
	}
	return strings.Join(ids, ", ")
}

func sortFindings(fs []Finding) {
	order := map[string]int{}
	for i, r := range Rules {
		order[r.ID] = i
	}
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Rule != fs[j].Rule {
			return order[fs[i].Rule] < order[fs[j].Rule]
		}
		return fs[i].Resource < fs[j].Resource
	})
}

// production reports whether the plan is of a production stack: by its
// config, else by the class it outputs; a plan that says neither is judged
// as production (the stricter side).
func production(p *plan.Plan) bool {
	if p.Config != nil {
		return p.Config.Production()
	}
	class, ok := p.Outputs["class"].(string)
	return !ok || config.Class(class) == config.ClassProduction
}
