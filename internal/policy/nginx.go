package policy

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// nginxDirective is one directive of an nginx configuration: its name, its
// arguments (unquoted) and, for a block, the directives inside it.
type nginxDirective struct {
	name  string
	args  []string
	block []nginxDirective
}

// isNginxConfig reports whether a rendered file is an nginx configuration.
func isNginxConfig(p string) bool {
	base := strings.ToLower(path.Base(p))
	return base == "nginx.conf" || strings.HasSuffix(base, ".nginx.conf") ||
		(strings.HasSuffix(base, ".conf") && strings.Contains(strings.ToLower(p), "nginx/"))
}

// parseNginx reads nginx's syntax: directives end with ";", blocks are
// "{...}", "#" starts a comment, quotes and backslashes escape, and "${x}"
// is a variable, not a block. It is the syntax only: `nginx -t` checks the
// rendered file for real in components/vps/render.
func parseNginx(text string) ([]nginxDirective, error) {
	tokens, err := nginxTokens(text)
	if err != nil {
		return nil, err
	}
	ds, rest, err := parseNginxBlock(tokens, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("unexpected %q", rest[0].text)
	}
	return ds, nil
}

type nginxToken struct {
	text string
	// special: one of ; { } outside quotes.
	special bool
}

func nginxTokens(text string) ([]nginxToken, error) {
	var out []nginxToken
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case c == ';' || c == '{' || c == '}':
			out = append(out, nginxToken{text: string(c), special: true})
			i++
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(text) && text[j] != c; j++ {
				if text[j] == '\\' && j+1 < len(text) {
					j++
				}
				b.WriteByte(text[j])
			}
			if j >= len(text) {
				return nil, fmt.Errorf("unterminated quote at byte %d", i)
			}
			out = append(out, nginxToken{text: b.String()})
			i = j + 1
		default:
			j := i
			for j < len(text) && !strings.ContainsRune(" \t\r\n;{}", rune(text[j])) {
				if text[j] == '\\' && j+1 < len(text) {
					j++
				} else if text[j] == '$' && j+1 < len(text) && text[j+1] == '{' {
					if k := strings.IndexByte(text[j:], '}'); k > 0 {
						j += k
					}
				}
				j++
			}
			out = append(out, nginxToken{text: text[i:j]})
			i = j
		}
	}
	return out, nil
}

func parseNginxBlock(tokens []nginxToken, depth int) ([]nginxDirective, []nginxToken, error) {
	var out []nginxDirective
	for len(tokens) > 0 {
		t := tokens[0]
		if t.special && t.text == "}" {
			if depth == 0 {
				return nil, nil, fmt.Errorf("unexpected \"}\"")
			}
			return out, tokens[1:], nil
		}
		if t.special {
			return nil, nil, fmt.Errorf("unexpected %q", t.text)
		}
		d := nginxDirective{name: t.text}
		tokens = tokens[1:]
		for len(tokens) > 0 && !tokens[0].special {
			d.args = append(d.args, tokens[0].text)
			tokens = tokens[1:]
		}
		if len(tokens) == 0 {
			return nil, nil, fmt.Errorf("directive %q has no terminating \";\"", d.name)
		}
		if tokens[0].text == "{" {
			block, rest, err := parseNginxBlock(tokens[1:], depth+1)
			if err != nil {
				return nil, nil, err
			}
			d.block, tokens = block, rest
			if d.block == nil {
				d.block = []nginxDirective{}
			}
		} else if tokens[0].text == ";" {
			tokens = tokens[1:]
		} else {
			return nil, nil, fmt.Errorf("unexpected \"}\" after %q", d.name)
		}
		out = append(out, d)
	}
	if depth > 0 {
		return nil, nil, fmt.Errorf("unexpected end of file: a block is not closed")
	}
	return out, nil, nil
}

// all returns the directives of a block with one name.
func all(ds []nginxDirective, name string) []nginxDirective {
	var out []nginxDirective
	for _, d := range ds {
		if d.name == name {
			out = append(out, d)
		}
	}
	return out
}

func has(ds []nginxDirective, name string) bool { return len(all(ds, name)) > 0 }

// nginxListen is one listen directive of a server.
type nginxListen struct {
	addr  string
	port  int
	ssl   bool
	local bool // loopback or a unix socket: not reachable from outside
}

func (l nginxListen) String() string {
	s := strconv.Itoa(l.port)
	if l.addr != "" {
		s = l.addr + ":" + s
	}
	if l.ssl {
		s += " ssl"
	}
	return s
}

func parseListen(args []string) nginxListen {
	l := nginxListen{port: 80}
	if len(args) == 0 {
		return l
	}
	a := args[0]
	switch {
	case strings.HasPrefix(a, "unix:"):
		l.addr, l.local = a, true
	case strings.HasPrefix(a, "["):
		end := strings.Index(a, "]")
		if end < 0 {
			end = len(a) - 1
		}
		l.addr = a[:end+1]
		if p, err := strconv.Atoi(strings.TrimPrefix(a[end+1:], ":")); err == nil {
			l.port = p
		}
	default:
		if p, err := strconv.Atoi(a); err == nil {
			l.port = p
		} else if i := strings.LastIndex(a, ":"); i >= 0 {
			l.addr = a[:i]
			if p, err := strconv.Atoi(a[i+1:]); err == nil {
				l.port = p
			}
		} else {
			l.addr = a
		}
	}
	host := strings.Trim(l.addr, "[]")
	l.local = l.local || host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
	for _, f := range args[1:] {
		if f == "ssl" {
			l.ssl = true
		}
	}
	return l
}

// nginxServer is what the TLS checks read of one server block.
type nginxServer struct {
	listens []nginxListen
	names   []string
	// certificate: ssl_certificate and its key, set here or in http.
	certificate bool
	// rejectsTLS: ssl_reject_handshake on; it needs no certificate.
	rejectsTLS bool
	// redirects: "/" answers with a redirect to https.
	redirects bool
	// proxies lists what the server hands to an upstream or serves from
	// disk outside the ACME challenge location.
	proxies       []string
	defaultServer bool
}

func (s nginxServer) label() string {
	if len(s.names) == 0 {
		return "server (no server_name)"
	}
	return "server " + strings.Join(s.names, " ")
}

// catchAll reports whether the server answers names no other server claims.
func (s nginxServer) catchAll() bool {
	if s.defaultServer || len(s.names) == 0 {
		return true
	}
	for _, n := range s.names {
		if n != "_" && n != "" {
			return false
		}
	}
	return true
}

// nginxServers returns the http servers of a configuration.
func nginxServers(ds []nginxDirective) []nginxServer {
	var out []nginxServer
	for _, http := range all(ds, "http") {
		inherited := has(http.block, "ssl_certificate") && has(http.block, "ssl_certificate_key")
		for _, srv := range all(http.block, "server") {
			s := nginxServer{
				certificate: inherited || (has(srv.block, "ssl_certificate") && has(srv.block, "ssl_certificate_key")),
			}
			for _, l := range all(srv.block, "listen") {
				s.listens = append(s.listens, parseListen(l.args))
				for _, f := range l.args[1:] {
					s.defaultServer = s.defaultServer || f == "default_server" || f == "default"
				}
			}
			if len(s.listens) == 0 {
				s.listens = []nginxListen{{port: 80}} // nginx's default
			}
			for _, n := range all(srv.block, "server_name") {
				for _, a := range n.args {
					s.names = append(s.names, strings.ToLower(a))
				}
			}
			for _, d := range all(srv.block, "ssl_reject_handshake") {
				s.rejectsTLS = len(d.args) == 1 && d.args[0] == "on"
			}
			s.redirects = redirectsToHTTPS(srv.block)
			for _, loc := range all(srv.block, "location") {
				if redirectsToHTTPS(loc.block) && len(loc.args) > 0 && loc.args[len(loc.args)-1] == "/" {
					s.redirects = true
				}
			}
			s.proxies = contentHandlers(srv.block, "")
			out = append(out, s)
		}
	}
	return out
}

// redirectsToHTTPS reports whether a block answers with a redirect to an
// https URL before anything else can run.
func redirectsToHTTPS(ds []nginxDirective) bool {
	for _, d := range ds {
		switch d.name {
		case "return":
			if len(d.args) == 2 && isRedirectCode(d.args[0]) && strings.HasPrefix(d.args[1], "https://") {
				return true
			}
			if len(d.args) == 1 && strings.HasPrefix(d.args[0], "https://") {
				return true // "return URL" is a 302
			}
		case "rewrite":
			if len(d.args) >= 2 && strings.HasPrefix(d.args[1], "https://") {
				return true
			}
		}
	}
	return false
}

func isRedirectCode(code string) bool {
	switch code {
	case "301", "302", "303", "307", "308":
		return true
	}
	return false
}

// contentHandlers lists the directives that serve content (an upstream or
// files) in a block and its locations, except in the ACME challenge
// location, whose files must be served over plain HTTP.
func contentHandlers(ds []nginxDirective, where string) []string {
	var out []string
	for _, d := range ds {
		switch {
		case d.name == "location":
			loc := strings.Join(d.args, " ")
			if strings.Contains(loc, "/.well-known/acme-challenge") {
				continue
			}
			out = append(out, contentHandlers(d.block, "location "+loc)...)
		case d.block != nil:
			out = append(out, contentHandlers(d.block, where)...)
		case strings.HasSuffix(d.name, "_pass") || d.name == "root" || d.name == "alias" || d.name == "try_files":
			what := d.name + " " + strings.Join(d.args, " ")
			if where != "" {
				what = where + ": " + what
			}
			out = append(out, what)
		}
	}
	return out
}

// nginxHostMatches reports whether a server_name covers a host: exact,
// "*.x" and "x.*" wildcards, ".x" (x and its subdomains) and ~regex.
func nginxHostMatches(name, host string) bool {
	switch {
	case name == host:
		return true
	case strings.HasPrefix(name, "~"):
		re, err := regexp.Compile(strings.TrimPrefix(name, "~"))
		return err == nil && re.MatchString(host)
	case strings.HasPrefix(name, "."):
		return host == name[1:] || strings.HasSuffix(host, name)
	case strings.HasSuffix(name, ".*"):
		return strings.HasPrefix(host, strings.TrimSuffix(name, "*"))
	}
	return hostMatches(name, host)
}

// hostMatches reports whether a served host (maybe a wildcard) covers a
// public host.
func hostMatches(pattern, host string) bool {
	switch {
	case pattern == host:
		return true
	case strings.HasPrefix(pattern, "*."):
		i := strings.Index(host, ".")
		return i > 0 && host[i:] == pattern[1:]
	}
	return false
}
