package release

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

func services(t *testing.T, svcs ...Service) auto.ConfigMap {
	t.Helper()
	b, err := json.Marshal(svcs)
	if err != nil {
		t.Fatal(err)
	}
	return auto.ConfigMap{ServicesKey: {Value: string(b)}, "infra:secrets": {Value: "[secret]", Secret: true}}
}

func server(image, jarvis string) Service {
	return Service{Name: "server", Image: image, Env: map[string]string{"Features__Jarvis": jarvis}, SecretEnv: map[string]string{"Api__Key": "api-key"}}
}

// A file backend numbers nothing and lists the newest first.
func fileHistory(t *testing.T) []auto.UpdateSummary {
	return []auto.UpdateSummary{
		{Kind: "update", Result: "succeeded", StartTime: "t6", Message: `"infra rollback to release 2"`, Config: services(t, server("app:3", "true"))},
		{Kind: "update", Result: "failed", StartTime: "t5", Config: services(t, server("app:bad", "true"))},
		{Kind: "update", Result: "succeeded", StartTime: "t4", Config: services(t, server("app:3", "true"))},
		{Kind: "refresh", Result: "succeeded", StartTime: "t3", Config: services(t, server("app:2", "false"))},
		{Kind: "update", Result: "succeeded", StartTime: "t2", Config: services(t, server("app:2", "false"))},
		{Kind: "update", Result: "succeeded", StartTime: "t1", Config: services(t, server("app:1", "true"))},
	}
}

func TestFromHistory(t *testing.T) {
	rels, err := FromHistory(fileHistory(t))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		version, rollbackTo int
		image               string
		changed             []string
	}
	var got []row
	for _, r := range rels {
		got = append(got, row{r.Version, r.RollbackTo, r.Services[0].Image, r.ChangedEnv["server"]})
	}
	want := []row{
		{1, 0, "app:1", nil},
		{2, 0, "app:2", []string{"Features__Jarvis"}},
		{4, 0, "app:3", []string{"Features__Jarvis"}},
		// the rollback deployed release 2, whatever its config said
		{6, 2, "app:2", []string{"Features__Jarvis"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("releases\n got %+v\nwant %+v", got, want)
	}
	if rels[3].Message != "infra rollback to release 2" {
		t.Errorf("message %q", rels[3].Message)
	}
}

func TestFromHistoryNumberedByTheBackend(t *testing.T) {
	h := []auto.UpdateSummary{
		{Version: 40, Kind: "update", Result: "succeeded", Config: services(t, server("app:1", "true"))},
		{Version: 42, Kind: "update", Result: "succeeded", Config: services(t, server("app:2", "true"))},
	}
	rels, err := FromHistory(h)
	if err != nil {
		t.Fatal(err)
	}
	if rels[0].Version != 40 || rels[1].Version != 42 || rels[1].Services[0].Image != "app:2" {
		t.Errorf("%+v", rels)
	}
}

func TestFromHistoryRefusesSecretServices(t *testing.T) {
	_, err := FromHistory([]auto.UpdateSummary{{Version: 3, Kind: "update", Result: "succeeded", Config: auto.ConfigMap{ServicesKey: {Value: "[secret]", Secret: true}}}})
	if err == nil || !strings.Contains(err.Error(), "update 3") || !strings.Contains(err.Error(), "is a secret") {
		t.Errorf("err %v", err)
	}
}

func TestPick(t *testing.T) {
	rels, err := FromHistory(fileHistory(t))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		rels    []Release
		to      int
		want    int
		wantErr string
	}{
		// current is 6 (= release 2): the newest different one is 4
		{"previous", rels, 0, 4, ""},
		{"previous skips a release like the current", append(rels[:3:3], Release{Version: 7, Services: rels[2].Services}), 0, 2, ""},
		{"--to", rels, 1, 1, ""},
		{"--to a failed update", rels, 5, 0, "no succeeded update 5"},
		{"only one release", rels[:1], 0, 0, "no earlier release"},
		{"none", nil, 0, 0, "no succeeded update"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Pick(c.rels, c.to)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got.Version != c.want {
				t.Errorf("got %d (%v), want %d", got.Version, err, c.want)
			}
		})
	}
}

func TestApply(t *testing.T) {
	file := []any{
		map[string]any{"name": "server", "image": "app:3", "port": 8080.0,
			"env":       map[string]any{"Features__Jarvis": "false", "New": "x"},
			"secretEnv": map[string]any{"Api__Key": "api-key-2"}},
		map[string]any{"name": "worker", "image": "worker:9"},
	}
	rel := Release{Version: 2, Services: []Service{server("app:2", "true"), {Name: "gone", Image: "gone:1"}}}
	got, edits, notes, err := Apply(file, rel)
	if err != nil {
		t.Fatal(err)
	}
	wantSvcs := []any{
		map[string]any{"name": "server", "image": "app:2", "port": 8080.0,
			"env":       map[string]any{"Features__Jarvis": "true"},
			"secretEnv": map[string]any{"Api__Key": "api-key"}},
		map[string]any{"name": "worker", "image": "worker:9"},
	}
	if !reflect.DeepEqual(got, wantSvcs) {
		t.Errorf("services\n got %#v\nwant %#v", got, wantSvcs)
	}
	wantEdits := []Edit{
		{Path: "infra:services[0].image", Service: "server", From: "app:3", To: "app:2"},
		{Path: "infra:services[0].env.Features__Jarvis", Service: "server", From: "false", To: "true"},
		{Path: "infra:services[0].env.New", Service: "server", From: "x", Remove: true},
		{Path: "infra:services[0].secretEnv.Api__Key", Service: "server", From: "api-key-2", To: "api-key"},
	}
	if !reflect.DeepEqual(edits, wantEdits) {
		t.Errorf("edits\n got %+v\nwant %+v", edits, wantEdits)
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "worker is not in release 2") || !strings.Contains(notes[1], "gone of release 2 is no longer") {
		t.Errorf("notes %q", notes)
	}
	if _, _, _, err := Apply("not a list", rel); err == nil {
		t.Error("a config that is not a list of services was taken")
	}
}
