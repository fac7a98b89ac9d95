package stacks

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/stacks/config"
)

// Endpoint is one public HTTPS endpoint of the application: the stack's
// "endpoints" output, probed by `infra health` and uptime checks.
type Endpoint struct {
	Service string `json:"service"`
	URL     string `json:"url"`
	// Health is the URL of the service's health path (empty without one).
	Health string `json:"health,omitempty"`
}

// Endpoints lists the public services' URLs, in service order. They follow
// from the config alone: https://<host>.<domain><path>, "@" the apex.
func Endpoints(c *config.Config) []Endpoint {
	var out []Endpoint
	for _, s := range c.Services {
		if s.Public == nil {
			continue
		}
		host := c.Domain
		if s.Public.Host != "@" {
			host = s.Public.Host + "." + c.Domain
		}
		path := s.Public.Path
		if path == "" {
			path = "/"
		}
		e := Endpoint{Service: s.Name, URL: "https://" + host + path}
		if s.Health != "" {
			e.Health = "https://" + host + strings.TrimSuffix(path, "/") + s.Health
		}
		out = append(out, e)
	}
	return out
}

// endpointsOutput is Endpoints as a stack output (always a list).
func endpointsOutput(es []Endpoint) pulumi.Array {
	arr := pulumi.Array{}
	for _, e := range es {
		m := pulumi.Map{"service": pulumi.String(e.Service), "url": pulumi.String(e.URL)}
		if e.Health != "" {
			m["health"] = pulumi.String(e.Health)
		}
		arr = append(arr, m)
	}
	return arr
}
