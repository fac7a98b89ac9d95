package config

import (
	"strings"
	"testing"
)

func TestSchemaNode(t *testing.T) {
	cases := []struct {
		path    string
		want    string // a key the node must have
		wantErr string
	}{
		{path: "topology", want: "enum"},
		{path: "database.roles[]", want: "properties"},
		{path: "database.roles[].databases[].access", want: "enum"},
		{path: "services[].image", want: "type"},
		{path: "database.nope", wantErr: `no field "nope"`},
		{path: "database.engine[]", wantErr: "engine in database.engine[] is not a list"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			node, err := SchemaNode(c.path)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := node[c.want]; !ok {
				t.Errorf("%s has no %q: %v", c.path, c.want, node)
			}
		})
	}
	if _, err := SchemaEnum("services[].image"); err == nil {
		t.Error("SchemaEnum of a free string field: no error")
	}
	got, err := SchemaEnum("database.engine")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "managed,selfhosted,external" {
		t.Errorf("database.engine enum = %v", got)
	}
}
