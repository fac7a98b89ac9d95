// Command infra-program is the Pulumi program: `pulumi up` in this directory
// runs it. The infra CLI runs the same program inline.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/stacks"
)

func main() {
	pulumi.Run(stacks.Program)
}
