package cli

import (
	"context"
	"fmt"
	"math"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"
)

// OutputsOptions are the flags of `infra outputs`.
type OutputsOptions struct {
	StackOptions
	Format      string
	ShowSecrets bool
	Kubeconfig  bool
	Schema      bool
	Prefix      string
}

// NewCmdOutputs builds `infra outputs`. runF replaces the action in tests.
func NewCmdOutputs(streams *IO, runF func(*OutputsOptions) error) *cobra.Command {
	opts := &OutputsOptions{StackOptions: newStackOptions(streams)}
	cmd := &cobra.Command{
		Use:   "outputs --stack NAME [--format json|yaml|dotenv]",
		Short: "Print the stack's outputs (the documented contract), secrets redacted",
		Long: `outputs prints the stack outputs other tools read, a versioned contract
(contractVersion): topology, environment, class, region, domain, vpcId,
endpoints, database and connectionStrings (secret), grafanaUrl and
grafanaAdminPassword (secret), and vps and adminPassword (secret) or
kubernetes and kubeconfig (secret). docs/cli.md lists every key; --schema
prints the JSON Schema.

Secrets are printed as "[secret]" (in dotenv: a comment) unless --show-secrets.
The kubeconfig is printed only with --show-secrets --kubeconfig, alone, raw.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.JSON {
				opts.Format = "json"
			}
			switch opts.Format {
			case "json", "yaml", "dotenv":
			default:
				return usageError("--format must be json, yaml or dotenv, got %q", opts.Format)
			}
			if opts.Kubeconfig && !opts.ShowSecrets {
				return usageError("the kubeconfig is a secret: add --show-secrets to print it")
			}
			if runF != nil {
				return runF(opts)
			}
			return runOutputs(cmd.Context(), opts)
		},
	}
	opts.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&opts.Format, "format", "json", "json, yaml or dotenv")
	f.BoolVar(&opts.ShowSecrets, "show-secrets", false, "print secret outputs in plain text")
	f.BoolVar(&opts.Kubeconfig, "kubeconfig", false, "print only the cluster's kubeconfig (needs --show-secrets)")
	f.BoolVar(&opts.Schema, "schema", false, "print the JSON Schema of the outputs contract and exit")
	f.StringVar(&opts.Prefix, "prefix", "", "prefix of every dotenv variable (e.g. INFRA_)")
	return cmd
}

func runOutputs(ctx context.Context, o *OutputsOptions) error {
	out := o.IO.Out
	if o.Schema {
		_, err := out.Write(OutputsSchema)
		return err
	}
	s, _, err := o.open(ctx, false)
	if err != nil {
		return err
	}
	raw, err := s.Outputs(ctx)
	if err != nil {
		return classify(err, o.Stack, "read outputs")
	}
	if o.Kubeconfig {
		kc, ok := raw[KubeconfigOutput]
		text, isString := kc.Value.(string)
		if !ok || !isString {
			return fmt.Errorf("stack %s has no kubeconfig output (only topology kubernetes has one)", o.Stack)
		}
		_, err := fmt.Fprint(out, text)
		return err
	}
	outputs := RedactOutputs(raw, o.ShowSecrets)
	switch o.Format {
	case "yaml":
		b, err := yaml.Marshal(integers(outputs))
		if err != nil {
			return fmt.Errorf("encode outputs as YAML: %w", err)
		}
		_, err = out.Write(b)
		return err
	case "dotenv":
		_, err := fmt.Fprint(out, dotenv(outputs, o.Prefix))
		return err
	default:
		return writeJSON(out, outputs)
	}
}

// integers turns whole float64 numbers (how JSON decoding hands over every
// number) back into integers, so YAML prints port: 25060, not 25060.0.
func integers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = integers(x)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = integers(x)
		}
		return out
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return int64(t)
		}
		return t
	default:
		return v
	}
}
