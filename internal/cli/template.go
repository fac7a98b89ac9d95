package cli

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"infra/internal/placeholder"
	"infra/stacks/config"
)

//go:embed templates/*.yaml.tmpl
var templateFS embed.FS

// TemplateOptions are the flags of `infra template`.
type TemplateOptions struct {
	IO *IO
	ProjectFlags
	Topology    string
	Out         string
	Environment string
	Class       string
	Region      string
	Domain      string
	App         string
	Force       bool
	JSON        bool
}

// SecretPlaceholder is the value of each infra:secrets entry a template
// writes: it validates offline, and preview and up refuse it (exit 3) until
// `pulumi config set --secret` replaced it.
const SecretPlaceholder = placeholder.Unset

// templateData fills a template.
type templateData struct {
	Stack, File, Environment, Class, Region, Domain, App string
	Production                                           bool
	SecretPlaceholder                                    string
}

var appName = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)

// NewCmdTemplate builds `infra template`. runF replaces the action in tests.
func NewCmdTemplate(streams *IO, runF func(*TemplateOptions) error) *cobra.Command {
	opts := &TemplateOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "template --topology vps|kubernetes [--out FILE | FILE]",
		Short: "Write a commented starter stack file that validates",
		Long: `template writes a starter Pulumi.<stack>.yaml for a topology, every key
commented. The file validates as written (it is checked before it is written);
edit it, then run ` + "`infra validate`" + ` and ` + "`infra plan`" + `.

The file goes to --out (or the FILE argument; "-" is stdout), by default
Pulumi.<stack>.yaml in --dir. An existing file is kept unless --force.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if opts.Out != "" {
					return usageError("give the file as an argument or with --out, not both")
				}
				opts.Out = args[0]
			}
			if opts.Topology != string(config.TopologyVPS) && opts.Topology != string(config.TopologyKubernetes) {
				return usageError("--topology must be vps or kubernetes, got %q", opts.Topology)
			}
			if !appName.MatchString(opts.App) {
				return usageError("--app must be lower-case letters, digits and dashes, got %q", opts.App)
			}
			if opts.Out == "" {
				opts.Out = config.StackFile(opts.Dir, opts.Stack)
			}
			if opts.Environment == "" {
				opts.Environment = opts.Stack
			}
			if err := askClass(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runTemplate(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Topology, "topology", "", "vps (one Droplet, Docker Compose) or kubernetes (DOKS)")
	f.StringVarP(&opts.Out, "out", "o", "", `file to write ("-" for stdout; default Pulumi.<stack>.yaml in --dir)`)
	opts.ProjectFlags.addFlags(cmd)
	opts.Stack = "dev"
	f.Lookup("stack").DefValue = opts.Stack
	f.StringVar(&opts.Environment, "environment", "", "infra:environment, the stage's name in resource names (default: the stack name)")
	f.StringVar(&opts.Class, "class", "", "infra:class: production, staging or development (asked on a terminal when not given)")
	f.StringVar(&opts.Region, "region", "nyc3", "DigitalOcean region slug")
	f.StringVar(&opts.Domain, "domain", "example.com", "DNS zone of the public hosts")
	f.StringVar(&opts.App, "app", "app", "application name (Kubernetes namespace)")
	f.BoolVar(&opts.Force, "force", false, "overwrite an existing file")
	addJSONFlag(cmd, &opts.JSON, "what was written (with -o -: the file itself)")
	return cmd
}

// renderTemplate fills the topology's template and checks the result
// validates: bad flag values come back as a *stacks.ConfigError.
func renderTemplate(o *TemplateOptions) ([]byte, error) {
	name := "templates/" + o.Topology + ".yaml.tmpl"
	t, err := template.ParseFS(templateFS, name)
	if err != nil {
		return nil, fmt.Errorf("load template %s: %w", name, err)
	}
	data := templateData{
		Stack: o.Stack, File: o.Out, Environment: o.Environment, Class: o.Class, Region: o.Region,
		Domain: o.Domain, App: o.App, Production: config.Class(o.Class) == config.ClassProduction,
		SecretPlaceholder: SecretPlaceholder,
	}
	if o.Out == "-" {
		data.File = config.StackFile(o.Dir, o.Stack)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("render template %s: %w", name, err)
	}
	raw, err := config.ParseStackFile(data.File, b.Bytes())
	if err != nil {
		return nil, err
	}
	if _, err := config.Parse(raw); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func runTemplate(o *TemplateOptions) error {
	doc, err := renderTemplate(o)
	if err != nil {
		return err
	}
	if o.Out == "-" {
		_, err := o.IO.Out.Write(doc)
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if o.Force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	if dir := filepath.Dir(o.Out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("write template: %w", err)
		}
	}
	f, err := os.OpenFile(o.Out, flags, 0o644)
	if os.IsExist(err) {
		return usageError("%s exists: keep it, or overwrite it with --force", o.Out)
	}
	if err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	if _, err := f.Write(doc); err != nil {
		f.Close()
		return fmt.Errorf("write template %s: %w", o.Out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write template %s: %w", o.Out, err)
	}
	if o.JSON {
		return json.NewEncoder(o.IO.Out).Encode(map[string]any{"file": o.Out, "topology": o.Topology, "stack": o.Stack, "valid": true})
	}
	fmt.Fprintf(o.IO.ErrOut, "Wrote %s (topology %s). Next: infra validate --file %s\n", o.Out, o.Topology, o.Out)
	return nil
}

// askClass makes sure the stack's class is stated: given with --class, or
// asked on a terminal. The name is no guide (`prod-eu`, `staging-prod`),
// so nothing is guessed; a script must say it.
func askClass(o *TemplateOptions) error {
	valid := func(c string) bool {
		for _, v := range config.Classes() {
			if string(v) == c {
				return true
			}
		}
		return false
	}
	if o.Class != "" {
		if !valid(o.Class) {
			return usageError("--class must be production, staging or development, got %q", o.Class)
		}
		return nil
	}
	if !o.IO.interactive() {
		return usageError("--class is required: production, staging or development (what stack %s is for; production turns on the safeguards)", o.Stack)
	}
	in := bufio.NewScanner(o.IO.In)
	for {
		fmt.Fprintf(o.IO.ErrOut, "What is stack %s for? production, staging or development: ", o.Stack)
		if !in.Scan() {
			return usageError("--class is required: no answer was read")
		}
		if answer := strings.TrimSpace(strings.ToLower(in.Text())); valid(answer) {
			o.Class = answer
			return nil
		}
	}
}
