package k8sschematest

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// objectMetaSchema is the component name of metav1.ObjectMeta.
const objectMetaSchema = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

// specFile matches the per group-version documents: api__v1_openapi.json
// for the core group, apis__<group>__<version>_openapi.json for the rest.
// The group discovery documents (apis__apps_openapi.json) hold no kinds.
var specFile = regexp.MustCompile(`^(?:api|apis__(.+))__([a-z0-9]+)_openapi\.json$`)

// gvk names an object type the way x-kubernetes-group-version-kind does.
type gvk struct {
	group, version, kind string
}

func (g gvk) apiVersion() string {
	if g.group == "" {
		return g.version
	}
	return g.group + "/" + g.version
}

// parseGVK splits an object's apiVersion; the core group has no slash.
func parseGVK(apiVersion, kind string) gvk {
	group, version, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return gvk{version: apiVersion, kind: kind}
	}
	return gvk{group: group, version: version, kind: kind}
}

// Validator checks objects against the OpenAPI schemas of one Kubernetes
// release. Schemas are compiled on first use of a kind and cached; a
// Validator is safe for concurrent use.
type Validator struct {
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	// locations maps a type to the schema location to compile.
	locations map[gvk]string
	compiled  map[gvk]*jsonschema.Schema
	// groups holds the API groups of the core spec: an apiVersion in one
	// of them is never a CRD.
	groups map[string]bool
	// servedAs lists, per kind, the apiVersions the core spec serves it in.
	servedAs map[string][]string
	// objectMeta is the location of ObjectMeta, reused by CRD schemas.
	objectMeta string
}

// Load reads the api/openapi-spec/v3 directory of a Kubernetes release (see
// SpecDir) and makes its schemas strict.
func Load(specDir string) (*Validator, error) {
	entries, err := os.ReadDir(specDir)
	if err != nil {
		return nil, fmt.Errorf("read openapi spec dir: %w", err)
	}
	v := &Validator{
		compiler:  newCompiler(),
		locations: map[gvk]string{},
		compiled:  map[gvk]*jsonschema.Schema{},
		groups:    map[string]bool{},
		servedAs:  map[string][]string{},
	}
	for _, e := range entries {
		m := specFile.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		if err := v.loadFile(filepath.Join(specDir, e.Name()), m[1], m[2]); err != nil {
			return nil, err
		}
	}
	if len(v.locations) == 0 {
		return nil, fmt.Errorf("no kinds found in openapi spec dir %s", specDir)
	}
	if v.objectMeta == "" {
		return nil, fmt.Errorf("openapi spec dir %s: no %s in the core group", specDir, objectMetaSchema)
	}
	for _, versions := range v.servedAs {
		sort.Strings(versions)
	}
	return v, nil
}

// loadFile registers one group-version document with the compiler and
// indexes the kinds it serves.
func (v *Validator) loadFile(path, group, version string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open openapi document: %w", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return fmt.Errorf("decode openapi document %s: %w", path, err)
	}
	components, _ := doc.(map[string]any)["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	if len(schemas) == 0 {
		return nil
	}
	for name, s := range schemas {
		strictify(s)
		if name == quantitySchema {
			constrainQuantity(s.(map[string]any))
		}
	}

	base := (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
	// Only the schemas are registered: the paths section is not needed and
	// would cost metaschema validation time.
	root := map[string]any{"components": map[string]any{"schemas": schemas}}
	if err := v.compiler.AddResource(base, root); err != nil {
		return fmt.Errorf("add openapi document %s: %w", path, err)
	}
	if group == "" && schemas[objectMetaSchema] != nil {
		v.objectMeta = base + "#/components/schemas/" + objectMetaSchema
	}

	names := make([]string, 0, len(schemas))
	for name := range schemas {
		names = append(names, name)
	}
	// Sorted so that the first schema claiming a kind wins deterministically.
	sort.Strings(names)
	for _, name := range names {
		for _, g := range groupVersionKinds(schemas[name]) {
			// Shared types such as DeleteOptions claim every group; only
			// the kinds this document serves are indexed from it.
			if g.group != group || g.version != version {
				continue
			}
			if _, dup := v.locations[g]; dup {
				continue
			}
			v.locations[g] = base + "#/components/schemas/" + name
			v.groups[g.group] = true
			v.servedAs[g.kind] = append(v.servedAs[g.kind], g.apiVersion())
		}
	}
	return nil
}

// groupVersionKinds reads the x-kubernetes-group-version-kind extension.
func groupVersionKinds(schema any) []gvk {
	m, _ := schema.(map[string]any)
	list, _ := m["x-kubernetes-group-version-kind"].([]any)
	var out []gvk
	for _, item := range list {
		e, _ := item.(map[string]any)
		group, _ := e["group"].(string)
		version, _ := e["version"].(string)
		kind, _ := e["kind"].(string)
		if version != "" && kind != "" {
			out = append(out, gvk{group: group, version: version, kind: kind})
		}
	}
	return out
}

// schemaFor returns the compiled schema of a type, compiling it on first
// use.
func (v *Validator) schemaFor(g gvk) (*jsonschema.Schema, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.compiled[g]; ok {
		return s, true, nil
	}
	loc, ok := v.locations[g]
	if !ok {
		return nil, false, nil
	}
	s, err := v.compiler.Compile(loc)
	if err != nil {
		return nil, true, fmt.Errorf("compile schema of %s %s: %w", g.apiVersion(), g.kind, err)
	}
	v.compiled[g] = s
	return s, true, nil
}
