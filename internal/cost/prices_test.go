package cost

import (
	"strings"
	"testing"
	"time"
)

func TestPriceTableNamesSourceAndDate(t *testing.T) {
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse("2006-01-02", p.AsOf); err != nil {
		t.Errorf("asOf %q is not a date: %v", p.AsOf, err)
	}
	if p.Currency != "USD" {
		t.Errorf("currency = %q, want USD", p.Currency)
	}
	want := []string{"/pricing/droplets", "/pricing/kubernetes", "/pricing/load-balancer", "/pricing/managed-databases", "/pricing/spaces-object-storage", "/pricing/volumes", "reserved-ips"}
	var urls []string
	for _, s := range p.Sources {
		urls = append(urls, s.URL)
	}
	for _, w := range want {
		if !strings.Contains(strings.Join(urls, " "), w) {
			t.Errorf("no source for %s among %v", w, urls)
		}
	}
	if !strings.Contains(string(pricesYAML), "MUST BE RE-CHECKED") {
		t.Error("the price table must say its figures are to be re-checked against the sources")
	}
	// The figures the issue and the seeds rely on.
	for slug, want := range map[string]float64{"s-1vcpu-1gb": 6, "s-2vcpu-4gb": 24, "s-4vcpu-8gb": 48} {
		if got, _ := p.DropletSize(slug); got != want {
			t.Errorf("droplet %s = %v, want %v", slug, got, want)
		}
	}
	for slug, want := range map[string]float64{"db-s-1vcpu-1gb": 15, "db-s-1vcpu-2gb": 30, "db-s-2vcpu-4gb": 60} {
		if got, _ := p.DatabaseSize(slug); got.Primary != want || got.Standby <= 0 {
			t.Errorf("database %s = %+v, want primary %v and a standby price", slug, got, want)
		}
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"HA control plane", p.Kubernetes.HAControlPlane, 40},
		{"load balancer node", p.LoadBalancers.PerNode, 12},
		{"Spaces", p.Spaces.Subscription, 5},
		{"volume GiB", p.Volumes.PerGiB, 0.10},
		{"assigned reserved IP", p.ReservedIPs.Assigned, 0},
		{"weekly backups", p.Backups.Weekly, 0.20},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParsePricesRejectsBrokenTables(t *testing.T) {
	good := string(pricesYAML)
	cases := []struct {
		name, yaml, want string
	}{
		{"no sources", strings.Replace(good, "sources:", "oldSources:", 1), "unknown field"},
		{"unknown key (a typo prices nothing)", good + "\ndroplet: {}\n", "unknown field"},
		{"no date", strings.Replace(good, `asOf: "2025-06-01"`, `asOf: "June"`, 1), "asOf must be a date"},
		{"negative price", strings.Replace(good, "s-1vcpu-1gb: 6", "s-1vcpu-1gb: -6", 1), "droplets.s-1vcpu-1gb: price must be positive"},
		{"plain http source", strings.Replace(good, "https://www.digitalocean.com/pricing/droplets", "http://example.com", 1), "https URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParsePrices([]byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
	t.Run("the embedded table parses", func(t *testing.T) {
		if _, err := ParsePrices(pricesYAML); err != nil {
			t.Fatal(err)
		}
	})
}

func TestQuantityGiB(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		ok   bool
	}{{"20Gi", 20, true}, {"512Mi", 0.5, true}, {"1Ti", 1024, true}, {"10G", 0, false}, {"", 0, false}, {"xGi", 0, false}}
	for _, c := range cases {
		got, err := quantityGiB(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("quantityGiB(%q) = %v, %v; want %v, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}
