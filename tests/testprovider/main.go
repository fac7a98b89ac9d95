// Command testprovider is a fake resource provider plugin that stands in for the
// cloud providers our program uses (digitalocean, kubernetes, random, postgresql,
// command), so the real Pulumi engine can run the program without downloading
// plugins or touching a cloud.
//
// One binary serves every package: install it on PATH as
// pulumi-resource-<package> (scripts/test-providers.sh does) and it takes its
// package name from the name it was started under. It keeps no state of its own:
// Create invents ids and computed outputs, Update carries computed outputs over,
// and Diff reports replacements from a table of replace-on-change properties
// (replace.go), so tests can tell an update from a replacement.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"infra/internal/providercheck"
)

const pluginPrefix = "pulumi-resource-"

func main() {
	pkg := packageName(os.Args[0])
	version, err := pluginVersion(pkg, os.Getenv("INFRA_TESTPROVIDER_VERSION"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
	strict, err := providercheck.New()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: load the provider schemas and rules: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
	err = provider.Main(pkg, func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &constructServer{
			ResourceProviderServer: plugin.NewProviderServer(newProvider(pkg, version, strict)),
			host:                   host,
		}, nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", pkg, err)
		os.Exit(1)
	}
}

// packageName derives the package a binary serves from the name it was started
// under: pulumi-resource-digitalocean serves digitalocean.
func packageName(argv0 string) string {
	base := filepath.Base(argv0)
	base = strings.TrimSuffix(base, ".exe")
	return strings.TrimPrefix(base, pluginPrefix)
}
