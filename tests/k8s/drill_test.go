package k8s

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"infra/components/backup"
	"infra/internal/kubetest"
	"infra/internal/remote"
)

// TestRestoreDrillJobOnARealAPIServer: the restore drill's Job, as
// `infra restore-drill` builds it for examples/jarvis-cluster, goes
// through the CLI's own create line (the kubeconfig written by
// remote.Run, the manifest on stdin) into a real kube-apiserver, which
// admits and stores it, refuses it a second time as AlreadyExists (what
// the CLI reads to leave another drill's Job alone), and the CLI's delete
// line removes it. The same Job
// with restartPolicy Always, which a Job may not have, is refused: the
// server's validation is what is checked. No pod runs (no kubelet).
func TestRestoreDrillJobOnARealAPIServer(t *testing.T) {
	api := kubetest.Start(t, kubetest.FindServerTools(t))
	t.Logf("etcd + kube-apiserver ready in %s", api.Started.Round(time.Millisecond))
	const ns = "jarvis-system"
	api.Kubectl(t, "create", "namespace", ns)
	kubeconfig, err := os.ReadFile(api.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	k := remote.Kubernetes{Kubeconfig: string(kubeconfig), Namespace: ns}
	job := backup.DrillJobName(time.Now())
	manifest, err := backup.DrillJob(backup.DrillJobArgs{
		Name: job, Namespace: ns, PartOf: "jarvis-cluster", Version: "16", Database: "jarvis", Pool: "apps",
	})
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(manifest)
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	if out, err := runLine(t, k, job, func(d remote.KubeDrill) []string { return d.Create }, body); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	stored := api.Kubectl(t, "get", "job", job, "-n", ns, "-o", "jsonpath={.spec.backoffLimit} {.spec.template.spec.initContainers[0].name} {.spec.template.spec.containers[0].name} {.spec.template.spec.securityContext.runAsUser}")
	if want := fmt.Sprintf("0 %s %s %d", backup.FetchContainer, backup.DrillContainer, backup.PostgresUID); strings.TrimSpace(stored) != want {
		t.Errorf("stored job: %q, want %q", stored, want)
	}
	// A second drill of the same second: the server's refusal says
	// AlreadyExists, which is how the CLI knows not to delete that Job.
	if out, err := runLine(t, k, job, func(d remote.KubeDrill) []string { return d.Create }, body); err == nil || !strings.Contains(out, "AlreadyExists") {
		t.Errorf("a second create of %s: %v\n%s", job, err, out)
	}
	if out, err := runLine(t, k, job, func(d remote.KubeDrill) []string { return d.Delete }, nil); err != nil {
		t.Fatalf("delete: %v\n%s", err, out)
	}
	if out, err := api.TryKubectl("get", "job", job, "-n", ns); err == nil || !strings.Contains(out, "NotFound") {
		t.Errorf("the job is still there after the delete line: %v\n%s", err, out)
	}
	t.Logf("create, get, delete in %s", time.Since(start).Round(time.Millisecond))

	var bad map[string]any
	if err := json.Unmarshal(body, &bad); err != nil {
		t.Fatal(err)
	}
	bad["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["restartPolicy"] = "Always"
	badBody, _ := json.Marshal(bad)
	out, err := runLine(t, k, job, func(d remote.KubeDrill) []string { return d.Create }, badBody)
	if err == nil || !strings.Contains(out, "restartPolicy") {
		t.Errorf("a Job with restartPolicy Always was not refused: %v\n%s", err, out)
	}
}

// runLine runs one of the drill's kubectl lines the way the CLI does:
// remote.Run writes the kubeconfig into a private directory, runs the
// line with stdin, and removes it.
func runLine(t *testing.T, k remote.Kubernetes, job string, pick func(remote.KubeDrill) []string, stdin []byte) (string, error) {
	t.Helper()
	dir, err := remote.TempDir()
	if err != nil {
		t.Fatal(err)
	}
	c, err := k.Build(remote.Request{Action: remote.Drill, Job: job}, dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Argv = pick(k.Drill(job, dir, 0))
	var out bytes.Buffer
	run := func(ctx context.Context, argv, env []string) error {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, bytes.NewReader(stdin), &out, &out
		return cmd.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = remote.Run(ctx, c, dir, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, run)
	if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) {
		t.Errorf("the kubeconfig's directory %s is still there", dir)
	}
	return out.String(), err
}
