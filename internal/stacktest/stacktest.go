// Package stacktest holds stack files for tests. [ProdVPS] and [Edit] serve
// the tests of the packages that read stack files (stacks/config,
// internal/policy, internal/cli), so each does not keep its own copy of a
// valid production stack. [Committed] finds the committed stack files of the
// repository: the root project's and every example's Pulumi.<stack>.yaml,
// with the project name from the Pulumi.yaml beside each; tests that walk
// every stack use it. [SetSecrets] turns a stack file's placeholder secrets
// into values that look set, for tests that go past the CLI's refusal of
// placeholders without decrypting anything.
package stacktest

import (
	"strings"
	"testing"
)

// ProdVPS is a valid production stack on the VPS topology that passes
// every policy rule: a managed database with a standby and two pools, a
// public service with a health check, a worker, and the Spaces keys the
// backups need.
const ProdVPS = `
config:
  infra:environment: prod
  infra:class: production
  infra:topology: vps
  infra:region: nyc3
  infra:domain: example.com
  infra:network: { adminCidrs: [198.51.100.7/32] }
  infra:vps:
    size: s-2vcpu-4gb
    sshKeys: ["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"]
    sshPrivateKeySecret: deploy-ssh-key
    spacesKeySecret: spaces-access-key
    spacesSecretSecret: spaces-secret-key
  infra:database:
    engine: managed
    size: db-s-1vcpu-2gb
    nodes: 2
    databases:
      - { name: app, pool: { mode: transaction, size: 10 } }
      - { name: app_jobs, pool: { mode: session, size: 5 } }
    roles:
      - { name: app, databases: [app, app_jobs] }
  infra:services:
    - name: api
      image: ghcr.io/example/api:1.0.0
      port: 8080
      health: /healthz
      public: { host: api }
      connections:
        DATABASE_URL: { database: app, role: app, format: url }
        JOBS_DATABASE_URL: { database: app_jobs, role: app, format: url }
    - name: worker
      image: ghcr.io/example/api:1.0.0
      command: [worker]
  infra:secrets:
    deploy-ssh-key: { secure: v1:AAAAAAAAAAAAAAAA:aW5mcmEgcGxhY2Vob2xkZXI6IGRlcGxveS1zc2gta2V5 }
    spaces-access-key: { secure: v1:AAAAAAAAAAAAAAAA:aW5mcmEgcGxhY2Vob2xkZXI6IHNwYWNlcy1hY2Nlc3Mta2V5 }
    spaces-secret-key: { secure: v1:AAAAAAAAAAAAAAAA:aW5mcmEgcGxhY2Vob2xkZXI6IHNwYWNlcy1zZWNyZXQta2V5 }
`

// Edit replaces exact pieces of a stack file's text, in pairs (old, new),
// failing the test if one is absent.
func Edit(t *testing.T, stack string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(stack, pairs[i]) {
			t.Fatalf("stack has no %q", pairs[i])
		}
		stack = strings.Replace(stack, pairs[i], pairs[i+1], 1)
	}
	return stack
}
