package access

import (
	"bytes"
	"context"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"infra/internal/doapitest"
)

const (
	token   = "dop_v1_test"
	cluster = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"
)

func TestParseSource(t *testing.T) {
	tests := []struct {
		in, want, problem string
	}{
		{in: "203.0.113.7", want: "203.0.113.7/32"},
		{in: " 203.0.113.7/32 ", want: "203.0.113.7/32"},
		{in: "203.0.113.0/24", want: "203.0.113.0/24"},
		{in: "::ffff:203.0.113.7", want: "203.0.113.7/32"},
		{in: "0.0.0.0/0", problem: "too wide"},
		{in: "203.0.112.0/23", problem: "512 addresses is too wide"},
		{in: "203.0.113.7/24", problem: "the range is 203.0.113.0/24"},
		{in: "2001:db8::7", problem: "IPv6 is not supported"},
		{in: "2001:db8::/64", problem: "IPv6 is not supported"},
		{in: "10.0.0.7", problem: "not a public address"},
		{in: "127.0.0.1", problem: "not a public address"},
		{in: "runner", problem: "not an IP address or CIDR range"},
		{in: "", problem: "not an IP address or CIDR range"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSource(tt.in)
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("ParseSource(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.problem)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("ParseSource(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNewAPI(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		problem string
	}{
		{"no token", map[string]string{}, "needs DIGITALOCEAN_TOKEN"},
		{"bad url", map[string]string{TokenEnv: "x", APIURLEnv: "ftp://proxy"}, "not an http(s) URL"},
		{"default url", map[string]string{TokenEnv: "x"}, ""},
		{"proxy", map[string]string{TokenEnv: "x", APIURLEnv: "https://proxy.internal/do"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewAPI(func(k string) string { return tt.env[k] })
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("err %v, want %q", err, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := "https://api.digitalocean.com/"
			if u := tt.env[APIURLEnv]; u != "" {
				want = u + "/"
			}
			if c.BaseURL.String() != want {
				t.Errorf("base URL %s, want %s", c.BaseURL, want)
			}
		})
	}
}

// client returns a Client on a fresh stand-in, the clock at now.
func client(t *testing.T, now time.Time) (*Client, *doapitest.API, *bytes.Buffer) {
	t.Helper()
	api := doapitest.New(t, token)
	c, err := NewAPI(func(k string) string {
		return map[string]string{TokenEnv: token, APIURLEnv: api.URL()}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	return &Client{API: c, Log: &log, Now: func() time.Time { return now }}, api, &log
}

func target() Target {
	return Target{
		Stack: "prod", Source: netip.MustParsePrefix("203.0.113.7/32"),
		DropletTags: []string{"focusdeck-prod-app"}, Clusters: []string{cluster},
		Declared: []string{"198.51.100.0/24"},
	}
}

// stackRules are the trusted sources a stack declares: its app tag and
// its adminCidrs.
var stackRules = []doapitest.Rule{
	{Type: "tag", Value: "focusdeck-prod-app"},
	{Type: "ip_addr", Value: "198.51.100.0/24"},
}

func values(rules []doapitest.Rule) []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.Type + ":" + r.Value
	}
	return out
}

func TestOpenClose(t *testing.T) {
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		rules []doapitest.Rule
		// during are the rules while the lease is open.
		during []string
		// puts is how many rule-set writes open and close make together.
		puts int
	}{
		{
			name: "appends and removes only its rule", rules: stackRules,
			during: []string{"tag:focusdeck-prod-app", "ip_addr:198.51.100.0/24", "ip_addr:203.0.113.7"}, puts: 2,
		},
		{
			name:   "a rule already there is neither added nor removed",
			rules:  append(slices.Clone(stackRules), doapitest.Rule{Type: "ip_addr", Value: "203.0.113.7"}),
			during: []string{"tag:focusdeck-prod-app", "ip_addr:198.51.100.0/24", "ip_addr:203.0.113.7"}, puts: 0,
		},
		{
			name: "the same value as another type is not ours", rules: []doapitest.Rule{{Type: "tag", Value: "203.0.113.7"}},
			during: []string{"tag:203.0.113.7", "ip_addr:203.0.113.7"}, puts: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api, _ := client(t, now)
			api.AddCluster(cluster, slices.Clone(tt.rules)...)
			before := api.Rules(cluster)
			l, err := c.Open(context.Background(), target())
			if err != nil {
				t.Fatal(err)
			}
			fws := api.Firewalls()
			if len(fws) != 1 || fws[0].Name != "infra-access-prod-1796529600" || !slices.Equal(fws[0].Tags, []string{"focusdeck-prod-app"}) {
				t.Fatalf("firewalls while open: %+v", fws)
			}
			if in := fws[0].InboundRules; len(in) != 1 || in[0].Protocol != "tcp" || in[0].Ports != "22" || !slices.Equal(in[0].Sources.Addresses, []string{"203.0.113.7"}) {
				t.Errorf("the temporary firewall admits %+v, want tcp 22 from 203.0.113.7 only", in)
			}
			if got := values(api.Rules(cluster)); !slices.Equal(got, tt.during) {
				t.Errorf("rules while open: %v, want %v", got, tt.during)
			}
			if err := l.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if fws := api.Firewalls(); len(fws) != 0 {
				t.Errorf("firewalls after close: %+v", fws)
			}
			// The other rules keep their identity (uuid), not just their values.
			if after := api.Rules(cluster); !slices.Equal(after, before) {
				t.Errorf("rules after close: %+v, want %+v", after, before)
			}
			puts := 0
			for _, call := range api.Calls() {
				if call.Method == http.MethodPut {
					puts++
				}
			}
			if puts != tt.puts {
				t.Errorf("%d rule-set writes, want %d: %v", puts, tt.puts, api.Calls())
			}
		})
	}
}

func TestOpenFailures(t *testing.T) {
	fwRoute := "POST /v2/firewalls"
	getRoute := "GET /v2/databases/" + cluster + "/firewall"
	putRoute := "PUT /v2/databases/" + cluster + "/firewall"
	tests := []struct {
		name, fail, problem string
		status              int
	}{
		{"firewall refused", fwRoute, "create the temporary firewall infra-access-prod-", http.StatusUnprocessableEntity},
		{"rules unreadable", getRoute, "read its firewall", http.StatusInternalServerError},
		{"rules not written", putRoute, "write its firewall", http.StatusTooManyRequests},
		{"no such cluster", "", "404", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api, _ := client(t, time.Now())
			if tt.fail != "" {
				api.AddCluster(cluster, stackRules...)
				api.Fail(tt.fail, tt.status)
			}
			before := api.Rules(cluster)
			l, err := c.Open(context.Background(), target())
			if err == nil || !strings.Contains(err.Error(), tt.problem) {
				t.Fatalf("Open: %v, %v; want an error with %q", l, err, tt.problem)
			}
			// What was opened before the failure is closed again.
			if fws := api.Firewalls(); len(fws) != 0 {
				t.Errorf("a failed open left %+v", fws)
			}
			if after := api.Rules(cluster); !slices.Equal(after, before) {
				t.Errorf("a failed open changed the rules: %+v -> %+v", before, after)
			}
		})
	}
}

func TestCloseFailureKeepsTheLease(t *testing.T) {
	c, api, _ := client(t, time.Now())
	api.AddCluster(cluster, stackRules...)
	l, err := c.Open(context.Background(), target())
	if err != nil {
		t.Fatal(err)
	}
	api.Fail("PUT /v2/databases/"+cluster+"/firewall", http.StatusServiceUnavailable)
	err = l.Close(context.Background())
	if err == nil || !strings.Contains(err.Error(), "remove 203.0.113.7 from the trusted sources") || !strings.Contains(err.Error(), "sweeps it after") {
		t.Fatalf("Close: %v", err)
	}
	// The firewall stays: it is how the next run's sweep finds the rule.
	if fws := api.Firewalls(); len(fws) != 1 {
		t.Errorf("firewalls after a failed close: %+v", fws)
	}
	api.Fail("PUT /v2/databases/"+cluster+"/firewall", 0)
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(api.Firewalls()) != 0 || len(api.Rules(cluster)) != len(stackRules) {
		t.Errorf("after a second close: %+v, %+v", api.Firewalls(), api.Rules(cluster))
	}
}

func TestSweep(t *testing.T) {
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	old, recent := now.Add(-MaxAge-time.Minute), now.Add(-MaxAge+time.Minute)
	tests := []struct {
		name string
		// plant are leftover firewalls: name and creation time.
		plant     map[string]time.Time
		extra     []doapitest.Rule
		swept     int
		keptNames []string
		rules     []string
	}{
		{
			name:  "an old lease and its rule go",
			plant: map[string]time.Time{"infra-access-prod-" + itoa(old): old},
			extra: []doapitest.Rule{{Type: "ip_addr", Value: "203.0.113.9"}},
			swept: 1, rules: []string{"tag:focusdeck-prod-app", "ip_addr:198.51.100.0/24"},
		},
		{
			name:  "a recent lease may be a run still going",
			plant: map[string]time.Time{"infra-access-prod-" + itoa(recent): recent},
			extra: []doapitest.Rule{{Type: "ip_addr", Value: "203.0.113.9"}},
			swept: 0, keptNames: []string{"infra-access-prod-" + itoa(recent)},
			rules: []string{"tag:focusdeck-prod-app", "ip_addr:198.51.100.0/24", "ip_addr:203.0.113.9"},
		},
		{
			name: "other stacks' leases and other firewalls stay",
			plant: map[string]time.Time{
				"infra-access-dev-" + itoa(old): old, "infra-access-prod-x-" + itoa(old): old, "focusdeck-prod": old,
			},
			keptNames: []string{"focusdeck-prod", "infra-access-dev-" + itoa(old), "infra-access-prod-x-" + itoa(old)},
			rules:     []string{"tag:focusdeck-prod-app", "ip_addr:198.51.100.0/24"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api, log := client(t, now)
			api.AddCluster(cluster, append(slices.Clone(stackRules), tt.extra...)...)
			for name, at := range tt.plant {
				api.AddFirewall(name, at, []string{"focusdeck-prod-app"}, "203.0.113.9")
			}
			n, err := c.Sweep(context.Background(), target())
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.swept {
				t.Errorf("swept %d, want %d\n%s", n, tt.swept, log)
			}
			var names []string
			for _, fw := range api.Firewalls() {
				names = append(names, fw.Name)
			}
			slices.Sort(names)
			if !slices.Equal(names, tt.keptNames) {
				t.Errorf("firewalls left: %v, want %v", names, tt.keptNames)
			}
			if got := values(api.Rules(cluster)); !slices.Equal(got, tt.rules) {
				t.Errorf("rules left: %v, want %v", got, tt.rules)
			}
		})
	}
}

// A lease that let in a declared address (adminCidrs) does not take the
// stack's own rule with it.
func TestSweepKeepsDeclared(t *testing.T) {
	now := time.Now()
	c, api, _ := client(t, now)
	api.AddCluster(cluster, stackRules...)
	before := api.Rules(cluster)
	old := now.Add(-3 * time.Hour)
	api.AddFirewall("infra-access-prod-"+itoa(old), old, nil, "198.51.100.0/24")
	if n, err := c.Sweep(context.Background(), target()); err != nil || n != 1 {
		t.Fatalf("Sweep: %d, %v", n, err)
	}
	if got := api.Rules(cluster); !slices.Equal(got, before) {
		t.Errorf("rules after the sweep: %+v, want %+v", got, before)
	}
}

// The sweep reads every page of the firewall list.
func TestSweepPages(t *testing.T) {
	now := time.Now()
	c, api, _ := client(t, now)
	api.AddCluster(cluster, stackRules...)
	for i := range 205 {
		api.AddFirewall("other-"+itoa(now.Add(time.Duration(i)*time.Second)), now, nil, "192.0.2.1")
	}
	old := now.Add(-3 * time.Hour)
	api.AddFirewall("infra-access-prod-"+itoa(old), old, nil, "203.0.113.9")
	if n, err := c.Sweep(context.Background(), target()); err != nil || n != 1 {
		t.Fatalf("Sweep: %d, %v", n, err)
	}
	if len(api.Firewalls()) != 205 {
		t.Errorf("%d firewalls left, want the 205 others", len(api.Firewalls()))
	}
}

func TestStandInRefuses(t *testing.T) {
	api := doapitest.New(t, token)
	wrong, err := NewAPI(func(k string) string { return map[string]string{TokenEnv: "wrong", APIURLEnv: api.URL()}[k] })
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{API: wrong}
	if _, err := c.Sweep(context.Background(), target()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a wrong token: %v", err)
	}
}

func itoa(at time.Time) string { return strconv.FormatInt(at.Unix(), 10) }

// A create whose answer is lost (cancelled after the API acted on it)
// leaves no firewall: Open finds it by its name and deletes it.
func TestOpenLostCreateAnswer(t *testing.T) {
	c, api, _ := client(t, time.Now())
	api.AddCluster(cluster, stackRules...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api.OnCall(func(call doapitest.Call) {
		if call.String() == "POST /v2/firewalls" {
			cancel()
		}
	})
	if _, err := c.Open(ctx, target()); err == nil {
		t.Fatal("Open succeeded on a cancelled context")
	}
	if fws := api.Firewalls(); len(fws) != 0 {
		t.Errorf("left %+v", fws)
	}
}

func TestParseMaxAge(t *testing.T) {
	for in, want := range map[string]string{"": MaxAge.String(), "3h": "3h0m0s", "0s": "error", "-1h": "error", "two hours": "error"} {
		d, err := ParseMaxAge(func(string) string { return in })
		got := d.String()
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("%s=%q: %s, want %s", MaxAgeEnv, in, got, want)
		}
	}
}
