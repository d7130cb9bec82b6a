package e2e

import (
	"testing"
)

// TestCheckAccess asks, as an administrator debugging access rules does,
// whether accounts may see a project, read a ref or push to it
// (/projects/NAME/check.access, POST and GET), and checks the refusals.
func TestCheckAccess(t *testing.T) {
	s := startServer(t, "sqlite")
	s.createUser(t, "alice")
	s.createUser(t, "bob")
	expect(t, s.admin(t, "PUT", "/a/projects/ca-app", map[string]any{"create_empty_commit": true}), 201, "create ca-app")
	expect(t, s.admin(t, "PUT", "/a/projects/ca-empty", map[string]any{}), 201, "create ca-empty")
	var insiders groupInfo
	wantJSON(t, s.admin(t, "PUT", "/a/groups/insiders", map[string]any{"members": []string{"bob"}}), 201, &insiders)
	rules := map[string]any{"add": map[string]any{"refs/heads/secret/*": map[string]any{"permissions": map[string]any{
		"read": map[string]any{"exclusive": true, "rules": map[string]any{insiders.ID: map[string]any{"action": "ALLOW"}}},
		"push": map[string]any{"rules": map[string]any{insiders.ID: map[string]any{"action": "ALLOW"}}},
	}}}}
	wantJSON(t, s.admin(t, "POST", "/a/projects/ca-app/access", rules), 200, nil)
	// As in Gerrit, a block on refs/* hides the project from everybody the
	// same section does not let in.
	hidden := map[string]any{"add": map[string]any{"refs/*": map[string]any{"permissions": map[string]any{
		"read": map[string]any{"rules": map[string]any{
			insiders.ID:               map[string]any{"action": "ALLOW"},
			"global:Registered-Users": map[string]any{"action": "BLOCK"},
		}},
	}}}}
	wantJSON(t, s.admin(t, "POST", "/a/projects/ca-empty/access", hidden), 200, nil)

	type info struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	}
	for _, c := range []struct {
		project string
		input   map[string]string
		want    info
	}{
		{"ca-app", map[string]string{"account": "alice"}, info{200, ""}},
		{"ca-app", map[string]string{"account": "alice", "ref": "refs/heads/main"}, info{200, ""}},
		{"ca-app", map[string]string{"account": "alice", "ref": "refs/heads/secret/x"}, info{403,
			"user alice lacks permission read for refs/heads/secret/x in project ca-app"}},
		{"ca-app", map[string]string{"account": "bob", "ref": "refs/heads/secret/x"}, info{200, ""}},
		{"ca-app", map[string]string{"account": "bob@example.com", "ref": "refs/heads/secret/x", "permission": "push"}, info{200, ""}},
		{"ca-app", map[string]string{"account": "alice", "ref": "refs/heads/main", "permission": "push"}, info{403,
			"user alice lacks permission push for refs/heads/main in project ca-app"}},
		{"ca-empty", map[string]string{"account": "alice"}, info{403, "user alice cannot see project ca-empty"}},
		{"ca-empty", map[string]string{"account": "bob"}, info{200, "access is OK, but repository has no branches under refs/heads/"}},
		{"ca-app", map[string]string{"account": "self", "ref": "refs/heads/secret/x"}, info{403, // the caller
			"user admin lacks permission read for refs/heads/secret/x in project ca-app"}},
	} {
		var got info
		wantJSON(t, s.admin(t, "POST", "/a/projects/"+c.project+"/check.access", c.input), 200, &got)
		if got != c.want {
			t.Errorf("check.access %s %v = %+v, want %+v", c.project, c.input, got, c.want)
		}
	}
	var got info
	wantJSON(t, s.admin(t, "GET", "/a/projects/ca-app/check.access?account=alice&ref=refs/heads/secret/x&perm=read", nil), 200, &got)
	if got.Status != 403 {
		t.Errorf("GET check.access: %+v", got)
	}

	wantText(t, s.admin(t, "POST", "/a/projects/ca-app/check.access", map[string]string{}), 400, "input requires 'account'")
	wantText(t, s.admin(t, "POST", "/a/projects/ca-app/check.access", map[string]string{"account": "alice", "permission": "push"}), 400,
		"must set 'ref' when specifying 'permission'")
	wantText(t, s.admin(t, "POST", "/a/projects/ca-app/check.access",
		map[string]string{"account": "alice", "ref": "refs/heads/main", "permission": "fly"}), 400, "'fly' is not recognized as ref permission")
	wantText(t, s.admin(t, "POST", "/a/projects/ca-app/check.access", map[string]string{"account": "nobody"}), 422, "Account 'nobody' not found")
	expect(t, s.call(t, "POST", "/a/projects/ca-app/check.access", "alice", "alice-pw", map[string]string{"account": "bob"}, ""), 403,
		"check.access without viewAccess")
}
