// Package access opens a stack's firewalls, for the duration of one engine
// operation, to the address the operation runs from (a CI runner): a
// temporary DigitalOcean cloud firewall admitting SSH to the stack's
// Droplets, and a temporary trusted source on its managed database
// clusters. The stack's own firewalls are never edited: cloud firewalls
// combine, and the database's rule set is read, extended and written back.
//
// The temporary cloud firewall is also the lease: it is named
// infra-access-<stack>-<unix time> and created before the database rule,
// removed after it, so a run that was killed leaves a firewall that says
// which address was let in and since when. Sweep removes such leftovers
// once they are older than MaxAge.
package access

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/digitalocean/godo"
)

const (
	// NamePrefix starts the name of every temporary firewall.
	NamePrefix = "infra-access-"
	// MaxAge is how old a temporary firewall must be before another run
	// sweeps it as left over: longer than any operation runs (the
	// workflows' jobs time out after 60 minutes).
	MaxAge = 2 * time.Hour
	// MinIPv4Bits is the widest IPv4 range --access-from takes: 256
	// addresses. Every address in the range gets SSH and database access;
	// a runner needs one, and wider ranges drift towards "open to the
	// internet", which is what the stack's firewalls exist to prevent.
	MinIPv4Bits = 24

	// TokenEnv holds the API token, the one the DigitalOcean provider reads.
	TokenEnv = "DIGITALOCEAN_TOKEN"
	// APIURLEnv overrides the API's base URL: for tests and self-hosted
	// proxies.
	APIURLEnv = "INFRA_DIGITALOCEAN_API_URL"
	// MaxAgeEnv overrides MaxAge (a Go duration): for jobs that run longer
	// than it, and for tests.
	MaxAgeEnv = "INFRA_ACCESS_MAX_AGE"
)

// ParseSource reads the address an operation runs from: an IPv4 address
// (taken as /32) or a range no wider than /24, written as its network
// address.
func ParseSource(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	var p netip.Prefix
	if a, err := netip.ParseAddr(s); err == nil {
		p = netip.PrefixFrom(a, a.BitLen())
	} else if p, err = netip.ParsePrefix(s); err != nil {
		return netip.Prefix{}, fmt.Errorf("--access-from %q: not an IP address or CIDR range (e.g. 203.0.113.7 or 203.0.113.7/32)", s)
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	a := p.Addr()
	switch {
	case a.Is6():
		return netip.Prefix{}, fmt.Errorf("--access-from %s: IPv6 is not supported: DigitalOcean takes no IPv6 address as a database trusted source "+
			"(API reference, databases_update_firewall_rules). Pass the runner's IPv4 address (e.g. curl -4 -s https://api.ipify.org)", s)
	case p.Bits() < MinIPv4Bits:
		return netip.Prefix{}, fmt.Errorf("--access-from %s: a range of %d addresses is too wide (at most /%d): each of them would get SSH and database access; "+
			"pass the single address the operation runs from", s, 1<<(32-p.Bits()), MinIPv4Bits)
	case p.Masked() != p:
		return netip.Prefix{}, fmt.Errorf("--access-from %s: has host bits set; the range is %s", s, p.Masked())
	case a.IsUnspecified() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsMulticast():
		return netip.Prefix{}, fmt.Errorf("--access-from %s: not a public address; DigitalOcean sees the runner's public address", s)
	}
	return p, nil
}

// Value is how a source is written in a rule: a bare address for a single
// host, as the API shows it, a CIDR otherwise.
func Value(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// NewAPI returns the API client infra uses: the token from
// DIGITALOCEAN_TOKEN, the base URL from INFRA_DIGITALOCEAN_API_URL when
// set. getenv reads the environment.
func NewAPI(getenv func(string) string) (*godo.Client, error) {
	token := getenv(TokenEnv)
	if token == "" {
		return nil, fmt.Errorf("--access-from needs %s (the API token the DigitalOcean provider uses) to open the firewalls", TokenEnv)
	}
	var opts []godo.ClientOpt
	if base := getenv(APIURLEnv); base != "" {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("%s=%q: not an http(s) URL", APIURLEnv, base)
		}
		if !strings.HasSuffix(base, "/") {
			base += "/"
		}
		opts = append(opts, godo.SetBaseURL(base))
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: bearer{token: strings.TrimSpace(token), next: http.DefaultTransport}}
	c, err := godo.New(hc, opts...)
	if err != nil {
		return nil, fmt.Errorf("digitalocean API client: %w", err)
	}
	return c, nil
}

// ParseMaxAge reads INFRA_ACCESS_MAX_AGE: MaxAge when unset.
func ParseMaxAge(getenv func(string) string) (time.Duration, error) {
	v := getenv(MaxAgeEnv)
	if v == "" {
		return MaxAge, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: not a positive duration (e.g. 3h)", MaxAgeEnv, v)
	}
	return d, nil
}

// Target is what one operation opens, and to whom.
type Target struct {
	Stack  string
	Source netip.Prefix
	// DropletTags are the tags of the stack's Droplets (its app tag).
	DropletTags []string
	// Clusters are the UUIDs of the stack's managed database clusters.
	Clusters []string
	// Declared are the ip_addr trusted sources the stack itself declares
	// (adminCidrs): never added, never removed, never swept.
	Declared []string
}

// leaseName is the temporary firewall's name. The stack's name is kept to
// what a firewall name may hold (alphanumerics, '.', '-').
func leaseName(stack string, at time.Time) string {
	return fmt.Sprintf("%s%s-%d", NamePrefix, safeStack(stack), at.Unix())
}

func safeStack(stack string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, stack)
}

// bearer authenticates every request with the token, as godo's
// NewFromToken does through oauth2, without its retries: a failed call
// fails the operation's start or is left to the next run's sweep.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}
