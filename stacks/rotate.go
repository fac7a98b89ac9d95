package stacks

import (
	"sort"

	"infra/stacks/config"
)

// PasswordType is the type token of the generator behind every generated
// secret of a stack (pulumi-random's RandomPassword).
const PasswordType = "random:index/randomPassword:RandomPassword"

// GeneratedSecret is a secret the program generates, under the stable name
// `infra rotate` knows it by (database.roles.app, admin.pgadmin,
// grafana.admin), with the generator that makes it. Rotating it replaces
// that generator: a new value, and everything built from it updated in the
// same engine operation.
type GeneratedSecret struct {
	// Name is the user-facing name, derived from the config.
	Name string
	// What says what the secret opens.
	What string
	// Resource is the generator's logical name, and ParentType the type of
	// the component that declares it: together they find its URN in the
	// stack's state.
	Resource   string
	ParentType string
	// Refused says why the secret cannot be rotated by replacing its
	// generator (empty: it can).
	Refused string
}

// Rotatable reports whether rotate may replace the secret's generator.
func (s GeneratedSecret) Rotatable() bool { return s.Refused == "" }

// GeneratedSecrets lists the generated secrets of a validated config in the
// stack of project, sorted by name. It follows the names Deploy gives the
// generators (stacks/rotate_test.go checks it against a run of Deploy).
func GeneratedSecrets(project string, cfg *config.Config) []GeneratedSecret {
	var out []GeneratedSecret
	if db := cfg.Database; db != nil {
		for _, r := range db.Roles {
			// On Kubernetes the pods restart with the new connection
			// strings: the pod template carries a digest of the secret env
			// (components/workload).
			out = append(out, GeneratedSecret{
				Name:       "database.roles." + r.Name,
				What:       "password of database role " + r.Name + " (and the connection strings of the services that use it)",
				Resource:   project + "-" + r.Name + "-password",
				ParentType: "infra:database:Postgres",
			})
		}
		if db.Engine == "selfhosted" && cfg.Topology == config.TopologyVPS {
			// The postgres image reads POSTGRES_PASSWORD only when it
			// creates the data directory: the deploy sets it in the running
			// server before the role script logs in with it
			// (components/vps/render's deploy.sh).
			out = append(out, GeneratedSecret{
				Name:       "database.superuser",
				What:       "password of the self-hosted server's superuser",
				Resource:   project + "-" + cfg.Environment + "-postgres-superuser",
				ParentType: "infra:vps:VPS",
			})
		}
	}
	// Each service whose route has auth has its own login on both
	// topologies; on the VPS the admin tools share the host's.
	host := project + "-" + cfg.Environment
	if cfg.Topology == config.TopologyVPS {
		out = append(out, GeneratedSecret{
			Name:       "admin",
			What:       "password of user admin on the VPS's admin tools (cAdvisor, logs, node-exporter)",
			Resource:   host + "-admin-password",
			ParentType: "infra:vps:VPS",
		})
	}
	for _, s := range cfg.Services {
		if s.Public == nil || !s.Public.Auth {
			continue
		}
		secret := GeneratedSecret{
			Name:       "admin." + s.Name,
			What:       "password of user admin on service " + s.Name + "'s route (basic auth)",
			Resource:   project + "-" + s.Name + "-admin-password",
			ParentType: "infra:workload:Workload",
		}
		if cfg.Topology == config.TopologyVPS {
			secret.Resource, secret.ParentType = host+"-"+s.Name+"-admin-password", "infra:vps:VPS"
		}
		out = append(out, secret)
	}
	if m := cfg.Monitoring; m != nil && m.Enabled != nil && *m.Enabled {
		// Grafana reads its admin password only when it creates its
		// database. On the VPS, where a volume keeps it, each deploy sets
		// the password with Grafana's CLI; on Kubernetes the database is in
		// the pod, which restarts with a new password (components/monitoring).
		parent := "infra:monitoring:VPSStack"
		if cfg.Topology == config.TopologyKubernetes {
			parent = "infra:monitoring:KubeStack"
		}
		out = append(out, GeneratedSecret{
			Name:       "grafana.admin",
			What:       "password of Grafana's admin",
			Resource:   project + "-monitoring-grafana-password",
			ParentType: parent,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
