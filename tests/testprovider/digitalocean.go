package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	"infra/internal/dotype"
)

// The digitalocean table. Replace-on-change properties are the ForceNew
// arguments of terraform-provider-digitalocean, which pulumi-digitalocean
// bridges; Droplet, KubernetesCluster and DatabaseCluster were checked against
// that provider's schema:
//   - Droplet: image, region, ssh_keys, user_data, monitoring, droplet_agent,
//     vpc_uuid. Tags, size and name change in place.
//   - KubernetesCluster: region, vpc_uuid, cluster_subnet, service_subnet, and
//     the size of the built-in node pool (pulumi/pulumi#5049). A version
//     upgrade is in place.
//   - DatabaseCluster: name, engine, private_network_uuid, project_id. A new
//     region is a migration, not a replacement; size and node count resize.
//
// The other entries follow the same provider as far as it is known; extend
// them when a test needs more.
func init() {
	register(map[tokens.Type]typeSpec{
		dotype.Droplet: {
			replaceOnChange: []string{"image", "region", "sshKeys", "userData", "monitoring", "dropletAgent", "vpcUuid"},
			id:              numericID,
			computed: []computed{
				{path: "name", gen: autoName},
				{path: "ipv4Address", gen: publicIP("droplet")},
				{path: "ipv4AddressPrivate", gen: privateIP},
				{path: "ipv6Address", gen: constant("")},
				{path: "status", gen: constant("active")},
				{path: "locked", gen: constant(false)},
				{path: "privateNetworking", gen: constant(true)},
				{path: "disk", gen: constant(25)},
				{path: "memory", gen: constant(1024)},
				{path: "vcpus", gen: constant(1)},
				{path: "createdAt", gen: constant(fixedTime)},
				{path: "vpcUuid", gen: uuidOutput("vpc")},
				{path: "dropletUrn", gen: urnOf("droplet")},
			},
		},
		dotype.ReservedIP: {
			replaceOnChange: []string{"region"},
			id:              func(r *resourceInfo) resource.ID { return resource.ID(r.str("ipAddress", "")) },
			idFromOutputs:   true,
			computed: []computed{
				{path: "ipAddress", gen: publicIP("reserved")},
				{path: "reservedIpUrn", gen: func(r *resourceInfo) resource.PropertyValue {
					return resource.NewProperty("do:reservedip:" + r.str("ipAddress", ""))
				}},
			},
		},
		dotype.ReservedIPAssignment: {
			replaceOnChange: []string{"ipAddress", "dropletId"},
		},
		dotype.VPC: {
			replaceOnChange: []string{"region", "ipRange"},
			id:              uuidID,
			computed: []computed{
				{path: "name", gen: autoName},
				{path: "ipRange", gen: func(r *resourceInfo) resource.PropertyValue {
					return resource.NewProperty(fmt.Sprintf("10.%d.0.0/20", seedNumber(r, "vpc")%200+10))
				}},
				{path: "default", gen: constant(false)},
				{path: "createdAt", gen: constant(fixedTime)},
				{path: "vpcUrn", gen: urnOf("vpc")},
			},
		},
		dotype.KubernetesCluster: {
			replaceOnChange: []string{"region", "vpcUuid", "clusterSubnet", "serviceSubnet", "nodePool.size"},
			id:              uuidID,
			computed: []computed{
				{path: "name", gen: autoName},
				{path: "endpoint", gen: clusterEndpoint},
				{path: "ipv4Address", gen: publicIP("k8s")},
				{path: "status", gen: constant("running")},
				{path: "clusterSubnet", gen: constant("10.244.0.0/16")},
				{path: "serviceSubnet", gen: constant("10.245.0.0/16")},
				{path: "vpcUuid", gen: uuidOutput("vpc")},
				{path: "createdAt", gen: constant(fixedTime)},
				{path: "updatedAt", gen: constant(fixedTime)},
				{path: "clusterUrn", gen: urnOf("kubernetes")},
				{path: "kubeConfigs", secret: true, gen: kubeConfigs},
				// nodePool is a required input; the provider adds its id and nodes.
				{path: "nodePool.id", gen: uuidOutput("pool")},
				{path: "nodePool.nodes", gen: constant([]any{})},
			},
		},
		dotype.KubernetesNodePool: {
			replaceOnChange: []string{"clusterId", "size"},
			id:              uuidID,
			computed: []computed{
				{path: "name", gen: autoName},
				{path: "actualNodeCount", gen: func(r *resourceInfo) resource.PropertyValue {
					return resource.NewProperty(float64(r.num("nodeCount", r.num("minNodes", 1))))
				}},
				{path: "nodes", gen: constant([]any{})},
			},
		},
		dotype.DatabaseCluster: {
			replaceOnChange: []string{"name", "engine", "privateNetworkUuid", "projectId"},
			id:              uuidID,
			computed: []computed{
				{path: "name", gen: autoName},
				{path: "host", gen: dbHost("")},
				{path: "privateHost", gen: dbHost("private-")},
				{path: "port", gen: constant(25060)},
				{path: "user", gen: constant("doadmin")},
				{path: "password", secret: true, gen: randomText("AVNS_", 19)},
				{path: "database", gen: constant("defaultdb")},
				{path: "uri", secret: true, gen: dbURI("host")},
				{path: "privateUri", secret: true, gen: dbURI("privateHost")},
				{path: "clusterUrn", gen: urnOf("dbaas")},
				{path: "privateNetworkUuid", gen: uuidOutput("vpc")},
				{path: "projectId", gen: uuidOutput("project")},
				{path: "storageSizeMib", gen: constant("10240")},
				{path: "metricsEndpoints", gen: constant([]any{})},
			},
		},
		dotype.DatabaseUser: {
			replaceOnChange: []string{"clusterId", "name"},
			computed: []computed{
				{path: "password", secret: true, gen: randomText("AVNS_", 19)},
				{path: "role", gen: constant("normal")},
			},
		},
		dotype.DatabaseDB: {
			replaceOnChange: []string{"clusterId", "name"},
		},
		dotype.DatabaseConnectionPool: {
			replaceOnChange: []string{"clusterId", "name"},
			computed: []computed{
				{path: "user", gen: constant("doadmin")},
				{path: "host", gen: dbHost("")},
				{path: "privateHost", gen: dbHost("private-")},
				{path: "port", gen: constant(25061)},
				{path: "password", secret: true, gen: randomText("AVNS_", 19)},
				{path: "database", gen: func(r *resourceInfo) resource.PropertyValue {
					return resource.NewProperty(r.str("dbName", "defaultdb"))
				}},
				{path: "uri", secret: true, gen: dbURI("host")},
				{path: "privateUri", secret: true, gen: dbURI("privateHost")},
			},
		},
		dotype.DatabaseFirewall: {
			replaceOnChange: []string{"clusterId"},
		},
		dotype.Project: {
			id: uuidID,
			computed: []computed{
				{path: "name", gen: autoName},
				{path: "ownerUuid", gen: uuidOutput("owner")},
				{path: "ownerId", gen: constant(1)},
				{path: "isDefault", gen: constant(false)},
				{path: "createdAt", gen: constant(fixedTime)},
				{path: "updatedAt", gen: constant(fixedTime)},
			},
		},
		dotype.Firewall: {
			id: uuidID,
			computed: []computed{
				{path: "name", gen: autoName},
				{path: "status", gen: constant("succeeded")},
				{path: "createdAt", gen: constant(fixedTime)},
				{path: "pendingChanges", gen: constant([]any{})},
			},
		},
		dotype.Domain: {
			replaceOnChange: []string{"name", "ipAddress"},
			id:              func(r *resourceInfo) resource.ID { return resource.ID(r.str("name", r.name)) },
			computed: []computed{
				{path: "ttl", gen: constant(1800)},
				{path: "domainUrn", gen: urnOf("domain")},
			},
		},
		dotype.DNSRecord: {
			replaceOnChange: []string{"domain", "type"},
			id:              numericID,
			computed: []computed{{path: "fqdn", gen: func(r *resourceInfo) resource.PropertyValue {
				return resource.NewProperty(r.str("name", "@") + "." + r.str("domain", "example.com"))
			}}},
		},
		dotype.SSHKey: {
			replaceOnChange: []string{"publicKey"},
			id:              numericID,
			computed: []computed{{path: "fingerprint", gen: func(r *resourceInfo) resource.PropertyValue {
				return resource.NewProperty(fmt.Sprintf("%x", r.seed[:16]))
			}}},
		},
		dotype.ContainerRegistry: {
			replaceOnChange: []string{"name"},
			id:              func(r *resourceInfo) resource.ID { return resource.ID(r.str("name", r.name)) },
			computed: []computed{
				{path: "serverUrl", gen: constant("registry.digitalocean.com")},
				{path: "endpoint", gen: func(r *resourceInfo) resource.PropertyValue {
					return resource.NewProperty("registry.digitalocean.com/" + r.str("name", r.name))
				}},
				{path: "createdAt", gen: constant(fixedTime)},
			},
		},
		dotype.SpacesBucket: {
			replaceOnChange: []string{"name", "region"},
			id:              func(r *resourceInfo) resource.ID { return resource.ID(r.str("name", r.name)) },
			computed: []computed{
				{path: "name", gen: autoName},
				{path: "region", gen: constant("nyc3")},
				{path: "bucketDomainName", gen: func(r *resourceInfo) resource.PropertyValue {
					return resource.NewProperty(r.str("name", "") + "." + r.str("region", "") + ".digitaloceanspaces.com")
				}},
				{path: "endpoint", gen: func(r *resourceInfo) resource.PropertyValue {
					return resource.NewProperty(r.str("region", "") + ".digitaloceanspaces.com")
				}},
				{path: "bucketUrn", gen: func(r *resourceInfo) resource.PropertyValue {
					return resource.NewProperty("do:space:" + r.str("name", ""))
				}},
			},
		},
	})
}

// numericID is a nine-digit id, like a droplet's: programs convert it with
// strconv.Atoi to feed DropletId arguments.
func numericID(r *resourceInfo) resource.ID {
	return resource.ID(strconv.FormatUint(uint64(seedNumber(r, "id")%900_000_000+100_000_000), 10))
}

// The Kubernetes engine tests run a real kube-apiserver on 127.0.0.1 and
// point the stand-in clusters at it: its URL and CA certificate (base64
// PEM, as DOKS returns it) come from these variables; only the endpoint and
// the credentials differ from a real cluster's.
const (
	envKubeEndpoint = "INFRA_TESTPROVIDER_KUBE_ENDPOINT"
	envKubeCA       = "INFRA_TESTPROVIDER_KUBE_CA"
)

func clusterEndpoint(r *resourceInfo) resource.PropertyValue {
	if ep := os.Getenv(envKubeEndpoint); ep != "" {
		return resource.NewProperty(ep)
	}
	return resource.NewProperty(fmt.Sprintf("https://%s.k8s.ondigitalocean.com", r.id))
}

func dbHost(prefix string) func(*resourceInfo) resource.PropertyValue {
	return func(r *resourceInfo) resource.PropertyValue {
		name := r.str("name", r.name)
		return resource.NewProperty(fmt.Sprintf("%s%s-do-user-0-0.b.db.ondigitalocean.com", prefix, name))
	}
}

// dbURI builds a connection URI from the state so far; the scheme follows the
// cluster's engine.
func dbURI(hostKey string) func(*resourceInfo) resource.PropertyValue {
	return func(r *resourceInfo) resource.PropertyValue {
		scheme := map[string]string{
			"pg": "postgresql", "mysql": "mysql", "redis": "rediss", "valkey": "rediss", "mongodb": "mongodb+srv",
		}[r.str("engine", "pg")]
		if scheme == "" {
			scheme = "postgresql"
		}
		return resource.NewProperty(fmt.Sprintf("%s://%s:%s@%s:%d/%s?sslmode=require",
			scheme, r.str("user", "doadmin"), r.str("password", ""), r.str(hostKey, ""),
			r.num("port", 25060), r.str("database", "defaultdb")))
	}
}

// kubeConfigs is the one-element list DOKS returns: a kubeconfig whose token
// expires after seven days, and the same token on its own.
func kubeConfigs(r *resourceInfo) resource.PropertyValue {
	token := "dop_v1_" + randomString(64, "0123456789abcdef")
	endpoint := r.str("endpoint", "https://127.0.0.1")
	ca := os.Getenv(envKubeCA)
	if ca == "" {
		ca = base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n"))
	}
	ctxName := fmt.Sprintf("do-%s-%s", r.str("region", "nyc3"), r.str("name", r.name))
	raw := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: %[1]s
    server: %[2]s
  name: %[3]s
contexts:
- context:
    cluster: %[3]s
    user: %[3]s-admin
  name: %[3]s
current-context: %[3]s
users:
- name: %[3]s-admin
  user:
    token: %[4]s
`, ca, endpoint, ctxName, token)
	return resource.NewPropertyValue([]any{map[string]any{
		"rawConfig":            raw,
		"host":                 endpoint,
		"clusterCaCertificate": ca,
		"token":                token,
		"clientKey":            "",
		"clientCertificate":    "",
		"expiresAt":            time.Now().UTC().Add(7 * 24 * time.Hour).Format(time.RFC3339),
	}})
}
