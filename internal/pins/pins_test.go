package pins

import (
	"strings"
	"testing"
	"time"
)

// The embedded manifest's shape: Parse checks every entry (value, https
// sources, dates, kinds, unique names); the calendar is not tested here.
func TestManifestShape(t *testing.T) {
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Kinds {
		if len(m.OfKind(k)) == 0 {
			t.Errorf("no pin of kind %s", k)
		}
	}
	for _, p := range m.Pins {
		if p.Checked.IsZero() {
			t.Errorf("%s: no checked date", p.Name)
		}
		if p.HasEndOfSupport() && !strings.HasPrefix(p.EndOfSupportSource, "https://") {
			t.Errorf("%s: end of support without a source", p.Name)
		}
	}
}

// Every name the components ask for resolves.
func TestMustValue(t *testing.T) {
	if got := MustValue("alertmanager"); !strings.HasPrefix(got, "prom/alertmanager:v") {
		t.Errorf("alertmanager = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustValue of an unknown name did not panic")
		}
	}()
	MustValue("no-such-pin")
}

const goodEntry = `
  - name: nginx
    kind: image
    value: "nginx:1.30.4-alpine"
    source: "https://github.com/docker-library/official-images/blob/master/library/nginx"
    checked: "2026-12-01"`

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"empty", "pins: []\n", []string{"no pins"}},
		{"unknown key", "pins:" + goodEntry + "\n    verison: x\n", []string{"verison"}},
		{"missing value and name", "pins:\n  - kind: image\n    source: https://a.example\n    checked: \"2026-01-01\"\n",
			[]string{"pins[0] (): name: missing", "value: missing"}},
		{"unknown kind", "pins:" + strings.Replace(goodEntry, "kind: image", "kind: binary", 1) + "\n",
			[]string{`kind: "binary" is not one of`}},
		{"plain http source", "pins:" + strings.Replace(goodEntry, "https://", "http://", 1) + "\n",
			[]string{"source:", "is not an https URL"}},
		{"bad checked date", "pins:" + strings.Replace(goodEntry, "2026-12-01", "01/12/2026", 1) + "\n",
			[]string{"checked:", "is not a date"}},
		{"end of support without source", "pins:" + goodEntry + "\n    endOfSupport: \"2027-04-01\"\n",
			[]string{"endOfSupportSource: missing"}},
		{"bad end of support", "pins:" + goodEntry + "\n    endOfSupport: \"April 2027\"\n    endOfSupportSource: https://nginx.org\n",
			[]string{"endOfSupport:", "is not a date"}},
		{"source of no date", "pins:" + goodEntry + "\n    endOfSupportSource: https://nginx.org\n",
			[]string{"endOfSupportSource without an endOfSupport date"}},
		{"duplicate", "pins:" + goodEntry + goodEntry + "\n", []string{"pins[1] (nginx): name: duplicate of pins[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// All problems at once.
	bad := "pins:\n  - name: a\n    kind: x\n    value: \"1\"\n    source: ftp://a\n    checked: soon\n"
	_, err := Parse([]byte(bad))
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Errorf("want three problems, got %v", err)
	}
}

func TestParseAccepts(t *testing.T) {
	m, err := Parse([]byte("pins:" + goodEntry + "\n    endOfSupport: \"2027-04-14\"\n    endOfSupportSource: https://nginx.org/en/download.html\n    note: stable\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := m.Get("nginx")
	if !ok || p.Value != "nginx:1.30.4-alpine" || p.Kind != KindImage || p.Note != "stable" {
		t.Fatalf("pin %+v", p)
	}
	if want := time.Date(2027, 4, 14, 0, 0, 0, 0, time.UTC); !p.EndOfSupport.Equal(want) {
		t.Errorf("end of support %v", p.EndOfSupport)
	}
	if _, ok := m.Get("traefik"); ok {
		t.Error("Get found a pin that is not there")
	}
}

func TestSupportOn(t *testing.T) {
	eol := Pin{Name: "pg", EndOfSupport: time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC)}
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 15, 4, 5, 0, time.UTC) }
	tests := []struct {
		name  string
		pin   Pin
		today time.Time
		want  Support
		days  int
	}{
		{"no end published", Pin{Name: "alertmanager"}, at(2026, 12, 1), SupportUnknown, 0},
		{"far ahead", eol, at(2026, 1, 1), Supported, 315},
		{"61 days left", eol, at(2026, 9, 12), Supported, 61},
		{"60 days left", eol, at(2026, 9, 13), SupportEnding, 60},
		{"the last day", eol, at(2026, 11, 12), SupportEnding, 0},
		{"a day after", eol, at(2026, 11, 13), SupportEnded, -1},
		{"long after", eol, at(2026, 12, 1), SupportEnded, -19},
		{"another zone's evening is UTC's next day", eol, time.Date(2026, 11, 12, 20, 0, 0, 0, time.FixedZone("EST", -5*3600)), SupportEnded, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.pin.SupportOn(tt.today); got != tt.want {
				t.Errorf("SupportOn = %s, want %s", got, tt.want)
			}
			if got := tt.pin.DaysLeft(tt.today); got != tt.days {
				t.Errorf("DaysLeft = %d, want %d", got, tt.days)
			}
		})
	}
}
