package backup

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/kube"
	"infra/components/vps/render"
	"infra/components/workload"
	"infra/internal/k8sschematest"
	"infra/internal/vpstest"
)

func drillArgs() DrillJobArgs {
	return DrillJobArgs{
		Name: DrillJobName(time.Unix(1796529600, 0)), Namespace: "shop", PartOf: "shop", Version: "16",
		Pool: "apps", Tolerations: []map[string]any{{"key": "dedicated", "operator": "Equal", "value": "apps", "effect": "NoSchedule"}},
	}
}

// plainJSON is o as the API server receives it (JSON numbers, no Go types).
func plainJSON(t *testing.T, o kube.Object) map[string]any {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func path(m map[string]any, dotted string) any {
	var cur any = m
	for _, k := range strings.Split(dotted, ".") {
		cur = cur.(map[string]any)[k]
	}
	return cur
}

// validator loads the Kubernetes OpenAPI schema of the cluster's minor
// version (internal/k8sschematest); CI fails without it, a local run
// without the module skips loudly.
func validator(t *testing.T) *k8sschematest.Validator {
	t.Helper()
	dir, err := k8sschematest.SpecDir(context.Background(), "")
	if err == nil {
		var v *k8sschematest.Validator
		if v, err = k8sschematest.Load(dir); err == nil {
			return v
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("load the kubernetes openapi schema: %v", err)
	}
	t.Skipf("SKIPPED: cannot load the kubernetes openapi schema (CI=true makes this fatal): %v", err)
	return nil
}

// The Job and the drill's NetworkPolicy pass the Kubernetes schema; the
// same Job with a field of the wrong type does not (the check can fail).
func TestDrillJobMatchesTheKubernetesSchema(t *testing.T) {
	v := validator(t)
	one := drillArgs()
	one.Database, one.Tries, one.Deadline = "shop", 5, 30*time.Minute
	for name, a := range map[string]DrillJobArgs{"every database": drillArgs(), "one database, five tries": one} {
		job, err := DrillJob(a)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Validate(plainJSON(t, job)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := v.Validate(plainJSON(t, drillNetworkPolicy(validArgs()))); err != nil {
		t.Errorf("drill network policy: %v", err)
	}
	job, _ := DrillJob(drillArgs())
	broken := plainJSON(t, job)
	broken["spec"].(map[string]any)["backoffLimit"] = "none"
	path(broken, "spec.template.spec").(map[string]any)["restartPolicy"] = "Sometimes"
	if err := v.Validate(broken); err == nil || !strings.Contains(err.Error(), "backoffLimit") {
		t.Errorf("a Job with backoffLimit \"none\" passed the schema: %v", err)
	}
}

// What the Job's pod runs and with what: the ConfigMap's drill script in
// both containers; the Spaces key and the bucket only by reference to keys
// the Secret holds; the drill container in local scratch mode reading the
// fetched directory, with no PG* variable; the securityContext of the
// backup CronJob but the postgres image's uid; labels the drill's egress
// policy selects; one try, no restart, a deadline and a TTL.
func TestDrillJobShape(t *testing.T) {
	args := validArgs()
	job, err := DrillJob(drillArgs())
	if err != nil {
		t.Fatal(err)
	}
	j := plainJSON(t, job)
	if j["kind"] != "Job" || path(j, "metadata.name") != "db-restore-drill-1796529600" || path(j, "metadata.namespace") != "shop" {
		t.Errorf("metadata = %v", j["metadata"])
	}
	spec := j["spec"].(map[string]any)
	if spec["backoffLimit"] != 0.0 || spec["activeDeadlineSeconds"] != DefaultDrillDeadline.Seconds() || spec["ttlSecondsAfterFinished"] != float64(DrillTTLSeconds) {
		t.Errorf("job spec = %v", spec)
	}
	pod := path(j, "spec.template.spec").(map[string]any)
	if pod["restartPolicy"] != "Never" || pod["automountServiceAccountToken"] != false || pod["enableServiceLinks"] != false {
		t.Errorf("pod = %v", pod)
	}

	// The egress policy the component declares selects these pods, and
	// lets them out on 443 only.
	labels := path(j, "spec.template.metadata.labels").(map[string]any)
	np := plainJSON(t, drillNetworkPolicy(args))
	for k, want := range path(np, "spec.podSelector.matchLabels").(map[string]any) {
		if labels[k] != want {
			t.Errorf("pod label %s=%v, the drill's egress policy selects %v", k, labels[k], want)
		}
	}
	for _, rule := range path(np, "spec.egress").([]any) {
		if ports := rule.(map[string]any)["ports"]; !reflect.DeepEqual(ports, []any{map[string]any{"protocol": "TCP", "port": 443.0}}) {
			t.Errorf("drill egress rule %v: want TCP 443 only", rule)
		}
	}
	backupPolicy := plainJSON(t, networkPolicy(args))
	if reflect.DeepEqual(path(backupPolicy, "spec.podSelector"), path(np, "spec.podSelector")) {
		t.Error("the drill's pods are selected by the backup's policy too (it opens the database)")
	}

	// The script comes from the component's ConfigMap, under its key.
	cm := plainJSON(t, configMap(args, "B", "D"))
	vol := pod["volumes"].([]any)[0].(map[string]any)
	items := path(vol, "configMap.items").([]any)
	key := items[0].(map[string]any)["key"].(string)
	if path(vol, "configMap.name") != path(cm, "metadata.name") || path(cm, "data").(map[string]any)[key] != "D" {
		t.Errorf("script volume %v does not mount the ConfigMap's drill script (%v)", vol, cm["data"])
	}

	// Secret references resolve to keys of the component's Secret.
	// (Its values are Pulumi outputs: only its keys and name are read.)
	sec := secret(args, pulumi.String("b").ToStringOutput())
	secretKeys := sec["stringData"].(map[string]any)
	cronPod := path(plainJSON(t, CronJob(args)), "spec.jobTemplate.spec.template.spec").(map[string]any)
	cronSecurity := cronPod["containers"].([]any)[0].(map[string]any)["securityContext"].(map[string]any)
	containers := map[string]map[string]any{}
	for _, list := range []string{"initContainers", "containers"} {
		for _, c := range pod[list].([]any) {
			c := c.(map[string]any)
			containers[c["name"].(string)] = c
		}
	}
	if len(containers) != 2 || containers[FetchContainer]["image"] != render.ImageAWSCLI || containers[DrillContainer]["image"] != render.ImagePostgres("16") {
		t.Fatalf("containers %v", containers)
	}
	if pod["initContainers"].([]any)[0].(map[string]any)["name"] != FetchContainer {
		t.Error("the fetch container does not run first")
	}
	for name, c := range containers {
		env := map[string]map[string]any{}
		for _, e := range c["env"].([]any) {
			e := e.(map[string]any)
			env[e["name"].(string)] = e
			if ref, ok := e["valueFrom"]; ok {
				r := path(ref.(map[string]any), "secretKeyRef").(map[string]any)
				if _, ok := secretKeys[r["key"].(string)]; !ok || r["name"] != sec.Name() {
					t.Errorf("%s: %s refers to %v, not a key of the Secret %s", name, e["name"], r, sec.Name())
				}
			}
			if strings.HasPrefix(e["name"].(string), "PG") {
				t.Errorf("%s: %s reaches the container", name, e["name"])
			}
		}
		if name == FetchContainer {
			for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "INFRA_BACKUP_BUCKET"} {
				if _, literal := env[k]["value"]; env[k]["valueFrom"] == nil || literal {
					t.Errorf("fetch: %s = %v, want a secret reference only", k, env[k])
				}
			}
			if cmd := c["command"].([]any); cmd[len(cmd)-2] != "--fetch" || cmd[len(cmd)-1] != FetchedDir {
				t.Errorf("fetch command %v", cmd)
			}
		} else {
			if env["INFRA_DRILL_SCRATCH"]["value"] != "local" || env["INFRA_DRILL_SOURCE"]["value"] != "dir:"+FetchedDir {
				t.Errorf("drill env %v", env)
			}
			for k := range env {
				if strings.HasPrefix(k, "AWS_") {
					t.Errorf("drill: %s reaches the scratch server's container", k)
				}
			}
		}
		sc := c["securityContext"].(map[string]any)
		want := map[string]any{}
		for k, v := range cronSecurity {
			want[k] = v
		}
		want["runAsUser"] = float64(PostgresUID)
		if !reflect.DeepEqual(sc, want) {
			t.Errorf("%s: securityContext %v, want the CronJob's %v as uid %d", name, sc, cronSecurity, PostgresUID)
		}
		if c["resources"].(map[string]any)["limits"] == nil || c["resources"].(map[string]any)["requests"] == nil {
			t.Errorf("%s: resources %v", name, c["resources"])
		}
	}
	if pod["nodeSelector"].(map[string]any)[workload.PoolLabel] != "apps" || len(pod["tolerations"].([]any)) != 1 {
		t.Errorf("placement: %v %v", pod["nodeSelector"], pod["tolerations"])
	}
	// Every emptyDir the read-only root filesystem needs is mounted.
	for _, m := range containers[DrillContainer]["volumeMounts"].([]any) {
		if m.(map[string]any)["mountPath"] == "/tmp" {
			return
		}
	}
	t.Error("the drill container has no writable /tmp for the scratch server")
}

// Bad arguments are one error listing each, and no object.
func TestDrillJobRefusesBadArgs(t *testing.T) {
	a := drillArgs()
	a.Name, a.Namespace, a.Version, a.Database, a.Tries = "backup-1", "Shop_NS", "latest", "a;b", 100
	job, err := DrillJob(a)
	if err == nil || job != nil {
		t.Fatalf("accepted: %v", job)
	}
	for _, want := range []string{`job name "backup-1"`, `namespace "Shop_NS"`, `version "latest"`, `database "a;b"`, "tries 100"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// The drill script the ConfigMap carries passes shellcheck.
func TestDrillScriptPassesShellcheck(t *testing.T) {
	script, err := DrillScript(validArgs())
	if err != nil {
		t.Fatal(err)
	}
	if err := vpstest.Shellcheck(t, "restore-drill.sh", script); err != nil {
		t.Error(err)
	}
}
