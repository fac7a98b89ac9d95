package render

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"time"

	"infra/components/monitoring"
	"infra/components/service"
)

// fixtureSite exercises every feature of the renderers: a self-hosted
// database with backups, public and private services, a path route, an
// authenticated route, volumes, a host-file mount, a migration, a cron job,
// replicas and values compose would otherwise interpolate.
func fixtureSite() Site {
	secret := map[string]pulumi.StringOutput{"API_KEY": pulumi.String("x").ToStringOutput()}
	res := service.Resources{CPU: "500m", Memory: "512Mi", RequestMemory: "128Mi"}
	return Site{
		Project: "shop",
		Domain:  "shop.example.com",
		Services: []service.Spec{
			{Name: "web", Image: "ghcr.io/shop/web:1.2.3", Port: 3000, Health: "/healthz", Replicas: 1, User: 10001,
				Public: &service.Route{Host: "shop.example.com", Path: "/"}, Resources: res, ReadOnlyRootFilesystem: true,
				Env:       map[string]string{"GREETING": "costs $5 (not ${PRICE})", "NODE_ENV": "production"},
				DependsOn: []string{"api"}},
			{Name: "api", Image: "ghcr.io/shop/api:1.2.3", Port: 8080, Health: "/health?deep=1", Replicas: 1, User: 10001,
				Public: &service.Route{Host: "shop.example.com", Path: "/api"}, Resources: res, ReadOnlyRootFilesystem: true,
				SecretEnv: secret, UsesDatabase: true, Migrate: []string{"./migrate", "up"},
				Volumes: []service.Volume{{Name: "uploads", Path: "/data/uploads", Size: "5Gi"}}},
			{Name: "worker", Image: "ghcr.io/shop/worker:1.2.3", Replicas: 2, User: 10002, Resources: res,
				Command: []string{"worker", "--queue=$default"}, SecretEnv: secret, UsesDatabase: true, DependsOn: []string{"api"},
				CronJobs: []service.CronJob{{Name: "nightly", Schedule: "0 2 * * *", Command: []string{"worker", "cleanup"}}}},
			{Name: "grafana", Image: "grafana/grafana:11.2.0", Port: 3001, User: 472, Resources: res,
				Public:  &service.Route{Host: "ops.shop.example.com", Path: "/grafana/", Auth: true},
				Mounts:  []service.Mount{{Source: "grafana/provisioning", Target: "/etc/grafana/provisioning", ReadOnly: true}},
				AfterUp: monitoring.GrafanaResetAdminPassword},
		},
		Tools:     true,
		ToolsHost: "ops.shop.example.com",
		TLS:       TLS{Staging: true, Email: "ops@shop.example.com"},
		RateLimit: &RateLimit{RPM: 600, Burst: 100},
		Database:  &SiteDatabase{Version: "16", Databases: []string{"shop", "shop_jobs"}, Roles: []string{"shop_app"}},
		Backup:    &SiteBackup{Region: "nyc3", Schedule: "30 3 * * *", RetentionDays: 14, MaxAge: 26 * time.Hour},
		// A quote in a username: deploy.sh quotes what it is given.
		Registries: []RegistryLogin{{Server: "ghcr.io", Username: "shop-bot"}, {Server: "registry.example.com:5000", Username: "o'neil"}},
	}
}

// minimalSite has one private worker: no routes, no database.
func minimalSite() Site {
	return Site{
		Project:  "tiny",
		Domain:   "tiny.example.com",
		Services: []service.Spec{{Name: "worker", Image: "busybox:1.37", Replicas: 1, User: 10001, Command: []string{"sleep", "infinity"}}},
	}
}

// managedSite is the fixture with a managed cluster instead of the
// self-hosted database: backup.sh dumps the cluster through the
// BackupPGService one-shot.
func managedSite() Site {
	s := fixtureSite()
	s.Database = nil
	s.Managed = &SiteDatabase{Version: "15", Databases: []string{"shop", "shop_jobs"}}
	return s
}

// externalSite is managedSite for an external database: one database, no
// roles file.
func externalSite() Site {
	s := managedSite()
	s.Managed.Databases = []string{"postgres"}
	s.Backup.RolesSkipped = "the external database's roles are managed where it lives"
	return s
}
