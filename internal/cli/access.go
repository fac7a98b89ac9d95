package cli

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"infra/internal/access"
	"infra/internal/dotype"
	"infra/internal/plan"
)

// AccessFlags is --access-from, which preview, up, refresh and destroy
// share: the operation opens the stack's firewalls to the address it runs
// from (a CI runner), for as long as it runs (internal/access).
type AccessFlags struct {
	AccessFrom string
	// NewOpener builds what opens the access; the DigitalOcean API unless
	// a test replaces it.
	NewOpener func(getenv func(string) string, log io.Writer) (access.Opener, error)
	// flags tells a flag given empty (a CI step whose address lookup
	// came back empty) from no flag.
	flags *pflag.FlagSet
}

func newAccessFlags() AccessFlags { return AccessFlags{NewOpener: newAccessClient} }

func newAccessClient(getenv func(string) string, log io.Writer) (access.Opener, error) {
	api, err := access.NewAPI(getenv)
	if err != nil {
		return nil, err
	}
	maxAge, err := access.ParseMaxAge(getenv)
	if err != nil {
		return nil, err
	}
	return &access.Client{API: api, Log: log, MaxAge: maxAge}, nil
}

func (a *AccessFlags) addFlags(cmd *cobra.Command) {
	a.flags = cmd.Flags()
	cmd.Flags().StringVar(&a.AccessFrom, "access-from", "",
		"open SSH to the stack's Droplets and its database clusters to this IPv4 address (or range, at most /24) while the operation runs: for CI runners outside adminCidrs")
}

// accessRun is --access-from, checked before the engine runs.
type accessRun struct {
	opener access.Opener
	source netip.Prefix
}

// checkAccess reads --access-from and builds the API client: a bad
// address or a missing token is a usage error (exit 2) before anything
// runs. Without the flag it returns nil, which opens nothing.
func (a *AccessFlags) checkAccess(streams *IO, log io.Writer) (*accessRun, error) {
	if a.AccessFrom == "" {
		if a.flags != nil && a.flags.Changed("access-from") {
			return nil, usageError("--access-from is empty: the address to open the firewalls to is missing (in CI: the runner's address was not found)")
		}
		return nil, nil
	}
	src, err := access.ParseSource(a.AccessFrom)
	if err != nil {
		return nil, usageError("%v", err)
	}
	newOpener := a.NewOpener
	if newOpener == nil {
		newOpener = newAccessClient
	}
	op, err := newOpener(streams.getenv, log)
	if err != nil {
		return nil, usageError("%v", err)
	}
	return &accessRun{opener: op, source: src}, nil
}

// accessCloseTimeout bounds the removal of the access, which runs on a
// context of its own: the operation's may have been cancelled (Ctrl-C).
const accessCloseTimeout = 2 * time.Minute

// open sweeps what earlier runs left and opens access to the Droplets and
// clusters the state and the offline plan name (either may be nil). The
// close it returns must be called when the operation ends, however it
// ends; it never returns nil.
func (r *accessRun) open(ctx context.Context, stack string, st *state, p *plan.Plan) (func() error, error) {
	if r == nil {
		return func() error { return nil }, nil
	}
	t := accessTarget(stack, r.source, st, p)
	failed := func(err error) error {
		if ctx.Err() != nil {
			return &ExitError{Code: ExitCancelled, Err: fmt.Errorf("cancelled while opening access from %s; what was opened was removed again: %w", access.Value(r.source), err)}
		}
		return &ExitError{Code: ExitFailure, Err: err}
	}
	if _, err := r.opener.Sweep(ctx, t); err != nil {
		return nil, failed(fmt.Errorf("--access-from: sweep earlier runs' temporary access: %w", err))
	}
	lease, err := r.opener.Open(ctx, t)
	if err != nil {
		return nil, failed(fmt.Errorf("--access-from %s: %w", access.Value(r.source), err))
	}
	return func() error {
		cctx, cancel := context.WithTimeout(context.Background(), accessCloseTimeout)
		defer cancel()
		if err := lease.Close(cctx); err != nil {
			return &ExitError{Code: ExitFailure, Err: fmt.Errorf("--access-from: the temporary access could not all be removed: %w", err)}
		}
		return nil
	}, nil
}

// withClose runs close and adds its error to the operation's: the
// operation's error comes first and keeps its exit code.
func withClose(err error, close func() error) error {
	cerr := close()
	switch {
	case cerr == nil:
		return err
	case err == nil:
		return cerr
	}
	return &ExitError{Code: ExitCode(err), Err: fmt.Errorf("%w\n%v", err, cerr)}
}

// accessTarget names what the access opens: the Droplets by the tags the
// stack declares (its app tag, which the stack's own firewall uses too;
// none when the stack has no Droplet, so a Kubernetes stack's nodes get no
// SSH), the managed database clusters the state holds, and the ip_addr
// trusted sources the stack declares (never added, never swept).
func accessTarget(stack string, src netip.Prefix, st *state, p *plan.Plan) access.Target {
	t := access.Target{Stack: stack, Source: src}
	droplets := false
	add := func(list *[]string, v any) {
		if s, ok := v.(string); ok && s != "" && !slices.Contains(*list, s) {
			*list = append(*list, s)
		}
	}
	declared := func(rules any) {
		list, _ := rules.([]any)
		for _, r := range list {
			if m, ok := r.(map[string]any); ok && m["type"] == "ip_addr" {
				add(&t.Declared, m["value"])
			}
		}
	}
	if st != nil {
		for _, r := range st.Resources {
			if r.Delete {
				continue
			}
			switch string(r.Type) {
			case dotype.Droplet:
				droplets = true
			case dotype.Tag:
				add(&t.DropletTags, r.Inputs["name"])
			case dotype.DatabaseCluster:
				add(&t.Clusters, string(r.ID))
			case dotype.DatabaseFirewall:
				declared(r.Inputs["rules"])
			}
		}
	}
	if p != nil {
		for _, r := range p.Resources {
			switch r.Type {
			case dotype.Droplet:
				droplets = true
			case dotype.Tag:
				add(&t.DropletTags, r.Inputs["name"])
			case dotype.DatabaseFirewall:
				declared(r.Inputs["rules"])
			}
		}
	}
	if !droplets {
		t.DropletTags = nil
	}
	return t
}

// refuseFirewallChange refuses --access-from for an operation that would
// change a database firewall of the stack: writing the stack's rule set
// replaces the whole set, the temporary trusted source with it, and the
// rest of the operation would lose the database.
func refuseFirewallChange(stack, doing string, changes []Step) error {
	var hit []string
	for _, s := range changes {
		if s.Type == dotype.DatabaseFirewall && !noChangeOps[s.Op] {
			hit = append(hit, fmt.Sprintf("%s (%s)", s.Name, s.Op))
		}
	}
	if len(hit) == 0 {
		return nil
	}
	return &ExitError{Code: ExitPolicy, Err: fmt.Errorf(
		"%s of stack %s with --access-from refused: it would change the database firewall %s, which replaces the cluster's whole rule set "+
			"and with it the temporary trusted source this run depends on. Run this change from an address in infra:network.adminCidrs, without --access-from",
		doing, stack, strings.Join(hit, ", "))}
}

// databaseFirewalls lists the URNs of the stack's database firewalls.
func databaseFirewalls(st *state) []string {
	var out []string
	for _, r := range st.Resources {
		if string(r.Type) == dotype.DatabaseFirewall && !r.Delete {
			out = append(out, string(r.URN))
		}
	}
	return out
}

// refreshWithAccess refuses --refresh with --access-from on preview and
// up: the refresh would read the temporary trusted source as drift of the
// database firewall (its Read returns the cluster's whole rule set), and
// the plan would then remove it. `infra refresh --access-from` refreshes
// the database firewalls before the source is added.
func refreshWithAccess() error {
	return usageError("--refresh with --access-from would read the temporary trusted source as a change to the database firewall: " +
		"run `infra refresh --access-from ADDRESS` first (it reads the database firewalls before opening them), then this command without --refresh")
}
