package config

import (
	"net/netip"
	"testing"
)

func TestCoversAll(t *testing.T) {
	cases := []struct {
		name     string
		prefixes []string
		v4, want bool
	}{
		{"two halves", []string{"0.0.0.0/1", "128.0.0.0/1"}, true, true},
		{"quarters, unordered, overlapping", []string{"192.0.0.0/2", "0.0.0.0/1", "128.0.0.0/2", "130.0.0.0/8"}, true, true},
		{"a gap at the top", []string{"0.0.0.0/1", "128.0.0.0/2"}, true, false},
		{"a gap at the bottom", []string{"1.0.0.0/8", "2.0.0.0/7", "4.0.0.0/6", "8.0.0.0/5", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1"}, true, false},
		{"a gap in the middle", []string{"0.0.0.0/1", "128.0.0.0/3", "192.0.0.0/2"}, true, false},
		{"one admin", []string{"198.51.100.7/32"}, true, false},
		{"IPv6 halves", []string{"::/1", "8000::/1"}, false, true},
		{"IPv4 halves do not cover IPv6", []string{"0.0.0.0/1", "128.0.0.0/1"}, false, false},
		{"nothing", nil, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ps []netip.Prefix
			for _, s := range c.prefixes {
				ps = append(ps, netip.MustParsePrefix(s).Masked())
			}
			if got := coversAll(ps, c.v4); got != c.want {
				t.Errorf("coversAll(%v, v4=%v) = %v, want %v", c.prefixes, c.v4, got, c.want)
			}
		})
	}
}
