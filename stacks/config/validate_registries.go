package config

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// registryHost is a host name (lower-case labels) with an optional port.
var registryHost = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]+)?$`)

// dockerHub are the names Docker Hub answers to: one registry, however it
// is written.
var dockerHub = map[string]bool{"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true}

// validateRegistries checks infra:registries: each server a registry host
// as image references name it, a username that can be sent as one, a
// password that is a declared secret, and each registry listed once. An
// image whose registry is not listed is not a problem: it is public.
func validateRegistries(c *Config, ps *problems) {
	seen := map[string]int{}
	for i, r := range c.Registries {
		rp := index(key(Namespace, "registries"), i)
		if msg := checkRegistryServer(r.Server); msg != "" {
			ps.add(key(rp, "server"), "%s", msg)
		} else {
			id := strings.ToLower(r.Server)
			if dockerHub[id] {
				id = "docker.io"
			}
			if j, dup := seen[id]; dup {
				ps.add(key(rp, "server"), "duplicate registry %q (also infra:registries[%d]): one login per registry", r.Server, j)
			} else {
				seen[id] = i
			}
		}
		if msg := checkRegistryUsername(r.Username); msg != "" {
			ps.add(key(rp, "username"), "%s", msg)
		}
		requireSecret(c, key(rp, "passwordSecret"), r.PasswordSecret, ps)
	}
}

// checkRegistryServer says what is wrong with a registry server, or "".
// The server is compared with the host part of image references
// (github.com/distribution/reference): a host, with a port if it has one,
// and no scheme or path.
func checkRegistryServer(s string) string {
	if s == "" {
		return "" // the schema reports it
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		host, _, _ := strings.Cut(rest, "/")
		return "write the registry's host without " + scheme + "://: " + strconv.Quote(host)
	}
	if host, path, ok := strings.Cut(s, "/"); ok {
		return "the registry's host only (" + strconv.Quote(host) + "); the image names the rest (" + path + ")"
	}
	if strings.ToLower(s) != s && registryHost.MatchString(strings.ToLower(s)) {
		return "write the host in lower case: " + strconv.Quote(strings.ToLower(s))
	}
	if !registryHost.MatchString(s) {
		return strconv.Quote(s) + " is not a host name with an optional port, such as ghcr.io or registry.example.com:5000"
	}
	host, port, hasPort := strings.Cut(s, ":")
	if hasPort {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "port " + port + " is not between 1 and 65535"
		}
	}
	// The reference grammar reads a first component as a registry only
	// when it has a dot or a port or is localhost: "myregistry/app" is an
	// image on Docker Hub, so such a login would never be used.
	if !hasPort && !strings.Contains(host, ".") && host != "localhost" {
		return strconv.Quote(s) + " is never an image's registry (one without a dot or a port is read as a Docker Hub namespace): write its full name, such as " + s + ".example.com"
	}
	return ""
}

// checkRegistryUsername says what is wrong with a username, or "". It is
// sent to `docker login --username` and in a Docker config's
// "user:password" pair, so it has no colon, space or control character.
func checkRegistryUsername(u string) string {
	if u == "" {
		return "" // the schema reports it
	}
	if strings.TrimSpace(u) == "" {
		return "required: the user the registry knows"
	}
	for _, r := range u {
		if r == ':' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return "a registry username has no colon, space or control character: " + strconv.Quote(u)
		}
	}
	return ""
}
