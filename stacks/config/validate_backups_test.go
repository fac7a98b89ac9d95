package config

import (
	"strings"
	"testing"
	"time"
)

// devFile is the committed selfhosted VPS stack the backup cases edit.
const devFile = "../../Pulumi.dev.yaml"

// hotdashFile is the committed VPS stack with an external database
// (Supabase) dumped nightly, kept 14 days (seed 004).
const hotdashFile = "../../examples/hotdash/Pulumi.production.yaml"

// database.backups is checked before anything is declared: a 5-field
// schedule, a retention of 1..365 days, a deprecated spelling that agrees,
// and nothing the managed platform cannot honour.
func TestBackupsConfigErrors(t *testing.T) {
	dbOf := func(v map[string]any) map[string]any { return v["database"].(map[string]any) }
	backups := func(v map[string]any, b map[string]any) { dbOf(v)["backups"] = b }
	// managed: the example's managed database, without its backups.
	managed := func(v map[string]any) {
		db := dbOf(v)
		db["engine"] = "managed"
		delete(db, "backups")
	}
	cases := map[string]struct {
		file   string
		mutate func(v map[string]any)
		path   string
		text   string
	}{
		"six fields": {devFile, func(v map[string]any) { backups(v, map[string]any{"schedule": "0 30 3 * * *"}) },
			"infra:database.backups.schedule", "5-field"},
		"descriptor": {devFile, func(v map[string]any) { backups(v, map[string]any{"schedule": "@daily   x"}) },
			"infra:database.backups.schedule", "5-field"},
		"never runs": {devFile, func(v map[string]any) { backups(v, map[string]any{"schedule": "0 0 31 2 *"}) },
			"infra:database.backups.schedule", "never runs"},
		"hour 25": {devFile, func(v map[string]any) { backups(v, map[string]any{"schedule": "0 25 * * *"}) },
			"infra:database.backups.schedule", "not a cron expression"},
		"retention zero days": {devFile, func(v map[string]any) { backups(v, map[string]any{"retentionDays": float64(-1)}) },
			"infra:database.backups.retentionDays", ""},
		"retention over a year": {devFile, func(v map[string]any) { backups(v, map[string]any{"retentionDays": float64(400)}) },
			"infra:database.backups.retentionDays", ""},
		"unknown key": {devFile, func(v map[string]any) { backups(v, map[string]any{"keep": float64(3)}) },
			"infra:database.backups.keep", ""},
		"both spellings disagree": {devFile, func(v map[string]any) {
			backups(v, map[string]any{"retentionDays": float64(30)})
			dbOf(v)["backupRetentionDays"] = float64(14)
		}, "infra:database.backupRetentionDays", "keep only infra:database.backups.retentionDays"},
		// Without database.backups nothing dumps a managed cluster: the
		// deprecated spelling alone asks for what DigitalOcean fixes.
		"managed deprecated retention": {jarvisFile, func(v map[string]any) { managed(v); dbOf(v)["backupRetentionDays"] = float64(14) },
			"infra:database.backupRetentionDays", "14 cannot be honoured"},
		"managed dumped, bad schedule": {jarvisFile, func(v map[string]any) { managed(v); backups(v, map[string]any{"schedule": "0 25 * * *"}) },
			"infra:database.backups.schedule", "not a cron expression"},
		"managed dumped, retention over a year": {jarvisFile, func(v map[string]any) { managed(v); backups(v, map[string]any{"retentionDays": float64(400)}) },
			"infra:database.backups.retentionDays", ""},
		"managed dumped, no spaces key": {jarvisFile, func(v map[string]any) {
			managed(v)
			backups(v, map[string]any{"retentionDays": float64(14)})
			vps := v["vps"].(map[string]any)
			delete(vps, "spacesKeySecret")
			delete(vps, "spacesSecretSecret")
		}, "infra:vps.spacesKeySecret", "required with infra:database.backups on the managed engine"},
		// external on the VPS: dumped by the Droplet's cron, checked alike.
		// Its URL goes on pg_dump's command line without its password: a
		// keyword/value string's password could not be taken out.
		"external dumped, keyword/value URL": {hotdashFile, func(v map[string]any) {
			v["secrets"].(map[string]any)["supabase-url"] = "host=db.example dbname=postgres user=app password=hunter2"
		}, "infra:secrets.supabase-url", "must be a postgresql:// or postgres:// URI"},
		"external dumped, bad escape in the password": {hotdashFile, func(v map[string]any) {
			v["secrets"].(map[string]any)["supabase-url"] = "postgresql://app:hunter2%zz@db.example/postgres"
		}, "infra:secrets.supabase-url", "'%' not followed by two hex digits"},
		"external dumped, bad schedule": {hotdashFile, func(v map[string]any) { backups(v, map[string]any{"schedule": "0 25 * * *"}) },
			"infra:database.backups.schedule", "not a cron expression"},
		"external dumped, never runs": {hotdashFile, func(v map[string]any) { backups(v, map[string]any{"schedule": "0 0 31 2 *"}) },
			"infra:database.backups.schedule", "never runs"},
		"external dumped, retention over a year": {hotdashFile, func(v map[string]any) { backups(v, map[string]any{"retentionDays": float64(400)}) },
			"infra:database.backups.retentionDays", ""},
		"external dumped, no spaces key": {hotdashFile, func(v map[string]any) {
			vps := v["vps"].(map[string]any)
			delete(vps, "spacesKeySecret")
			delete(vps, "spacesSecretSecret")
		}, "infra:vps.spacesKeySecret", "required with infra:database.backups on the external engine"},
		"external dumped, two databases": {hotdashFile, func(v map[string]any) {
			dbOf(v)["databases"] = []any{map[string]any{"name": "postgres"}, map[string]any{"name": "analytics"}}
		}, "infra:database.databases", "list exactly one"},
		"external dumped, unpinned version": {hotdashFile, func(v map[string]any) { dbOf(v)["version"] = "13" },
			"infra:database.version", "no pinned client image"},
		"external deprecated retention alone": {hotdashFile, func(v map[string]any) {
			delete(dbOf(v), "backups")
			dbOf(v)["backupRetentionDays"] = float64(14)
		}, "infra:database.backupRetentionDays", "only when infra:database.backups is set"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			base, err := ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			raw := cloneRaw(t, base)
			c.mutate(raw.Values)
			_, err = Parse(raw)
			requireProblem(t, err, c.path, c.text)
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error quotes a secret: %v", err)
			}
		})
	}
}

// What is accepted: the deprecated spelling alone feeds the new key, a
// managed cluster may state DigitalOcean's 7 days, and defaults fill in.
func TestBackupsConfigAccepted(t *testing.T) {
	cases := map[string]struct {
		file      string
		backups   any
		legacy    any
		engine    string
		schedule  string
		retention int
	}{
		"defaults":          {devFile, nil, nil, "", DefaultBackupSchedule, DefaultBackupRetentionDays},
		"deprecated alone":  {devFile, nil, float64(21), "", DefaultBackupSchedule, 21},
		"both agree":        {devFile, map[string]any{"retentionDays": float64(21)}, float64(21), "", DefaultBackupSchedule, 21},
		"new key":           {devFile, map[string]any{"schedule": "15 */6 * * *", "retentionDays": float64(30)}, nil, "", "15 */6 * * *", 30},
		"managed says 7":    {jarvisFile, map[string]any{"retentionDays": float64(7)}, nil, "managed", DefaultBackupSchedule, 7},
		"managed dumped":    {jarvisFile, map[string]any{"retentionDays": float64(14)}, nil, "managed", DefaultBackupSchedule, 14},
		"managed schedule":  {jarvisFile, map[string]any{"schedule": "0 1 * * *"}, nil, "managed", "0 1 * * *", DefaultBackupRetentionDays},
		"managed no backup": {jarvisFile, nil, nil, "managed", "", 0},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			base, err := ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			raw := cloneRaw(t, base)
			db := raw.Values["database"].(map[string]any)
			if c.engine == "managed" {
				delete(db, "backups") // the example's own
			}
			if c.backups != nil {
				db["backups"] = c.backups
			}
			if c.legacy != nil {
				db["backupRetentionDays"] = c.legacy
			}
			cfg, err := Parse(raw)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			b := cfg.Database.Backups
			if c.engine == "managed" {
				// On the VPS the Droplet dumps a managed cluster once
				// database.backups is set, and only then.
				if dumped := cfg.Database.DumpedOn(cfg.Topology); dumped != (c.retention != 0) {
					t.Errorf("DumpedOn = %v with database.backups %v", dumped, c.backups)
				}
				if c.retention == 0 {
					if b != nil {
						t.Errorf("managed stack got backup defaults %+v", b)
					}
					return
				}
			}
			if b == nil || b.Schedule != c.schedule || b.RetentionDays != c.retention {
				t.Errorf("backups = %+v, want schedule %q, %d days", b, c.schedule, c.retention)
			}
		})
	}
}

// The oldest acceptable backup is the schedule's longest gap plus the
// time a dump may take; the gaps here are worked out by hand.
func TestMaxBackupAge(t *testing.T) {
	cases := map[string]time.Duration{
		"30 3 * * *":   24 * time.Hour,
		"15 */6 * * *": 6 * time.Hour,
		"0 2 * * 0":    7 * 24 * time.Hour,
		"0 1,23 * * *": 22 * time.Hour,      // 01:00 -> 23:00 is the long gap
		"0 4 1 * *":    31 * 24 * time.Hour, // July -> August
		"0 3 * * 1-5":  3 * 24 * time.Hour,  // Friday -> Monday
		"*/30 * * * *": 30 * time.Minute,
		"0 12 * * 6,0": 6 * 24 * time.Hour,   // Sunday -> Saturday
		"0 0 1 1,7 *":  184 * 24 * time.Hour, // July 1 -> January 1
	}
	for schedule, gap := range cases {
		got, err := MaxBackupAge(schedule)
		if err != nil {
			t.Errorf("%s: %v", schedule, err)
			continue
		}
		if want := gap + DumpAllowance; got != want {
			t.Errorf("%s: max age %s, want %s", schedule, got, want)
		}
	}
	if _, err := MaxBackupAge("0 0 31 2 *"); err == nil {
		t.Error("a schedule that never runs (February 31) was accepted")
	}
}

// clusterFile is the committed Kubernetes stack with a managed database
// and hourly dumps (seed 001).
const clusterFile = "../../examples/jarvis-cluster/Pulumi.prod.yaml"

// On Kubernetes a managed database with database.backups is dumped by a
// CronJob: the schedule and retention are checked as on the VPS, and the
// Spaces key it uploads with is required, both halves, as named secrets.
func TestKubernetesBackupsConfigErrors(t *testing.T) {
	dbOf := func(v map[string]any) map[string]any { return v["database"].(map[string]any) }
	clusterOf := func(v map[string]any) map[string]any { return v["cluster"].(map[string]any) }
	cases := map[string]struct {
		mutate func(v map[string]any)
		path   string
		text   string
	}{
		"bad schedule": {func(v map[string]any) { dbOf(v)["backups"] = map[string]any{"schedule": "0 25 * * *"} },
			"infra:database.backups.schedule", "not a cron expression"},
		"never runs": {func(v map[string]any) { dbOf(v)["backups"] = map[string]any{"schedule": "0 0 31 2 *"} },
			"infra:database.backups.schedule", "never runs"},
		"retention over a year": {func(v map[string]any) { dbOf(v)["backups"] = map[string]any{"retentionDays": float64(400)} },
			"infra:database.backups.retentionDays", ""},
		"no spaces key": {func(v map[string]any) {
			delete(clusterOf(v), "spacesKeySecret")
			delete(clusterOf(v), "spacesSecretSecret")
		}, "infra:cluster.spacesKeySecret", "required with infra:database.backups"},
		"half a key": {func(v map[string]any) { delete(clusterOf(v), "spacesSecretSecret") },
			"infra:cluster", "set both spacesKeySecret and spacesSecretSecret"},
		"unknown secret": {func(v map[string]any) { clusterOf(v)["spacesKeySecret"] = "nope" },
			"infra:cluster.spacesKeySecret", "nope"},
		"spaces region unknown": {func(v map[string]any) { clusterOf(v)["spacesRegion"] = "lon2" },
			"infra:cluster.spacesRegion", "has no Spaces"},
		"deprecated retention disagrees": {func(v map[string]any) {
			dbOf(v)["backups"] = map[string]any{"retentionDays": float64(30)}
			dbOf(v)["backupRetentionDays"] = float64(14)
		}, "infra:database.backupRetentionDays", "keep only infra:database.backups.retentionDays"},
		"no backups, deprecated retention": {func(v map[string]any) {
			delete(dbOf(v), "backups")
			dbOf(v)["backupRetentionDays"] = float64(14)
		}, "infra:database.backupRetentionDays", "14 cannot be honoured"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			base, err := ReadFile(clusterFile)
			if err != nil {
				t.Fatal(err)
			}
			raw := cloneRaw(t, base)
			c.mutate(raw.Values)
			_, err = Parse(raw)
			requireProblem(t, err, c.path, c.text)
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error quotes a secret: %v", err)
			}
		})
	}
}

// What is accepted on Kubernetes: the example's hourly schedule with the
// default retention, any retention once infra dumps, and a managed stack
// without database.backups that gets no defaults (no dumps).
func TestKubernetesBackupsConfigAccepted(t *testing.T) {
	cases := map[string]struct {
		backups   any // nil: as the file says; "none": removed
		schedule  string
		retention int
	}{
		"example":     {nil, "0 * * * *", DefaultBackupRetentionDays},
		"longer":      {map[string]any{"retentionDays": float64(30)}, DefaultBackupSchedule, 30},
		"empty":       {map[string]any{}, DefaultBackupSchedule, DefaultBackupRetentionDays},
		"not dumped":  {"none", "", 0},
		"weekly kept": {map[string]any{"schedule": "0 3 * * 1-5", "retentionDays": float64(90)}, "0 3 * * 1-5", 90},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			base, err := ReadFile(clusterFile)
			if err != nil {
				t.Fatal(err)
			}
			raw := cloneRaw(t, base)
			db := raw.Values["database"].(map[string]any)
			switch c.backups {
			case nil:
			case "none":
				delete(db, "backups")
			default:
				db["backups"] = c.backups
			}
			cfg, err := Parse(raw)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			b := cfg.Database.Backups
			if c.retention == 0 {
				if b != nil || cfg.Database.DumpedOn(cfg.Topology) {
					t.Errorf("a stack without database.backups got dumps: %+v", b)
				}
				return
			}
			if !cfg.Database.DumpedOn(cfg.Topology) {
				t.Errorf("DumpedOn = false with database.backups set")
			}
			if b == nil || b.Schedule != c.schedule || b.RetentionDays != c.retention {
				t.Errorf("backups = %+v, want schedule %q, %d days", b, c.schedule, c.retention)
			}
			if cfg.Cluster.SpacesRegion != cfg.Region {
				t.Errorf("spacesRegion = %q, want the stack's region %q", cfg.Cluster.SpacesRegion, cfg.Region)
			}
		})
	}
}

// An external database on the VPS with database.backups is dumped by the
// Droplet's cron, with the defaults filled in; without it nothing is, and
// no defaults appear. The roles file is never dumped for it.
func TestExternalBackupsConfigAccepted(t *testing.T) {
	cases := map[string]struct {
		backups   any // nil: as the file says; "none": removed
		schedule  string
		retention int
	}{
		"example":    {nil, "30 3 * * *", 14},
		"empty":      {map[string]any{}, DefaultBackupSchedule, DefaultBackupRetentionDays},
		"hourly":     {map[string]any{"schedule": "0 * * * *", "retentionDays": float64(2)}, "0 * * * *", 2},
		"not dumped": {"none", "", 0},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			base, err := ReadFile(hotdashFile)
			if err != nil {
				t.Fatal(err)
			}
			raw := cloneRaw(t, base)
			db := raw.Values["database"].(map[string]any)
			switch c.backups {
			case nil:
			case "none":
				delete(db, "backups")
			default:
				db["backups"] = c.backups
			}
			cfg, err := Parse(raw)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			d := cfg.Database
			if d.RolesDumped() {
				t.Error("an external database's roles would be dumped")
			}
			if dumped := d.DumpedOn(cfg.Topology); dumped != (c.retention != 0) {
				t.Fatalf("DumpedOn = %v with database.backups %v", dumped, c.backups)
			}
			if c.retention == 0 {
				if d.Backups != nil {
					t.Errorf("undumped external stack got backup defaults %+v", d.Backups)
				}
				return
			}
			if b := d.Backups; b == nil || b.Schedule != c.schedule || b.RetentionDays != c.retention {
				t.Errorf("backups = %+v, want schedule %q, %d days", b, c.schedule, c.retention)
			}
		})
	}
}

// externalCluster turns the committed Kubernetes stack's managed database
// into an external one (its URL in the secret ext-url) with
// database.backups set.
func externalCluster(t *testing.T, url string) *Raw {
	t.Helper()
	base, err := ReadFile(clusterFile)
	if err != nil {
		t.Fatal(err)
	}
	raw := cloneRaw(t, base)
	raw.Values["database"] = map[string]any{
		"engine":            "external",
		"version":           "16",
		"externalUrlSecret": "ext-url",
		"databases":         []any{map[string]any{"name": "jarvis"}},
		"backups":           map[string]any{"retentionDays": float64(14)},
	}
	raw.Values["secrets"].(map[string]any)["ext-url"] = url
	return raw
}

// On Kubernetes an external database with database.backups is dumped by
// the CronJob: accepted with the defaults filled in, no roles file, and a
// URL on the port the CronJob's egress opens (ExternalDumpPorts: 5432).
func TestKubernetesExternalBackupsAccepted(t *testing.T) {
	for name, url := range map[string]string{
		"default port":   "postgresql://app:pw@db.example.com/jarvis?sslmode=require",
		"5432":           "postgresql://app:pw@db.example.com:5432/jarvis",
		"session pooler": "postgres://app.ref:pw@aws-0-us-east-1.pooler.supabase.com:5432/jarvis",
		"offline plan":   Placeholder("ext-url"),
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := Parse(externalCluster(t, url))
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			d := cfg.Database
			if !d.DumpedOn(TopologyKubernetes) || d.RolesDumped() {
				t.Errorf("DumpedOn(kubernetes) %v, RolesDumped %v; want true, false", d.DumpedOn(TopologyKubernetes), d.RolesDumped())
			}
			if b := d.Backups; b == nil || b.Schedule != DefaultBackupSchedule || b.RetentionDays != 14 {
				t.Errorf("backups = %+v, want the default schedule, 14 days", b)
			}
		})
	}
}

// The rules of the VPS's external dumps hold on Kubernetes too, every
// problem in one error; and a URL on a port the CronJob's egress does not
// open is refused without quoting the URL.
func TestKubernetesExternalBackupsProblems(t *testing.T) {
	secret := "s3cr3t-pw"
	raw := externalCluster(t, "postgresql://app:"+secret+"@db.example.com:25060/jarvis")
	db := raw.Values["database"].(map[string]any)
	db["backups"] = map[string]any{"schedule": "0 25 * * *", "retentionDays": float64(400)}
	db["databases"] = []any{map[string]any{"name": "jarvis"}, map[string]any{"name": "analytics"}}
	db["version"] = "12"
	delete(raw.Values["cluster"].(map[string]any), "spacesKeySecret")
	delete(raw.Values["cluster"].(map[string]any), "spacesSecretSecret")
	_, err := Parse(raw)
	for path, text := range map[string]string{
		"infra:database.backups.schedule":      "not a cron expression",
		"infra:database.backups.retentionDays": "",
		"infra:database.databases":             "list exactly one",
		"infra:database.version":               "no pinned client image",
		"infra:cluster.spacesKeySecret":        "required with infra:database.backups",
		"infra:secrets.ext-url":                "only on port 5432",
	} {
		requireProblem(t, err, path, text)
	}
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("the error quotes the URL: %v", err)
	}
	for name, url := range map[string]string{
		"transaction pooler":       "postgresql://app.ref@aws-0-us-east-1.pooler.supabase.com:6543/jarvis",
		"two hosts, one elsewhere": "postgresql://app@a.example.com:5432,b.example.com:5433/jarvis",
		"port parameter":           "postgresql://app@a.example.com/jarvis?port=25060",
		"keyword/value":            "host=a.example.com dbname=jarvis user=app",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(externalCluster(t, url))
			requireProblem(t, err, "infra:secrets.ext-url", "")
		})
	}
}

// Every problem of an external stack's backups arrives in one error, each
// with its path.
func TestExternalBackupsProblemsTogether(t *testing.T) {
	base, err := ReadFile(hotdashFile)
	if err != nil {
		t.Fatal(err)
	}
	raw := cloneRaw(t, base)
	db := raw.Values["database"].(map[string]any)
	db["backups"] = map[string]any{"schedule": "0 25 * * *", "retentionDays": float64(400)}
	db["databases"] = []any{map[string]any{"name": "postgres"}, map[string]any{"name": "analytics"}}
	db["version"] = "12"
	vps := raw.Values["vps"].(map[string]any)
	delete(vps, "spacesKeySecret")
	delete(vps, "spacesSecretSecret")
	_, err = Parse(raw)
	for path, text := range map[string]string{
		"infra:database.backups.schedule":      "not a cron expression",
		"infra:database.backups.retentionDays": "",
		"infra:database.databases":             "list exactly one",
		"infra:database.version":               "no pinned client image",
		"infra:vps.spacesKeySecret":            "external engine",
	} {
		requireProblem(t, err, path, text)
	}
}
