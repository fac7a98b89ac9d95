package doapitest

import (
	"net/http"
	"strings"
	"testing"
)

// The stand-in refuses what the API refuses: each case is one documented
// rule (see the package comment for the sources).
func TestRefuses(t *testing.T) {
	api := New(t, "tok")
	api.AddCluster("c1", Rule{Type: "tag", Value: "app"})
	tests := []struct {
		name, method, path, token, ctype, body string
		status                                 int
	}{
		{"no token", "GET", "/v2/firewalls", "", "", "", 401},
		{"wrong token", "GET", "/v2/firewalls", "nope", "", "", 401},
		{"list", "GET", "/v2/firewalls", "tok", "", "", 200},
		{"per_page over 200", "GET", "/v2/firewalls?per_page=201", "tok", "", "", 400},
		{"not JSON", "POST", "/v2/firewalls", "tok", "text/plain", `{}`, 415},
		{"malformed", "POST", "/v2/firewalls", "tok", "application/json", `{"name":`, 400},
		{"unknown field", "POST", "/v2/firewalls", "tok", "application/json", `{"name":"a","label":"x"}`, 400},
		{"bad name", "POST", "/v2/firewalls", "tok", "application/json", `{"name":"-a_b","inbound_rules":[{"protocol":"tcp","ports":"22","sources":{"addresses":["1.2.3.4"]}}]}`, 422},
		{"no rules", "POST", "/v2/firewalls", "tok", "application/json", `{"name":"a"}`, 422},
		{"tcp without ports", "POST", "/v2/firewalls", "tok", "application/json", `{"name":"a","inbound_rules":[{"protocol":"tcp","sources":{"addresses":["1.2.3.4"]}}]}`, 422},
		{"no sources", "POST", "/v2/firewalls", "tok", "application/json", `{"name":"a","inbound_rules":[{"protocol":"tcp","ports":"22","sources":{}}]}`, 422},
		{"bad protocol", "POST", "/v2/firewalls", "tok", "application/json", `{"name":"a","inbound_rules":[{"protocol":"ssh","ports":"22","sources":{"addresses":["1.2.3.4"]}}]}`, 422},
		{"create", "POST", "/v2/firewalls", "tok", "application/json", `{"name":"a.b-1","inbound_rules":[{"protocol":"tcp","ports":"22","sources":{"addresses":["1.2.3.4"]}}]}`, 202},
		{"delete unknown", "DELETE", "/v2/firewalls/nope", "tok", "", "", 404},
		{"rules of unknown cluster", "GET", "/v2/databases/c2/firewall", "tok", "", "", 404},
		{"rules", "GET", "/v2/databases/c1/firewall", "tok", "", "", 200},
		{"put without rules", "PUT", "/v2/databases/c1/firewall", "tok", "application/json", `{}`, 422},
		{"put bad type", "PUT", "/v2/databases/c1/firewall", "tok", "application/json", `{"rules":[{"type":"cidr","value":"1.2.3.4"}]}`, 422},
		{"put empty value", "PUT", "/v2/databases/c1/firewall", "tok", "application/json", `{"rules":[{"type":"ip_addr","value":""}]}`, 422},
		{"put other cluster's rule", "PUT", "/v2/databases/c1/firewall", "tok", "application/json", `{"rules":[{"type":"ip_addr","value":"1.2.3.4","cluster_uuid":"c9"}]}`, 422},
		{"put IPv6 trusted source", "PUT", "/v2/databases/c1/firewall", "tok", "application/json", `{"rules":[{"type":"ip_addr","value":"2001:db8::7"}]}`, 422},
		{"put unknown field", "PUT", "/v2/databases/c1/firewall", "tok", "application/json", `{"rules":[],"replace":true}`, 400},
		{"put", "PUT", "/v2/databases/c1/firewall", "tok", "application/json", `{"rules":[{"type":"ip_addr","value":"1.2.3.4"}]}`, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, api.Server.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
			}
		})
	}
	calls := api.Calls()
	if len(calls) != len(tests) || calls[0].Status != 401 || calls[len(calls)-1].Status != 204 {
		t.Errorf("recorded %d calls, want %d", len(calls), len(tests))
	}
	if rules := api.Rules("c1"); len(rules) != 1 || rules[0].Value != "1.2.3.4" {
		t.Errorf("the PUT replaces the whole set: %+v", rules)
	}
}
