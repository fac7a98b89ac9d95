package cost

import "sort"

// LineChange is one line that differs between two estimates.
type LineChange struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	// Item describes the line as it is after the change (before, if removed).
	Item string `json:"item"`
	// Kind is added, removed or changed.
	Kind   string  `json:"kind"`
	Before float64 `json:"before"`
	After  float64 `json:"after"`
}

// Delta compares a head estimate with its base (the target branch).
type Delta struct {
	Stack    string       `json:"stack"`
	Currency string       `json:"currency"`
	Before   float64      `json:"before"`
	After    float64      `json:"after"`
	Delta    float64      `json:"delta"`
	Changes  []LineChange `json:"changes"`
	// MaxBefore and MaxAfter are the totals with autoscaled pools at maximum.
	MaxBefore float64 `json:"maxBefore"`
	MaxAfter  float64 `json:"maxAfter"`
}

// Diff compares two estimates line by line (by Key). A nil base is a stack
// that does not exist yet on the base branch.
func Diff(base, head *Estimate) Delta {
	if base == nil {
		base = &Estimate{}
	}
	d := Delta{
		Stack: head.Stack, Currency: head.Currency,
		Before: base.Total, After: head.Total, Delta: cents(head.Total - base.Total),
		MaxBefore: base.MaxTotal, MaxAfter: head.MaxTotal,
	}
	before := map[string]Line{}
	for _, l := range base.Lines {
		before[l.Key] = l
	}
	seen := map[string]bool{}
	for _, l := range head.Lines {
		seen[l.Key] = true
		old, ok := before[l.Key]
		switch {
		case !ok:
			if l.Monthly != 0 || l.MaxMonthly != 0 {
				d.Changes = append(d.Changes, LineChange{Key: l.Key, Name: l.Name, Item: l.Item, Kind: "added", After: l.Monthly})
			}
		case old.Monthly != l.Monthly || old.MaxMonthly != l.MaxMonthly || old.Item != l.Item:
			d.Changes = append(d.Changes, LineChange{Key: l.Key, Name: l.Name, Item: l.Item, Kind: "changed", Before: old.Monthly, After: l.Monthly})
		}
	}
	for _, l := range base.Lines {
		if !seen[l.Key] && (l.Monthly != 0 || l.MaxMonthly != 0) {
			d.Changes = append(d.Changes, LineChange{Key: l.Key, Name: l.Name, Item: l.Item, Kind: "removed", Before: l.Monthly})
		}
	}
	sort.SliceStable(d.Changes, func(i, j int) bool { return d.Changes[i].Key < d.Changes[j].Key })
	return d
}
