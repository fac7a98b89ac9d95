package tests

import (
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"infra/components/database"
)

// requireService returns an environment variable that CI sets after starting
// a service; locally a missing one skips, loudly.
func requireService(t *testing.T, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: .ci/run must start %s", name, what)
		}
		t.Skipf("SKIPPED LOUDLY: %s is not set; run `eval \"$(bash scripts/test-postgres.sh)\"; export %s` to run this test against %s", name, name, what)
	}
	return v
}

// runSQL runs a rendered script through psql as the test superuser.
func runSQL(t *testing.T, admin, script string, env ...string) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roles.sql")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("psql", admin, "-X", "-q", "-f", path)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func connectAs(ctx context.Context, t *testing.T, admin, user, password, db string) (*pgx.Conn, error) {
	t.Helper()
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, password)
	u.Path = "/" + db
	return pgx.Connect(ctx, u.String())
}

func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// The SQL the program renders, run against a real PostgreSQL server: it is
// idempotent, gives the app role what EF Core migrations and Hangfire need,
// and nothing more.
func TestRenderedSQLOnRealPostgres(t *testing.T) {
	admin := requireService(t, "INFRA_TEST_PG_URL", "a PostgreSQL server")
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatalf("psql is not installed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The self-hosted dev stack renders the FocusDeck model; a second model
	// stands for another team's database the app must not reach.
	p := planStack(t, ".", "dev")
	script, ok := p.Artifacts["database/roles.sql"]
	if !ok {
		t.Fatal("the dev stack rendered no database/roles.sql")
	}
	other := database.RenderSQL(database.Model{
		Databases: []database.Database{{Name: "analytics", Owner: "analytics_app"}},
		Roles:     []database.Role{{Name: "analytics_app", Databases: []database.Grant{{Database: "analytics"}}}},
	})
	password := "Pw" + strings.Repeat("x7", 15)
	env := database.PasswordEnv("focusdeck_app") + "=" + password

	if out, err := runSQL(t, admin, other, database.PasswordEnv("analytics_app")+"=AnalyticsPw123"); err != nil {
		t.Fatalf("other model: %v\n%s", err, out)
	}
	for run := 1; run <= 2; run++ {
		if out, err := runSQL(t, admin, script, env); err != nil {
			t.Fatalf("run %d of the rendered SQL failed (it must be idempotent): %v\n%s", run, err, out)
		}
	}
	if out, err := runSQL(t, admin, script); err == nil || !strings.Contains(out, "PGPASSWORD_FOCUSDECK_APP is not set") {
		t.Errorf("without the password variable the script must stop; err=%v out=%s", err, out)
	}

	app, err := connectAs(ctx, t, admin, "focusdeck_app", password, "focusdeck")
	if err != nil {
		t.Fatalf("connect as focusdeck_app to focusdeck: %v", err)
	}
	defer app.Close(ctx)
	// What EF Core migrations do.
	for _, stmt := range []string{
		`CREATE TABLE IF NOT EXISTS public."__EFMigrationsHistory" ("MigrationId" varchar(150) PRIMARY KEY, "ProductVersion" varchar(32) NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS public."ActivitySignals" (id bigserial PRIMARY KEY, captured_at timestamptz NOT NULL)`,
		`INSERT INTO public."ActivitySignals" (captured_at) VALUES (now())`,
	} {
		if _, err := app.Exec(ctx, stmt); err != nil {
			t.Errorf("focusdeck_app must be able to %q: %v", stmt, err)
		}
	}
	// What it must not do.
	for _, stmt := range []string{"CREATE DATABASE focusdeck_rogue", "CREATE ROLE rogue LOGIN"} {
		if _, err := app.Exec(ctx, stmt); pgCode(err) != "42501" {
			t.Errorf("focusdeck_app must be refused %q with insufficient_privilege, got %v", stmt, err)
		}
	}

	jobs, err := connectAs(ctx, t, admin, "focusdeck_app", password, "focusdeck_jobs")
	if err != nil {
		t.Fatalf("connect as focusdeck_app to focusdeck_jobs: %v", err)
	}
	defer jobs.Close(ctx)
	// What Hangfire.PostgreSql does on start.
	for _, stmt := range []string{
		`CREATE SCHEMA IF NOT EXISTS hangfire`,
		`CREATE TABLE IF NOT EXISTS hangfire.job (id bigserial PRIMARY KEY, statename text)`,
		`INSERT INTO hangfire.job (statename) VALUES ('Enqueued')`,
	} {
		if _, err := jobs.Exec(ctx, stmt); err != nil {
			t.Errorf("focusdeck_app must be able to %q in focusdeck_jobs: %v", stmt, err)
		}
	}

	if c, err := connectAs(ctx, t, admin, "focusdeck_app", password, "analytics"); err == nil {
		c.Close(ctx)
		t.Error("focusdeck_app could connect to a database it was not granted")
	} else if pgCode(err) != "42501" {
		t.Errorf("connecting to analytics: want insufficient_privilege, got %v", err)
	}

	// Running the script again with a new password rotates it.
	rotated := "Rotated" + strings.Repeat("y3", 12)
	if out, err := runSQL(t, admin, script, database.PasswordEnv("focusdeck_app")+"="+rotated); err != nil {
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	if c, err := connectAs(ctx, t, admin, "focusdeck_app", password, "focusdeck"); err == nil {
		c.Close(ctx)
		t.Error("the old password still works after rotation")
	}
	c, err := connectAs(ctx, t, admin, "focusdeck_app", rotated, "focusdeck")
	if err != nil {
		t.Fatalf("the rotated password does not work: %v", err)
	}
	c.Close(ctx)
}
