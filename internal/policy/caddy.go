package policy

import (
	"path"
	"strings"
)

// caddySite is one site block of a Caddyfile.
type caddySite struct {
	addresses []string
	// body holds the block's directive lines, tokens joined by one space.
	body []string
}

// caddyfile is the part of a Caddyfile the TLS checks read.
type caddyfile struct {
	global []string
	sites  []caddySite
}

// isCaddyfile reports whether a rendered file is a Caddy configuration.
func isCaddyfile(p string) bool {
	base := strings.ToLower(path.Base(p))
	return base == "caddyfile" || strings.HasSuffix(base, ".caddyfile") || strings.HasSuffix(base, ".caddy")
}

// parseCaddyfile reads site addresses and directives. Braces open and close
// blocks only as tokens of their own ("{" at a line's end, "}" alone), which
// keeps placeholders such as {host} or {$DOMAIN} out of the nesting.
func parseCaddyfile(text string) caddyfile {
	var cf caddyfile
	depth := 0
	inGlobal, skip, braceless := false, false, false
	var site *caddySite
	for _, raw := range strings.Split(text, "\n") {
		tokens := strings.Fields(stripComment(raw))
		if len(tokens) == 0 {
			continue
		}
		if braceless {
			// A Caddyfile with one site may omit its braces: every line
			// after the addresses is the site's.
			if len(tokens) > 1 || (tokens[0] != "{" && tokens[0] != "}") {
				site.body = append(site.body, strings.Join(tokens, " "))
			}
			continue
		}
		opens := tokens[len(tokens)-1] == "{"
		closes := tokens[0] == "}"
		if depth == 0 && !closes {
			head := tokens
			if opens {
				head = tokens[:len(tokens)-1]
			}
			switch {
			case len(head) == 0:
				inGlobal, skip, site = len(cf.sites) == 0, len(cf.sites) > 0, nil
			case strings.HasPrefix(head[0], "("):
				inGlobal, skip, site = false, true, nil // a snippet
			default:
				inGlobal, skip = false, false
				cf.sites = append(cf.sites, caddySite{addresses: splitAddresses(head)})
				site = &cf.sites[len(cf.sites)-1]
				braceless = !opens && len(cf.sites) == 1
			}
			if opens {
				depth++
			}
			continue
		}
		if closes {
			depth--
			if tokens = tokens[1:]; len(tokens) == 0 {
				continue
			}
		}
		line := strings.Join(tokens, " ")
		switch {
		case inGlobal:
			cf.global = append(cf.global, line)
		case skip:
		case site != nil:
			site.body = append(site.body, line)
		}
		if opens {
			depth++
		}
	}
	return cf
}

func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}

func splitAddresses(tokens []string) []string {
	var out []string
	for _, t := range tokens {
		for _, a := range strings.Split(t, ",") {
			if a = strings.TrimSpace(a); a != "" {
				out = append(out, a)
			}
		}
	}
	return out
}

// caddyAddress is a site address: its host and whether Caddy serves it
// over plain HTTP (http:// or port 80).
func caddyAddress(a string) (host string, plain bool) {
	rest := a
	switch {
	case strings.HasPrefix(rest, "http://"):
		plain, rest = true, strings.TrimPrefix(rest, "http://")
	case strings.HasPrefix(rest, "https://"):
		rest = strings.TrimPrefix(rest, "https://")
	}
	if i := strings.Index(rest, "/"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.Contains(rest[i:], "}") {
		if rest[i+1:] == "80" {
			plain = true
		}
		rest = rest[:i]
	}
	return strings.ToLower(rest), plain
}

// redirectsToHTTPS reports whether a plain-HTTP site only sends clients to https.
func (s caddySite) redirectsToHTTPS() bool {
	if len(s.body) == 0 {
		return false
	}
	for _, line := range s.body {
		if !strings.HasPrefix(line, "redir ") || !strings.Contains(line, "https://") {
			return false
		}
	}
	return true
}

// autoHTTPSOff reports whether the global options turn automatic HTTPS off.
func (cf caddyfile) autoHTTPSOff() bool {
	for _, line := range cf.global {
		if line == "auto_https off" || line == "auto_https disable_certs" {
			return true
		}
	}
	return false
}

// stagingCA names what makes Caddy use an untrusted certificate authority:
// Let's Encrypt's staging endpoint or Caddy's internal CA.
func (cf caddyfile) stagingCA() string {
	for _, line := range cf.global {
		if strings.HasPrefix(line, "acme_ca") && strings.Contains(line, "staging") {
			return line
		}
		if line == "local_certs" {
			return line
		}
	}
	for _, s := range cf.sites {
		for _, line := range s.body {
			if line == "tls internal" || (strings.Contains(line, "acme") && strings.Contains(line, "staging")) {
				return line
			}
		}
	}
	return ""
}

// hostMatches reports whether a served host (maybe a wildcard or a
// placeholder) covers a public host.
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
