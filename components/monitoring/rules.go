package monitoring

import (
	"fmt"
	"regexp"

	"sigs.k8s.io/yaml"

	"infra/internal/metric"
)

// Rule is one typed alert rule: the single source both the VPS rules file
// and the Kubernetes PrometheusRule are rendered from.
type Rule struct {
	Name   string
	Metric metric.Name
	// Threshold is in the metric's unit (percent, milliseconds, MB).
	Threshold float64
	// For is how long the condition must hold ("5m").
	For string
	// Severity is info, warning or critical: it picks the receiver.
	Severity string
	// Service narrows app and container metrics to one service.
	Service string
}

// The severities, which route alerts (see Alertmanager).
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// PromRule is one Prometheus alerting rule, as the rules file spells it.
type PromRule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// RuleGroup is a group of rules evaluated together.
type RuleGroup struct {
	Name  string     `json:"name"`
	Rules []PromRule `json:"rules"`
}

// RulesDoc is a Prometheus rules file and a PrometheusRule's spec alike.
type RulesDoc struct {
	Groups []RuleGroup `json:"groups"`
}

// GroupName is the name of the rule group the typed rules go in.
const GroupName = "infra.rules"

var (
	ruleName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)
	duration = regexp.MustCompile(`^[0-9]+(s|m|h)$`)
)

// Build renders the typed rules to Prometheus rules for a target. On the
// VPS it adds the Watchdog rule that always fires (kube-prometheus-stack
// ships its own): Alertmanager sends it to the dead man's switch, which
// pages when it stops arriving.
func Build(rules []Rule, t Target) (RulesDoc, error) {
	group := RuleGroup{Name: GroupName}
	if t.Platform == VPS {
		group.Rules = append(group.Rules, watchdog())
		if t.BackupMaxAge > 0 {
			group.Rules = append(group.Rules, backupRules(BackupMetric, "node-exporter", t.BackupMaxAge, vpsBackupHint)...)
		}
	}
	if t.Platform == Kubernetes && t.BackupMaxAge > 0 {
		if t.BackupCronJob == "" || t.Namespace == "" {
			return RulesDoc{}, fmt.Errorf("backup alerts need the CronJob and its namespace")
		}
		series := fmt.Sprintf(`%s{namespace=%q,cronjob=%q}`, CronJobSuccessMetric, t.Namespace, t.BackupCronJob)
		hint := fmt.Sprintf("Check `kubectl -n %s get jobs -l app.kubernetes.io/name=%s` and the failed pod's logs.", t.Namespace, t.BackupCronJob)
		group.Rules = append(group.Rules, backupRules(series, "kube-state-metrics", t.BackupMaxAge, hint)...)
	}
	for i, r := range rules {
		pr, err := build(r, t)
		if err != nil {
			return RulesDoc{}, fmt.Errorf("alert rule %d (%s): %w", i, r.Name, err)
		}
		group.Rules = append(group.Rules, pr)
	}
	return RulesDoc{Groups: []RuleGroup{group}}, nil
}

func build(r Rule, t Target) (PromRule, error) {
	spec, ok := Lookup(r.Metric)
	switch {
	case !ok:
		return PromRule{}, fmt.Errorf("unknown metric %q", r.Metric)
	case !ruleName.MatchString(r.Name):
		return PromRule{}, fmt.Errorf("name %q: letters and digits, starting with a letter", r.Name)
	case r.For != "" && !duration.MatchString(r.For):
		return PromRule{}, fmt.Errorf("for %q: a duration such as 5m", r.For)
	case r.Severity != SeverityInfo && r.Severity != SeverityWarning && r.Severity != SeverityCritical:
		return PromRule{}, fmt.Errorf("severity %q: info, warning or critical", r.Severity)
	case spec.Scope == metric.App && r.Service == "" && len(t.MetricsServices) == 0:
		return PromRule{}, fmt.Errorf("metric %s is read from the services' metrics endpoints, and no service declares metrics", r.Metric)
	case spec.Scope == metric.Container && r.Service == "" && len(t.Services) == 0:
		return PromRule{}, fmt.Errorf("metric %s needs at least one service", r.Metric)
	}
	value := spec.query(t.selectors(r.Service))
	th := FormatThreshold(r.Threshold)
	var expr, cond string
	switch {
	case r.Metric == metric.NodeDown:
		expr, cond = value+" == 0", "down"
	case spec.Below:
		expr, cond = value+" < "+th, "below "+th+string(spec.Unit)
	default:
		expr, cond = value+" > "+th, "above "+th+string(spec.Unit)
	}
	labels := map[string]string{"severity": r.Severity, "metric": string(r.Metric)}
	if r.Service != "" {
		labels["service"] = r.Service
	}
	subject := subjectOf(spec.Scope)
	desc := fmt.Sprintf("%s of %s is {{ $value | printf \"%%.4g\" }}%s: alerting while %s for %s.", r.Metric, subject, string(spec.Unit), cond, forOrNow(r.For))
	if r.Metric == metric.NodeDown {
		desc = fmt.Sprintf("%s has been down for %s.", subject, forOrNow(r.For))
	}
	return PromRule{
		Alert:  r.Name,
		Expr:   expr,
		For:    r.For,
		Labels: labels,
		Annotations: map[string]string{
			"summary":     fmt.Sprintf("%s of %s is %s", r.Metric, subject, cond),
			"description": desc,
			"threshold":   th + string(spec.Unit),
		},
	}, nil
}

func forOrNow(f string) string {
	if f == "" {
		return "now"
	}
	return f
}

// subjectOf is the template that names what fired, from the series' labels.
func subjectOf(s metric.Scope) string {
	switch s {
	case metric.App:
		return "{{ $labels.job }}"
	case metric.Container:
		return "{{ $labels.container }}{{ $labels.container_label_com_docker_compose_service }}"
	}
	return "{{ $labels.instance }}{{ $labels.node }}"
}

func watchdog() PromRule {
	return PromRule{
		Alert:  "Watchdog",
		Expr:   "vector(1)",
		Labels: map[string]string{"severity": "none"},
		Annotations: map[string]string{
			"summary":     "The alerting pipeline is alive",
			"description": "Always firing. Alertmanager routes it to the dead man's switch, which alerts when it stops.",
		},
	}
}

// RulesFile renders a Prometheus rules file (YAML).
func RulesFile(doc RulesDoc) ([]byte, error) {
	b, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode rules file: %w", err)
	}
	return append([]byte(header), b...), nil
}

const header = "# Rendered by infra from infra:monitoring.alerts. Do not edit.\n"

// PrometheusRuleObject is the PrometheusRule (monitoring.coreos.com/v1)
// that carries the same rules on Kubernetes, as a plain object.
func PrometheusRuleObject(name, namespace string, labels map[string]string, doc RulesDoc) map[string]any {
	return map[string]any{
		"apiVersion": "monitoring.coreos.com/v1",
		"kind":       "PrometheusRule",
		"metadata":   map[string]any{"name": name, "namespace": namespace, "labels": labels},
		"spec":       doc.value(),
	}
}

// value is the doc as plain maps and slices (Pulumi inputs, YAML).
func (d RulesDoc) value() map[string]any {
	groups := make([]any, 0, len(d.Groups))
	for _, g := range d.Groups {
		rules := make([]any, 0, len(g.Rules))
		for _, r := range g.Rules {
			m := map[string]any{"alert": r.Alert, "expr": r.Expr, "labels": toAny(r.Labels), "annotations": toAny(r.Annotations)}
			if r.For != "" {
				m["for"] = r.For
			}
			rules = append(rules, m)
		}
		groups = append(groups, map[string]any{"name": g.Name, "rules": rules})
	}
	return map[string]any{"groups": groups}
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ObjectYAML renders a Kubernetes object as YAML.
func ObjectYAML(obj map[string]any) ([]byte, error) {
	b, err := yaml.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %v: %w", obj["kind"], err)
	}
	return append([]byte(header), b...), nil
}
