package tests

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"infra/components/database"
	"infra/components/vps/render"
	"infra/internal/vpstest"
	"infra/stacks"
	"infra/stacks/config"
)

// superuserStep is the deploy script's step that sets the superuser's
// password in the running server: from its `docker compose exec` line to
// the end of its here-document.
func superuserStep(t *testing.T, deploy string) string {
	t.Helper()
	loc := regexp.MustCompile(`docker compose exec -T '?` + render.PostgresService + `'? psql `).FindStringIndex(deploy)
	if loc == nil {
		t.Fatalf("deploy.sh has no psql step in the postgres container:\n%s", deploy)
	}
	start := loc[0]
	end := strings.Index(deploy[start:], "\nSQL\n")
	if end < 0 {
		t.Fatal("the psql step's here-document does not end")
	}
	return deploy[start : start+end+len("\nSQL\n")]
}

// dockerExecShim stands in for `docker compose exec -T postgres CMD...`:
// CMD runs on this machine, in the environment the container would give it
// (POSTGRES_PASSWORD, from secrets/postgres.env as compose reads it). In
// the container psql reaches the server over its local socket, which the
// postgres image's initdb trusts (restore-drill.sh relies on it too); the
// test server takes TCP with scram-sha-256, so the stand-in logs the
// superuser in with the password it has at that moment (FAKE_PGPASSWORD)
// and names the test's superuser for the image's `postgres`.
const dockerExecShim = `docker() {
  if [ "$1 $2 $3 $4" != "compose exec -T postgres" ]; then
    echo "unexpected: docker $*" >&2
    return 1
  fi
  shift 4
  local args=() a
  for a in "$@"; do
    case $a in
      --username=postgres) args+=("--username=$FAKE_SUPERUSER") ;;
      --username=*|-U) echo "unexpected user: $a" >&2; return 1 ;;
      *) args+=("$a") ;;
    esac
  done
  POSTGRES_PASSWORD=$FAKE_CONTAINER_PASSWORD PGPASSWORD=$FAKE_PGPASSWORD "${args[@]}"
}
`

// Rotating the self-hosted superuser, on a real PostgreSQL 15. A superuser
// has the password of the deploy before; the deploy after the generator's
// replacement runs its step in the server (the shim above): the old
// password then fails (28P01), the new one works, and the role script
// runs as the postgres-init container does, logging in with the new one.
// The new value holds ' " $ ` \ and a space: it goes through compose's
// env file, the container's environment and psql's quoting intact. Run
// again, the step changes nothing.
func TestRotatedSuperuserOnRealPostgres(t *testing.T) {
	pgURL := requireService(t, "INFRA_TEST_PG_URL", "a PostgreSQL server")
	psql := vpstest.Tool(t, "psql")
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1_000_000_000)
	superuser, role, app := "rot_"+suffix+"_su", "rot_"+suffix+"_app", "rot_"+suffix

	raw := cloneRaw(t, readRaw(t, vpsStacks["dev"].file))
	db := raw.Values["database"].(map[string]any)
	if db["engine"] != "selfhosted" {
		t.Fatalf("the dev stack's engine is %v; this test needs selfhosted", db["engine"])
	}
	db["databases"] = []any{map[string]any{"name": app}}
	db["roles"] = []any{map[string]any{"name": role, "databases": []any{app}}}
	svc := serviceOf(raw.Values, 0)
	svc["connections"] = map[string]any{"DATABASE_URL": map[string]any{"database": app, "role": role, "format": "url"}}
	service := svc["name"].(string)
	cfg, err := config.Parse(cloneRaw(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	var generator string
	for _, s := range stacks.GeneratedSecrets("infra", cfg) {
		if s.Name == "database.superuser" && s.Rotatable() {
			generator = s.Resource
		}
	}
	if generator == "" {
		t.Fatal("database.superuser is not a rotatable secret of the self-hosted stack")
	}

	server, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatalf("connect as the test's superuser: %v", err)
	}
	defer admin.Close(ctx)
	t.Cleanup(func() {
		_, _ = admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, app))
		_, _ = admin.Exec(ctx, fmt.Sprintf(`DROP ROLE IF EXISTS %q`, role))
		_, _ = admin.Exec(ctx, fmt.Sprintf(`DROP ROLE IF EXISTS %q`, superuser))
	})

	oldPassword := "Old" + suffix + "superuser0123456789"
	newPassword := `New'"$` + "`" + `\ pw` + suffix + `$HOME`
	before := deployRotated(t, raw, service, generator, oldPassword)
	after := deployRotated(t, raw, service, generator, newPassword)
	if got := parseEnv(t, before.serverEnv)["POSTGRES_PASSWORD"]; got != oldPassword {
		t.Fatalf("the server's env file before the rotation does not carry the generator's value")
	}
	if got := parseEnv(t, after.serverEnv)["POSTGRES_PASSWORD"]; got != newPassword {
		t.Fatalf("the server's env file after the rotation reads back as %q, want the new value", got)
	}
	if parseEnv(t, after.initEnv)["PGPASSWORD"] != newPassword {
		t.Fatal("the role script's env file does not carry the new superuser password")
	}
	if strings.Contains(after.deploy, newPassword) || strings.Contains(after.sql, newPassword) {
		t.Fatal("deploy.sh or roles.sql holds the password")
	}
	// The server as the image left it: the superuser with the password of
	// the first deploy.
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE ROLE %q LOGIN SUPERUSER PASSWORD '%s'`, superuser, oldPassword)); err != nil {
		t.Fatal(err)
	}
	login := func(password string) error {
		u := *server
		u.User = url.UserPassword(superuser, password)
		c, err := pgx.Connect(ctx, u.String())
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		var one int
		return c.QueryRow(ctx, "SELECT 1").Scan(&one)
	}
	if err := login(oldPassword); err != nil {
		t.Fatalf("before the deploy the old password fails: %v", err)
	}
	if err := login(newPassword); pgCode(err) != "28P01" {
		t.Fatalf("before the deploy the new password: %v, want invalid_password (28P01)", err)
	}

	step := superuserStep(t, after.deploy)
	runStep := func(current string) {
		t.Helper()
		script := filepath.Join(t.TempDir(), "step.sh")
		if err := os.WriteFile(script, []byte("set -euo pipefail\n"+dockerExecShim+step), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", script)
		cmd.Env = append(os.Environ(),
			"PATH="+filepath.Dir(psql)+":"+os.Getenv("PATH"),
			"PGHOST="+server.Hostname(), "PGPORT="+server.Port(), "PGSSLMODE=disable",
			"FAKE_SUPERUSER="+superuser, "FAKE_PGPASSWORD="+current,
			"FAKE_CONTAINER_PASSWORD="+parseEnv(t, after.serverEnv)["POSTGRES_PASSWORD"])
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("the superuser step: %v\n%s", err, out)
		}
		if strings.Contains(string(out), newPassword) {
			t.Errorf("the superuser step printed the password:\n%s", out)
		}
	}
	runStep(oldPassword)
	if err := login(oldPassword); pgCode(err) != "28P01" {
		t.Errorf("after the deploy the old password: %v, want invalid_password (28P01)", err)
	}
	if err := login(newPassword); err != nil {
		t.Fatalf("after the deploy the new password fails: %v", err)
	}

	// postgres-init: the role script over TCP, as the superuser, with the
	// init env file's PGPASSWORD and role passwords.
	script := filepath.Join(t.TempDir(), "roles.sql")
	if err := os.WriteFile(script, []byte(after.sql), 0o600); err != nil {
		t.Fatal(err)
	}
	initEnv := parseEnv(t, after.initEnv)
	cmd := exec.Command(psql, "--no-psqlrc", "--set=ON_ERROR_STOP=1", "--file="+script)
	cmd.Env = append(os.Environ(), "PGHOST="+server.Hostname(), "PGPORT="+server.Port(), "PGSSLMODE=disable",
		"PGDATABASE=postgres", "PGUSER="+superuser, "PGPASSWORD="+initEnv["PGPASSWORD"],
		database.PasswordEnv(role)+"="+initEnv[database.PasswordEnv(role)])
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("roles.sql with the new superuser password: %v\n%s", err, out)
	}

	// Again with the same password: harmless, the new one still works.
	runStep(newPassword)
	if err := login(newPassword); err != nil {
		t.Errorf("after a second run the new password fails: %v", err)
	}
	if err := login(oldPassword); pgCode(err) != "28P01" {
		t.Errorf("after a second run the old password: %v, want invalid_password (28P01)", err)
	}
}
