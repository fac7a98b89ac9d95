package policy

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"infra/internal/plan"
)

// workloadKinds maps the Kubernetes workload types to their pod spec, and
// whether their containers serve (long-running: health checks apply).
var workloadKinds = map[string]struct {
	podSpec string
	serves  bool
}{
	"kubernetes:apps/v1:Deployment":  {"spec.template.spec", true},
	"kubernetes:apps/v1:StatefulSet": {"spec.template.spec", true},
	"kubernetes:apps/v1:DaemonSet":   {"spec.template.spec", true},
	"kubernetes:batch/v1:Job":        {"spec.template.spec", false},
	"kubernetes:batch/v1:CronJob":    {"spec.jobTemplate.spec.template.spec", false},
}

// checkContainers requires limits on every container and a health check on
// every container that listens on a port. A worker (no port) is supervised
// by its process: the runtime restarts it when it exits, and an HTTP check
// needs a port. It reads the config's services, the Kubernetes workloads and
// the rendered compose files, whichever the plan has.
func checkContainers(p *plan.Plan, fs *findings) {
	if cfg := p.Config; cfg != nil {
		for i, s := range cfg.Services {
			sp := fmt.Sprintf("infra:services[%d]", i)
			if s.Resources == nil || s.Resources.CPU == "" || s.Resources.Memory == "" {
				fs.add(RuleContainerLimits, sp+".resources", s.Name, "service has no CPU and memory limits")
			}
			if s.Port > 0 && s.Health == "" {
				fs.add(RuleContainerHealth, sp+".health", s.Name, "service listens on port %d but declares no health check path", s.Port)
			}
		}
	}
	for _, r := range p.Resources {
		kind, ok := workloadKinds[r.Type]
		if !ok {
			continue
		}
		spec := plan.Resource{Inputs: map[string]any{}}
		if v, ok := r.Input(kind.podSpec); ok {
			if m, isMap := v.(map[string]any); isMap {
				spec.Inputs = m
			}
		}
		for _, list := range []string{"initContainers", "containers"} {
			for _, c := range spec.List(list) {
				cr := plan.Resource{Inputs: map[string]any{"c": c}}
				name, _ := cr.String("c.name")
				_, cpu := cr.Input("c.resources.limits.cpu")
				_, mem := cr.Input("c.resources.limits.memory")
				if !cpu || !mem {
					fs.resource(RuleContainerLimits, r, "container %s has no CPU and memory limits", name)
				}
				if list != "containers" || !kind.serves || len(cr.List("c.ports")) == 0 {
					continue
				}
				if !hasAny(cr, "c.readinessProbe", "c.livenessProbe", "c.startupProbe") {
					fs.resource(RuleContainerHealth, r, "container %s listens on a port but has no readiness or liveness probe", name)
				}
			}
		}
	}
	checkComposeFiles(p, fs)
}

func hasAny(r plan.Resource, paths ...string) bool {
	for _, p := range paths {
		if _, ok := r.Input(p); ok {
			return true
		}
	}
	return false
}

func isComposeFile(p string) bool {
	switch strings.ToLower(path.Base(p)) {
	case "compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml":
		return true
	}
	return false
}

// composeService is the part of a compose service the checks read.
type composeService struct {
	MemLimit    any            `yaml:"mem_limit"`
	CPUs        any            `yaml:"cpus"`
	Healthcheck map[string]any `yaml:"healthcheck"`
	Deploy      struct {
		Resources struct {
			Limits map[string]any `yaml:"limits"`
		} `yaml:"resources"`
	} `yaml:"deploy"`
}

// checkComposeFiles reads rendered compose files: every service needs
// memory and CPU limits; the application's services with a port need a
// health check. The platform's own services (proxy, monitoring) are held to
// limits only: their images rarely ship a probe command.
func checkComposeFiles(p *plan.Plan, fs *findings) {
	serving := map[string]bool{}
	if p.Config != nil {
		for _, s := range p.Config.Services {
			serving[s.Name] = s.Port > 0
		}
	}
	var paths []string
	for path := range p.Artifacts {
		if isComposeFile(path) {
			paths = append(paths, path)
		}
	}
	sort.Strings(paths)
	for _, path := range paths {
		var doc struct {
			Services map[string]composeService `yaml:"services"`
		}
		if err := yaml.Unmarshal([]byte(p.Artifacts[path]), &doc); err != nil {
			fs.add(RuleContainerLimits, path, "compose", "cannot read the compose file: %v", err)
			continue
		}
		names := make([]string, 0, len(doc.Services))
		for n := range doc.Services {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			s := doc.Services[n]
			limits := s.Deploy.Resources.Limits
			mem := s.MemLimit != nil || limits["memory"] != nil
			cpu := s.CPUs != nil || limits["cpus"] != nil
			if !mem || !cpu {
				fs.add(RuleContainerLimits, path+"#"+n, n, "compose service has no memory and CPU limits (deploy.resources.limits)")
			}
			disabled, _ := s.Healthcheck["disable"].(bool)
			if serving[n] && (s.Healthcheck["test"] == nil || disabled) {
				fs.add(RuleContainerHealth, path+"#"+n, n, "compose service listens on a port but has no healthcheck")
			}
		}
	}
}
