package e2e

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGroupAdministration drives group administration over REST and SSH
// the way an administrator does: rename (which rewrites the projects that
// name the group, while access keeps following its UUID), description,
// options, owner, included groups, the audit log, and the refusals.
func TestGroupAdministration(t *testing.T) {
	s := startServer(t, "sqlite")
	aliceKey := s.createUser(t, "alice")
	s.createUser(t, "bob")

	var devs groupInfo
	wantJSON(t, s.admin(t, "PUT", "/a/groups/devs", map[string]any{}), 201, &devs)
	wantJSON(t, s.admin(t, "PUT", "/a/groups/devs/members/alice", nil), 201, nil)
	expect(t, s.admin(t, "PUT", "/a/projects/grp-app", map[string]any{"create_empty_commit": true}), 201, "create project")
	grant := map[string]any{"add": map[string]any{"refs/heads/*": map[string]any{"permissions": map[string]any{
		"push": map[string]any{"rules": map[string]any{devs.ID: map[string]any{"action": "ALLOW"}}},
	}}}}
	wantJSON(t, s.admin(t, "POST", "/a/projects/grp-app/access", grant), 200, nil)

	// Names must be free and not empty; system groups never change; a
	// group its caller cannot see is not found.
	expect(t, s.call(t, "PUT", "/a/groups/devs/name", "bob", "bob-pw", map[string]any{"name": "x"}, ""), 404, "rename an invisible group")
	wantText(t, s.admin(t, "PUT", "/a/groups/devs/name", map[string]any{"name": "Administrators"}), 409,
		"group with name Administrators already exists")
	wantText(t, s.admin(t, "PUT", "/a/groups/devs/name", map[string]any{"name": "Registered Users"}), 409,
		"group with name Registered Users already exists")
	wantText(t, s.admin(t, "PUT", "/a/groups/devs/name", map[string]any{"name": " "}), 400, "name is required")
	expect(t, s.admin(t, "PUT", "/a/groups/Registered%20Users/name", map[string]any{"name": "x"}), 405, "rename a system group")

	var name string
	wantJSON(t, s.admin(t, "PUT", "/a/groups/devs/name", map[string]any{"name": "developers"}), 200, &name)
	if name != "developers" {
		t.Fatalf("rename answered %q", name)
	}
	var renamed groupInfo
	wantJSON(t, s.admin(t, "GET", "/a/groups/developers", nil), 200, &renamed)
	if renamed.ID != devs.ID || renamed.GroupID != devs.GroupID {
		t.Fatalf("renamed group = %+v, was %+v", renamed, devs)
	}
	expect(t, s.admin(t, "GET", "/a/groups/devs", nil), 404, "old name")

	// The project's configuration names the group by its new name, in a
	// commit of its own, and alice may still push: access follows the UUID.
	meta := func() (groups, config, subject string) {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "meta")
		s.mustGit(t, "", "", "init", "-q", dir)
		s.mustGit(t, dir, "", "fetch", "-q", s.httpURL("admin", adminPassword, "a/grp-app"), "refs/meta/config")
		return s.mustGit(t, dir, "", "show", "FETCH_HEAD:groups"), s.mustGit(t, dir, "", "show", "FETCH_HEAD:project.config"),
			strings.TrimSpace(s.mustGit(t, dir, "", "log", "-1", "--format=%s", "FETCH_HEAD"))
	}
	// listed reports whether the groups file maps the group's UUID to name.
	listed := func(groups, name string) bool {
		for _, line := range strings.Split(groups, "\n") {
			uuid, n, ok := strings.Cut(line, "\t")
			if ok && strings.TrimSpace(uuid) == devs.ID {
				return n == name
			}
		}
		return false
	}
	groups, config, subject := meta()
	if !listed(groups, "developers") ||
		!strings.Contains(config, "group developers") || subject != "Rename group devs to developers" {
		t.Fatalf("refs/meta/config after the rename:\n%s\n%s\n%s", subject, groups, config)
	}
	work := filepath.Join(t.TempDir(), "work")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("alice", "alice-pw", "a/grp-app"), work)
	s.commitAs(t, work, "Alice", "alice@example.com", "a.txt", "a\n")
	s.mustGit(t, work, "", "push", "-q", s.httpURL("alice", "alice-pw", "a/grp-app"), "HEAD:refs/heads/main")

	// Description: set, read, and delete (204, as an empty one does).
	var desc string
	wantJSON(t, s.admin(t, "PUT", "/a/groups/developers/description", map[string]any{"description": "The developers"}), 200, &desc)
	if desc != "The developers" {
		t.Fatalf("description = %q", desc)
	}
	wantJSON(t, s.admin(t, "GET", "/a/groups/developers/description", nil), 200, &desc)
	if desc != "The developers" {
		t.Fatalf("GET description = %q", desc)
	}
	expect(t, s.admin(t, "DELETE", "/a/groups/developers/description", nil), 204, "delete description")
	wantJSON(t, s.admin(t, "GET", "/a/groups/developers/description", nil), 200, &desc)
	if desc != "" {
		t.Fatalf("description after delete = %q", desc)
	}

	// Options: bob sees the group only once it is visible to all.
	expect(t, s.call(t, "GET", "/a/groups/developers", "bob", "bob-pw", nil, ""), 404, "invisible group")
	var opts struct {
		VisibleToAll bool `json:"visible_to_all"`
	}
	wantJSON(t, s.admin(t, "PUT", "/a/groups/developers/options", map[string]any{"visible_to_all": true}), 200, &opts)
	if !opts.VisibleToAll {
		t.Fatal("visible_to_all not set")
	}
	wantJSON(t, s.call(t, "GET", "/a/groups/developers", "bob", "bob-pw", nil, ""), 200, nil)

	// Owner: alice owned the group as a member of it (it owned itself)
	// until Administrators take over.
	wantJSON(t, s.call(t, "GET", "/a/groups/developers/log.audit", "alice", "alice-pw", nil, ""), 200, nil)
	wantText(t, s.admin(t, "PUT", "/a/groups/developers/owner", map[string]any{"owner": "nope"}), 422, "Group Not Found: nope")
	// A group alice may not see is as unknown to her as a missing one.
	wantJSON(t, s.admin(t, "PUT", "/a/groups/hidden", map[string]any{}), 201, nil)
	wantText(t, s.call(t, "PUT", "/a/groups/developers/owner", "alice", "alice-pw", map[string]any{"owner": "hidden"}, ""), 422,
		"Group Not Found: hidden")
	var owner groupInfo
	wantJSON(t, s.admin(t, "PUT", "/a/groups/developers/owner", map[string]any{"owner": "Administrators"}), 200, &owner)
	if owner.Name != "Administrators" {
		t.Fatalf("new owner = %+v", owner)
	}
	wantText(t, s.call(t, "GET", "/a/groups/developers/log.audit", "alice", "alice-pw", nil, ""), 403, "Not group owner")
	wantText(t, s.call(t, "PUT", "/a/groups/developers/name", "alice", "alice-pw", map[string]any{"name": "x"}, ""), 403,
		"Changing group name not permitted")
	wantText(t, s.call(t, "PUT", "/a/groups/developers/options", "alice", "alice-pw", map[string]any{}, ""), 403,
		"Changing group options not permitted")

	// Included groups, one at a time and in bulk.
	wantJSON(t, s.admin(t, "PUT", "/a/groups/qa", map[string]any{"visible_to_all": true}), 201, nil)
	wantJSON(t, s.admin(t, "PUT", "/a/groups/developers/groups/qa", nil), 201, nil)
	wantJSON(t, s.admin(t, "PUT", "/a/groups/developers/groups/qa", nil), 200, nil)
	var included []groupInfo
	wantJSON(t, s.admin(t, "GET", "/a/groups/developers/groups/", nil), 200, &included)
	if len(included) != 1 || included[0].Name != "qa" {
		t.Fatalf("included groups = %+v", included)
	}
	wantJSON(t, s.admin(t, "GET", "/a/groups/developers/groups/qa", nil), 200, nil)
	expect(t, s.admin(t, "POST", "/a/groups/developers/groups.delete", map[string]any{"groups": []string{"qa"}}), 204, "groups.delete")
	expect(t, s.admin(t, "GET", "/a/groups/developers/groups/qa", nil), 404, "excluded group")
	wantText(t, s.admin(t, "POST", "/a/groups/developers/groups.add", map[string]any{"groups": []string{"qa", "nope"}}), 422,
		"Group Not Found: nope")
	wantJSON(t, s.admin(t, "POST", "/a/groups/developers/groups.add", map[string]any{"groups": []string{"qa"}}), 200, &included)
	if len(included) != 1 || included[0].Name != "qa" {
		t.Fatalf("groups.add answered %+v", included)
	}
	wantText(t, s.call(t, "DELETE", "/a/groups/developers/groups/qa", "alice", "alice-pw", nil, ""), 403,
		"Cannot delete groups from group developers")
	expect(t, s.admin(t, "DELETE", "/a/groups/developers/groups/qa", nil), 204, "delete included group")
	expect(t, s.admin(t, "DELETE", "/a/groups/developers/groups/qa", nil), 404, "delete it again")

	// The audit log: every real membership change, newest first, with
	// who made it.
	var audit []struct {
		Type   string         `json:"type"`
		Member map[string]any `json:"member"`
		User   accountInfo    `json:"user"`
		Date   string         `json:"date"`
	}
	wantJSON(t, s.admin(t, "GET", "/a/groups/developers/log.audit", nil), 200, &audit)
	var got []string
	for _, e := range audit {
		member, _ := e.Member["name"].(string)
		if e.User.Username != "admin" || e.Date == "" {
			t.Fatalf("audit event %+v", e)
		}
		got = append(got, e.Type+" "+member)
	}
	wantLog := []string{"REMOVE_GROUP qa", "ADD_GROUP qa", "REMOVE_GROUP qa", "ADD_GROUP qa", "ADD_USER Alice", "ADD_USER Administrator"}
	if !slices.Equal(got, wantLog) {
		t.Fatalf("audit log = %q, want %q", got, wantLog)
	}

	// An included group is listed to those who may see it, and to the
	// including group's owners.
	wantJSON(t, s.admin(t, "POST", "/a/groups/developers/groups.add", map[string]any{"groups": []string{"qa", "hidden"}}), 200, nil)
	names := func(user, password string) []string {
		t.Helper()
		var gs []groupInfo
		wantJSON(t, s.call(t, "GET", "/a/groups/developers/groups/", user, password, nil, ""), 200, &gs)
		var out []string
		for _, g := range gs {
			out = append(out, g.Name)
		}
		return out
	}
	if got := names("admin", adminPassword); !slices.Equal(got, []string{"hidden", "qa"}) {
		t.Fatalf("included groups for the owner: %v", got)
	}
	if got := names("bob", "bob-pw"); !slices.Equal(got, []string{"qa"}) {
		t.Fatalf("included groups for bob: %v", got)
	}

	// Members of a system group are not stored; text/plain names the one
	// member or group to add.
	expect(t, s.admin(t, "PUT", "/a/groups/Registered%20Users/members/bob", nil), 405, "add to a system group")
	wantJSON(t, s.call(t, "POST", "/a/groups/qa/members.add", "admin", adminPassword, "bob", "text/plain"), 200, nil)
	wantJSON(t, s.call(t, "POST", "/a/groups/qa/groups.add", "admin", adminPassword, "hidden", "text/plain"), 200, nil)
	var members []accountInfo
	wantJSON(t, s.admin(t, "GET", "/a/groups/qa/members/", nil), 200, &members)
	if len(members) != 2 || members[1].Username != "bob" && members[0].Username != "bob" {
		t.Fatalf("members of qa after a text/plain members.add: %+v", members)
	}

	// gerrit rename-group: owners only, and the projects follow again.
	want(t, "alice's rename-group", s.run(t, "alice", aliceKey, "", "gerrit rename-group developers devs2"), 1, "",
		"fatal: Changing group name not permitted\n")
	want(t, "rename-group of an unknown group", s.run(t, "admin", s.adminKey, "", "gerrit rename-group nope x"), 1, "",
		"fatal: Group \"nope\" does not exist\n")
	want(t, "rename-group to a taken name", s.run(t, "admin", s.adminKey, "", "gerrit rename-group developers qa"), 1, "",
		"fatal: group with name qa already exists\n")
	want(t, "rename-group to a blank name", s.run(t, "admin", s.adminKey, "", "gerrit rename-group developers ' '"), 1, "",
		"fatal: name is required\n")
	want(t, "rename-group", s.run(t, "admin", s.adminKey, "", "gerrit rename-group developers 'core devs'"), 0, "", "")
	out := ok(t, "ls-groups", s.run(t, "admin", s.adminKey, "", "gerrit ls-groups"))
	if !strings.Contains(out, "core devs\n") || strings.Contains(out, "developers") {
		t.Fatalf("ls-groups after rename-group:\n%s", out)
	}
	groups, config, subject = meta()
	if !listed(groups, "core devs") || !strings.Contains(config, "group core devs") ||
		subject != "Rename group developers to core devs" {
		t.Fatalf("refs/meta/config after rename-group:\n%s\n%s\n%s", subject, groups, config)
	}
}
