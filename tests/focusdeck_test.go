package tests

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"infra/internal/plan"
	"infra/internal/planner"
	"infra/stacks"
)

const (
	dbCluster  = "digitalocean:index/databaseCluster:DatabaseCluster"
	dbFirewall = "digitalocean:index/databaseFirewall:DatabaseFirewall"
	pgDatabase = "postgresql:index/database:Database"
	pgRole     = "postgresql:index/role:Role"
	pgGrant    = "postgresql:index/grant:Grant"
	dbPool     = "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool"
)

// The FocusDeck checklist (seed 000) blocks on PostgreSQL: the example must
// declare exactly what it asked for, safely.
func TestFocusDeckDatabase(t *testing.T) {
	type secretValue struct {
		value  string
		secret bool
	}
	conns := map[string]secretValue{}
	p := planStack(t, "examples/focusdeck", "prod", planner.WithInspect(func(ctx *pulumi.Context, d *stacks.Deployment) error {
		for env, cs := range d.Connections["server"] {
			res, err := internals.UnsafeAwaitOutput(ctx.Context(), cs)
			if err != nil {
				return err
			}
			v, _ := res.Value.(string)
			conns[env] = secretValue{value: v, secret: res.Secret}
		}
		return nil
	}))

	clusters := ofType(p, dbCluster)
	if len(clusters) != 1 {
		t.Fatalf("want one database cluster, got %d", len(clusters))
	}
	c := clusters[0]
	if c.Inputs["engine"] != "pg" || c.Inputs["version"] != "16" {
		t.Errorf("cluster engine/version: got %v %v, want pg 16", c.Inputs["engine"], c.Inputs["version"])
	}
	if !c.Protect {
		t.Error("the prod database cluster must be protected")
	}

	var dbNames []string
	owners := map[string]any{}
	for _, db := range ofType(p, pgDatabase) {
		name, _ := db.Inputs["name"].(string)
		dbNames = append(dbNames, name)
		owners[name] = db.Inputs["owner"]
		if db.Provider == "" || !strings.Contains(db.Provider, "pulumi:providers:postgresql") {
			t.Errorf("database %s is not managed through the PostgreSQL provider: %q", name, db.Provider)
		}
	}
	sort.Strings(dbNames)
	if strings.Join(dbNames, ",") != "focusdeck,focusdeck_jobs" {
		t.Errorf("databases: got %v, want exactly focusdeck and focusdeck_jobs", dbNames)
	}
	roles := ofType(p, pgRole)
	if len(roles) != 1 || roles[0].Inputs["name"] != "focusdeck_app" {
		t.Fatalf("want one role focusdeck_app, got %+v", roles)
	}
	if roles[0].Inputs["password"] != plan.Masked {
		t.Errorf("role password must be a secret, got %v", roles[0].Inputs["password"])
	}
	for db, owner := range owners {
		if owner != "focusdeck_app" {
			t.Errorf("database %s owned by %v, want focusdeck_app", db, owner)
		}
	}

	schemaGrants := map[string]bool{}
	for _, g := range ofType(p, pgGrant) {
		if g.Inputs["objectType"] == "schema" && g.Inputs["schema"] == "public" && g.Inputs["role"] == "focusdeck_app" {
			privs := g.Inputs["privileges"].([]any)
			if len(privs) == 2 && privs[0] == "USAGE" && privs[1] == "CREATE" {
				schemaGrants[g.Inputs["database"].(string)] = true
			}
		}
	}
	if !schemaGrants["focusdeck"] || !schemaGrants["focusdeck_jobs"] {
		t.Errorf("USAGE, CREATE on schema public must be granted on both databases, got %v", schemaGrants)
	}

	firewalls := ofType(p, dbFirewall)
	if len(firewalls) != 1 {
		t.Fatalf("want one database firewall, got %d", len(firewalls))
	}
	for _, rule := range firewalls[0].Inputs["rules"].([]any) {
		r := rule.(map[string]any)
		if v, _ := r["value"].(string); v == "0.0.0.0/0" || v == "::/0" {
			t.Errorf("firewall admits the internet: %v", r)
		}
	}
	if firewalls[0].DeletedWith == "" {
		t.Error("the firewall must only be deleted with its cluster (deleting it opens the database)")
	}

	pools := map[string]any{}
	for _, pool := range ofType(p, dbPool) {
		pools[pool.Inputs["dbName"].(string)] = pool.Inputs["mode"]
	}
	if pools["focusdeck_jobs"] != "session" {
		t.Errorf("Hangfire's database needs a session pool, got %v", pools["focusdeck_jobs"])
	}

	npgsql := regexp.MustCompile(`^Host=[^;]+;Port=\d+;Database=[^;]+;Username=focusdeck_app;Password=[A-Za-z0-9]{32};SSL Mode=Require`)
	for _, env := range []string{"ConnectionStrings__DefaultConnection", "ConnectionStrings__HangfireConnection"} {
		cs, ok := conns[env]
		switch {
		case !ok:
			t.Errorf("%s missing", env)
		case !cs.secret:
			t.Errorf("%s is not a Pulumi secret", env)
		case !npgsql.MatchString(cs.value):
			t.Errorf("%s is not an npgsql connection string: %q", env, redact(cs.value))
		}
	}
	if !strings.Contains(conns["ConnectionStrings__HangfireConnection"].value, "Database=focusdeck_jobs-pool") {
		t.Errorf("Hangfire should connect through its pool, got %q", redact(conns["ConnectionStrings__HangfireConnection"].value))
	}
	if p.Outputs["connectionStrings"] != plan.Masked {
		t.Errorf("connectionStrings output must be secret, got %v", p.Outputs["connectionStrings"])
	}
}

func redact(s string) string {
	return regexp.MustCompile(`Password=[^;]*`).ReplaceAllString(s, "Password=***")
}

// A dev stack is not protected: protection is for production.
func TestDevDatabaseNotProtected(t *testing.T) {
	p := planEdited(t, "examples/focusdeck", "prod", [2]string{"infra:class: production", "infra:class: staging"})
	for _, r := range p.Resources {
		if r.Protect {
			t.Errorf("%s %s is protected outside prod", r.Type, r.Name)
		}
	}
}

// Every child resource names its component as parent.
func TestEveryChildHasAParent(t *testing.T) {
	for _, stack := range []struct{ dir, name string }{{".", "dev"}, {".", "prod"}, {"examples/focusdeck", "prod"}} {
		p := planStack(t, stack.dir, stack.name)
		urns := byURN(p)
		for _, r := range p.Resources {
			if strings.HasPrefix(r.Type, "infra:") {
				continue // components sit at the stack's root
			}
			parent, ok := urns[r.Parent]
			if !ok || !strings.HasPrefix(parent.Type, "infra:") {
				t.Errorf("%s: %s %s has parent %q, want one of our components", stack.dir+"/"+stack.name, r.Type, r.Name, r.Parent)
			}
		}
	}
}
