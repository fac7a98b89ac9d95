package pins_test

// A pin whose value lives in a file another tool reads is recorded twice:
// there, and in pins.yaml with its source and end of support. These tests
// fail when the two differ, and say which files to change together.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"infra/components/cluster"
	"infra/components/ingress"
	"infra/components/monitoring"
	"infra/components/vps/render"
	"infra/internal/catalog"
	"infra/internal/cost"
	"infra/internal/pins"
	"infra/stacks/config"
)

var root = filepath.Join("..", "..")

const manifestFile = "internal/pins/pins.yaml"

func manifest(t *testing.T) pins.Manifest {
	t.Helper()
	m, err := pins.Load()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func pin(t *testing.T, m pins.Manifest, name string) pins.Pin {
	t.Helper()
	p, ok := m.Get(name)
	if !ok {
		t.Fatalf("%s has no pin named %q", manifestFile, name)
	}
	return p
}

// same reports a difference between a pin and its home.
func same(t *testing.T, name, pinned, home, homeFile string) {
	t.Helper()
	if pinned != home {
		t.Errorf("%s is %q in %s but %q in %s: change both together "+
			"(and the pin's source, checked date and end of support)", name, home, homeFile, pinned, manifestFile)
	}
}

func readFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The components read their versions from the manifest (pins.MustValue);
// this catches a literal creeping back in.
func TestComponentsReadThePins(t *testing.T) {
	m := manifest(t)
	for name, got := range map[string]string{
		"kube-prometheus-stack": monitoring.StackChartVersion, "prometheus-operator-crds": monitoring.CRDChartVersion,
		"prometheus": monitoring.PrometheusImage, "alertmanager": monitoring.AlertmanagerImage, "grafana": monitoring.GrafanaImage,
		"traefik": ingress.TraefikVersion, "cert-manager": ingress.CertManagerVersion, "metrics-server": cluster.MetricsServerVersion,
		"nginx": render.ImageNginx, "certbot": render.ImageCertbot, "aws-cli": render.ImageAWSCLI, "busybox": render.ImageBusybox,
		"cadvisor": render.ImageCAdvisor, "node-exporter": render.ImageNodeExporter, "dozzle": render.ImageDozzle,
	} {
		same(t, name, pin(t, m, name).Value, got, "the component's Go code (read it with pins.MustValue)")
	}
	var charts, images int
	for _, p := range m.Pins {
		switch {
		case p.Kind == pins.KindChart:
			charts++
		case p.Kind == pins.KindImage && !strings.HasPrefix(p.Name, "postgres-"):
			images++
		}
	}
	if charts != 5 || images != 10 {
		t.Errorf("%d charts and %d images besides postgres are pinned: a new one needs a line in this test", charts, images)
	}
}

func TestStackDefaults(t *testing.T) {
	m := manifest(t)
	same(t, "the default DOKS minor", pin(t, m, "kubernetes-default").Value, config.DefaultKubernetesVersion, "stacks/config/defaults.go")
	same(t, "the default PostgreSQL major", pin(t, m, "postgres-default").Value, config.DefaultPostgresVersion, "stacks/config/defaults.go")
	def := pin(t, m, "postgres-default")
	if img := pin(t, m, "postgres-"+def.Value); !img.EndOfSupport.Equal(def.EndOfSupport) {
		t.Errorf("postgres-default and postgres-%s end on different days in %s", def.Value, manifestFile)
	}
}

// One postgres-<major> image pin per major the config allows
// (internal/catalog), with the catalog's end of life.
func TestPostgresMajors(t *testing.T) {
	m := manifest(t)
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]string{}
	for _, v := range cat.PostgresVersions.Values {
		allowed[v.Version] = v.EndOfLife
	}
	for major, eol := range allowed {
		p, ok := m.Get("postgres-" + major)
		if !ok {
			t.Errorf("internal/catalog/catalog.yaml allows PostgreSQL %s but %s has no postgres-%s pin: add it with its end of life", major, manifestFile, major)
			continue
		}
		same(t, "postgres-"+major+"'s image", p.Value, render.ImagePostgres(major), "components/vps/render/images.go (ImagePostgres)")
		same(t, "PostgreSQL "+major+"'s end of life", p.EndOfSupport.Format(pins.DateLayout), eol, "internal/catalog/catalog.yaml")
	}
	for _, p := range m.OfKind(pins.KindImage) {
		if major, ok := strings.CutPrefix(p.Name, "postgres-"); ok {
			if _, ok := allowed[major]; !ok {
				t.Errorf("%s pins PostgreSQL %s, which internal/catalog/catalog.yaml no longer allows: drop the pin", manifestFile, major)
			}
		}
	}
	def := pin(t, m, "kubernetes-default")
	var found bool
	for _, v := range cat.KubernetesMinors.Values {
		if v.Minor == def.Value {
			found = true
			same(t, "Kubernetes "+v.Minor+"'s end of life", def.EndOfSupport.Format(pins.DateLayout), v.EndOfLife, "internal/catalog/catalog.yaml")
		}
	}
	if !found {
		t.Errorf("the default DOKS minor %s is not offered in internal/catalog/catalog.yaml", def.Value)
	}
}

var (
	goLine      = regexp.MustCompile(`^go (\S+)$`)
	requireLine = regexp.MustCompile(`^\s*(?:require\s+)?(github\.com/pulumi/\S+) (v\S+)`)
)

// The go line and the Pulumi SDKs of go.mod.
func TestGoMod(t *testing.T) {
	m := manifest(t)
	modules := map[string]string{}
	var goVersion string
	sc := bufio.NewScanner(strings.NewReader(readFile(t, "go.mod")))
	for sc.Scan() {
		if g := goLine.FindStringSubmatch(sc.Text()); g != nil {
			goVersion = g[1]
		}
		if r := requireLine.FindStringSubmatch(sc.Text()); r != nil && !strings.Contains(sc.Text(), "// indirect") {
			modules[r[1]] = r[2]
		}
	}
	same(t, "the Go toolchain", pin(t, m, "go").Value, goVersion, "go.mod (the go line)")
	for path, version := range modules {
		same(t, path, pin(t, m, path).Value, version, "go.mod")
	}
	for _, p := range m.OfKind(pins.KindModule) {
		if _, ok := modules[p.Name]; !ok {
			t.Errorf("%s pins module %s, which go.mod does not require directly: drop the pin", manifestFile, p.Name)
		}
	}
}

// The pulumi CLI the workflows install is the SDK's version; doctl is the
// pinned one.
func TestPulumiCLI(t *testing.T) {
	m := manifest(t)
	var action struct {
		Inputs map[string]struct {
			Default string `yaml:"default"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, ".github/actions/setup/action.yml")), &action); err != nil {
		t.Fatal(err)
	}
	cli := pin(t, m, "pulumi-cli").Value
	same(t, "the pulumi CLI", cli, action.Inputs["pulumi-version"].Default, ".github/actions/setup/action.yml (pulumi-version)")
	same(t, "doctl", pin(t, m, "doctl").Value, action.Inputs["doctl-version"].Default, ".github/actions/setup/action.yml (doctl-version)")
	if sdk := pin(t, m, "github.com/pulumi/pulumi/sdk/v3").Value; "v"+cli != sdk {
		t.Errorf("the pulumi CLI %s and the SDK %s differ: the Automation API expects them equal", cli, sdk)
	}
}

var usesLine = regexp.MustCompile(`^\s*(?:-\s*)?uses:\s*([^\s@#]+)@(\S+)`)

// Every action the workflows use is pinned at the pinned major, and every
// action pin is used.
func TestActions(t *testing.T) {
	m := manifest(t)
	var files []string
	err := filepath.WalkDir(filepath.Join(root, ".github"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml")) {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		for i, line := range strings.Split(string(b), "\n") {
			u := usesLine.FindStringSubmatch(line)
			if u == nil {
				continue
			}
			used[u[1]] = true
			p, ok := m.Get(u[1])
			if !ok || p.Kind != pins.KindAction {
				t.Errorf("%s:%d uses %s, which %s does not pin", rel, i+1, u[1], manifestFile)
				continue
			}
			same(t, u[1], p.Value, u[2], fmt.Sprintf("%s:%d", rel, i+1))
		}
	}
	for _, p := range m.OfKind(pins.KindAction) {
		if !used[p.Name] {
			t.Errorf("%s pins %s, which no workflow uses: drop the pin", manifestFile, p.Name)
		}
	}
}

func TestPriceTableDate(t *testing.T) {
	prices, err := cost.DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	same(t, "the price table's date", pin(t, manifest(t), "digitalocean-prices").Value, prices.AsOf, "internal/cost/prices.yaml (asOf)")
}

// scripts/amtool.sh builds amtool at the pinned Alertmanager.
func TestAmtoolScript(t *testing.T) {
	out, err := exec.Command("bash", filepath.Join(root, "scripts", "amtool.sh"), "--print-version").Output()
	if err != nil {
		t.Fatalf("scripts/amtool.sh --print-version: %v", err)
	}
	image := pin(t, manifest(t), "alertmanager").Value
	same(t, "Alertmanager", image, "prom/alertmanager:"+strings.TrimSpace(string(out)), "scripts/amtool.sh (what it reads)")
}

// Names are unique across kinds and the manifest keeps its sections in
// the order of Kinds, so the table reads by kind.
func TestManifestOrder(t *testing.T) {
	m := manifest(t)
	order := make([]int, len(m.Pins))
	for i, p := range m.Pins {
		order[i] = slices.Index(pins.Kinds, p.Kind)
	}
	if !sort.IntsAreSorted(order) {
		t.Errorf("%s: keep the entries grouped by kind in the order %v", manifestFile, pins.Kinds)
	}
}
