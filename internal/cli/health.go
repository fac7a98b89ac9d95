package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// HealthOptions are the flags of `infra health`.
type HealthOptions struct {
	StackOptions
	URLs        []string
	Continuous  bool
	Interval    time.Duration
	Count       int
	Timeout     time.Duration
	CAFile      string
	MinCertDays int
	// LetsEncryptStaging trusts Let's Encrypt's staging roots; with
	// --stack it follows the stack's infra:ingress.issuer.
	LetsEncryptStaging bool
	// StagingRoots are those roots (tests hand in their own CA).
	StagingRoots func() ([]*x509.Certificate, error)
	// Now is the clock (tests may fix it).
	Now func() time.Time
}

// Probe is one endpoint's health at one moment.
type Probe struct {
	Service      string         `json:"service"`
	URL          string         `json:"url"`
	Status       int            `json:"status,omitempty"`
	LatencyMS    int64          `json:"latencyMs"`
	CertDaysLeft *int           `json:"certDaysLeft,omitempty"`
	CertExpires  string         `json:"certExpires,omitempty"`
	HealthStatus string         `json:"healthStatus,omitempty"`
	Health       map[string]any `json:"health,omitempty"`
	Healthy      bool           `json:"healthy"`
	Problems     []string       `json:"problems,omitempty"`
}

// HealthRound is one pass over every endpoint; `--json` prints one per line.
type HealthRound struct {
	Round     int       `json:"round"`
	CheckedAt time.Time `json:"checkedAt"`
	Healthy   bool      `json:"healthy"`
	Endpoints []Probe   `json:"endpoints"`
}

// seconds is a flag taking seconds ("60", as seed 001's CLI) or a Go
// duration ("500ms").
type seconds struct{ d *time.Duration }

func (s seconds) String() string { return s.d.String() }
func (s seconds) Type() string   { return "seconds" }
func (s seconds) Set(v string) error {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		*s.d = time.Duration(n * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("want seconds (60) or a duration (90s, 500ms): %q", v)
	}
	*s.d = d
	return nil
}

// NewCmdHealth builds `infra health`. runF replaces the action in tests.
func NewCmdHealth(streams *IO, runF func(*HealthOptions) error) *cobra.Command {
	opts := &HealthOptions{StackOptions: newStackOptions(streams), Interval: time.Minute, Timeout: 10 * time.Second, Now: time.Now, StagingRoots: stagingRoots}
	cmd := &cobra.Command{
		Use:   "health (--stack NAME | --url URL...) [--continuous --interval N]",
		Short: "Probe the public endpoints: HTTPS status, certificate days left, health JSON",
		Long: `health probes each public endpoint of the stack (the "endpoints" output) or
each --url: an HTTPS GET of the service's health path, the HTTP status, the days
left on the TLS certificate, and the health path's JSON ("status" field).

Certificates are always verified: chain, host name, dates. A stack whose
infra:ingress.issuer is letsencrypt-staging (the default outside production)
gets Let's Encrypt's staging roots added to the trusted ones, and only such a
stack (or --letsencrypt-staging with --url).

An endpoint is unhealthy when the request fails, the status is not 2xx, the
certificate expires within --min-cert-days, or the JSON status is not ok,
healthy, up or pass. Exit 1 when any endpoint is unhealthy (in --continuous
mode: in the last round).

--continuous probes every --interval (seconds, or a duration) until Ctrl-C, or
--count rounds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(opts.URLs) == 0 && opts.Stack == "" {
				return usageError("give --stack (its endpoints output) or --url")
			}
			if opts.Continuous && opts.Interval <= 0 {
				return usageError("--interval must be positive")
			}
			if runF != nil {
				return runF(opts)
			}
			return runHealth(cmd.Context(), opts)
		},
	}
	opts.addFlags(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&opts.URLs, "url", nil, "probe this URL instead of the stack's endpoints (repeatable)")
	f.BoolVar(&opts.Continuous, "continuous", false, "probe again every --interval")
	f.Var(seconds{&opts.Interval}, "interval", "time between rounds: seconds (60) or a duration (90s)")
	f.IntVar(&opts.Count, "count", 0, "with --continuous: stop after this many rounds (0: until Ctrl-C)")
	f.DurationVar(&opts.Timeout, "timeout", opts.Timeout, "timeout of each request")
	f.StringVar(&opts.CAFile, "ca-file", "", "PEM file of extra trusted CAs (e.g. Let's Encrypt staging)")
	f.IntVar(&opts.MinCertDays, "min-cert-days", 14, "unhealthy when the certificate expires sooner")
	f.BoolVar(&opts.LetsEncryptStaging, "letsencrypt-staging", false, "trust Let's Encrypt's staging roots (default with --stack: when its infra:ingress.issuer is letsencrypt-staging)")
	return cmd
}

type target struct{ service, url string }

func runHealth(ctx context.Context, o *HealthOptions) error {
	staging, err := o.staging()
	if err != nil {
		return err
	}
	targets, err := healthTargets(ctx, o)
	if err != nil {
		return err
	}
	client, err := o.client(staging)
	if err != nil {
		return err
	}
	var last HealthRound
	for round := 1; ; round++ {
		last = HealthRound{Round: round, CheckedAt: o.Now().UTC(), Healthy: true}
		for _, t := range targets {
			p := probe(ctx, client, t, o.Now, o.MinCertDays)
			last.Healthy = last.Healthy && p.Healthy
			last.Endpoints = append(last.Endpoints, p)
		}
		if err := o.writeRound(last); err != nil {
			return err
		}
		if !o.Continuous || (o.Count > 0 && round >= o.Count) {
			break
		}
		select {
		case <-ctx.Done():
			return &ExitError{Code: ExitCancelled, Err: fmt.Errorf("health checks stopped after %d round(s)", round)}
		case <-time.After(o.Interval):
		}
	}
	if !last.Healthy {
		n := 0
		for _, p := range last.Endpoints {
			if !p.Healthy {
				n++
			}
		}
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%d of %d endpoint(s) unhealthy", n, len(last.Endpoints))}
	}
	return nil
}

// healthTargets are the --url flags, or the stack's endpoints output.
func healthTargets(ctx context.Context, o *HealthOptions) ([]target, error) {
	var ts []target
	for _, u := range o.URLs {
		ts = append(ts, target{service: "-", url: u})
	}
	if len(ts) > 0 {
		return ts, nil
	}
	s, _, err := o.open(ctx, false)
	if err != nil {
		return nil, err
	}
	outs, err := s.Outputs(ctx)
	if err != nil {
		return nil, classify(err, o.Stack, "read outputs")
	}
	list, _ := outs["endpoints"].Value.([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		service, _ := m["service"].(string)
		u, _ := m["health"].(string)
		if u == "" {
			u, _ = m["url"].(string)
		}
		if u != "" {
			ts = append(ts, target{service: service, url: u})
		}
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("stack %s has no public endpoints (the endpoints output is empty)", o.Stack)
	}
	return ts, nil
}

// staging reports whether to trust Let's Encrypt's staging roots: asked
// for, or the stack's config says its certificates come from staging.
func (o *HealthOptions) staging() (bool, error) {
	if o.LetsEncryptStaging || o.Stack == "" {
		return o.LetsEncryptStaging, nil
	}
	proj, err := openProject(o.Dir, o.Stack)
	if err != nil {
		return false, err
	}
	staging, err := usesStagingIssuer(proj)
	if err != nil {
		return false, fmt.Errorf("read the issuer of stack %s: %w", o.Stack, err)
	}
	return staging, nil
}

func (o *HealthOptions) client(staging bool) (*http.Client, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if staging {
		roots, err := o.StagingRoots()
		if err != nil {
			return nil, err
		}
		for _, c := range roots {
			pool.AddCert(c)
		}
		fmt.Fprintf(o.IO.ErrOut, "Trusting Let's Encrypt's staging roots (issuer %s).\n", stagingIssuer)
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read --ca-file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageError("--ca-file %s holds no PEM certificate", o.CAFile)
		}
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, DisableKeepAlives: true}
	return &http.Client{Transport: tr, Timeout: o.Timeout}, nil
}

var healthyStatuses = map[string]bool{"ok": true, "healthy": true, "up": true, "pass": true}

// probe GETs one endpoint and judges it.
func probe(ctx context.Context, client *http.Client, t target, now func() time.Time, minCertDays int) Probe {
	p := Probe{Service: t.service, URL: t.url}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url, nil)
	if err != nil {
		p.Problems = append(p.Problems, err.Error())
		return p
	}
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := client.Do(req)
	p.LatencyMS = time.Since(start).Milliseconds()
	if err != nil {
		p.Problems = append(p.Problems, err.Error())
		return p
	}
	defer resp.Body.Close()
	p.Status = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		p.Problems = append(p.Problems, fmt.Sprintf("HTTP %d", resp.StatusCode))
	}
	if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 {
		p.Problems = append(p.Problems, "not served over HTTPS")
	} else {
		cert := resp.TLS.PeerCertificates[0]
		days := int(cert.NotAfter.Sub(now()).Hours() / 24)
		p.CertDaysLeft, p.CertExpires = &days, cert.NotAfter.UTC().Format(time.RFC3339)
		if days < minCertDays {
			p.Problems = append(p.Problems, fmt.Sprintf("certificate expires in %d day(s)", days))
		}
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil {
		p.Health = doc
		for _, k := range []string{"status", "Status"} {
			if s, ok := doc[k].(string); ok {
				p.HealthStatus = s
				if !healthyStatuses[strings.ToLower(s)] {
					p.Problems = append(p.Problems, fmt.Sprintf("health status %q", s))
				}
				break
			}
		}
	}
	p.Healthy = len(p.Problems) == 0
	return p
}

func (o *HealthOptions) writeRound(r HealthRound) error {
	if o.JSON {
		return json.NewEncoder(o.IO.Out).Encode(r) // one line per round
	}
	w := tabwriter.NewWriter(o.IO.Out, 0, 4, 2, ' ', 0)
	if o.Continuous {
		fmt.Fprintf(w, "Round %d at %s\n", r.Round, r.CheckedAt.Format(time.RFC3339))
	}
	fmt.Fprintln(w, "SERVICE\tURL\tHTTP\tCERT DAYS\tHEALTH\tLATENCY\tRESULT")
	for _, p := range r.Endpoints {
		status, days, health := "-", "-", p.HealthStatus
		if p.Status != 0 {
			status = strconv.Itoa(p.Status)
		}
		if p.CertDaysLeft != nil {
			days = strconv.Itoa(*p.CertDaysLeft)
		}
		if health == "" {
			health = "-"
		}
		result := "ok"
		if !p.Healthy {
			result = "UNHEALTHY: " + strings.Join(p.Problems, "; ")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%dms\t%s\n", p.Service, p.URL, status, days, health, p.LatencyMS, result)
	}
	return w.Flush()
}
