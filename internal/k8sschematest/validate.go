package k8sschematest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

// Validate checks one object, as decoded from JSON or YAML or built in Go
// (any value encoding/json can marshal). It returns nil, an *ObjectError
// listing every problem, or an *UnknownKindError (errors.Is ErrUnknownKind).
// An object of apiVersion v1 and kind List is checked item by item and the
// items' errors are joined.
func (v *Validator) Validate(obj map[string]any) error {
	inst, err := normalize(obj)
	if err != nil {
		return err
	}
	return v.validate(inst, 0)
}

// ValidateYAML checks every document of a multi-document YAML stream.
// Blank documents (a leading "---") are skipped and not counted in the
// document numbers errors carry; comment-only documents count but pass.
// The result joins (errors.Join) one error per failing document; wrap it in
// IgnoreUnknownKinds to accept custom resources without a registered CRD.
// Duplicate keys are an error.
func (v *Validator) ValidateYAML(docs []byte) error {
	var errs []error
	for i, doc := range splitYAML(docs) {
		n := i + 1
		data, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			errs = append(errs, fmt.Errorf("document %d: parse yaml: %w", n, err))
			continue
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			errs = append(errs, fmt.Errorf("document %d: decode: %w", n, err))
			continue
		}
		if inst == nil {
			continue
		}
		obj, ok := inst.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("document %d: not a mapping", n))
			continue
		}
		if err := v.validate(obj, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// normalize turns a Go value into the JSON shapes the schema library reads
// (map[string]any, []any, json.Number), the way the API server would see it.
func normalize(obj map[string]any) (map[string]any, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode object: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode object: %w", err)
	}
	m, ok := inst.(map[string]any)
	if !ok {
		return nil, errors.New("object is null")
	}
	return m, nil
}

func (v *Validator) validate(obj map[string]any, doc int) error {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	oe := &ObjectError{Document: doc, Object: objectName(obj)}
	if apiVersion == "" {
		oe.Problems = append(oe.Problems, Problem{Path: "apiVersion", Message: "required string field missing"})
	}
	if kind == "" {
		oe.Problems = append(oe.Problems, Problem{Path: "kind", Message: "required string field missing"})
	}
	if len(oe.Problems) > 0 {
		return oe
	}
	if apiVersion == "v1" && kind == "List" {
		return v.validateList(obj, doc)
	}

	g := parseGVK(apiVersion, kind)
	sch, found, err := v.schemaFor(g)
	if err != nil {
		return err
	}
	if !found {
		if served := v.servedAs[kind]; len(served) > 0 {
			oe.Problems = append(oe.Problems, Problem{Path: "apiVersion",
				Message: fmt.Sprintf("%s does not serve kind %s in this Kubernetes release; use %s", apiVersion, kind, strings.Join(served, " or "))})
			return oe
		}
		if v.groups[g.group] {
			oe.Problems = append(oe.Problems, Problem{Path: "kind",
				Message: fmt.Sprintf("no kind %s in %s", kind, apiVersion)})
			return oe
		}
		return &UnknownKindError{Document: doc, APIVersion: apiVersion, Kind: kind}
	}
	err = sch.Validate(obj)
	var verr *jsonschema.ValidationError
	if errors.As(err, &verr) {
		oe.Problems = problems(obj, verr)
		return oe
	}
	if err != nil {
		return fmt.Errorf("validate %s: %w", oe.Object, err)
	}
	return nil
}

// validateList checks each item of a v1 List; kubectl and some renderers
// emit those.
func (v *Validator) validateList(obj map[string]any, doc int) error {
	items, ok := obj["items"].([]any)
	if !ok && obj["items"] != nil {
		return &ObjectError{Document: doc, Object: "List", Problems: []Problem{{Path: "items", Message: "must be a list"}}}
	}
	var errs []error
	for i, item := range items {
		m, ok := item.(map[string]any)
		if !ok {
			errs = append(errs, &ObjectError{Document: doc, Object: "List", Problems: []Problem{{Path: fmt.Sprintf("items[%d]", i), Message: "must be an object"}}})
			continue
		}
		if err := v.validate(m, doc); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// objectName names an object as Kind/name, or Kind/<generateName>* when
// only generateName is set.
func objectName(obj map[string]any) string {
	kind, _ := obj["kind"].(string)
	if kind == "" {
		kind = "<no kind>"
	}
	meta, _ := obj["metadata"].(map[string]any)
	if name, ok := meta["name"].(string); ok && name != "" {
		return kind + "/" + name
	}
	if name, ok := meta["generateName"].(string); ok && name != "" {
		return kind + "/" + name + "*"
	}
	return kind + "/<no name>"
}

// splitYAML cuts a stream at "---" lines, as kubectl does. A separator
// cannot occur inside a block scalar at column 0, so a line scan is exact.
func splitYAML(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		if len(bytes.TrimSpace(cur.Bytes())) > 0 {
			docs = append(docs, bytes.Clone(cur.Bytes()))
		}
		cur.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	for sc.Scan() {
		line := sc.Text()
		if isDocSeparator(line) {
			flush()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	flush()
	return docs
}

func isDocSeparator(line string) bool {
	rest, ok := strings.CutPrefix(line, "---")
	if !ok {
		return false
	}
	rest = strings.TrimSpace(rest)
	return rest == "" || strings.HasPrefix(rest, "#")
}
