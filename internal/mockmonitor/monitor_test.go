package mockmonitor

import (
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestAnswersDependOnNamesAlone: ids and URNs derive from names, so two
// runs of one program (goroutines register in any order) are equal, and
// droplet ids are numbers, as DigitalOcean's are.
func TestAnswersDependOnNamesAlone(t *testing.T) {
	run := func() map[string]Resource {
		m := New("shop", "prod")
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			for _, name := range []string{"web-1", "web-2"} {
				if _, err := digitalocean.NewDroplet(ctx, name, &digitalocean.DropletArgs{Image: pulumi.String("ubuntu-24-04-x64"), Size: pulumi.String("s-1vcpu-1gb"), Region: pulumi.String("nyc3")}); err != nil {
					return err
				}
			}
			return nil
		}, pulumi.WithMocks("shop", "prod", m))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]Resource{}
		for _, r := range m.Resources() {
			out[r.Name] = r
		}
		return out
	}
	a, b := run(), run()
	for _, name := range []string{"web-1", "web-2"} {
		if a[name].ID != b[name].ID || a[name].URN != b[name].URN {
			t.Errorf("%s: %s %s, then %s %s", name, a[name].ID, a[name].URN, b[name].ID, b[name].URN)
		}
		if n, err := strconv.Atoi(a[name].ID); err != nil || n < DropletIDBase {
			t.Errorf("%s: droplet id %q is not a DigitalOcean number", name, a[name].ID)
		}
	}
	if want := "urn:pulumi:prod::shop::digitalocean:index/droplet:Droplet::web-1"; a["web-1"].URN != want {
		t.Errorf("URN = %s, want %s", a["web-1"].URN, want)
	}
}

// TestRefusesWhatTheProviderRefuses: inputs the real provider would refuse
// fail the registration, and nothing is recorded.
func TestRefusesWhatTheProviderRefuses(t *testing.T) {
	m := New("shop", "prod")
	_, _, err := m.NewResource(pulumi.MockResourceArgs{
		TypeToken: "digitalocean:index/droplet:Droplet", Name: "web", Custom: true,
		Inputs: resource.PropertyMap{"size": resource.NewStringProperty("s-1vcpu-1gb"), "region": resource.NewStringProperty("nyc3")},
	})
	if err == nil || !strings.Contains(err.Error(), "image") {
		t.Fatalf("a droplet without an image: err = %v, want the missing image named", err)
	}
	if n := len(m.Resources()); n != 0 {
		t.Errorf("%d resources recorded, want none", n)
	}
}
