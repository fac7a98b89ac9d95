package vps

import (
	"fmt"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi-digitalocean/sdk/v4/go/digitalocean"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/database"
	"infra/components/vps/render"
)

// CommandPlugin is the Pulumi provider plugin the deploy command needs
// (pulumi-resource-command); a test provider can stand in for it.
const CommandPlugin = "command"

// declareDeploy renders the compose project and declares the command that
// sends it over SSH and runs deploy.sh. The command runs again whenever a
// file of the project changes, never otherwise: the project is its stdin,
// and pulumi-command v1.2.1 runs `create` again on any change of input
// when no `update` command is set (provider/pkg/provider/common/inputs.go).
// It has no triggers on purpose: triggers are replaceOnChanges there, and
// a new image (or a rollback to the old one) is an update of the one
// command, not its replacement.
func (c *VPS) declareDeploy(ctx *pulumi.Context, name string, args *VPSArgs, h *host, bucket *digitalocean.SpacesBucket) error {
	site := args.Site
	if len(site.Registries) > 0 {
		return fmt.Errorf("vps %q: give the registries as VPSArgs.Registries (with their passwords), not in the site", name)
	}
	passwords := make(pulumi.StringArray, 0, len(args.Registries))
	for _, r := range args.Registries {
		site.Registries = append(site.Registries, render.RegistryLogin{Server: r.Server, Username: r.Username})
		passwords = append(passwords, r.Password)
	}
	project, err := render.BuildProject(site)
	if err != nil {
		return fmt.Errorf("vps %q: %w", name, err)
	}
	routes, err := site.Routes()
	if err != nil {
		return err
	}
	plain, err := render.Files(site, project)
	if err != nil {
		return err
	}
	if site.Database != nil {
		plain[render.RolesSQLPath] = args.Database.InitSQL
	}
	for p, s := range plain {
		c.Files[p] = pulumi.String(s).ToStringOutput()
	}
	if site.Backup != nil {
		c.Files["backup.sh"] = bucket.Name.ApplyT(func(n string) (string, error) {
			return render.BackupScript(site, n)
		}).(pulumi.StringOutput)
		c.Files["restore-drill.sh"] = bucket.Name.ApplyT(func(n string) (string, error) {
			return render.RestoreDrillScript(site, n)
		}).(pulumi.StringOutput)
	}
	if err := c.secretFiles(ctx, name, args, project, routes); err != nil {
		return err
	}
	for p, f := range args.HostFiles {
		if _, taken := c.Files[p]; taken {
			return fmt.Errorf("host file %q collides with a file of the compose project", p)
		}
		c.Files[p] = f
	}

	for art, file := range map[string]string{
		"compose.yaml": "compose.yaml", "nginx.conf": "proxy/nginx.conf", "deploy.sh": "deploy.sh",
		"crontab": "crontab", "run-nginx.sh": "proxy/run.sh", "renew.sh": "certbot/renew.sh", "backup.sh": "backup.sh",
		"restore-drill.sh": "restore-drill.sh",
	} {
		if out, ok := c.Files[file]; ok {
			c.Artifacts["vps/"+art] = out
		}
	}
	c.Artifacts["vps/cloud-init.yaml"] = pulumi.String(c.UserData).ToStringOutput()
	c.Artifacts["vps/infra-swap.sh"] = pulumi.String(render.SwapScript).ToStringOutput()
	c.Artifacts["vps/receive.sh"] = pulumi.String(render.ReceiveScript).ToStringOutput()

	bundle := bundleOutput(c.Files)
	// The registry passwords ride ahead of the bundle: a change of
	// password alone reruns the deploy (stdin changed), and no file the
	// host keeps holds one.
	stdin := pulumi.All(passwords.ToStringArrayOutput(), bundle.Index(pulumi.Int(0))).ApplyT(func(v []any) string {
		return render.DeployInput(v[0].([]string), v[1].(string))
	}).(pulumi.StringOutput)
	encoded := pulumi.ToSecret(stdin).(pulumi.StringOutput)
	deps := append([]pulumi.Resource{h.droplet, h.assignment, h.firewall}, args.DeployAfter...)
	for _, r := range h.records {
		deps = append(deps, r)
	}
	_, err = remote.NewCommand(ctx, name+"-deploy", &remote.CommandArgs{
		Connection: remote.ConnectionArgs{
			Host:       h.ip.IpAddress,
			User:       pulumi.String(render.DeployUser),
			PrivateKey: args.SSHPrivateKey,
			// A new Droplet takes a minute or two to accept SSH.
			DialErrorLimit: pulumi.Int(60),
			PerDialTimeout: pulumi.Int(15),
		},
		Create:                 pulumi.String(render.ReceiveCommand()),
		Stdin:                  encoded,
		AddPreviousOutputInEnv: pulumi.Bool(false),
	}, pulumi.Parent(c), pulumi.DependsOn(deps), pulumi.Timeouts(&pulumi.CustomTimeouts{Create: "40m", Update: "40m"}))
	if err != nil {
		return fmt.Errorf("deploy command: %w", err)
	}
	return nil
}

// secretFiles adds the env files and passwords, all secret outputs.
func (c *VPS) secretFiles(ctx *pulumi.Context, name string, args *VPSArgs, project *render.Project, routes []render.Route) error {
	specs := map[string]map[string]pulumi.StringOutput{}
	for _, s := range args.Site.Services {
		specs[s.Name] = s.SecretEnv
	}
	var superuser pulumi.StringOutput
	if args.Site.Database != nil {
		pw, err := random.NewRandomPassword(ctx, name+"-postgres-superuser", &random.RandomPasswordArgs{
			Length: pulumi.Int(32), Special: pulumi.Bool(false),
		}, pulumi.Parent(c))
		if err != nil {
			return fmt.Errorf("postgres superuser password: %w", err)
		}
		superuser = pulumi.ToSecret(pw.Result).(pulumi.StringOutput)
	}
	for svc, path := range project.EnvFiles {
		var vars map[string]pulumi.StringOutput
		switch svc {
		case render.PostgresService:
			vars = map[string]pulumi.StringOutput{"POSTGRES_PASSWORD": superuser}
		case render.PostgresInitService:
			vars = map[string]pulumi.StringOutput{"PGPASSWORD": superuser}
			for _, role := range args.Site.Database.Roles {
				pw, ok := args.Database.Passwords[role]
				if !ok {
					return fmt.Errorf("no password for database role %q", role)
				}
				vars[database.PasswordEnv(role)] = pw
			}
		case render.BackupService:
			if args.Backups.AccessKey == nil {
				return fmt.Errorf("database backups need a Spaces access key")
			}
			vars = map[string]pulumi.StringOutput{
				"AWS_ACCESS_KEY_ID":     args.Backups.AccessKey.ToStringOutput(),
				"AWS_SECRET_ACCESS_KEY": args.Backups.SecretKey.ToStringOutput(),
			}
		default:
			vars = specs[svc]
		}
		c.Files[path] = envFileOutput(vars)
	}
	if m := args.Site.Managed; m != nil && args.Site.Backup != nil {
		// An external database's roles are not dumped (RolesSkipped): no
		// connection string for them either.
		dbs, globals := m.Databases, args.Site.Backup.RolesSkipped == ""
		out := stringMap(args.Database.BackupURLs).ApplyT(func(urls map[string]string) (string, error) {
			return render.BackupURLs(dbs, urls, globals)
		}).(pulumi.StringOutput)
		c.Files[render.BackupURLsPath] = pulumi.ToSecret(out).(pulumi.StringOutput)
	}
	return c.realmPasswords(ctx, name, routes)
}

// realmPasswords gives each basic-auth realm its password file: the
// host's admin password for the tools, a generated one for each service
// with auth (ServicePasswords), so one service's login opens no other.
func (c *VPS) realmPasswords(ctx *pulumi.Context, name string, routes []render.Route) error {
	c.ServicePasswords = map[string]pulumi.StringOutput{}
	for _, r := range routes {
		path := render.AdminPasswordPath(r.Realm)
		if _, done := c.Files[path]; done || !r.Auth {
			continue
		}
		if r.Realm == render.ToolsRealm {
			c.Files[path] = c.AdminPassword
			continue
		}
		svc := r.Service
		pw, err := random.NewRandomPassword(ctx, name+"-"+svc+"-admin-password", &random.RandomPasswordArgs{
			Length: pulumi.Int(24), Special: pulumi.Bool(false),
		}, pulumi.Parent(c))
		if err != nil {
			return fmt.Errorf("admin password of service %s: %w", svc, err)
		}
		secret := pulumi.ToSecret(pw.Result).(pulumi.StringOutput)
		c.ServicePasswords[svc] = secret
		c.Files[path] = secret
	}
	return nil
}

// bundleOutput packs the files; element 0 is the encoded bundle, 1 its hash.
func bundleOutput(files map[string]pulumi.StringOutput) pulumi.StringArrayOutput {
	return stringMap(files).ApplyT(func(contents map[string]string) ([]string, error) {
		fs := make([]render.File, 0, len(contents))
		for p, content := range contents {
			fs = append(fs, render.File{Path: p, Mode: render.FileMode(p), Content: content})
		}
		encoded, sum, err := render.Bundle(fs)
		if err != nil {
			return nil, err
		}
		return []string{encoded, sum}, nil
	}).(pulumi.StringArrayOutput)
}

// envFileOutput renders secret variables as an env file; the result stays
// a secret.
func envFileOutput(vars map[string]pulumi.StringOutput) pulumi.StringOutput {
	out := stringMap(vars).ApplyT(render.EncodeEnvFile).(pulumi.StringOutput)
	return pulumi.ToSecret(out).(pulumi.StringOutput)
}

// stringMap is one output of the whole map, known once every value is
// (and secret if any is).
func stringMap(m map[string]pulumi.StringOutput) pulumi.StringMapOutput {
	in := make(pulumi.StringMap, len(m))
	for k, v := range m {
		in[k] = v
	}
	return in.ToStringMapOutput()
}
