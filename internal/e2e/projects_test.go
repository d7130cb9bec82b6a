package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"tandem/internal/httpd/restapi"
)

// editProjectConfig checks out a project's refs/meta/config as admin,
// lets edit change project.config in the work tree, and pushes the result.
func (s *server) editProjectConfig(t testing.TB, project string, edit func(dir string)) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cfg")
	s.mustGit(t, "", "", "init", "-q", dir)
	s.mustGit(t, dir, "", "fetch", "-q", s.httpURL("admin", adminPassword, "a/"+project), "refs/meta/config")
	s.mustGit(t, dir, "", "checkout", "-q", "FETCH_HEAD")
	edit(dir)
	s.mustGit(t, dir, "", "commit", "-q", "-am", "Configure "+project)
	s.mustGit(t, dir, "", "push", "-q", s.httpURL("admin", adminPassword, "a/"+project), "HEAD:refs/meta/config")
}

// setProjectConfig sets keys (pairs of "section.key", value) in a
// project's project.config.
func (s *server) setProjectConfig(t testing.TB, project string, pairs ...string) {
	t.Helper()
	s.editProjectConfig(t, project, func(dir string) {
		for i := 0; i+1 < len(pairs); i += 2 {
			s.mustGit(t, dir, "", "config", "-f", "project.config", pairs[i], pairs[i+1])
		}
	})
}

// appendProjectConfig adds text to a project's project.config.
func (s *server) appendProjectConfig(t testing.TB, project, text string) {
	t.Helper()
	s.editProjectConfig(t, project, func(dir string) { appendFile(t, filepath.Join(dir, "project.config"), text) })
}

// listProjects returns GET /projects/ with query as user ("" anonymous).
func (s *server) listProjects(t testing.TB, user, query string) map[string]restapi.ProjectInfo {
	t.Helper()
	password := ""
	path := "/projects/?" + query
	if user != "" {
		password, path = user+"-pw", "/a"+path
		if user == "admin" {
			password = adminPassword
		}
	}
	var out map[string]restapi.ProjectInfo
	wantJSON(t, s.call(t, "GET", path, user, password, nil, ""), 200, &out)
	return out
}

func names(m map[string]restapi.ProjectInfo) []string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// TestProjectListing drives GET /projects/ and `gerrit ls-projects` with
// states, types and the inheritance tree, and GET /projects/{p}/config.
func TestProjectListing(t *testing.T) {
	s := startServer(t, "sqlite")
	aliceKey := s.createUser(t, "alice")
	expect(t, s.admin(t, "PUT", "/a/projects/lp-perms", map[string]any{"permissions_only": true}), 201, "create lp-perms")
	expect(t, s.admin(t, "PUT", "/a/projects/lp-code", map[string]any{"parent": "lp-perms", "create_empty_commit": true}), 201, "create lp-code")
	for _, p := range []string{"lp-ro", "lp-hidden"} {
		expect(t, s.admin(t, "PUT", "/a/projects/"+p, map[string]any{"create_empty_commit": true}), 201, "create "+p)
	}
	s.setProjectConfig(t, "lp-ro", "project.state", "read only")
	s.setProjectConfig(t, "lp-hidden", "project.state", "hidden")

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"p=lp-", []string{"lp-code", "lp-perms", "lp-ro"}},
		{"p=lp-&all", []string{"lp-code", "lp-hidden", "lp-perms", "lp-ro"}},
		{"p=lp-&state=READ_ONLY", []string{"lp-ro"}},
		{"p=lp-&state=HIDDEN", []string{"lp-hidden"}},
		{"p=lp-&type=PERMISSIONS", []string{"lp-perms"}},
		{"p=lp-&type=CODE", []string{"lp-code", "lp-ro"}},
		{"p=lp-&b=main", []string{"lp-code", "lp-ro"}},
		{"m=CODE", []string{"lp-code"}},
	} {
		got := s.listProjects(t, "admin", tc.query)
		if !slices.Equal(names(got), tc.want) {
			t.Errorf("%s lists %v, want %v", tc.query, names(got), tc.want)
		}
		for n, info := range got {
			if info.Parent != "" {
				t.Errorf("%s: %s has parent %q without t", tc.query, n, info.Parent)
			}
		}
	}
	tree := s.listProjects(t, "admin", "p=lp-&t")
	if tree["lp-code"].Parent != "lp-perms" || tree["lp-perms"].Parent != "All-Projects" || tree["lp-ro"].State != "READ_ONLY" {
		t.Errorf("tree %+v", tree)
	}
	// Children, and with ?recursive all descendants, that the caller sees.
	children := func(user, path string) []string {
		t.Helper()
		var infos []struct {
			Name   string `json:"name"`
			Parent string `json:"parent"`
		}
		s.call(t, "GET", "/a/projects/"+path, user, user+"-pw", nil, "").json(t, &infos)
		var out []string
		for _, i := range infos {
			if strings.HasPrefix(i.Name, "lp-") {
				out = append(out, i.Name+"<"+i.Parent)
			}
		}
		return out
	}
	if got := children("alice", "lp-perms/children/"); fmt.Sprint(got) != "[lp-code<lp-perms]" {
		t.Errorf("children of lp-perms: %v", got)
	}
	if got := children("alice", "All-Projects/children/"); fmt.Sprint(got) != "[lp-perms<All-Projects lp-ro<All-Projects]" {
		t.Errorf("alice's children of All-Projects: %v", got)
	}
	if got := children("alice", "All-Projects/children/?recursive"); fmt.Sprint(got) != "[lp-code<lp-perms lp-perms<All-Projects lp-ro<All-Projects]" {
		t.Errorf("alice's descendants of All-Projects: %v", got)
	}
	// parentproject: finds changes of a project and of its children.
	inCode := pushChange(t, s, "lp-code", "c.txt", "In lp-code", 701)
	expect(t, s.admin(t, "PUT", "/a/projects/elsewhere", map[string]any{"create_empty_commit": true}), 201, "create elsewhere")
	pushChange(t, s, "elsewhere", "r.txt", "Elsewhere", 702)
	for q, want := range map[string]string{"parentproject:lp-perms": "[" + inCode + "]", "parentproject:lp-code": "[" + inCode + "]"} {
		var found []struct {
			Number int `json:"_number"`
		}
		wantJSON(t, s.admin(t, "GET", "/a/changes/?q="+q, nil), 200, &found)
		var got []string
		for _, c := range found {
			got = append(got, fmt.Sprint(c.Number))
		}
		if fmt.Sprint(got) != want {
			t.Errorf("%s finds %v, want %s", q, got, want)
		}
	}

	for query, want := range map[string]string{
		"all&state=ACTIVE": "'all' and 'state' may not be used together",
		"state=BOGUS":      `"BOGUS" is not a valid value for "--state"`,
		"type=weird":       `"WEIRD" is not a valid value for "--type"`,
		"t&b=main":         "--tree and --show-branch options are not compatible.",
		"p=a&m=b":          "specify exactly one of p/m/r",
		"n=-1":             `"-1" is not a valid value for "-n"`,
	} {
		r := s.admin(t, "GET", "/a/projects/?"+query, nil)
		if r.status != 400 || strings.TrimSpace(r.body) != want {
			t.Errorf("%s: %d %q, want 400 %q", query, r.status, r.body, want)
		}
	}

	// A parent the caller may not see is named ?-N.
	s.setProjectConfig(t, "lp-perms", "project.state", "hidden")
	if got := s.listProjects(t, "alice", "p=lp-&t"); got["lp-code"].Parent != "?-1" || len(got) != 2 {
		t.Errorf("alice's tree %+v", got)
	}
	if got := s.listProjects(t, "admin", "p=lp-code&t"); got["lp-code"].Parent != "lp-perms" {
		t.Errorf("admin's tree %+v", got)
	}

	// The same listing over SSH.
	out, errOut, code := s.ssh(t, "alice", aliceKey, "", "gerrit", "ls-projects", "-p", "lp-", "--tree", "--format", "json")
	var js map[string]map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &js) != nil || js["lp-code"]["parent"] != "?-1" || js["lp-ro"]["state"] != "READ_ONLY" {
		t.Errorf("ls-projects --tree: %d %q %q", code, out, errOut)
	}
	if out, _, _ := s.ssh(t, "alice", aliceKey, "", "gerrit", "ls-projects", "-p", "lp-", "--state", "READ_ONLY"); out != "lp-ro\n" {
		t.Errorf("ls-projects --state READ_ONLY: %q", out)
	}
	if _, errOut, code := s.ssh(t, "alice", aliceKey, "", "gerrit", "ls-projects", "--all", "--state", "ACTIVE"); code != 1 ||
		!strings.Contains(errOut, "'all' and 'state' may not be used together") {
		t.Errorf("ls-projects --all --state: %d %q", code, errOut)
	}
}

// TestProjectConfigInfo reads ConfigInfo's own and inherited values and
// shows that submit.rejectEmptyCommit is enforced.
func TestProjectConfigInfo(t *testing.T) {
	s := startServer(t, "sqlite")
	s.createUser(t, "alice")
	expect(t, s.admin(t, "PUT", "/a/projects/cfg", map[string]any{"create_empty_commit": true}), 201, "create cfg")
	s.setProjectConfig(t, "cfg", "receive.requireChangeId", "false", "submit.action", "cherry pick",
		"submit.rejectEmptyCommit", "true", "receive.maxObjectSizeLimit", "10m", "project.description", "configured")

	var ci restapi.ConfigInfo
	wantJSON(t, s.call(t, "GET", "/projects/cfg/config", "", "", nil, ""), 200, &ci)
	yes, no := true, false
	for name, got := range map[string]restapi.InheritedBooleanInfo{
		"require_change_id":   ci.RequireChangeID,
		"use_content_merge":   ci.UseContentMerge,
		"reject_empty_commit": ci.RejectEmptyCommit,
	} {
		want := map[string]restapi.InheritedBooleanInfo{
			"require_change_id":   {Value: false, ConfiguredValue: "FALSE", InheritedValue: &yes},
			"use_content_merge":   {Value: true, ConfiguredValue: "INHERIT", InheritedValue: &yes},
			"reject_empty_commit": {Value: true, ConfiguredValue: "TRUE", InheritedValue: &no},
		}[name]
		if got.Value != want.Value || got.ConfiguredValue != want.ConfiguredValue || got.InheritedValue == nil || *got.InheritedValue != *want.InheritedValue {
			t.Errorf("%s = %+v, want %+v", name, got, want)
		}
	}
	if ci.DefaultSubmitType != (restapi.SubmitTypeInfo{Value: "CHERRY_PICK", ConfiguredValue: "CHERRY_PICK", InheritedValue: "MERGE_IF_NECESSARY"}) ||
		ci.SubmitType != "CHERRY_PICK" || ci.State != "ACTIVE" || ci.Description != "configured" ||
		ci.MaxObjectSizeLimit.Value != "10485760" || ci.MaxObjectSizeLimit.ConfiguredValue != "10485760" {
		t.Errorf("config info %+v", ci)
	}
	var root restapi.ConfigInfo
	wantJSON(t, s.call(t, "GET", "/projects/All-Projects/config", "", "", nil, ""), 200, &root)
	if root.RequireChangeID.InheritedValue != nil || !root.RequireChangeID.Value || root.DefaultSubmitType.InheritedValue != "" {
		t.Errorf("All-Projects config info %+v", root)
	}

	// Two changes making the same edit: once the first is in, picking the
	// second would make an empty commit, which the project refuses.
	first := pushChange(t, s, "cfg", "same.txt", "Same edit", 1)
	second := pushChange(t, s, "cfg", "same.txt", "Same edit", 2)
	for _, n := range []string{first, second} {
		expect(t, s.admin(t, "POST", "/a/changes/"+n+"/revisions/current/review", map[string]any{"labels": map[string]int{"Code-Review": 2}}), 200, "approve "+n)
	}
	expect(t, s.admin(t, "POST", "/a/changes/"+first+"/submit", nil), 200, "submit first")
	r := s.admin(t, "POST", "/a/changes/"+second+"/submit", nil)
	if r.status != 409 || !strings.Contains(r.body, "Change could not be merged because the commit is empty.") {
		t.Fatalf("submit of an empty pick: %d %q", r.status, r.body)
	}
}

// TestSSHProjectAdmin drives `gerrit set-project-parent` and
// `gerrit set-head` and checks their effect over REST.
func TestSSHProjectAdmin(t *testing.T) {
	s := startServer(t, "sqlite")
	aliceKey := s.createUser(t, "alice")
	for _, p := range []string{"sp-parent", "sp-a", "sp-b"} {
		expect(t, s.admin(t, "PUT", "/a/projects/"+p, map[string]any{"create_empty_commit": true}), 201, "create "+p)
	}
	parentOf := func(p string) string {
		t.Helper()
		var parent string
		s.admin(t, "GET", "/a/projects/"+p+"/parent", nil).json(t, &parent)
		return parent
	}
	run := func(key, user string, args ...string) (string, int) {
		t.Helper()
		_, stderr, code := s.ssh(t, user, key, "", args...)
		return stderr, code
	}
	if stderr, code := run(aliceKey, "alice", "gerrit", "set-project-parent", "--parent", "sp-parent", "sp-a"); code != 1 ||
		stderr != "fatal: not permitted: administrate server\n" {
		t.Fatalf("alice reparents: %d %q", code, stderr)
	}
	if stderr, code := run(s.adminKey, "admin", "gerrit", "set-project-parent", "--parent", "sp-parent", "sp-a", "sp-b"); code != 0 {
		t.Fatalf("set-project-parent: %d %q", code, stderr)
	}
	if parentOf("sp-a") != "sp-parent" || parentOf("sp-b") != "sp-parent" {
		t.Fatalf("parents %s, %s", parentOf("sp-a"), parentOf("sp-b"))
	}
	stderr, code := run(s.adminKey, "admin", "gerrit", "set-project-parent", "--parent", "sp-a", "sp-parent", "sp-b")
	if code != 1 || !strings.Contains(stderr, "error: Cannot change parent of project sp-parent: cycle exists between sp-parent and sp-a") ||
		parentOf("sp-b") != "sp-a" {
		t.Fatalf("a cycle among others: %d %q, sp-b's parent %s", code, stderr, parentOf("sp-b"))
	}
	if stderr, code := run(s.adminKey, "admin", "gerrit", "set-project-parent", "--children-of", "sp-parent", "--exclude", "sp-b"); code != 0 {
		t.Fatalf("--children-of: %d %q", code, stderr)
	}
	if parentOf("sp-a") != "All-Projects" || parentOf("sp-b") != "sp-a" {
		t.Fatalf("after --children-of: %s, %s", parentOf("sp-a"), parentOf("sp-b"))
	}
	if stderr, code := run(s.adminKey, "admin", "gerrit", "set-project-parent", "--parent", "nope", "sp-a"); code != 1 || !strings.Contains(stderr, "parent project nope not found") {
		t.Fatalf("an unknown parent: %d %q", code, stderr)
	}

	expect(t, s.admin(t, "PUT", "/a/projects/sp-a/branches/dev", map[string]any{}), 201, "create dev")
	if stderr, code := run(s.adminKey, "admin", "gerrit", "set-head", "sp-a", "--new-head", "dev"); code != 0 {
		t.Fatalf("set-head: %d %q", code, stderr)
	}
	var head string
	s.admin(t, "GET", "/a/projects/sp-a/HEAD", nil).json(t, &head)
	if head != "refs/heads/dev" {
		t.Fatalf("HEAD %s", head)
	}
	for _, c := range []struct {
		key, user string
		args      []string
		want      string
	}{
		{s.adminKey, "admin", []string{"gerrit", "set-head", "sp-a", "--new-head", "gone"}, "fatal: Ref Not Found: refs/heads/gone\n"},
		{s.adminKey, "admin", []string{"gerrit", "set-head", "sp-a"}, "fatal: option \"--new-head\" is required\n"},
		{aliceKey, "alice", []string{"gerrit", "set-head", "sp-a", "--new-head", "main"}, "fatal: not project owner\n"},
	} {
		if stderr, code := run(c.key, c.user, c.args...); code != 1 || stderr != c.want {
			t.Errorf("%v: %d %q, want %q", c.args, code, stderr, c.want)
		}
	}
}
