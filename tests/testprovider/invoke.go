package main

import (
	"crypto/sha256"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"sigs.k8s.io/yaml"

	"infra/internal/catalog"
	"infra/internal/dotype"
	"infra/internal/providercheck"
)

// invokeFunc answers one function from the catalog of what DigitalOcean
// offers and the call's arguments.
type invokeFunc func(cat *catalog.Catalog, args resource.PropertyMap) (resource.PropertyMap, error)

// invokes answers the data-source calls our programs make. Any other call
// is an error.
var invokes = map[string]invokeFunc{
	dotype.GetKubernetesVersions: kubernetesVersions,
	dotype.GetLoadBalancer:       loadBalancer,
	// yaml.ConfigFile/ConfigGroup (v1) in the Go SDK parse YAML through the provider.
	"kubernetes:yaml:decode": func(_ *catalog.Catalog, args resource.PropertyMap) (resource.PropertyMap, error) {
		return decodeYAML(args)
	},
}

// kubernetesVersions answers getKubernetesVersions with the DOKS minors the
// catalog says are offered.
func kubernetesVersions(cat *catalog.Catalog, args resource.PropertyMap) (resource.PropertyMap, error) {
	return providercheck.KubernetesVersions(cat, args), nil
}

// loadBalancer answers getLoadBalancer by name as if DigitalOcean's cloud
// controller had created the load balancer for the ingress controller's
// Service (no controller runs here).
func loadBalancer(_ *catalog.Catalog, args resource.PropertyMap) (resource.PropertyMap, error) {
	name, ok := args["name"]
	if !ok || !name.IsString() || name.StringValue() == "" {
		return nil, fmt.Errorf("getLoadBalancer: the stand-in looks load balancers up by name only")
	}
	seed := &resourceInfo{name: name.StringValue(), seed: sha256.Sum256([]byte(name.StringValue()))}
	return resource.NewPropertyMapFromMap(map[string]any{
		"id":     seedUUID(seed, "lb"),
		"name":   name.StringValue(),
		"ip":     publicIP("lb")(seed).StringValue(),
		"status": "active",
		"urn":    "do:loadbalancer:" + seedUUID(seed, "lb"),
	}), nil
}

var documentSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// decodeYAML splits a multi-document YAML text into objects, dropping empty
// documents, as kubernetes:yaml:decode does.
func decodeYAML(args resource.PropertyMap) (resource.PropertyMap, error) {
	text, ok := args["text"]
	if !ok || !text.IsString() {
		return nil, fmt.Errorf("text: want a string")
	}
	objects := []any{}
	for i, doc := range documentSeparator.Split(text.StringValue(), -1) {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(obj) > 0 {
			objects = append(objects, obj)
		}
	}
	return resource.NewPropertyMapFromMap(map[string]any{"result": objects}), nil
}
