package main

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// typeSpec is what the provider knows about one resource type. A type that is
// not in the tables below is simply echoed: its state is its inputs, any
// change is an update.
type typeSpec struct {
	// replaceOnChange are the input property paths ("region",
	// "nodePool.size") whose change forces a replacement, as the real
	// provider's schema says; "*" means every input does.
	replaceOnChange []string
	// computed are the outputs the real provider computes. Each is filled
	// when the inputs do not set it and is kept across updates.
	computed []computed
	// id makes the id at Create; nil means "<type>-<12 hex digits>".
	id func(r *resourceInfo) resource.ID
	// idFromOutputs makes the id after the computed outputs, for a type
	// whose id is one of them (a reserved IP is its address). Generators of
	// such a type cannot use the id.
	idFromOutputs bool
}

// types holds the per-type tables; the digitalocean entries live in
// digitalocean.go.
var types = map[tokens.Type]typeSpec{}

// packageDefaults apply to a type of the package that has no entry of its own.
var packageDefaults = map[tokens.Package]typeSpec{
	// Kubernetes objects are replaced when their name or namespace changes;
	// the provider auto-names objects and reports a status.
	"kubernetes": {
		replaceOnChange: []string{"metadata.name", "metadata.namespace"},
		computed: []computed{
			{path: "metadata.name", gen: autoName},
			{path: "status", gen: constant(map[string]any{})},
		},
	},
}

func register(specs map[tokens.Type]typeSpec) {
	for t, s := range specs {
		if _, dup := types[t]; dup {
			panic("testprovider: type registered twice: " + string(t))
		}
		types[t] = s
	}
}

func specFor(t tokens.Type) typeSpec {
	if s, ok := types[t]; ok {
		return s
	}
	return packageDefaults[t.Package()]
}

// replaceKeysFor parses the replace-on-change paths of t.
func replaceKeysFor(t tokens.Type) []resource.PropertyPath {
	var paths []resource.PropertyPath
	for _, s := range specFor(t).replaceOnChange {
		if s == "*" {
			paths = append(paths, resource.PropertyPath{"*"})
			continue
		}
		paths = append(paths, mustPath(s))
	}
	return paths
}

func (s typeSpec) makeID(r *resourceInfo) resource.ID {
	if s.id != nil {
		return s.id(r)
	}
	return resource.ID(fmt.Sprintf("%s-%s", strings.ToLower(string(r.typ.Name())), hex.EncodeToString(r.seed[:6])))
}

func uuidID(r *resourceInfo) resource.ID { return resource.ID(seedUUID(r, "id")) }

func init() {
	register(map[tokens.Type]typeSpec{
		// Every input of a random resource forces a new value.
		"random:index/randomPassword:RandomPassword": {
			replaceOnChange: []string{"*"},
			computed: []computed{
				{path: "result", secret: true, gen: randomPassword},
				{path: "bcryptHash", secret: true, gen: randomText("$2a$10$", 53)},
			},
			id: func(*resourceInfo) resource.ID { return "none" },
		},
		"random:index/randomString:RandomString": {
			replaceOnChange: []string{"*"},
			computed:        []computed{{path: "result", gen: randomPassword}},
		},
		"random:index/randomId:RandomId": {
			replaceOnChange: []string{"*"},
			computed:        randomIDOutputs(),
			id:              func(r *resourceInfo) resource.ID { return resource.ID(r.str("b64Url", "")) },
			idFromOutputs:   true,
		},
		"random:index/randomBytes:RandomBytes": {
			replaceOnChange: []string{"*"},
			computed:        randomBytesOutputs(),
		},
		"random:index/randomUuid:RandomUuid": {
			replaceOnChange: []string{"*"},
			computed: []computed{{path: "result", gen: func(r *resourceInfo) resource.PropertyValue {
				return resource.NewProperty(seedUUID(r, fmt.Sprint(rand.Uint64())))
			}}},
		},
		"random:index/randomInteger:RandomInteger": {
			replaceOnChange: []string{"*"},
			computed: []computed{{path: "result", gen: func(r *resourceInfo) resource.PropertyValue {
				lo, hi := r.num("min", 0), r.num("max", 100)
				return resource.NewProperty(float64(lo + rand.IntN(max(hi-lo+1, 1))))
			}}},
		},
		"random:index/randomPet:RandomPet": {
			replaceOnChange: []string{"*"},
			id: func(r *resourceInfo) resource.ID {
				pet := fmt.Sprintf("test%ssubject-%s", r.str("separator", "-"), hex.EncodeToString(r.seed[:3]))
				if p := r.str("prefix", ""); p != "" {
					pet = p + r.str("separator", "-") + pet
				}
				return resource.ID(pet)
			},
		},

		// PostgreSQL: names are auto-named; a role or database is renamed in
		// place, but every argument of a grant is ForceNew.
		"postgresql:index/role:Role":                           {computed: []computed{{path: "name", gen: autoName}}},
		"postgresql:index/database:Database":                   {computed: []computed{{path: "name", gen: autoName}}},
		"postgresql:index/grant:Grant":                         {replaceOnChange: []string{"*"}},
		"postgresql:index/defaultPrivileges:DefaultPrivileges": {replaceOnChange: []string{"*"}},

		// Helm v3 Release: auto-named, replaced on a new name or namespace.
		"kubernetes:helm.sh/v3:Release": {
			replaceOnChange: []string{"name", "namespace"},
			computed: []computed{
				{path: "name", gen: autoName},
				{path: "status", gen: releaseStatus},
			},
		},

		// pulumi-command: triggers replace; the output streams are empty.
		"command:local:Command":  commandSpec(),
		"command:remote:Command": commandSpec(),
	})
}

func commandSpec() typeSpec {
	return typeSpec{
		replaceOnChange: []string{"triggers"},
		computed: []computed{
			{path: "stdout", gen: constant("")},
			{path: "stderr", gen: constant("")},
		},
	}
}

// randomPassword honours length (default 32) and special (default true).
func randomPassword(r *resourceInfo) resource.PropertyValue {
	alphabet := alphanumeric
	if r.boolean("special", true) {
		alphabet += r.str("overrideSpecial", randomSpecial)
	}
	return resource.NewProperty(randomString(r.num("length", 32), alphabet))
}

// randomIDOutputs draws byteLength random bytes once and encodes them four
// ways, the way random.RandomId does.
func randomIDOutputs() []computed {
	encode := func(f func(b []byte, prefix string) string) func(*resourceInfo) resource.PropertyValue {
		return func(r *resourceInfo) resource.PropertyValue {
			raw, err := hex.DecodeString(r.str("hex", "")[len(r.str("prefix", "")):])
			if err != nil {
				raw = nil
			}
			return resource.NewProperty(f(raw, r.str("prefix", "")))
		}
	}
	return []computed{
		{path: "hex", gen: func(r *resourceInfo) resource.PropertyValue {
			b := make([]byte, r.num("byteLength", 8))
			for i := range b {
				b[i] = byte(rand.IntN(256))
			}
			return resource.NewProperty(r.str("prefix", "") + hex.EncodeToString(b))
		}},
		{path: "b64Std", gen: encode(func(b []byte, p string) string { return p + base64.StdEncoding.EncodeToString(b) })},
		{path: "b64Url", gen: encode(func(b []byte, p string) string { return p + base64.RawURLEncoding.EncodeToString(b) })},
		{path: "dec", gen: encode(func(b []byte, p string) string { return p + new(big.Int).SetBytes(b).String() })},
	}
}

func randomBytesOutputs() []computed {
	return []computed{
		{path: "hex", secret: true, gen: func(r *resourceInfo) resource.PropertyValue {
			b := make([]byte, r.num("length", 32))
			for i := range b {
				b[i] = byte(rand.IntN(256))
			}
			return resource.NewProperty(hex.EncodeToString(b))
		}},
		{path: "base64", secret: true, gen: func(r *resourceInfo) resource.PropertyValue {
			raw, _ := hex.DecodeString(r.str("hex", ""))
			return resource.NewProperty(base64.StdEncoding.EncodeToString(raw))
		}},
	}
}

func releaseStatus(r *resourceInfo) resource.PropertyValue {
	return resource.NewPropertyValue(map[string]any{
		"name":      r.str("name", r.name),
		"namespace": r.str("namespace", "default"),
		"chart":     r.str("chart", ""),
		"version":   r.str("version", ""),
		"status":    "deployed",
		"revision":  1,
	})
}
