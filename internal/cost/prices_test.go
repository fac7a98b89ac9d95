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
		got, _ := p.DatabaseSize(slug)
		standby, hasStandby := got.StandbyPrice()
		if got.Primary != want {
			t.Errorf("database %s: primary %v, want %v", slug, got.Primary, want)
		}
		// DigitalOcean allows standby nodes only on plans with 2 GB of RAM
		// or more: the 1 GB plan has no standby price.
		if wantStandby := slug != "db-s-1vcpu-1gb"; hasStandby != wantStandby || (hasStandby && standby <= 0) {
			t.Errorf("database %s: standby %v (%v), want a standby price: %v", slug, standby, hasStandby, wantStandby)
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
		{"daily backups", p.Backups.Daily, 0.30},
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
		{"no date", strings.Replace(good, `asOf: "`+mustAsOf(t)+`"`, `asOf: "June"`, 1), "asOf must be a date"},
		{"negative price", strings.Replace(good, "s-1vcpu-1gb: 6", "s-1vcpu-1gb: -6", 1), "droplets.s-1vcpu-1gb: price must be positive"},
		{"plain http source", strings.Replace(good, "https://www.digitalocean.com/pricing/droplets", "http://example.com", 1), "https URL"},
		{"a standby price on a plan without standby nodes must be positive", strings.Replace(good, "db-s-1vcpu-2gb: { primary: 30, standby: 30 }", "db-s-1vcpu-2gb: { primary: 30, standby: 0 }", 1), "standby price must be positive"},
		{"claiming verified while figures are not", strings.Replace(good, "\nverified: false\n", "\nverified: true\n", 1), "some figures are not verified"},
		{"a figure in no verification group", strings.Replace(good, "  s-1vcpu-512mb-10gb: 4\n", "  s-1vcpu-512mb-10gb: 4\n  s-64vcpu-1tb: 999\n", 1), "s-64vcpu-1tb is in no group"},
		{"a group naming no figure of the table", strings.Replace(good, "figures: [weekly, daily]", "figures: [weekly, daily, hourly]", 1), "hourly is not a figure of the table"},
		{"an unverified group without a reason", strings.Replace(good, `reason: "no DigitalOcean volumes pricing page is stored; $0.10/GiB appears only in an undated third-party cost guide"`, `reason: ""`, 1), "needs a reason"},
		{"a verified group without sources", strings.Replace(good, "    - figures: [perGiB]\n      verified: false", "    - figures: [perGiB]\n      verified: true", 1), "needs the sources"},
		{"an undated third-party source", strings.Replace(good, `date: "21 Aug 2025 (review of pkg/cloud/digitalocean/provider.go)"`, `date: "undated"`, 1), "undated third-party source verifies nothing"},
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

func mustAsOf(t *testing.T) string {
	t.Helper()
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	return p.AsOf
}

// Every figure of the embedded table carries a verification state, and the
// ones the issue names are in the state the sources support.
func TestPriceTableVerificationState(t *testing.T) {
	p, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	if p.Verified {
		t.Error("the table claims every figure verified, but some are not")
	}
	for _, c := range []struct {
		section, key string
		want         bool
	}{
		{"backups", "weekly", true},
		{"backups", "daily", true},
		{"kubernetes", "haControlPlane", true},
		{"droplets", "s-4vcpu-8gb", true},
		{"loadBalancers", "perNode", false},
		{"databases", "db-s-1vcpu-1gb.primary", false},
		{"databases", "db-s-1vcpu-2gb.standby", false},
		{"databases", "db-s-1vcpu-1gb.standby", false},
		{"volumes", "perGiB", false},
		{"reservedIps", "unassigned", false},
		{"uptimeCheck", "uptimeCheck", false},
	} {
		if got := p.FigureVerified(c.section, c.key); got != c.want {
			t.Errorf("%s.%s verified = %v, want %v", c.section, c.key, got, c.want)
		}
	}
	// A verified group names what its sources say and when.
	for section, groups := range p.Verification {
		for i, g := range groups {
			if g.Verified && len(g.Sources) == 0 {
				t.Errorf("verification.%s[%d] is verified without a source", section, i)
			}
		}
	}
	if !strings.Contains(string(pricesYAML), "validated 9 Mar 2026") || !strings.Contains(string(pricesYAML), "validated 28 May 2026") {
		t.Error("the table must keep the dates its DigitalOcean sources state")
	}
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
