package config

import (
	"encoding/json"
	"strings"
	"testing"
)

const ownerRole = "      - { name: focusdeck_app, databases: [focusdeck, focusdeck_jobs] }\n"

// withRoles replaces validStack's roles with the given lines.
func withRoles(lines ...string) string {
	return strings.Replace(validStack, ownerRole, strings.Join(lines, "\n")+"\n", 1)
}

// A role's database is a plain name or { name, access }; both read into
// one type and a plain name writes back as a plain name.
func TestRoleDatabaseForms(t *testing.T) {
	var got []RoleDatabase
	if err := json.Unmarshal([]byte(`["shop", {"name": "shop_jobs", "access": "read"}]`), &got); err != nil {
		t.Fatal(err)
	}
	want := []RoleDatabase{{Name: "shop"}, {Name: "shop_jobs", Access: AccessRead}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `["shop",{"name":"shop_jobs","access":"read"}]` {
		t.Errorf("written back as %s", b)
	}
	if err := json.Unmarshal([]byte(`{"name": "shop", "level": "read"}`), &got[0]); err == nil {
		t.Error("an unknown key in the object form must be refused")
	}
}

func TestRoleAccessParses(t *testing.T) {
	cfg, err := parseText(t, withRoles(
		"      - { name: bi, databases: [{ name: focusdeck, access: read }] }",
		"      - { name: support, databases: [{ name: focusdeck, access: readwrite }, focusdeck_jobs] }",
		ownerRole[:len(ownerRole)-1],
	))
	if err != nil {
		t.Fatalf("valid access levels refused: %v", err)
	}
	d := cfg.Database
	// The owner is the first role naming the database plainly, not the
	// first role listing it: bi and support come first but hold levels.
	if d.Databases[0].Owner != "focusdeck_app" {
		t.Errorf("owner of focusdeck = %q, want focusdeck_app", d.Databases[0].Owner)
	}
	if d.Databases[1].Owner != "support" {
		t.Errorf("owner of focusdeck_jobs = %q, want support (the first plain name)", d.Databases[1].Owner)
	}
	if got := d.Roles[1].Databases; got[0] != (RoleDatabase{Name: "focusdeck", Access: AccessReadWrite}) || got[1] != (RoleDatabase{Name: "focusdeck_jobs"}) {
		t.Errorf("support's databases = %+v", got)
	}
}

// Every problem with an access level is reported at its path.
func TestRoleAccessProblems(t *testing.T) {
	bi := func(entry string) string {
		return withRoles(ownerRole[:len(ownerRole)-1], "      - { name: bi, databases: ["+entry+"] }")
	}
	cases := []struct {
		name, stack, path, text string
	}{
		{"unknown level", bi("{ name: focusdeck, access: readonly }"),
			"infra:database.roles[1].databases[0].access", "must be one of 'read', 'readwrite', 'create'"},
		{"unknown key", bi("{ name: focusdeck, acces: read }"),
			"infra:database.roles[1].databases[0].acces", "unknown key: did you mean access?"},
		{"object without access", bi("{ name: focusdeck }"),
			"infra:database.roles[1].databases[0].access", "required"},
		{"neither a name nor an object", bi("5"),
			"infra:database.roles[1].databases[0]", "got number, want string or object"},
		{"name malformed in the object form", bi("{ name: Focus, access: read }"),
			"infra:database.roles[1].databases[0].name", "write focus"},
		{"unknown database in the object form", bi("{ name: focusdek, access: read }"),
			"infra:database.roles[1].databases[0].name", `unknown database "focusdek"`},
		{"listed twice", bi("focusdeck, { name: focusdeck, access: read }"),
			"infra:database.roles[1].databases[1].name", `database "focusdeck" is listed twice for role "bi"`},
		{"listed twice by name", withRoles("      - { name: focusdeck_app, databases: [focusdeck, focusdeck_jobs, focusdeck] }"),
			"infra:database.roles[0].databases[2]", "listed twice"},
		{"access on the owner's own database", strings.Replace(
			withRoles("      - { name: focusdeck_app, databases: [{ name: focusdeck, access: readwrite }, focusdeck_jobs] }"),
			"- { name: focusdeck, pool", "- { name: focusdeck, owner: focusdeck_app, pool", 1),
			"infra:database.roles[0].databases[0].access", `role "focusdeck_app" owns database "focusdeck" and has every right there`},
		{"nobody owns it", withRoles("      - { name: focusdeck_app, databases: [{ name: focusdeck, access: read }, focusdeck_jobs] }"),
			"infra:database.databases[0]", `no role owns database "focusdeck": every role lists it with an access level`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseText(t, c.stack)
			requireProblem(t, err, c.path, c.text)
			// A schema problem is reported once, not echoed by the checks
			// that read the pruned value.
			if err != nil && strings.Contains(err.Error(), "no role uses database") {
				t.Errorf("a consequence reported as a problem:\n%v", err)
			}
		})
	}
}

// The schema offers both forms, so an editor completes either.
func TestRoleDatabaseSchema(t *testing.T) {
	entry, err := SchemaNode("database.roles[].databases[]")
	if err != nil {
		t.Fatal(err)
	}
	forms, _ := entry["oneOf"].([]any)
	var types []string
	for _, f := range forms {
		form, _ := f.(map[string]any)
		typ, _ := form["type"].(string)
		types = append(types, typ)
	}
	if strings.Join(types, ",") != "string,object" {
		t.Fatalf("roles[].databases[] forms = %v, want string or object", types)
	}
	access, err := SchemaEnum("database.roles[].databases[].access")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(access, ","); got != strings.Join(AccessLevels, ",") {
		t.Errorf("access enum = %s, want %v", got, AccessLevels)
	}
}
