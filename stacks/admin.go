package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/components/workload"
)

// adminUser is the user of a route's basic authentication, on both
// topologies (deploy.sh writes the same name into the VPS's htpasswd).
const adminUser = workload.AdminUser

// exportAdminCredentials sets the adminCredentials output, the login of
// each service whose route has auth, secret as a whole; none without such
// a route.
func (d *Deployment) exportAdminCredentials(passwords map[string]pulumi.StringOutput) {
	if len(passwords) == 0 {
		return
	}
	creds := pulumi.Map{}
	for svc, pw := range passwords {
		creds[svc] = pulumi.Map{"username": pulumi.String(adminUser), "password": pw}
	}
	d.Outputs["adminCredentials"] = pulumi.ToSecret(creds)
}
