package k8sschematest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

// crd is the part of an apiextensions.k8s.io/v1 CustomResourceDefinition
// that AddCRD reads.
type crd struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Served bool   `json:"served"`
			Schema *struct {
				OpenAPIV3Schema json.RawMessage `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// AddCRD registers the schemas of the served versions of every
// CustomResourceDefinition in a YAML stream, so that their instances are
// validated instead of reported as ErrUnknownKind. The CRDs are themselves
// validated first. Their schemas are made strict like the core ones, except
// where they set x-kubernetes-preserve-unknown-fields; metadata is checked
// as ObjectMeta. CEL rules (x-kubernetes-validations) are not evaluated.
func (v *Validator) AddCRD(crdYAML []byte) error {
	if err := v.ValidateYAML(crdYAML); err != nil {
		return fmt.Errorf("invalid CustomResourceDefinition: %w", err)
	}
	var errs []error
	for i, doc := range splitYAML(crdYAML) {
		if err := v.addCRDDocument(doc); err != nil {
			errs = append(errs, fmt.Errorf("document %d: %w", i+1, err))
		}
	}
	return errors.Join(errs...)
}

func (v *Validator) addCRDDocument(doc []byte) error {
	data, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return fmt.Errorf("parse yaml: %w", err)
	}
	var header struct{ APIVersion, Kind string }
	if err := json.Unmarshal(data, &header); err != nil {
		return fmt.Errorf("decode object: %w", err)
	}
	if header.APIVersion != "apiextensions.k8s.io/v1" || header.Kind != "CustomResourceDefinition" {
		if header.Kind == "" {
			return nil // an empty or comment-only document
		}
		return fmt.Errorf("%s %s is not an apiextensions.k8s.io/v1 CustomResourceDefinition", header.APIVersion, header.Kind)
	}
	var def crd
	if err := json.Unmarshal(data, &def); err != nil {
		return fmt.Errorf("decode CustomResourceDefinition: %w", err)
	}
	for _, ver := range def.Spec.Versions {
		if !ver.Served || ver.Schema == nil || len(ver.Schema.OpenAPIV3Schema) == 0 {
			continue
		}
		g := gvk{group: def.Spec.Group, version: ver.Name, kind: def.Spec.Names.Kind}
		if err := v.addCRDVersion(g, ver.Schema.OpenAPIV3Schema); err != nil {
			return fmt.Errorf("CustomResourceDefinition %s version %s: %w", def.Metadata.Name, ver.Name, err)
		}
	}
	return nil
}

func (v *Validator) addCRDVersion(g gvk, raw json.RawMessage) error {
	schema, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("decode openAPIV3Schema: %w", err)
	}
	root, ok := schema.(map[string]any)
	if !ok {
		return errors.New("openAPIV3Schema is not an object")
	}
	props, ok := root["properties"].(map[string]any)
	if !ok {
		props = map[string]any{}
		root["properties"] = props
	}
	addObjectHeader(props, map[string]any{"$ref": v.objectMeta})
	strictify(root)

	loc := (&url.URL{Scheme: "https", Host: "k8sschema.invalid",
		Path: "/crd/" + g.group + "/" + g.version + "/" + g.kind + ".json"}).String()
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, dup := v.locations[g]; dup {
		return fmt.Errorf("%s %s is already registered", g.apiVersion(), g.kind)
	}
	if err := v.compiler.AddResource(loc, root); err != nil {
		return fmt.Errorf("add schema: %w", err)
	}
	v.locations[g] = loc
	return nil
}
