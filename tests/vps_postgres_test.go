package tests

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"infra/components/database"
	"infra/components/vps/render"
	"infra/internal/vpstest"
	"infra/stacks"
)

// The self-hosted path end to end, short of Docker: the roles.sql and the
// init env file that deploy.sh hands the postgres-init container run
// against a real PostgreSQL with psql (as the container does, twice: every
// deploy runs it), and each role then logs in with its password and creates
// a table in each of its databases.
func TestSelfhostedInitRunsOnRealPostgres(t *testing.T) {
	pgURL := os.Getenv("INFRA_TEST_PG_URL")
	if pgURL == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("INFRA_TEST_PG_URL is not set; .ci/run starts PostgreSQL")
		}
		t.Skip("SKIPPED: INFRA_TEST_PG_URL is not set (eval \"$(bash scripts/test-postgres.sh)\"): the self-hosted SQL was NOT run")
	}
	psql := vpstest.Tool(t, "psql")
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1_000_000_000)
	role, app, jobs := "vpst_"+suffix+"_app", "vpst_"+suffix, "vpst_"+suffix+"_jobs"

	raw := cloneRaw(t, readRaw(t, vpsStacks["dev"].file))
	db := raw.Values["database"].(map[string]any)
	db["databases"] = []any{map[string]any{"name": app}, map[string]any{"name": jobs}}
	db["roles"] = []any{map[string]any{"name": role, "databases": []any{app, jobs}}}
	serviceOf(raw.Values, 0)["connections"] = map[string]any{
		"DATABASE_URL": map[string]any{"database": app, "role": role, "format": "url"},
	}

	var sql, env string
	var password string
	deployed(t, "infra", "dev", raw, func(ctx context.Context, d *stacks.Deployment) {
		sql = await(t, ctx, d.VPS.Files[render.RolesSQLPath])
		env = await(t, ctx, d.VPS.Files[render.EnvFilePath(render.PostgresInitService)])
		password = await(t, ctx, d.Database.Passwords[role])
	})
	vars := parseEnv(t, env)
	if vars[database.PasswordEnv(role)] != password {
		t.Fatalf("the init env file does not carry %s", database.PasswordEnv(role))
	}

	admin, err := pgx.Connect(context.Background(), pgURL)
	if err != nil {
		t.Fatalf("connect as superuser: %v", err)
	}
	defer admin.Close(context.Background())
	t.Cleanup(func() {
		ctx := context.Background()
		for _, d := range []string{app, jobs} {
			_, _ = admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, d))
		}
		_, _ = admin.Exec(ctx, fmt.Sprintf(`DROP ROLE IF EXISTS %q`, role))
	})

	script := filepath.Join(t.TempDir(), "roles.sql")
	if err := os.WriteFile(script, []byte(sql), 0o600); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		// The container's command, with the superuser URL of the test
		// server in place of PGHOST/PGUSER and the env file's variables.
		cmd := exec.Command(psql, "--no-psqlrc", "--set=ON_ERROR_STOP=1", "--dbname="+pgURL, "--file="+script)
		cmd.Env = append(os.Environ(), database.PasswordEnv(role)+"="+vars[database.PasswordEnv(role)])
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("run %d of roles.sql: %v\n%s", run, err, out)
		}
	}

	u, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, dbname := range []string{app, jobs} {
		as := *u
		as.User = url.UserPassword(role, password)
		as.Path = "/" + dbname
		conn, err := pgx.Connect(context.Background(), as.String())
		if err != nil {
			t.Fatalf("role %s cannot log in to %s with its password: %v", role, dbname, err)
		}
		_, err = conn.Exec(context.Background(), "CREATE TABLE IF NOT EXISTS vps_probe (id int)")
		conn.Close(context.Background())
		if err != nil {
			t.Errorf("role %s cannot create tables in %s: %v", role, dbname, err)
		}
	}
	if strings.Contains(sql, password) {
		t.Error("roles.sql holds a password")
	}
}
