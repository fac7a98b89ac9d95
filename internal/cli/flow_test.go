package cli

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// --json: one document on stdout whatever happens, with the result and code.
func TestJSONReportOnFailure(t *testing.T) {
	f := &fakeStack{previewErr: errLocked}
	r := runWith(context.Background(), t, previewCmd(f, nil), "preview", "--stack", "prod", "--dir", testProject(t), "--json")
	var rep Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, r.stdout)
	}
	if rep.Result != "locked" || rep.ExitCode != ExitLocked || !strings.Contains(rep.Error, "pulumi cancel") {
		t.Errorf("report %+v", rep)
	}
	if r.code != ExitLocked {
		t.Errorf("exit %d", r.code)
	}
}

func TestUpReportsRedactedOutputs(t *testing.T) {
	f := &fakeStack{
		previewEvents: evs{summary(map[apitype.OpType]int{"create": 1})},
		upEvents:      evs{pre(apitype.OpCreate, typeVPC, "vpc"), summary(map[apitype.OpType]int{"create": 1})},
		outputs: auto.OutputMap{
			"topology":          {Value: "vps"},
			"connectionStrings": {Value: map[string]any{"server": map[string]any{"DB": "Host=h;Password=hunter2hunter2"}}, Secret: true},
		},
	}
	r := runWith(context.Background(), t, upCmd(context.Background(), f), "up", "--stack", "prod", "--dir", testProject(t), "--json", "-y", "-m", "deploy 1.4.2")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "hunter2") {
		t.Fatal("a secret output was printed")
	}
	var rep Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Outputs["connectionStrings"] != Redacted || rep.Outputs["topology"] != "vps" || rep.Changes["create"] != 1 {
		t.Errorf("report %+v", rep)
	}
	if f.upOpts.Message != "deploy 1.4.2" || f.upOpts.ExpectNoChanges {
		t.Errorf("up options %+v", f.upOpts)
	}
}

// protectedState is a prod-like state: a protected database cluster in a
// VPC under a component, and an unprotected droplet.
func protectedState() []apitype.ResourceV3 {
	urn := func(typ, name string) resource.URN {
		return resource.URN("urn:pulumi:dev::focusdeck::" + typ + "::" + name)
	}
	return []apitype.ResourceV3{
		{URN: urn("pulumi:pulumi:Stack", "focusdeck-dev"), Type: "pulumi:pulumi:Stack"},
		{URN: urn("infra:database:Postgres", "db"), Type: "infra:database:Postgres", Parent: urn("pulumi:pulumi:Stack", "focusdeck-dev")},
		{URN: urn(typeVPC, "vpc"), Type: typeVPC, Custom: true},
		{
			URN: urn(typeCluster, "cluster"), Type: typeCluster, Custom: true, Protect: true,
			Parent: urn("infra:database:Postgres", "db"), Dependencies: []resource.URN{urn(typeVPC, "vpc")},
		},
		{
			URN: urn("digitalocean:index/databaseFirewall:DatabaseFirewall", "firewall"), Type: "digitalocean:index/databaseFirewall:DatabaseFirewall",
			Custom: true, DeletedWith: urn(typeCluster, "cluster"),
		},
		{URN: urn(typeDroplet, "web"), Type: typeDroplet, Custom: true},
	}
}

func TestDestroyExcludeProtectedKeepsWhatTheyNeed(t *testing.T) {
	f := &fakeStack{resources: protectedState(), destroyEvents: evs{summary(map[apitype.OpType]int{"delete": 1})}}
	r := runWith(context.Background(), t, destroyCmd(f), "destroy", "--stack", "dev", "--exclude-protected", "--yes", "--dir", testProject(t))
	if r.code != ExitOK {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	var kept []string
	for _, u := range f.desOpts.Exclude {
		kept = append(kept, u[strings.LastIndex(u, "::")+2:])
	}
	slices.Sort(kept)
	// The cluster, its VPC, its parent chain, and the firewall deleted with it; not the droplet.
	want := []string{"cluster", "db", "firewall", "focusdeck-dev", "vpc"}
	if !slices.Equal(kept, want) {
		t.Errorf("kept %v, want %v", kept, want)
	}
}
