package stacks

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"infra/internal/mockmonitor"
	"infra/internal/pulumitest"
	"infra/internal/stacktest"
)

// rotateCases are configs covering every generator the program declares:
// each example as committed, and the topology and engine variants.
var rotateCases = []struct {
	name, example string
	edit          func(string) string
	want          []string // the rotatable names
}{
	{"focusdeck managed vps", "focusdeck/Pulumi.prod.yaml", same, []string{"admin", "database.roles.focusdeck_app", "grafana.admin"}},
	{"focusdeck selfhosted", "focusdeck/Pulumi.prod.yaml", selfhosted, []string{"admin", "database.roles.focusdeck_app", "database.superuser", "grafana.admin"}},
	{"focusdeck kubernetes", "focusdeck/Pulumi.prod.yaml", onKubernetes, []string{"database.roles.focusdeck_app", "grafana.admin"}},
	{"cesar external vps with auth", "cesar/Pulumi.prod.yaml", same, []string{"admin", "admin.dashboard", "grafana.admin"}},
	{"cesar kubernetes with auth", "cesar/Pulumi.prod.yaml", onKubernetes, []string{"admin.dashboard", "grafana.admin"}},
	{"hotdash production", "hotdash/Pulumi.production.yaml", same, []string{"admin", "grafana.admin"}},
	{"hotdash staging", "hotdash/Pulumi.staging.yaml", same, []string{"admin", "grafana.admin"}},
	{"jarvis-agents", "jarvis-agents/Pulumi.prod.yaml", same, []string{"admin", "database.roles.jarvis_auth", "database.roles.jarvis_registry", "grafana.admin"}},
	{"jarvis-cluster", "jarvis-cluster/Pulumi.prod.yaml", same, []string{"database.roles.jarvis_app", "grafana.admin"}},
}

func same(s string) string { return s }

func onKubernetes(s string) string {
	return strings.Replace(s, "infra:topology: vps", "infra:topology: kubernetes", 1)
}

// selfhosted moves FocusDeck's database onto the Droplet: no size, nodes,
// maintenance window or pools there.
func selfhosted(s string) string {
	for _, r := range [][2]string{
		{"engine: managed", "engine: selfhosted"}, {"    size: db-s-1vcpu-2gb\n", ""},
		{"    nodes: 2\n", ""}, {"    maintenance: { day: sunday, hour: \"03:00\" }\n", ""},
		{`version: "16"`, `version: "15"`},
		{", pool: { mode: transaction, size: 20 }", ""}, {", pool: { mode: session, size: 10 }", ""},
	} {
		s = strings.Replace(s, r[0], r[1], 1)
	}
	return s
}

// TestGeneratedSecretsAreTheProgramsGenerators runs Deploy on each case:
// every password generator it declares is listed, under the logical name
// and parent type that find it, and nothing listed is missing. A new
// random.NewRandomPassword without a name here fails this test.
func TestGeneratedSecretsAreTheProgramsGenerators(t *testing.T) {
	for _, tc := range rotateCases {
		t.Run(tc.name, func(t *testing.T) {
			project, err := stacktest.ProjectName(filepath.Join("..", "examples", filepath.Dir(tc.example)))
			if err != nil {
				t.Fatal(err)
			}
			cfg := loadExample(t, filepath.Join("examples", tc.example), tc.edit)
			rec := pulumitest.RunStack(t, project, "prod", func(ctx *pulumi.Context) error {
				_, err := Deploy(ctx, cfg)
				return err
			})
			declared := map[string]bool{}
			for _, r := range rec.ByType(PasswordType) {
				declared[r.Name+" in "+urnType(r.Parent)] = true
			}
			listed := map[string]bool{}
			var rotatable []string
			for _, s := range GeneratedSecrets(project, cfg) {
				key := s.Resource + " in " + s.ParentType
				if !declared[key] {
					t.Errorf("%s names %s, which the program does not declare", s.Name, key)
				}
				if listed[key] {
					t.Errorf("%s is listed twice", key)
				}
				listed[key] = true
				if s.Rotatable() {
					rotatable = append(rotatable, s.Name)
				}
			}
			for key := range declared {
				if !listed[key] {
					t.Errorf("the program declares %s and GeneratedSecrets does not list it", key)
				}
			}
			if !slices.Equal(rotatable, tc.want) {
				t.Errorf("rotatable: %v, want %v", rotatable, tc.want)
			}
		})
	}
}

// urnType is the type of the resource a URN names (the last of its type chain).
func urnType(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return ""
	}
	chain := parts[len(parts)-2]
	return chain[strings.LastIndex(chain, "$")+1:]
}

// TestManagedRoleFollowsItsGenerator: on the managed engine the
// postgresql Role's password is whatever the role's generator returns, a
// secret, and so are the services' connection strings; a rotated
// generator (a new value) reaches both. On Kubernetes the server's pod
// template changes with it too (its pods restart to read the Secret).
func TestManagedRoleFollowsItsGenerator(t *testing.T) {
	for _, topology := range []struct {
		name string
		edit func(string) string
	}{{"vps", same}, {"kubernetes", onKubernetes}} {
		t.Run(topology.name, func(t *testing.T) {
			cfg := loadExample(t, "examples/focusdeck/Pulumi.prod.yaml", topology.edit)
			var gen string
			for _, s := range GeneratedSecrets("focusdeck", cfg) {
				if s.Name == "database.roles.focusdeck_app" {
					gen = s.Resource
				}
			}
			var podHashes []any
			for _, value := range []string{"FirstValue0123456789abcdefghijklm", "RotatedValue9876543210zyxwvutsrqp"} {
				mon := &stacktest.RotatedMonitor{Monitor: mockmonitor.New("focusdeck", "prod"), Type: PasswordType, Name: gen, Value: value}
				var d *Deployment
				err := pulumi.RunErr(func(ctx *pulumi.Context) error {
					var err error
					d, err = Deploy(ctx, cfg)
					return err
				}, pulumi.WithMocks("focusdeck", "prod", mon))
				if err != nil {
					t.Fatal(err)
				}
				checkRoleFollows(t, mon.Resources(), d, value)
				if topology.name == "kubernetes" {
					podHashes = append(podHashes, serverPodHash(t, mon.Resources(), gen))
				}
			}
			if topology.name == "kubernetes" && (podHashes[0] == nil || reflect.DeepEqual(podHashes[0], podHashes[1])) {
				t.Errorf("the server's pod template does not change with the password: %v", podHashes)
			}
		})
	}
}

func checkRoleFollows(t *testing.T, resources []mockmonitor.Resource, d *Deployment, value string) {
	t.Helper()
	var role *mockmonitor.Resource
	for _, r := range resources {
		if r.Type == "postgresql:index/role:Role" && r.Name == "focusdeck-role-focusdeck_app" {
			role = &r
		}
	}
	if role == nil {
		t.Fatal("no postgresql Role focusdeck_app")
	}
	pw := role.Inputs["password"]
	if !pw.IsSecret() || pw.SecretValue().Element.StringValue() != value {
		t.Errorf("the Role's password is not the generator's result as a secret")
	}
	for env, cs := range d.Connections["server"] {
		res, err := internals.UnsafeAwaitOutput(t.Context(), cs)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := res.Value.(string)
		if !res.Secret || !strings.Contains(s, "Password="+value+";") {
			t.Errorf("connection string %s does not carry the generator's result as a secret", env)
		}
	}
	if len(d.Connections["server"]) != 2 {
		t.Errorf("server has %d connection strings, want 2", len(d.Connections["server"]))
	}
}

// serverPodHash is the secret env digest on the server Deployment's pod
// template. The Deployment must depend on the generator: `infra rotate`
// lets only the generator's dependents change.
func serverPodHash(t *testing.T, resources []mockmonitor.Resource, generator string) any {
	t.Helper()
	for _, r := range resources {
		if r.Type == "kubernetes:apps/v1:Deployment" && strings.HasSuffix(r.Name, "-deployment-server") {
			if !slices.ContainsFunc(r.Dependencies, func(u string) bool { return strings.HasSuffix(u, "::"+generator) }) {
				t.Errorf("the server Deployment does not depend on %s: %v", generator, r.Dependencies)
			}
			return pulumitest.Path(pulumitest.Plain(r.Inputs), "spec.template.metadata.annotations.infra/secret-env-hash")
		}
	}
	t.Fatal("no server Deployment")
	return nil
}
