package cost

import (
	"bytes"
	"strings"
	"testing"

	"infra/internal/dotype"
)

func TestDiff(t *testing.T) {
	base := mustEstimate(t, crafted("vps",
		res(dotype.Droplet, "d", map[string]any{"size": "s-2vcpu-4gb"}),
		res(dotype.DatabaseCluster, "db", map[string]any{"engine": "pg", "size": "db-s-1vcpu-1gb", "nodeCount": 1.0}),
		res(dotype.Volume, "old", map[string]any{"size": 10.0}),
	))
	head := mustEstimate(t, crafted("vps",
		res(dotype.Droplet, "d", map[string]any{"size": "s-4vcpu-8gb", "backups": true}),
		res(dotype.DatabaseCluster, "db", map[string]any{"engine": "pg", "size": "db-s-1vcpu-1gb", "nodeCount": 1.0}),
		res(dotype.SpacesBucket, "b", nil),
	))
	d := Diff(base, head)
	// backups: true without a plan are daily backups, 30 % of $48.
	if d.Before != 40 || d.After != 48+14.4+15+5 || d.Delta != 42.4 {
		t.Errorf("before %v after %v delta %v", d.Before, d.After, d.Delta)
	}
	kinds := map[string]string{}
	for _, c := range d.Changes {
		kinds[c.Name+" "+c.Item] = c.Kind
	}
	want := map[string]string{
		"d Droplet s-4vcpu-8gb":           "changed",
		"d Droplet backups, daily (30 %)": "added",
		"b Spaces subscription":           "added",
		"old Volume 10 GiB":               "removed",
	}
	for k, v := range want {
		if kinds[k] != v {
			t.Errorf("change %q = %q, want %q (all: %v)", k, kinds[k], v, kinds)
		}
	}
	if len(d.Changes) != len(want) {
		t.Errorf("changes = %v, want exactly %v (the unchanged database is not a change)", kinds, want)
	}

	var md bytes.Buffer
	if err := head.WriteMarkdown(&md, &d); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"$82.40/month (+$42.40 against the base branch)", "| removed | Volume 10 GiB | `old` | $1.00 | $0.00 |", "some not verified at the source"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q:\n%s", s, md.String())
		}
	}
	var txt bytes.Buffer
	if err := d.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "$40.00 -> $82.40/month (+$42.40)") {
		t.Errorf("text delta:\n%s", txt.String())
	}
}

func TestDiffAgainstAMissingBase(t *testing.T) {
	head := mustEstimate(t, crafted("vps", res(dotype.Droplet, "d", map[string]any{"size": "s-1vcpu-1gb"})))
	d := Diff(nil, head)
	if d.Before != 0 || d.After != 6 || d.Delta != 6 || len(d.Changes) != 1 || d.Changes[0].Kind != "added" {
		t.Errorf("delta against no base: %+v", d)
	}
	if same := Diff(head, head); same.Delta != 0 || len(same.Changes) != 0 {
		t.Errorf("an estimate against itself: %+v", same)
	}
}
