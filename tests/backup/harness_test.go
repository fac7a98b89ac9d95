package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"infra/components/vps/render"
	"infra/internal/vpstest"
)

// bucket is the stand-in's only bucket.
const bucket = "shop-prod-backups-test01"

// rig is one stack's worth of backups: a seeded server, the S3 stand-in
// and the two scripts as the VPS renders them.
type rig struct {
	t        *testing.T
	s3       *s3mem.Backend
	endpoint string
	env      []string
	dir      string
	backup   string // path of the rendered backup.sh
	drill    string // path of the rendered restore-drill.sh
	argvLog  string // the clients' command lines, once useDockerShim ran
}

// pgURL is the test server's superuser URL: CI always has one.
func pgURL(t *testing.T) string {
	u := os.Getenv("INFRA_TEST_PG_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("INFRA_TEST_PG_URL is not set; .ci/run starts PostgreSQL")
		}
		t.Skip("SKIPPED: INFRA_TEST_PG_URL is not set (eval \"$(bash scripts/test-postgres.sh)\"): the backup scripts were NOT run")
	}
	return u
}

// pgEnv turns the URL into the libpq variables the scripts' pg_dump,
// psql and pg_restore read (the production prefix runs them in the
// postgres container instead).
func pgEnv(t *testing.T, raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	return []string{"PGHOST=" + u.Hostname(), "PGPORT=" + u.Port(), "PGUSER=" + u.User.Username(), "PGPASSWORD=" + pw, "PGSSLMODE=disable"}
}

// newRig renders the scripts for databases and points them at a fresh
// gofakes3 and the test server. maxAge is what the schedule allows.
func newRig(t *testing.T, databases []string, maxAge time.Duration) *rig {
	t.Helper()
	raw := pgURL(t)
	for _, tool := range []string{"bash", "aws", "psql", "pg_dump", "pg_dumpall", "pg_restore", "sha256sum"} {
		vpstest.Tool(t, tool)
	}
	mem := s3mem.New()
	if err := mem.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(mem).Server())
	t.Cleanup(srv.Close)

	site := render.Site{
		Project:  "shop",
		Database: &render.SiteDatabase{Version: "15", Databases: databases},
		Backup:   &render.SiteBackup{Region: "nyc3", Schedule: "30 3 * * *", RetentionDays: 14, MaxAge: maxAge},
	}
	r := &rig{t: t, s3: mem, endpoint: srv.URL, dir: t.TempDir()}
	for name, render := range map[string]func(render.Site, string) (string, error){"backup.sh": render.BackupScript, "restore-drill.sh": render.RestoreDrillScript} {
		script, err := render(site, bucket)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(r.dir, name)
		if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r.backup, r.drill = filepath.Join(r.dir, "backup.sh"), filepath.Join(r.dir, "restore-drill.sh")
	textfile := filepath.Join(r.dir, "textfile")
	if err := os.Mkdir(textfile, 0o755); err != nil {
		t.Fatal(err)
	}
	// Only the commands that reach the host's containers are replaced:
	// the scripts' own variables, with the local tools in their place.
	r.env = append(os.Environ(), pgEnv(t, raw)...)
	r.env = append(r.env,
		"INFRA_APP_DIR="+r.dir,
		"INFRA_BACKUP_PG=",
		"INFRA_BACKUP_AWS=aws",
		"INFRA_BACKUP_ENDPOINT="+srv.URL,
		"INFRA_BACKUP_TEXTFILE="+textfile,
		"INFRA_DRILL_SCRATCH=database",
		"INFRA_DRILL_PG=",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=",
		"TMPDIR="+t.TempDir(),
	)
	return r
}

// run runs a script and returns its stdout, stderr and exit status.
func (r *rig) run(script string, args ...string) (string, string, int) {
	r.t.Helper()
	cmd := exec.Command("bash", append([]string{script}, args...)...)
	cmd.Env = r.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			r.t.Fatalf("run %s: %v", script, err)
		}
		code = ee.ExitCode()
	}
	return stdout.String(), stderr.String(), code
}

// keys lists the stand-in's objects.
func (r *rig) keys() []string {
	r.t.Helper()
	list, err := r.s3.ListBucket(bucket, nil, gofakes3.ListBucketPage{})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, c := range list.Contents {
		out = append(out, c.Key)
	}
	return out
}

func (r *rig) get(key string) []byte {
	r.t.Helper()
	obj, err := r.s3.GetObject(bucket, key, nil)
	if err != nil {
		r.t.Fatalf("get %s: %v", key, err)
	}
	defer obj.Contents.Close()
	b, err := io.ReadAll(obj.Contents)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// put replaces an object behind the S3 API's back, the way bit rot or a
// tampered copy would: the old object's metadata (its upload checksum)
// goes with it. Last-Modified is what gofakes3 sets on an upload through
// its API (gofakes3.go, metadataHeaders); the AWS CLI's downloads to a
// file need it.
func (r *rig) put(key string, b []byte) {
	r.t.Helper()
	if _, err := r.s3.DeleteObject(bucket, key); err != nil {
		r.t.Fatalf("delete %s: %v", key, err)
	}
	meta := map[string]string{"Last-Modified": time.Now().UTC().Format(http.TimeFormat)}
	if _, err := r.s3.PutObject(bucket, key, meta, bytes.NewReader(b), int64(len(b)), nil); err != nil {
		r.t.Fatalf("put %s: %v", key, err)
	}
}

// manifest is the documented shape of postgres/<time>/manifest.json.
type manifest struct {
	Version   int       `json:"version"`
	Time      time.Time `json:"time"`
	Databases []struct {
		Name   string           `json:"name"`
		File   string           `json:"file"`
		Bytes  int64            `json:"bytes"`
		SHA256 string           `json:"sha256"`
		Tables map[string]int64 `json:"tables"`
	} `json:"databases"`
	Globals struct {
		File   string `json:"file"`
		Bytes  int64  `json:"bytes"`
		SHA256 string `json:"sha256"`
	} `json:"globals"`
	// RolesSkipped says why there is no roles file (an external database).
	RolesSkipped string `json:"rolesSkipped,omitempty"`
}

// outcome is restore-drill.sh's one JSON line.
type outcome struct {
	OK              bool   `json:"ok"`
	Backup          string `json:"backup"`
	Time            string `json:"time"`
	AgeSeconds      int64  `json:"ageSeconds"`
	MaxAgeSeconds   int64  `json:"maxAgeSeconds"`
	DurationSeconds int64  `json:"durationSeconds"`
	Databases       []struct {
		Name   string `json:"name"`
		Bytes  int64  `json:"bytes"`
		Tables int    `json:"tables"`
		Rows   int64  `json:"rows"`
	} `json:"databases"`
	Problems   []string `json:"problems"`
	Restorable *struct {
		Backup     string `json:"backup"`
		Time       string `json:"time"`
		AgeSeconds int64  `json:"ageSeconds"`
	} `json:"restorable"`
}

func parseOutcome(t *testing.T, stdout string) outcome {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 1 {
		t.Fatalf("the drill printed %d lines on stdout, want one JSON line:\n%s", len(lines), stdout)
	}
	var o outcome
	dec := json.NewDecoder(strings.NewReader(lines[0]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("the drill's line is not its JSON: %v\n%s", err, lines[0])
	}
	return o
}

// seed creates a database with tables in two schemas and known row
// counts; the counts are the test's own, not read back from the server.
func seed(t *testing.T, name string, rows map[string]int) {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgURL(t))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name)); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %q`, name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), pgURL(t))
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		for _, db := range []string{name, "infra_drill_" + name} {
			_, _ = c.Exec(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, db))
		}
	})
	u, err := url.Parse(pgURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	for table, n := range rows {
		if strings.Contains(table, ".") {
			schema := strings.SplitN(table, ".", 2)[0]
			if _, err := db.Exec(ctx, fmt.Sprintf(`CREATE SCHEMA IF NOT EXISTS %s`, schema)); err != nil {
				t.Fatal(err)
			}
		}
		stmt := fmt.Sprintf(`CREATE TABLE %s (id bigint PRIMARY KEY, body text NOT NULL);
INSERT INTO %s SELECT g, md5(g::text) FROM generate_series(1, %d) g`, table, table, n)
		if _, err := db.Exec(ctx, stmt); err != nil {
			t.Fatalf("seed %s: %v", table, err)
		}
	}
}

// useDockerShim drops the scripts' overrides but the app directory and
// the node_exporter directory, and puts the strict docker shim first on
// PATH, then the clients' argv recorder (r.argvLog): what runs are the
// production command lines.
func (r *rig) useDockerShim() {
	r.t.Helper()
	recorder, argvLog := argvRecorder(r.t)
	r.argvLog = argvLog
	bin := filepath.Join(r.dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(dockerShim), 0o755); err != nil {
		r.t.Fatal(err)
	}
	var env []string
	for _, kv := range r.env {
		name := kv[:strings.Index(kv, "=")]
		switch name {
		case "INFRA_BACKUP_PG", "INFRA_BACKUP_AWS", "INFRA_BACKUP_ENDPOINT", "INFRA_DRILL_SCRATCH", "INFRA_DRILL_PG":
			continue
		case "PATH":
			kv = "PATH=" + bin + ":" + recorder + ":" + kv[len("PATH="):]
		}
		env = append(env, kv)
	}
	r.env = append(env, "SHIM_LOG="+filepath.Join(r.dir, "docker.log"), "SHIM_S3="+r.endpoint,
		"SHIM_SPACES=https://nyc3.digitaloceanspaces.com")
}
