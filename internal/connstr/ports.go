package connstr

import (
	"errors"
	"strings"
)

// DefaultPort is libpq's port when a URI names none (DEF_PGPORT).
const DefaultPort = "5432"

// Ports returns the ports a connection URI connects to, read the way
// libpq reads them (fe-connect.c, conninfo_uri_parse_options): the host
// list after the user information, up to the first '/' or '?', is
// comma-separated, each host an IPv6 address in brackets or a name,
// optionally followed by ':port'; a `port` query parameter (itself a
// comma-separated list) replaces them; a host without a port uses
// DefaultPort (PGPORT is unset where infra runs the clients). Errors
// never quote raw: it holds a secret.
func Ports(raw string) ([]string, error) {
	rest, ok := strings.CutPrefix(raw, "postgresql://")
	if !ok {
		if rest, ok = strings.CutPrefix(raw, "postgres://"); !ok {
			return nil, ErrNotURI
		}
	}
	if end := strings.IndexAny(rest, "@/"); end >= 0 && rest[end] == '@' {
		rest = rest[end+1:]
	}
	hosts, query := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		hosts = rest[:i]
		if q := strings.IndexByte(rest, '?'); q >= 0 {
			query = rest[q+1:]
		}
	}
	var ports []string
	for _, h := range strings.Split(hosts, ",") {
		if strings.HasPrefix(h, "[") {
			end := strings.IndexByte(h, ']')
			if end < 0 {
				return nil, errors.New("an IPv6 host without its closing ']'")
			}
			h = h[end+1:]
		} else if i := strings.IndexByte(h, ':'); i >= 0 {
			h = h[i:]
		} else {
			h = ""
		}
		port := strings.TrimPrefix(h, ":")
		if h != "" && !strings.HasPrefix(h, ":") {
			return nil, errors.New("a host followed by something other than ':port'")
		}
		ports = append(ports, port)
	}
	for _, param := range strings.Split(query, "&") {
		key, value, _ := strings.Cut(param, "=")
		k, err := decode(key)
		if err != nil {
			return nil, err
		}
		if k != "port" {
			continue
		}
		v, err := decode(value)
		if err != nil {
			return nil, err
		}
		ports = strings.Split(v, ",")
	}
	for i, p := range ports {
		if p == "" {
			ports[i] = DefaultPort
		}
	}
	return ports, nil
}
