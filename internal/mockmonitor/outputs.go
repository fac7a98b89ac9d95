package mockmonitor

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"infra/internal/dotype"
)

// Values the monitor answers with, for tests to look for.
const (
	// DropletIDBase is where droplet ids start (DigitalOcean's are numbers,
	// and the VPS component parses them).
	DropletIDBase = 300000000

	DropletIPv4        = "203.0.113.10"
	DropletPrivateIPv4 = "10.10.0.2"
	ReservedIP         = "203.0.113.20"
	LoadBalancerIP     = "203.0.113.30"

	// StaleToken is the 7-day token DOKS puts in a cluster's kubeConfigs.
	StaleToken = "stale-7-day-token"
	// CACert is the cluster's CA certificate (base64 PEM, as DOKS returns it).
	CACert = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"
)

// computed returns the outputs the cloud would compute for a resource
// type; NewResource adds those the inputs do not set. Secrets it makes up
// are kept in m.generated (the caller holds m.mu).
func (m *Monitor) computed(typ, name string) resource.PropertyMap {
	str := resource.NewStringProperty
	num := resource.NewNumberProperty
	switch typ {
	case "random:index/randomPassword:RandomPassword":
		pw := mockPassword(typ, name, 32)
		m.generated = append(m.generated, pw)
		return resource.PropertyMap{"result": resource.MakeSecret(str(pw))}
	case "random:index/randomString:RandomString":
		return resource.PropertyMap{"result": str("k3x9qa")}
	case "random:index/randomUuid:RandomUuid":
		sum := sha256.Sum256([]byte("mock uuid\x00" + name))
		h := hex.EncodeToString(sum[:16])
		return resource.PropertyMap{"result": str(h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:])}
	case dotype.DatabaseCluster:
		pw := mockPassword(typ, name, 24)
		m.generated = append(m.generated, pw)
		return resource.PropertyMap{
			"host":        str(name + ".db.ondigitalocean.com"),
			"privateHost": str("private-" + name + ".db.ondigitalocean.com"),
			"port":        num(25060),
			"user":        str("doadmin"),
			"database":    str("defaultdb"),
			"password":    resource.MakeSecret(str(pw)),
			"urn":         str("do:dbaas:" + name),
		}
	case dotype.DatabaseConnectionPool:
		return resource.PropertyMap{
			"host":        str(name + ".db.ondigitalocean.com"),
			"privateHost": str("private-" + name + ".db.ondigitalocean.com"),
			"port":        num(25061),
		}
	case dotype.Droplet:
		return resource.PropertyMap{
			"ipv4Address":        str(DropletIPv4),
			"ipv4AddressPrivate": str(DropletPrivateIPv4),
			"urn":                str("do:droplet:" + name),
			"dropletUrn":         str("do:droplet:" + name),
		}
	case dotype.ReservedIP:
		return resource.PropertyMap{"ipAddress": str(ReservedIP), "urn": str("do:reservedip:" + name), "reservedIpUrn": str("do:reservedip:" + ReservedIP)}
	case dotype.LoadBalancer:
		return resource.PropertyMap{"ip": str(LoadBalancerIP), "urn": str("do:loadbalancer:" + name)}
	case dotype.KubernetesCluster:
		endpoint := "https://" + name + ".k8s.ondigitalocean.com"
		return resource.PropertyMap{
			"endpoint": str(endpoint),
			"urn":      str("do:kubernetes:" + name),
			"kubeConfigs": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
				"rawConfig":            resource.MakeSecret(str("apiVersion: v1\nkind: Config\nusers:\n- user:\n    token: " + StaleToken + "\n")),
				"clusterCaCertificate": str(CACert),
				"host":                 str(endpoint),
				"token":                resource.MakeSecret(str(StaleToken)),
			})}),
		}
	case dotype.VPC, dotype.Project, dotype.SpacesBucket:
		return resource.PropertyMap{"urn": str("do:" + name), "bucketDomainName": str(name + ".nyc3.digitaloceanspaces.com"), "bucketUrn": str("do:space:" + name)}
	}
	return nil
}

// mockPassword is the password a resource "generates" offline: derived
// from its type and name, so that two plans of one config are equal and a
// plan diff sees a secret change only when the config does. It protects
// nothing (no plan is ever applied), and it is in Generated like any
// generated secret, so the tests still prove none of them is shown.
func mockPassword(typ, name string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 0, n)
	for block := 0; len(b) < n; block++ {
		sum := sha256.Sum256([]byte(fmt.Sprintf("mock password %d\x00%s\x00%s", block, typ, name)))
		for _, c := range sum {
			if len(b) == n {
				break
			}
			b = append(b, alphabet[int(c)%len(alphabet)])
		}
	}
	return string(b)
}
