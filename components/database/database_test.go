package database

import (
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func focusdeck() Model {
	return Model{
		Databases: []Database{
			{Name: "focusdeck", Owner: "focusdeck_app", Pool: &Pool{Mode: "transaction", Size: 20}},
			{Name: "focusdeck_jobs", Owner: "focusdeck_app", Pool: &Pool{Mode: "session", Size: 10}},
			{Name: "reports", Owner: "reporting"},
		},
		Roles: []Role{
			{Name: "focusdeck_app", Databases: []Grant{{Database: "focusdeck"}, {Database: "focusdeck_jobs"}}},
			{Name: "reporting", Databases: []Grant{{Database: "reports"}, {Database: "focusdeck", Level: LevelRead}}},
			{Name: "support", Databases: []Grant{{Database: "focusdeck", Level: LevelReadWrite}, {Database: "focusdeck_jobs"}}},
		},
	}
}

// The script's text is reviewed as a golden file; what it does is proven
// on a real server by tests/postgres_test.go.
func TestRenderSQLGolden(t *testing.T) {
	got := RenderSQL(focusdeck())
	path := filepath.Join("testdata", "focusdeck.sql")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("RenderSQL changed; review and run go test ./components/database -update\n--- got ---\n%s", got)
	}
}

func TestAccess(t *testing.T) {
	got := focusdeck().Access()
	want := []Access{
		{Role: "focusdeck_app", Database: "focusdeck", Owner: "focusdeck_app", Level: LevelOwner},
		{Role: "reporting", Database: "focusdeck", Owner: "focusdeck_app", Level: LevelRead},
		{Role: "support", Database: "focusdeck", Owner: "focusdeck_app", Level: LevelReadWrite},
		{Role: "focusdeck_app", Database: "focusdeck_jobs", Owner: "focusdeck_app", Level: LevelOwner},
		{Role: "support", Database: "focusdeck_jobs", Owner: "focusdeck_app", Level: LevelCreate},
		{Role: "reporting", Database: "reports", Owner: "reporting", Level: LevelOwner},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d access entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("access[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestSQLQuotesIdentifiers(t *testing.T) {
	sql := RenderSQL(Model{
		Databases: []Database{{Name: `we"ird`, Owner: "o'brien"}},
		Roles: []Role{
			{Name: "o'brien", Databases: []Grant{{Database: `we"ird`}}},
			{Name: "d'arcy", Databases: []Grant{{Database: `we"ird`, Level: LevelRead}}},
		},
	})
	for _, want := range []string{`"we""ird"`, `'o''brien'`, `"o'brien"`, `FOR ROLE "o'brien"`, `TO "d'arcy"`} {
		if !strings.Contains(sql, want) {
			t.Errorf("SQL does not quote %s:\n%s", want, sql)
		}
	}
}

func TestEndpointFormats(t *testing.T) {
	e := Endpoint{Host: "db.internal", Port: 25061, Database: "focusdeck-pool", User: "focusdeck_app", Password: "Abc123", TLS: true, TransactionPool: true}
	tests := []struct {
		format Format
		check  func(t *testing.T, s string)
	}{
		{FormatNpgsql, func(t *testing.T, s string) {
			kv := map[string]string{}
			for _, part := range strings.Split(s, ";") {
				k, v, ok := strings.Cut(part, "=")
				if !ok {
					t.Fatalf("malformed part %q", part)
				}
				kv[k] = v
			}
			want := map[string]string{"Host": "db.internal", "Port": "25061", "Database": "focusdeck-pool", "Username": "focusdeck_app", "Password": "Abc123", "SSL Mode": "Require", "No Reset On Close": "true"}
			for k, v := range want {
				if kv[k] != v {
					t.Errorf("%s = %q, want %q", k, kv[k], v)
				}
			}
		}},
		{FormatURL, func(t *testing.T, s string) {
			u, err := url.Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			pw, _ := u.User.Password()
			if u.Scheme != "postgresql" || u.Hostname() != "db.internal" || u.Port() != "25061" || u.Path != "/focusdeck-pool" || u.User.Username() != "focusdeck_app" || pw != "Abc123" || u.Query().Get("sslmode") != "require" {
				t.Errorf("url parts wrong: %s", s)
			}
		}},
		{FormatLibpq, func(t *testing.T, s string) {
			for _, want := range []string{"host=db.internal", "port=25061", "dbname=focusdeck-pool", "user=focusdeck_app", "password=Abc123", "sslmode=require"} {
				if !strings.Contains(" "+s+" ", " "+want+" ") {
					t.Errorf("libpq string lacks %s: %s", want, s)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			s, err := e.Format(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
	if _, err := e.Format("jdbc"); err == nil {
		t.Error("an unknown format must be an error")
	}
	plain, _ := Endpoint{Host: "postgres", Port: 5432, Database: "d", User: "u", Password: "p"}.Format(FormatURL)
	if !strings.HasSuffix(plain, "sslmode=disable") {
		t.Errorf("a self-hosted endpoint on the compose network does not use TLS: %s", plain)
	}
}
