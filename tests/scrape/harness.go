package scrape

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml"
)

// Tools are the real binaries a scrape runs.
type Tools struct {
	// Prometheus and NodeExporter are built at the deployed versions by
	// scripts/scrape-tools.sh.
	Prometheus, NodeExporter string
	// Alertmanager only has to answer Prometheus' scrape of it.
	Alertmanager string
}

// Options tune one scrape.
type Options struct {
	// Dir holds the config, the TSDB and the logs.
	Dir string
	// Timeout bounds the wait for every job up and every rule with data.
	Timeout time.Duration
	// Settle is how long to wait at least, so that a target found down
	// has had its scrapes (0: return as soon as everything has data).
	Settle time.Duration
	// AppPaths are the metrics paths the application's services declare
	// (infra:services[].metrics.path), by service: the stand-in of each
	// serves there, whatever prometheus.yml asks for.
	AppPaths map[string]string
	// Flavours name the client library a service's metrics follow
	// (clientPrometheusNet), by service; default: Prometheus' own names.
	Flavours map[string]string
}

// JobResult is one scrape job's health, from Prometheus' /api/v1/targets.
type JobResult struct {
	Job, URL, LastError string
	Up                  bool
}

// RuleResult is one alert rule and the series its value expression yields.
type RuleResult struct {
	Alert, Query string
	Series       int
}

// Result is what Prometheus saw.
type Result struct {
	Jobs  []JobResult
	Rules []RuleResult
}

// Job returns the result of the named job, nil without one.
func (r *Result) Job(name string) *JobResult {
	for i := range r.Jobs {
		if r.Jobs[i].Job == name {
			return &r.Jobs[i]
		}
	}
	return nil
}

func (r *Result) String() string {
	var b strings.Builder
	for _, j := range r.Jobs {
		state := "up"
		if !j.Up {
			state = "DOWN " + j.LastError
		}
		fmt.Fprintf(&b, "  job %-16s %s %s\n", j.Job, j.URL, state)
	}
	for _, rr := range r.Rules {
		fmt.Fprintf(&b, "  rule %-22s %d series\n", rr.Alert, rr.Series)
	}
	return b.String()
}

// composeFile is what the harness reads of the rendered compose file.
type composeFile struct {
	Services map[string]struct {
		Image   string   `yaml:"image"`
		Command []string `yaml:"command"`
	} `yaml:"services"`
}

// Scrape starts the exporters a stack's compose file runs (real ones, or a
// stand-in where noted), rewrites only the target addresses of the
// rendered prometheus.yml to where they listen here, runs Prometheus on it
// and its rules, and reports every job's health and every rule's series.
func Scrape(tools Tools, artifacts map[string]string, opts Options) (*Result, error) {
	var compose composeFile
	if err := yaml.Unmarshal([]byte(artifacts["vps/compose.yaml"]), &compose); err != nil {
		return nil, fmt.Errorf("read compose.yaml: %w", err)
	}
	promText, rulesText := artifacts["monitoring/prometheus.yml"], artifacts["monitoring/rules.yml"]
	if promText == "" || rulesText == "" {
		return nil, fmt.Errorf("the stack renders no monitoring/prometheus.yml or rules.yml")
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(promText), &cfg); err != nil {
		return nil, fmt.Errorf("read prometheus.yml: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := &harness{ctx: ctx, dir: opts.Dir, tools: tools, compose: compose, opts: opts}
	defer h.stop()

	promAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	jobs, _ := cfg["scrape_configs"].([]any)
	if len(jobs) == 0 {
		return nil, fmt.Errorf("prometheus.yml has no scrape_configs")
	}
	addrs := map[string]string{} // compose service -> address here
	for _, j := range jobs {
		job, _ := j.(map[string]any)
		name := fmt.Sprint(job["job_name"])
		svc, err := serviceOf(job)
		if err != nil {
			return nil, fmt.Errorf("job %s: %w", name, err)
		}
		addr, ok := addrs[svc]
		if !ok {
			if svc == "localhost" {
				addr = promAddr
			} else if addr, err = h.start(svc); err != nil {
				return nil, fmt.Errorf("job %s: %w", name, err)
			}
			addrs[svc] = addr
		}
		delete(job, "dns_sd_configs")
		job["static_configs"] = []any{map[string]any{"targets": []any{addr}}}
	}
	if alerting, ok := cfg["alerting"].(map[string]any); ok {
		for _, a := range alerting["alertmanagers"].([]any) {
			am := a.(map[string]any)
			am["static_configs"] = []any{map[string]any{"targets": []any{addrs["alertmanager"]}}}
		}
	}
	rulesPath := filepath.Join(h.dir, "rules.yml")
	if err := os.WriteFile(rulesPath, []byte(rulesText), 0o644); err != nil {
		return nil, err
	}
	cfg["rule_files"] = []any{rulesPath}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(h.dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		return nil, err
	}
	if err := h.run("prometheus", tools.Prometheus, "--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(h.dir, "tsdb"), "--web.listen-address="+promAddr); err != nil {
		return nil, err
	}
	rules, err := ruleQueries(rulesText)
	if err != nil {
		return nil, err
	}
	return h.await("http://"+promAddr, rules)
}

// serviceOf is the compose service a job's target names: the host of its
// static target, or the name its DNS discovery resolves.
func serviceOf(job map[string]any) (string, error) {
	if sds, ok := job["dns_sd_configs"].([]any); ok && len(sds) == 1 {
		names, _ := sds[0].(map[string]any)["names"].([]any)
		if len(names) == 1 {
			return fmt.Sprint(names[0]), nil
		}
	}
	if scs, ok := job["static_configs"].([]any); ok && len(scs) == 1 {
		targets, _ := scs[0].(map[string]any)["targets"].([]any)
		if len(targets) == 1 {
			host, _, err := net.SplitHostPort(fmt.Sprint(targets[0]))
			return host, err
		}
	}
	return "", fmt.Errorf("one static target or one DNS name expected")
}

type harness struct {
	ctx     context.Context
	dir     string
	tools   Tools
	compose composeFile
	opts    Options

	mu      sync.Mutex
	cmds    []*exec.Cmd
	servers []*http.Server
}

// start runs what the compose service svc runs, and returns its address.
// The kind follows the service's image, not its name.
func (h *harness) start(svc string) (string, error) {
	s, ok := h.compose.Services[svc]
	if !ok {
		return "", fmt.Errorf("prometheus.yml scrapes %q, which compose.yaml does not run", svc)
	}
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	image := s.Image[:strings.LastIndex(s.Image, ":")]
	switch {
	case strings.HasSuffix(image, "/node-exporter"):
		args := []string{"--web.listen-address=" + addr}
		for _, a := range s.Command {
			// The container sees the host's root at /host; here it is /.
			switch {
			case strings.HasPrefix(a, "--path.rootfs="):
			case strings.HasPrefix(a, textfileFlag+"/host/"):
				dir, err := h.textfile()
				if err != nil {
					return "", err
				}
				args = append(args, textfileFlag+dir)
			default:
				args = append(args, a)
			}
		}
		return addr, h.run(svc, h.tools.NodeExporter, args...)
	case strings.HasSuffix(image, "/alertmanager"):
		conf := filepath.Join(h.dir, "alertmanager.yml")
		if err := os.WriteFile(conf, []byte("route: {receiver: \"null\"}\nreceivers: [{name: \"null\"}]\n"), 0o644); err != nil {
			return "", err
		}
		return addr, h.run(svc, h.tools.Alertmanager, "--config.file="+conf, "--storage.path="+filepath.Join(h.dir, "am"),
			"--web.listen-address="+addr, "--cluster.listen-address=")
	case strings.HasSuffix(image, "/cadvisor"):
		return addr, h.serve(addr, cadvisorPath(s.Command), cadvisorStandIn(h.compose))
	}
	path, ok := h.opts.AppPaths[svc]
	if !ok {
		return "", fmt.Errorf("prometheus.yml scrapes %q (image %s), which declares no metrics endpoint", svc, s.Image)
	}
	return addr, h.serve(addr, path, appStandIn(h.opts.Flavours[svc]))
}

func (h *harness) run(name, bin string, args ...string) error {
	logf, err := os.Create(filepath.Join(h.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(h.ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	h.mu.Lock()
	h.cmds = append(h.cmds, cmd)
	h.mu.Unlock()
	return nil
}

func (h *harness) serve(addr, path string, handler http.HandlerFunc) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc(path, handler)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	h.mu.Lock()
	h.servers = append(h.servers, srv)
	h.mu.Unlock()
	return nil
}

func (h *harness) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.cmds {
		if c.Process != nil {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}
	for _, s := range h.servers {
		_ = s.Close()
	}
}

// await polls Prometheus until every job is up and every rule has data,
// or the timeout; it returns what it saw last.
func (h *harness) await(base string, rules []RuleResult) (*Result, error) {
	start := time.Now()
	deadline := start.Add(h.opts.Timeout)
	var last *Result
	for {
		r, err := observe(base, rules)
		if err == nil {
			last = r
			if r.complete() && time.Since(start) >= h.opts.Settle {
				return r, nil
			}
		}
		if time.Now().After(deadline) {
			if last == nil {
				logs, _ := os.ReadFile(filepath.Join(h.dir, "prometheus.log"))
				return nil, fmt.Errorf("prometheus never answered (%v): %w\n%s", h.opts.Timeout, err, tail(string(logs), 2000))
			}
			return last, nil
		}
		time.Sleep(2 * time.Second)
	}
}

func (r *Result) complete() bool {
	if len(r.Jobs) == 0 {
		return false
	}
	for _, j := range r.Jobs {
		if !j.Up {
			return false
		}
	}
	for _, rr := range r.Rules {
		if rr.Series == 0 {
			return false
		}
	}
	return true
}

func observe(base string, rules []RuleResult) (*Result, error) {
	var targets struct {
		Data struct {
			ActiveTargets []struct {
				ScrapePool string `json:"scrapePool"`
				ScrapeURL  string `json:"scrapeUrl"`
				LastError  string `json:"lastError"`
				Health     string `json:"health"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := getJSON(base+"/api/v1/targets", &targets); err != nil {
		return nil, err
	}
	r := &Result{}
	for _, t := range targets.Data.ActiveTargets {
		r.Jobs = append(r.Jobs, JobResult{Job: t.ScrapePool, URL: t.ScrapeURL, LastError: t.LastError, Up: t.Health == "up"})
	}
	sort.Slice(r.Jobs, func(i, j int) bool { return r.Jobs[i].Job < r.Jobs[j].Job })
	for _, rule := range rules {
		var res struct {
			Status string `json:"status"`
			Error  string `json:"error"`
			Data   struct {
				Result []json.RawMessage `json:"result"`
			} `json:"data"`
		}
		if err := getJSON(base+"/api/v1/query?query="+url.QueryEscape(rule.Query), &res); err != nil {
			return nil, fmt.Errorf("rule %s: %w", rule.Alert, err)
		}
		rule.Series = len(res.Data.Result)
		r.Rules = append(r.Rules, rule)
	}
	return r, nil
}

func getJSON(u string, v any) error {
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, bytes.TrimSpace(b))
	}
	return json.Unmarshal(b, v)
}

// comparison is the threshold a rule's expression ends with: the value
// expression is what must yield series (a rule whose value has series is
// one that can fire).
var comparison = regexp.MustCompile(`\s+(>|<|==|!=|>=|<=)\s+-?[0-9.eE+]+\s*$`)

// absentOf is a rule that fires while a series is missing: what must
// yield series is the series itself, or the rule fires for ever.
var absentOf = regexp.MustCompile(`^\s*absent\((.+)\)\s*$`)

func ruleQueries(rulesText string) ([]RuleResult, error) {
	var doc struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal([]byte(rulesText), &doc); err != nil {
		return nil, fmt.Errorf("read rules.yml: %w", err)
	}
	var out []RuleResult
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			query := comparison.ReplaceAllString(r.Expr, "")
			if m := absentOf.FindStringSubmatch(query); m != nil {
				query = m[1]
			}
			out = append(out, RuleResult{Alert: r.Alert, Query: query})
		}
	}
	return out, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

const textfileFlag = "--collector.textfile.directory="

// textfile is the textfile collector's directory holding what backup.sh
// writes after an upload (components/vps/render/scripts/backup.sh.tmpl; its
// exact output passes promtool check metrics in tests/backup): a backup
// that finished a minute ago.
func (h *harness) textfile() (string, error) {
	dir := filepath.Join(h.dir, "textfile")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	prom := fmt.Sprintf("# HELP infra_backup_last_success_timestamp_seconds When the last database backup was uploaded.\n"+
		"# TYPE infra_backup_last_success_timestamp_seconds gauge\ninfra_backup_last_success_timestamp_seconds %d\n", time.Now().Add(-time.Minute).Unix())
	return dir, os.WriteFile(filepath.Join(dir, "infra_backup.prom"), []byte(prom), 0o644)
}
