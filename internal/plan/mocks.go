package plan

import (
	"crypto/rand"
	"fmt"
	"hash/fnv"
	"math/big"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/providercheck"
)

// recorder is a pulumi.MockResourceMonitor that keeps every resource the
// program registers and answers with plausible computed outputs, so the
// program's own Apply code runs as it would against the cloud.
type recorder struct {
	project   string
	stack     string
	mu        sync.Mutex
	resources []Resource
	// generated are secret values the mocks made up (passwords), kept so
	// tests can prove none of them leaks.
	generated []string
}

var _ pulumi.MockResourceMonitor = (*recorder)(nil)

// NewResource records a resource; inputs the real provider would refuse
// fail the plan, with the property path (internal/providercheck).
func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if err := providercheck.CheckInputs(args.TypeToken, args.Name, args.Inputs); err != nil {
		return "", nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Ids derive from names, not from the order of registration (which
	// goroutines make random), so two plans of one config are equal.
	id := args.Name + "-id"
	rec := Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		Custom: args.Custom,
		Inputs: maskProperties(args.Inputs),
	}
	if rpc := args.RegisterRPC; rpc != nil {
		rec.Parent = rpc.GetParent()
		rec.Protect = rpc.GetProtect()
		rec.Dependencies = append([]string(nil), rpc.GetDependencies()...)
		rec.Provider = providerURN(rpc.GetProvider())
		rec.DeletedWith = rpc.GetDeletedWith()
	}
	if !args.Custom {
		id = ""
	}
	if args.TypeToken == "digitalocean:index/droplet:Droplet" {
		h := fnv.New32a()
		h.Write([]byte(args.Name))
		id = fmt.Sprint(300000000 + h.Sum32()%100000000) // DigitalOcean droplet ids are numbers
	}
	rec.URN = r.urn(rec.Parent, args.TypeToken, args.Name)
	rec.ID = id
	r.resources = append(r.resources, rec)

	state := args.Inputs.Copy()
	for k, v := range r.computed(args.TypeToken, args.Name) {
		if _, set := state[resource.PropertyKey(k)]; !set {
			state[resource.PropertyKey(k)] = v
		}
	}
	return id, state, nil
}

// Call answers the functions the program calls, after checking their
// arguments like the real provider.
func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	checker, err := providercheck.Shared()
	if err != nil {
		return nil, err
	}
	if failures, _ := checker.CheckInvoke(args.Token, args.Args); len(failures) > 0 {
		return nil, providercheck.Error(args.Token, "call", failures)
	}
	switch args.Token {
	case "digitalocean:index/getKubernetesVersions:getKubernetesVersions":
		return providercheck.KubernetesVersions(checker.Catalog(), args.Args), nil
	case "digitalocean:index/getLoadBalancer:getLoadBalancer":
		name := fmt.Sprint(args.Args["name"].V)
		return resource.NewPropertyMapFromMap(map[string]any{"name": name, "ip": "203.0.113.30", "status": "active"}), nil
	}
	return resource.PropertyMap{}, nil
}

// computed returns outputs the cloud would compute for a resource type.
func (r *recorder) computed(typ, name string) map[string]resource.PropertyValue {
	str := resource.NewStringProperty
	num := resource.NewNumberProperty
	switch typ {
	case "random:index/randomPassword:RandomPassword":
		pw := randomString(32)
		r.generated = append(r.generated, pw)
		return map[string]resource.PropertyValue{"result": resource.MakeSecret(str(pw))}
	case "random:index/randomString:RandomString":
		return map[string]resource.PropertyValue{"result": str("k3x9qa")}
	case "digitalocean:index/databaseCluster:DatabaseCluster":
		pw := randomString(24)
		r.generated = append(r.generated, pw)
		return map[string]resource.PropertyValue{
			"host":        str(name + ".db.ondigitalocean.com"),
			"privateHost": str("private-" + name + ".db.ondigitalocean.com"),
			"port":        num(25060),
			"user":        str("doadmin"),
			"database":    str("defaultdb"),
			"password":    resource.MakeSecret(str(pw)),
			"urn":         str("do:dbaas:" + name),
		}
	case "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool":
		return map[string]resource.PropertyValue{
			"host":        str(name + ".db.ondigitalocean.com"),
			"privateHost": str("private-" + name + ".db.ondigitalocean.com"),
			"port":        num(25061),
		}
	case "digitalocean:index/droplet:Droplet":
		return map[string]resource.PropertyValue{
			"ipv4Address":        str("203.0.113.10"),
			"ipv4AddressPrivate": str("10.10.0.2"),
			"urn":                str("do:droplet:" + name),
			"dropletUrn":         str("do:droplet:" + name),
		}
	case "digitalocean:index/reservedIp:ReservedIp":
		return map[string]resource.PropertyValue{"ipAddress": str("203.0.113.20"), "urn": str("do:reservedip:" + name), "reservedIpUrn": str("do:reservedip:203.0.113.20")}
	case "digitalocean:index/loadBalancer:LoadBalancer":
		return map[string]resource.PropertyValue{"ip": str("203.0.113.30"), "urn": str("do:loadbalancer:" + name)}
	case "digitalocean:index/kubernetesCluster:KubernetesCluster":
		return map[string]resource.PropertyValue{
			"endpoint": str("https://" + name + ".k8s.ondigitalocean.com"),
			"urn":      str("do:kubernetes:" + name),
			"kubeConfigs": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
				"rawConfig":            resource.MakeSecret(str("apiVersion: v1\nkind: Config\n")),
				"clusterCaCertificate": str("LS0tLS1CRUdJTi0tLS0t"),
				"host":                 str("https://" + name + ".k8s.ondigitalocean.com"),
				"token":                resource.MakeSecret(str("mock-token")),
			})}),
		}
	case "digitalocean:index/vpc:Vpc", "digitalocean:index/project:Project", "digitalocean:index/spacesBucket:SpacesBucket":
		return map[string]resource.PropertyValue{"urn": str("do:" + name), "bucketDomainName": str(name + ".nyc3.digitaloceanspaces.com"), "bucketUrn": str("do:space:" + name)}
	}
	return nil
}

func randomString(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}

// providerURN strips the id from a provider reference ("urn::id").
func providerURN(ref string) string {
	if i := strings.LastIndex(ref, "::"); i > 0 {
		return ref[:i]
	}
	return ref
}

// urn computes a resource's URN the way the mock monitor (and the engine) do.
func (r *recorder) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(r.stack), tokens.PackageName(r.project), parentType, tokens.Type(typ), name))
}
