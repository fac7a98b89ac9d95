package monitoring

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"time"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/service"
)

// VPSStackArgs declares Prometheus, Alertmanager and Grafana on the VPS.
type VPSStackArgs struct {
	Rules     []Rule
	Receivers Receivers
	// Secrets are the receivers' secret values, by file name
	// (SecretSlackWebhook, ...). Only the keys the receivers use.
	Secrets    map[string]pulumi.StringInput
	Prometheus PrometheusArgs
	// Services are the application's services (containers, for containerMemory).
	Services []string
	// Retention ("30d") and Storage (the data volume, "20Gi").
	Retention string
	Storage   string
	// GrafanaHost is the public name of Grafana behind the proxy.
	GrafanaHost string
	// BackupMaxAge alerts when the newest database backup is older (zero:
	// the stack makes no backups).
	BackupMaxAge time.Duration
}

// VPSStack is the monitoring services and their files.
type VPSStack struct {
	pulumi.ResourceState

	// Services are compose services for the topology to render
	// (d.ExtraServices); their Mounts name Files.
	Services []service.Spec
	// Files are the config and secret files, by path relative to the
	// project directory. Secret files are Pulumi secrets.
	Files map[string]pulumi.StringOutput
	// Rendered are the files without secrets, for review (artifacts).
	Rendered map[string]string
	// GrafanaPassword is Grafana's admin password (secret).
	GrafanaPassword pulumi.StringOutput
}

// Where the VPS files live, relative to the compose project directory.
const (
	VPSDir             = "monitoring"
	vpsSecretDir       = "/etc/alertmanager/secrets"
	grafanaProvisioned = "monitoring/grafana/provisioning"
)

// NewVPSStack declares the Grafana password and renders the monitoring
// services and their files.
func NewVPSStack(ctx *pulumi.Context, name string, args *VPSStackArgs, opts ...pulumi.ResourceOption) (*VPSStack, error) {
	c := &VPSStack{Files: map[string]pulumi.StringOutput{}, Rendered: map[string]string{}}
	if err := ctx.RegisterComponentResource("infra:monitoring:VPSStack", name, c, opts...); err != nil {
		return nil, fmt.Errorf("register monitoring %q: %w", name, err)
	}
	target := Target{Platform: VPS, Services: args.Services, BackupMaxAge: args.BackupMaxAge}
	for _, s := range args.Prometheus.Services {
		target.MetricsServices = append(target.MetricsServices, s.Service)
	}
	doc, err := Build(args.Rules, target)
	if err != nil {
		return nil, err
	}
	rules, err := RulesFile(doc)
	if err != nil {
		return nil, err
	}
	prom, err := PrometheusConfig(args.Prometheus)
	if err != nil {
		return nil, err
	}
	am, err := AlertmanagerConfig(args.Receivers, vpsSecretDir)
	if err != nil {
		return nil, err
	}
	c.Rendered["prometheus/prometheus.yml"] = string(prom)
	c.Rendered["prometheus/"+RulesFileName] = string(rules)
	c.Rendered["alertmanager/alertmanager.yml"] = string(am)
	c.Rendered["grafana/provisioning/datasources/prometheus.yml"] = grafanaDatasource
	for rel, content := range c.Rendered {
		c.Files[path.Join(VPSDir, rel)] = pulumi.String(content).ToStringOutput()
	}
	keys := make([]string, 0, len(args.Secrets))
	for k := range args.Secrets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c.Files[path.Join(VPSDir, "alertmanager/secrets", k)] = pulumi.ToSecret(args.Secrets[k]).(pulumi.StringOutput)
	}

	pw, err := random.NewRandomPassword(ctx, name+"-grafana-password", &random.RandomPasswordArgs{
		Length: pulumi.Int(32), Special: pulumi.Bool(false),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("grafana password: %w", err)
	}
	c.GrafanaPassword = pw.Result
	c.Services = vpsServices(args, pw.Result)
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"grafanaPassword": c.GrafanaPassword}); err != nil {
		return nil, fmt.Errorf("register monitoring %q outputs: %w", name, err)
	}
	return c, nil
}

// grafanaDatasource provisions Prometheus as Grafana's default data source.
const grafanaDatasource = `# Rendered by infra. Do not edit.
apiVersion: 1
datasources:
  - name: Prometheus
    type: prometheus
    access: proxy
    url: http://prometheus:9090
    isDefault: true
    editable: false
`

// nobody is the uid the Prometheus and Alertmanager images run as; Grafana's is 472.
const (
	nobody     = 65534
	grafanaUID = 472
)

func vpsServices(args *VPSStackArgs, grafanaPassword pulumi.StringOutput) []service.Spec {
	small := service.Resources{CPU: "500m", Memory: "256Mi", RequestCPU: "50m", RequestMemory: "64Mi"}
	prometheus := service.Spec{
		Name:  "prometheus",
		Image: PrometheusImage,
		Port:  9090,
		// /-/ready answers once the TSDB is loaded.
		Health: "/-/ready",
		Command: []string{
			"--config.file=/etc/prometheus/prometheus.yml",
			"--storage.tsdb.path=/prometheus",
			"--storage.tsdb.retention.time=" + args.Retention,
			"--storage.tsdb.retention.size=" + retentionSize(args.Storage),
		},
		Replicas:               1,
		Resources:              service.Resources{CPU: "1", Memory: "1Gi", RequestCPU: "100m", RequestMemory: "256Mi"},
		DependsOn:              []string{"alertmanager"},
		ReadOnlyRootFilesystem: true,
		User:                   nobody,
		Volumes:                []service.Volume{{Name: "prometheus-data", Path: "/prometheus", Size: args.Storage}},
		Mounts:                 []service.Mount{{Source: "monitoring/prometheus", Target: "/etc/prometheus", ReadOnly: true}},
		Env:                    map[string]string{},
		SecretEnv:              map[string]pulumi.StringOutput{},
	}
	alertmanager := service.Spec{
		Name:     "alertmanager",
		Image:    AlertmanagerImage,
		Port:     9093,
		Health:   "/-/ready",
		Command:  []string{"--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"},
		Replicas: 1, Resources: small,
		ReadOnlyRootFilesystem: true,
		User:                   nobody,
		Volumes:                []service.Volume{{Name: "alertmanager-data", Path: "/alertmanager", Size: "1Gi"}},
		Mounts:                 []service.Mount{{Source: "monitoring/alertmanager", Target: "/etc/alertmanager", ReadOnly: true}},
		Env:                    map[string]string{},
		SecretEnv:              map[string]pulumi.StringOutput{},
	}
	grafana := service.Spec{
		Name:  "grafana",
		Image: GrafanaImage,
		// Not Grafana's default 3000: dashboards of the applications take
		// it (seeds 002 and 004), and on the VPS every port is published
		// on 127.0.0.1.
		Port:   GrafanaPort,
		Health: "/api/health",
		Public: &service.Route{Host: args.GrafanaHost, Path: "/"},
		Env: map[string]string{
			"GF_SERVER_ROOT_URL":             "https://" + args.GrafanaHost,
			"GF_SERVER_HTTP_PORT":            strconv.Itoa(GrafanaPort),
			"GF_SECURITY_ADMIN_USER":         "admin",
			"GF_USERS_ALLOW_SIGN_UP":         "false",
			"GF_AUTH_ANONYMOUS_ENABLED":      "false",
			"GF_ANALYTICS_REPORTING_ENABLED": "false",
		},
		SecretEnv: map[string]pulumi.StringOutput{"GF_SECURITY_ADMIN_PASSWORD": grafanaPassword},
		// Grafana reads GF_SECURITY_ADMIN_PASSWORD only when it creates its
		// database, which the volume keeps: each deploy sets the admin's
		// password from it (a rotated one takes effect).
		AfterUp:  GrafanaResetAdminPassword,
		Replicas: 1, Resources: small,
		DependsOn: []string{"prometheus"},
		// Grafana writes plugins and its database under /var/lib/grafana
		// and temporary files elsewhere.
		ReadOnlyRootFilesystem: false,
		User:                   grafanaUID,
		Volumes:                []service.Volume{{Name: "grafana-data", Path: "/var/lib/grafana", Size: "1Gi"}},
		Mounts:                 []service.Mount{{Source: grafanaProvisioned, Target: "/etc/grafana/provisioning", ReadOnly: true}},
	}
	return []service.Spec{prometheus, alertmanager, grafana}
}

// GrafanaResetAdminPassword sets the admin's password (user id 1) in
// Grafana's database from the container's GF_SECURITY_ADMIN_PASSWORD.
// Grafana's CLI reads it on stdin (--password-from-stdin,
// pkg/cmd/grafana-cli/commands/commands.go and reset_password_command.go:
// one line); printf is the shell's builtin, so the password is on no
// command line. GF_PATHS_HOME and GF_PATHS_CONFIG are the image's own
// (its Dockerfile), where the server finds its database.
var GrafanaResetAdminPassword = []string{"sh", "-c",
	`printf '%s\n' "$GF_SECURITY_ADMIN_PASSWORD" | grafana cli --homepath "$GF_PATHS_HOME" --config "$GF_PATHS_CONFIG" admin reset-admin-password --password-from-stdin >/dev/null`}

// retentionSize keeps the TSDB under 90% of its volume ("20Gi" -> "18GB"),
// so a burst of series cannot fill the disk before time retention applies.
func retentionSize(storage string) string {
	var n int
	var unit string
	if _, err := fmt.Sscanf(storage, "%d%s", &n, &unit); err != nil || n <= 0 {
		return "0" // no size limit; time retention still applies
	}
	mb := n
	if unit == "Gi" {
		mb = n * 1024
	}
	return fmt.Sprintf("%dMB", mb*9/10)
}
