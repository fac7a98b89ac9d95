// Package database declares PostgreSQL for an application: a managed
// DigitalOcean cluster with its roles, databases and grants, or the same
// roles and databases as an idempotent SQL script for a self-hosted server.
// Both come from one Model.
package database

import (
	"sort"
	"strings"
)

// Model is the application's databases and the roles that use them.
type Model struct {
	Databases []Database
	Roles     []Role
}

// Database is one database and the role that owns it.
type Database struct {
	Name  string
	Owner string
	// Pool, when set, puts PgBouncer in front (managed engine only).
	Pool *Pool
}

// Pool is a PgBouncer pool: mode transaction, session or statement.
type Pool struct {
	Mode string
	Size int
}

// Role is a login role granted the listed databases.
type Role struct {
	Name      string
	Databases []string
}

// Access is one role's right to one database.
type Access struct {
	Role     string
	Database string
	// Owner: the role owns the database; otherwise it is granted CONNECT,
	// CREATE and TEMPORARY on it.
	Owner bool
}

// Access lists every role/database pair in a stable order. Each pair also
// gets USAGE and CREATE on schema public: since PostgreSQL 15 only the
// database owner may create there by default.
func (m Model) Access() []Access {
	owner := map[string]string{}
	for _, d := range m.Databases {
		owner[d.Name] = d.Owner
	}
	var out []Access
	for _, r := range m.Roles {
		for _, db := range r.Databases {
			out = append(out, Access{Role: r.Name, Database: db, Owner: owner[db] == r.Name})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Database != out[j].Database {
			return out[i].Database < out[j].Database
		}
		return out[i].Role < out[j].Role
	})
	return out
}

// Database returns the named database.
func (m Model) Database(name string) (Database, bool) {
	for _, d := range m.Databases {
		if d.Name == name {
			return d, true
		}
	}
	return Database{}, false
}

// PasswordEnv is the environment variable that hands a role's password to
// the SQL script (psql \getenv), so the script itself holds no secret.
func PasswordEnv(role string) string {
	return "PGPASSWORD_" + strings.ToUpper(role)
}
