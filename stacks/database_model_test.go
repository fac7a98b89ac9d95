package stacks

import (
	"slices"
	"testing"

	"infra/components/database"
	"infra/stacks/config"
)

// The access levels a stack file may name are the levels the database
// component defines privileges for, and reach its model unchanged.
func TestConfigAccessLevelsAreTheModelsLevels(t *testing.T) {
	var levels []string
	for _, l := range database.ConfigurableLevels {
		levels = append(levels, string(l))
		if _, ok := database.LevelPrivileges[l]; !ok {
			t.Errorf("level %s has no privileges", l)
		}
	}
	if !slices.Equal(levels, config.AccessLevels) {
		t.Errorf("config offers %v, the model defines %v", config.AccessLevels, levels)
	}

	m := databaseModel(&config.Database{
		Databases: []config.DatabaseEntry{{Name: "shop", Owner: "shop_app"}},
		Roles: []config.Role{
			{Name: "shop_app", Databases: []config.RoleDatabase{{Name: "shop"}}},
			{Name: "bi", Databases: []config.RoleDatabase{{Name: "shop", Access: config.AccessRead}}},
			{Name: "console", Databases: []config.RoleDatabase{{Name: "shop"}}},
		},
	})
	want := []database.Access{
		{Role: "bi", Database: "shop", Owner: "shop_app", Level: database.LevelRead},
		{Role: "console", Database: "shop", Owner: "shop_app", Level: database.LevelCreate},
		{Role: "shop_app", Database: "shop", Owner: "shop_app", Level: database.LevelOwner},
	}
	if got := m.Access(); !slices.Equal(got, want) {
		t.Errorf("access = %+v, want %+v", got, want)
	}
}
