package render

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"infra/components/service"
)

// EnvFilePath is where a service's secret environment lives in the project.
func EnvFilePath(svc string) string { return "secrets/" + svc + ".env" }

// addSpec adds a service from its topology-neutral spec, and its
// migration and cron one-shots.
func (p *Project) addSpec(site Site, s service.Spec, tool bool, healthy map[string]bool, owners map[string]int, ports map[int]string) error {
	c, err := specContainer(site, s, healthy)
	if err != nil {
		return err
	}
	// The admin tools are only reachable through the proxy.
	if s.Port > 0 && s.Replicas <= 1 && !tool {
		if other, dup := ports[s.Port]; dup {
			return fmt.Errorf("services %q and %q both publish port %d on 127.0.0.1", other, s.Name, s.Port)
		}
		ports[s.Port] = s.Name
		// Reachable from the host (ssh tunnels, curl), never from outside:
		// only the proxy publishes on public addresses.
		c.Ports = []string{fmt.Sprintf("127.0.0.1:%d:%d", s.Port, s.Port)}
	}
	if s.Replicas > 1 {
		c.Deploy.Replicas = s.Replicas
	}
	if s.Port > 0 && s.Health != "" {
		c.Healthcheck = httpHealthcheck(s.Port, s.Health)
	}
	for _, v := range s.Volumes {
		vol := s.Name + "-" + v.Name
		p.File.Volumes[vol] = ComposeVolume{Labels: map[string]string{"infra.service": s.Name}}
		c.Volumes = append(c.Volumes, vol+":"+v.Path)
		if s.User > 0 {
			owners[vol] = s.User
		}
	}
	var mounted []string
	for _, m := range s.Mounts {
		src := m.Source
		if !path.IsAbs(src) {
			clean := path.Clean(src)
			if clean == ".." || strings.HasPrefix(clean, "../") {
				return fmt.Errorf("service %q: mount source %q leaves the project directory", s.Name, m.Source)
			}
			mounted = append(mounted, clean)
			src = "./" + clean
		}
		v := src + ":" + m.Target
		if m.ReadOnly {
			v += ":ro"
		}
		c.Volumes = append(c.Volumes, v)
	}
	if tool {
		toolOverrides[s.Name](c)
	}
	if len(mounted) > 0 {
		p.mountHash(s.Name, c, mounted)
	}
	if len(s.SecretEnv) > 0 {
		p.EnvFiles[s.Name] = EnvFilePath(s.Name)
	}
	if err := p.add(s.Name, c); err != nil {
		return err
	}
	oneShot := func(name string, command []string) error {
		job, err := specContainer(site, s, healthy)
		if err != nil {
			return err
		}
		job.Command = escAll(command)
		job.Profiles = []string{"jobs"}
		job.Restart = "no"
		job.Volumes = c.Volumes
		job.Labels = c.Labels
		return p.add(name, job)
	}
	if len(s.AfterUp) > 0 {
		p.AfterUp = append(p.AfterUp, AfterUp{Service: s.Name, Command: s.AfterUp})
	}
	if len(s.Migrate) > 0 {
		name := s.Name + "-migrate"
		if err := oneShot(name, s.Migrate); err != nil {
			return err
		}
		p.Jobs = append(p.Jobs, name)
	}
	for _, cj := range s.CronJobs {
		name := s.Name + "-cron-" + cj.Name
		if len(strings.Fields(cj.Schedule)) != 5 {
			return fmt.Errorf("service %q: cron job %q: schedule %q needs 5 fields", s.Name, cj.Name, cj.Schedule)
		}
		if err := oneShot(name, cj.Command); err != nil {
			return err
		}
		p.Cron = append(p.Cron, CronEntry{Schedule: cj.Schedule, Service: name})
	}
	return nil
}

// specContainer is the container of a spec, without ports or health.
func specContainer(site Site, s service.Spec, healthy map[string]bool) (*ComposeService, error) {
	c := hardened(&ComposeService{
		Image:    s.Image,
		Command:  escAll(s.Command),
		ReadOnly: s.ReadOnlyRootFilesystem,
	})
	if s.User > 0 {
		c.User = fmt.Sprintf("%d:%d", s.User, s.User)
	}
	if c.ReadOnly {
		c.Tmpfs = []string{"/tmp"}
	}
	if len(s.Env) > 0 {
		c.Environment = map[string]string{}
		for k, v := range s.Env {
			c.Environment[k] = esc(v)
		}
	}
	if len(s.SecretEnv) > 0 {
		c.EnvFile = []string{"./" + EnvFilePath(s.Name)}
	}
	limits := &ResourceSet{}
	if s.Resources.CPU != "" {
		cpus, err := composeCPUs(s.Resources.CPU)
		if err != nil {
			return nil, fmt.Errorf("service %q: %w", s.Name, err)
		}
		limits.CPUs = cpus
	}
	if s.Resources.Memory != "" {
		mem, err := composeMemory(s.Resources.Memory)
		if err != nil {
			return nil, fmt.Errorf("service %q: %w", s.Name, err)
		}
		limits.Memory = mem
	}
	c.Deploy = &Deploy{Resources: Resources{Limits: limits}}
	if s.Resources.RequestMemory != "" {
		mem, err := composeMemory(s.Resources.RequestMemory)
		if err != nil {
			return nil, fmt.Errorf("service %q: %w", s.Name, err)
		}
		c.Deploy.Resources.Reservations = &ResourceSet{Memory: mem}
	}
	deps := map[string]DependsOn{}
	for _, d := range s.DependsOn {
		if _, ok := healthy[d]; !ok {
			return nil, fmt.Errorf("service %q depends on unknown service %q", s.Name, d)
		}
		deps[d] = dependency(healthy[d])
	}
	if s.UsesDatabase && site.Database != nil {
		deps[PostgresService] = dependency(true)
	}
	if len(deps) > 0 {
		c.DependsOn = deps
	}
	return c, nil
}

func dependency(healthy bool) DependsOn {
	if healthy {
		return DependsOn{Condition: "service_healthy"}
	}
	return DependsOn{Condition: "service_started"}
}

// addProxy adds nginx and certbot. nginx's master runs as root (it reads
// certbot's root-only keys and binds 80 and 443) with only the
// capabilities it needs; its workers run as the nginx user.
func (p *Project) addProxy(site Site, routes []Route) error {
	proxy := hardened(&ComposeService{
		Image:    ImageNginx,
		Command:  []string{"/bin/sh", "/etc/nginx/infra/run.sh"},
		Ports:    []string{"80:80", "443:443"},
		Volumes:  []string{"./proxy:/etc/nginx/infra:ro", "acme-webroot:/var/www/acme:ro"},
		Tmpfs:    []string{"/var/cache/nginx", "/var/run", "/tmp"},
		ReadOnly: true,
		Deploy:   &Deploy{Resources: Resources{Limits: &ResourceSet{CPUs: "1", Memory: "256M"}}},
	})
	proxy.CapAdd = []string{"CHOWN", "NET_BIND_SERVICE", "SETGID", "SETUID"}
	proxy.Healthcheck = &Healthcheck{Test: []string{"CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/.proxy-health"}, Interval: "10s", Timeout: "5s", Retries: 3, StartPeriod: "10s"}
	p.File.Volumes["acme-webroot"] = ComposeVolume{}
	// nginx.conf and run.sh; htpasswd is written on the host and read per
	// request, so it does not need a restart.
	p.mountHash(ProxyService, proxy, []string{"proxy/nginx.conf", "proxy/run.sh"})
	if len(routes) > 0 {
		proxy.Volumes = append(proxy.Volumes, "letsencrypt:/etc/letsencrypt:ro")
		p.File.Volumes["letsencrypt"] = ComposeVolume{}
		certbot := hardened(&ComposeService{
			Image:      ImageCertbot,
			Entrypoint: []string{"/bin/sh", "/infra/renew.sh"},
			Volumes:    []string{"./certbot:/infra:ro", "letsencrypt:/etc/letsencrypt", "acme-webroot:/var/www/acme"},
			Tmpfs:      []string{"/tmp", "/var/lib/letsencrypt", "/var/log/letsencrypt"},
			ReadOnly:   true,
			Deploy:     &Deploy{Resources: Resources{Limits: &ResourceSet{CPUs: "0.5", Memory: "256M"}}},
		})
		// Root without capabilities owns the certificates; binding port 80
		// for the first, standalone challenge is the one privilege it needs.
		certbot.CapAdd = []string{"NET_BIND_SERVICE"}
		p.mountHash(CertbotService, certbot, []string{"certbot/renew.sh"})
		if err := p.add(CertbotService, certbot); err != nil {
			return err
		}
	}
	return p.add(ProxyService, proxy)
}

// addPostgres adds the self-hosted server and its init one-shot, which
// runs the idempotent role/database script on every deploy with the role
// passwords in its environment (PGPASSWORD_<ROLE>).
func (p *Project) addPostgres(site Site) {
	db := site.Database
	uid := fmt.Sprintf("%d:%d", PostgresUID, PostgresUID)
	p.File.Volumes["postgres-data"] = ComposeVolume{Labels: map[string]string{"infra.service": PostgresService}}
	p.File.Services[PostgresService] = hardened(&ComposeService{
		Image:           ImagePostgres(db.Version),
		User:            uid,
		EnvFile:         []string{"./" + EnvFilePath(PostgresService)},
		Environment:     map[string]string{"POSTGRES_USER": "postgres", "POSTGRES_DB": "postgres", "PGDATA": "/var/lib/postgresql/data/pgdata"},
		Volumes:         []string{"postgres-data:/var/lib/postgresql/data"},
		Tmpfs:           []string{"/var/run/postgresql", "/tmp"},
		ReadOnly:        true,
		ShmSize:         "256mb",
		StopGracePeriod: "60s",
		Healthcheck:     &Healthcheck{Test: []string{"CMD", "pg_isready", "-U", "postgres", "-d", "postgres"}, Interval: "10s", Timeout: "5s", Retries: 5, StartPeriod: "60s"},
		Deploy:          &Deploy{Resources: Resources{Limits: &ResourceSet{CPUs: "1", Memory: "1024M"}}},
	})
	p.EnvFiles[PostgresService] = EnvFilePath(PostgresService)
	initSvc := hardened(&ComposeService{
		Image:       ImagePostgres(db.Version),
		Profiles:    []string{"init"},
		User:        uid,
		Restart:     "no",
		EnvFile:     []string{"./" + EnvFilePath(PostgresInitService)},
		Environment: map[string]string{"PGHOST": PostgresService, "PGUSER": "postgres", "PGDATABASE": "postgres"},
		Command:     []string{"psql", "--no-psqlrc", "--set=ON_ERROR_STOP=1", "--file=/init/roles.sql"},
		Volumes:     []string{"./postgres:/init:ro"},
		ReadOnly:    true,
		DependsOn:   map[string]DependsOn{PostgresService: dependency(true)},
		Deploy:      limited(postgresInitLimits),
	})
	p.File.Services[PostgresInitService] = initSvc
	p.EnvFiles[PostgresInitService] = EnvFilePath(PostgresInitService)
}

// addVolumeInit adds the one-shot that hands each new named volume to its
// service's user (Docker creates them root-owned).
func (p *Project) addVolumeInit(owners map[string]int) {
	vols := make([]string, 0, len(owners))
	for v := range owners {
		vols = append(vols, v)
	}
	sort.Strings(vols)
	var cmds []string
	c := hardened(&ComposeService{
		Image:       ImageBusybox,
		Profiles:    []string{"init"},
		User:        "0:0",
		Restart:     "no",
		NetworkMode: "none",
		ReadOnly:    true,
		Deploy:      limited(volumeInitLimits),
	})
	c.CapAdd = []string{"CHOWN"}
	for _, v := range vols {
		uid := strconv.Itoa(owners[v])
		c.Volumes = append(c.Volumes, v+":/volumes/"+v)
		cmds = append(cmds, "chown "+uid+":"+uid+" /volumes/"+v)
	}
	c.Command = []string{"sh", "-c", strings.Join(cmds, " && ")}
	p.File.Services[VolumeInitService] = c
	p.VolumeInit = true
}

// addBackupUpload adds the one-shot that streams a dump from stdin to
// Spaces; backup.sh runs it.
func (p *Project) addBackupUpload(b *SiteBackup) {
	p.File.Services[BackupService] = hardened(&ComposeService{
		Image:    ImageAWSCLI,
		Profiles: []string{"backup"},
		User:     "10001:10001",
		Restart:  "no",
		EnvFile:  []string{"./" + EnvFilePath(BackupService)},
		Environment: map[string]string{
			"AWS_ENDPOINT_URL":   SpacesEndpoint(b.Region),
			"AWS_DEFAULT_REGION": "us-east-1", // Spaces ignores it; the CLI needs one
			"HOME":               "/tmp",
			// Spaces does not take the CLI's newer default checksums.
			"AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
			"AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
		},
		Tmpfs:    []string{"/tmp"},
		ReadOnly: true,
		Deploy:   limited(backupUploadLimits),
	})
	p.EnvFiles[BackupService] = EnvFilePath(BackupService)
}

// addBackupPG adds the one-shot that runs pg_dump, pg_dumpall and psql
// of the managed cluster's major version for backup.sh: the connection
// strings come from backup.sh's environment (BackupURLsPath), so the
// container holds no credentials of its own.
func (p *Project) addBackupPG(db *SiteDatabase) {
	p.File.Services[BackupPGService] = hardened(&ComposeService{
		Image:       ImagePostgres(db.Version),
		Profiles:    []string{"backup"},
		User:        "10001:10001",
		Restart:     "no",
		Environment: map[string]string{"HOME": "/tmp"},
		Tmpfs:       []string{"/tmp"},
		ReadOnly:    true,
		Deploy:      limited(backupPGLimits),
	})
}

// The limits of the one-shot helpers the VPS adds itself: like every
// container they have limits, sized for what each one runs.
var (
	// busybox chown on a few volume roots.
	volumeInitLimits = ResourceSet{CPUs: "0.1", Memory: "64M"}
	// psql running the idempotent roles script.
	postgresInitLimits = ResourceSet{CPUs: "0.25", Memory: "128M"}
	// The AWS CLI streaming a dump to Spaces: a stream of unknown size goes
	// up in 8 MiB parts, up to 10 of them in memory, on top of the CLI's
	// own ~100 MiB.
	backupUploadLimits = ResourceSet{CPUs: "0.5", Memory: "384M"}
	// pg_dump streams rows to stdout; it holds little beyond one row.
	backupPGLimits = ResourceSet{CPUs: "0.5", Memory: "256M"}
)

func limited(set ResourceSet) *Deploy { return &Deploy{Resources: Resources{Limits: &set}} }
