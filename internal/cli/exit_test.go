package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/spf13/cobra"

	"infra/internal/plan"
)

// evs is a scripted list of engine events.
type evs = []events.EngineEvent

// lockedOutput is how the Automation API words a lock error of the file
// backend (the pulumi CLI's stderr ends it).
const lockedOutput = "failed to run preview: exit status 255\ncode: 255\nstdout: \nstderr: error: the stack is currently locked by 1 lock(s). " +
	"Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n"

var errLocked = fmt.Errorf("%s", lockedOutput)

func previewCmd(f *fakeStack, check PreflightFunc) func(*IO) *cobra.Command {
	return func(s *IO) *cobra.Command {
		return NewCmdPreview(s, func(o *PreviewOptions) error {
			o.OpenStack = opener(f)
			if check != nil {
				o.Preflight = check
			}
			return runPreview(context.Background(), o)
		})
	}
}

func upCmd(ctx context.Context, f *fakeStack) func(*IO) *cobra.Command {
	return func(s *IO) *cobra.Command {
		return NewCmdUp(s, func(o *UpOptions) error {
			o.OpenStack = opener(f)
			return runUp(ctx, o)
		})
	}
}

func destroyCmd(f *fakeStack) func(*IO) *cobra.Command {
	return func(s *IO) *cobra.Command {
		return NewCmdDestroy(s, func(o *DestroyOptions) error {
			o.OpenStack = opener(f)
			return runDestroy(context.Background(), o)
		})
	}
}

func refreshCmd(f *fakeStack) func(*IO) *cobra.Command {
	return func(s *IO) *cobra.Command {
		return NewCmdRefresh(s, func(o *RefreshOptions) error {
			o.OpenStack = opener(f)
			return runRefresh(context.Background(), o)
		})
	}
}

func outputsCmd(f *fakeStack) func(*IO) *cobra.Command {
	return func(s *IO) *cobra.Command {
		return NewCmdOutputs(s, func(o *OutputsOptions) error {
			o.OpenStack = opener(f)
			return runOutputs(context.Background(), o)
		})
	}
}

func TestExitCodes(t *testing.T) {
	policyViolation := func(*plan.Plan) error { return errors.New("rule no-public-db: database reachable from 0.0.0.0/0") }
	tests := []struct {
		name      string
		fake      *fakeStack
		build     func(*fakeStack) func(*IO) *cobra.Command
		args      []string
		want      int
		wantCalls []string // nil: not checked
		wantText  []string // in stdout+stderr+error
		project   string   // replaces Pulumi.yaml when set
	}{
		{
			name:      "preview succeeds",
			fake:      &fakeStack{previewEvents: evs{pre(apitype.OpCreate, typeVPC, "vpc"), summary(map[apitype.OpType]int{"create": 1})}},
			build:     func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) },
			args:      []string{"preview", "--stack", "prod"},
			want:      ExitOK,
			wantCalls: []string{"export", "preview"},
			wantText:  []string{"1 create (1 changing)", "create", "vpc"},
		},
		{
			name:      "preview of an invalid stack never reaches the engine",
			fake:      &fakeStack{},
			build:     func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) },
			args:      []string{"preview", "--stack", "bad"},
			want:      ExitConfig,
			wantCalls: []string{},
			wantText:  []string{"infra:topology", "infra:region"},
		},
		{
			name:      "a preflight (policy) violation stops preview",
			fake:      &fakeStack{},
			build:     func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, policyViolation) },
			args:      []string{"preview", "--stack", "prod"},
			want:      ExitPolicy,
			wantCalls: []string{},
			wantText:  []string{"no-public-db"},
		},
		{
			name: "preview refuses to replace a droplet",
			fake: &fakeStack{previewEvents: evs{
				pre(apitype.OpReplace, typeDroplet, "web", "userData"), pre(apitype.OpCreateReplacement, typeDroplet, "web", "userData"),
				summary(map[apitype.OpType]int{"replace": 1}),
			}},
			build:    func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) },
			args:     []string{"preview", "--stack", "prod"},
			want:     ExitPolicy,
			wantText: []string{"REPLACE", "Droplet web (because userData changed)", "--allow-replace"},
		},
		{
			name: "--allow-replace lets the replacement through",
			fake: &fakeStack{previewEvents: evs{
				pre(apitype.OpReplace, typeCluster, "db", "version"), summary(map[apitype.OpType]int{"replace": 1}),
			}},
			build: func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) },
			args:  []string{"preview", "--stack", "prod", "--allow-replace"},
			want:  ExitOK,
		},
		{
			name: "a waiver of stateful-replace lets the named Droplet be replaced, and says so",
			fake: &fakeStack{previewEvents: evs{
				pre(apitype.OpReplace, typeDroplet, "web", "userData"), summary(map[apitype.OpType]int{"replace": 1}),
			}},
			build:    func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) },
			args:     []string{"preview", "--stack", "waived"},
			want:     ExitOK,
			wantText: []string{"WAIVED", "stateful-replace", "the droplet is cattle"},
		},
		{
			name: "a waiver names its resource: another Droplet is still refused",
			fake: &fakeStack{previewEvents: evs{
				pre(apitype.OpReplace, typeDroplet, "worker", "userData"), summary(map[apitype.OpType]int{"replace": 1}),
			}},
			build:    func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) },
			args:     []string{"preview", "--stack", "waived"},
			want:     ExitPolicy,
			wantText: []string{"Droplet worker (because userData changed)"},
		},
		{
			name: "deleting the database firewall while its cluster stays is refused",
			fake: &fakeStack{previewEvents: evs{
				pre(apitype.OpDelete, "digitalocean:index/databaseFirewall:DatabaseFirewall", "db-firewall"), summary(map[apitype.OpType]int{"delete": 1}),
			}},
			build:     func(f *fakeStack) func(*IO) *cobra.Command { return upCmd(context.Background(), f) },
			args:      []string{"up", "--stack", "prod"},
			want:      ExitPolicy,
			wantCalls: []string{"export", "preview"},
			wantText:  []string{"database-public: db-firewall", "open to every address"},
		},
		{
			name: "a Kubernetes Service replaced (immutable clusterIP) is refused",
			fake: &fakeStack{previewEvents: evs{
				pre(apitype.OpReplace, "kubernetes:core/v1:Service", "api", "spec.clusterIP"), summary(map[apitype.OpType]int{"replace": 1}),
			}},
			build:     func(f *fakeStack) func(*IO) *cobra.Command { return upCmd(context.Background(), f) },
			args:      []string{"up", "--stack", "prod"},
			want:      ExitPolicy,
			wantCalls: []string{"export", "preview"},
			wantText:  []string{"Kubernetes Service api (because spec.clusterIP changed)"},
		},
		{
			name: "replacing an unguarded resource is fine",
			fake: &fakeStack{previewEvents: evs{
				pre(apitype.OpReplace, typeVPC, "vpc", "ipRange"), summary(map[apitype.OpType]int{"replace": 1}),
			}},
			build: func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) },
			args:  []string{"preview", "--stack", "prod"},
			want:  ExitOK,
		},
		{
			name: "drift fails --expect-no-changes",
			fake: &fakeStack{previewEvents: evs{
				pre(apitype.OpUpdate, typeDroplet, "web", "tags"), summary(map[apitype.OpType]int{"update": 1, "same": 9}),
			}},
			build:    func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) },
			args:     []string{"preview", "--stack", "prod", "--expect-no-changes"},
			want:     ExitChanges,
			wantText: []string{"1 change(s) and none were expected"},
		},
		{
			name:  "no drift passes --expect-no-changes",
			fake:  &fakeStack{previewEvents: evs{summary(map[apitype.OpType]int{"same": 10})}},
			build: func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) },
			args:  []string{"preview", "--stack", "prod", "--expect-no-changes"},
			want:  ExitOK,
		},
		{
			name:      "a locked stack says what to do",
			fake:      &fakeStack{previewErr: errLocked},
			build:     func(f *fakeStack) func(*IO) *cobra.Command { return upCmd(context.Background(), f) },
			args:      []string{"up", "--stack", "prod"},
			want:      ExitLocked,
			wantCalls: []string{"export", "preview"},
			wantText:  []string{"is locked", "Wait for it to finish", "pulumi cancel --stack prod"},
		},
		{
			name: "an engine failure exits 1 with the engine's diagnostic",
			fake: &fakeStack{
				previewEvents: evs{summary(map[apitype.OpType]int{"create": 1})},
				upEvents:      evs{diag("error", "creating droplet: 422 region nyc3 is out of capacity")},
				upErr:         errors.New("failed to run update: exit status 255"),
			},
			build:     func(f *fakeStack) func(*IO) *cobra.Command { return upCmd(context.Background(), f) },
			args:      []string{"up", "--stack", "prod", "--yes"},
			want:      ExitFailure,
			wantCalls: []string{"export", "preview", "up"},
			wantText:  []string{"up of stack prod failed", "out of capacity"},
		},
		{
			name: "up refuses a guarded replacement before updating",
			fake: &fakeStack{previewEvents: evs{
				pre(apitype.OpReplace, typeCluster, "focusdeck-cluster", "region"), summary(map[apitype.OpType]int{"replace": 1}),
			}},
			build:     func(f *fakeStack) func(*IO) *cobra.Command { return upCmd(context.Background(), f) },
			args:      []string{"up", "--stack", "prod"},
			want:      ExitPolicy,
			wantCalls: []string{"export", "preview"},
			wantText:  []string{"database cluster focusdeck-cluster"},
		},
		{
			name: "up --expect-no-changes stops before changing anything",
			fake: &fakeStack{previewEvents: evs{
				pre(apitype.OpUpdate, typeDroplet, "web", "tags"), summary(map[apitype.OpType]int{"update": 1}),
			}},
			build:     func(f *fakeStack) func(*IO) *cobra.Command { return upCmd(context.Background(), f) },
			args:      []string{"up", "--stack", "prod", "--expect-no-changes"},
			want:      ExitChanges,
			wantCalls: []string{"export", "preview"},
		},
		{
			name:      "destroying prod needs --confirm",
			fake:      &fakeStack{},
			build:     destroyCmd,
			args:      []string{"destroy", "--stack", "prod"},
			want:      ExitUsage,
			wantCalls: []string{},
			wantText:  []string{"stack prod is production", "--confirm prod"},
		},
		{
			name:      "--target-dependents without --target is a usage error, not a whole-stack destroy",
			fake:      &fakeStack{resources: protectedState()},
			build:     destroyCmd,
			args:      []string{"destroy", "--stack", "dev", "--target-dependents"},
			want:      ExitUsage,
			wantCalls: []string{},
			wantText:  []string{"--target-dependents needs --target"},
		},
		{
			name:      "a stack name with a path segment is refused before any file is read",
			fake:      &fakeStack{},
			build:     func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) },
			args:      []string{"preview", "--stack", "../prod"},
			want:      ExitUsage,
			wantCalls: []string{},
			wantText:  []string{`--stack "../prod"`, "invalid character '/'"},
		},
		{
			name:      "a stack named .. is refused",
			fake:      &fakeStack{},
			build:     func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) },
			args:      []string{"preview", "--stack", ".."},
			want:      ExitUsage,
			wantCalls: []string{},
			wantText:  []string{"names a folder"},
		},
		{
			name:      "a Pulumi.yaml without a name is a usage error naming the file and field",
			fake:      &fakeStack{},
			build:     func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) },
			args:      []string{"preview", "--stack", "prod"},
			project:   "runtime: go\n",
			want:      ExitUsage,
			wantCalls: []string{},
			wantText:  []string{"Pulumi.yaml: the field name", "is missing"},
		},
		{
			name:      "a Pulumi.yaml that is not YAML is a usage error with the YAML error",
			fake:      &fakeStack{},
			build:     func(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) },
			args:      []string{"preview", "--stack", "prod"},
			project:   "name: [focusdeck\n",
			want:      ExitUsage,
			wantCalls: []string{},
			wantText:  []string{"Pulumi.yaml is not valid YAML"},
		},
		{
			name:      "--confirm must name the stack",
			fake:      &fakeStack{},
			build:     destroyCmd,
			args:      []string{"destroy", "--stack", "dev", "--confirm", "prod"},
			want:      ExitUsage,
			wantCalls: []string{},
		},
		{
			name:      "destroy refuses while protected resources exist",
			fake:      &fakeStack{resources: protectedState()},
			build:     destroyCmd,
			args:      []string{"destroy", "--stack", "dev"},
			want:      ExitPolicy,
			wantCalls: []string{"export"},
			wantText:  []string{"1 protected resource(s) would be deleted", "DatabaseCluster::cluster", "--exclude-protected", "pulumi state unprotect --stack dev"},
		},
		{
			name:      "a destroy targeting what a protected resource needs is refused up front",
			fake:      &fakeStack{resources: protectedState()},
			build:     destroyCmd,
			args:      []string{"destroy", "--stack", "dev", "--target", "urn:pulumi:dev::focusdeck::" + typeVPC + "::vpc", "--target-dependents"},
			want:      ExitPolicy,
			wantCalls: []string{"export"},
			wantText:  []string{"DatabaseCluster::cluster"},
		},
		{
			name:      "a destroy targeting an unprotected resource runs",
			fake:      &fakeStack{resources: protectedState()},
			build:     destroyCmd,
			args:      []string{"destroy", "--stack", "dev", "--target", "urn:pulumi:dev::focusdeck::" + typeDroplet + "::web", "--target-dependents", "--yes"},
			want:      ExitOK,
			wantCalls: []string{"export", "destroy"},
		},
		{
			name: "the engine's own refusal to delete a protected resource exits 4",
			fake: &fakeStack{
				destroyEvents: evs{diag("error", `resource "urn:x" cannot be deleted`+"\n"+protectedText+". To unprotect ...")},
				destroyErr:    errors.New("failed to run destroy: exit status 255\ncode: 255\nstdout: ...cannot be deleted\n" + protectedText),
			},
			build:    destroyCmd,
			args:     []string{"destroy", "--stack", "prod", "--confirm", "prod", "--target", "urn:x"},
			want:     ExitPolicy,
			wantText: []string{"refused to delete protected resources", `"urn:x" cannot be deleted`},
		},
		{
			name: "refresh --expect-no-changes exits 5 on drift",
			fake: &fakeStack{refreshEvents: evs{
				pre(apitype.OpUpdate, typeDroplet, "web", "size"), summary(map[apitype.OpType]int{"update": 1, "same": 3}),
			}},
			build:    refreshCmd,
			args:     []string{"refresh", "--stack", "prod", "--expect-no-changes"},
			want:     ExitChanges,
			wantText: []string{"drifted"},
		},
		{
			name:      "the kubeconfig needs --show-secrets",
			fake:      &fakeStack{},
			build:     outputsCmd,
			args:      []string{"outputs", "--stack", "prod", "--kubeconfig"},
			want:      ExitUsage,
			wantCalls: []string{},
		},
		{
			name:     "a bad --format is a usage error",
			fake:     &fakeStack{},
			build:    outputsCmd,
			args:     []string{"outputs", "--stack", "prod", "--format", "toml"},
			want:     ExitUsage,
			wantText: []string{"json, yaml or dotenv"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testProject(t)
			if tt.project != "" {
				if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte(tt.project), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := append(tt.args, "--dir", dir)
			r := runWith(context.Background(), t, tt.build(tt.fake), args...)
			if r.code != tt.want {
				t.Fatalf("exit %d, want %d; err: %v\nstdout:\n%s\nstderr:\n%s", r.code, tt.want, r.err, r.stdout, r.stderr)
			}
			all := r.stdout + r.stderr
			if r.err != nil {
				all += r.err.Error()
			}
			for _, want := range tt.wantText {
				if !strings.Contains(all, want) {
					t.Errorf("output lacks %q:\n%s", want, all)
				}
			}
			if tt.wantCalls != nil {
				if got := tt.fake.Calls(); !slices.Equal(got, tt.wantCalls) && !(len(got) == 0 && len(tt.wantCalls) == 0) {
					t.Errorf("stack calls %v, want %v", got, tt.wantCalls)
				}
			}
		})
	}
}

func TestMissingPulumiCLISaysHowToGetIt(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{"", dir, string(os.PathListSeparator) + dir} {
		_, err := onPath("pulumi", path)
		if ExitCode(err) != ExitUsage || !strings.Contains(fmt.Sprint(err), "INFRA_PULUMI_CLI") || !strings.Contains(fmt.Sprint(err), "scripts/pulumi-cli.sh") {
			t.Errorf("PATH %q: %v (exit %d), want a usage error with the install hint", path, err, ExitCode(err))
		}
	}
	bin := filepath.Join(dir, "pulumi")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := onPath("pulumi", "/nonexistent"+string(os.PathListSeparator)+dir); err != nil || got != bin {
		t.Errorf("onPath = %q, %v; want %s", got, err, bin)
	}
	_, err := pulumiRoot(filepath.Join(dir, "nope"))
	if ExitCode(err) != ExitUsage || !strings.Contains(fmt.Sprint(err), "INFRA_PULUMI_CLI") {
		t.Errorf("pulumiRoot of a missing file: %v", err)
	}
}
