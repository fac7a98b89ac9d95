package tests

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/database"
	"infra/components/vps/render"
	"infra/internal/mockmonitor"
	"infra/internal/stacktest"
	"infra/internal/vpstest"
	"infra/stacks"
	"infra/stacks/config"
)

// selfhostedFiles is what one deploy of the self-hosted stack hands the
// host: the role script, the init container's env and the app's env.
type selfhostedFiles struct {
	sql, initEnv, appEnv, serverEnv, deploy string
}

// deployRotated runs Deploy with the generator answering value ("" = the
// mock's own) and returns the files the deploy command sends.
func deployRotated(t *testing.T, raw *config.Raw, service, generator, value string) selfhostedFiles {
	t.Helper()
	cfg, err := config.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	conf, secretKeys, err := raw.PulumiConfig()
	if err != nil {
		t.Fatal(err)
	}
	var f selfhostedFiles
	mon := &stacktest.RotatedMonitor{Monitor: mockmonitor.New("infra", "dev"), Type: stacks.PasswordType, Name: generator, Value: value}
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		d, err := stacks.Deploy(ctx, cfg)
		if err != nil {
			return err
		}
		f.sql = await(t, ctx.Context(), d.VPS.Files[render.RolesSQLPath])
		f.initEnv = await(t, ctx.Context(), d.VPS.Files[render.EnvFilePath(render.PostgresInitService)])
		f.appEnv = await(t, ctx.Context(), d.VPS.Files[render.EnvFilePath(service)])
		f.serverEnv = await(t, ctx.Context(), d.VPS.Files[render.EnvFilePath(render.PostgresService)])
		f.deploy = await(t, ctx.Context(), d.VPS.Files["deploy.sh"])
		return nil
	}, pulumi.WithMocks("infra", "dev", mon), func(ri *pulumi.RunInfo) {
		ri.Config, ri.ConfigSecretKeys = conf, secretKeys
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Rotating a self-hosted role's password, on a real PostgreSQL 15: the
// deploy before and the deploy after the generator's replacement each run
// their role script as the postgres-init container does (psql with the
// init env file's variables). After the second, the connection string the
// app had stops working (invalid password) and the one the stack now
// renders into the app's env file works.
func TestRotatedRolePasswordOnRealPostgres(t *testing.T) {
	pgURL := requireService(t, "INFRA_TEST_PG_URL", "a PostgreSQL server")
	psql := vpstest.Tool(t, "psql")
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1_000_000_000)
	role, app := "rot_"+suffix+"_app", "rot_"+suffix

	raw := cloneRaw(t, readRaw(t, vpsStacks["dev"].file))
	if eng := raw.Values["database"].(map[string]any)["engine"]; eng != "selfhosted" {
		t.Fatalf("the dev stack's engine is %v; this test needs selfhosted", eng)
	}
	db := raw.Values["database"].(map[string]any)
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
		if s.Name == "database.roles."+role && s.Rotatable() {
			generator = s.Resource
		}
	}
	if generator == "" {
		t.Fatalf("database.roles.%s is not a rotatable secret of the stack", role)
	}

	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatalf("connect as superuser: %v", err)
	}
	defer admin.Close(ctx)
	t.Cleanup(func() {
		_, _ = admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, app))
		_, _ = admin.Exec(ctx, fmt.Sprintf(`DROP ROLE IF EXISTS %q`, role))
	})
	var version string
	if err := admin.QueryRow(ctx, "SHOW server_version_num").Scan(&version); err != nil || !strings.HasPrefix(version, "15") {
		t.Fatalf("server version %s (%v), want PostgreSQL 15", version, err)
	}

	// initRun is one deploy's postgres-init: its script, its env.
	initRun := func(f selfhostedFiles) {
		t.Helper()
		script := filepath.Join(t.TempDir(), "roles.sql")
		if err := os.WriteFile(script, []byte(f.sql), 0o600); err != nil {
			t.Fatal(err)
		}
		env := parseEnv(t, f.initEnv)
		cmd := exec.Command(psql, "--no-psqlrc", "--set=ON_ERROR_STOP=1", "--dbname="+pgURL, "--file="+script)
		cmd.Env = append(os.Environ(), database.PasswordEnv(role)+"="+env[database.PasswordEnv(role)])
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("roles.sql: %v\n%s", err, out)
		}
	}
	// appURL is the app's DATABASE_URL, pointed at the test server in
	// place of the compose network's postgres:5432.
	appURL := func(f selfhostedFiles) string {
		t.Helper()
		u, err := url.Parse(parseEnv(t, f.appEnv)["DATABASE_URL"])
		if err != nil || u.Host != net.JoinHostPort(database.SelfHostedHost, strconv.Itoa(database.SelfHostedPort)) {
			t.Fatalf("the app's DATABASE_URL is not a URL of the self-hosted server (%v)", err)
		}
		server, err := url.Parse(pgURL)
		if err != nil {
			t.Fatal(err)
		}
		u.Host = server.Host
		return u.String()
	}
	connect := func(dsn string) error {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		var one int
		return c.QueryRow(ctx, "SELECT 1").Scan(&one)
	}

	before := deployRotated(t, raw, service, generator, "")
	initRun(before)
	oldURL := appURL(before)
	if err := connect(oldURL); err != nil {
		t.Fatalf("before the rotation the app cannot connect: %v", err)
	}

	rotated := "Rotated" + strconv.FormatInt(time.Now().UnixNano(), 36) + "xyz0123456789"
	after := deployRotated(t, raw, service, generator, rotated)
	newURL := appURL(after)
	if newURL == oldURL {
		t.Fatal("the app's connection string did not change with the generator")
	}
	if parseEnv(t, after.initEnv)[database.PasswordEnv(role)] != rotated {
		t.Fatal("the init env file does not carry the new generator's value")
	}
	if strings.Contains(after.sql, rotated) {
		t.Error("roles.sql holds the password")
	}
	// Between the two: the old password still works until the redeploy.
	if err := connect(oldURL); err != nil {
		t.Fatalf("the old password stopped working before the redeploy: %v", err)
	}
	initRun(after)
	err = connect(oldURL)
	if err == nil || pgCode(err) != "28P01" {
		t.Errorf("after the rotation the old connection string: %v, want invalid_password (28P01)", err)
	}
	if err := connect(newURL); err != nil {
		t.Errorf("after the rotation the app's new connection string fails: %v", err)
	}
}
