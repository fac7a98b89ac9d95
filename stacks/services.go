package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/service"
	"infra/stacks/config"
)

// Services resolves the configured services into specs: defaults applied,
// hosts qualified with the domain, secrets and connection strings attached.
func (d *Deployment) Services() []service.Spec {
	cfg := d.Config
	specs := make([]service.Spec, 0, len(cfg.Services))
	for _, s := range cfg.Services {
		spec := service.Spec{
			Name:      s.Name,
			Image:     s.Image,
			Port:      s.Port,
			Health:    s.Health,
			Command:   s.Command,
			Env:       map[string]string{},
			SecretEnv: map[string]pulumi.StringOutput{},
			Replicas:  s.Replicas,
			Resources: service.Resources{
				CPU: s.Resources.CPU, Memory: s.Resources.Memory,
				RequestCPU: s.Resources.RequestCPU, RequestMemory: s.Resources.RequestMemory,
			},
			DependsOn:              s.DependsOn,
			Peers:                  s.Peers,
			ReadOnlyRootFilesystem: !s.WritableRootFilesystem,
			User:                   s.User,
			ServiceAccountToken:    s.ServiceAccountToken,
			UsesDatabase:           len(s.Connections) > 0,
			Pool:                   s.Pool,
		}
		for k, v := range s.Env {
			spec.Env[k] = v
		}
		for env, secret := range s.SecretEnv {
			spec.SecretEnv[env] = d.Secrets[secret]
		}
		for env, cs := range d.Connections[s.Name] {
			spec.SecretEnv[env] = cs
		}
		if s.Public != nil {
			spec.Public = &service.Route{Host: d.Host(s.Public.Host), Path: s.Public.Path, Auth: s.Public.Auth, Allow: s.Public.Allow}
		}
		if a := s.Autoscale; a != nil {
			spec.Autoscale = &service.Autoscale{Min: a.Min, Max: a.Max, CPU: a.CPU, Memory: a.Memory}
		}
		if m := s.Metrics; m != nil {
			spec.Metrics = &service.Metrics{Path: m.Path, Port: m.Port}
		}
		for _, v := range s.Volumes {
			spec.Volumes = append(spec.Volumes, service.Volume{Name: v.Name, Path: v.Path, Size: v.Size})
		}
		if s.Migrate != nil {
			spec.Migrate = s.Migrate.Command
		}
		for _, e := range s.Egress {
			spec.Egress = append(spec.Egress, service.Egress{
				CIDR: e.CIDR, Internet: e.To == config.EgressInternet, Ports: e.Ports, Protocol: e.Protocol,
			})
		}
		for _, c := range s.CronJobs {
			spec.CronJobs = append(spec.CronJobs, service.CronJob{Name: c.Name, Schedule: c.Schedule, Command: c.Command})
		}
		specs = append(specs, spec)
	}
	return specs
}

// Registries are infra:registries with their passwords, Pulumi secrets.
func (d *Deployment) Registries() []service.Registry {
	var out []service.Registry
	for _, r := range d.Config.Registries {
		out = append(out, service.Registry{Server: r.Server, Username: r.Username, Password: d.Secrets[r.PasswordSecret]})
	}
	return out
}

// Host qualifies a host name under the stack's domain ("@" is the apex).
func (d *Deployment) Host(name string) string {
	if name == "@" || name == "" {
		return d.Config.Domain
	}
	return name + "." + d.Config.Domain
}
