package project

import (
	"fmt"
	"strings"
)

// GroupRef names a group by its UUID, with the name it has in a groups file.
type GroupRef struct{ UUID, Name string }

// Gerrit's system groups. Their membership is computed, never stored:
// everybody is an Anonymous User, signed-in callers are Registered Users,
// Project Owners and Change Owner are resolved per project and per change.
var (
	AnonymousUsers  = GroupRef{UUID: "global:Anonymous-Users", Name: "Anonymous Users"}
	RegisteredUsers = GroupRef{UUID: "global:Registered-Users", Name: "Registered Users"}
	ProjectOwners   = GroupRef{UUID: "global:Project-Owners", Name: "Project Owners"}
	ChangeOwner     = GroupRef{UUID: "global:Change-Owner", Name: "Change Owner"}
)

// SystemGroups returns the four system groups.
func SystemGroups() []GroupRef {
	return []GroupRef{AnonymousUsers, RegisteredUsers, ProjectOwners, ChangeOwner}
}

// IsSystemGroup reports whether uuid names a system group.
func IsSystemGroup(uuid string) bool { return strings.HasPrefix(uuid, "global:") }

func systemGroupByName(name string) (GroupRef, bool) {
	for _, g := range SystemGroups() {
		if g.Name == name {
			return g, true
		}
	}
	return GroupRef{}, false
}

// GroupsFile is the name of the file listing the groups project.config
// refers to.
const GroupsFile = "groups"

// parseGroups reads the groups file: "UUID<TAB>Name" lines, "#" comments
// and blank lines ignored.
func parseGroups(data []byte) ([]GroupRef, []*ValidationError) {
	var out []GroupRef
	var errs []*ValidationError
	byUUID := map[string]string{}
	byName := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		uuid, name, ok := strings.Cut(line, "\t")
		uuid, name = strings.TrimSpace(uuid), strings.TrimSpace(name)
		switch {
		case !ok:
			errs = append(errs, verr(GroupsFile, n, "missing tab between group UUID and name"))
			continue
		case uuid == "":
			errs = append(errs, verr(GroupsFile, n, "missing group UUID"))
			continue
		case name == "":
			errs = append(errs, verr(GroupsFile, n, "missing group name for %q", uuid))
			continue
		}
		if old, dup := byUUID[uuid]; dup {
			if old != name {
				errs = append(errs, verr(GroupsFile, n, "group UUID %q listed twice", uuid))
			}
			continue
		}
		if old, dup := byName[name]; dup {
			errs = append(errs, verr(GroupsFile, n, "group name %q used by both %q and %q", name, old, uuid))
			continue
		}
		byUUID[uuid], byName[name] = name, uuid
		out = append(out, GroupRef{UUID: uuid, Name: name})
	}
	return out, errs
}

// formatGroups writes the groups file with the UUID column padded so the
// names line up, as Gerrit writes it.
func formatGroups(groups []GroupRef) []byte {
	if len(groups) == 0 {
		return nil
	}
	width := len("UUID")
	for _, g := range groups {
		width = max(width, len(g.UUID))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "# %-*s\tGroup Name\n#\n", width, "UUID")
	for _, g := range groups {
		fmt.Fprintf(&sb, "%-*s\t%s\n", width+2, g.UUID, g.Name)
	}
	return []byte(sb.String())
}

// RenameGroup gives the group with the given UUID a new name in c's groups
// file, and so in the rules that name it; it reports whether c refers to
// the group at all.
func (c *Config) RenameGroup(uuid, name string) bool {
	found := false
	for i := range c.Groups {
		if c.Groups[i].UUID == uuid {
			c.Groups[i].Name = name
			found = true
		}
	}
	return found
}
