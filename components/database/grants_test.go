package database

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/pulumitest"
)

const (
	grantType    = "postgresql:index/grant:Grant"
	defaultsType = "postgresql:index/defaultPrivileges:DefaultPrivileges"
)

// granted is what the provider resources give one role on one database,
// keyed by object type ("database", "schema", "table", "sequence", and
// "default table", "default sequence" for default privileges).
type granted map[string][]string

// The managed engine's Grant and DefaultPrivileges resources, run on the
// recording mocks (which check every input against the real provider
// schema, internal/providercheck), give each role exactly the privileges
// of its level in LevelPrivileges, and the SQL script of the self-hosted
// engine grants the same ones. tests/postgres_access_test.go proves on a
// real server what each level's privileges allow.
func TestManagedGrantsMatchLevels(t *testing.T) {
	m := focusdeck()
	levels := map[Level]bool{}
	for _, a := range m.Access() {
		levels[a.Level] = true
	}
	if len(levels) != len(LevelPrivileges) {
		t.Fatalf("the fixture covers levels %v; it must cover every level in LevelPrivileges", levels)
	}
	rec := pulumitest.RunStack(t, "infra", "test", func(ctx *pulumi.Context) error {
		_, err := NewPostgres(ctx, "shop", &PostgresArgs{
			Engine: EngineManaged, Model: m,
			Region: "nyc3", Version: "16", Size: "db-s-1vcpu-2gb", Nodes: 1,
			MaintenanceDay: "sunday", MaintenanceHour: "03:00",
			VPCID: pulumi.String("vpc-1"), AppTag: "shop-app", AdminCIDRs: []string{"198.51.100.7/32"},
		})
		return err
	})
	component := ""
	for _, r := range rec.Resources {
		if r.Type == "infra:database:Postgres" {
			component = r.URN
		}
	}

	got := map[string]granted{} // by "role/database"
	add := func(r pulumitest.Resource, objectType string) {
		in := pulumitest.Plain(r.Inputs)
		if r.Parent != component || !strings.HasPrefix(r.Name, "shop-") {
			t.Errorf("%s: parent %q, want the component; name must start with the component's", r.Name, r.Parent)
		}
		role, _ := in["role"].(string)
		if role == "public" {
			return // the revoke from PUBLIC, asserted below
		}
		k := role + "/" + in["database"].(string)
		if got[k] == nil {
			got[k] = granted{}
		}
		if _, dup := got[k][objectType]; dup {
			t.Errorf("%s: a second %s grant for %s", r.Name, objectType, k)
		}
		var privileges []string
		for _, p := range in["privileges"].([]any) {
			privileges = append(privileges, p.(string))
		}
		got[k][objectType] = privileges
	}
	for _, r := range rec.ByType(grantType) {
		in := pulumitest.Plain(r.Inputs)
		objectType := in["objectType"].(string)
		if objectType != "database" && in["schema"] != "public" {
			t.Errorf("%s: schema %v, want public", r.Name, in["schema"])
		}
		if in["role"] == "public" && (objectType != "database" || len(in["privileges"].([]any)) != 0) {
			t.Errorf("%s: PUBLIC must only lose its rights on the database: %v", r.Name, in)
		}
		add(r, objectType)
	}
	owners := map[string]string{}
	for _, d := range m.Databases {
		owners[d.Name] = d.Owner
	}
	for _, r := range rec.ByType(defaultsType) {
		in := pulumitest.Plain(r.Inputs)
		if in["schema"] != "public" || in["owner"] != owners[in["database"].(string)] {
			t.Errorf("%s: default privileges must be the database owner's in public, got owner %v schema %v", r.Name, in["owner"], in["schema"])
		}
		add(r, "default "+in["objectType"].(string))
	}

	want := map[string]granted{}
	for _, a := range m.Access() {
		want[a.Role+"/"+a.Database] = expected(LevelPrivileges[a.Level])
	}
	for k, w := range want {
		g := got[k]
		for objectType, privileges := range w {
			if !slices.Equal(g[objectType], privileges) {
				t.Errorf("%s: %s privileges = %v, want %v", k, objectType, g[objectType], privileges)
			}
		}
		for objectType := range g {
			if _, ok := w[objectType]; !ok {
				t.Errorf("%s: an unexpected %s grant %v", k, objectType, g[objectType])
			}
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("grants for %s, which the model does not declare", k)
		}
	}

	// The SQL script grants the same privileges, statement by statement.
	sql := sqlByDatabase(RenderSQL(m))
	for _, a := range m.Access() {
		for objectType, privileges := range got[a.Role+"/"+a.Database] {
			stmt := sqlStatement(a, objectType, strings.Join(privileges, ", "))
			section := sql[a.Database]
			if objectType == "database" {
				section = sql[""]
			}
			if !strings.Contains(section, stmt) {
				t.Errorf("the managed engine grants %s %s %v on %s; the SQL script lacks %q", a.Role, objectType, privileges, a.Database, stmt)
			}
		}
	}
}

// expected is what a level's privileges must give in provider resources:
// nothing on the owner's objects for a level without rights on them.
func expected(p Privileges) granted {
	g := granted{"database": p.Database, "schema": p.Schema}
	if len(p.Tables) > 0 {
		g["table"], g["default table"] = p.Tables, p.Tables
	}
	if len(p.Sequences) > 0 {
		g["sequence"], g["default sequence"] = p.Sequences, p.Sequences
	}
	return g
}

// sqlByDatabase splits the script at its \connect lines; "" is the part
// run on the maintenance database.
func sqlByDatabase(script string) map[string]string {
	out := map[string]string{}
	db := ""
	for _, line := range strings.Split(script, "\n") {
		if name, ok := strings.CutPrefix(line, `\connect `); ok {
			db = strings.Trim(name, `"`)
			continue
		}
		out[db] += line + "\n"
	}
	return out
}

func sqlStatement(a Access, objectType, privileges string) string {
	role := ident(a.Role)
	switch objectType {
	case "database":
		return fmt.Sprintf("GRANT %s ON DATABASE %s TO %s;", privileges, ident(a.Database), role)
	case "schema":
		return fmt.Sprintf("GRANT %s ON SCHEMA public TO %s;", privileges, role)
	case "table", "sequence":
		return fmt.Sprintf("GRANT %s ON ALL %sS IN SCHEMA public TO %s;", privileges, strings.ToUpper(objectType), role)
	}
	kind := strings.ToUpper(strings.TrimPrefix(objectType, "default ")) + "S"
	return fmt.Sprintf("ALTER DEFAULT PRIVILEGES FOR ROLE %s IN SCHEMA public GRANT %s ON %s TO %s;", ident(a.Owner), privileges, kind, role)
}
