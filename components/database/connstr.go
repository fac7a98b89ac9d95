package database

import (
	"fmt"
	"net/url"
	"strings"
)

// Format is how an application wants its connection string.
type Format string

// The connection string formats applications ask for.
const (
	FormatNpgsql Format = "npgsql" // .NET: Host=..;Port=..;...
	FormatURL    Format = "url"    // postgresql://user:pass@host:port/db?sslmode=...
	FormatLibpq  Format = "libpq"  // host=.. port=.. dbname=..
)

// Endpoint is everything a client needs to connect.
type Endpoint struct {
	Host     string
	Port     int
	Database string
	User     string
	Password string
	// TLS: require TLS (managed clusters); off on a private compose network.
	TLS bool
	// TransactionPool: the endpoint is PgBouncer in transaction mode, where
	// session state does not survive between transactions.
	TransactionPool bool
}

// Format renders the endpoint in the given format. Passwords are generated
// alphanumeric, so no format needs escaping beyond what url does.
func (e Endpoint) Format(f Format) (string, error) {
	ssl := "disable"
	if e.TLS {
		ssl = "require"
	}
	switch f {
	case FormatNpgsql:
		parts := []string{
			"Host=" + e.Host,
			fmt.Sprintf("Port=%d", e.Port),
			"Database=" + e.Database,
			"Username=" + e.User,
			"Password=" + e.Password,
		}
		if e.TLS {
			parts = append(parts, "SSL Mode=Require", "Trust Server Certificate=true")
		} else {
			parts = append(parts, "SSL Mode=Disable")
		}
		if e.TransactionPool {
			// Npgsql resets session state on close; PgBouncer in transaction
			// mode already does, and the reset breaks the pooled connection.
			parts = append(parts, "No Reset On Close=true")
		}
		return strings.Join(parts, ";"), nil
	case FormatURL:
		u := url.URL{
			Scheme:   "postgresql",
			User:     url.UserPassword(e.User, e.Password),
			Host:     fmt.Sprintf("%s:%d", e.Host, e.Port),
			Path:     "/" + e.Database,
			RawQuery: "sslmode=" + ssl,
		}
		return u.String(), nil
	case FormatLibpq:
		return fmt.Sprintf("host=%s port=%d dbname=%s user=%s password=%s sslmode=%s",
			e.Host, e.Port, e.Database, e.User, e.Password, ssl), nil
	}
	return "", fmt.Errorf("unknown connection string format %q", f)
}
