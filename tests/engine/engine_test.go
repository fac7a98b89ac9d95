// Package engine proves the test provider plugins stand in for the cloud
// providers under the real Pulumi engine: up, no-change preview, update versus
// replacement, secrets encrypted in state, protect, destroy.
package engine

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi-postgresql/sdk/v3/go/postgresql"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/enginetest"
)

// knobs are the parts of the program a test step changes between runs.
type knobs struct {
	userData string
	tag      string
	protect  bool
}

func program(k *knobs) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		password, err := random.NewRandomPassword(ctx, "app-password", &random.RandomPasswordArgs{
			Length: pulumi.Int(32), Special: pulumi.Bool(false),
		})
		if err != nil {
			return err
		}
		vpc, err := digitalocean.NewVpc(ctx, "vpc", &digitalocean.VpcArgs{
			Region: pulumi.String("fra1"),
		}, pulumi.Protect(k.protect))
		if err != nil {
			return err
		}
		db, err := digitalocean.NewDatabaseCluster(ctx, "db", &digitalocean.DatabaseClusterArgs{
			Name: pulumi.String("app-db"), Engine: pulumi.String("pg"), Version: pulumi.String("17"),
			Size: pulumi.String("db-s-1vcpu-1gb"), Region: pulumi.String("fra1"), NodeCount: pulumi.Int(1),
			PrivateNetworkUuid: vpc.ID(),
		})
		if err != nil {
			return err
		}
		web, err := digitalocean.NewDroplet(ctx, "web", &digitalocean.DropletArgs{
			Image: pulumi.String("ubuntu-24-04-x64"), Size: pulumi.String("s-1vcpu-1gb"),
			Region: pulumi.String("fra1"), VpcUuid: vpc.ID(),
			UserData: pulumi.String(k.userData), Tags: pulumi.StringArray{pulumi.String(k.tag)},
		})
		if err != nil {
			return err
		}
		pg, err := postgresql.NewProvider(ctx, "pg", &postgresql.ProviderArgs{
			Host: db.Host, Port: db.Port, Username: db.User, Password: db.Password,
			Database: db.Database, Sslmode: pulumi.String("require"), Superuser: pulumi.Bool(false),
		})
		if err != nil {
			return err
		}
		if _, err := postgresql.NewRole(ctx, "app", &postgresql.RoleArgs{
			Name: pulumi.String("app"), Login: pulumi.Bool(true), Password: password.Result,
		}, pulumi.Provider(pg)); err != nil {
			return err
		}
		versions, err := digitalocean.GetKubernetesVersions(ctx, &digitalocean.GetKubernetesVersionsArgs{})
		if err != nil {
			return err
		}
		kubeconfig, err := cluster(ctx, vpc, versions.LatestVersion)
		if err != nil {
			return err
		}
		ctx.Export("kubeconfig", kubeconfig)
		ctx.Export("appPassword", password.Result)
		ctx.Export("dbUri", db.Uri)
		ctx.Export("dropletId", web.ID())
		ctx.Export("dropletIp", web.Ipv4Address)
		ctx.Export("latestKubernetes", pulumi.String(versions.LatestVersion))
		return nil
	}
}

// cluster adds a DOKS cluster and, through a kubernetes provider built from
// its kubeconfig, a namespace and a Helm release in it.
func cluster(ctx *pulumi.Context, vpc *digitalocean.Vpc, version string) (pulumi.StringPtrOutput, error) {
	doks, err := digitalocean.NewKubernetesCluster(ctx, "k8s", &digitalocean.KubernetesClusterArgs{
		Region: pulumi.String("fra1"), Version: pulumi.String(version), VpcUuid: vpc.ID(),
		NodePool: &digitalocean.KubernetesClusterNodePoolArgs{
			Name: pulumi.String("system"), Size: pulumi.String("s-2vcpu-4gb"), NodeCount: pulumi.Int(2),
		},
	})
	if err != nil {
		return pulumi.StringPtrOutput{}, err
	}
	kubeconfig := doks.KubeConfigs.Index(pulumi.Int(0)).RawConfig()
	k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: kubeconfig})
	if err != nil {
		return pulumi.StringPtrOutput{}, err
	}
	ns, err := corev1.NewNamespace(ctx, "apps", &corev1.NamespaceArgs{}, pulumi.Provider(k8s))
	if err != nil {
		return pulumi.StringPtrOutput{}, err
	}
	release, err := helmv3.NewRelease(ctx, "cert-manager", &helmv3.ReleaseArgs{
		Chart: pulumi.String("cert-manager"), Version: pulumi.String("v1.19.1"), Namespace: ns.Metadata.Name(),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{Repo: pulumi.String("https://charts.jetstack.io")},
	}, pulumi.Provider(k8s))
	if err != nil {
		return pulumi.StringPtrOutput{}, err
	}
	ctx.Export("namespace", ns.Metadata.Name())
	ctx.Export("releaseStatus", release.Status.Status())
	return kubeconfig, nil
}

func TestEngineWithTestProviders(t *testing.T) {
	start := time.Now()
	e := enginetest.New(t)
	t.Logf("engine set up (CLI %s, providers built) in %s", e.Command.Version(), time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	k := &knobs{userData: "#cloud-config\n", tag: "blue", protect: true}
	stack := e.Stack(ctx, t, "enginetest", "dev", program(k))

	step := time.Now()
	up, err := stack.Up(ctx)
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Logf("first up in %s", time.Since(step).Round(time.Millisecond))
	password := outputString(t, up.Outputs, "appPassword", true)
	if len(password) != 32 {
		t.Errorf("appPassword has %d characters, want 32", len(password))
	}
	dbURI := outputString(t, up.Outputs, "dbUri", true)
	if got := outputString(t, up.Outputs, "latestKubernetes", false); !strings.HasSuffix(got, "-do.0") {
		t.Errorf("latestKubernetes = %q: the invoke did not reach the test provider", got)
	}
	kubeconfig := outputString(t, up.Outputs, "kubeconfig", true)
	if ns := outputString(t, up.Outputs, "namespace", false); !strings.HasPrefix(ns, "apps-") {
		t.Errorf("namespace = %q, want an auto-name apps-xxxxxxx", ns)
	}
	if got := outputString(t, up.Outputs, "releaseStatus", false); got != "deployed" {
		t.Errorf("releaseStatus = %q", got)
	}
	dropletID := outputString(t, up.Outputs, "dropletId", false)
	if ip := outputString(t, up.Outputs, "dropletIp", false); !strings.HasPrefix(ip, "203.0.113.") {
		t.Errorf("dropletIp = %q: computed outputs missing", ip)
	}

	t.Run("refresh reads back the same state", func(t *testing.T) {
		if _, err := stack.Refresh(ctx, optrefresh.ExpectNoChanges()); err != nil {
			t.Fatalf("refresh: %v", err)
		}
	})

	t.Run("second preview has no changes", func(t *testing.T) {
		plan, err := enginetest.Preview(ctx, t, stack, optpreview.ExpectNoChanges())
		if err != nil {
			t.Fatalf("preview: %v\n%s", err, plan.StdOut)
		}
		if plan.Changed() {
			t.Errorf("summary %v, want only sames", plan.Summary)
		}
	})

	t.Run("a new tag previews as an update", func(t *testing.T) {
		k.tag = "green"
		defer func() { k.tag = "blue" }()
		plan := mustPreview(ctx, t, stack)
		if ops := plan.Ops("web"); !slices.Equal(ops, []apitype.OpType{apitype.OpUpdate}) {
			t.Errorf("web ops = %v, want [update]", ops)
		}
		if s, _ := plan.Step("web"); !slices.Equal(s.Diff, []string{"tags"}) {
			t.Errorf("web diff = %v, want [tags]", s.Diff)
		}
		if plan.Summary[apitype.OpUpdate] != 1 || plan.Summary[apitype.OpReplace] != 0 {
			t.Errorf("summary %v, want one update and no replacement", plan.Summary)
		}
	})

	t.Run("new user data previews as a replacement", func(t *testing.T) {
		k.userData = "#cloud-config\nruncmd: [reboot]\n"
		defer func() { k.userData = "#cloud-config\n" }()
		plan := mustPreview(ctx, t, stack)
		if ops := plan.Ops("web"); !slices.Contains(ops, apitype.OpReplace) {
			t.Errorf("web ops = %v, want a replace", ops)
		}
		if s, _ := plan.Step("web"); !slices.Equal(s.Keys, []string{"userData"}) {
			t.Errorf("web replace keys = %v, want [userData]", s.Keys)
		}
		if plan.Summary[apitype.OpReplace] != 1 {
			t.Errorf("summary %v, want one replacement", plan.Summary)
		}
	})

	t.Run("update keeps the droplet, replacement makes a new one", func(t *testing.T) {
		k.tag = "green"
		res, err := stack.Up(ctx)
		if err != nil {
			t.Fatalf("up with a new tag: %v", err)
		}
		if got := outputString(t, res.Outputs, "dropletId", false); got != dropletID {
			t.Errorf("after an update the droplet id changed: %s -> %s", dropletID, got)
		}
		if got := outputString(t, res.Outputs, "appPassword", true); got != password {
			t.Error("an unrelated update regenerated the password")
		}
		k.userData = "#cloud-config\nruncmd: [reboot]\n"
		res, err = stack.Up(ctx)
		if err != nil {
			t.Fatalf("up with new user data: %v", err)
		}
		if got := outputString(t, res.Outputs, "dropletId", false); got == dropletID {
			t.Errorf("after a replacement the droplet id is still %s", got)
		}
	})

	t.Run("state holds no secret in plain text", func(t *testing.T) {
		if files := e.FilesContaining(t, "ciphertext"); !slices.Contains(files, e.StatePath("enginetest", "dev")) {
			t.Fatalf("no encrypted value in %s; backend files with one: %v", e.StatePath("enginetest", "dev"), files)
		}
		secrets := map[string]string{"app password": password, "database URI": dbURI, "kubeconfig": kubeconfig}
		for what, secret := range secrets {
			if files := e.FilesContaining(t, secret); len(files) > 0 {
				t.Errorf("the %s is in plain text in %v", what, files)
			}
		}
	})

	t.Run("a protected resource stops destroy", func(t *testing.T) {
		_, err := stack.Destroy(ctx)
		if err == nil {
			t.Fatal("destroy succeeded with a protected VPC in the stack")
		}
		if !strings.Contains(err.Error(), "protected") {
			t.Errorf("destroy failed, but not for protection: %v", err)
		}
	})

	// Unprotect through the program, as a user would, then tear down.
	k.protect = false
	if _, err := stack.Up(ctx); err != nil {
		t.Fatalf("up to unprotect: %v", err)
	}
	if _, err := stack.Destroy(ctx, optdestroy.Remove()); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if _, err := os.Stat(e.StatePath("enginetest", "dev")); !os.IsNotExist(err) {
		t.Errorf("the stack's state is still there after destroy --remove: %v", err)
	}
	t.Logf("engine test took %s", time.Since(start).Round(time.Millisecond))
}

func mustPreview(ctx context.Context, t *testing.T, stack auto.Stack) enginetest.Plan {
	t.Helper()
	plan, err := enginetest.Preview(ctx, t, stack)
	if err != nil {
		t.Fatalf("preview: %v\n%s", err, plan.StdOut)
	}
	return plan
}

func outputString(t *testing.T, outs auto.OutputMap, key string, wantSecret bool) string {
	t.Helper()
	out, ok := outs[key]
	if !ok {
		t.Fatalf("no output %q in %v", key, keysOf(outs))
	}
	if out.Secret != wantSecret {
		t.Errorf("output %q: secret = %v, want %v", key, out.Secret, wantSecret)
	}
	s, ok := out.Value.(string)
	if !ok || s == "" {
		t.Fatalf("output %q = %#v, want a string", key, out.Value)
	}
	return s
}

func keysOf(m auto.OutputMap) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
