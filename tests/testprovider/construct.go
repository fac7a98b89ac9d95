package main

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// chartType is the one remote component the program declares: Helm Chart v4
// of the kubernetes package (components/monitoring uses it for the
// kube-prometheus-stack CRDs).
const chartType = "kubernetes:helm.sh/v4:Chart"

// chartInputs are the input properties of kubernetes:helm.sh/v4:Chart, from
// the chartArgs struct of github.com/pulumi/pulumi-kubernetes/sdk/v4
// v4.30.0, go/kubernetes/helm/v4/chart.go (generated from the provider's
// schema). chart is its only required input.
var chartInputs = []string{
	"chart", "dependencyUpdate", "devel", "keyring", "name", "namespace", "plainHttp",
	"postRenderer", "repositoryOpts", "resourcePrefix", "skipAwait", "skipCrds",
	"valueYamlFiles", "values", "verify", "version",
}

// constructServer adds Construct to the resource provider server: the
// engine asks the package's provider to construct a remote component, and
// without it every Kubernetes stack stops at "Construct is not yet
// implemented". The stand-in registers the component with its inputs
// checked and an empty resources output: it renders no chart (a real
// cluster and the real Kubernetes provider do that).
type constructServer struct {
	pulumirpc.ResourceProviderServer
	host *provider.HostClient
}

// chartComponent carries the outputs Chart v4 declares.
type chartComponent struct {
	pulumi.ResourceState
	Resources pulumi.ArrayOutput `pulumi:"resources"`
}

func (s *constructServer) Construct(ctx context.Context, req *pulumirpc.ConstructRequest,
) (*pulumirpc.ConstructResponse, error) {
	if req.GetType() != chartType {
		return nil, fmt.Errorf("construct %s: the stand-in provider constructs only %s", req.GetType(), chartType)
	}
	if problems := checkChartInputs(req.GetInputs().AsMap()); len(problems) > 0 {
		return nil, fmt.Errorf("construct %s %q: %s", chartType, req.GetName(), strings.Join(problems, "; "))
	}
	return provider.Construct(ctx, req, s.host.EngineConn(), constructChart)
}

func constructChart(ctx *pulumi.Context, typ, name string, _ provider.ConstructInputs,
	opts pulumi.ResourceOption,
) (*provider.ConstructResult, error) {
	chart := &chartComponent{}
	if err := ctx.RegisterComponentResource(typ, name, chart, opts); err != nil {
		return nil, fmt.Errorf("register %s %q: %w", typ, name, err)
	}
	chart.Resources = pulumi.Array{}.ToArrayOutput()
	if err := ctx.RegisterResourceOutputs(chart, pulumi.Map{"resources": chart.Resources}); err != nil {
		return nil, fmt.Errorf("outputs of %s %q: %w", typ, name, err)
	}
	return provider.NewConstructResult(chart)
}

// checkChartInputs refuses an input Chart v4 does not declare and a missing
// or empty chart, each as "property: reason", sorted.
func checkChartInputs(inputs map[string]any) []string {
	var problems []string
	for k := range inputs {
		if !slices.Contains(chartInputs, k) {
			problems = append(problems, fmt.Sprintf("%s: not an input of %s", k, chartType))
		}
	}
	if c, ok := inputs["chart"].(string); !ok || c == "" {
		problems = append(problems, "chart: required, a non-empty string")
	}
	sort.Strings(problems)
	return problems
}
