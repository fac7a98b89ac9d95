package tests

import (
	"slices"
	"sort"
	"testing"

	"infra/internal/stacktest"
	"infra/stacks/config"
)

// The VPS topology's own compose services (besides the services and their
// jobs, named by Service.JobNames) are exactly the names the config
// reserves: every committed stack, planned on the VPS, renders no service
// of its own that a user's service could collide with unnoticed, and every
// reserved name is one some stack renders (none is stale).
func TestReservedNamesAreTheRenderedOnes(t *testing.T) {
	files, err := stacktest.Committed(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	reserved := append(config.VPSServices(), config.MonitoringServices()...)
	rendered := map[string]bool{}
	for _, f := range files {
		s := stackOn{File: f, Topology: config.TopologyVPS}
		t.Run(s.Name(), func(t *testing.T) {
			p := s.Plan(t)
			own := map[string]bool{}
			for _, s := range p.Config.Services {
				own[s.Name] = true
				for job := range s.JobNames(config.TopologyVPS) {
					own[job] = true
				}
			}
			for svc := range decodeCompose(t, p.Artifacts["vps/compose.yaml"]).Services {
				if own[svc] {
					continue
				}
				rendered[svc] = true
				if !slices.Contains(reserved, svc) {
					t.Errorf("compose service %q is the topology's own and not reserved in stacks/config/reserved.go: a user's service could take its name", svc)
				}
			}
		})
	}
	var stale []string
	for _, n := range reserved {
		if !rendered[n] {
			stale = append(stale, n)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("reserved but rendered by no committed stack: %v", stale)
	}
}
