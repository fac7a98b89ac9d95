package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"infra/internal/pins"
)

// VersionsOptions are the flags of `infra versions`.
type VersionsOptions struct {
	IO   *IO
	JSON bool
	// Check fails (exit 4) when a pin is past its end of support.
	Check bool
	// Now is the clock (tests fix it); Load reads the manifest (tests
	// give their own).
	Now  func() time.Time
	Load func() (pins.Manifest, error)
}

// NewCmdVersions builds `infra versions`. runF replaces the action in tests.
func NewCmdVersions(streams *IO, runF func(*VersionsOptions) error) *cobra.Command {
	opts := &VersionsOptions{IO: streams, Now: time.Now, Load: pins.Load}
	cmd := &cobra.Command{
		Use:   "versions",
		Short: "Print every pinned version and warn before its end of support",
		Long: fmt.Sprintf(`versions prints the manifest of pinned versions (internal/pins/pins.yaml):
the Helm charts and images the program deploys, the stack defaults, the
GitHub Actions, the Go toolchain and Pulumi SDKs, and the price table's date,
each with where and when it was checked and its upstream end of support.

It warns, on stderr, about every pin past its end of support or within %d
days of it. With --check it exits 4 when any pin is past its end of support
(the nightly drift workflow runs it).`, pins.WarnDays),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runVersions(opts)
		},
	}
	addJSONFlag(cmd, &opts.JSON, "the pins and their support status")
	cmd.Flags().BoolVar(&opts.Check, "check", false, "exit 4 when a pin is past its end of support")
	return cmd
}

// VersionsReport is what `infra versions --json` prints.
type VersionsReport struct {
	Today string       `json:"today"`
	Pins  []PinVersion `json:"pins"`
	// Ended and Ending name the pins past their end of support, and within
	// pins.WarnDays of it.
	Ended  []string `json:"ended"`
	Ending []string `json:"ending"`
}

// PinVersion is one pin with its support status on Today.
type PinVersion struct {
	Name               string       `json:"name"`
	Kind               pins.Kind    `json:"kind"`
	Value              string       `json:"value"`
	Source             string       `json:"source"`
	Checked            string       `json:"checked"`
	EndOfSupport       string       `json:"endOfSupport,omitempty"`
	EndOfSupportSource string       `json:"endOfSupportSource,omitempty"`
	Support            pins.Support `json:"support"`
	// DaysLeft counts to the end of support (negative once past); absent
	// when upstream publishes no date.
	DaysLeft *int   `json:"daysLeft,omitempty"`
	Note     string `json:"note,omitempty"`
}

func versionsReport(m pins.Manifest, today time.Time) VersionsReport {
	rep := VersionsReport{Today: today.UTC().Format(pins.DateLayout), Pins: []PinVersion{}, Ended: []string{}, Ending: []string{}}
	for _, p := range m.Pins {
		v := PinVersion{
			Name: p.Name, Kind: p.Kind, Value: p.Value, Source: p.Source,
			Checked: p.Checked.Format(pins.DateLayout), EndOfSupportSource: p.EndOfSupportSource,
			Support: p.SupportOn(today), Note: p.Note,
		}
		if p.HasEndOfSupport() {
			v.EndOfSupport = p.EndOfSupport.Format(pins.DateLayout)
			left := p.DaysLeft(today)
			v.DaysLeft = &left
		}
		switch v.Support {
		case pins.SupportEnded:
			rep.Ended = append(rep.Ended, p.Name)
		case pins.SupportEnding:
			rep.Ending = append(rep.Ending, p.Name)
		}
		rep.Pins = append(rep.Pins, v)
	}
	return rep
}

func runVersions(o *VersionsOptions) error {
	m, err := o.Load()
	if err != nil {
		return err
	}
	rep := versionsReport(m, o.Now())
	if o.JSON {
		if err := writeJSON(o.IO.Out, rep); err != nil {
			return err
		}
	} else if err := writeVersionsTable(o.IO.Out, rep); err != nil {
		return err
	}
	writeSupportWarnings(o.IO.ErrOut, rep)
	if o.Check && len(rep.Ended) > 0 {
		return &ExitError{Code: ExitPolicy, Err: fmt.Errorf("%d pin(s) past end of support on %s: %s (internal/pins/pins.yaml)",
			len(rep.Ended), rep.Today, strings.Join(rep.Ended, ", "))}
	}
	return nil
}

func writeVersionsTable(out io.Writer, rep VersionsReport) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tKIND\tVALUE\tCHECKED\tEND OF SUPPORT\tSOURCE")
	for _, p := range rep.Pins {
		eos := "-"
		if p.EndOfSupport != "" {
			eos = p.EndOfSupport
			switch p.Support {
			case pins.SupportEnded:
				eos += " (ended)"
			case pins.SupportEnding:
				eos += " (" + days(*p.DaysLeft) + " left)"
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Kind, p.Value, p.Checked, eos, p.Source)
	}
	return w.Flush()
}

// writeSupportWarnings prints one line per pin past, or near, its end of
// support, with where the date comes from.
func writeSupportWarnings(errOut io.Writer, rep VersionsReport) {
	for _, p := range rep.Pins {
		switch p.Support {
		case pins.SupportEnded:
			fmt.Fprintf(errOut, "warning: %s %s: support ended on %s (%s ago, %s)\n",
				p.Name, p.Value, p.EndOfSupport, days(-*p.DaysLeft), p.EndOfSupportSource)
		case pins.SupportEnding:
			fmt.Fprintf(errOut, "warning: %s %s: support ends on %s (in %s, %s)\n",
				p.Name, p.Value, p.EndOfSupport, days(*p.DaysLeft), p.EndOfSupportSource)
		}
	}
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
