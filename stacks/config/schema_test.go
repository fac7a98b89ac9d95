package config

import (
	"errors"
	"strings"
	"testing"

	"infra/internal/stacktest"
)

// The schema refuses a waiver without a reason (or with a token one) when
// the stack file is read, before any plan.
func TestWaiverWithoutAReasonIsRejected(t *testing.T) {
	cases := map[string]string{
		"no reason":     "      - { rule: prod-database-ha }\n",
		"short reason":  "      - { rule: prod-database-ha, reason: budget }\n",
		"no rule":       "      - { reason: \"a reason that is long enough\" }\n",
		"unknown field": "      - { rule: prod-database-ha, reason: \"a reason that is long enough\", until: tomorrow }\n",
	}
	for name, waiver := range cases {
		t.Run(name, func(t *testing.T) {
			stack := stacktest.ProdVPS + "  infra:policy:\n    waivers:\n" + waiver
			_, err := parseText(t, stack)
			var cfgErr *ConfigError
			if !errors.As(err, &cfgErr) {
				t.Fatalf("err = %v, want a config error", err)
			}
			if !strings.Contains(err.Error(), "infra:policy.waivers[0]") {
				t.Errorf("error does not point at the waiver: %v", err)
			}
		})
	}
}
