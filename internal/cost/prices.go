// Package cost estimates what a stack costs per month on DigitalOcean, from
// its offline plan and a dated, sourced table of list prices kept as data
// (prices.yaml). DigitalOcean is not covered by tools like Infracost; this
// is the estimate `infra plan`, `infra cost` and the PR preview show.
package cost

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
)

//go:embed prices.yaml
var pricesYAML []byte

// Prices is the price table: monthly list prices in Currency, as of AsOf.
type Prices struct {
	Currency string `yaml:"currency"`
	// AsOf is the date the prices describe (YYYY-MM-DD).
	AsOf string `yaml:"asOf"`
	// Verified is false until someone re-reads the prices at the sources.
	Verified bool     `yaml:"verified"`
	Sources  []Source `yaml:"sources"`

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

// DatabasePrice is one managed database size.
type DatabasePrice struct {
	Primary float64 `yaml:"primary"`
	Standby float64 `yaml:"standby"`
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
		if v.Primary <= 0 || v.Standby <= 0 {
			add("databases.%s: primary and standby prices must be positive", slug)
		}
	}
	if p.LoadBalancers.PerNode <= 0 {
		add("loadBalancers.perNode must be positive")
	}
	if p.Volumes.PerGiB <= 0 {
		add("volumes.perGiB must be positive")
	}
	if len(problems) > 0 {
		return fmt.Errorf("price table: %s", strings.Join(problems, "; "))
	}
	return nil
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
