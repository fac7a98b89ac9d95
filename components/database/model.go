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
	Databases []Grant
}

// Grant is one database a role uses, and how: Level is empty for the
// database's owner and for a plain name in the config (LevelCreate).
type Grant struct {
	Database string
	Level    Level
}

// Access is one role's right to one database.
type Access struct {
	Role     string
	Database string
	// Owner is the role that owns the database: default privileges are
	// declared for the objects it creates.
	Owner string
	Level Level
}

// Access lists every role/database pair in a stable order, with its level
// resolved: LevelOwner for the database's owner, LevelCreate for a pair
// that names no level.
func (m Model) Access() []Access {
	owner := map[string]string{}
	for _, d := range m.Databases {
		owner[d.Name] = d.Owner
	}
	var out []Access
	for _, r := range m.Roles {
		for _, g := range r.Databases {
			level := g.Level
			switch {
			case owner[g.Database] == r.Name:
				level = LevelOwner
			case level == "":
				level = LevelCreate
			}
			out = append(out, Access{Role: r.Name, Database: g.Database, Owner: owner[g.Database], Level: level})
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
