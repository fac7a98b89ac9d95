package database

// Level is how much of a database a role may use. The privileges of each
// level are in one table, LevelPrivileges, from which both engines are
// built: the SQL script (sql.go) and the PostgreSQL provider's Grant and
// DefaultPrivileges resources (postgres.go).
type Level string

// The levels.
const (
	// LevelOwner is the database's owner. It is never configured: the owner
	// is databases[].owner (by default the first role listing the database
	// by its plain name).
	LevelOwner Level = "owner"
	// LevelCreate lets a role connect, create its own schemas, tables and
	// temporary tables, but gives it nothing on the owner's objects. It is
	// what a plain name meant before levels existed, and still means.
	LevelCreate Level = "create"
	// LevelReadWrite reads and writes the rows of the owner's tables in
	// schema public, existing and future, and draws from its sequences; it
	// creates nothing.
	LevelReadWrite Level = "readwrite"
	// LevelRead reads the owner's tables and sequences in schema public,
	// existing and future; it writes and creates nothing.
	LevelRead Level = "read"
)

// Privileges are what one level grants, by the provider's object types.
// Schema, Tables and Sequences apply to schema public only. Tables and
// Sequences apply to the objects that exist when the grants are applied
// and, through ALTER DEFAULT PRIVILEGES FOR ROLE <owner> IN SCHEMA public,
// to the ones the database's owner creates later.
type Privileges struct {
	Database  []string
	Schema    []string
	Tables    []string
	Sequences []string
}

// LevelPrivileges is the one definition of every level. PostgreSQL names
// privileges per object type: on a sequence, SELECT reads it (currval, a
// SELECT from it) and USAGE or UPDATE is needed for nextval.
var LevelPrivileges = map[Level]Privileges{
	// The owner has every right by ownership; the explicit grants keep
	// what it can do the same if ownership and grants are ever read apart,
	// and CREATE on public is the one PostgreSQL 15 stopped giving.
	LevelOwner: {
		Database: []string{"CONNECT", "CREATE", "TEMPORARY"},
		Schema:   []string{"USAGE", "CREATE"},
	},
	LevelCreate: {
		Database: []string{"CONNECT", "CREATE", "TEMPORARY"},
		Schema:   []string{"USAGE", "CREATE"},
	},
	LevelReadWrite: {
		Database:  []string{"CONNECT"},
		Schema:    []string{"USAGE"},
		Tables:    []string{"SELECT", "INSERT", "UPDATE", "DELETE"},
		Sequences: []string{"USAGE", "SELECT", "UPDATE"},
	},
	LevelRead: {
		Database:  []string{"CONNECT"},
		Schema:    []string{"USAGE"},
		Tables:    []string{"SELECT"},
		Sequences: []string{"SELECT"},
	},
}

// ConfigurableLevels are the levels a role's database entry may name, from
// the least to the most.
var ConfigurableLevels = []Level{LevelRead, LevelReadWrite, LevelCreate}

// OnOwnerObjects reports whether the level is granted rights on the
// owner's tables and sequences (and so needs default privileges).
func (p Privileges) OnOwnerObjects() bool { return len(p.Tables) > 0 || len(p.Sequences) > 0 }
