// Package cost estimates what a stack costs per month on DigitalOcean, from
// its offline plan and a dated, sourced table of list prices kept as data
// (prices.yaml). DigitalOcean is not covered by tools like Infracost; this
// is the estimate `infra plan`, `infra cost` and the PR preview show.
package cost

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
)

//go:embed prices.yaml
var pricesYAML []byte

// Prices is the price table: monthly list prices in Currency, as of AsOf.
type Prices struct {
	Currency string `yaml:"currency"`
	// AsOf is the date of the newest source the figures were checked
	// against (YYYY-MM-DD).
	AsOf string `yaml:"asOf"`
	// Verified is true only when every figure is verified (see
	// Verification); check() refuses a table that claims more.
	Verified bool `yaml:"verified"`
	// Sources are the pages where DigitalOcean publishes each product's
	// prices: where to re-check them.
	Sources []Source `yaml:"sources"`
	// Verification records, per section and group of figures, whether a
	// stored source confirms them, which one and the date it states.
	Verification map[string][]Check `yaml:"verification"`

	Droplets          map[string]float64       `yaml:"droplets"`
	Backups           BackupPrices             `yaml:"backups"`
	Kubernetes        KubernetesPrices         `yaml:"kubernetes"`
	LoadBalancers     LoadBalancerPrices       `yaml:"loadBalancers"`
	Databases         map[string]DatabasePrice `yaml:"databases"`
	Spaces            SpacesPrices             `yaml:"spaces"`
	Volumes           VolumePrices             `yaml:"volumes"`
	ReservedIPs       ReservedIPPrices         `yaml:"reservedIps"`
	ContainerRegistry map[string]float64       `yaml:"containerRegistry"`
	UptimeCheck       float64                  `yaml:"uptimeCheck"`
	// Free lists the type tokens that cost nothing by themselves.
	Free []string `yaml:"free"`
}

// Source is where a group of prices comes from.
type Source struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
}

// Check is the verification state of a group of figures of one section.
type Check struct {
	// Figures are the keys of the section this group covers: map keys
	// (droplet and registry slugs, "<db slug>.primary" or
	// "<db slug>.standby") or field names ("perNode"). Every figure of the
	// table belongs to exactly one group.
	Figures []string `yaml:"figures"`
	// Verified says a stored source states these figures.
	Verified bool `yaml:"verified"`
	// Sources are what was read: required when Verified.
	Sources []CheckSource `yaml:"sources,omitempty"`
	// Reason says why the figures are not verified: required when not.
	Reason string `yaml:"reason,omitempty"`
}

// CheckSource is one source read while checking a group of figures.
type CheckSource struct {
	URL string `yaml:"url"`
	// Date is the date the source itself states ("validated 9 Mar 2026"),
	// or "undated" for a copy that shows none.
	Date string `yaml:"date"`
	// Publisher is "digitalocean" for DigitalOcean's own pages, else
	// "third-party". A third-party source must be dated to verify.
	Publisher string `yaml:"publisher"`
	// Says is what the source states, briefly.
	Says string `yaml:"says"`
}

// BackupPrices are fractions of the Droplet's price.
type BackupPrices struct {
	Weekly float64 `yaml:"weekly"`
	Daily  float64 `yaml:"daily"`
}

// KubernetesPrices are the DOKS charges beyond the nodes.
type KubernetesPrices struct {
	HAControlPlane float64 `yaml:"haControlPlane"`
}

// LoadBalancerPrices price regional load balancers by node.
type LoadBalancerPrices struct {
	PerNode float64        `yaml:"perNode"`
	Sizes   map[string]int `yaml:"sizes"`
	// ImpliedKubernetesNodes is the size of the load balancer a kubernetes
	// stack's ingress controller creates outside the plan.
	ImpliedKubernetesNodes int `yaml:"impliedKubernetesNodes"`
}

// DatabasePrice is one managed database size. Standby is nil for a plan
// DigitalOcean allows no standby node on (plans under 2 GB of RAM).
type DatabasePrice struct {
	Primary float64  `yaml:"primary"`
	Standby *float64 `yaml:"standby,omitempty"`
}

// StandbyPrice is the price of one standby node, and false when the plan
// allows none.
func (d DatabasePrice) StandbyPrice() (float64, bool) {
	if d.Standby == nil {
		return 0, false
	}
	return *d.Standby, true
}

// SpacesPrices is the account-wide Spaces subscription.
type SpacesPrices struct {
	Subscription float64 `yaml:"subscription"`
	IncludedGiB  int     `yaml:"includedGiB"`
}

// VolumePrices price block storage.
type VolumePrices struct {
	PerGiB float64 `yaml:"perGiB"`
}

// ReservedIPPrices price reserved IPv4 addresses.
type ReservedIPPrices struct {
	Assigned   float64 `yaml:"assigned"`
	Unassigned float64 `yaml:"unassigned"`
}

var defaultPrices struct {
	once sync.Once
	p    *Prices
	err  error
}

// DefaultPrices is the embedded table, parsed once.
func DefaultPrices() (*Prices, error) {
	defaultPrices.once.Do(func() {
		defaultPrices.p, defaultPrices.err = ParsePrices(pricesYAML)
	})
	return defaultPrices.p, defaultPrices.err
}

// ParsePrices decodes and checks a price table. Unknown keys are errors, so
// a typo cannot silently price something at zero.
func ParsePrices(data []byte) (*Prices, error) {
	var p Prices
	if err := yaml.UnmarshalWithOptions(data, &p, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("decode price table: %s", yaml.FormatError(err, false, false))
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return &p, nil
}

func (p *Prices) check() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if p.Currency == "" {
		add("currency is required")
	}
	if len(p.AsOf) != len("2006-01-02") {
		add("asOf must be a date (YYYY-MM-DD), got %q", p.AsOf)
	}
	if len(p.Sources) == 0 {
		add("sources are required: where the prices were read")
	}
	for i, s := range p.Sources {
		if s.Name == "" || !strings.HasPrefix(s.URL, "https://") {
			add("sources[%d]: needs a name and an https URL", i)
		}
	}
	for slug, v := range p.Droplets {
		if v <= 0 {
			add("droplets.%s: price must be positive", slug)
		}
	}
	for slug, v := range p.Databases {
		if v.Primary <= 0 {
			add("databases.%s: the primary price must be positive", slug)
		}
		if v.Standby != nil && *v.Standby <= 0 {
			add("databases.%s: a standby price must be positive (omit it for a plan without standby nodes)", slug)
		}
	}
	if p.LoadBalancers.PerNode <= 0 {
		add("loadBalancers.perNode must be positive")
	}
	if p.Volumes.PerGiB <= 0 {
		add("volumes.perGiB must be positive")
	}
	problems = append(problems, p.checkVerification()...)
	if len(problems) > 0 {
		return fmt.Errorf("price table: %s", strings.Join(problems, "; "))
	}
	return nil
}

// figures lists the keys of every priced section, for the verification
// groups to cover.
func (p *Prices) figures() map[string][]string {
	keys := func(m map[string]float64) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		return out
	}
	var dbs []string
	for slug, v := range p.Databases {
		dbs = append(dbs, slug+".primary")
		if v.Standby != nil {
			dbs = append(dbs, slug+".standby")
		}
	}
	return map[string][]string{
		"droplets":          keys(p.Droplets),
		"backups":           {"weekly", "daily"},
		"kubernetes":        {"haControlPlane"},
		"loadBalancers":     {"perNode", "sizes", "impliedKubernetesNodes"},
		"databases":         dbs,
		"spaces":            {"subscription", "includedGiB"},
		"volumes":           {"perGiB"},
		"reservedIps":       {"assigned", "unassigned"},
		"containerRegistry": keys(p.ContainerRegistry),
		"uptimeCheck":       {"uptimeCheck"},
	}
}

// checkVerification holds the verification groups to what they claim:
// every figure in exactly one group, a verified group with a dated (or
// DigitalOcean's own) source, an unverified one with a reason, and the
// top-level verified flag no truer than its groups.
func (p *Prices) checkVerification() []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	all := true
	figures := p.figures()
	sections := make([]string, 0, len(figures))
	for section := range figures {
		sections = append(sections, section)
	}
	sort.Strings(sections)
	for _, section := range sections {
		keys := figures[section]
		sort.Strings(keys)
		seen := map[string]int{}
		for i, c := range p.Verification[section] {
			at := fmt.Sprintf("verification.%s[%d]", section, i)
			if len(c.Figures) == 0 {
				add("%s: lists no figures", at)
			}
			for _, f := range c.Figures {
				seen[f]++
			}
			all = all && c.Verified
			if !c.Verified {
				if strings.TrimSpace(c.Reason) == "" {
					add("%s: an unverified group needs a reason", at)
				}
				continue
			}
			if len(c.Sources) == 0 {
				add("%s: a verified group needs the sources that state its figures", at)
			}
			for j, s := range c.Sources {
				sat := fmt.Sprintf("%s.sources[%d]", at, j)
				if !strings.HasPrefix(s.URL, "https://") || s.Date == "" || s.Says == "" {
					add("%s: needs an https url, the date the source states and what it says", sat)
				}
				switch s.Publisher {
				case "digitalocean":
				case "third-party":
					if strings.EqualFold(strings.TrimSpace(s.Date), "undated") {
						add("%s: an undated third-party source verifies nothing", sat)
					}
				default:
					add("%s: publisher must be digitalocean or third-party, got %q", sat, s.Publisher)
				}
			}
		}
		for _, k := range keys {
			switch seen[k] {
			case 0:
				add("verification.%s: %s is in no group (every figure needs a verification state)", section, k)
			case 1:
			default:
				add("verification.%s: %s is in %d groups", section, k, seen[k])
			}
			delete(seen, k)
		}
		var extra []string
		for k := range seen {
			extra = append(extra, k)
		}
		sort.Strings(extra)
		for _, k := range extra {
			add("verification.%s: %s is not a figure of the table", section, k)
		}
	}
	var unknown []string
	for section := range p.Verification {
		if _, ok := figures[section]; !ok {
			unknown = append(unknown, section)
		}
	}
	sort.Strings(unknown)
	for _, section := range unknown {
		add("verification.%s: not a section of the table", section)
	}
	if p.Verified && !all {
		add("verified: true, but some figures are not verified (see verification)")
	}
	return problems
}

// FigureVerified reports whether a figure ("droplets", "s-2vcpu-4gb") is
// verified by a stored source.
func (p *Prices) FigureVerified(section, key string) bool {
	for _, c := range p.Verification[section] {
		for _, f := range c.Figures {
			if f == key {
				return c.Verified
			}
		}
	}
	return false
}

// IsFree reports whether a type costs nothing by itself.
func (p *Prices) IsFree(typ string) bool {
	for _, t := range p.Free {
		if t == typ {
			return true
		}
	}
	return false
}

// DropletSize returns a Droplet (or DOKS node) size's monthly price.
func (p *Prices) DropletSize(slug string) (float64, bool) {
	v, ok := p.Droplets[slug]
	return v, ok
}

// DatabaseSize returns a managed database size's prices.
func (p *Prices) DatabaseSize(slug string) (DatabasePrice, bool) {
	v, ok := p.Databases[slug]
	return v, ok
}
