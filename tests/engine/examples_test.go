package engine

// Every example stack, and the repository's own dev and prod, through the
// real engine: the pulumi CLI built from its module, the real program
// (stacks.Program, what `pulumi up` runs), and the strict stand-in
// providers, which refuse what the real DigitalOcean, PostgreSQL, random
// and command providers would refuse (internal/providercheck). A wrong
// value fails Check with its property path before anything is created.

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/enginetest"
	"infra/internal/stacktest"
	"infra/stacks"
)

// exampleStack is one stack file of a project directory.
type exampleStack struct {
	dir, project, stack string
}

func (s exampleStack) String() string { return s.project + "/" + s.stack }

// exampleStacks finds every Pulumi.<stack>.yaml of the repository root and
// of examples/*.
func exampleStacks(t *testing.T) []exampleStack {
	t.Helper()
	root := filepath.Join("..", "..")
	dirs, err := filepath.Glob(filepath.Join(root, "examples", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []exampleStack
	for _, dir := range append([]string{root}, dirs...) {
		files, _ := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
		for _, f := range files {
			stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
			out = append(out, exampleStack{dir: dir, project: projectName(t, dir), stack: stack})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	if len(out) < 8 {
		t.Fatalf("found %d stacks, want the repository's dev and prod and every example's", len(out))
	}
	return out
}

func projectName(t *testing.T, dir string) string {
	t.Helper()
	name, err := stacktest.ProjectName(dir)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// stage copies the stack's Pulumi.yaml and stack file into a new project
// directory, its secrets sealed with the test passphrase.
func stage(t *testing.T, e *enginetest.Engine, ex exampleStack) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"),
		[]byte("name: "+ex.project+"\nruntime: go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(ex.dir, "Pulumi."+ex.stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	enginetest.SealSecrets(t, e, ex.project, dir, ex.stack, string(doc))
	return dir
}

// TestEngineEveryExample runs preview and up of every example stack on the
// real engine with the strict stand-ins, then a second preview that must
// find no changes.
func TestEngineEveryExample(t *testing.T) {
	e := enginetest.New(t)
	ctx := context.Background()
	for _, ex := range exampleStacks(t) {
		t.Run(ex.String(), func(t *testing.T) {
			start := time.Now()
			dir := stage(t, e, ex)
			s := e.Stack(ctx, t, ex.project, ex.stack, stacks.Program, auto.WorkDir(dir))
			var out strings.Builder
			pre, err := s.Preview(ctx, optpreview.ErrorProgressStreams(&out))
			if err != nil {
				t.Fatalf("preview: %v\n%s", err, out.String())
			}
			creates := pre.ChangeSummary["create"]
			if creates < 10 {
				t.Fatalf("preview plans %d creates: %v", creates, pre.ChangeSummary)
			}
			up, err := s.Up(ctx, optup.ErrorProgressStreams(&out))
			if err != nil {
				t.Fatalf("up: %v\n%s", err, out.String())
			}
			created := (*up.Summary.ResourceChanges)["create"]
			if created != creates {
				t.Errorf("up created %d resources, the preview planned %d", created, creates)
			}
			again, err := s.Preview(ctx, optpreview.ExpectNoChanges())
			if err != nil {
				t.Errorf("second preview is not clean: %v", err)
			} else if again.ChangeSummary["same"] != creates {
				t.Errorf("second preview: %v, want %d unchanged", again.ChangeSummary, creates)
			}
			t.Logf("%s: preview + up of %d resources + clean preview in %s", ex, created, time.Since(start).Round(time.Millisecond))
		})
	}
}

// set is a stack transform that overwrites input properties of every
// resource of one type: the way a wrong value is put back into the real
// program without changing its code.
func set(typ string, props pulumi.Map) pulumi.ResourceTransform {
	return func(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
		if args.Type != typ {
			return nil
		}
		for k, v := range props {
			if v == nil {
				delete(args.Props, k)
				continue
			}
			args.Props[k] = v
		}
		return &pulumi.ResourceTransformResult{Props: args.Props, Opts: args.Opts}
	}
}

// drop removes an input property.
var drop pulumi.Input

// TestEngineRefusesWhatTheProviderRefuses restores, one at a time, the
// wrong values the project once declared (and one value of each other class
// of rule) into the real program, and shows the preview failing in Check
// with the property path, before anything is created.
func TestEngineRefusesWhatTheProviderRefuses(t *testing.T) {
	e := enginetest.New(t)
	ctx := context.Background()
	focusdeck := exampleStack{dir: filepath.Join("..", "..", "examples", "focusdeck"), project: "focusdeck", stack: "prod"}
	cluster := exampleStack{dir: filepath.Join("..", "..", "examples", "jarvis-cluster"), project: "jarvis-cluster", stack: "prod"}
	const (
		uptimeAlert = "digitalocean:index/uptimeAlert:UptimeAlert"
		dbCluster   = "digitalocean:index/databaseCluster:DatabaseCluster"
		droplet     = "digitalocean:index/droplet:Droplet"
		doks        = "digitalocean:index/kubernetesCluster:KubernetesCluster"
		password    = "random:index/randomPassword:RandomPassword"
	)
	tests := []struct {
		name      string
		ex        exampleStack
		transform pulumi.ResourceTransform
		want      []string // each must be in the engine's message
	}{
		{"enum: uptime comparison greaterThan", focusdeck, set(uptimeAlert, pulumi.Map{"comparison": pulumi.String("greaterThan")}),
			[]string{"comparison", `"greater_than" "less_than"`, "resource_uptime_alert.go"}},
		{"enum: uptime type sslExpiry", focusdeck, set(uptimeAlert, pulumi.Map{"type": pulumi.String("sslExpiry")}),
			[]string{"type", `"ssl_expiry"`, "resource_uptime_alert.go"}},
		{"size: standby nodes on the 1 GB plan", focusdeck, set(dbCluster, pulumi.Map{"size": pulumi.String("db-s-1vcpu-1gb"), "nodeCount": pulumi.Int(2)}),
			[]string{"size", `"db-s-1vcpu-1gb" is not offered`, "2 GB"}},
		{"version: DOKS 1.34 past its end of life", cluster, set(doks, pulumi.Map{"version": pulumi.String("1.34.1-do.0")}),
			[]string{"version", `"1.34.1-do.0" is not offered`}},
		{"version: PostgreSQL 14 past its end of life", focusdeck, set(dbCluster, pulumi.Map{"version": pulumi.String("14")}),
			[]string{"version", `"14" is not offered`}},
		{"missing required input: the Droplet's image", focusdeck, set(droplet, pulumi.Map{"image": drop}),
			[]string{"image", `missing required property "image"`}},
		{"wrong type: a password length as a string", focusdeck, set(password, pulumi.Map{"length": pulumi.String("32")}),
			[]string{"length", "expected an integer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := stage(t, e, tt.ex)
			program := func(ctx *pulumi.Context) error {
				if err := ctx.RegisterResourceTransform(tt.transform); err != nil {
					return err
				}
				return stacks.Program(ctx)
			}
			s := e.Stack(ctx, t, tt.ex.project, tt.ex.stack, program, auto.WorkDir(dir))
			var out strings.Builder
			err := enginetest.Within(t, 3*time.Minute, neverSettles, func() error {
				_, err := s.Preview(ctx, optpreview.ProgressStreams(&out), optpreview.ErrorProgressStreams(&out))
				return err
			})
			if err == nil {
				t.Fatalf("preview passed with the wrong value:\n%s", out.String())
			}
			msg := err.Error() + out.String()
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("the engine's message lacks %q:\n%s", want, msg)
				}
			}
		})
	}
}

// neverSettles explains an example that did not finish in time: an inline
// program that waits on an output nobody settles (a failed resource behind
// an output-form invoke did) keeps the operation open after the engine has
// given up.
func neverSettles() string { return "the program waits on an output that never settles" }
