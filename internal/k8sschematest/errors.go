package k8sschematest

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownKind matches (with errors.Is) the error returned for an object
// whose apiVersion and kind are neither in the core spec nor registered
// with AddCRD. Callers that render CRD instances decide whether to accept
// them; IgnoreUnknownKinds drops these errors from a result.
var ErrUnknownKind = errors.New("kind not in the kubernetes openapi spec")

// UnknownKindError reports an object of a type the Validator has no schema
// for, typically a custom resource.
type UnknownKindError struct {
	// Document is the 1-based position in a YAML stream, 0 for Validate.
	Document   int
	APIVersion string
	Kind       string
}

func (e *UnknownKindError) Error() string {
	return documentPrefix(e.Document) + fmt.Sprintf("%s %s: no schema (custom resource without a registered CRD?)", e.APIVersion, e.Kind)
}

// Is makes errors.Is(err, ErrUnknownKind) true.
func (e *UnknownKindError) Is(target error) bool { return target == ErrUnknownKind }

// Problem is one violation, located by its path in the object.
type Problem struct {
	// Path in the object, like spec.template.spec.containers[0].image; empty
	// for the object itself.
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return "(object): " + p.Message
	}
	return p.Path + ": " + p.Message
}

// ObjectError lists every problem found in one object.
type ObjectError struct {
	// Document is the 1-based position in a YAML stream, 0 for Validate.
	Document int
	// Object identifies the object as Kind/name.
	Object   string
	Problems []Problem
}

// Error prints one line per problem, each naming the object, such as
// "Deployment/web: spec.replicas: wrong type: got string, want integer".
func (e *ObjectError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = documentPrefix(e.Document) + e.Object + ": " + p.String()
	}
	return strings.Join(lines, "\n")
}

func documentPrefix(doc int) string {
	if doc == 0 {
		return ""
	}
	return fmt.Sprintf("document %d: ", doc)
}

// IgnoreUnknownKinds returns err without its UnknownKindErrors: nil when
// only unknown kinds were reported. It looks through errors.Join results,
// as returned by ValidateYAML.
func IgnoreUnknownKinds(err error) error {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var kept []error
		for _, e := range joined.Unwrap() {
			if e = IgnoreUnknownKinds(e); e != nil {
				kept = append(kept, e)
			}
		}
		return errors.Join(kept...)
	}
	var unknown *UnknownKindError
	if errors.As(err, &unknown) {
		return nil
	}
	return err
}
