package config

// roleListsDatabase reports whether role lists db, in either form.
func roleListsDatabase(roles []Role, role, db string) bool {
	for _, r := range roles {
		if r.Name != role {
			continue
		}
		for _, d := range r.Databases {
			if d.Name == db {
				return true
			}
		}
	}
	return false
}

// roleNamesDatabase reports whether any role lists db, in either form.
func roleNamesDatabase(roles []Role, db string) bool {
	for _, r := range roles {
		for _, d := range r.Databases {
			if d.Name == db {
				return true
			}
		}
	}
	return false
}

// roleEntryPruned reports whether a role's database entry failed the
// schema and was pruned (only then is its name empty).
func roleEntryPruned(roles []Role) bool {
	for _, r := range roles {
		for _, d := range r.Databases {
			if d.Name == "" {
				return true
			}
		}
	}
	return false
}

// validateRoleDatabases checks one role's databases: each one exists, is
// listed once, and the role's own databases carry no access level (an
// owner has every right; a level would read as lowering them). It returns
// the databases the role may connect to.
func validateRoleDatabases(r Role, rp string, dbs map[string]DatabaseEntry, ps *problems) map[string]bool {
	grants := map[string]bool{}
	for j, g := range r.Databases {
		ep := index(key(rp, "databases"), j)
		namePath := ep
		if g.Access != "" {
			namePath = key(ep, "name")
		}
		db, ok := dbs[g.Name]
		switch {
		case !ok:
			ps.unknown(namePath, "database", g.Name, sortedKeys(dbs), "")
		case grants[g.Name]:
			ps.add(namePath, "database %q is listed twice for role %q: list it once, with the access the role needs", g.Name, r.Name)
		case g.Access != "" && db.Owner == r.Name:
			ps.add(key(ep, "access"), "role %q owns database %q and has every right there: list it by its plain name (access %s would lower the owner's rights)", r.Name, g.Name, g.Access)
		}
		grants[g.Name] = true
	}
	return grants
}
