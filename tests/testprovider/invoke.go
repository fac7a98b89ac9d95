package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"sigs.k8s.io/yaml"
)

// invokes answers the data-source calls our programs make. Any other call
// returns an empty result.
var invokes = map[string]func(args resource.PropertyMap) (resource.PropertyMap, error){
	"digitalocean:index/getKubernetesVersions:getKubernetesVersions": kubernetesVersions,
	// yaml.ConfigFile/ConfigGroup (v1) in the Go SDK parse YAML through the provider.
	"kubernetes:yaml:decode": decodeYAML,
}

// doksVersions are the DOKS versions on offer, newest first.
var doksVersions = []string{"1.34.1-do.0", "1.33.5-do.0", "1.32.9-do.0"}

// kubernetesVersions answers getKubernetesVersions, honouring versionPrefix
// as DigitalOcean does.
func kubernetesVersions(args resource.PropertyMap) (resource.PropertyMap, error) {
	prefix := ""
	if v, ok := args["versionPrefix"]; ok && v.IsString() {
		prefix = v.StringValue()
	}
	valid := []any{}
	for _, v := range doksVersions {
		if strings.HasPrefix(v, prefix) {
			valid = append(valid, v)
		}
	}
	latest := ""
	if len(valid) > 0 {
		latest = valid[0].(string)
	}
	out := resource.NewPropertyMapFromMap(map[string]any{
		"id":            "kubernetes-versions",
		"latestVersion": latest,
		"validVersions": valid,
	})
	if prefix != "" {
		out["versionPrefix"] = resource.NewProperty(prefix)
	}
	return out, nil
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
