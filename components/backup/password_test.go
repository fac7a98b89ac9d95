package backup

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/pulumitest"
)

// The Secret holds each database's connection string without its
// password and the password on its own, both Pulumi secrets; the dump
// container takes each of them by reference to those keys, the roles'
// pair from the first database's; nothing of them is a literal value.
func TestDumpPasswordsTravelApart(t *testing.T) {
	args := validArgs()
	args.Databases = []Database{
		{Name: "shop", URL: pulumi.ToSecret(pulumi.String("postgresql://shop_owner:p%40ss%20w'rd@db:25060/shop?sslmode=require")).(pulumi.StringOutput)},
		{Name: "audit", URL: pulumi.ToSecret(pulumi.String("postgresql://audit_owner:pw2@db:25060/audit?sslmode=require")).(pulumi.StringOutput)},
	}
	rec := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewKubernetesBackup(ctx, "shop-prod", args)
		return err
	})
	data := pulumitest.Path(pulumitest.Plain(rec.Get(t, "kubernetes:core/v1:Secret", "shop-prod-secret-db-backup").Inputs), "stringData").(map[string]any)
	want := map[string]string{
		"url-shop":       "postgresql://shop_owner@db:25060/shop?sslmode=require",
		"password-shop":  "p@ss w'rd",
		"url-audit":      "postgresql://audit_owner@db:25060/audit?sslmode=require",
		"password-audit": "pw2",
	}
	for k, v := range want {
		s, ok := data[k].(pulumitest.Secret)
		if !ok {
			t.Errorf("Secret key %s = %#v, want a secret", k, data[k])
			continue
		}
		if s.Value != v {
			t.Errorf("Secret key %s = %q, want %q", k, s.Value, v)
		}
	}

	env := map[string]string{}
	for _, e := range DumpEnv(args) {
		m := e.(map[string]any)
		if ref, ok := m["valueFrom"]; ok {
			r := ref.(map[string]any)["secretKeyRef"].(map[string]any)
			if r["name"] != Name {
				t.Errorf("%s reads Secret %v", m["name"], r["name"])
			}
			env[m["name"].(string)] = r["key"].(string)
		}
	}
	// DumpEnv lists the databases in name order: audit is the first.
	for name, key := range map[string]string{
		"INFRA_BACKUP_URL_shop": "url-shop", "INFRA_BACKUP_PASSWORD_shop": "password-shop",
		"INFRA_BACKUP_URL_audit": "url-audit", "INFRA_BACKUP_PASSWORD_audit": "password-audit",
		"INFRA_BACKUP_GLOBALS_URL": "url-audit", "INFRA_BACKUP_GLOBALS_PASSWORD": "password-audit",
	} {
		if env[name] != key {
			t.Errorf("%s refers to key %q, want %q", name, env[name], key)
		}
		if _, ok := data[key]; !ok {
			t.Errorf("%s refers to %q, which the Secret does not have", name, key)
		}
	}
}

// A connection string whose password cannot be taken out fails the
// Secret's value, naming the database and never the value.
func TestDumpPasswordSplitRefusesKeywordForm(t *testing.T) {
	args := validArgs()
	args.Databases = []Database{{Name: "shop", URL: pulumi.ToSecret(pulumi.String("host=db dbname=shop password=hunter2")).(pulumi.StringOutput)}}
	_, err := pulumitest.RunErr(func(ctx *pulumi.Context) error {
		_, err := NewKubernetesBackup(ctx, "shop-prod", args)
		return err
	})
	if err == nil {
		t.Fatal("accepted a keyword/value connection string")
	}
	if msg := err.Error(); !strings.Contains(msg, `database "shop"`) || strings.Contains(msg, "hunter2") {
		t.Errorf("error %q: want the database named and no password", msg)
	}
}

// The CronJob, with both variables per database, passes the Kubernetes
// schema (the drill's schema test shows the check can fail).
func TestCronJobMatchesTheKubernetesSchema(t *testing.T) {
	v := validator(t)
	if err := v.Validate(plainJSON(t, CronJob(validArgs()))); err != nil {
		t.Error(err)
	}
}
