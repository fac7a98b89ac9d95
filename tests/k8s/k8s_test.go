// Package k8s applies the Kubernetes examples to a real API server with the
// real Pulumi Kubernetes provider: the real engine and program, the strict
// stand-ins for DigitalOcean, random, PostgreSQL and command, and a
// kube-apiserver on 127.0.0.1 (internal/kubetest). The stand-in DOKS cluster
// hands out that server's endpoint and CA certificate; the program's
// kubeconfig is the one production uses (exec credential through doctl),
// and a doctl on PATH answers with the server's client certificate: only
// the endpoint and the credentials differ. The Helm charts come from the
// vendored packages in testdata/charts, served as a Helm repository and
// named by infra:cluster.chartRepository.
//
// No kubelet, scheduler or controller-manager runs: objects are admitted,
// validated, defaulted and stored, and pods never start. So every object
// gets pulumi.com/skipAwait (readiness never comes) and background
// deletion (no garbage collector finishes a foreground one), Helm hooks
// are off (a hook Job would never complete) and no release is atomic (Helm
// waits for pods in an atomic install).
package k8s

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/enginetest"
	"infra/internal/kubetest"
	"infra/internal/policy"
	"infra/stacks"
)

// example is a stack file of a Kubernetes example.
type example struct {
	dir, project, stack string
	// namespace is the example's infra:cluster.namespace.
	namespace string
	// service is the resource name of a public Service of the example.
	service string
	// resizePool edits the stack file: the application pool grows.
	resizePool func(string) string
	// edit turns the stack file into the tested one (topology switch).
	edit func(string) string
}

func (e example) String() string { return e.project + "/" + e.stack }

func kubernetesExamples() []example {
	root := filepath.Join("..", "..", "examples")
	return []example{
		{dir: filepath.Join(root, "jarvis-cluster"), project: "jarvis-cluster", stack: "prod", namespace: "jarvis-system", service: "jarvis-cluster-service-jarvis-backend",
			resizePool: replacer("maxNodes: 6", "maxNodes: 8")},
		// The stack file says: change infra:topology to kubernetes, nothing else.
		{dir: filepath.Join(root, "focusdeck"), project: "focusdeck", stack: "prod", namespace: "focusdeck", service: "focusdeck-service-server",
			resizePool: replacer("count: 2", "count: 3"),
			edit: func(doc string) string {
				return strings.Replace(doc, "\n  infra:topology: vps\n", "\n  infra:topology: kubernetes\n", 1)
			}},
	}
}

func replacer(old, new string) func(string) string {
	return func(doc string) string { return strings.Replace(doc, old, new, 1) }
}

// harness is an engine wired to the real Kubernetes provider and the
// chart repository; each example gets an API server of its own (the
// examples install the same Helm releases, cluster-wide names).
type harness struct {
	e      *enginetest.Engine
	tools  kubetest.Tools
	bin    string // on the engine's PATH: the provider plugin and doctl
	api    *kubetest.APIServer
	charts string // the Helm repository URL
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	tools := kubetest.FindTools(t)
	e := enginetest.New(t)
	bin := t.TempDir()
	if err := os.Symlink(tools.Provider, filepath.Join(bin, "pulumi-resource-kubernetes")); err != nil {
		t.Fatal(err)
	}
	e.Env["PATH"] = bin + string(os.PathListSeparator) + e.Env["PATH"]
	charts := httptest.NewServer(http.FileServer(http.Dir(filepath.Join("testdata", "charts"))))
	t.Cleanup(charts.Close)
	return &harness{e: e, tools: tools, bin: bin, charts: charts.URL}
}

// startAPIServer starts an API server for one example (stopped when t
// ends) and points the stand-in DOKS cluster and doctl at it.
func (h *harness) startAPIServer(t *testing.T) {
	t.Helper()
	h.api = kubetest.Start(t, h.tools)
	t.Logf("etcd + kube-apiserver ready in %s", h.api.Started.Round(time.Millisecond))
	doctl := "#!/bin/sh\n# Stands in for `doctl kubernetes cluster kubeconfig exec-credential`.\ncat <<'EOF'\n" +
		h.api.ExecCredential() + "\nEOF\n"
	if err := os.WriteFile(filepath.Join(h.bin, "doctl"), []byte(doctl), 0o755); err != nil {
		t.Fatal(err)
	}
	h.e.Env["INFRA_TESTPROVIDER_KUBE_ENDPOINT"] = h.api.Endpoint
	h.e.Env["INFRA_TESTPROVIDER_KUBE_CA"] = h.api.CAData
}

// stage writes the example's stack file, pointed at the chart repository,
// with its secrets sealed for the test passphrase.
func (h *harness) stage(t *testing.T, ex example) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte("name: "+ex.project+"\nruntime: go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(ex.dir, "Pulumi."+ex.stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if ex.edit != nil {
		edited := ex.edit(doc)
		if edited == doc {
			t.Fatalf("%s: the edit changed nothing", ex)
		}
		doc = edited
	}
	const clusterKey = "\n  infra:cluster:\n"
	if !strings.Contains(doc, clusterKey) {
		t.Fatalf("%s has no infra:cluster", ex)
	}
	doc = strings.Replace(doc, clusterKey, clusterKey+"    chartRepository: "+h.charts+"\n", 1)
	enginetest.SealSecrets(t, h.e, ex.project, dir, ex.stack, doc)
	return dir
}

// noAwait marks every Kubernetes object and Helm release for an API server
// without nodes: see the package comment.
func noAwait(_ context.Context, a *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
	if !strings.HasPrefix(a.Type, "kubernetes:") || a.Type == "pulumi:providers:kubernetes" {
		return nil
	}
	props := pulumi.Map{}
	for k, v := range a.Props {
		props[k] = v
	}
	switch a.Type {
	case "kubernetes:helm.sh/v3:Release":
		props["skipAwait"] = pulumi.Bool(true)
		props["disableWebhooks"] = pulumi.Bool(true)
		// An upgrade takes its hooks switch from disableCRDHooks, not
		// disableWebhooks (pulumi-kubernetes provider/v4 at f47bc2d6f199,
		// pkg/provider/helm_release.go: Update sets client.DisableHooks =
		// DisableCRDHooks); a hook Job would never complete here.
		props["disableCRDHooks"] = pulumi.Bool(true)
		// Helm turns an atomic install into one that waits for pods
		// (helm.sh/helm/v3 pkg/action/install.go: Wait = Wait || Atomic).
		props["atomic"] = pulumi.Bool(false)
		return &pulumi.ResourceTransformResult{Props: props, Opts: a.Opts}
	case "kubernetes:helm.sh/v4:Chart":
		props["skipAwait"] = pulumi.Bool(true)
		return &pulumi.ResourceTransformResult{Props: props, Opts: a.Opts}
	}
	md, ok := a.Props["metadata"].(pulumi.Map)
	if !ok && a.Props["metadata"] != nil {
		return nil
	}
	newMd := pulumi.Map{}
	for k, v := range md {
		newMd[k] = v
	}
	ann := pulumi.StringMap{}
	if old, ok := md["annotations"].(pulumi.StringMap); ok {
		for k, v := range old {
			ann[k] = v
		}
	} else if old, ok := md["annotations"].(pulumi.Map); ok {
		for k, v := range old {
			ann[k] = v.(pulumi.StringInput)
		}
	}
	ann["pulumi.com/skipAwait"] = pulumi.String("true")
	ann["pulumi.com/deletionPropagationPolicy"] = pulumi.String("background")
	newMd["annotations"] = ann
	props["metadata"] = newMd
	return &pulumi.ResourceTransformResult{Props: props, Opts: a.Opts}
}

func program(extra ...pulumi.ResourceTransform) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		for _, tr := range append([]pulumi.ResourceTransform{noAwait}, extra...) {
			if err := ctx.RegisterResourceTransform(tr); err != nil {
				return err
			}
		}
		return stacks.Program(ctx)
	}
}

// TestKubernetesExamplesOnARealAPIServer: preview, up, a clean second
// preview, the objects on the server, and destroy, per Kubernetes example.
func TestKubernetesExamplesOnARealAPIServer(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, ex := range kubernetesExamples() {
		t.Run(ex.String(), func(t *testing.T) {
			h.startAPIServer(t)
			dir := h.stage(t, ex)
			s := h.e.Stack(ctx, t, ex.project, ex.stack, program(), auto.WorkDir(dir))
			out := &progress{}
			start := time.Now()
			err := within(t, 10*time.Minute, out, func() error {
				_, err := s.Up(ctx, optup.ProgressStreams(out), optup.ErrorProgressStreams(out))
				return err
			})
			if err != nil {
				t.Fatalf("up: %v\n%s", err, tail(out.String(), 8000))
			}
			upTime := time.Since(start)
			objects := h.kubeObjects(t, s)
			t.Logf("%s: up in %s; %d Kubernetes objects of the state on the API server: %s", ex, upTime.Round(time.Millisecond), len(objects), kinds(objects))

			again, err := s.Preview(ctx, optpreview.ExpectNoChanges())
			if err != nil {
				t.Errorf("second preview is not clean: %v", err)
			} else if n := again.ChangeSummary["same"]; n == 0 {
				t.Errorf("second preview: %v", again.ChangeSummary)
			}

			// Every Kubernetes object in the state exists on the server.
			for _, o := range objects {
				h.api.Kubectl(t, o.getArgs()...)
			}
			ns := h.api.Kubectl(t, "get", "namespaces", "-o", "name")
			for _, want := range []string{"namespace/" + ex.namespace, "namespace/monitoring"} {
				if !strings.Contains(ns, want) {
					t.Errorf("kubectl get namespaces lacks %s:\n%s", want, ns)
				}
			}

			h.changes(t, s, ex, dir)
			h.rotation(t, s, ex, objects)
			h.mutations(t, s, ex, dir)

			// destroy removes everything not protected. Excluding the
			// protected resources, as `infra destroy --exclude-protected`
			// does: a destroy that targets the rest instead fails on this
			// engine (v3.251.0) once the cluster the Kubernetes provider's
			// kubeconfig comes from is among the targets ("grpc: the client
			// connection is closing").
			protected, keep := h.protection(t, s)
			out = &progress{}
			destroyStart := time.Now()
			err = within(t, 10*time.Minute, out, func() error {
				_, err := s.Destroy(ctx, optdestroy.Exclude(keep), optdestroy.ProgressStreams(out))
				return err
			})
			if err != nil {
				t.Fatalf("destroy: %v\n%s", err, tail(out.String(), 8000))
			}
			t.Logf("%s: destroy in %s (%d protected resources kept)", ex, time.Since(destroyStart).Round(time.Millisecond), len(keep))
			for _, o := range objects {
				if protected[o.urn] || o.kind == "Namespace" {
					continue // a deleted Namespace stays Terminating: no namespace controller
				}
				if got, err := h.api.TryKubectl(o.getArgs()...); err == nil {
					t.Errorf("%s still on the server after destroy:\n%s", o, got)
				}
			}
		})
	}
}

// TestCustomResourceWithoutItsCRD: the CRD chart leaves out the
// PrometheusRule CRD, so the program's PrometheusRule reaches an API server
// that does not know its kind, as it would if it were applied before its
// CRD. The provider retries for about 30 s (pkg/await: 5 tries, backoff
// 1 s x2) and the up fails with the API server's "no matches for kind".
func TestCustomResourceWithoutItsCRD(t *testing.T) {
	h := newHarness(t)
	h.startAPIServer(t)
	ctx := context.Background()
	ex := kubernetesExamples()[0]
	dir := h.stage(t, ex)
	noCRD := setField("kubernetes:helm.sh/v4:Chart", ex.project+"-monitoring-crds", false, "values", "crds", "prometheusrules", "enabled")
	s := h.e.Stack(ctx, t, ex.project, ex.stack, program(noCRD), auto.WorkDir(dir))
	out := &progress{}
	err := within(t, 10*time.Minute, out, func() error {
		_, err := s.Up(ctx, optup.ProgressStreams(out), optup.ErrorProgressStreams(out))
		return err
	})
	const want = `no matches for kind "PrometheusRule"`
	switch {
	case err == nil:
		t.Fatal("up succeeded without the PrometheusRule CRD")
	case !strings.Contains(out.String(), want):
		t.Fatalf("up failed, but not with %q:\n%s", want, tail(out.String(), 6000))
	}
	t.Logf("refused: %s", firstLine(out.String(), want))
}

// changes measures, with the real provider's diff, what an edit of the
// stack file or of a rendered object would do: previews only.
func (h *harness) changes(t *testing.T, s auto.Stack, ex example, dir string) {
	t.Helper()
	ctx := context.Background()

	// An image bump is one Deployment update, nothing replaced.
	bump := h.previewEdited(t, s, ex, dir, func(doc string) string {
		i := strings.Index(doc, "\n      image: ")
		if i < 0 {
			t.Fatalf("%s: no service image in the stack file", ex)
		}
		j := i + strings.Index(doc[i+1:], "\n") + 1
		return doc[:j] + "-bumped" + doc[j:]
	})
	changed := changedSteps(bump)
	if len(changed) != 1 || changed[0].Op != apitype.OpUpdate || changed[0].URN.Type() != "kubernetes:apps/v1:Deployment" {
		t.Errorf("image bump: want exactly 1 Deployment update, got %v", changed)
	}
	t.Logf("%s: image bump: %v", ex, summary(bump))

	// Resizing the application pool changes the pool, not the cluster nor
	// anything in it.
	resize := h.previewEdited(t, s, ex, dir, ex.resizePool)
	changed = changedSteps(resize)
	if len(changed) == 0 {
		t.Errorf("pool resize: the preview changes nothing")
	}
	for _, st := range changed {
		if st.URN.Type() != "digitalocean:index/kubernetesNodePool:KubernetesNodePool" {
			t.Errorf("pool resize also changes %s (%s)", st.URN, st.Op)
		}
	}
	t.Logf("%s: pool resize: %v", ex, summary(resize))

	// An immutable field: the provider plans a replacement and the change
	// gate of preview and up (policy.EvaluateChanges) refuses it.
	// The provider's preview dry-runs the replacement against the API
	// server, which refuses it ("may not change once set"): the preview
	// fails after reporting the step, and the gate still judges the step.
	m := h.e.Stack(ctx, t, ex.project, ex.stack, program(setField("kubernetes:core/v1:Service", ex.service, "10.96.200.200", "spec", "clusterIP")), auto.WorkDir(dir))
	pinIP, previewErr := enginetest.Preview(ctx, t, m)
	var gate []policy.Change
	replaced := false
	for _, st := range pinIP.Steps {
		gate = append(gate, policy.Change{URN: string(st.URN), Type: string(st.URN.Type()), Op: st.Op, Keys: append(st.Keys, st.Diff...)})
		if st.URN.Type() == "kubernetes:core/v1:Service" && (st.Op == apitype.OpReplace || st.Op == apitype.OpCreateReplacement) {
			replaced = true
		}
	}
	if !replaced {
		t.Errorf("a pinned clusterIP: the provider plans no Service replacement (preview error: %v): %v", previewErr, changedSteps(pinIP))
	}
	verdict := policy.EvaluateChanges(gate, nil, policy.ChangeOptions{})
	if !verdict.Blocked() || verdict.Violations[0].Rule != policy.RuleStatefulReplace || !strings.Contains(verdict.Violations[0].Message, "Kubernetes Service") {
		t.Errorf("the change gate lets a Service replacement through: %+v", verdict)
	} else {
		t.Logf("%s: immutable field: the gate refuses: %s", ex, verdict.Violations[0].Message)
	}
	if previewErr != nil {
		t.Logf("%s: immutable field: the API server, in the preview's dry run: %s", ex, firstLine(previewErr.Error(), "may not change"))
	}
}

// mutations break one thing the real API server or Helm must refuse: the
// update fails with their message.
func (h *harness) mutations(t *testing.T, s auto.Stack, ex example, dir string) {
	t.Helper()
	ctx := context.Background()
	cases := []struct {
		name string
		tr   pulumi.ResourceTransform
		want string
	}{
		{"a Service port out of range (the API server's validation)",
			setField("kubernetes:core/v1:Service", ex.service, 70000, "spec", "ports", 0, "port"),
			"must be between 1 and 65535"},
		{"a chart value of the wrong type (the chart's values.schema.json, by Helm)",
			setField("kubernetes:helm.sh/v3:Release", ex.project+"-traefik", "two", "values", "deployment", "replicas"),
			"values don't meet the specifications of the schema"},
	}
	for _, c := range cases {
		m := h.e.Stack(ctx, t, ex.project, ex.stack, program(c.tr), auto.WorkDir(dir))
		out := &progress{}
		err := within(t, 5*time.Minute, out, func() error {
			_, err := m.Up(ctx, optup.ProgressStreams(out), optup.ErrorProgressStreams(out))
			return err
		})
		if err == nil {
			t.Errorf("%s: up succeeded", c.name)
			continue
		}
		if !strings.Contains(out.String(), c.want) && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: up failed, but not with %q:\n%s", c.name, c.want, tail(out.String(), 4000))
			continue
		}
		t.Logf("%s: refused: %s", c.name, firstLine(out.String(), c.want))
	}
}

// previewEdited previews the stack with its stack file edited, then puts
// the stack file back.
func (h *harness) previewEdited(t *testing.T, s auto.Stack, ex example, dir string, edit func(string) string) enginetest.Plan {
	t.Helper()
	file := filepath.Join(dir, "Pulumi."+ex.stack+".yaml")
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	edited := edit(string(orig))
	if edited == string(orig) {
		t.Fatalf("%s: the edit changed nothing", ex)
	}
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := os.WriteFile(file, orig, 0o644); err != nil {
			t.Fatal(err)
		}
	}()
	p, err := enginetest.Preview(context.Background(), t, s)
	if err != nil {
		t.Fatalf("preview of the edited stack: %v\n%s", err, tail(p.StdOut, 4000))
	}
	return p
}

// changedSteps are a plan's steps that change something, one per URN (its
// main step).
func changedSteps(p enginetest.Plan) []enginetest.Step {
	var out []enginetest.Step
	seen := map[string]bool{}
	for _, st := range p.Steps {
		if st.Op == apitype.OpSame || st.Op == apitype.OpRead || seen[string(st.URN)] {
			continue
		}
		if main, ok := p.Step(st.URN.Name()); ok && main.URN == st.URN {
			st = main
		}
		seen[string(st.URN)] = true
		out = append(out, st)
	}
	return out
}

func summary(p enginetest.Plan) string {
	var parts []string
	for _, st := range changedSteps(p) {
		parts = append(parts, fmt.Sprintf("%s %s %s %v", st.Op, st.URN.Type(), st.URN.Name(), append(st.Keys, st.Diff...)))
	}
	return fmt.Sprintf("%v; %s", p.Summary, strings.Join(parts, "; "))
}

// setField is a transform that sets one field of the named resource of the
// given type: a path of map keys and array indexes under its inputs.
func setField(typ, name string, value any, path ...any) pulumi.ResourceTransform {
	return func(_ context.Context, a *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
		if a.Type != typ || a.Name != name {
			return nil
		}
		props, ok := set(a.Props, path, value).(pulumi.Map)
		if !ok {
			return nil
		}
		return &pulumi.ResourceTransformResult{Props: props, Opts: a.Opts}
	}
}

// set returns a copy of v with the value at path replaced.
func set(v any, path []any, value any) any {
	if len(path) == 0 {
		switch x := value.(type) {
		case string:
			return pulumi.String(x)
		case int:
			return pulumi.Int(x)
		case bool:
			return pulumi.Bool(x)
		}
		return value
	}
	switch key := path[0].(type) {
	case string:
		m := pulumi.Map{}
		if old, ok := v.(pulumi.Map); ok {
			for k, e := range old {
				m[k] = e
			}
		}
		m[key] = set(m[key], path[1:], value).(pulumi.Input)
		return m
	case int:
		old, _ := v.(pulumi.Array)
		arr := append(pulumi.Array{}, old...)
		for len(arr) <= key {
			arr = append(arr, pulumi.Map{})
		}
		arr[key] = set(arr[key], path[1:], value).(pulumi.Input)
		return arr
	}
	panic(fmt.Sprintf("set: path element %v", path[0]))
}

func firstLine(s, containing string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, containing) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// kinds counts objects by kind: "ConfigMap 2, Deployment 1, ...".
func kinds(objects []kubeObject) string {
	n := map[string]int{}
	for _, o := range objects {
		n[o.kind]++
	}
	var parts []string
	for k, c := range n {
		parts = append(parts, fmt.Sprintf("%s %d", k, c))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// kubeObject is a Kubernetes object of the stack's state.
type kubeObject struct {
	urn, kind, apiVersion, namespace, name string
}

func (o kubeObject) String() string {
	return o.apiVersion + " " + o.kind + " " + o.namespace + "/" + o.name
}

func (o kubeObject) getArgs() []string {
	group := ""
	if i := strings.Index(o.apiVersion, "/"); i >= 0 {
		group = "." + o.apiVersion[:i]
	}
	args := []string{"get", strings.ToLower(o.kind) + group, o.name, "-o", "name"}
	if o.namespace != "" {
		args = append(args, "-n", o.namespace)
	}
	return args
}

type stateResource struct {
	URN     string         `json:"urn"`
	Type    string         `json:"type"`
	Custom  bool           `json:"custom"`
	Protect bool           `json:"protect"`
	Outputs map[string]any `json:"outputs"`
}

func (h *harness) state(t *testing.T, s auto.Stack) []stateResource {
	t.Helper()
	dep, err := s.Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Resources []stateResource `json:"resources"`
	}
	if err := json.Unmarshal(dep.Deployment, &d); err != nil {
		t.Fatal(err)
	}
	return d.Resources
}

// kubeObjects are the stack's Kubernetes objects (Helm releases aside:
// their objects are Helm's).
func (h *harness) kubeObjects(t *testing.T, s auto.Stack) []kubeObject {
	t.Helper()
	var out []kubeObject
	for _, r := range h.state(t, s) {
		if !r.Custom || !strings.HasPrefix(r.Type, "kubernetes:") || strings.HasPrefix(r.Type, "kubernetes:helm.sh") {
			continue
		}
		md, _ := r.Outputs["metadata"].(map[string]any)
		o := kubeObject{urn: r.URN, apiVersion: fmt.Sprint(r.Outputs["apiVersion"]), kind: fmt.Sprint(r.Outputs["kind"])}
		o.name, _ = md["name"].(string)
		o.namespace, _ = md["namespace"].(string)
		if o.name == "" {
			t.Errorf("%s has no metadata.name in the state", r.URN)
			continue
		}
		out = append(out, o)
	}
	if len(out) == 0 {
		t.Fatal("no Kubernetes object in the state")
	}
	return out
}

// protection lists the state's protected resources, as a set and a list.
func (h *harness) protection(t *testing.T, s auto.Stack) (map[string]bool, []string) {
	t.Helper()
	protected := map[string]bool{}
	var urns []string
	for _, r := range h.state(t, s) {
		if r.Protect {
			protected[r.URN] = true
			urns = append(urns, r.URN)
		}
	}
	if len(urns) == 0 {
		t.Fatal("a prod example with nothing protected: the test expects its database to be")
	}
	return protected, urns
}

// progress collects an operation's output; the engine writes it from its
// own goroutine while the test may read it on a timeout. With
// INFRA_K8S_PROGRESS=1 it is also copied to stderr as it comes.
type progress struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if os.Getenv("INFRA_K8S_PROGRESS") == "1" {
		os.Stderr.Write(b)
	}
	return p.buf.Write(b)
}

func (p *progress) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}

// within runs an engine operation and fails the test, with the tail of the
// operation's output, if it does not return in time (a release waiting on
// pods that never run, say).
func within(t *testing.T, d time.Duration, out *progress, op func() error) error {
	t.Helper()
	return enginetest.Within(t, d, func() string { return "its output so far:\n" + tail(out.String(), 8000) }, op)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
