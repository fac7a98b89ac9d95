package backup

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/pulumitest"
	"infra/internal/vpstest"
)

// The private, shared and link-local ranges an internet rule leaves out:
// RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598 (100.64/10),
// RFC 3927 (169.254/16).
var privateRanges = []any{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"}

const externalReason = "the external database's roles are managed where it lives"

// externalArgs dumps one external database on the internet, as
// stacks/backup.go declares it.
func externalArgs() *KubernetesBackupArgs {
	args := validArgs()
	args.Databases = []Database{{Name: "postgres", URL: pulumi.ToSecret(pulumi.String("postgresql://app.ref:s%40cret@db.example.com:5432/postgres?sslmode=require")).(pulumi.StringOutput)}}
	args.RolesSkipped = externalReason
	except := make([]string, len(privateRanges))
	for i, c := range privateRanges {
		except[i] = c.(string)
	}
	args.DatabaseEgress = []Egress{{CIDR: "0.0.0.0/0", Except: except, Ports: []int{5432}}}
	return args
}

// The dump container of an external stack reads the URL (without its
// password) and the password from the Secret by reference, and no roles'
// pair; the Secret holds the URL as given but for the password.
func TestExternalDumpEnv(t *testing.T) {
	args := externalArgs()
	rec := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewKubernetesBackup(ctx, "hot-prod", args)
		return err
	})
	data := pulumitest.Path(pulumitest.Plain(rec.Get(t, "kubernetes:core/v1:Secret", "hot-prod-secret-db-backup").Inputs), "stringData").(map[string]any)
	for k, v := range map[string]string{
		"url-postgres":      "postgresql://app.ref@db.example.com:5432/postgres?sslmode=require",
		"password-postgres": "s@cret",
	} {
		if s, ok := data[k].(pulumitest.Secret); !ok || s.Value != v {
			t.Errorf("Secret key %s = %#v, want the secret %q", k, data[k], v)
		}
	}
	cj := pulumitest.Plain(rec.Get(t, "kubernetes:batch/v1:CronJob", "hot-prod-cronjob-db-backup").Inputs)
	dump := pulumitest.Path(cj, "spec.jobTemplate.spec.template.spec.initContainers").([]any)[0].(map[string]any)
	refs := map[string]string{}
	for _, e := range dump["env"].([]any) {
		m := e.(map[string]any)
		name := m["name"].(string)
		if strings.Contains(name, "GLOBALS") {
			t.Errorf("the dump container has %s: an external stack dumps no roles", name)
		}
		if ref, ok := m["valueFrom"]; ok {
			refs[name] = pulumitest.Path(ref.(map[string]any), "secretKeyRef.key").(string)
		} else if strings.Contains(name, "URL") || strings.Contains(name, "PASSWORD") {
			t.Errorf("%s is a literal value", name)
		}
	}
	for name, key := range map[string]string{"INFRA_BACKUP_URL_postgres": "url-postgres", "INFRA_BACKUP_PASSWORD_postgres": "password-postgres"} {
		if refs[name] != key {
			t.Errorf("%s refers to %q, want the Secret's %q", name, refs[name], key)
		}
	}
}

// The job's dump rule opens the external database's ports on the
// internet outside the private ranges (no port besides them, no private
// range), and Spaces' https stays the other rule; the policy and the
// CronJob pass the Kubernetes schema.
func TestExternalDumpEgress(t *testing.T) {
	args := externalArgs()
	np := plainJSON(t, networkPolicy(args))
	rules := path(np, "spec").(map[string]any)["egress"].([]any)
	if len(rules) != 2 {
		t.Fatalf("egress rules = %v, want the dump's and https", rules)
	}
	dump := rules[0].(map[string]any)
	block := dump["to"].([]any)[0].(map[string]any)["ipBlock"].(map[string]any)
	if block["cidr"] != "0.0.0.0/0" || !slices.Equal(block["except"].([]any), privateRanges) {
		t.Errorf("dump rule reaches %v, want 0.0.0.0/0 but %v", block, privateRanges)
	}
	var ports []float64
	for _, p := range dump["ports"].([]any) {
		m := p.(map[string]any)
		if m["protocol"] != "TCP" {
			t.Errorf("port %v: want TCP", m)
		}
		ports = append(ports, m["port"].(float64))
	}
	if !slices.Equal(ports, []float64{5432}) {
		t.Errorf("dump rule ports %v, want 5432", ports)
	}
	v := validator(t)
	for _, o := range []map[string]any{np, plainJSON(t, CronJob(args))} {
		if err := v.Validate(o); err != nil {
			t.Error(err)
		}
	}
}

// backup.sh of an external stack is the variant without a roles file:
// its manifest says why (rolesSkipped), it runs no pg_dumpall, and it
// passes shellcheck.
func TestExternalScript(t *testing.T) {
	script, err := Script(externalArgs())
	if err != nil {
		t.Fatal(err)
	}
	// The reason is JSON, shell-quoted: the run in tests/backup reads it
	// back from the manifest.
	if !strings.Contains(script, `"rolesSkipped":%s`) || !strings.Contains(script, "roles are managed where it lives") || strings.Contains(script, "pg_dumpall --globals-only") {
		t.Errorf("backup.sh is not the variant without roles:\n%s", script)
	}
	if err := vpstest.Shellcheck(t, "backup.sh", script); err != nil {
		t.Error(err)
	}
}
