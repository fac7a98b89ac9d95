package config

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/agext/levenshtein"
)

// withdrawn are values the schema once took and no longer does, with why
// and what to write instead.
var withdrawn = map[string]string{
	"dbConnections": "dbConnections is withdrawn: no PostgreSQL exporter is deployed, so the rule could never fire; " +
		"remove it (DigitalOcean's database alerts watch a managed cluster's CPU, memory and disk)",
}

// nearest is the known name closest to name, when it is close enough to be
// a typo or a small rename (at most two edits, or a third of the name for
// long names), else "".
func nearest(name string, known []string) string {
	best, bestD := "", math.MaxInt
	limit := max(2, len(name)/3)
	for _, k := range known {
		d := levenshtein.Distance(strings.ToLower(name), strings.ToLower(k), nil)
		if d <= limit && (d < bestD || d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	return best
}

// keysAt lists the keys the Config type accepts at a location of the
// config tree (JSON pointer tokens), for "did you mean" on unknown keys.
func keysAt(loc []string) []string {
	t := reflect.TypeOf(Config{})
	for _, tok := range loc {
		t = deref(t)
		switch t.Kind() {
		case reflect.Struct:
			f, ok := fieldByJSONName(t, tok)
			if !ok {
				return nil
			}
			t = f.Type
		case reflect.Slice, reflect.Map:
			t = t.Elem()
		default:
			return nil
		}
	}
	t = deref(t)
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if name := jsonName(t.Field(i)); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	return name
}

func fieldByJSONName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		if jsonName(t.Field(i)) == name {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

// patternHint is what to write instead of a value that does not match a
// pattern of the schema, keyed by the pattern. A raw regular expression
// tells nobody what to type.
var patternHints = map[string]func(got string) string{
	`^[0-9]+(Mi|Gi)$`:               quantityHint,
	`^([0-9]+m|[0-9]+(\.[0-9]+)?)$`: cpuHint,
	`^[a-z]{3}[0-9]$`:               fixedHint("a DigitalOcean region slug: three letters and a digit, such as nyc3, fra1 or sgp1"),
	`^[0-9]+(d|h|w)$`:               durationHint("d", "h", "w"),
	`^[0-9]+(s|m|h)$`:               durationHint("s", "m", "h"),
	`^/`: func(got string) string {
		return fmt.Sprintf("a path starting with /: write /%s", strings.TrimLeft(got, "/"))
	},
	`^([01][0-9]|2[0-3]):[0-5][0-9]$`:     fixedHint("a time of day as HH:MM in UTC, such as 03:00"),
	`^[0-9]+$`:                            fixedHint(`a whole number written as a string, such as "16"`),
	`^[A-Za-z0-9.-]+:[0-9]+$`:             fixedHint("host:port, such as smtp.example.com:587"),
	`^1\.[0-9]+$`:                         fixedHint("a Kubernetes minor version, such as 1.36"),
	`^[a-z_][a-z0-9_]*$`:                  identifierHint("_"),
	`^[a-z]([a-z0-9-]*[a-z0-9])?$`:        identifierHint("-"),
	`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`:     identifierHint("-"),
	`^(@|[a-z0-9]([a-z0-9-]*[a-z0-9])?)$`: fixedHint("@ for the domain itself, or one DNS label (lower case letters, digits and dashes), such as api"),
	`^[a-z][a-z0-9-]*$`:                   identifierHint("-"),
	`^[A-Za-z][A-Za-z0-9]*$`:              fixedHint("letters and digits, starting with a letter, such as HighCPU"),
	`^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z]+$`: func(got string) string {
		return fmt.Sprintf("a lower-case domain name without scheme or path, such as %s", domainGuess(got))
	},
}

func fixedHint(s string) func(string) string { return func(string) string { return s } }

var (
	quantity = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*([KkMmGgTt]?)([Ii]?[Bb]?)\s*$`)
	cores    = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*(cores?|cpus?|vcpus?)?\s*$`)
)

// quantityHint converts a memory or disk size written the way people say
// it (2GB, 512M, 1.5G) into Kubernetes-style binary units, which both
// Docker Compose and Kubernetes read.
func quantityHint(got string) string {
	const base = "a size in Mi or Gi (binary units, read by Compose and Kubernetes alike)"
	m := quantity.FindStringSubmatch(got)
	if m == nil {
		return base + ", such as 512Mi or 2Gi"
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return base + ", such as 512Mi or 2Gi"
	}
	var mi float64
	switch strings.ToUpper(m[2]) {
	case "K":
		mi = n / 1024
	case "", "M":
		mi = n
	case "G":
		mi = n * 1024
	case "T":
		mi = n * 1024 * 1024
	}
	switch {
	case mi >= 1024 && math.Mod(mi, 1024) == 0:
		return fmt.Sprintf("%s: write %dGi", base, int64(mi/1024))
	case mi >= 1 && mi == math.Trunc(mi):
		return fmt.Sprintf("%s: write %dMi", base, int64(mi))
	case mi >= 1:
		return fmt.Sprintf("%s: write %dMi", base, int64(math.Ceil(mi)))
	}
	return base + ", such as 512Mi or 2Gi"
}

// cpuHint: cores as a number (0.5, 2) or millicores (500m).
func cpuHint(got string) string {
	const base = "CPU as cores (0.5, 2) or millicores (500m)"
	if m := cores.FindStringSubmatch(strings.ToLower(got)); m != nil {
		return fmt.Sprintf("%s: write %s", base, m[1])
	}
	return base
}

func durationHint(units ...string) func(string) string {
	return func(got string) string {
		return fmt.Sprintf("a whole number followed by one unit (%s), such as 30%s", strings.Join(units, ", "), units[0])
	}
}

// identifierHint: names of databases, roles, services, pools and secrets
// are lower case; say what the value becomes when it is written that way.
func identifierHint(sep string) func(string) string {
	return func(got string) string {
		fixed := strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
				return r
			case r >= 'A' && r <= 'Z':
				return r + ('a' - 'A')
			case r == '-' || r == '_' || r == ' ' || r == '.':
				return []rune(sep)[0]
			}
			return -1
		}, got)
		fixed = strings.Trim(fixed, sep)
		what := "lower-case letters, digits and " + map[string]string{"-": "dashes", "_": "underscores"}[sep] + ", starting with a letter"
		if fixed == "" || fixed == got {
			return what
		}
		return fmt.Sprintf("%s: write %s", what, fixed)
	}
}

func domainGuess(got string) string {
	d := strings.ToLower(strings.TrimSpace(got))
	if _, after, ok := strings.Cut(d, "://"); ok {
		d = after
	}
	d, _, _ = strings.Cut(d, "/")
	if d == "" || !strings.Contains(d, ".") {
		return "example.com"
	}
	return d
}

// patternMessage is the message for a value that does not match pattern.
func patternMessage(got, pattern string) string {
	if hint, ok := patternHints[pattern]; ok {
		return fmt.Sprintf("%q is not %s", got, hint(got))
	}
	return fmt.Sprintf("%q does not match %s", got, pattern)
}

// unknownKeyMessage names the nearest accepted key.
func unknownKeyMessage(loc []string, name string) string {
	known := keysAt(loc)
	if near := nearest(name, known); near != "" {
		return fmt.Sprintf("unknown key: did you mean %s?", near)
	}
	if len(known) > 0 && len(known) <= 12 {
		sort.Strings(known)
		return fmt.Sprintf("unknown key (accepted here: %s)", strings.Join(known, ", "))
	}
	return "unknown key"
}
