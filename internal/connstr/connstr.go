// Package connstr takes the password out of a PostgreSQL connection URI,
// so that the URI can go on a command line (world-readable in
// /proc/<pid>/cmdline) while the password travels in the environment
// (libpq's PGPASSWORD, readable by the process's owner only).
package connstr

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrNotURI is returned for a connection string that is not a
// postgresql:// or postgres:// URI (keyword/value form): its password
// cannot be taken out of it here.
var ErrNotURI = errors.New("not a postgresql:// or postgres:// URI (keyword/value connection strings are not accepted)")

// SplitPassword returns raw without its password, and the password,
// percent-decoded. It reads the URI the way libpq does (fe-connect.c,
// conninfo_uri_parse_options): the user information ends at the first
// '@' before any '/', the user name at the first ':', and a password may
// also come as the `password` query parameter. Everything else is kept
// byte for byte. A URI without a password comes back as it is, with "".
// Errors never quote raw: it holds a secret.
func SplitPassword(raw string) (uri, password string, err error) {
	var prefix string
	for _, p := range []string{"postgresql://", "postgres://"} {
		if strings.HasPrefix(raw, p) {
			prefix = p
		}
	}
	if prefix == "" {
		return "", "", ErrNotURI
	}
	rest := raw[len(prefix):]
	end := strings.IndexAny(rest, "@/")
	if end >= 0 && rest[end] == '@' {
		userinfo := rest[:end]
		if user, pw, ok := strings.Cut(userinfo, ":"); ok {
			if password, err = decode(pw); err != nil {
				return "", "", fmt.Errorf("the password in the URI's user information: %w", err)
			}
			rest = user + rest[end:]
		}
	}
	base, query, ok := strings.Cut(rest, "?")
	if !ok {
		return prefix + rest, password, nil
	}
	var kept []string
	for _, param := range strings.Split(query, "&") {
		key, value, _ := strings.Cut(param, "=")
		k, err := decode(key)
		if err != nil {
			return "", "", fmt.Errorf("a query parameter's name: %w", err)
		}
		if k != "password" {
			kept = append(kept, param)
			continue
		}
		if password, err = decode(value); err != nil {
			return "", "", fmt.Errorf("the password query parameter: %w", err)
		}
	}
	uri = prefix + base
	if len(kept) > 0 {
		uri += "?" + strings.Join(kept, "&")
	}
	return uri, password, nil
}

// decode undoes libpq's URI percent-encoding (conninfo_uri_decode): %XX
// only, '+' is itself.
func decode(s string) (string, error) {
	d, err := url.PathUnescape(s)
	if err != nil {
		// The error quotes the bad escape, a piece of a secret: name none.
		return "", errors.New("a '%' not followed by two hex digits")
	}
	if strings.ContainsRune(d, 0) {
		return "", errors.New("an encoded NUL byte")
	}
	return d, nil
}
