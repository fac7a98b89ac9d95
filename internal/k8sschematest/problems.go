package k8sschematest

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// problemCollector flattens a jsonschema error tree into located problems.
type problemCollector struct {
	obj     any
	printer *message.Printer
	out     []Problem
}

// problems lists every leaf of a validation error, sorted by path, without
// duplicates.
func problems(obj any, verr *jsonschema.ValidationError) []Problem {
	c := &problemCollector{obj: obj, printer: message.NewPrinter(language.English)}
	c.collect(verr)
	slices.SortStableFunc(c.out, func(a, b Problem) int {
		return strings.Compare(a.Path, b.Path)
	})
	return slices.Compact(c.out)
}

func (c *problemCollector) add(loc []string, msg string) {
	c.out = append(c.out, Problem{Path: formatPath(c.obj, loc), Message: msg})
}

func (c *problemCollector) collect(e *jsonschema.ValidationError) {
	loc := e.InstanceLocation
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			c.add(appendPath(loc, p), "unknown field")
		}
	case *kind.Required:
		for _, p := range k.Missing {
			c.add(appendPath(loc, p), "required field missing")
		}
	case *kind.Type:
		c.add(loc, "wrong type: got "+k.Got+", want "+strings.Join(k.Want, " or "))
	case *kind.OneOf:
		if len(k.Subschemas) > 0 {
			c.add(loc, k.LocalizedString(c.printer))
			return
		}
		c.alternatives(e)
	case *kind.AnyOf:
		c.alternatives(e)
	case *kind.Pattern:
		if k.Want == quantityPattern {
			c.add(loc, strconv.Quote(k.Got)+" is not a quantity (like 500m, 1.5, 128Mi or 2G)")
			return
		}
		c.add(loc, k.LocalizedString(c.printer))
	default:
		if len(e.Causes) == 0 {
			c.add(loc, e.ErrorKind.LocalizedString(c.printer))
		}
		for _, cause := range e.Causes {
			c.collect(cause)
		}
	}
}

// alternatives reports a failed oneOf/anyOf. Branches that failed only
// because the value has another JSON type say nothing useful when some
// branch accepts that type ("1Gb" is a string, so the quantity's number
// branch is noise), so only the others are reported. When every branch
// failed on its type (IntOrString given a boolean) the wanted types are
// merged: "wrong type: got boolean, want integer or string".
func (c *problemCollector) alternatives(e *jsonschema.ValidationError) {
	var got string
	var want []string
	var rest []Problem
	for _, cause := range e.Causes {
		if t, ok := cause.ErrorKind.(*kind.Type); ok && len(cause.Causes) == 0 &&
			slices.Equal(cause.InstanceLocation, e.InstanceLocation) {
			got = t.Got
			want = append(want, t.Want...)
			continue
		}
		sub := &problemCollector{obj: c.obj, printer: c.printer}
		sub.collect(cause)
		rest = append(rest, sub.out...)
	}
	if len(rest) == 0 {
		c.add(e.InstanceLocation, "wrong type: got "+got+", want "+strings.Join(want, " or "))
		return
	}
	c.out = append(c.out, rest...)
}

func appendPath(loc []string, tok string) []string {
	return append(slices.Clip(loc), tok)
}

// plainKey is a field name that reads well after a dot.
var plainKey = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$-]*$`)

// formatPath renders an instance location the way kubectl does:
// spec.containers[0].image, and metadata.labels["app.kubernetes.io/name"]
// for keys that are not plain names. The object is walked to tell array
// indexes from map keys that look like numbers.
func formatPath(obj any, loc []string) string {
	var b strings.Builder
	cur := obj
	for _, tok := range loc {
		switch node := cur.(type) {
		case []any:
			b.WriteString("[" + tok + "]")
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(node) {
				cur = node[i]
			} else {
				cur = nil
			}
			continue
		case map[string]any:
			cur = node[tok]
		default:
			cur = nil
		}
		switch {
		case !plainKey.MatchString(tok):
			b.WriteString("[" + strconv.Quote(tok) + "]")
		case b.Len() > 0:
			b.WriteString("." + tok)
		default:
			b.WriteString(tok)
		}
	}
	return b.String()
}
