package policy

import (
	"bytes"
	"strings"
	"testing"

	"infra/stacks/config"
)

func TestReportMarkdown(t *testing.T) {
	waived := Finding{Rule: RuleProdDatabaseHA, Resource: "urn:x", Subject: "db", Message: "one node", Reason: "a <b>budget</b> stack, restored from backups"}
	tests := []struct {
		name string
		rep  Report
		want []string
		not  []string
	}{
		{
			name: "passed with a waiver",
			rep:  Report{Rules: 10, Waived: []Finding{waived}},
			want: []string{"✅ **Policy: passed** (10 rules checked, 1 finding(s) waived).", "- waived `prod-database-ha` <code>db</code>: one node; reason: a &lt;b&gt;budget&lt;/b&gt; stack"},
			not:  []string{"<b>"},
		},
		{
			name: "refused",
			rep:  Report{Rules: 10, Violations: []Finding{{Rule: RulePublicTLS, Resource: "urn:y", Message: "no tls"}}},
			want: []string{"⛔ **Policy: refused**, 1 violation(s)", "- violation `public-tls` <code>urn:y</code>: no tls"},
		},
		{
			name: "an unused waiver",
			rep:  Report{Rules: 10, UnusedWaivers: []config.Waiver{{Rule: RuleContainerLimits, Resource: "gone"}}},
			want: []string{"- unused waiver: rule `container-limits` resource \"gone\" matched nothing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.rep.WriteMarkdown(&b); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
			for _, n := range tt.not {
				if strings.Contains(b.String(), n) {
					t.Errorf("has %q:\n%s", n, b.String())
				}
			}
		})
	}
}
