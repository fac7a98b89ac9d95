package config

import (
	"bytes"
	"encoding/json"
	"fmt"

	invopop "github.com/invopop/jsonschema"
)

// The access levels a role may be given on a database it does not own.
// components/database defines what each grants (LevelPrivileges); the
// README's PostgreSQL model lists them.
const (
	// AccessRead reads the owner's tables and sequences in schema public.
	AccessRead = "read"
	// AccessReadWrite also inserts, updates and deletes rows and draws
	// from sequences; it creates nothing.
	AccessReadWrite = "readwrite"
	// AccessCreate connects and creates its own schemas and tables, with
	// no rights on the owner's: what a plain name means for a role that
	// does not own the database.
	AccessCreate = "create"
)

// AccessLevels are the levels, from the least to the most.
var AccessLevels = []string{AccessRead, AccessReadWrite, AccessCreate}

// RoleDatabase is one database a role uses. In a stack file it is either
// the database's plain name (the owner, or AccessCreate for another role)
// or an object { name, access }.
type RoleDatabase struct {
	Name string `json:"name"`
	// Access is empty for a plain name.
	Access string `json:"access,omitempty"`
}

// UnmarshalJSON reads a plain name or { name, access }.
func (d *RoleDatabase) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		*d = RoleDatabase{Name: name}
		return nil
	}
	type object RoleDatabase
	var o object
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return fmt.Errorf("a role's database is a name or { name, access }: %w", err)
	}
	*d = RoleDatabase(o)
	return nil
}

// MarshalJSON writes a plain name when no access level is set, so a stack
// file read and written again keeps its shape.
func (d RoleDatabase) MarshalJSON() ([]byte, error) {
	if d.Access == "" {
		return json.Marshal(d.Name)
	}
	type object RoleDatabase
	return json.Marshal(object(d))
}

// JSONSchema is the schema of either form.
func (RoleDatabase) JSONSchema() *invopop.Schema {
	name := func() *invopop.Schema {
		return &invopop.Schema{Type: "string", Pattern: "^[a-z_][a-z0-9_]*$", MaxLength: ptr(uint64(63))}
	}
	levels := make([]any, len(AccessLevels))
	for i, l := range AccessLevels {
		levels[i] = l
	}
	props := invopop.NewProperties()
	props.Set("name", name())
	props.Set("access", &invopop.Schema{Type: "string", Enum: levels,
		Description: "read: SELECT on the owner's tables and sequences in schema public, existing and future; readwrite: also INSERT, UPDATE, DELETE and nextval; create: its own schemas and tables, nothing on the owner's"})
	return &invopop.Schema{OneOf: []*invopop.Schema{
		name(),
		{Type: "object", Properties: props, Required: []string{"name", "access"}, AdditionalProperties: invopop.FalseSchema},
	}}
}

func ptr[T any](v T) *T { return &v }
