package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/spf13/cobra"

	"infra/internal/stacktest"
)

// kubeDrillProject holds examples/jarvis-cluster's prod stack: a managed
// cluster dumped by the backup CronJob (version 16, namespace
// jarvis-system, pool apps).
func kubeDrillProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "jarvis-cluster", "Pulumi.prod.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"Pulumi.yaml": "name: jarvis-cluster\nruntime: go\n", "Pulumi.prod.yaml": stacktest.SetSecrets(t, string(b))}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fakeKubectl plays the cluster for the drill's kubectl lines: it records
// each line (from the verb on), the manifest on create's stdin, the
// kubeconfig file and its directory's modes while kubectl "runs", answers
// one wait condition and holds the other until it is stopped, and prints
// the canned logs.
type fakeKubectl struct {
	mu        *sync.Mutex
	prefixes  map[string]bool
	calls     []string
	manifest  string
	modes     map[string]os.FileMode
	kcPath    string
	kcContent string
	condition string // the condition that comes: complete, failed, timeout (both waits give up), or "" (none: the caller is stopped)
	createErr int
	// createStderr is what a refused create says.
	createStderr string
	report       string
	fetchLog     string
	stop         context.CancelFunc // Ctrl-C while waiting
	deleteCtx    error              // the delete's context's error when it ran
}

func (f *fakeKubectl) run(ctx context.Context, argv, env []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	f.mu.Lock()
	f.prefixes[strings.Join(argv[:5], " ")] = true
	verb := strings.Join(argv[5:], " ")
	f.calls = append(f.calls, verb)
	f.kcPath = argv[2]
	if st, err := os.Stat(f.kcPath); err == nil {
		f.modes["file"] = st.Mode().Perm()
		b, _ := os.ReadFile(f.kcPath)
		f.kcContent = string(b)
	}
	if st, err := os.Stat(filepath.Dir(f.kcPath)); err == nil {
		f.modes["dir"] = st.Mode().Perm()
	}
	if !containsString(env, "KUBECONFIG="+f.kcPath) {
		f.calls = append(f.calls, "(no KUBECONFIG)")
	}
	f.mu.Unlock()
	switch argv[5] {
	case "create":
		b, _ := io.ReadAll(stdin)
		f.mu.Lock()
		f.manifest = string(b)
		f.mu.Unlock()
		if f.createErr != 0 {
			_, _ = io.WriteString(stderr, f.createStderr)
		}
		return f.createErr, nil
	case "wait":
		if f.condition == "timeout" {
			return 1, nil // kubectl wait's exit status when its timeout passes
		}
		if f.condition != "" && argv[6] == "--for=condition="+f.condition {
			return 0, nil
		}
		if f.stop != nil && argv[6] == "--for=condition=complete" {
			f.stop()
		}
		<-ctx.Done()
		return -1, ctx.Err()
	case "logs":
		if argv[7] == "--container=drill" {
			_, _ = io.WriteString(stdout, f.report)
		} else {
			_, _ = io.WriteString(stdout, f.fetchLog)
		}
	case "delete":
		f.mu.Lock()
		f.deleteCtx = ctx.Err()
		f.mu.Unlock()
	}
	return 0, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

const (
	drillJob  = "db-restore-drill-1796529600"
	waitLimit = "--timeout=1h10m0s"
)

// The drill on Kubernetes, step by step: the command lines (as data, no
// cluster), the Job on create's stdin, the kubeconfig private while
// kubectl runs and gone after, the Job deleted whatever happened (on a
// fresh context after Ctrl-C) unless its name was another's, and the exit
// status from the report.
func TestRestoreDrillKubernetes(t *testing.T) {
	outs := auto.OutputMap{
		"topology":       {Value: "kubernetes"},
		"kubernetes":     {Value: map[string]any{"namespace": "jarvis-system"}},
		KubeconfigOutput: {Value: remoteKubeconfig},
	}
	create, logs, fetch := "create --filename=-", "logs job/"+drillJob+" --container=drill", "logs job/"+drillJob+" --container=fetch"
	waitC, waitF := "wait --for=condition=complete "+waitLimit+" job/"+drillJob, "wait --for=condition=failed "+waitLimit+" job/"+drillJob
	del := "delete job " + drillJob + " --wait=false --ignore-not-found"
	cases := map[string]struct {
		args      []string
		fake      fakeKubectl
		ctrlC     bool
		wantCode  int
		wantCalls []string
		wantOut   string
		wantErr   string
	}{
		"good":           {nil, fakeKubectl{condition: "complete", report: goodDrill}, false, ExitOK, []string{create, waitC, waitF, logs, del}, "app: 3 tables, 1242 rows", ""},
		"one database":   {[]string{"--database", "jarvis"}, fakeKubectl{condition: "complete", report: goodDrill}, false, ExitOK, []string{create, waitC, waitF, logs, del}, "restorable", ""},
		"fell back":      {nil, fakeKubectl{condition: "failed", report: fellBack}, false, ExitFailure, []string{create, waitC, waitF, logs, del}, "newest restorable backup: postgres/2026-12-05T033000Z/", "sha256 checksum mismatch"},
		"ok but failed":  {nil, fakeKubectl{condition: "failed", report: goodDrill}, false, ExitFailure, []string{create, waitC, waitF, logs, del}, "", ""},
		"no report":      {nil, fakeKubectl{condition: "failed", fetchLog: "fatal error: Access Denied\n"}, false, ExitFailure, []string{create, waitC, waitF, logs, fetch, del}, "", "without its report"},
		"create refused": {nil, fakeKubectl{createErr: 1, createStderr: "error: unable to connect\n"}, false, ExitFailure, []string{create, del}, "", "kubectl create exited 1"},
		// kubectl's message for a name in use (apimachinery StatusReasonAlreadyExists).
		"name taken":     {nil, fakeKubectl{createErr: 1, createStderr: `Error from server (AlreadyExists): jobs.batch "` + drillJob + `" already exists` + "\n"}, false, ExitFailure, []string{create}, "", "kubectl create exited 1"},
		"ctrl-c":         {nil, fakeKubectl{}, true, ExitFailure, []string{create, waitC, waitF, del}, "", "context canceled"},
		"unknown db":     {[]string{"--database", "nope"}, fakeKubectl{}, false, ExitUsage, nil, "", "not one of the stack's databases"},
		"two reports":    {nil, fakeKubectl{condition: "complete", report: goodDrill + "\n" + goodDrill}, false, ExitFailure, []string{create, waitC, waitF, logs, fetch, del}, "", "one JSON line"},
		"waits time out": {nil, fakeKubectl{condition: "timeout"}, false, ExitFailure, []string{create, waitC, waitF, del}, "", "kubectl wait exited 1"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := &c.fake
			f.mu, f.prefixes, f.modes = &sync.Mutex{}, map[string]bool{}, map[string]os.FileMode{}
			if c.ctrlC {
				f.stop = cancel
			}
			build := func(streams *IO) *cobra.Command {
				return NewCmdRestoreDrill(streams, func(o *RestoreDrillOptions) error {
					o.OpenStack = func(context.Context, StackRequest) (Stack, error) { return &fakeStack{outputs: outs}, nil }
					o.Run = f.run
					o.Environ = func() []string { return []string{"PATH=/usr/bin", "DIGITALOCEAN_TOKEN=do-token"} }
					o.Now = func() time.Time { return time.Unix(1796529600, 0) }
					return runRestoreDrill(ctx, o)
				})
			}
			args := append([]string{"restore-drill", "--dir", kubeDrillProject(t), "--stack", "prod"}, c.args...)
			r := runWith(context.Background(), t, build, args...)
			if r.code != c.wantCode {
				t.Fatalf("exit %d, want %d: %v\n%s%s", r.code, c.wantCode, r.err, r.stdout, r.stderr)
			}
			// The two waits run at once: their order is the scheduler's.
			got := append([]string(nil), f.calls...)
			for i := 0; i+1 < len(got); i++ {
				if got[i] == waitF && got[i+1] == waitC {
					got[i], got[i+1] = got[i+1], got[i]
				}
			}
			if !reflect.DeepEqual(got, c.wantCalls) && !(c.wantCalls == nil && len(got) == 0) {
				t.Errorf("kubectl ran\n%q\nwant\n%q", got, c.wantCalls)
			}
			if !strings.Contains(r.stdout, c.wantOut) {
				t.Errorf("stdout %q does not say %q", r.stdout, c.wantOut)
			}
			if c.wantErr != "" && (r.err == nil || !strings.Contains(r.err.Error(), c.wantErr)) {
				t.Errorf("error %v, want %q", r.err, c.wantErr)
			}
			if c.wantCalls == nil {
				return
			}
			wantPrefix := "kubectl --kubeconfig " + f.kcPath + " --namespace jarvis-system"
			if len(f.prefixes) != 1 || !f.prefixes[wantPrefix] {
				t.Errorf("kubectl prefixes %v, want only %q", f.prefixes, wantPrefix)
			}
			if f.modes["file"] != 0o600 || f.modes["dir"] != 0o700 || f.kcContent != remoteKubeconfig {
				t.Errorf("while kubectl ran the kubeconfig was %q, file %v in a %v directory", f.kcContent, f.modes["file"], f.modes["dir"])
			}
			if _, err := os.Stat(filepath.Dir(f.kcPath)); !os.IsNotExist(err) {
				t.Errorf("the kubeconfig's directory is still there: %v", err)
			}
			if f.deleteCtx != nil {
				t.Errorf("the job was deleted on a cancelled context: %v", f.deleteCtx)
			}
			if strings.Contains(r.stdout+r.stderr+f.manifest, "cli-remote-test-kubeconfig-91") {
				t.Error("the kubeconfig was printed or sent")
			}
			assertDrillJobManifest(t, f.manifest, c.args)
		})
	}
}

// assertDrillJobManifest checks what create received: the Job of the
// stack (name from the clock, namespace, PostgreSQL version, pool of the
// config) running the drill on the asked databases.
func assertDrillJobManifest(t *testing.T, manifest string, args []string) {
	t.Helper()
	var job struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name, Namespace string
			Labels          map[string]string
		}
		Spec struct {
			Template struct {
				Spec struct {
					NodeSelector map[string]string `json:"nodeSelector"`
					Containers   []struct {
						Name, Image string
						Command     []string
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(manifest), &job); err != nil {
		t.Fatalf("create's stdin is not the Job: %v\n%s", err, manifest)
	}
	pod := job.Spec.Template.Spec
	if job.Kind != "Job" || job.Metadata.Name != drillJob || job.Metadata.Namespace != "jarvis-system" || job.Metadata.Labels["app.kubernetes.io/part-of"] != "jarvis-cluster" {
		t.Errorf("job %+v", job.Metadata)
	}
	if len(pod.Containers) != 1 || pod.Containers[0].Image != "postgres:16" || pod.NodeSelector["doks.digitalocean.com/node-pool"] != "apps" {
		t.Fatalf("pod %+v", pod)
	}
	cmd := strings.Join(pod.Containers[0].Command, " ")
	if want := strings.TrimSpace("bash /scripts/restore-drill.sh " + strings.Join(args, " ")); cmd != want {
		t.Errorf("drill command %q, want %q", cmd, want)
	}
}

// --tries and --timeout on Kubernetes: the Job that reaches create has
// INFRA_DRILL_TRIES in both containers and --timeout as its
// activeDeadlineSeconds, and both kubectl waits give up 10 minutes past
// that deadline; without them, the script's default tries and 1 h.
func TestRestoreDrillKubernetesTriesAndTimeout(t *testing.T) {
	outs := auto.OutputMap{
		"topology":       {Value: "kubernetes"},
		"kubernetes":     {Value: map[string]any{"namespace": "jarvis-system"}},
		KubeconfigOutput: {Value: remoteKubeconfig},
	}
	cases := []struct {
		name         string
		args         []string
		wantTries    string // "": no INFRA_DRILL_TRIES
		wantDeadline float64
		wantWait     string
	}{
		{"defaults", nil, "", 3600, "--timeout=1h10m0s"},
		{"--tries 4 --timeout 30m", []string{"--tries", "4", "--timeout", "30m"}, "4", 1800, "--timeout=40m0s"},
		{"--timeout 2h", []string{"--timeout", "2h"}, "", 7200, "--timeout=2h10m0s"},
		{"--tries 10", []string{"--tries", "10"}, "10", 3600, "--timeout=1h10m0s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeKubectl{condition: "complete", report: goodDrill, mu: &sync.Mutex{}, prefixes: map[string]bool{}, modes: map[string]os.FileMode{}}
			build := func(streams *IO) *cobra.Command {
				return NewCmdRestoreDrill(streams, func(o *RestoreDrillOptions) error {
					o.OpenStack = func(context.Context, StackRequest) (Stack, error) { return &fakeStack{outputs: outs}, nil }
					o.Run = f.run
					o.Environ = func() []string { return []string{"PATH=/usr/bin"} }
					o.Now = func() time.Time { return time.Unix(1796529600, 0) }
					return runRestoreDrill(context.Background(), o)
				})
			}
			args := append([]string{"restore-drill", "--dir", kubeDrillProject(t), "--stack", "prod"}, c.args...)
			if r := runWith(context.Background(), t, build, args...); r.code != ExitOK {
				t.Fatalf("exit %d: %v\n%s", r.code, r.err, r.stderr)
			}
			for _, cond := range []string{"complete", "failed"} {
				want := "wait --for=condition=" + cond + " " + c.wantWait + " job/" + drillJob
				if !containsString(f.calls, want) {
					t.Errorf("kubectl ran %q, without %q", f.calls, want)
				}
			}
			var job struct {
				Spec struct {
					ActiveDeadlineSeconds float64 `json:"activeDeadlineSeconds"`
					Template              struct {
						Spec struct {
							InitContainers, Containers []struct {
								Name string
								Env  []struct{ Name, Value string }
							}
						}
					}
				}
			}
			if err := json.Unmarshal([]byte(f.manifest), &job); err != nil {
				t.Fatalf("create's stdin is not the Job: %v", err)
			}
			if job.Spec.ActiveDeadlineSeconds != c.wantDeadline {
				t.Errorf("activeDeadlineSeconds %v, want %v", job.Spec.ActiveDeadlineSeconds, c.wantDeadline)
			}
			pod := job.Spec.Template.Spec
			for _, ctr := range append(pod.InitContainers, pod.Containers...) {
				tries := ""
				for _, e := range ctr.Env {
					if e.Name == "INFRA_DRILL_TRIES" {
						tries = e.Value
					}
				}
				if tries != c.wantTries {
					t.Errorf("container %s: INFRA_DRILL_TRIES %q, want %q", ctr.Name, tries, c.wantTries)
				}
			}
			if len(pod.InitContainers)+len(pod.Containers) != 2 {
				t.Errorf("the Job has %d containers, want the fetch and the drill", len(pod.InitContainers)+len(pod.Containers))
			}
		})
	}
}
