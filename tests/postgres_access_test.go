package tests

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"infra/components/database"
)

// accessModel is one database with a role at every level. Without others,
// only the owner is declared (the state before a second role is added).
func accessModel(levels map[string]database.Level) database.Model {
	m := database.Model{
		Databases: []database.Database{{Name: "access_db", Owner: "access_owner"}},
		Roles:     []database.Role{{Name: "access_owner", Databases: []database.Grant{{Database: "access_db"}}}},
	}
	for _, role := range []string{"access_read", "access_readwrite", "access_create"} {
		if level, ok := levels[role]; ok {
			m.Roles = append(m.Roles, database.Role{Name: role, Databases: []database.Grant{{Database: "access_db", Level: level}}})
		}
	}
	return m
}

const accessPassword = "AccessPw-7f3k9q2m4x"

func accessEnv(m database.Model) []string {
	var env []string
	for _, r := range m.Roles {
		env = append(env, database.PasswordEnv(r.Name)+"="+accessPassword)
	}
	return env
}

// An operation a role tries, and the levels it must succeed for. Each runs
// in a transaction that is rolled back, so the checks can run again.
type accessOp struct {
	name    string
	sql     string
	allowed []database.Level
}

// What each level means, written out by hand rather than read from
// LevelPrivileges: this test is what proves that table right. "before"
// objects exist when the grants are applied; "after" ones are created by
// the owner later and are reached only through default privileges.
func accessOps() []accessOp {
	owner, read, rw, create := database.LevelOwner, database.LevelRead, database.LevelReadWrite, database.LevelCreate
	var ops []accessOp
	for _, when := range []string{"before", "after"} {
		ops = append(ops,
			accessOp{"SELECT " + when + "_t", "SELECT count(*) FROM " + when + "_t", []database.Level{owner, read, rw}},
			accessOp{"INSERT " + when + "_t", "INSERT INTO " + when + "_t (id, v) VALUES (-1, 'x')", []database.Level{owner, rw}},
			accessOp{"INSERT " + when + "_t (serial default)", "INSERT INTO " + when + "_t (v) VALUES ('x')", []database.Level{owner, rw}},
			accessOp{"UPDATE " + when + "_t", "UPDATE " + when + "_t SET v = 'y'", []database.Level{owner, rw}},
			accessOp{"DELETE " + when + "_t", "DELETE FROM " + when + "_t", []database.Level{owner, rw}},
			accessOp{"TRUNCATE " + when + "_t", "TRUNCATE " + when + "_t", []database.Level{owner}},
			accessOp{"nextval " + when + "_seq", "SELECT nextval('" + when + "_seq')", []database.Level{owner, rw}},
			accessOp{"setval " + when + "_seq", "SELECT setval('" + when + "_seq', 100)", []database.Level{owner, rw}},
			accessOp{"read " + when + "_seq", "SELECT last_value FROM " + when + "_seq", []database.Level{owner, read, rw}},
		)
	}
	return append(ops,
		accessOp{"CREATE TABLE in public", "CREATE TABLE public.probe (id int)", []database.Level{owner, create}},
		accessOp{"CREATE SCHEMA", "CREATE SCHEMA probe", []database.Level{owner, create}},
		accessOp{"CREATE TEMP TABLE", "CREATE TEMP TABLE probe (id int)", []database.Level{owner, create}},
		accessOp{"DROP TABLE of the owner", "DROP TABLE before_t", []database.Level{owner}},
	)
}

// Every access level applied by the rendered script on a real PostgreSQL:
// each role can do exactly what its level says, on tables and sequences
// that existed when the grants ran and on ones the owner created later;
// the script is idempotent (a second run changes no privilege); a level
// changed in the model takes effect on the next run, including a lowered
// one.
func TestAccessLevelsOnRealPostgres(t *testing.T) {
	admin := requireService(t, "INFRA_TEST_PG_URL", "a PostgreSQL server")
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatalf("psql is not installed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	apply := func(m database.Model) {
		t.Helper()
		if out, err := runSQL(t, admin, database.RenderSQL(m), accessEnv(m)...); err != nil {
			t.Fatalf("apply: %v\n%s", err, out)
		}
	}
	ownerExec := func(stmts ...string) {
		t.Helper()
		c, err := connectAs(ctx, t, admin, "access_owner", accessPassword, "access_db")
		if err != nil {
			t.Fatalf("connect as the owner: %v", err)
		}
		defer c.Close(ctx)
		for _, s := range stmts {
			if _, err := c.Exec(ctx, s); err != nil {
				t.Fatalf("owner: %s: %v", s, err)
			}
		}
	}

	// The owner alone, with its tables; then the other roles join.
	apply(accessModel(nil))
	ownerExec(
		"CREATE TABLE IF NOT EXISTS before_t (id bigserial PRIMARY KEY, v text)",
		"INSERT INTO before_t (v) VALUES ('a')",
		"CREATE SEQUENCE IF NOT EXISTS before_seq",
		"SELECT nextval('before_seq')",
	)
	levels := map[string]database.Level{
		"access_read": database.LevelRead, "access_readwrite": database.LevelReadWrite, "access_create": "",
	}
	full := accessModel(levels)
	apply(full)
	ownerExec(
		"CREATE TABLE IF NOT EXISTS after_t (id bigserial PRIMARY KEY, v text)",
		"INSERT INTO after_t (v) VALUES ('a')",
		"CREATE SEQUENCE IF NOT EXISTS after_seq",
		"SELECT nextval('after_seq')",
	)
	roles := map[string]database.Level{
		"access_owner": database.LevelOwner, "access_read": database.LevelRead,
		"access_readwrite": database.LevelReadWrite, "access_create": database.LevelCreate,
	}
	checkLevels(ctx, t, admin, "applied", roles)

	// Idempotent: another run changes no privilege anywhere.
	before := privilegeSnapshot(ctx, t, admin)
	apply(full)
	if after := privilegeSnapshot(ctx, t, admin); after != before {
		t.Errorf("a second run changed privileges:\n--- before ---\n%s\n--- after ---\n%s", before, after)
	}
	checkLevels(ctx, t, admin, "applied-again", roles)

	// Lowered levels converge: readwrite to read, read to create (a plain
	// name); and the create role's own table stays its own.
	createOwn(ctx, t, admin)
	lowered := accessModel(map[string]database.Level{
		"access_read": "", "access_readwrite": database.LevelRead, "access_create": database.LevelCreate,
	})
	apply(lowered)
	checkLevels(ctx, t, admin, "lowered", map[string]database.Level{
		"access_owner": database.LevelOwner, "access_read": database.LevelCreate,
		"access_readwrite": database.LevelRead, "access_create": database.LevelCreate,
	})
	c, err := connectAs(ctx, t, admin, "access_create", accessPassword, "access_db")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "INSERT INTO create_own (id) VALUES (2)"); err != nil {
		t.Errorf("access_create lost its rights on its own table: %v", err)
	}
}

// checkLevels logs in as each role and runs every operation.
func checkLevels(ctx context.Context, t *testing.T, admin, stage string, roles map[string]database.Level) {
	t.Helper()
	for role, level := range roles {
		t.Run(stage+"/"+role, func(t *testing.T) {
			c, err := connectAs(ctx, t, admin, role, accessPassword, "access_db")
			if err != nil {
				t.Fatalf("connect as %s: %v", role, err)
			}
			defer c.Close(ctx)
			for _, op := range accessOps() {
				want := false
				for _, l := range op.allowed {
					want = want || l == level
				}
				err := tryRolledBack(ctx, c, op.sql)
				switch {
				case want && err != nil:
					t.Errorf("%s (%s) must be able to %s: %v", role, level, op.name, err)
				case !want && err == nil:
					t.Errorf("%s (%s) must not be able to %s, but could", role, level, op.name)
				case !want && pgCode(err) != "42501":
					t.Errorf("%s (%s) doing %s: want insufficient_privilege, got %v", role, level, op.name, err)
				}
			}
		})
	}
}

func tryRolledBack(ctx context.Context, c *pgx.Conn, sql string) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // rolled back on purpose
	_, err = tx.Exec(ctx, sql)
	return err
}

// createOwn has the create role make a table of its own.
func createOwn(ctx context.Context, t *testing.T, admin string) {
	t.Helper()
	c, err := connectAs(ctx, t, admin, "access_create", accessPassword, "access_db")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE TABLE IF NOT EXISTS create_own (id int)"); err != nil {
		t.Fatalf("access_create creates a table: %v", err)
	}
}

// privilegeSnapshot is every privilege the script manages, as text: the
// database's ACL, schema public's, every relation's in public and the
// default privileges.
func privilegeSnapshot(ctx context.Context, t *testing.T, admin string) string {
	t.Helper()
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/access_db"
	c, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var b strings.Builder
	for _, q := range []string{
		"SELECT 'database', coalesce(datacl::text, '') FROM pg_database WHERE datname = 'access_db'",
		"SELECT 'schema public', coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname = 'public'",
		"SELECT c.relname, coalesce(c.relacl::text, '') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1",
		"SELECT pg_get_userbyid(defaclrole) || ' ' || defaclobjtype::text, defaclacl::text FROM pg_default_acl ORDER BY 1",
	} {
		rows, err := c.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
		rows.Close()
	}
	return b.String()
}
