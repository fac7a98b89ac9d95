// Package doapitest is a strict stand-in for the few DigitalOcean API
// endpoints infra calls itself (internal/access): cloud firewalls (list,
// create, delete) and a database cluster's firewall (get, update). It keeps
// the firewalls and trusted sources in memory, records every call, and
// refuses what the real API refuses, each rule with its source:
//
//   - API reference, https://docs.digitalocean.com/reference/api/digitalocean/
//     sections "Firewalls" (firewalls_create, firewalls_list,
//     firewalls_delete) and "Databases" (databases_list_firewall_rules,
//     databases_update_firewall_rules);
//   - the request structs of github.com/digitalocean/godo v1.243.0
//     (firewalls.go FirewallRequest, InboundRule, Sources; databases.go
//     DatabaseUpdateFirewallRulesRequest, DatabaseFirewallRule): a field
//     the client does not send is refused as unknown.
package doapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is one request the stand-in received.
type Call struct {
	Method, Path string
	Body         string
	Status       int
}

func (c Call) String() string { return c.Method + " " + c.Path }

// Rule is one trusted source of a database cluster.
type Rule struct {
	UUID  string `json:"uuid"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Firewall is a cloud firewall as the API returns it (the part infra reads).
type Firewall struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Status       string        `json:"status"`
	InboundRules []inboundRule `json:"inbound_rules"`
	DropletIDs   []int         `json:"droplet_ids"`
	Tags         []string      `json:"tags"`
	Created      string        `json:"created_at"`
}

type inboundRule struct {
	Protocol string  `json:"protocol"`
	Ports    string  `json:"ports,omitempty"`
	Sources  sources `json:"sources"`
}

type sources struct {
	Addresses        []string `json:"addresses,omitempty"`
	Tags             []string `json:"tags,omitempty"`
	DropletIDs       []int    `json:"droplet_ids,omitempty"`
	LoadBalancerUIDs []string `json:"load_balancer_uids,omitempty"`
	KubernetesIDs    []string `json:"kubernetes_ids,omitempty"`
}

// API is the stand-in. Its fields are guarded by mu; use the methods.
type API struct {
	Token  string
	Server *httptest.Server

	mu        sync.Mutex
	calls     []Call
	firewalls []*Firewall
	clusters  map[string][]Rule
	fail      map[string]int // "METHOD /path" -> status to answer with
	nextID    int
	onCall    func(Call)
}

// New starts a stand-in that accepts token; it stops with the test.
func New(t testing.TB, token string) *API {
	a := &API{Token: token, clusters: map[string][]Rule{}, fail: map[string]int{}}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Server.Close)
	return a
}

// URL is the base URL to point godo at.
func (a *API) URL() string { return a.Server.URL + "/" }

// AddCluster makes a database cluster known, with its trusted sources.
func (a *API) AddCluster(uuid string, rules ...Rule) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range rules {
		if rules[i].UUID == "" {
			rules[i].UUID = a.newID("rule")
		}
	}
	a.clusters[uuid] = rules
}

// AddFirewall plants a firewall (a leftover of a run that was killed).
func (a *API) AddFirewall(name string, created time.Time, tags []string, addresses ...string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	fw := &Firewall{
		ID: a.newID("fw"), Name: name, Status: "succeeded", Tags: tags,
		Created:      created.UTC().Format(time.RFC3339),
		InboundRules: []inboundRule{{Protocol: "tcp", Ports: "22", Sources: sources{Addresses: addresses}}},
	}
	a.firewalls = append(a.firewalls, fw)
	return fw.ID
}

// Fail makes every request "METHOD /path" answer status from now on
// (0 lifts it).
func (a *API) Fail(route string, status int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fail[route] = status
}

// OnCall runs f after every call, outside the lock.
func (a *API) OnCall(f func(Call)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.onCall = f
}

// Calls returns every call so far, in order.
func (a *API) Calls() []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls)
}

// Firewalls returns copies of the firewalls that exist now.
func (a *API) Firewalls() []Firewall {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Firewall, len(a.firewalls))
	for i, fw := range a.firewalls {
		out[i] = *fw
	}
	return out
}

// Rules returns a cluster's trusted sources now.
func (a *API) Rules(cluster string) []Rule {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.clusters[cluster])
}

func (a *API) newID(kind string) string {
	a.nextID++
	return fmt.Sprintf("%s-%04d-0000-4000-8000-%012d", kind, a.nextID, a.nextID)
}

var (
	firewallPath   = regexp.MustCompile(`^/v2/firewalls/([^/]+)$`)
	dbFirewallPath = regexp.MustCompile(`^/v2/databases/([^/]+)/firewall$`)
)

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	var body bytes.Buffer
	_, _ = body.ReadFrom(r.Body)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	a.handle(rec, r, body.Bytes())
	a.mu.Lock()
	c := Call{Method: r.Method, Path: r.URL.Path, Body: body.String(), Status: rec.status}
	a.calls = append(a.calls, c)
	hook := a.onCall
	a.mu.Unlock()
	if hook != nil {
		hook(c)
	}
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (a *API) handle(w http.ResponseWriter, r *http.Request, body []byte) {
	// Every endpoint needs the bearer token ("Authentication" in the API
	// reference: 401 unauthorized otherwise).
	if r.Header.Get("Authorization") != "Bearer "+a.Token {
		apiError(w, http.StatusUnauthorized, "unauthorized", "Unable to authenticate you.")
		return
	}
	a.mu.Lock()
	status := a.fail[r.Method+" "+r.URL.Path]
	a.mu.Unlock()
	if status != 0 {
		apiError(w, status, "server_error", "stand-in told to fail")
		return
	}
	// A request with a body is JSON (the reference's request bodies are
	// all application/json; godo's NewRequest sets it).
	if len(body) > 0 && r.Header.Get("Content-Type") != "application/json" {
		apiError(w, http.StatusUnsupportedMediaType, "bad_request", "Content-Type must be application/json")
		return
	}
	switch {
	case r.URL.Path == "/v2/firewalls" && r.Method == http.MethodGet:
		a.listFirewalls(w, r)
	case r.URL.Path == "/v2/firewalls" && r.Method == http.MethodPost:
		a.createFirewall(w, body)
	case firewallPath.MatchString(r.URL.Path) && r.Method == http.MethodDelete:
		a.deleteFirewall(w, firewallPath.FindStringSubmatch(r.URL.Path)[1])
	case dbFirewallPath.MatchString(r.URL.Path) && r.Method == http.MethodGet:
		a.getRules(w, dbFirewallPath.FindStringSubmatch(r.URL.Path)[1])
	case dbFirewallPath.MatchString(r.URL.Path) && r.Method == http.MethodPut:
		a.putRules(w, dbFirewallPath.FindStringSubmatch(r.URL.Path)[1], body)
	default:
		apiError(w, http.StatusNotFound, "not_found", "The resource you were accessing could not be found.")
	}
}

// apiError answers the way the API's error responses are documented:
// {"id": ..., "message": ..., "request_id": ...}.
func apiError(w http.ResponseWriter, status int, id, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"id": id, "message": msg, "request_id": "standin"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeStrict decodes a body, refusing unknown fields and trailing data.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON body")
	}
	return nil
}

// listFirewalls pages like the API: ?page= and ?per_page= (at most 200),
// with links.pages.next while more follow and meta.total.
func (a *API) listFirewalls(w http.ResponseWriter, r *http.Request) {
	page, perPage := 1, 20
	if v := r.URL.Query().Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	if v := r.URL.Query().Get("per_page"); v != "" {
		perPage, _ = strconv.Atoi(v)
	}
	if page < 1 || perPage < 1 || perPage > 200 {
		apiError(w, http.StatusBadRequest, "bad_request", "page must be >= 1 and per_page between 1 and 200")
		return
	}
	a.mu.Lock()
	all := make([]Firewall, len(a.firewalls))
	for i, fw := range a.firewalls {
		all[i] = *fw
	}
	a.mu.Unlock()
	from, to := min((page-1)*perPage, len(all)), min(page*perPage, len(all))
	links := map[string]any{}
	if to < len(all) {
		links["pages"] = map[string]string{"next": fmt.Sprintf("%s/v2/firewalls?page=%d&per_page=%d", a.Server.URL, page+1, perPage)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"firewalls": all[from:to], "links": links, "meta": map[string]int{"total": len(all)}})
}

// firewallName is the documented pattern of a firewall's name: "must
// begin with an alphanumeric character. Subsequent characters must either
// be alphanumeric characters, a period (.), or a dash (-)" (max 255).
var firewallName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$`)

var protocols = []string{"tcp", "udp", "icmp"}

func (a *API) createFirewall(w http.ResponseWriter, body []byte) {
	var req struct {
		Name          string        `json:"name"`
		InboundRules  []inboundRule `json:"inbound_rules"`
		OutboundRules []any         `json:"outbound_rules"`
		DropletIDs    []int         `json:"droplet_ids"`
		Tags          []string      `json:"tags"`
	}
	if err := decodeStrict(body, &req); err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", "malformed request body: "+err.Error())
		return
	}
	var problems []string
	if !firewallName.MatchString(req.Name) {
		problems = append(problems, fmt.Sprintf("name %q is invalid", req.Name))
	}
	if len(req.InboundRules) == 0 && len(req.OutboundRules) == 0 {
		problems = append(problems, "at least one inbound or outbound rule is required")
	}
	for i, rule := range req.InboundRules {
		if !slices.Contains(protocols, rule.Protocol) {
			problems = append(problems, fmt.Sprintf("inbound_rules[%d].protocol %q must be tcp, udp or icmp", i, rule.Protocol))
		}
		if rule.Protocol != "icmp" && rule.Ports == "" {
			problems = append(problems, fmt.Sprintf("inbound_rules[%d].ports is required for %s", i, rule.Protocol))
		}
		s := rule.Sources
		if len(s.Addresses)+len(s.Tags)+len(s.DropletIDs)+len(s.LoadBalancerUIDs)+len(s.KubernetesIDs) == 0 {
			problems = append(problems, fmt.Sprintf("inbound_rules[%d].sources is empty", i))
		}
	}
	if len(problems) > 0 {
		apiError(w, http.StatusUnprocessableEntity, "unprocessable_entity", strings.Join(problems, "; "))
		return
	}
	a.mu.Lock()
	fw := &Firewall{
		ID: a.newID("fw"), Name: req.Name, Status: "waiting", InboundRules: req.InboundRules,
		DropletIDs: req.DropletIDs, Tags: req.Tags, Created: time.Now().UTC().Format(time.RFC3339),
	}
	a.firewalls = append(a.firewalls, fw)
	out := *fw
	a.mu.Unlock()
	// firewalls_create answers 202 Accepted with the firewall.
	writeJSON(w, http.StatusAccepted, map[string]any{"firewall": out})
}

func (a *API) deleteFirewall(w http.ResponseWriter, id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := slices.IndexFunc(a.firewalls, func(fw *Firewall) bool { return fw.ID == id })
	if i < 0 {
		apiError(w, http.StatusNotFound, "not_found", "The resource you were accessing could not be found.")
		return
	}
	a.firewalls = slices.Delete(a.firewalls, i, i+1)
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) getRules(w http.ResponseWriter, cluster string) {
	a.mu.Lock()
	rules, ok := a.clusters[cluster]
	out := make([]map[string]any, len(rules))
	for i, r := range rules {
		out[i] = map[string]any{"uuid": r.UUID, "cluster_uuid": cluster, "type": r.Type, "value": r.Value, "created_at": "2026-01-01T00:00:00Z"}
	}
	a.mu.Unlock()
	if !ok {
		apiError(w, http.StatusNotFound, "not_found", "The resource you were accessing could not be found.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": out})
}

// ruleTypes are the documented values of a trusted source's type.
var ruleTypes = []string{"droplet", "k8s", "ip_addr", "tag", "app"}

// putRules replaces the whole rule set, as databases_update_firewall_rules
// documents ("any existing rules not included will be removed"), and
// answers 204.
func (a *API) putRules(w http.ResponseWriter, cluster string, body []byte) {
	var req struct {
		Rules []*struct {
			UUID        string `json:"uuid"`
			ClusterUUID string `json:"cluster_uuid"`
			Type        string `json:"type"`
			Value       string `json:"value"`
			CreatedAt   string `json:"created_at"`
		} `json:"rules"`
	}
	if err := decodeStrict(body, &req); err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", "malformed request body: "+err.Error())
		return
	}
	if req.Rules == nil {
		apiError(w, http.StatusUnprocessableEntity, "unprocessable_entity", "rules is required")
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.clusters[cluster]; !ok {
		apiError(w, http.StatusNotFound, "not_found", "The resource you were accessing could not be found.")
		return
	}
	var problems []string
	next := make([]Rule, 0, len(req.Rules))
	for i, r := range req.Rules {
		if r == nil || !slices.Contains(ruleTypes, r.Type) || r.Value == "" {
			problems = append(problems, fmt.Sprintf("rules[%d]: type must be one of %v and value is required", i, ruleTypes))
			continue
		}
		// "You cannot add IPv6 addresses as trusted sources."
		if a, err := netip.ParsePrefix(r.Value); r.Type == "ip_addr" && (strings.Contains(r.Value, ":") || err == nil && a.Addr().Is6()) {
			problems = append(problems, fmt.Sprintf("rules[%d]: IPv6 address %s cannot be a trusted source", i, r.Value))
		}
		if r.ClusterUUID != "" && r.ClusterUUID != cluster {
			problems = append(problems, fmt.Sprintf("rules[%d].cluster_uuid %s is another cluster", i, r.ClusterUUID))
		}
		uuid := r.UUID
		if uuid == "" {
			uuid = a.newID("rule")
		}
		next = append(next, Rule{UUID: uuid, Type: r.Type, Value: r.Value})
	}
	if len(problems) > 0 {
		apiError(w, http.StatusUnprocessableEntity, "unprocessable_entity", strings.Join(problems, "; "))
		return
	}
	a.clusters[cluster] = next
	w.WriteHeader(http.StatusNoContent)
}
