package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/database"
	"infra/components/vps"
	"infra/components/vps/render"
	"infra/stacks/config"
)

// deployVPS declares the single-Droplet topology: the host, its edges and
// the compose project of the application's and the extra services.
func deployVPS(ctx *pulumi.Context, d *Deployment) error {
	cfg := d.Config
	v := cfg.VPS
	site := render.Site{
		Project:   d.Name,
		Domain:    cfg.Domain,
		Services:  append(d.Services(), d.ExtraServices...),
		Tools:     *v.Tools,
		ToolsHost: d.Host(v.ToolsHost),
		TLS:       render.TLS{Staging: cfg.Ingress.Issuer == "letsencrypt-staging", Email: cfg.Ingress.Email},
	}
	if rl := cfg.Ingress.RateLimit; rl != nil {
		site.RateLimit = &render.RateLimit{RPM: rl.RPM, Burst: rl.Burst}
	}
	retention := config.DefaultBackupRetentionDays
	var db vps.DatabaseArgs
	var after []pulumi.Resource
	if d.Database != nil {
		// The services connect once the roles and grants exist.
		after = append(after, d.Database)
		switch cfg.Database.Engine {
		case "selfhosted":
			m := d.Database.Model
			sd := &render.SiteDatabase{Version: cfg.Database.Version}
			for _, x := range m.Databases {
				sd.Databases = append(sd.Databases, x.Name)
			}
			for _, r := range m.Roles {
				sd.Roles = append(sd.Roles, r.Name)
			}
			site.Database = sd
			b := cfg.Database.Backups
			maxAge, err := config.MaxBackupAge(b.Schedule)
			if err != nil {
				return fmt.Errorf("database backups: %w", err)
			}
			retention = b.RetentionDays
			site.Backup = &render.SiteBackup{Region: v.SpacesRegion, Schedule: b.Schedule, RetentionDays: b.RetentionDays, MaxAge: maxAge}
			db.InitSQL = d.Database.InitSQL
			db.Passwords = d.Database.Passwords
		case "managed":
			db.ClusterID = d.Database.ClusterID
			if !cfg.Database.DumpedOn(cfg.Topology) {
				break
			}
			// The Droplet's cron dumps the cluster over the VPC, each
			// database as its owner (a direct connection: pg_dump needs a
			// session of its own).
			var err error
			if retention, err = d.remoteDumps(&site, &db); err != nil {
				return err
			}
		case "external":
			if !cfg.Database.DumpedOn(cfg.Topology) {
				break
			}
			// The Droplet's cron dumps the one database the URL names, as
			// the URL's user, with the URL as given (its sslmode included).
			var err error
			if retention, err = d.remoteDumps(&site, &db); err != nil {
				return err
			}
		}
	}
	backups := vps.BackupArgs{Region: v.SpacesRegion, RetentionDays: retention}
	if v.SpacesKeySecret != "" {
		backups.AccessKey = d.Secrets[v.SpacesKeySecret]
		backups.SecretKey = d.Secrets[v.SpacesSecretSecret]
	}
	host, err := vps.NewVPS(ctx, d.Name+"-"+cfg.Environment, &vps.VPSArgs{
		Region:            cfg.Region,
		Size:              v.Size,
		Image:             v.Image,
		SSHKeys:           v.SSHKeys,
		DropletBackups:    v.Backups,
		DropletBackupPlan: v.BackupPlan,
		VPCID:             d.Network.VPCID,
		AppTag:            d.Network.AppTag,
		Tags:              d.Tags,
		AdminCIDRs:        cfg.Network.AdminCIDRs,
		Environment:       projectEnvironment(cfg),
		Site:              site,
		SSHPrivateKey:     d.Secrets[v.SSHPrivateKeySecret],
		Registries:        d.Registries(),
		Database:          db,
		Backups:           backups,
		HostFiles:         d.HostFiles,
		Protect:           cfg.Production(),
		DeployAfter:       after,
	})
	if err != nil {
		return fmt.Errorf("declare vps: %w", err)
	}
	d.VPS = host
	for path, content := range host.Artifacts {
		d.AddArtifact(path, content)
	}
	d.Outputs["vps"] = pulumi.Map{
		"ipv4":          host.IPv4,
		"reservedIp":    host.ReservedIP,
		"dropletId":     host.DropletID,
		"backupsBucket": host.BucketName,
		"adminUser":     pulumi.String(adminUser),
	}
	// Apart from "vps": a secret makes the whole value secret.
	d.Outputs["adminPassword"] = host.AdminPassword
	// Each service with auth has its own login, as on Kubernetes.
	d.exportAdminCredentials(host.ServicePasswords)
	return nil
}

// remoteDumps sets site up for backup.sh to dump a managed cluster or an
// external database over the network through the backup-pg one-shot, with
// each database's connection string in db.BackupURLs (a secret), and
// returns the retention of the dumps.
func (d *Deployment) remoteDumps(site *render.Site, db *vps.DatabaseArgs) (int, error) {
	cfg := d.Config
	b := cfg.Database.Backups
	maxAge, err := config.MaxBackupAge(b.Schedule)
	if err != nil {
		return 0, fmt.Errorf("database backups: %w", err)
	}
	sd := &render.SiteDatabase{Version: cfg.Database.Version}
	db.BackupURLs = map[string]pulumi.StringOutput{}
	for _, x := range d.Database.Model.Databases {
		sd.Databases = append(sd.Databases, x.Name)
		url := d.Database.ConnectionString(x.Name, x.Owner, database.FormatURL, true)
		if cfg.Database.Engine == string(database.EngineExternal) {
			url = offlineURL(url, x.Name)
		}
		db.BackupURLs[x.Name] = url
	}
	site.Managed = sd
	site.Backup = &render.SiteBackup{Region: cfg.VPS.SpacesRegion, Schedule: b.Schedule, RetentionDays: b.RetentionDays, MaxAge: maxAge}
	site.Backup.RolesSkipped = cfg.Database.RolesSkipped()
	return b.RetentionDays, nil
}

// offlineURL stands a URI in for an offline plan's placeholder of the
// external URL (config.IsOfflinePlaceholder), which is no connection
// string: the secret file's rendering takes the password out of a URI
// (render.BackupURLs), and the config's validation checked the real
// value is one. Other values pass as they are; the result stays secret.
func offlineURL(url pulumi.StringOutput, database string) pulumi.StringOutput {
	out := url.ApplyT(func(v string) string {
		if config.IsOfflinePlaceholder(v) {
			return "postgresql://offline:" + v + "@offline.invalid/" + database
		}
		return v
	}).(pulumi.StringOutput)
	return pulumi.ToSecret(out).(pulumi.StringOutput)
}

// projectEnvironment is the DigitalOcean project environment of a stack:
// its class, capitalised as the API wants it.
func projectEnvironment(cfg *config.Config) string {
	switch cfg.Class {
	case config.ClassProduction:
		return "Production"
	case config.ClassStaging:
		return "Staging"
	}
	return "Development"
}
