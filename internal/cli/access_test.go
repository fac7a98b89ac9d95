package cli

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/spf13/cobra"

	"infra/internal/access"
	"infra/internal/doapitest"
	"infra/internal/dotype"
)

const (
	accessToken   = "dop_v1_cli"
	accessCluster = "1f0c5b9e-0000-4000-8000-00000000c1"
	runner        = "203.0.113.7"
)

func accessURN(typ, name string) resource.URN {
	return resource.URN("urn:pulumi:prod::focusdeck::" + typ + "::" + name)
}

// accessState is a deployed stack as far as access reads it: its app tag,
// its database cluster and that cluster's firewall.
func accessState() []apitype.ResourceV3 {
	return []apitype.ResourceV3{
		{URN: accessURN(dotype.Tag, "focusdeck-tag"), Type: dotype.Tag, Custom: true, ID: "focusdeck-prod-app", Inputs: map[string]any{"name": "focusdeck-prod-app"}},
		{URN: accessURN(dotype.Droplet, "focusdeck-prod-droplet"), Type: dotype.Droplet, Custom: true, ID: "4242", Inputs: map[string]any{"tags": []any{"focusdeck-prod-app"}}},
		{URN: accessURN(dotype.DatabaseCluster, "focusdeck-cluster"), Type: dotype.DatabaseCluster, Custom: true, ID: accessCluster},
		{
			URN: accessURN(dotype.DatabaseFirewall, "focusdeck-firewall"), Type: dotype.DatabaseFirewall, Custom: true,
			DeletedWith: accessURN(dotype.DatabaseCluster, "focusdeck-cluster"),
			Inputs: map[string]any{"rules": []any{
				map[string]any{"type": "tag", "value": "focusdeck-prod-app"},
				map[string]any{"type": "ip_addr", "value": "198.51.100.0/24"},
			}},
		},
	}
}

// accessRig is a fake stack and the API stand-in, with what the API held
// when the fake engine operation started.
type accessRig struct {
	api  *doapitest.API
	f    *fakeStack
	mu   sync.Mutex
	seen map[string][]string // operation -> firewalls and trusted sources then
}

func newAccessRig(t *testing.T) *accessRig {
	r := &accessRig{api: doapitest.New(t, accessToken), f: &fakeStack{resources: accessState()}, seen: map[string][]string{}}
	r.api.AddCluster(accessCluster, doapitest.Rule{Type: "tag", Value: "focusdeck-prod-app"}, doapitest.Rule{Type: "ip_addr", Value: "198.51.100.0/24"})
	r.f.started = make(chan string)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for op := range r.f.started {
			r.mu.Lock()
			r.seen[op] = append(r.seen[op], strings.Join(r.open(), " "))
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() { close(r.f.started); <-done })
	return r
}

// open lists the access open now: temporary firewalls (name, tags,
// sources) and the runner among the cluster's trusted sources.
func (r *accessRig) open() []string {
	var out []string
	for _, fw := range r.api.Firewalls() {
		for _, in := range fw.InboundRules {
			out = append(out, "firewall:"+strings.Join(fw.Tags, ",")+":"+in.Ports+":"+strings.Join(in.Sources.Addresses, ","))
		}
	}
	for _, rule := range r.api.Rules(accessCluster) {
		if rule.Value == runner {
			out = append(out, "trusted:"+rule.Type+":"+rule.Value)
		}
	}
	return out
}

func (r *accessRig) during(op string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen[op])
}

func (r *accessRig) env(k string) string {
	return map[string]string{access.TokenEnv: accessToken, access.APIURLEnv: r.api.URL()}[k]
}

func (r *accessRig) run(ctx context.Context, t *testing.T, build func(*IO) *cobra.Command, args ...string) ran {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := &IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, IsTerminal: func() bool { return false }, Getenv: r.env}
	err := execute(ctx, streams, build, args...)
	return ran{code: ExitCode(err), err: err, stdout: out.String(), stderr: errOut.String()}
}

const openNow = "firewall:focusdeck-prod-app:22:" + runner + " trusted:ip_addr:" + runner

func TestAccessRefusedBeforeTheEngine(t *testing.T) {
	tests := []struct {
		name    string
		build   func(*fakeStack) func(*IO) *cobra.Command
		args    []string
		noToken bool
		problem string
	}{
		{"the internet", previewCmd2, []string{"preview", "--access-from", "0.0.0.0/0"}, false, "too wide"},
		{"a /16", upCmd2, []string{"up", "--yes", "--access-from", "203.0.0.0/16"}, false, "too wide"},
		{"IPv6", refreshCmd, []string{"refresh", "--access-from", "2001:db8::1"}, false, "IPv6 is not supported"},
		{"not an address", destroyCmd, []string{"destroy", "--yes", "--access-from", "runner-7"}, false, "not an IP address"},
		{"empty", upCmd2, []string{"up", "--yes", "--access-from", ""}, false, "--access-from is empty"},
		{"bad max age", upCmd2, []string{"up", "--yes", "--access-from", runner}, false, "INFRA_ACCESS_MAX_AGE"},
		{"no token", upCmd2, []string{"up", "--yes", "--access-from", runner}, true, "needs DIGITALOCEAN_TOKEN"},
		{"up --refresh", upCmd2, []string{"up", "--yes", "--access-from", runner, "--refresh"}, false, "infra refresh --access-from"},
		{"preview --refresh", previewCmd2, []string{"preview", "--access-from", runner, "--refresh"}, false, "infra refresh --access-from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newAccessRig(t)
			env := r.env
			if tt.noToken {
				env = func(string) string { return "" }
			}
			if tt.name == "bad max age" {
				env = func(k string) string {
					if k == access.MaxAgeEnv {
						return "-1h"
					}
					return r.env(k)
				}
			}
			var out, errOut bytes.Buffer
			streams := &IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, IsTerminal: func() bool { return false }, Getenv: env}
			err := execute(context.Background(), streams, tt.build(r.f), append(tt.args, "--stack", "prod", "--dir", testProject(t))...)
			if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), tt.problem) {
				t.Fatalf("exit %d: %v; want exit %d with %q", ExitCode(err), err, ExitUsage, tt.problem)
			}
			if calls := r.f.Calls(); len(calls) != 0 {
				t.Errorf("the engine was asked %v", calls)
			}
			if calls := r.api.Calls(); len(calls) != 0 {
				t.Errorf("the API was called: %v", calls)
			}
		})
	}
}

func previewCmd2(f *fakeStack) func(*IO) *cobra.Command { return previewCmd(f, nil) }
func upCmd2(f *fakeStack) func(*IO) *cobra.Command      { return upCmd(context.Background(), f) }

// up --access-from: the access is open while the engine previews and
// updates, and gone when up ends, however it ends.
func TestUpWithAccess(t *testing.T) {
	deploy := pre(apitype.OpReplace, "command:remote:Command", "focusdeck-prod-deploy", "triggers")
	changes := summary(map[apitype.OpType]int{"replace": 1})
	tests := []struct {
		name     string
		setup    func(r *accessRig, cancel context.CancelFunc)
		want     int
		upRan    bool
		problem  string
		upDuring bool
	}{
		{name: "succeeds", want: ExitOK, upRan: true},
		{name: "the update fails", setup: func(r *accessRig, _ context.CancelFunc) {
			r.f.upErr = errors.New("failed to run update: exit status 255")
		}, want: ExitFailure, upRan: true},
		{name: "Ctrl-C", setup: func(r *accessRig, cancel context.CancelFunc) {
			r.f.block = "up"
			go func() {
				for len(r.during("up")) == 0 {
					time.Sleep(10 * time.Millisecond)
				}
				cancel()
			}()
		}, want: ExitCancelled, upRan: true},
		{
			name: "a database firewall change is refused",
			setup: func(r *accessRig, _ context.CancelFunc) {
				r.f.previewEvents = append(r.f.previewEvents, pre(apitype.OpUpdate, dotype.DatabaseFirewall, "focusdeck-firewall", "rules"))
			},
			want: ExitPolicy, problem: "infra:network.adminCidrs",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newAccessRig(t)
			r.f.previewEvents = evs{deploy, changes}
			r.f.upEvents = evs{deploy, changes}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.setup != nil {
				tt.setup(r, cancel)
			}
			res := r.run(ctx, t, func(s *IO) *cobra.Command {
				return NewCmdUp(s, func(o *UpOptions) error {
					o.OpenStack = opener(r.f)
					return runUp(ctx, o)
				})
			}, "up", "--stack", "prod", "--dir", testProject(t), "--yes", "--access-from", runner)
			if res.code != tt.want || tt.problem != "" && !strings.Contains(res.err.Error(), tt.problem) {
				t.Fatalf("exit %d, want %d (%q): %v\n%s", res.code, tt.want, tt.problem, res.err, res.stderr)
			}
			if got := r.during("preview"); !slices.Equal(got, []string{openNow}) {
				t.Errorf("access while previewing: %q, want %q", got, openNow)
			}
			if got := r.during("up"); tt.upRan != (len(got) > 0) || tt.upRan && !slices.Equal(got, []string{openNow}) {
				t.Errorf("access while updating: %q (update ran: %v)", got, tt.upRan)
			}
			if left := r.open(); len(left) != 0 {
				t.Errorf("access left after up: %v", left)
			}
			if rules := r.api.Rules(accessCluster); len(rules) != 2 {
				t.Errorf("the cluster's own rules changed: %+v", rules)
			}
		})
	}
}

// destroy --access-from refuses to delete a database firewall on its own,
// and lets one go with its cluster.
func TestDestroyWithAccess(t *testing.T) {
	r := newAccessRig(t)
	fw := string(accessURN(dotype.DatabaseFirewall, "focusdeck-firewall"))
	res := r.run(context.Background(), t, destroyCmd(r.f), "destroy", "--stack", "dev", "--dir", testProject(t), "--yes", "--access-from", runner, "--target", fw)
	if res.code != ExitPolicy || !strings.Contains(res.err.Error(), "focusdeck-firewall (delete)") {
		t.Fatalf("targeted destroy of the database firewall: exit %d: %v", res.code, res.err)
	}
	if len(r.api.Calls()) != 0 || slices.Contains(r.f.Calls(), "destroy") {
		t.Errorf("a refused destroy called the API %v or the engine %v", r.api.Calls(), r.f.Calls())
	}
	res = r.run(context.Background(), t, destroyCmd(r.f), "destroy", "--stack", "dev", "--dir", testProject(t), "--yes", "--access-from", runner)
	if res.code != ExitOK {
		t.Fatalf("destroy of everything: exit %d: %v\n%s", res.code, res.err, res.stderr)
	}
	if got := r.during("destroy"); !slices.Equal(got, []string{openNow}) {
		t.Errorf("access while destroying: %q", got)
	}
	if left := r.open(); len(left) != 0 {
		t.Errorf("access left: %v", left)
	}
}

// refresh --access-from reads the database firewall before the runner is
// trusted, and the rest while it is.
func TestRefreshWithAccess(t *testing.T) {
	r := newAccessRig(t)
	var opts []string
	r.f.refreshEvents = evs{summary(map[apitype.OpType]int{"same": 1})}
	res := r.run(context.Background(), t, func(s *IO) *cobra.Command {
		return NewCmdRefresh(s, func(o *RefreshOptions) error {
			o.OpenStack = func(context.Context, StackRequest) (Stack, error) {
				r.f.name = "prod"
				return &recordingRefresh{fakeStack: r.f, opts: &opts}, nil
			}
			return runRefresh(context.Background(), o)
		})
	}, "refresh", "--stack", "prod", "--dir", testProject(t), "--access-from", runner, "--json")
	if res.code != ExitOK {
		t.Fatalf("exit %d: %v\n%s", res.code, res.err, res.stderr)
	}
	fw := string(accessURN(dotype.DatabaseFirewall, "focusdeck-firewall"))
	if want := []string{"target " + fw, "exclude " + fw}; !slices.Equal(opts, want) {
		t.Errorf("refresh passes %q, want %q", opts, want)
	}
	if got := r.during("refresh"); !slices.Equal(got, []string{"", openNow}) {
		t.Errorf("access during the two refreshes: %q", got)
	}
	if left := r.open(); len(left) != 0 {
		t.Errorf("access left: %v", left)
	}
}

// recordingRefresh records the targets and exclusions of each refresh.
type recordingRefresh struct {
	*fakeStack
	opts *[]string
}

func (r *recordingRefresh) Refresh(ctx context.Context, opts ...optrefresh.Option) (auto.RefreshResult, error) {
	var o optrefresh.Options
	for _, opt := range opts {
		opt.ApplyOption(&o)
	}
	for _, u := range o.Target {
		*r.opts = append(*r.opts, "target "+u)
	}
	for _, u := range o.Exclude {
		*r.opts = append(*r.opts, "exclude "+u)
	}
	return r.fakeStack.Refresh(ctx, opts...)
}

func TestAccessTarget(t *testing.T) {
	src := netip.MustParsePrefix(runner + "/32")
	withoutDroplet := slices.DeleteFunc(accessState(), func(r apitype.ResourceV3) bool { return string(r.Type) == dotype.Droplet })
	tests := []struct {
		name      string
		resources []apitype.ResourceV3
		tags      []string
		clusters  []string
	}{
		{"a VPS stack", accessState(), []string{"focusdeck-prod-app"}, []string{accessCluster}},
		// No Droplet (Kubernetes): its nodes get no SSH from the runner.
		{"no Droplet", withoutDroplet, nil, []string{accessCluster}},
		{"nothing deployed yet", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := accessTarget("prod", src, &state{Resources: tt.resources}, nil)
			if !slices.Equal(got.DropletTags, tt.tags) || !slices.Equal(got.Clusters, tt.clusters) {
				t.Errorf("tags %v, clusters %v; want %v, %v", got.DropletTags, got.Clusters, tt.tags, tt.clusters)
			}
			if tt.resources != nil && !slices.Equal(got.Declared, []string{"198.51.100.0/24"}) {
				t.Errorf("declared %v", got.Declared)
			}
		})
	}
}

// preview --access-from only warns about a database firewall change: it
// changes nothing, but the up it announces will be refused.
func TestPreviewWithAccessWarns(t *testing.T) {
	r := newAccessRig(t)
	r.f.previewEvents = evs{pre(apitype.OpUpdate, dotype.DatabaseFirewall, "focusdeck-firewall", "rules"), summary(map[apitype.OpType]int{"update": 1})}
	res := r.run(context.Background(), t, previewCmd2(r.f), "preview", "--stack", "prod", "--dir", testProject(t), "--access-from", runner)
	if res.code != ExitOK || !strings.Contains(res.stderr, "warning: up of stack prod with --access-from refused") {
		t.Fatalf("exit %d: %v\n%s", res.code, res.err, res.stderr)
	}
	if got := r.during("preview"); !slices.Equal(got, []string{openNow}) {
		t.Errorf("access while previewing: %q", got)
	}
	if left := r.open(); len(left) != 0 {
		t.Errorf("access left: %v", left)
	}
}

// Ctrl-C while the access is being opened: exit 130, nothing left open.
func TestAccessCancelledWhileOpening(t *testing.T) {
	r := newAccessRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.api.OnCall(func(c doapitest.Call) {
		if c.String() == "POST /v2/firewalls" {
			cancel()
		}
	})
	res := r.run(ctx, t, func(s *IO) *cobra.Command {
		return NewCmdUp(s, func(o *UpOptions) error {
			o.OpenStack = opener(r.f)
			return runUp(ctx, o)
		})
	}, "up", "--stack", "prod", "--dir", testProject(t), "--yes", "--access-from", runner)
	if res.code != ExitCancelled {
		t.Fatalf("exit %d, want %d: %v", res.code, ExitCancelled, res.err)
	}
	if slices.Contains(r.f.Calls(), "preview") {
		t.Error("the engine ran after the cancel")
	}
	if left := r.open(); len(left) != 0 {
		t.Errorf("access left: %v", left)
	}
}
