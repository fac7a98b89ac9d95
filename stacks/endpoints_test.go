package stacks

import (
	"reflect"
	"testing"

	"infra/stacks/config"
)

func TestEndpoints(t *testing.T) {
	c := &config.Config{Domain: "shop.example.org", Services: []config.Service{
		{Name: "web", Health: "/healthz", Public: &config.Route{Host: "@", Path: "/"}},
		{Name: "api", Health: "/up", Public: &config.Route{Host: "api", Path: "/v1/"}},
		{Name: "admin", Public: &config.Route{Host: "admin"}},
		{Name: "worker", Health: "/healthz"},
	}}
	want := []Endpoint{
		{Service: "web", URL: "https://shop.example.org/", Health: "https://shop.example.org/healthz"},
		{Service: "api", URL: "https://api.shop.example.org/v1/", Health: "https://api.shop.example.org/v1/up"},
		{Service: "admin", URL: "https://admin.shop.example.org/"},
	}
	if got := Endpoints(c); !reflect.DeepEqual(got, want) {
		t.Errorf("Endpoints() =\n%+v\nwant\n%+v", got, want)
	}
	if got := endpointsOutput(nil); got == nil || len(got) != 0 {
		t.Errorf("no public service: %v, want an empty list (the contract requires the key)", got)
	}
}
