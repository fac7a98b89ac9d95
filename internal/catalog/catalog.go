// Package catalog is what DigitalOcean offers, as far as the project relies
// on it: Droplet and database sizes, regions, PostgreSQL majors and DOKS
// minors, each list with its source (catalog.yaml). Config validation, the
// strict stand-in providers and the offline plan all read this one table, so
// they refuse the same values the real API would.
//
// The package has no Pulumi dependency: stacks/config imports it and stays
// small enough to fuzz.
package catalog

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

//go:embed catalog.yaml
var catalogYAML []byte

// Catalog is the parsed catalog.yaml.
type Catalog struct {
	AsOf             string           `yaml:"asOf"`
	DropletSizes     List             `yaml:"dropletSizes"`
	DatabaseSizes    DatabaseSizes    `yaml:"databaseSizes"`
	Regions          List             `yaml:"regions"`
	SpacesRegions    List             `yaml:"spacesRegions"`
	PostgresVersions PostgresVersions `yaml:"postgresVersions"`
	KubernetesMinors KubernetesMinors `yaml:"kubernetesVersions"`
}

// List is a sourced list of slugs.
type List struct {
	Source string   `yaml:"source"`
	Values []string `yaml:"values"`
}

// Has reports whether v is in the list.
func (l List) Has(v string) bool { return slices.Contains(l.Values, v) }

// DatabaseSizes are the managed database node sizes.
type DatabaseSizes struct {
	Source             string         `yaml:"source"`
	StandbyMinMemoryMB int            `yaml:"standbyMinMemoryMB"`
	StandbySource      string         `yaml:"standbySource"`
	Values             []DatabaseSize `yaml:"values"`
}

// DatabaseSize is one managed database plan.
type DatabaseSize struct {
	Slug     string `yaml:"slug"`
	VCPUs    int    `yaml:"vcpus"`
	MemoryMB int    `yaml:"memoryMB"`
}

// Lookup returns the plan of slug.
func (d DatabaseSizes) Lookup(slug string) (DatabaseSize, bool) {
	for _, s := range d.Values {
		if s.Slug == slug {
			return s, true
		}
	}
	return DatabaseSize{}, false
}

// Slugs lists every plan's slug.
func (d DatabaseSizes) Slugs() []string {
	out := make([]string, 0, len(d.Values))
	for _, s := range d.Values {
		out = append(out, s.Slug)
	}
	return out
}

// AllowsStandby reports whether a cluster on slug may have standby nodes.
func (d DatabaseSizes) AllowsStandby(slug string) bool {
	s, ok := d.Lookup(slug)
	return ok && s.MemoryMB >= d.StandbyMinMemoryMB
}

// WithStandby lists the plans that allow standby nodes, smallest first.
func (d DatabaseSizes) WithStandby() []string {
	var out []string
	for _, s := range d.Values {
		if s.MemoryMB >= d.StandbyMinMemoryMB {
			out = append(out, s.Slug)
		}
	}
	return out
}

// PostgresVersions are the PostgreSQL majors a new cluster may use.
type PostgresVersions struct {
	Source string            `yaml:"source"`
	Note   string            `yaml:"note"`
	Values []PostgresVersion `yaml:"values"`
}

// PostgresVersion is one major with its end of life (YYYY-MM-DD).
type PostgresVersion struct {
	Version   string `yaml:"version"`
	EndOfLife string `yaml:"endOfLife"`
}

// Versions lists the majors.
func (p PostgresVersions) Versions() []string {
	out := make([]string, 0, len(p.Values))
	for _, v := range p.Values {
		out = append(out, v.Version)
	}
	return out
}

// KubernetesMinors are the DOKS minors offered for new clusters.
type KubernetesMinors struct {
	Source string            `yaml:"source"`
	Values []KubernetesMinor `yaml:"values"`
}

// KubernetesMinor is one minor ("1.36") with its end of life.
type KubernetesMinor struct {
	Minor     string `yaml:"minor"`
	EndOfLife string `yaml:"endOfLife"`
}

// Minors lists the minors, oldest first.
func (k KubernetesMinors) Minors() []string {
	out := make([]string, 0, len(k.Values))
	for _, v := range k.Values {
		out = append(out, v.Minor)
	}
	return out
}

// Slugs are the version slugs the stand-in DigitalOcean API hands out, one
// per minor (<minor>.0-do.0): only the minor is relied on.
func (k KubernetesMinors) Slugs() []string {
	out := make([]string, 0, len(k.Values))
	for _, m := range k.Values {
		out = append(out, m.Minor+".0-do.0")
	}
	return out
}

// Offers reports whether a version (a minor "1.36" or a slug
// "1.36.1-do.0") belongs to an offered minor.
func (k KubernetesMinors) Offers(version string) bool {
	for _, m := range k.Values {
		if version == m.Minor || strings.HasPrefix(version, m.Minor+".") {
			return true
		}
	}
	return false
}

// Load parses the embedded catalog and checks its shape.
func Load() (*Catalog, error) {
	var c Catalog
	if err := yaml.UnmarshalWithOptions(catalogYAML, &c, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("catalog.yaml: %w", err)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("catalog.yaml: %w", err)
	}
	return &c, nil
}

// MustLoad is Load for callers that cannot go on without the table; the
// embedded file is checked by this package's tests, so it does not fail.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

func (c *Catalog) check() error {
	var problems []string
	for name, l := range map[string]List{
		"dropletSizes": c.DropletSizes, "regions": c.Regions, "spacesRegions": c.SpacesRegions,
	} {
		if l.Source == "" || len(l.Values) == 0 {
			problems = append(problems, name+": needs a source and values")
		}
	}
	if c.DatabaseSizes.Source == "" || c.DatabaseSizes.StandbySource == "" || c.DatabaseSizes.StandbyMinMemoryMB <= 0 {
		problems = append(problems, "databaseSizes: needs source, standbySource and standbyMinMemoryMB")
	}
	for _, s := range c.DatabaseSizes.Values {
		if s.Slug == "" || s.MemoryMB <= 0 || s.VCPUs <= 0 {
			problems = append(problems, fmt.Sprintf("databaseSizes: incomplete entry %+v", s))
		}
	}
	if c.PostgresVersions.Source == "" || len(c.PostgresVersions.Values) == 0 {
		problems = append(problems, "postgresVersions: needs a source and values")
	}
	if c.KubernetesMinors.Source == "" || len(c.KubernetesMinors.Values) == 0 {
		problems = append(problems, "kubernetesVersions: needs a source and values")
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// Releases answers what DigitalOcean's kubernetes/options endpoint answers
// (getKubernetesVersions): the release slugs of the offered minors with the
// given prefix, newest first. The stand-in provider and the offline plan's
// mocks both answer from here.
func (k KubernetesMinors) Releases(prefix string) []string {
	var out []string
	slugs := k.Slugs()
	for i := len(slugs) - 1; i >= 0; i-- {
		if strings.HasPrefix(slugs[i], prefix) {
			out = append(out, slugs[i])
		}
	}
	return out
}
