package connstr

import (
	"slices"
	"testing"
)

// The expected ports are read off libpq's URI grammar
// (https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING-URIS):
// host[:port] entries separated by commas, a `port` parameter, 5432 when
// none is given.
func TestPorts(t *testing.T) {
	cases := map[string]struct {
		raw  string
		want []string
	}{
		"no port":            {"postgresql://u:p@db.example.com/app", []string{"5432"}},
		"port":               {"postgresql://u:p@db.example.com:6543/app", []string{"6543"}},
		"short scheme":       {"postgres://db.example.com:25060/app?sslmode=require", []string{"25060"}},
		"no user":            {"postgresql://db.example.com:5433", []string{"5433"}},
		"ipv6":               {"postgresql://u@[2001:db8::1]:5433/app", []string{"5433"}},
		"ipv6 no port":       {"postgresql://u@[2001:db8::1]/app", []string{"5432"}},
		"two hosts":          {"postgresql://u@a.example:5432,b.example:7000/app", []string{"5432", "7000"}},
		"port parameter":     {"postgresql://u@a.example:5432/app?sslmode=require&port=7000", []string{"7000"}},
		"encoded parameter":  {"postgresql://u@a.example/app?p%6Frt=7001", []string{"7001"}},
		"@ in the password":  {"postgresql://u:p%40x@a.example:6000/app", []string{"6000"}},
		"colon in password":  {"postgresql://u:p:q@a.example/app", []string{"5432"}},
		"query without path": {"postgresql://a.example:6001?sslmode=require", []string{"6001"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Ports(c.raw)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("Ports = %v, want %v", got, c.want)
			}
		})
	}
}

func TestPortsRejects(t *testing.T) {
	for name, raw := range map[string]string{
		"keyword form":  "host=a.example port=5432",
		"open bracket":  "postgresql://u@[2001:db8::1/app",
		"junk after v6": "postgresql://u@[::1]x/app",
		"bad escape":    "postgresql://a.example/app?port=%zz",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Ports(raw); err == nil {
				t.Error("accepted")
			}
		})
	}
}
