package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	"infra/internal/providercheck"
)

// pluginVersions are the versions the provider SDKs in go.mod ask the engine
// for (their PkgResourceDefaultOpts). Reporting the same version keeps the
// provider references in state what the real plugins would record;
// TestPluginVersionsMatchGoMod catches a drift after an SDK upgrade.
var pluginVersions = map[string]string{
	"digitalocean": "4.57.0",
	"kubernetes":   "4.30.0",
	"random":       "4.21.0",
	"postgresql":   "3.18.0",
	"command":      "1.2.1",
}

// pluginVersion is the version to report for pkg; override (from the
// environment) wins so the binary can stand in for a package not listed.
func pluginVersion(pkg, override string) (semver.Version, error) {
	v := override
	if v == "" {
		v = pluginVersions[pkg]
	}
	if v == "" {
		return semver.Version{}, fmt.Errorf(
			"no version known for package %q: install as pulumi-resource-<package> or set INFRA_TESTPROVIDER_VERSION", pkg)
	}
	parsed, err := semver.Parse(v)
	if err != nil {
		return semver.Version{}, fmt.Errorf("version %q of package %q: %w", v, pkg, err)
	}
	return parsed, nil
}

// testProvider implements every resource operation without a cloud: see the
// package comment. It is stateless, so one value serves all requests.
type testProvider struct {
	plugin.UnimplementedProvider
	pkg     string
	version semver.Version
	// strict checks every input against the real provider's schema and
	// the rule table before anything is echoed (internal/providercheck).
	strict *providercheck.Checker
}

func newProvider(pkg string, version semver.Version, strict *providercheck.Checker) *testProvider {
	return &testProvider{pkg: pkg, version: version, strict: strict}
}

// checkFailures runs the strict checks on a resource's inputs.
func (p *testProvider) checkFailures(typ tokens.Type, inputs resource.PropertyMap) []plugin.CheckFailure {
	failures, _ := p.strict.CheckResource(string(typ), inputs)
	out := make([]plugin.CheckFailure, 0, len(failures))
	for _, f := range failures {
		out = append(out, plugin.CheckFailure{Property: resource.PropertyKey(f.Property), Reason: f.Reason})
	}
	return out
}

// refuse turns failures that reach Create or Update (an engine that skipped
// Check) into an error, so nothing invalid is ever echoed as created.
func refuse(op string, urn resource.URN, failures []plugin.CheckFailure) error {
	msgs := make([]string, len(failures))
	for i, f := range failures {
		msgs[i] = string(f.Property) + ": " + f.Reason
	}
	return fmt.Errorf("%s %s: invalid inputs: %s", op, urn, strings.Join(msgs, "; "))
}

func (p *testProvider) Handshake(
	context.Context, plugin.ProviderHandshakeRequest,
) (*plugin.ProviderHandshakeResponse, error) {
	// Accepting secrets is what makes the engine send secret inputs as secrets,
	// which we echo back as secrets so state keeps them encrypted.
	return &plugin.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

func (p *testProvider) Close() error { return nil }

func (p *testProvider) SignalCancellation(context.Context) error { return nil }

func (p *testProvider) GetPluginInfo(context.Context) (plugin.PluginInfo, error) {
	v := p.version
	return plugin.PluginInfo{Version: &v}, nil
}

func (p *testProvider) CheckConfig(
	_ context.Context, req plugin.CheckConfigRequest,
) (plugin.CheckConfigResponse, error) {
	var failures []plugin.CheckFailure
	for _, f := range p.strict.CheckProviderConfig(p.pkg, req.News) {
		failures = append(failures, plugin.CheckFailure{Property: resource.PropertyKey(f.Property), Reason: f.Reason})
	}
	if len(failures) > 0 {
		return plugin.CheckConfigResponse{Failures: failures}, nil
	}
	return plugin.CheckConfigResponse{Properties: req.News}, nil
}

// DiffConfig reports changed provider settings as an update, never a
// replacement: a test that changes a provider's config should not see every
// resource of that provider replaced.
func (p *testProvider) DiffConfig(
	_ context.Context, req plugin.DiffConfigRequest,
) (plugin.DiffConfigResponse, error) {
	return diffInputs(nil, req.OldInputs, req.NewInputs, req.IgnoreChanges), nil
}

// Configure accepts any configuration. The provider server answers with
// AcceptSecrets, AcceptResources and SupportsPreview all true.
func (p *testProvider) Configure(context.Context, plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	return plugin.ConfigureResponse{}, nil
}

// Check refuses what the real provider would, with the property path, so
// the engine reports it before anything is created.
func (p *testProvider) Check(_ context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
	if failures := p.checkFailures(req.Type, req.News); len(failures) > 0 {
		return plugin.CheckResponse{Failures: failures}, nil
	}
	return plugin.CheckResponse{Properties: req.News}, nil
}

func (p *testProvider) Diff(_ context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
	olds := req.OldInputs
	if len(olds) == 0 {
		// State written without inputs (an import): compare with what we know.
		olds = req.OldOutputs
	}
	return diffInputs(replaceKeysFor(req.Type), olds, req.NewInputs, req.IgnoreChanges), nil
}

func (p *testProvider) Create(ctx context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
	if failures := p.checkFailures(req.Type, req.Properties); len(failures) > 0 {
		return plugin.CreateResponse{}, refuse("create", req.URN, failures)
	}
	spec := specFor(req.Type)
	r := newResourceInfo(req.URN, req.Type, req.Properties)
	if req.Preview {
		return plugin.CreateResponse{Properties: outputsFor(spec, r, nil, true)}, nil
	}
	if spec.idFromOutputs {
		outputs := outputsFor(spec, r, nil, false)
		id := spec.makeID(r)
		if err := recordCreate(ctx, req.URN, req.Type, string(id)); err != nil {
			return plugin.CreateResponse{}, err
		}
		return plugin.CreateResponse{ID: id, Properties: outputs}, nil
	}
	r.id = spec.makeID(r)
	if err := recordCreate(ctx, req.URN, req.Type, string(r.id)); err != nil {
		return plugin.CreateResponse{}, err
	}
	return plugin.CreateResponse{ID: r.id, Properties: outputsFor(spec, r, nil, false)}, nil
}

func (p *testProvider) Update(ctx context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
	if failures := p.checkFailures(req.Type, req.NewInputs); len(failures) > 0 {
		return plugin.UpdateResponse{}, refuse("update", req.URN, failures)
	}
	if !req.Preview {
		if err := recordUpdate(ctx, req.URN, req.Type, string(req.ID)); err != nil {
			return plugin.UpdateResponse{}, err
		}
	}
	spec := specFor(req.Type)
	r := newResourceInfo(req.URN, req.Type, req.NewInputs)
	r.id = req.ID
	return plugin.UpdateResponse{Properties: outputsFor(spec, r, req.OldOutputs, req.Preview)}, nil
}

// Read returns the state it is given. A read without state (a resource looked
// up by id with Get) is answered as if the resource had just been created.
func (p *testProvider) Read(_ context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
	outputs := req.State
	if len(outputs) == 0 {
		r := newResourceInfo(req.URN, req.Type, req.Inputs)
		r.id = req.ID
		outputs = outputsFor(specFor(req.Type), r, nil, false)
	}
	return plugin.ReadResponse{ReadResult: plugin.ReadResult{
		ID: req.ID, Inputs: req.Inputs, Outputs: outputs,
	}}, nil
}

func (p *testProvider) Delete(context.Context, plugin.DeleteRequest) (plugin.DeleteResponse, error) {
	return plugin.DeleteResponse{}, nil
}

// Invoke answers the functions the program calls; their arguments are
// checked like resource inputs. A function the stand-in does not answer is
// an error, never an empty success.
func (p *testProvider) Invoke(_ context.Context, req plugin.InvokeRequest) (plugin.InvokeResponse, error) {
	if failures, _ := p.strict.CheckInvoke(string(req.Tok), req.Args); len(failures) > 0 {
		var checkFailures []plugin.CheckFailure
		for _, f := range failures {
			checkFailures = append(checkFailures, plugin.CheckFailure{Property: resource.PropertyKey(f.Property), Reason: f.Reason})
		}
		return plugin.InvokeResponse{Failures: checkFailures}, nil
	}
	fn, ok := invokes[string(req.Tok)]
	if !ok {
		return plugin.InvokeResponse{}, fmt.Errorf("invoke %s: the stand-in provider does not answer this function", req.Tok)
	}
	out, err := fn(p.strict.Catalog(), req.Args)
	if err != nil {
		return plugin.InvokeResponse{}, fmt.Errorf("invoke %s: %w", req.Tok, err)
	}
	return plugin.InvokeResponse{Properties: out}, nil
}

// diffInputs compares old and new inputs key by key. A changed key is an
// update unless one of replacePaths (property paths, "*" for all) differs.
func diffInputs(replacePaths []resource.PropertyPath, olds, news resource.PropertyMap, ignore []string,
) plugin.DiffResult {
	var changed, replace []resource.PropertyKey
	for _, k := range unionKeys(olds, news) {
		if slices.Contains(ignore, string(k)) {
			continue
		}
		if !sameValue(olds[k], news[k]) {
			changed = append(changed, k)
		}
	}
	if len(changed) == 0 {
		return plugin.DiffResult{Changes: plugin.DiffNone}
	}
	oldObj, newObj := resource.NewProperty(olds), resource.NewProperty(news)
	for _, path := range replacePaths {
		if len(path) == 1 && path[0] == "*" {
			replace = changed
			break
		}
		oldV, _ := path.Get(oldObj)
		newV, _ := path.Get(newObj)
		top := resource.PropertyKey(path[0].(string))
		if !sameValue(oldV, newV) && !slices.Contains(replace, top) && !slices.Contains(ignore, string(top)) {
			replace = append(replace, top)
		}
	}
	slices.Sort(replace)
	return plugin.DiffResult{Changes: plugin.DiffSome, ChangedKeys: changed, ReplaceKeys: replace}
}

// sameValue treats a missing value and null alike; an unknown value is never
// the same as anything, so a computed replace-on-change input previews as a
// replacement, the way the bridged providers answer.
func sameValue(a, b resource.PropertyValue) bool {
	if a.IsNull() && b.IsNull() {
		return true
	}
	if a.ContainsUnknowns() || b.ContainsUnknowns() {
		return false
	}
	return a.DeepEquals(b)
}

func unionKeys(a, b resource.PropertyMap) []resource.PropertyKey {
	keys := make([]resource.PropertyKey, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}
