// Package pins is the manifest of every version the project pins: the Helm
// charts and container images the program deploys, the defaults the stack
// config applies (DOKS minor, PostgreSQL major), the GitHub Actions, the Go
// toolchain and Pulumi SDKs, and the date of the price table. Each entry
// says where its value was checked, when, and when its upstream stops
// supporting it (pins.yaml).
//
// The components read their chart versions and images from here, so a bump
// is one edit of pins.yaml. Values whose home is a file another tool reads
// (go.mod, the workflows, stacks/config, internal/cost/prices.yaml) are
// recorded here as well, and this package's tests fail when the two differ.
// `infra versions` prints the manifest and warns before an end of support.
package pins

import (
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml"
)

//go:embed pins.yaml
var manifestYAML []byte

// Kind says what a pin is.
type Kind string

// The kinds of pins.
const (
	KindChart     Kind = "chart"     // a Helm chart the program installs
	KindImage     Kind = "image"     // a container image the program runs
	KindDefault   Kind = "default"   // a default the stack config applies
	KindAction    Kind = "action"    // a GitHub Action the workflows use
	KindToolchain Kind = "toolchain" // Go, the pulumi CLI
	KindModule    Kind = "module"    // a Go module (the Pulumi SDKs)
	KindData      Kind = "data"      // dated data (the price table)
)

// Kinds lists every kind, in the manifest's order.
var Kinds = []Kind{KindChart, KindImage, KindDefault, KindAction, KindToolchain, KindModule, KindData}

func (k Kind) known() bool {
	for _, kind := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// DateLayout is how pins.yaml writes dates.
const DateLayout = "2006-01-02"

// Pin is one pinned version.
type Pin struct {
	Name  string
	Kind  Kind
	Value string
	// Source is where Value was checked (a tag, a release page).
	Source string
	// Checked is the day someone last checked Value at Source.
	Checked time.Time
	// EndOfSupport is the day upstream support ends; zero when the project
	// publishes none. EndOfSupportSource says where the date comes from.
	EndOfSupport       time.Time
	EndOfSupportSource string
	Note               string
}

// HasEndOfSupport reports whether upstream publishes an end of support.
func (p Pin) HasEndOfSupport() bool { return !p.EndOfSupport.IsZero() }

// Manifest is the parsed pins.yaml.
type Manifest struct {
	Pins []Pin
}

// Get returns the pin called name.
func (m Manifest) Get(name string) (Pin, bool) {
	for _, p := range m.Pins {
		if p.Name == name {
			return p, true
		}
	}
	return Pin{}, false
}

// OfKind lists the pins of one kind, in the manifest's order.
func (m Manifest) OfKind(k Kind) []Pin {
	var out []Pin
	for _, p := range m.Pins {
		if p.Kind == k {
			out = append(out, p)
		}
	}
	return out
}

// Load parses the embedded pins.yaml and checks its shape.
func Load() (Manifest, error) {
	m, err := Parse(manifestYAML)
	if err != nil {
		return Manifest{}, fmt.Errorf("internal/pins/pins.yaml: %w", err)
	}
	return m, nil
}

var loadOnce = sync.OnceValues(Load)

// MustValue returns the value of the pin called name, for the components'
// package-level versions. The manifest is embedded and its tests parse it,
// and a missing name fails the first test of the package that asks, so a
// panic here is a programming error, never a user's.
func MustValue(name string) string {
	m, err := loadOnce()
	if err != nil {
		panic(err)
	}
	p, ok := m.Get(name)
	if !ok {
		panic(fmt.Sprintf("internal/pins/pins.yaml has no pin named %q", name))
	}
	return p.Value
}

// rawPin is a pin as written in pins.yaml.
type rawPin struct {
	Name               string `yaml:"name"`
	Kind               Kind   `yaml:"kind"`
	Value              string `yaml:"value"`
	Source             string `yaml:"source"`
	Checked            string `yaml:"checked"`
	EndOfSupport       string `yaml:"endOfSupport"`
	EndOfSupportSource string `yaml:"endOfSupportSource"`
	Note               string `yaml:"note"`
}

// Parse reads a manifest and checks every entry's shape, returning every
// problem at once, each with its entry: unknown keys, missing values, a
// source that is not an https URL, dates that do not parse, unknown kinds,
// duplicate names.
func Parse(data []byte) (Manifest, error) {
	var raw struct {
		Pins []rawPin `yaml:"pins"`
	}
	if err := yaml.UnmarshalWithOptions(data, &raw, yaml.Strict()); err != nil {
		return Manifest{}, err
	}
	if len(raw.Pins) == 0 {
		return Manifest{}, errors.New("no pins")
	}
	var problems []string
	add := func(i int, name, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("pins[%d] (%s): ", i, name)+fmt.Sprintf(format, args...))
	}
	seen := map[string]int{}
	m := Manifest{Pins: make([]Pin, 0, len(raw.Pins))}
	for i, r := range raw.Pins {
		p := Pin{Name: r.Name, Kind: r.Kind, Value: r.Value, Source: r.Source,
			EndOfSupportSource: r.EndOfSupportSource, Note: r.Note}
		switch first, dup := seen[r.Name]; {
		case r.Name == "":
			add(i, r.Name, "name: missing")
		case dup:
			add(i, r.Name, "name: duplicate of pins[%d]", first)
		default:
			seen[r.Name] = i
		}
		if !r.Kind.known() {
			add(i, r.Name, "kind: %q is not one of %v", r.Kind, Kinds)
		}
		if strings.TrimSpace(r.Value) == "" {
			add(i, r.Name, "value: missing")
		}
		if err := checkURL(r.Source); err != nil {
			add(i, r.Name, "source: %v", err)
		}
		var err error
		if p.Checked, err = parseDate(r.Checked); err != nil {
			add(i, r.Name, "checked: %v", err)
		}
		switch {
		case r.EndOfSupport != "":
			if p.EndOfSupport, err = parseDate(r.EndOfSupport); err != nil {
				add(i, r.Name, "endOfSupport: %v", err)
			}
			if err := checkURL(r.EndOfSupportSource); err != nil {
				add(i, r.Name, "endOfSupportSource: %v", err)
			}
		case r.EndOfSupportSource != "":
			add(i, r.Name, "endOfSupportSource without an endOfSupport date")
		}
		m.Pins = append(m.Pins, p)
	}
	if len(problems) > 0 {
		return Manifest{}, errors.New(strings.Join(problems, "\n"))
	}
	return m, nil
}

func checkURL(s string) error {
	if s == "" {
		return errors.New("missing")
	}
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an https URL", s)
	}
	return nil
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("missing")
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	return t, nil
}
