package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/backup"
	"infra/components/database"
	"infra/components/workload"
	"infra/stacks/config"
)

// declareKubernetesBackup declares the dumps of a managed or external
// database on Kubernetes (when database.backups is set): the bucket and
// the CronJob in the application's namespace, after the namespace and the
// database's roles. It returns nil when the stack makes no dumps.
func (d *Deployment) declareKubernetesBackup(ctx *pulumi.Context, after []pulumi.Resource, opts ...pulumi.ResourceOption) (*backup.KubernetesBackup, error) {
	cfg := d.Config
	if cfg.Database == nil || d.Database == nil || !cfg.Database.DumpedOn(cfg.Topology) {
		return nil, nil
	}
	cl := cfg.Cluster
	b := cfg.Database.Backups
	maxAge, err := config.MaxBackupAge(b.Schedule)
	if err != nil {
		return nil, fmt.Errorf("database backups: %w", err)
	}
	args := &backup.KubernetesBackupArgs{
		Project:       d.Name,
		Namespace:     cl.Namespace,
		PartOf:        d.Name,
		Version:       cfg.Database.Version,
		Schedule:      b.Schedule,
		RetentionDays: b.RetentionDays,
		MaxAge:        maxAge,
		Region:        cl.SpacesRegion,
		AccessKey:     d.Secrets[cl.SpacesKeySecret],
		SecretKey:     d.Secrets[cl.SpacesSecretSecret],
		// The dumps connect directly, not through a pool: pg_dump needs a
		// session of its own (a transaction pool would break --snapshot).
		DatabaseEgress: []backup.Egress{{CIDR: cfg.Network.VPCCIDR, Ports: managedPostgresPorts[:1]}},
		RolesSkipped:   cfg.Database.RolesSkipped(),
		Protect:        cfg.Production(),
		After:          append(after, d.Database),
	}
	external := cfg.Database.Engine == string(database.EngineExternal)
	if external {
		// An external server is on the internet, at the port its URL
		// names: a secret, so the rule opens the port validation allows
		// the URL (config.ExternalDumpPorts).
		args.DatabaseEgress = []backup.Egress{{CIDR: workload.InternetCIDR, Except: workload.InternetExcept, Ports: config.ExternalDumpPorts}}
	}
	args.Pool, args.Tolerations = BackupPlacement(cfg)
	for _, db := range d.Database.Model.Databases {
		url := d.Database.ConnectionString(db.Name, db.Owner, database.FormatURL, true)
		if external {
			url = offlineURL(url, db.Name)
		}
		args.Databases = append(args.Databases, backup.Database{Name: db.Name, URL: url})
	}
	kb, err := backup.NewKubernetesBackup(ctx, d.Name+"-"+cfg.Environment, args, opts...)
	if err != nil {
		return nil, fmt.Errorf("declare database backups: %w", err)
	}
	d.addManifests(kb.Manifests)
	return kb, nil
}

// BackupPlacement is where the backup CronJob's pods run, and the restore
// drill's Job's: the first node pool, its taints tolerated.
func BackupPlacement(cfg *config.Config) (pool string, tolerations []map[string]any) {
	if cfg.Cluster == nil || len(cfg.Cluster.Pools) == 0 {
		return "", nil
	}
	p := cfg.Cluster.Pools[0]
	for _, t := range p.Taints {
		tol := map[string]any{"key": t.Key, "effect": t.Effect, "operator": "Exists"}
		if t.Value != "" {
			tol["operator"], tol["value"] = "Equal", t.Value
		}
		tolerations = append(tolerations, tol)
	}
	return p.Name, tolerations
}
