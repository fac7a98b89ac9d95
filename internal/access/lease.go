package access

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/digitalocean/godo"
)

// Opener opens access for one operation and sweeps what earlier runs left;
// *Client is the one that talks to DigitalOcean.
type Opener interface {
	Sweep(ctx context.Context, t Target) (int, error)
	Open(ctx context.Context, t Target) (Lease, error)
}

// Lease is access that is open; Close removes it.
type Lease interface {
	Close(ctx context.Context) error
}

// Client opens and removes access through the DigitalOcean API.
type Client struct {
	API *godo.Client
	// Log receives one line per change made (the operation's progress).
	Log io.Writer
	// Now is the clock (time.Now unless a test sets it).
	Now func() time.Time
	// MaxAge is the age past which a temporary firewall is left over
	// (access.MaxAge when zero).
	MaxAge time.Duration
}

func (c *Client) maxAge() time.Duration {
	if c.MaxAge <= 0 {
		return MaxAge
	}
	return c.MaxAge
}

var _ Opener = (*Client)(nil)

func (c *Client) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c *Client) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, "access: "+format+"\n", args...)
	}
}

// lease is what one Open added: the firewall, and the clusters whose rule
// set it extended.
type lease struct {
	c          *Client
	firewallID string
	name       string
	value      string
	clusters   []string
}

// Open creates the temporary firewall (TCP 22 from the source to the
// Droplets with the target's tags), then adds the source as a trusted
// source of each cluster that does not already have it. When a step
// fails, what was opened is removed again (with a context of its own: ctx
// may be the one that was cancelled).
func (c *Client) Open(ctx context.Context, t Target) (Lease, error) {
	l := &lease{c: c, name: leaseName(t.Stack, c.now()), value: Value(t.Source)}
	fw, _, err := c.API.Firewalls.Create(ctx, &godo.FirewallRequest{
		Name: l.name,
		Tags: t.DropletTags,
		InboundRules: []godo.InboundRule{{
			Protocol: "tcp", PortRange: "22", Sources: &godo.Sources{Addresses: []string{l.value}},
		}},
	})
	if err != nil {
		// The API may have created it all the same (the request was
		// cancelled or timed out after it arrived): find it by its name.
		return nil, errors.Join(fmt.Errorf("create the temporary firewall %s: %w", l.name, err), c.deleteNamed(l.name))
	}
	l.firewallID = fw.ID
	c.logf("firewall %s lets %s reach SSH (tcp 22) on the Droplets tagged %s until this operation ends", l.name, l.value, strings.Join(t.DropletTags, ", "))
	for _, cluster := range t.Clusters {
		added, err := c.addRule(ctx, cluster, l.value)
		if err != nil {
			err = fmt.Errorf("add %s to the trusted sources of database cluster %s: %w", l.value, cluster, err)
			return nil, errors.Join(err, l.closeFresh())
		}
		if added {
			l.clusters = append(l.clusters, cluster)
			c.logf("database cluster %s trusts %s until this operation ends", cluster, l.value)
		} else {
			c.logf("database cluster %s already trusts %s: left as it is", cluster, l.value)
		}
	}
	return l, nil
}

// addRule appends an ip_addr rule to a cluster's rule set. The API's PUT
// replaces the whole set, so the set is read first and written back
// whole; a rule that is already there is not added (and so not removed).
func (c *Client) addRule(ctx context.Context, cluster, v string) (bool, error) {
	rules, _, err := c.API.Databases.GetFirewallRules(ctx, cluster)
	if err != nil {
		return false, fmt.Errorf("read its firewall: %w", err)
	}
	next := make([]*godo.DatabaseFirewallRule, 0, len(rules)+1)
	for i := range rules {
		if rules[i].Type == "ip_addr" && rules[i].Value == v {
			return false, nil
		}
		next = append(next, &rules[i])
	}
	next = append(next, &godo.DatabaseFirewallRule{Type: "ip_addr", Value: v})
	if _, err := c.API.Databases.UpdateFirewallRules(ctx, cluster, &godo.DatabaseUpdateFirewallRulesRequest{Rules: next}); err != nil {
		return false, fmt.Errorf("write its firewall: %w", err)
	}
	return true, nil
}

// dropRule removes the ip_addr rules with one of values from a cluster's
// rule set, keeping every other rule. A set without them is not written.
func (c *Client) dropRule(ctx context.Context, cluster string, values []string) (int, error) {
	rules, _, err := c.API.Databases.GetFirewallRules(ctx, cluster)
	if isNotFound(err) {
		return 0, nil // the cluster is gone, and its rules with it
	}
	if err != nil {
		return 0, fmt.Errorf("read its firewall: %w", err)
	}
	keep := make([]*godo.DatabaseFirewallRule, 0, len(rules))
	for i := range rules {
		if rules[i].Type != "ip_addr" || !slices.Contains(values, rules[i].Value) {
			keep = append(keep, &rules[i])
		}
	}
	dropped := len(rules) - len(keep)
	if dropped == 0 {
		return 0, nil
	}
	if _, err := c.API.Databases.UpdateFirewallRules(ctx, cluster, &godo.DatabaseUpdateFirewallRulesRequest{Rules: keep}); err != nil {
		return 0, fmt.Errorf("write its firewall: %w", err)
	}
	return dropped, nil
}

// Close removes the trusted sources first, then the firewall (the lease
// goes last, so nothing it let in outlives it). Every step is tried; the
// error lists what is left.
func (l *lease) Close(ctx context.Context) error {
	var errs []error
	for _, cluster := range l.clusters {
		if _, err := l.c.dropRule(ctx, cluster, []string{l.value}); err != nil {
			errs = append(errs, fmt.Errorf("remove %s from the trusted sources of database cluster %s (remove it by hand, or the next run sweeps it after %s): %w", l.value, cluster, l.c.maxAge(), err))
		} else {
			l.c.logf("database cluster %s no longer trusts %s", cluster, l.value)
		}
	}
	if len(errs) > 0 {
		// Keep the lease: it is what the sweep finds the rule by.
		return errors.Join(errs...)
	}
	if _, err := l.c.API.Firewalls.Delete(ctx, l.firewallID); err != nil && !isNotFound(err) {
		return fmt.Errorf("delete the temporary firewall %s (delete it by hand, or the next run sweeps it after %s): %w", l.name, l.c.maxAge(), err)
	}
	l.c.logf("firewall %s deleted", l.name)
	return nil
}

// closeFresh closes with a context of its own, for when the caller's may
// be cancelled.
func (l *lease) closeFresh() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return l.Close(ctx)
}

// Sweep removes what earlier runs on the stack left behind: each of its
// temporary firewalls older than its MaxAge, and before it, the trusted
// sources it let in (unless the stack declares them). Younger ones may
// belong to a run still going and stay. It returns how many it swept.
func (c *Client) Sweep(ctx context.Context, t Target) (int, error) {
	stale, err := c.staleLeases(ctx, t.Stack)
	if err != nil {
		return 0, err
	}
	swept := 0
	for _, fw := range stale {
		var values []string
		for _, r := range fw.InboundRules {
			if r.Sources == nil {
				continue
			}
			for _, a := range r.Sources.Addresses {
				if !slices.Contains(t.Declared, a) {
					values = append(values, a)
				}
			}
		}
		for _, cluster := range t.Clusters {
			n, err := c.dropRule(ctx, cluster, values)
			if err != nil {
				return swept, fmt.Errorf("sweep %s: remove %v from the trusted sources of database cluster %s: %w", fw.Name, values, cluster, err)
			}
			if n > 0 {
				c.logf("swept %d trusted source(s) %v that %s left on database cluster %s", n, values, fw.Name, cluster)
			}
		}
		if _, err := c.API.Firewalls.Delete(ctx, fw.ID); err != nil && !isNotFound(err) {
			return swept, fmt.Errorf("sweep the left-over firewall %s: %w", fw.Name, err)
		}
		c.logf("swept the left-over firewall %s", fw.Name)
		swept++
	}
	return swept, nil
}

// deleteNamed deletes the firewalls named name, with a context of its own.
func (c *Client) deleteNamed(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fws, err := c.listFirewalls(ctx)
	if err != nil {
		return fmt.Errorf("look for a firewall %s the failed request may have created (delete it by hand, or the next run sweeps it after %s): %w", name, c.maxAge(), err)
	}
	for _, fw := range fws {
		if fw.Name != name {
			continue
		}
		if _, err := c.API.Firewalls.Delete(ctx, fw.ID); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete the temporary firewall %s (delete it by hand, or the next run sweeps it after %s): %w", name, c.maxAge(), err)
		}
		c.logf("firewall %s deleted", name)
	}
	return nil
}

// listFirewalls lists every firewall of the account, page by page.
func (c *Client) listFirewalls(ctx context.Context) ([]godo.Firewall, error) {
	var out []godo.Firewall
	opt := &godo.ListOptions{Page: 1, PerPage: 200}
	for {
		page, resp, err := c.API.Firewalls.List(ctx, opt)
		if err != nil {
			return nil, fmt.Errorf("list firewalls: %w", err)
		}
		out = append(out, page...)
		if resp == nil || resp.Links == nil || resp.Links.IsLastPage() {
			return out, nil
		}
		opt.Page++
	}
}

// staleLeases lists the stack's temporary firewalls older than MaxAge, by
// the time in their name.
func (c *Client) staleLeases(ctx context.Context, stack string) ([]godo.Firewall, error) {
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(NamePrefix+safeStack(stack)) + `-([0-9]+)$`)
	fws, err := c.listFirewalls(ctx)
	if err != nil {
		return nil, err
	}
	var out []godo.Firewall
	for _, fw := range fws {
		m := re.FindStringSubmatch(fw.Name)
		if m == nil {
			continue
		}
		unix, err := strconv.ParseInt(m[1], 10, 64)
		if err == nil && c.now().Sub(time.Unix(unix, 0)) > c.maxAge() {
			out = append(out, fw)
		}
	}
	return out, nil
}

func isNotFound(err error) bool {
	var e *godo.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound
}
