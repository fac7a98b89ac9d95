package plandiff

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aymanbagabas/go-udiff"

	"infra/internal/mapkeys"
	"infra/internal/plan"
)

// comparison is what differs between two versions of one resource.
type comparison struct {
	inputs      []Input
	secretsSame []string
	uncompared  int
}

// place is where the walk is: the path shown to people (list elements
// with a name shown by name: containers[server]) and the plan paths of
// each side (by index, as SecretDigests is keyed).
type place struct{ show, base, head string }

func (p place) key(k string) place {
	return place{plan.JoinPath(p.show, k), plan.JoinPath(p.base, k), plan.JoinPath(p.head, k)}
}

func (p place) index(i int) place {
	return place{plan.JoinIndex(p.show, i), plan.JoinIndex(p.base, i), plan.JoinIndex(p.head, i)}
}

type comparer struct {
	base, head plan.Resource
	comparison
}

func compareResource(base, head plan.Resource) comparison {
	c := &comparer{base: base, head: head}
	c.value(place{}, map[string]any(base.Inputs), map[string]any(head.Inputs))
	for _, o := range []struct {
		name          string
		before, after any
	}{
		{"(protect)", base.Protect, head.Protect},
		{"(parent)", base.Parent, head.Parent},
		{"(provider)", base.Provider, head.Provider},
		{"(deletedWith)", base.DeletedWith, head.DeletedWith},
	} {
		if !sameJSON(o.before, o.after) {
			c.add(Input{Path: o.name, Change: Changed, Before: o.before, After: o.after})
		}
	}
	return c.comparison
}

func (c *comparer) add(in Input) {
	in.Note = note(c.head.Type, in.Path)
	c.inputs = append(c.inputs, in)
}

// value compares one input of both sides at a place.
func (c *comparer) value(at place, a, b any) {
	aSecret, bSecret := a == plan.Masked, b == plan.Masked
	if aSecret || bSecret {
		c.secret(at, aSecret, bSecret)
		return
	}
	// Maps and lists are walked even when equal: a masked value inside
	// reads the same on both sides, and only its digests tell.
	am, aMap := a.(map[string]any)
	bm, bMap := b.(map[string]any)
	if aMap && bMap {
		c.maps(at, am, bm)
		return
	}
	al, aList := a.([]any)
	bl, bList := b.([]any)
	if aList && bList {
		c.lists(at, al, bl)
		return
	}
	if sameJSON(a, b) {
		return
	}
	as, aString := a.(string)
	bs, bString := b.(string)
	if aString && bString && (strings.Contains(as, "\n") || strings.Contains(bs, "\n")) {
		c.add(Input{Path: at.show, Change: Changed, Diff: udiff.Unified("before", "after", as, bs)})
		return
	}
	c.add(Input{Path: at.show, Change: Changed, Before: a, After: b})
}

// secret compares a masked input by its digests: changed or unchanged,
// never a value. A value that became secret (or stopped being one) is
// changed, and neither side is shown.
func (c *comparer) secret(at place, aSecret, bSecret bool) {
	if aSecret != bSecret {
		c.add(Input{Path: at.show, Change: Changed, Secret: true})
		return
	}
	before, after := c.base.SecretDigests[at.base], c.head.SecretDigests[at.head]
	switch {
	case before == "" || after == "":
		c.uncompared++
	case before == after:
		c.secretsSame = append(c.secretsSame, at.show)
	default:
		c.add(Input{Path: at.show, Change: Changed, Secret: true})
	}
}

// one reports an input only one side has.
func (c *comparer) one(path string, change Change, v any) {
	in := Input{Path: path, Change: change}
	switch {
	case v == plan.Masked:
		in.Secret = true
	case change == Added:
		in.After = v
	default:
		in.Before = v
	}
	c.add(in)
}

func (c *comparer) maps(at place, a, b map[string]any) {
	for _, k := range mapkeys.Union(a, b) {
		av, inA := a[k]
		bv, inB := b[k]
		next := at.key(k)
		switch {
		case !inA && bv != nil:
			c.one(next.show, Added, bv)
		case !inB && av != nil:
			c.one(next.show, Removed, av)
		default:
			c.value(next, av, bv)
		}
	}
}

// lists compares two lists: by name when every element of both is an
// object with a unique "name" (containers, env vars, ports), so that an
// element inserted in the middle is one addition and not a shift of
// every later one; else element by element.
func (c *comparer) lists(at place, a, b []any) {
	an, aNamed := names(a)
	bn, bNamed := names(b)
	if !aNamed || !bNamed {
		for i := 0; i < max(len(a), len(b)); i++ {
			switch {
			case i >= len(a):
				c.one(plan.JoinIndex(at.show, i), Added, b[i])
			case i >= len(b):
				c.one(plan.JoinIndex(at.show, i), Removed, a[i])
			default:
				c.value(at.index(i), a[i], b[i])
			}
		}
		return
	}
	for j, name := range bn {
		show := fmt.Sprintf("%s[%s]", at.show, name)
		i := indexOf(an, name)
		if i < 0 {
			c.one(show, Added, b[j])
			continue
		}
		c.value(place{show, plan.JoinIndex(at.base, i), plan.JoinIndex(at.head, j)}, a[i], b[j])
	}
	for i, name := range an {
		if indexOf(bn, name) < 0 {
			c.one(fmt.Sprintf("%s[%s]", at.show, name), Removed, a[i])
		}
	}
}

// names returns the "name" of every element, if each is an object with a
// unique string name.
func names(l []any) ([]string, bool) {
	out := make([]string, 0, len(l))
	seen := map[string]bool{}
	for _, e := range l {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		n, ok := m["name"].(string)
		if !ok || n == "" || seen[n] || n == plan.Masked {
			return nil, false
		}
		seen[n] = true
		out = append(out, n)
	}
	return out, len(out) > 0
}

func indexOf(l []string, s string) int {
	for i, e := range l {
		if e == s {
			return i
		}
	}
	return -1
}

// sameJSON compares two decoded JSON values as JSON: a plan made in this
// process holds Go values a plan read from plan.json holds as float64.
func sameJSON(a, b any) bool {
	ab, errA := json.Marshal(a)
	bb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ab) == string(bb)
}

// notes explain inputs whose name says little to a reviewer.
var notes = []struct{ typ, path, note string }{
	{"command:remote:Command", "stdin", "the compose project, env files included, sent to the Droplet: its files are diffed below"},
	{"command:remote:Command", "triggers", "a hash of that project: when it changes, the deploy runs again with docker compose up, and the Droplet stays"},
	{"digitalocean:index/droplet:Droplet", "userData", "cloud-init: a change REPLACES the Droplet"},
	{"digitalocean:index/droplet:Droplet", "size", "a resize powers the Droplet off and on"},
	{"kubernetes:apps/v1:Deployment", "spec.template", "a rolling update of the pods"},
}

func note(typ, path string) string {
	for _, n := range notes {
		if typ == n.typ && (path == n.path || strings.HasPrefix(path, n.path+".") || strings.HasPrefix(path, n.path+"[")) {
			return n.note
		}
	}
	return ""
}
