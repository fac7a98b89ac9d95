package plandiff

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"infra/internal/plan"
)

const (
	urnServer  = "urn:pulumi:dev::shop::infra:workload:Service::server"
	urnDroplet = "urn:pulumi:dev::shop::digitalocean:index/droplet:Droplet::shop-dev-droplet"
	urnDeploy  = "urn:pulumi:dev::shop::command:remote:Command::shop-dev-deploy"
	urnWorker  = "urn:pulumi:dev::shop::infra:workload:Service::worker"

	digestA = "0123456789abcdef"
	digestB = "fedcba9876543210"
)

// base is a small plan: a service with an image and env, a Droplet, and a
// deploy command whose stdin and private key are secrets.
func base() *plan.Plan {
	return &plan.Plan{Stack: "dev", Resources: []plan.Resource{
		{URN: urnServer, Type: "infra:workload:Service", Name: "server", Inputs: map[string]any{
			"image": "ghcr.io/x/server:1.4.2",
			"env":   map[string]any{"ASPNETCORE_ENVIRONMENT": "Development", "Features__Jarvis": "true"},
			"containers": []any{
				map[string]any{"name": "app", "image": "ghcr.io/x/server:1.4.2"},
				map[string]any{"name": "proxy", "image": "nginx:1.27"},
			},
		}},
		{URN: urnDroplet, Type: "digitalocean:index/droplet:Droplet", Name: "shop-dev-droplet", Custom: true, Inputs: map[string]any{
			"size": "s-2vcpu-4gb", "userData": "#cloud-config\npackages: [docker]\n",
		}},
		{URN: urnDeploy, Type: "command:remote:Command", Name: "shop-dev-deploy", Custom: true,
			Inputs: map[string]any{
				"stdin":      plan.Masked,
				"connection": map[string]any{"host": "203.0.113.20", "privateKey": plan.Masked},
			},
			SecretDigests: map[string]string{"stdin": digestA, "connection.privateKey": digestA},
		},
	}, Artifacts: map[string]string{
		"vps/compose.yaml": "services:\n  server:\n    image: ghcr.io/x/server:1.4.2\n",
		"vps/old.conf":     "gone\n",
	}}
}

// edit returns a copy of base changed by f.
func edit(f func(p *plan.Plan)) *plan.Plan {
	p := base()
	f(p)
	return p
}

func inputs(p *plan.Plan, urn string) map[string]any {
	for _, r := range p.Resources {
		if r.URN == urn {
			return r.Inputs
		}
	}
	panic(urn)
}

func resource(p *plan.Plan, urn string) *plan.Resource {
	for i := range p.Resources {
		if p.Resources[i].URN == urn {
			return &p.Resources[i]
		}
	}
	panic(urn)
}

func TestCompareResources(t *testing.T) {
	tests := []struct {
		name string
		head *plan.Plan
		// want is each changed resource's name with its change, and
		// inputs the changed inputs as "path: reason".
		want      map[string]Change
		inputs    []string
		unchanged []string // secrets reported unchanged
	}{
		{
			name: "image change",
			head: edit(func(p *plan.Plan) { inputs(p, urnServer)["image"] = "ghcr.io/x/server:1.4.3" }),
			want: map[string]Change{"server": Changed}, inputs: []string{"image: ghcr.io/x/server:1.4.2 -> ghcr.io/x/server:1.4.3"},
		},
		{
			name: "env change, nested path",
			head: edit(func(p *plan.Plan) {
				inputs(p, urnServer)["env"].(map[string]any)["Features__Jarvis"] = "false"
			}),
			want: map[string]Change{"server": Changed}, inputs: []string{"env.Features__Jarvis: true -> false"},
		},
		{
			name: "env added and removed",
			head: edit(func(p *plan.Plan) {
				env := inputs(p, urnServer)["env"].(map[string]any)
				delete(env, "ASPNETCORE_ENVIRONMENT")
				env["LOG_LEVEL"] = "debug"
			}),
			want:   map[string]Change{"server": Changed},
			inputs: []string{"env.ASPNETCORE_ENVIRONMENT: removed (was Development)", "env.LOG_LEVEL: added debug"},
		},
		{
			name: "size change",
			head: edit(func(p *plan.Plan) { inputs(p, urnDroplet)["size"] = "s-4vcpu-8gb" }),
			want: map[string]Change{"shop-dev-droplet": Changed}, inputs: []string{"size: s-2vcpu-4gb -> s-4vcpu-8gb"},
		},
		{
			name: "multi-line input",
			head: edit(func(p *plan.Plan) {
				inputs(p, urnDroplet)["userData"] = "#cloud-config\npackages: [docker, fail2ban]\n"
			}),
			want: map[string]Change{"shop-dev-droplet": Changed}, inputs: []string{"userData: multi-line value changed (+1 -1 lines)"},
		},
		{
			name: "list element by name, one inserted",
			head: edit(func(p *plan.Plan) {
				in := inputs(p, urnServer)
				in["containers"] = []any{
					map[string]any{"name": "migrate", "image": "ghcr.io/x/migrate:1"},
					map[string]any{"name": "app", "image": "ghcr.io/x/server:1.4.3"},
					map[string]any{"name": "proxy", "image": "nginx:1.27"},
				}
			}),
			want: map[string]Change{"server": Changed},
			inputs: []string{
				"containers[migrate]: added {\"image\":\"ghcr.io/x/migrate:1\",\"name\":\"migrate\"}",
				"containers[app].image: ghcr.io/x/server:1.4.2 -> ghcr.io/x/server:1.4.3",
			},
		},
		{
			name: "new service",
			head: edit(func(p *plan.Plan) {
				p.Resources = append(p.Resources, plan.Resource{URN: urnWorker, Type: "infra:workload:Service", Name: "worker", Inputs: map[string]any{"image": "ghcr.io/x/worker:1"}})
			}),
			want: map[string]Change{"worker": Added},
		},
		{
			name: "removed resource",
			head: edit(func(p *plan.Plan) { p.Resources = p.Resources[1:] }),
			want: map[string]Change{"server": Removed},
		},
		{
			name: "secret changed, another unchanged",
			head: edit(func(p *plan.Plan) { resource(p, urnDeploy).SecretDigests["stdin"] = digestB }),
			want: map[string]Change{"shop-dev-deploy": Changed}, inputs: []string{"stdin: secret, changed"},
			unchanged: []string{"connection.privateKey"},
		},
		{
			name: "secrets unchanged: nothing changes",
			head: base(),
			want: map[string]Change{},
		},
		{
			name: "protect turned on",
			head: edit(func(p *plan.Plan) { resource(p, urnDroplet).Protect = true }),
			want: map[string]Change{"shop-dev-droplet": Changed}, inputs: []string{"(protect): false -> true"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Compare(base(), tt.head)
			got := map[string]Change{}
			var gotInputs, gotUnchanged []string
			for _, r := range d.Resources {
				got[r.Name] = r.Change
				for _, in := range r.Inputs {
					gotInputs = append(gotInputs, in.Path+": "+in.Reason("->"))
				}
				gotUnchanged = append(gotUnchanged, r.SecretsUnchanged...)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("resources %v, want %v", got, tt.want)
			}
			if !reflect.DeepEqual(gotInputs, tt.inputs) {
				t.Errorf("inputs\n  %q\nwant\n  %q", gotInputs, tt.inputs)
			}
			if !reflect.DeepEqual(gotUnchanged, tt.unchanged) {
				t.Errorf("unchanged secrets %q, want %q", gotUnchanged, tt.unchanged)
			}
			if want := 3 - len(tt.want); tt.name != "new service" && d.Unchanged != want {
				t.Errorf("%d unchanged, want %d", d.Unchanged, want)
			}
		})
	}
}

// A secret is shown as changed or not at all: neither its masked form's
// digest nor anything else of it reaches the text or the Markdown, and a
// value that became secret shows neither its old nor its new side.
func TestSecretsNeverShowAValue(t *testing.T) {
	head := edit(func(p *plan.Plan) {
		resource(p, urnDeploy).SecretDigests["stdin"] = digestB
		in := inputs(p, urnServer)
		in["image"] = plan.Masked // the image reference became a secret
		resource(p, urnServer).SecretDigests = map[string]string{"image": digestB}
	})
	d := Compare(base(), head)
	var text bytes.Buffer
	if err := d.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	out := text.String() + d.MarkdownResources(10000)
	for _, leak := range []string{digestA, digestB, "ghcr.io/x/server:1.4.2"} {
		if strings.Contains(out, leak) {
			t.Errorf("%q shown:\n%s", leak, out)
		}
	}
	for _, want := range []string{"stdin: secret, changed", "image: secret, changed", "unchanged secrets: connection.privateKey"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if !strings.Contains(out, "the compose project") {
		t.Errorf("the deploy command's stdin has no note saying what it is:\n%s", out)
	}
}

// A plan.json written before plans kept digests cannot tell: the secret
// is counted as not compared, not called changed or unchanged.
func TestSecretWithoutDigestIsNotCompared(t *testing.T) {
	old := edit(func(p *plan.Plan) { resource(p, urnDeploy).SecretDigests = nil })
	d := Compare(old, base())
	if len(d.Resources) != 0 || d.SecretsUncompared != 2 {
		t.Errorf("resources %+v, %d uncompared; want none changed, 2 uncompared", d.Resources, d.SecretsUncompared)
	}
}

func TestCompareFiles(t *testing.T) {
	head := edit(func(p *plan.Plan) {
		p.Artifacts = map[string]string{
			"vps/compose.yaml":      "services:\n  server:\n    image: ghcr.io/x/server:1.4.3\n",
			"./kubernetes/new.yaml": "kind: ConfigMap\n",
		}
	})
	d := Compare(base(), head)
	got := map[string]Change{}
	for _, f := range d.Files {
		got[f.Path] = f.Change
	}
	want := map[string]Change{"vps/compose.yaml": Changed, "vps/old.conf": Removed, "kubernetes/new.yaml": Added}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	for _, f := range d.Files {
		switch f.Path {
		case "vps/compose.yaml":
			for _, line := range []string{"--- a/vps/compose.yaml", "+++ b/vps/compose.yaml", "-    image: ghcr.io/x/server:1.4.2", "+    image: ghcr.io/x/server:1.4.3"} {
				if !strings.Contains(f.Diff, line+"\n") {
					t.Errorf("compose diff lacks %q:\n%s", line, f.Diff)
				}
			}
			if f.Added != 1 || f.Removed != 1 {
				t.Errorf("compose +%d -%d, want +1 -1", f.Added, f.Removed)
			}
		case "vps/old.conf":
			if !strings.Contains(f.Diff, "+++ /dev/null") || f.Removed != 1 {
				t.Errorf("removed file diff:\n%s", f.Diff)
			}
		case "kubernetes/new.yaml":
			if !strings.Contains(f.Diff, "--- /dev/null") || f.Added != 1 {
				t.Errorf("added file diff:\n%s", f.Diff)
			}
		}
	}
}

func TestNoBaseIsANewStack(t *testing.T) {
	d := Compare(nil, base())
	c := d.Counts()
	if !d.NewStack || c.Added != 3 || c.Changed+c.Removed+d.Unchanged != 0 || d.FileCounts().Added != 2 {
		t.Errorf("new stack: %+v, files %+v", c, d.FileCounts())
	}
}

// The Markdown stays within its limit: long diffs are cut at a line, the
// code fence is closed, and what is left out is said.
func TestMarkdownFilesBounded(t *testing.T) {
	long := strings.Repeat("line with ``` in it\n", 2000)
	head := edit(func(p *plan.Plan) { p.Artifacts["vps/big.txt"] = long; p.Artifacts["vps/z.txt"] = long })
	d := Compare(base(), head)
	for _, limit := range []int{3000, 20000} {
		md := d.MarkdownFiles(limit)
		if len(md) > limit {
			t.Errorf("limit %d: %d bytes", limit, len(md))
		}
		if !strings.Contains(md, "left out") {
			t.Errorf("limit %d: no note of what was cut", limit)
		}
		if strings.Count(md, "````diff") != strings.Count(md, "````\n") {
			t.Errorf("limit %d: a fence is not closed:\n%s", limit, md)
		}
		if strings.Count(md, "<details>") != strings.Count(md, "</details>") {
			t.Errorf("limit %d: unbalanced details", limit)
		}
	}
	if md := Compare(nil, base()).MarkdownResources(300); len(md) > 300 || !strings.Contains(md, "more resource(s)") {
		t.Errorf("a table over its limit:\n%s", md)
	}
}
