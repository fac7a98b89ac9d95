package cli

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/spf13/cobra"
)

// The focusdeck prod stack as deployed, in part: the role's generator under
// the database component, the Role and the deploy command built from it,
// and a Droplet that does not depend on it.
const (
	stackURN     = "urn:pulumi:prod::focusdeck::pulumi:pulumi:Stack::focusdeck-prod"
	postgresURN  = "urn:pulumi:prod::focusdeck::infra:database:Postgres::focusdeck"
	vpsURN       = "urn:pulumi:prod::focusdeck::infra:vps:VPS::focusdeck-prod"
	roleGenURN   = "urn:pulumi:prod::focusdeck::infra:database:Postgres$random:index/randomPassword:RandomPassword::focusdeck-focusdeck_app-password"
	adminGenURN  = "urn:pulumi:prod::focusdeck::infra:vps:VPS$random:index/randomPassword:RandomPassword::focusdeck-prod-admin-password"
	roleURN      = "urn:pulumi:prod::focusdeck::infra:database:Postgres$postgresql:index/role:Role::focusdeck-role-focusdeck_app"
	deployURN    = "urn:pulumi:prod::focusdeck::infra:vps:VPS$command:remote:Command::focusdeck-prod-deploy"
	dropletURN   = "urn:pulumi:prod::focusdeck::infra:vps:VPS$digitalocean:index/droplet:Droplet::focusdeck-prod-droplet"
	typePassword = "random:index/randomPassword:RandomPassword"
)

func rotateState() []apitype.ResourceV3 {
	res := func(urn, typ, parent string, custom bool, deps ...string) apitype.ResourceV3 {
		r := apitype.ResourceV3{URN: resource.URN(urn), Type: tokens.Type(typ), Parent: resource.URN(parent), Custom: custom}
		for _, d := range deps {
			r.Dependencies = append(r.Dependencies, resource.URN(d))
		}
		return r
	}
	role := res(roleURN, "postgresql:index/role:Role", postgresURN, true)
	role.PropertyDependencies = map[resource.PropertyKey][]resource.URN{"password": {roleGenURN}}
	return []apitype.ResourceV3{
		res(stackURN, "pulumi:pulumi:Stack", "", false),
		res(postgresURN, "infra:database:Postgres", stackURN, false),
		res(vpsURN, "infra:vps:VPS", stackURN, false),
		res(roleGenURN, typePassword, postgresURN, true),
		res(adminGenURN, typePassword, vpsURN, true),
		role,
		// Through the role: the deploy waits for it, and reads the password.
		res(deployURN, "command:remote:Command", vpsURN, true, roleURN, adminGenURN),
		res(dropletURN, "digitalocean:index/droplet:Droplet", vpsURN, true),
	}
}

func preURN(op apitype.OpType, urn, typ string, keys ...string) events.EngineEvent {
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{
		Metadata: apitype.StepEventMetadata{Op: op, URN: urn, Type: typ, Keys: keys, Diffs: keys},
	}}}
}

// roleRotation is the preview of rotating the role's password: the
// generator replaced, the Role updated, the deploy command replaced.
func roleRotation(extra ...events.EngineEvent) evs {
	out := evs{
		preURN(apitype.OpCreateReplacement, roleGenURN, typePassword, "length"),
		preURN(apitype.OpReplace, roleGenURN, typePassword, "length"),
		preURN(apitype.OpUpdate, roleURN, "postgresql:index/role:Role", "password"),
		preURN(apitype.OpReplace, deployURN, "command:remote:Command", "triggers"),
		preURN(apitype.OpDeleteReplaced, roleGenURN, typePassword),
	}
	return append(append(out, extra...), summary(map[apitype.OpType]int{"replace": 2, "update": 1, "same": 30}))
}

func rotateCmd(f *fakeStack) func(*IO) *cobra.Command {
	return func(s *IO) *cobra.Command {
		return NewCmdRotate(s, func(o *RotateOptions) error {
			o.OpenStack = opener(f)
			o.Preflight = nil
			return runRotate(context.Background(), o)
		})
	}
}

const rotateQuestion = "Do you want to rotate database.roles.focusdeck_app? [yes/no]"

func TestRotate(t *testing.T) {
	role := []string{"rotate", "--stack", "prod", "--secret", "database.roles.focusdeck_app"}
	with := func(args ...string) []string { return append(slices.Clone(role), args...) }
	tests := []struct {
		name        string
		fake        *fakeStack
		args        []string
		terminal    bool
		input       string
		want        int
		wantCalls   []string
		wantReplace []string // what up was told to replace
		wantOut     []string
		notOut      []string
	}{
		{
			name: "--yes replaces the role's generator, found by its name in the state",
			fake: &fakeStack{resources: rotateState(), previewEvents: roleRotation()},
			args: with("--yes"), want: ExitOK,
			wantCalls: []string{"export", "preview", "up"}, wantReplace: []string{roleGenURN},
			wantOut: []string{"Rotating database.roles.focusdeck_app on stack prod"}, notOut: []string{rotateQuestion},
		},
		{
			name: "the admin login is another generator",
			fake: &fakeStack{resources: rotateState(), previewEvents: evs{
				preURN(apitype.OpReplace, adminGenURN, typePassword), preURN(apitype.OpReplace, deployURN, "command:remote:Command", "triggers"),
			}},
			args: []string{"rotate", "--stack", "prod", "--secret", "admin", "--yes"}, want: ExitOK,
			wantCalls: []string{"export", "preview", "up"}, wantReplace: []string{adminGenURN},
		},
		{
			name: "without a terminal and without --yes nothing is changed",
			fake: &fakeStack{resources: rotateState(), previewEvents: roleRotation()},
			args: role, want: ExitUsage, wantCalls: []string{"export", "preview"},
			wantOut: []string{"rotate of stack prod needs a confirmation", "--yes (-y)"},
		},
		{
			name: "on a terminal, the change is shown and yes rotates",
			fake: &fakeStack{resources: rotateState(), previewEvents: roleRotation()},
			args: role, terminal: true, input: "yes\n", want: ExitOK,
			wantCalls: []string{"export", "preview", "up"}, wantReplace: []string{roleGenURN},
			wantOut: []string{rotateQuestion, "Rotating database.roles.focusdeck_app: password of database role focusdeck_app",
				"REPLACE random:index/randomPassword:RandomPassword focusdeck-focusdeck_app-password"},
		},
		{
			name: "on a terminal, no changes nothing",
			fake: &fakeStack{resources: rotateState(), previewEvents: roleRotation()},
			args: role, terminal: true, input: "no\n", want: ExitCancelled,
			wantCalls: []string{"export", "preview"}, wantOut: []string{rotateQuestion, "declined: nothing was changed"},
		},
		{
			name: "a change besides the rotation is refused: up applies it",
			fake: &fakeStack{resources: rotateState(), previewEvents: roleRotation(preURN(apitype.OpUpdate, dropletURN, typeDroplet, "size"))},
			args: with("--yes"), want: ExitChanges, wantCalls: []string{"export", "preview"},
			wantOut: []string{"changes besides the rotation", "update digitalocean:index/droplet:Droplet focusdeck-prod-droplet", "infra up"},
		},
		{
			name: "a new resource is a change besides the rotation",
			fake: &fakeStack{resources: rotateState(), previewEvents: roleRotation(preURN(apitype.OpCreate, "urn:pulumi:prod::focusdeck::x$y::new", "y"))},
			args: with("--yes"), want: ExitChanges, wantCalls: []string{"export", "preview"},
		},
		{
			name: "a preview that does not replace the generator is not a rotation",
			fake: &fakeStack{resources: rotateState(), previewEvents: evs{preURN(apitype.OpUpdate, roleURN, "postgresql:index/role:Role", "password")}},
			args: with("--yes"), want: ExitFailure, wantCalls: []string{"export", "preview"},
			wantOut: []string{"does not replace its generator " + roleGenURN},
		},
		{
			name: "a stack not deployed has no generator to replace",
			fake: &fakeStack{}, args: with("--yes"), want: ExitFailure, wantCalls: []string{"export"},
			wantOut: []string{"database.roles.focusdeck_app has no generator in stack prod's state", "infra up --stack prod"},
		},
		{
			name: "pending creates are refused first",
			fake: &fakeStack{resources: rotateState(), pending: []apitype.OperationV2{{
				Resource: apitype.ResourceV3{URN: resource.URN(dropletURN), Type: typeDroplet}, Type: apitype.OperationTypeCreating,
			}}},
			args: with("--yes"), want: ExitPending, wantCalls: []string{"export"},
		},
		{
			name: "an unknown name lists the rotatable ones, before the engine",
			fake: &fakeStack{}, args: []string{"rotate", "--stack", "prod", "--secret", "database.roles.app"}, want: ExitUsage,
			wantOut: []string{`unknown secret "database.roles.app": the stack's rotatable secrets are admin, database.roles.focusdeck_app`},
		},
		{
			// Grafana's admin is rotatable: the name is taken, and its
			// generator looked for in the state (this one has none).
			name: "grafana.admin is taken",
			fake: &fakeStack{resources: rotateState()}, args: []string{"rotate", "--stack", "prod", "--secret", "grafana.admin", "--yes"}, want: ExitFailure,
			wantOut:   []string{"grafana.admin has no generator in stack prod's state", "focusdeck-monitoring-grafana-password"},
			notOut:    []string{"cannot be rotated"},
			wantCalls: []string{"export"},
		},
		{
			name: "--secret or --list", fake: &fakeStack{}, args: []string{"rotate", "--stack", "prod"}, want: ExitUsage,
			wantOut: []string{"give either --secret NAME or --list"},
		},
		{
			name: "--list is offline",
			fake: &fakeStack{}, args: []string{"rotate", "--stack", "prod", "--list"}, want: ExitOK,
			wantOut: []string{"admin ", "database.roles.focusdeck_app ", "grafana.admin                    password of Grafana's admin"},
			notOut:  []string{"not rotatable"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := testProject(t)
			r := runAt(context.Background(), t, tc.terminal, tc.input, rotateCmd(tc.fake), append(tc.args, "--dir", dir)...)
			all := r.stdout + r.stderr
			if r.err != nil {
				all += r.err.Error()
			}
			if r.code != tc.want {
				t.Fatalf("exit %d, want %d\n%s", r.code, tc.want, all)
			}
			if got := tc.fake.Calls(); !slices.Equal(got, tc.wantCalls) {
				t.Errorf("calls %v, want %v", got, tc.wantCalls)
			}
			if tc.wantReplace != nil && !slices.Equal(tc.fake.upOpts.Replace, tc.wantReplace) {
				t.Errorf("up replaced %v, want %v", tc.fake.upOpts.Replace, tc.wantReplace)
			}
			if tc.wantReplace != nil && len(tc.fake.upOpts.Target) > 0 {
				t.Errorf("up targeted %v: the dependents must follow", tc.fake.upOpts.Target)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
			for _, n := range tc.notOut {
				if strings.Contains(all, n) {
					t.Errorf("output has %q:\n%s", n, all)
				}
			}
		})
	}
}

func TestRotateListJSON(t *testing.T) {
	dir := testProject(t)
	r := runWith(context.Background(), t, rotateCmd(&fakeStack{}), "rotate", "--stack", "prod", "--list", "--json", "--dir", dir)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	var list []struct {
		Name      string `json:"name"`
		Rotatable bool   `json:"rotatable"`
		Refused   string `json:"refused"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	var got []string
	for _, e := range list {
		if e.Rotatable != (e.Refused == "") {
			t.Errorf("%s: rotatable %v with reason %q", e.Name, e.Rotatable, e.Refused)
		}
		got = append(got, e.Name)
	}
	if want := []string{"admin", "database.roles.focusdeck_app", "grafana.admin"}; !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
}
