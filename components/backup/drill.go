package backup

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"infra/components/kube"
	"infra/components/vps/render"
	"infra/components/workload"
)

// DrillName labels the restore drill's Jobs (their pods' component, which
// drillNetworkPolicy selects) and starts their names.
const DrillName = "db-restore-drill"

// PostgresUID is the postgres user of the Debian postgres image (its
// Dockerfile: groupadd -r postgres --gid=999; useradd -r -g postgres
// --uid=999). The drill's container runs as it because initdb looks its
// user up in /etc/passwd and refuses an id without an entry.
const PostgresUID = 999

// Mount points of the drill's pod.
const (
	// FetchedDir holds the runs the fetch container copied, in the
	// bucket's layout (postgres/<time>/...).
	FetchedDir = "/backups"
	// drillTmp holds the scratch server (its data and socket), the
	// script's work files and the AWS CLI's home.
	drillTmp = "/tmp"
)

// The drill's containers; the CLI reads the report from DrillContainer's
// log.
const (
	FetchContainer = "fetch"
	DrillContainer = "drill"
)

// Drill Job defaults.
const (
	DefaultDrillDeadline = time.Hour
	// DrillTTLSeconds removes a finished Job the CLI could not delete.
	DrillTTLSeconds = 3600
)

// DrillJobArgs is one run of the restore drill in the cluster.
type DrillJobArgs struct {
	// Name is the Job's (DrillJobName).
	Name      string
	Namespace string
	PartOf    string
	// Version is the PostgreSQL major: the scratch server is
	// postgres:<Version>, as the dumps' pg_dump was.
	Version string
	// Database restores only this database ("" : every one).
	Database string
	// Tries is how many runs, newest first, the drill tries until one
	// restores (0: the script's default).
	Tries int
	// Deadline ends a hung drill (0: DefaultDrillDeadline).
	Deadline time.Duration
	// Pool and Tolerations place the pod as the backup CronJob's is.
	Pool        string
	Tolerations []map[string]any
}

// DrillJobName is the name of a drill Job started at t.
func DrillJobName(t time.Time) string {
	return DrillName + "-" + strconv.FormatInt(t.Unix(), 10)
}

var (
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	databaseName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	pgVersion    = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
)

func (a *DrillJobArgs) check() error {
	var problems []string
	if !strings.HasPrefix(a.Name, DrillName+"-") || len(a.Name) > 63 || !dnsLabel.MatchString(a.Name) {
		problems = append(problems, fmt.Sprintf("job name %q: want %s-<unix time>", a.Name, DrillName))
	}
	if !dnsLabel.MatchString(a.Namespace) {
		problems = append(problems, fmt.Sprintf("namespace %q is not a namespace name", a.Namespace))
	}
	if !pgVersion.MatchString(a.Version) {
		problems = append(problems, fmt.Sprintf("PostgreSQL version %q: want a major such as 16", a.Version))
	}
	if a.Database != "" && !databaseName.MatchString(a.Database) {
		problems = append(problems, fmt.Sprintf("database %q is not a database name", a.Database))
	}
	if a.Tries < 0 || a.Tries > 99 {
		problems = append(problems, fmt.Sprintf("tries %d: want 1 to 99", a.Tries))
	}
	if a.Deadline < 0 {
		problems = append(problems, fmt.Sprintf("deadline %s is negative", a.Deadline))
	}
	if problems != nil {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// DrillJob is the Job that runs the stack's restore-drill.sh (the
// ConfigMap's, as the CronJob's backup.sh) in the application's
// namespace: the fetch container (the AWS CLI, the Spaces key and the
// bucket from the Secret) copies the newest runs into an emptyDir; the
// drill container (postgres:<version>) restores them into a throwaway
// server of its own (INFRA_DRILL_SCRATCH=local) and prints the report.
// Its pods are drillNetworkPolicy's: Spaces only.
func DrillJob(a DrillJobArgs) (kube.Object, error) {
	if err := a.check(); err != nil {
		return nil, fmt.Errorf("restore drill job: %w", err)
	}
	deadline := a.Deadline
	if deadline == 0 {
		deadline = DefaultDrillDeadline
	}
	labels := map[string]any{workload.NameLabel: DrillName, workload.ComponentLabel: DrillName, workload.ManagedLabel: "infra"}
	if a.PartOf != "" {
		labels[workload.PartOfLabel] = a.PartOf
	}
	var tries []any
	if a.Tries > 0 {
		tries = []any{plain("INFRA_DRILL_TRIES", strconv.Itoa(a.Tries))}
	}
	drillCmd := []any{"bash", ScriptDir + "/" + DrillScriptKey}
	if a.Database != "" {
		drillCmd = append(drillCmd, "--database", a.Database)
	}
	fetch := drillContainer(FetchContainer, render.ImageAWSCLI,
		[]any{"bash", ScriptDir + "/" + DrillScriptKey, "--fetch", FetchedDir},
		append(append([]any{plain("TMPDIR", drillTmp)}, tries...), awsEnv()...),
		map[string]any{"cpu": "100m", "memory": "256Mi"}, map[string]any{"cpu": "1", "memory": "1Gi"})
	drill := drillContainer(DrillContainer, render.ImagePostgres(a.Version), drillCmd,
		append([]any{
			plain("INFRA_DRILL_SOURCE", "dir:"+FetchedDir),
			plain("INFRA_DRILL_SCRATCH", "local"),
			plain("INFRA_DRILL_PG", ""),
			plain("INFRA_APP_DIR", drillTmp),
			plain("TMPDIR", drillTmp),
			plain("HOME", drillTmp),
		}, tries...),
		map[string]any{"cpu": "250m", "memory": "512Mi"}, map[string]any{"cpu": "2", "memory": "2Gi"})
	pod := map[string]any{
		"restartPolicy":                "Never",
		"automountServiceAccountToken": false,
		"enableServiceLinks":           false,
		"securityContext":              podSecurity(PostgresUID),
		"initContainers":               []any{fetch},
		"containers":                   []any{drill},
		"volumes": []any{
			map[string]any{"name": "script", "configMap": map[string]any{"name": ScriptConfigMap, "defaultMode": 0o555, "items": []any{
				map[string]any{"key": DrillScriptKey, "path": DrillScriptKey},
			}}},
			map[string]any{"name": "backups", "emptyDir": map[string]any{}},
			map[string]any{"name": "tmp", "emptyDir": map[string]any{}},
		},
	}
	place(pod, a.Pool, a.Tolerations)
	return kube.Object{
		"apiVersion": "batch/v1",
		"kind":       "Job",
		"metadata":   map[string]any{"name": a.Name, "namespace": a.Namespace, "labels": labels},
		"spec": map[string]any{
			"backoffLimit":            0,
			"activeDeadlineSeconds":   int(deadline.Seconds()),
			"ttlSecondsAfterFinished": DrillTTLSeconds,
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec":     pod,
			},
		},
	}, nil
}

func drillContainer(name, image string, command, env []any, requests, limits map[string]any) map[string]any {
	return map[string]any{
		"name":            name,
		"image":           image,
		"imagePullPolicy": "IfNotPresent",
		"command":         command,
		"env":             env,
		"resources":       map[string]any{"requests": requests, "limits": limits},
		"securityContext": containerSecurity(PostgresUID),
		"volumeMounts": []any{
			map[string]any{"name": "script", "mountPath": ScriptDir, "readOnly": true},
			map[string]any{"name": "backups", "mountPath": FetchedDir, "readOnly": name == DrillContainer},
			map[string]any{"name": "tmp", "mountPath": drillTmp},
		},
	}
}
