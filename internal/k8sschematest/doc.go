// Package k8sschematest validates rendered Kubernetes objects against the
// official OpenAPI v3 schema of one Kubernetes release, strictly: unknown or
// misspelled fields, wrong types and missing required fields are all errors.
//
// The schema comes from the api/openapi-spec/v3 directory of the
// k8s.io/kubernetes module. That module is not a dependency in go.mod on
// purpose: it is huge, it requires its staging modules (k8s.io/api and
// friends) at v0.0.0 with replace directives to relative paths, so it cannot
// be required like an ordinary library, and we only need the JSON files it
// ships. [SpecDir] asks the go command to download the module zip into the
// module cache (through the module proxy, the one network path the build
// already relies on) and returns the directory that holds the spec. The
// release is pinned by [KubernetesVersion]; pass another version to SpecDir
// to check against another cluster minor.
//
// The upstream schemas never set additionalProperties, so on their own they
// accept any unknown field. [Load] closes every object schema that lists
// properties (additionalProperties: false), which is what makes a typo such
// as imagePullPolcy fail. Int-or-string fields (IntOrString) accept an
// integer or a string, quantities (resources, limits) accept a number or a
// string in Kubernetes quantity syntax; JSON null is accepted nowhere,
// because the spec marks no field nullable. The formats int32, int64, byte
// (base64, as in Secret data) and date-time are checked; other format names
// are not, since Kubernetes reads some of them differently from JSON Schema.
// Rules a schema cannot express (list-map key uniqueness, name syntax,
// cross-field checks such as the selector matching the template labels) are
// left to the API server.
//
// Objects whose apiVersion and kind are not in the core spec, such as the
// cert-manager ClusterIssuer or the prometheus-operator ServiceMonitor,
// yield an error matching [ErrUnknownKind], unless the CustomResourceDefinition
// has been registered with [Validator.AddCRD]. A kind that the core spec
// knows under another apiVersion (extensions/v1beta1 Ingress) is a plain
// validation error, never ErrUnknownKind.
package k8sschematest
