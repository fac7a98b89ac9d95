package scrape

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"infra/internal/plan"
)

// needTools finds the binaries: Prometheus and node_exporter from
// scripts/scrape-tools.sh ($INFRA_SCRAPE_TOOLS names its directory once
// built), Alertmanager from Debian's package. A
// missing one skips the test on a laptop and fails it in CI.
func needTools(t *testing.T) Tools {
	t.Helper()
	dir := os.Getenv("INFRA_SCRAPE_TOOLS")
	if dir == "" {
		var out, errb bytes.Buffer
		cmd := exec.Command("bash", filepath.Join(repoRoot, "scripts", "scrape-tools.sh"))
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			missing(t, "prometheus and node_exporter (scripts/scrape-tools.sh: "+err.Error()+": "+errb.String()+")")
		}
		dir = strings.TrimSpace(out.String())
	}
	tools := Tools{
		Prometheus:   filepath.Join(dir, "prometheus"),
		NodeExporter: filepath.Join(dir, "node_exporter"),
	}
	for _, p := range []string{tools.Prometheus, tools.NodeExporter} {
		if _, err := os.Stat(p); err != nil {
			missing(t, p)
		}
	}
	var err error
	if tools.Alertmanager, err = exec.LookPath("prometheus-alertmanager"); err != nil {
		missing(t, "prometheus-alertmanager (apt-get install prometheus-alertmanager)")
	}
	return tools
}

func missing(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI", what)
	}
	t.Skipf("SKIPPED: %s is not available; CI runs this test", what)
}

// prometheusNet are the services whose metrics come from prometheus-net,
// as their stack files say (focusdeck's ASP.NET Core server).
var prometheusNet = map[string]bool{"focusdeck/prod/server": true}

// optionsFor are the scrape options of a planned stack: its services'
// declared metrics paths and client libraries.
func optionsFor(t *testing.T, name string, p *plan.Plan) Options {
	o := Options{Dir: t.TempDir(), AppPaths: map[string]string{}, Flavours: map[string]string{}}
	for _, s := range p.Config.Services {
		if s.Metrics == nil {
			continue
		}
		o.AppPaths[s.Name] = s.Metrics.Path
		if prometheusNet[name+"/"+s.Name] {
			o.Flavours[s.Name] = clientPrometheusNet
		}
	}
	return o
}
