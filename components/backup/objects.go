package backup

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/kube"
	"infra/components/vps/render"
	"infra/components/workload"
	"infra/internal/connstr"
)

// Keys of the Secret the pods read.
const (
	accessKeyKey = "spaces-access-key"
	secretKeyKey = "spaces-secret-key"
	// bucketKey holds the bucket's name: not a secret, but known only once
	// the bucket exists, and a value Pulumi computes reaches an object only
	// through the Secret (kube.Render masks every such value alike).
	bucketKey = "bucket"
)

// URLKey is the Secret key of a database's connection string, without
// its password: it goes on pg_dump's and psql's command lines.
func URLKey(database string) string { return "url-" + database }

// PasswordKey is the Secret key of the password of a database's
// connection string: it reaches pg_dump and psql as PGPASSWORD.
func PasswordKey(database string) string { return "password-" + database }

// Labels select the job's pods (the network policy) and group them with
// the application's.
func labels(args *KubernetesBackupArgs) map[string]any {
	l := map[string]any{workload.NameLabel: Name, workload.ComponentLabel: Name, workload.ManagedLabel: "pulumi"}
	if args.PartOf != "" {
		l[workload.PartOfLabel] = args.PartOf
	}
	return l
}

func meta(args *KubernetesBackupArgs, name string) map[string]any {
	return map[string]any{"name": name, "namespace": args.Namespace, "labels": labels(args)}
}

// networkPolicy lets the job's pods reach the database and Spaces (https
// on the internet, not the private ranges); DNS is the namespace's
// allow-dns, and everything else stays denied.
func networkPolicy(args *KubernetesBackupArgs) kube.Object {
	var rules []any
	for _, e := range args.DatabaseEgress {
		block := map[string]any{"cidr": e.CIDR}
		if len(e.Except) > 0 {
			except := make([]any, len(e.Except))
			for i, c := range e.Except {
				except[i] = c
			}
			block["except"] = except
		}
		rule := map[string]any{"to": []any{map[string]any{"ipBlock": block}}}
		var ports []any
		for _, p := range e.Ports {
			ports = append(ports, map[string]any{"protocol": "TCP", "port": p})
		}
		if ports != nil {
			rule["ports"] = ports
		}
		rules = append(rules, rule)
	}
	return egressPolicy(args, Name, append(rules, httpsToInternet()))
}

// drillNetworkPolicy lets the restore drill's pods reach Spaces and
// nothing else: the drill's scratch server runs inside its own pod.
func drillNetworkPolicy(args *KubernetesBackupArgs) kube.Object {
	return egressPolicy(args, DrillName, []any{httpsToInternet()})
}

// httpsToInternet is TCP 443 anywhere but the private, shared and
// link-local ranges.
func httpsToInternet() map[string]any {
	except := make([]any, len(workload.InternetExcept))
	for i, c := range workload.InternetExcept {
		except[i] = c
	}
	return map[string]any{
		"to":    []any{map[string]any{"ipBlock": map[string]any{"cidr": workload.InternetCIDR, "except": except}}},
		"ports": []any{map[string]any{"protocol": "TCP", "port": 443}},
	}
}

// egressPolicy is <component>-egress: rules for the pods labelled with
// that component.
func egressPolicy(args *KubernetesBackupArgs, component string, rules []any) kube.Object {
	return kube.Object{
		"apiVersion": "networking.k8s.io/v1",
		"kind":       "NetworkPolicy",
		"metadata":   meta(args, component+"-egress"),
		"spec": map[string]any{
			"podSelector": map[string]any{"matchLabels": map[string]any{workload.ComponentLabel: component}},
			"policyTypes": []any{"Egress"},
			"egress":      rules,
		},
	}
}

// configMap holds the scripts (backup.sh for the CronJob,
// restore-drill.sh for the drill's Job), and nothing secret.
func configMap(args *KubernetesBackupArgs, script, drill string) kube.Object {
	return kube.Object{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   meta(args, ScriptConfigMap),
		"data":       map[string]any{"backup.sh": script, DrillScriptKey: drill},
	}
}

// secret holds each database's owner connection string (split from its
// password) and the Spaces key, all Pulumi secrets, and the bucket's name.
func secret(args *KubernetesBackupArgs, bucket pulumi.StringOutput) kube.Object {
	data := map[string]any{accessKeyKey: args.AccessKey, secretKeyKey: args.SecretKey, bucketKey: pulumi.ToSecret(bucket)}
	for _, d := range args.Databases {
		data[URLKey(d.Name)], data[PasswordKey(d.Name)] = splitURL(d)
	}
	return kube.Object{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   meta(args, Name),
		"type":       "Opaque",
		"stringData": data,
	}
}

// splitURL takes the password out of d's connection string: both halves
// stay Pulumi secrets.
func splitURL(d Database) (uri, password pulumi.StringOutput) {
	split := func(password bool) pulumi.StringOutput {
		out := d.URL.ToStringOutput().ApplyT(func(raw string) (string, error) {
			u, p, err := connstr.SplitPassword(raw)
			if err != nil {
				return "", fmt.Errorf("the connection string of database %q: %w", d.Name, err)
			}
			if password {
				return p, nil
			}
			return u, nil
		}).(pulumi.StringOutput)
		return pulumi.ToSecret(out).(pulumi.StringOutput)
	}
	return split(false), split(true)
}

func fromSecret(key string) map[string]any {
	return map[string]any{"secretKeyRef": map[string]any{"name": Name, "key": key}}
}

func plain(name, value string) map[string]any { return map[string]any{"name": name, "value": value} }

// DumpEnv is the dump container's environment: the script's overrides
// (no container prefix, no textfile metric) and each database's owner
// connection string and its password from the Secret (backup.sh puts the
// string on the clients' command lines, the password only in their
// environment); the roles are read as the first database's owner, unless
// no roles file is dumped (RolesSkipped).
func DumpEnv(args *KubernetesBackupArgs) []any {
	env := []any{
		plain("INFRA_BACKUP_PG", ""),
		plain("INFRA_BACKUP_TEXTFILE", ""),
		plain("INFRA_APP_DIR", DumpDir),
		plain("HOME", "/tmp"),
	}
	names := databaseNames(args)
	for _, db := range names {
		env = append(env,
			map[string]any{"name": "INFRA_BACKUP_URL_" + db, "valueFrom": fromSecret(URLKey(db))},
			map[string]any{"name": "INFRA_BACKUP_PASSWORD_" + db, "valueFrom": fromSecret(PasswordKey(db))})
	}
	if args.RolesSkipped != "" {
		return env
	}
	env = append(env,
		map[string]any{"name": "INFRA_BACKUP_GLOBALS_URL", "valueFrom": fromSecret(URLKey(names[0]))},
		map[string]any{"name": "INFRA_BACKUP_GLOBALS_PASSWORD", "valueFrom": fromSecret(PasswordKey(names[0]))})
	return env
}

// UploadEnv is the upload container's environment: the AWS CLI as is, and
// the bucket and the Spaces key from the Secret.
func UploadEnv() []any {
	return append([]any{plain("INFRA_BACKUP_TEXTFILE", ""), plain("INFRA_APP_DIR", DumpDir)}, awsEnv()...)
}

// awsEnv runs the scripts' AWS CLI as is, with the bucket and the Spaces
// key from the Secret. The CLI settings are the VPS's backup-upload
// service's (components/vps/render).
func awsEnv() []any {
	return []any{
		map[string]any{"name": "INFRA_BACKUP_BUCKET", "valueFrom": fromSecret(bucketKey)},
		plain("INFRA_BACKUP_AWS", "aws"),
		plain("HOME", "/tmp"),
		plain("AWS_DEFAULT_REGION", "us-east-1"), // Spaces ignores it; the CLI needs one
		plain("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required"),
		plain("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required"),
		map[string]any{"name": "AWS_ACCESS_KEY_ID", "valueFrom": fromSecret(accessKeyKey)},
		map[string]any{"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": fromSecret(secretKeyKey)},
	}
}

// Commands the containers run: the one script, in two halves.
var (
	DumpCommand   = []any{"bash", ScriptDir + "/backup.sh", "dump", DumpDir}
	UploadCommand = []any{"bash", ScriptDir + "/backup.sh", "upload", DumpDir}
)

func container(name, image string, command, env []any) map[string]any {
	return map[string]any{
		"name":            name,
		"image":           image,
		"imagePullPolicy": "IfNotPresent",
		"command":         command,
		"env":             env,
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "100m", "memory": "256Mi"},
			"limits":   map[string]any{"cpu": "1", "memory": "1Gi"},
		},
		"securityContext": containerSecurity(UID),
		"volumeMounts": []any{
			map[string]any{"name": "script", "mountPath": ScriptDir, "readOnly": true},
			map[string]any{"name": "dumps", "mountPath": DumpDir},
			map[string]any{"name": "tmp", "mountPath": "/tmp"},
		},
	}
}

// containerSecurity is every backup container's: not root, no privilege
// to gain, no capability, a read-only root filesystem (what they write
// goes to emptyDirs).
func containerSecurity(uid int) map[string]any {
	return map[string]any{
		"allowPrivilegeEscalation": false,
		"readOnlyRootFilesystem":   true,
		"runAsNonRoot":             true,
		"runAsUser":                uid,
		"capabilities":             map[string]any{"drop": []any{"ALL"}},
	}
}

// podSecurity is the pods' own: uid's user and group, seccomp's default.
func podSecurity(uid int) map[string]any {
	return map[string]any{
		"runAsNonRoot":   true,
		"runAsUser":      uid,
		"runAsGroup":     uid,
		"fsGroup":        uid,
		"seccompProfile": map[string]any{"type": "RuntimeDefault"},
	}
}

// StartingDeadlineSeconds: a run the controller could not start within
// ten minutes is skipped (the next one runs, and the alert counts the gap).
const StartingDeadlineSeconds = 600

// CronJob runs the dump, then the upload, on the schedule (UTC), one run
// at a time.
func CronJob(args *KubernetesBackupArgs) kube.Object {
	pod := map[string]any{
		"restartPolicy":                "Never",
		"automountServiceAccountToken": false,
		"enableServiceLinks":           false,
		"securityContext":              podSecurity(UID),
		"initContainers":               []any{container("dump", render.ImagePostgres(args.Version), DumpCommand, DumpEnv(args))},
		"containers":                   []any{container("upload", render.ImageAWSCLI, UploadCommand, UploadEnv())},
		"volumes": []any{
			map[string]any{"name": "script", "configMap": map[string]any{"name": ScriptConfigMap, "defaultMode": 0o555}},
			map[string]any{"name": "dumps", "emptyDir": map[string]any{}},
			map[string]any{"name": "tmp", "emptyDir": map[string]any{"sizeLimit": "256Mi"}},
		},
	}
	place(pod, args.Pool, args.Tolerations)
	return kube.Object{
		"apiVersion": "batch/v1",
		"kind":       "CronJob",
		"metadata":   meta(args, Name),
		"spec": map[string]any{
			"schedule":                   args.Schedule,
			"timeZone":                   "Etc/UTC",
			"concurrencyPolicy":          "Forbid",
			"startingDeadlineSeconds":    StartingDeadlineSeconds,
			"successfulJobsHistoryLimit": 3,
			"failedJobsHistoryLimit":     3,
			"jobTemplate": map[string]any{"spec": map[string]any{
				"backoffLimit": 2,
				// A hung run ends by the time the alert would fire.
				"activeDeadlineSeconds": int(args.MaxAge.Seconds()),
				"template": map[string]any{
					"metadata": map[string]any{"labels": labels(args)},
					"spec":     pod,
				},
			}},
		},
	}
}

// place puts a pod on the pool ("": anywhere), its taints tolerated.
func place(pod map[string]any, pool string, tolerations []map[string]any) {
	if pool != "" {
		pod["nodeSelector"] = map[string]any{workload.PoolLabel: pool}
	}
	if len(tolerations) > 0 {
		var tol []any
		for _, t := range tolerations {
			tol = append(tol, t)
		}
		pod["tolerations"] = tol
	}
}
