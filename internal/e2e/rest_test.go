package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"tandem/internal/httpd/restapi"
)

// TestREST drives the REST API the way curl and pygerrit2-style clients do,
// on one SQLite-backed server: accounts, groups, projects, server endpoints
// and malformed requests.
func TestREST(t *testing.T) {
	s := startServer(t, "sqlite")
	t.Run("accounts", func(t *testing.T) { testAccountsREST(t, s) })
	t.Run("groups", func(t *testing.T) { testGroupsREST(t, s) })
	t.Run("projects", func(t *testing.T) { testProjectsREST(t, s) })
	t.Run("server", func(t *testing.T) { testServerREST(t, s) })
	t.Run("bad input", func(t *testing.T) { testBadInputREST(t, s) })
}

// TestRESTPostgres runs the account and group flows on PostgreSQL.
func TestRESTPostgres(t *testing.T) {
	s := startServer(t, "postgresql")
	t.Run("accounts", func(t *testing.T) { testAccountsREST(t, s) })
	t.Run("groups", func(t *testing.T) { testGroupsREST(t, s) })
}

// wantJSON checks a successful Gerrit JSON answer and decodes it into v
// (nil skips decoding).
func wantJSON(t testing.TB, r response, status int, v any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %q", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=UTF-8" {
		t.Fatalf("Content-Type %q, want application/json; charset=UTF-8 (body %q)", ct, r.body)
	}
	if v != nil {
		r.json(t, v)
	} else if !strings.HasPrefix(r.body, ")]}'\n") {
		t.Fatalf("body lacks the )]}' prefix: %q", r.body)
	}
}

// wantText checks a Gerrit error (or plain) answer: the status, text/plain
// without the JSON prefix, and the message.
func wantText(t testing.TB, r response, status int, msg string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %q", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q, want text/plain (body %q)", ct, r.body)
	}
	if strings.HasPrefix(r.body, ")]}'") {
		t.Fatalf("error body has the JSON prefix: %q", r.body)
	}
	if got := strings.TrimSpace(r.body); got != msg {
		t.Fatalf("body %q, want %q", got, msg)
	}
}

// wantNoContent checks a 204 answer.
func wantNoContent(t testing.TB, r response) {
	t.Helper()
	if r.status != 204 || r.body != "" {
		t.Fatalf("status %d body %q, want 204 and no body", r.status, r.body)
	}
}

type accountInfo struct {
	ID       int64  `json:"_account_id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Username string `json:"username"`
}

type groupInfo struct {
	ID      string        `json:"id"`
	Name    string        `json:"name"`
	URL     string        `json:"url"`
	GroupID int64         `json:"group_id"`
	OwnerID string        `json:"owner_id"`
	Members []accountInfo `json:"members"`
}

type sshKeyInfo struct {
	Seq          int    `json:"seq"`
	SSHPublicKey string `json:"ssh_public_key"`
	EncodedKey   string `json:"encoded_key"`
	Algorithm    string `json:"algorithm"`
	Comment      string `json:"comment"`
	Valid        bool   `json:"valid"`
}

func readPub(t testing.TB, key string) string {
	t.Helper()
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(pub))
}

// sshWorks reports whether user can run a command over SSH with key.
func (s *server) sshWorks(t testing.TB, user, key string) bool {
	t.Helper()
	_, stderr, code := s.ssh(t, user, key, "", "gerrit", "version")
	if code != 0 && code != 255 {
		t.Fatalf("ssh as %s: exit %d, stderr %q", user, code, stderr)
	}
	return code == 0
}

func testAccountsREST(t *testing.T, s *server) {
	r := s.admin(t, "PUT", "/a/groups/acct-devs", map[string]any{})
	wantJSON(t, r, 201, nil)

	// Creating needs an account with createAccount.
	r = s.call(t, "PUT", "/a/accounts/alice", "", "", map[string]any{}, "")
	wantText(t, r, 401, "Unauthorized")
	if got := r.header.Get("WWW-Authenticate"); got != `Basic realm="Gerrit Code Review"` {
		t.Fatalf("WWW-Authenticate = %q", got)
	}
	wantText(t, s.call(t, "PUT", "/accounts/alice", "", "", map[string]any{}, ""), 403, "Authentication required")

	aliceKey := sshKey(t, t.TempDir(), "alice_key")
	r = s.admin(t, "PUT", "/a/accounts/alice", map[string]any{
		"name": "Alice Liddell", "email": "alice@example.com", "ssh_key": readPub(t, aliceKey),
		"http_password": "alice-pw", "groups": []string{"acct-devs"},
	})
	var alice accountInfo
	wantJSON(t, r, 201, &alice)
	if alice.ID == 0 || alice.Name != "Alice Liddell" || alice.Email != "alice@example.com" || alice.Username != "alice" {
		t.Fatalf("created %+v", alice)
	}
	wantText(t, s.admin(t, "PUT", "/a/accounts/alice", map[string]any{}), 409, "username 'alice' already exists")
	wantText(t, s.admin(t, "PUT", "/a/accounts/alice2", map[string]any{"email": "alice@example.com"}), 422,
		"email 'alice@example.com' already exists")
	wantText(t, s.admin(t, "PUT", "/a/accounts/bad%20name", map[string]any{}), 400, "Invalid username 'bad name'")
	wantText(t, s.admin(t, "PUT", "/a/accounts/bob", map[string]any{"groups": []string{"no-such-group"}}), 422,
		"Group Not Found: no-such-group")
	wantText(t, s.call(t, "PUT", "/a/accounts/bob", "alice", "alice-pw", map[string]any{}, ""), 403,
		"not permitted: create account")
	// Without a name, Gerrit uses the username of the body, if any.
	r = s.admin(t, "PUT", "/a/accounts/bob", map[string]any{"username": "bob", "http_password": "bob-pw"})
	var bob accountInfo
	wantJSON(t, r, 201, &bob)
	if bob.Name != "bob" || bob.Email != "" {
		t.Fatalf("bob = %+v", bob)
	}

	// Every account id form names the same account, for anyone.
	for _, id := range []string{fmt.Sprint(alice.ID), "alice", "alice@example.com",
		url.QueryEscape("Alice Liddell <alice@example.com>"), url.PathEscape(fmt.Sprintf("Alice (%d)", alice.ID))} {
		var got accountInfo
		wantJSON(t, s.call(t, "GET", "/accounts/"+id, "", "", nil, ""), 200, &got)
		if got != alice {
			t.Fatalf("GET /accounts/%s = %+v, want %+v", id, got, alice)
		}
	}
	wantText(t, s.call(t, "GET", "/accounts/nobody", "", "", nil, ""), 404, "Account 'nobody' not found")
	var self accountInfo
	wantJSON(t, s.call(t, "GET", "/a/accounts/self", "alice", "alice-pw", nil, ""), 200, &self)
	if self != alice {
		t.Fatalf("self = %+v, want %+v", self, alice)
	}
	wantText(t, s.call(t, "GET", "/accounts/self", "", "", nil, ""), 403, "Authentication required")
	var members []accountInfo
	wantJSON(t, s.admin(t, "GET", "/a/groups/acct-devs/members/", nil), 200, &members)
	if len(members) != 2 || members[1].ID != alice.ID {
		t.Fatalf("acct-devs members = %+v, want the admin and alice", members)
	}
	var aliceGroups []groupInfo
	wantJSON(t, s.call(t, "GET", "/a/accounts/self/groups", "alice", "alice-pw", nil, ""), 200, &aliceGroups)
	var groupNames []string
	for _, g := range aliceGroups {
		groupNames = append(groupNames, g.Name)
	}
	if got := strings.Join(groupNames, ","); got != "Anonymous Users,Registered Users,acct-devs" {
		t.Fatalf("alice's groups = %s", got)
	}

	// SSH keys: list, add as text/plain, refuse garbage, delete.
	if !s.sshWorks(t, "alice", aliceKey) {
		t.Fatal("alice's initial key does not authenticate")
	}
	var keys []sshKeyInfo
	wantJSON(t, s.call(t, "GET", "/a/accounts/self/sshkeys", "alice", "alice-pw", nil, ""), 200, &keys)
	if len(keys) != 1 || keys[0].Seq != 1 || keys[0].SSHPublicKey != readPub(t, aliceKey) ||
		keys[0].Algorithm != "ssh-ed25519" || keys[0].Comment != "alice_key" || !keys[0].Valid ||
		!strings.Contains(keys[0].SSHPublicKey, keys[0].EncodedKey) {
		t.Fatalf("alice's keys = %+v", keys)
	}
	key2 := sshKey(t, t.TempDir(), "alice_key2")
	if s.sshWorks(t, "alice", key2) {
		t.Fatal("an unregistered key authenticates")
	}
	var added sshKeyInfo
	wantJSON(t, s.call(t, "POST", "/a/accounts/alice/sshkeys", "alice", "alice-pw", readPub(t, key2)+"\n", "text/plain"), 201, &added)
	if added.Seq != 2 || added.SSHPublicKey != readPub(t, key2) {
		t.Fatalf("added key = %+v", added)
	}
	if !s.sshWorks(t, "alice", key2) {
		t.Fatal("the added key does not authenticate")
	}
	wantText(t, s.call(t, "POST", "/a/accounts/self/sshkeys", "alice", "alice-pw", "ssh-ed25519 AAAAnotakey", "text/plain"),
		400, "Invalid SSH Key")
	wantText(t, s.call(t, "GET", "/a/accounts/alice/sshkeys", "bob", "bob-pw", nil, ""), 403, "not permitted: modify account")
	wantJSON(t, s.admin(t, "GET", "/a/accounts/alice/sshkeys/2", nil), 200, nil)
	wantNoContent(t, s.call(t, "DELETE", "/a/accounts/self/sshkeys/1", "alice", "alice-pw", nil, ""))
	if s.sshWorks(t, "alice", aliceKey) {
		t.Fatal("a deleted key still authenticates")
	}
	wantText(t, s.call(t, "DELETE", "/a/accounts/self/sshkeys/1", "alice", "alice-pw", nil, ""), 404, "Not found: 1")
	wantJSON(t, s.call(t, "GET", "/a/accounts/self/sshkeys", "alice", "alice-pw", nil, ""), 200, &keys)
	if len(keys) != 1 || keys[0].Seq != 2 {
		t.Fatalf("keys after delete = %+v", keys)
	}

	// HTTP passwords: a generated one replaces the old one at once, for
	// REST and git alike; only administrators choose one verbatim.
	r = s.call(t, "PUT", "/a/accounts/self/password.http", "alice", "alice-pw", map[string]any{"generate": true}, "")
	var generated string
	wantJSON(t, r, 200, &generated)
	if len(generated) < 20 {
		t.Fatalf("generated password %q", generated)
	}
	wantText(t, s.call(t, "GET", "/a/accounts/self", "alice", "alice-pw", nil, ""), 401, "Unauthorized")
	wantJSON(t, s.call(t, "GET", "/a/accounts/self", "alice", generated, nil, ""), 200, nil)
	if out, err := s.git(t, "", "", "ls-remote", s.httpURL("alice", url.QueryEscape(generated), "a/All-Projects")); err != nil {
		t.Fatalf("git with the generated password: %v\n%s", err, out)
	}
	if out, err := s.git(t, "", "", "ls-remote", s.httpURL("alice", "alice-pw", "a/All-Projects")); err == nil {
		t.Fatalf("git with the old password succeeded:\n%s", out)
	}
	wantText(t, s.call(t, "PUT", "/a/accounts/self/password.http", "alice", generated, map[string]any{"http_password": "mine"}, ""),
		403, "not permitted: administrate server")
	wantText(t, s.call(t, "PUT", "/a/accounts/bob/password.http", "alice", generated, map[string]any{"generate": true}, ""),
		403, "not permitted: administrate server")
	var chosen string
	wantJSON(t, s.admin(t, "PUT", "/a/accounts/alice/password.http", map[string]any{"http_password": "chosen-pw"}), 200, &chosen)
	if chosen != "chosen-pw" {
		t.Fatalf("chosen password answer %q", chosen)
	}
	wantText(t, s.call(t, "GET", "/a/accounts/self", "alice", generated, nil, ""), 401, "Unauthorized")
	wantJSON(t, s.call(t, "GET", "/a/accounts/self", "alice", "chosen-pw", nil, ""), 200, nil)
	wantNoContent(t, s.call(t, "DELETE", "/a/accounts/self/password.http", "alice", "chosen-pw", nil, ""))
	wantText(t, s.call(t, "GET", "/a/accounts/self", "alice", "chosen-pw", nil, ""), 401, "Unauthorized")
}

var hex40 = regexp.MustCompile(`^[0-9a-f]{40}$`)

func testGroupsREST(t *testing.T, s *server) {
	s.createUser(t, "carol")
	s.createUser(t, "dave")

	// The groups made at init and the system groups, in Gerrit's id forms.
	var groups map[string]groupInfo
	wantJSON(t, s.admin(t, "GET", "/a/groups/", nil), 200, &groups)
	for _, name := range []string{"Administrators", "Service Users", "Blocked Users"} {
		g, ok := groups[name]
		if !ok || !hex40.MatchString(g.ID) || g.GroupID == 0 || g.Name != "" || g.URL != "#/admin/groups/uuid-"+g.ID {
			t.Fatalf("group %q in the list = %+v (present %v)", name, g, ok)
		}
	}
	for name, id := range map[string]string{
		"Anonymous Users": "global%3AAnonymous-Users", "Registered Users": "global%3ARegistered-Users",
		"Project Owners": "global%3AProject-Owners", "Change Owner": "global%3AChange-Owner",
	} {
		if g := groups[name]; g.ID != id {
			t.Fatalf("system group %q = %+v, want id %s", name, g, id)
		}
	}
	admins := groups["Administrators"]
	wantText(t, s.call(t, "GET", "/groups/", "", "", nil, ""), 403, "Authentication required")
	wantText(t, s.call(t, "GET", "/groups/"+admins.ID, "", "", nil, ""), 403, "Authentication required")

	wantJSON(t, s.admin(t, "GET", "/a/groups/?o=MEMBERS", nil), 200, &groups)
	if m := groups["Administrators"].Members; len(m) != 1 || m[0].Username != "admin" {
		t.Fatalf("Administrators members = %+v", m)
	}

	// One group under every id form; ids from answers work in URLs.
	for _, id := range []string{admins.ID, "Administrators", fmt.Sprint(admins.GroupID)} {
		var g groupInfo
		wantJSON(t, s.admin(t, "GET", "/a/groups/"+id, nil), 200, &g)
		if g.ID != admins.ID || g.Name != "Administrators" || g.OwnerID != admins.ID {
			t.Fatalf("GET /groups/%s = %+v", id, g)
		}
	}
	for _, id := range []string{"global%3ARegistered-Users", "Registered+Users", "Registered%20Users"} {
		var g groupInfo
		wantJSON(t, s.call(t, "GET", "/a/groups/"+id, "carol", "carol-pw", nil, ""), 200, &g)
		if g.ID != "global%3ARegistered-Users" || g.Name != "Registered Users" {
			t.Fatalf("GET /groups/%s = %+v", id, g)
		}
	}
	wantText(t, s.admin(t, "GET", "/a/groups/nope", nil), 404, "Not found: nope")
	// A group that is not visible to all is hidden from non-members.
	wantText(t, s.call(t, "GET", "/a/groups/Administrators", "carol", "carol-pw", nil, ""), 404, "Not found: Administrators")

	// Creating groups; the creator owns a self-owned group by membership.
	var qa groupInfo
	wantJSON(t, s.admin(t, "PUT", "/a/groups/qa", map[string]any{"description": "Quality", "visible_to_all": true}), 201, &qa)
	if !hex40.MatchString(qa.ID) || qa.Name != "qa" || qa.OwnerID != qa.ID {
		t.Fatalf("created group %+v", qa)
	}
	wantText(t, s.admin(t, "PUT", "/a/groups/qa", map[string]any{}), 409, "group 'qa' already exists")
	wantText(t, s.call(t, "PUT", "/a/groups/carols", "carol", "carol-pw", map[string]any{}, ""), 403, "not permitted: create group")

	// Members: PUT is 201 when new and 200 when already a member.
	var m accountInfo
	wantJSON(t, s.admin(t, "PUT", "/a/groups/qa/members/carol", nil), 201, &m)
	if m.Username != "carol" {
		t.Fatalf("added member %+v", m)
	}
	wantJSON(t, s.admin(t, "PUT", "/a/groups/qa/members/carol", nil), 200, &m)
	var list []accountInfo
	wantJSON(t, s.admin(t, "POST", "/a/groups/"+qa.ID+"/members.add", map[string]any{"members": []string{"dave@example.com"}}), 200, &list)
	if len(list) != 1 || list[0].Username != "dave" {
		t.Fatalf("members.add answer %+v", list)
	}
	usernames := func() []string {
		t.Helper()
		var ms []accountInfo
		wantJSON(t, s.admin(t, "GET", "/a/groups/qa/members/", nil), 200, &ms)
		var out []string
		for _, m := range ms {
			out = append(out, m.Username)
		}
		return out
	}
	if got := strings.Join(usernames(), ","); got != "admin,carol,dave" {
		t.Fatalf("qa members = %s", got)
	}
	wantNoContent(t, s.admin(t, "POST", "/a/groups/qa/members.delete", map[string]any{"members": []string{"dave"}}))
	// carol is a member of the self-owned qa, so she may manage it; dave may not.
	wantJSON(t, s.call(t, "PUT", "/a/groups/qa/members/dave", "carol", "carol-pw", nil, ""), 201, nil)
	wantNoContent(t, s.call(t, "DELETE", "/a/groups/qa/members/carol", "dave", "dave-pw", nil, ""))
	wantText(t, s.call(t, "PUT", "/a/groups/qa/members/carol", "carol", "carol-pw", nil, ""), 403, "Cannot add members to group qa")
	wantText(t, s.admin(t, "DELETE", "/a/groups/qa/members/carol", nil), 404, "Not found: carol")
	if got := strings.Join(usernames(), ","); got != "admin,dave" {
		t.Fatalf("qa members = %s", got)
	}
	wantText(t, s.admin(t, "PUT", "/a/groups/qa/members/nobody", nil), 404, "Account 'nobody' not found")

	// Membership is read on every request: joining Administrators grants
	// admin powers at once, and leaving takes them away at once.
	adminOnly := func() response {
		return s.call(t, "GET", "/a/accounts/admin/sshkeys", "carol", "carol-pw", nil, "")
	}
	wantText(t, adminOnly(), 403, "not permitted: modify account")
	wantJSON(t, s.admin(t, "PUT", "/a/groups/Administrators/members/carol", nil), 201, nil)
	wantJSON(t, adminOnly(), 200, nil)
	wantNoContent(t, s.admin(t, "DELETE", "/a/groups/Administrators/members/carol", nil))
	wantText(t, adminOnly(), 403, "not permitted: modify account")
}

type projectInfo struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Parent       string            `json:"parent"`
	Description  string            `json:"description"`
	State        string            `json:"state"`
	Branches     map[string]string `json:"branches"`
	Labels       map[string]any    `json:"labels"`
	MoreProjects bool              `json:"_more_projects"`
}

type branchInfo struct {
	Ref       string `json:"ref"`
	Revision  string `json:"revision"`
	CanDelete bool   `json:"can_delete"`
}

// commitAs commits a change to file in dir as name <email>.
func (s *server) commitAs(t testing.TB, dir, name, email, file, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add", "."}, {"commit", "-q", "-m", name + " changes " + file}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(s.gitEnv(""), "GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+email,
			"GIT_COMMITTER_NAME="+name, "GIT_COMMITTER_EMAIL="+email)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

func testProjectsREST(t *testing.T, s *server) {
	s.createUser(t, "erin")
	for _, p := range []struct {
		name  string
		input map[string]any
	}{
		{"rest/one", map[string]any{"description": "First", "create_empty_commit": true}},
		{"rest-two", map[string]any{"description": "Second", "create_empty_commit": true}},
		{"rest-bare", map[string]any{"description": "No branches"}},
	} {
		wantJSON(t, s.admin(t, "PUT", "/a/projects/"+url.PathEscape(p.name), p.input), 201, nil)
	}

	// Listing and its filters.
	list := func(query string) map[string]projectInfo {
		t.Helper()
		var out map[string]projectInfo
		wantJSON(t, s.call(t, "GET", "/projects/?"+query, "", "", nil, ""), 200, &out)
		return out
	}
	keys := func(m map[string]projectInfo) string {
		var names []string
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
		return strings.Join(names, ",")
	}
	all := list("")
	if p := all["rest/one"]; p.ID != "rest%2Fone" || p.State != "ACTIVE" || p.Description != "" {
		t.Fatalf("rest/one in the list = %+v", p)
	}
	if _, ok := all["All-Projects"]; !ok {
		t.Fatalf("list lacks All-Projects: %s", keys(all))
	}
	if p := list("d")["rest/one"]; p.Description != "First" {
		t.Fatalf("with d: %+v", p)
	}
	for _, tc := range []struct{ desc, query, want string }{
		{"prefix", "p=rest", "rest-bare,rest-two,rest/one"},
		{"regex", "r=rest.*e", "rest-bare,rest/one"},
		{"regex is anchored", "r=est.*", ""},
		{"substring, any case", "m=TWO", "rest-two"},
		{"limit", "p=rest&n=2", "rest-bare,rest-two"},
		{"start", "p=rest&n=2&S=2", "rest/one"},
		{"branch", "p=rest&b=main", "rest-two,rest/one"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := keys(list(tc.query)); got != tc.want {
				t.Fatalf("GET /projects/?%s = %s, want %s", tc.query, got, tc.want)
			}
		})
	}
	if got := list("p=rest&n=2"); !got["rest-two"].MoreProjects {
		t.Fatalf("n=2 does not say there are more: %+v", got)
	}
	one := list("p=rest&b=main")["rest/one"]
	if len(one.Branches) != 1 || !hex40.MatchString(one.Branches["main"]) {
		t.Fatalf("b=main branches = %v", one.Branches)
	}

	// One project, its HEAD and branches; "a/b" is addressed as a%2Fb.
	var p projectInfo
	wantJSON(t, s.call(t, "GET", "/projects/rest%2Fone", "", "", nil, ""), 200, &p)
	if p.ID != "rest%2Fone" || p.Name != "rest/one" || p.Parent != "All-Projects" || p.Description != "First" || p.Labels["Code-Review"] == nil {
		t.Fatalf("GET /projects/rest%%2Fone = %+v", p)
	}
	var head string
	wantJSON(t, s.call(t, "GET", "/projects/rest%2Fone/HEAD", "", "", nil, ""), 200, &head)
	if head != "refs/heads/main" {
		t.Fatalf("HEAD = %q", head)
	}
	var branches []branchInfo
	wantJSON(t, s.admin(t, "GET", "/a/projects/rest%2Fone/branches/", nil), 200, &branches)
	if len(branches) != 3 || branches[0].Ref != "HEAD" || branches[0].Revision != "main" ||
		branches[1].Ref != "refs/meta/config" || branches[2].Ref != "refs/heads/main" || !branches[2].CanDelete {
		t.Fatalf("admin's branches = %+v", branches)
	}
	mainRev := branches[2].Revision
	wantJSON(t, s.call(t, "GET", "/projects/rest%2Fone/branches", "", "", nil, ""), 200, &branches)
	if len(branches) != 2 || branches[1].Ref != "refs/heads/main" || branches[1].CanDelete {
		t.Fatalf("anonymous branches = %+v", branches)
	}
	var b branchInfo
	wantJSON(t, s.admin(t, "PUT", "/a/projects/rest%2Fone/branches/feature", map[string]any{}), 201, &b)
	if b.Ref != "refs/heads/feature" || b.Revision != mainRev {
		t.Fatalf("created branch %+v", b)
	}
	wantText(t, s.admin(t, "PUT", "/a/projects/rest%2Fone/branches/feature", map[string]any{}), 409,
		`branch "refs/heads/feature" already exists`)
	wantText(t, s.call(t, "PUT", "/a/projects/rest%2Fone/branches/erins", "erin", "erin-pw", map[string]any{}, ""), 403,
		"not permitted: create on refs/heads/erins")
	wantJSON(t, s.call(t, "GET", "/projects/rest%2Fone/branches/refs%2Fheads%2Ffeature", "", "", nil, ""), 200, &b)
	if b.Revision != mainRev {
		t.Fatalf("GET branch %+v", b)
	}
	wantText(t, s.call(t, "DELETE", "/a/projects/rest%2Fone/branches/feature", "erin", "erin-pw", nil, ""), 403,
		"not permitted: delete on refs/heads/feature")
	wantNoContent(t, s.admin(t, "DELETE", "/a/projects/rest%2Fone/branches/feature", nil))
	wantText(t, s.call(t, "GET", "/projects/rest%2Fone/branches/feature", "", "", nil, ""), 404, "Not found: refs/heads/feature")

	// Access: erin may not push until a grant, which works at once for git.
	var acc struct {
		Revision     string         `json:"revision"`
		InheritsFrom projectInfo    `json:"inherits_from"`
		Local        map[string]any `json:"local"`
		IsOwner      bool           `json:"is_owner"`
	}
	wantJSON(t, s.call(t, "GET", "/projects/rest%2Fone/access", "", "", nil, ""), 200, &acc)
	if acc.InheritsFrom.Name != "All-Projects" || len(acc.Local) != 0 || acc.IsOwner || !hex40.MatchString(acc.Revision) {
		t.Fatalf("access = %+v", acc)
	}
	work := filepath.Join(t.TempDir(), "one")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "rest/one"), work)
	s.commitAs(t, work, "Erin", "erin@example.com", "erin.txt", "hello\n")
	if out, err := s.git(t, work, "", "push", s.httpURL("erin", "erin-pw", "rest/one"), "HEAD:refs/heads/main"); err == nil ||
		!strings.Contains(out, "prohibited by Gerrit") {
		t.Fatalf("erin's push before the grant: err=%v\n%s", err, out)
	}
	wantJSON(t, s.admin(t, "PUT", "/a/groups/pushers", map[string]any{"members": []string{"erin"}}), 201, nil)
	var pushers groupInfo
	wantJSON(t, s.admin(t, "GET", "/a/groups/pushers", nil), 200, &pushers)
	grant := map[string]any{"add": map[string]any{"refs/heads/*": map[string]any{"permissions": map[string]any{
		"push": map[string]any{"rules": map[string]any{pushers.ID: map[string]any{"action": "ALLOW"}}},
	}}}}
	wantText(t, s.call(t, "POST", "/a/projects/rest%2Fone/access", "erin", "erin-pw", grant, ""), 403, "modify access not permitted")
	wantJSON(t, s.admin(t, "POST", "/a/projects/rest%2Fone/access", grant), 200, &acc)
	if acc.Local["refs/heads/*"] == nil || !acc.IsOwner {
		t.Fatalf("access after the grant = %+v", acc)
	}
	s.mustGit(t, work, "", "push", "-q", s.httpURL("erin", "erin-pw", "rest/one"), "HEAD:refs/heads/main")

	// Parent: rest-two inherits the grant once its parent is rest/one.
	two := filepath.Join(t.TempDir(), "two")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "rest-two"), two)
	s.commitAs(t, two, "Erin", "erin@example.com", "erin.txt", "two\n")
	if out, err := s.git(t, two, "", "push", s.httpURL("erin", "erin-pw", "rest-two"), "HEAD:refs/heads/main"); err == nil {
		t.Fatalf("erin pushed to rest-two before it inherited the grant:\n%s", out)
	}
	wantText(t, s.call(t, "PUT", "/a/projects/rest-two/parent", "erin", "erin-pw", map[string]any{"parent": "rest/one"}, ""), 403,
		"not permitted: administrate server")
	var parent string
	wantJSON(t, s.admin(t, "PUT", "/a/projects/rest-two/parent", map[string]any{"parent": "rest/one"}), 200, &parent)
	if parent != "rest/one" {
		t.Fatalf("new parent %q", parent)
	}
	wantJSON(t, s.call(t, "GET", "/projects/rest-two", "", "", nil, ""), 200, &p)
	if p.Parent != "rest/one" {
		t.Fatalf("rest-two's parent = %q", p.Parent)
	}
	s.mustGit(t, two, "", "push", "-q", s.httpURL("erin", "erin-pw", "rest-two"), "HEAD:refs/heads/main")
	wantText(t, s.admin(t, "PUT", "/a/projects/rest%2Fone/parent", map[string]any{"parent": "rest-two"}), 409,
		"cycle exists between rest/one and rest-two")
	wantText(t, s.admin(t, "PUT", "/a/projects/rest%2Fone/parent", map[string]any{"parent": "nope"}), 422,
		"parent project nope not found")
	wantText(t, s.admin(t, "PUT", "/a/projects/All-Projects/parent", map[string]any{"parent": "rest-two"}), 409,
		"cannot set parent of All-Projects")

	// A project nobody but administrators may read does not exist for others.
	wantJSON(t, s.admin(t, "PUT", "/a/projects/rest-secret", map[string]any{"create_empty_commit": true}), 201, nil)
	// A block in the project's own section, with an allow beside it that
	// lets administrators through.
	hide := map[string]any{"add": map[string]any{"refs/*": map[string]any{"permissions": map[string]any{
		"read": map[string]any{"rules": map[string]any{
			"global:Anonymous-Users": map[string]any{"action": "BLOCK"},
			adminsUUID(t, s):         map[string]any{"action": "ALLOW"},
		}},
	}}}}
	wantJSON(t, s.admin(t, "POST", "/a/projects/rest-secret/access", hide), 200, nil)
	wantText(t, s.call(t, "GET", "/projects/rest-secret", "", "", nil, ""), 404, "Not found: rest-secret")
	wantText(t, s.call(t, "GET", "/a/projects/rest-secret/branches/", "erin", "erin-pw", nil, ""), 404, "Not found: rest-secret")
	wantJSON(t, s.admin(t, "GET", "/a/projects/rest-secret", nil), 200, nil)
	if _, ok := list("p=rest-s")["rest-secret"]; ok {
		t.Fatal("anonymous listing shows rest-secret")
	}
	if out, err := s.git(t, "", "", "ls-remote", s.httpURL("", "", "rest-secret")); err == nil {
		t.Fatalf("anonymous ls-remote of rest-secret succeeded:\n%s", out)
	}
}

// adminsUUID returns the Administrators group's UUID.
func adminsUUID(t testing.TB, s *server) string {
	t.Helper()
	var g groupInfo
	wantJSON(t, s.admin(t, "GET", "/a/groups/Administrators", nil), 200, &g)
	return g.ID
}

func testServerREST(t *testing.T, s *server) {
	var version string
	wantJSON(t, s.call(t, "GET", "/config/server/version", "", "", nil, ""), 200, &version)
	if !regexp.MustCompile(`^3\.\d+\.\d+$`).MatchString(version) {
		t.Fatalf("version %q", version)
	}
	var verbose map[string]any
	wantJSON(t, s.call(t, "GET", "/config/server/version?verbose", "", "", nil, ""), 200, &verbose)
	if verbose["gerrit_version"] != version {
		t.Fatalf("verbose version = %v", verbose)
	}

	var info struct {
		Auth struct {
			AuthType string `json:"auth_type"`
		} `json:"auth"`
		Download struct {
			Schemes map[string]struct {
				URL            string `json:"url"`
				IsAuthRequired bool   `json:"is_auth_required"`
			} `json:"schemes"`
		} `json:"download"`
		Gerrit struct {
			AllProjects string `json:"all_projects"`
			AllUsers    string `json:"all_users"`
		} `json:"gerrit"`
		SSHD *struct{} `json:"sshd"`
	}
	wantJSON(t, s.call(t, "GET", "/config/server/info", "", "", nil, ""), 200, &info)
	sch := info.Download.Schemes
	if info.Auth.AuthType != "HTTP_PASSWORD" || info.Gerrit.AllProjects != "All-Projects" || info.Gerrit.AllUsers != "All-Users" ||
		info.SSHD == nil || sch["http"].URL != strings.Replace(s.web, "http://", "http://${username}@", 1)+"a/${project}" ||
		!sch["http"].IsAuthRequired || sch["anonymous http"].URL != s.web+"${project}" ||
		sch["ssh"].URL != "ssh://${username}@127.0.0.1:"+s.sshPort+"/${project}" {
		t.Fatalf("server info = %+v", info)
	}

	var health map[string]any
	wantJSON(t, s.call(t, "GET", "/config/server/healthcheck~status", "", "", nil, ""), 200, &health)
	if len(health) == 0 {
		t.Fatalf("health = %v", health)
	}

	// Metrics count requests by route and status, and git operations.
	s.call(t, "GET", "/projects/no-such-project", "", "", nil, "")
	s.mustGit(t, "", "", "ls-remote", s.httpURL("", "", "All-Projects"))
	resp, err := http.Get(s.web + "metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, re := range []string{
		`(?m)^# TYPE tandem_http_requests_total counter$`,
		`(?m)^tandem_http_requests_total\{route="projects",status="404"\} [1-9]`,
		`(?m)^tandem_http_requests_total\{route="config",status="200"\} [1-9]`,
		`(?m)^tandem_http_requests_total\{route="git",status="200"\} [1-9]`,
		`(?m)^tandem_http_request_seconds_count\{route="projects"\} [1-9]`,
		`(?m)^tandem_git_operations_total\{transport="http",service="upload-pack[^"]*",result="ok"\} [1-9]`,
	} {
		if !regexp.MustCompile(re).Match(body) {
			t.Errorf("metrics lack %s:\n%s", re, body)
		}
	}
}

func testBadInputREST(t *testing.T, s *server) {
	gone := func(user string) {
		t.Helper()
		wantText(t, s.call(t, "GET", "/accounts/"+user, "", "", nil, ""), 404, "Account '"+user+"' not found")
	}
	// Malformed JSON and a wrong Content-Type are refused and write nothing.
	wantText(t, s.call(t, "PUT", "/a/accounts/mal", "admin", adminPassword, `{"name": "Mal",`, "application/json"), 400,
		"Invalid application/json in request")
	gone("mal")
	wantText(t, s.call(t, "PUT", "/a/accounts/mal", "admin", adminPassword, `{"name": 7}`, "application/json"), 400,
		"Invalid application/json in request")
	gone("mal")
	for _, ct := range []string{"application/xml", "application/x-www-form-urlencoded"} {
		wantText(t, s.call(t, "PUT", "/a/accounts/mal", "admin", adminPassword, `{"name": "Mal"}`, ct), 400,
			"Expected Content-Type: application/json")
		gone("mal")
	}
	// Plain text is the username, as in Gerrit, so it must match the URL.
	wantText(t, s.call(t, "PUT", "/a/accounts/mal", "admin", adminPassword, `{"name": "Mal"}`, "text/plain"), 400,
		"username must match URL")
	gone("mal")
	// JSON without any Content-Type (Debian's pygerrit2) is accepted, and
	// so is a charset parameter.
	var a accountInfo
	wantJSON(t, s.call(t, "PUT", "/a/accounts/noct", "admin", adminPassword, `{"name": "No CT"}`, ""), 201, &a)
	if a.Name != "No CT" {
		t.Fatalf("account from JSON without Content-Type: %+v", a)
	}
	wantJSON(t, s.call(t, "PUT", "/a/accounts/charset", "admin", adminPassword, `{"name": "Charset"}`, "application/json;charset=UTF-8"), 201, &a)
	if a.Name != "Charset" {
		t.Fatalf("account from JSON with charset: %+v", a)
	}
	// An empty body without Content-Type means the default input.
	wantJSON(t, s.call(t, "PUT", "/a/accounts/empty", "admin", adminPassword, nil, ""), 201, nil)

	// An oversized body is refused.
	big := append([]byte(`{"name": "`), bytes.Repeat([]byte("x"), restapi.MaxBody)...)
	big = append(big, `"}`...)
	req, err := http.NewRequest("PUT", s.web+"a/accounts/big", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", adminPassword)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantText(t, response{status: resp.StatusCode, header: resp.Header, body: string(body)}, 400, "request body too large")
	} // else the server closed the connection before the body was sent, which is also a refusal
	gone("big")

	// Unknown ids.
	for _, tc := range []struct{ path, msg string }{
		{"/projects/nope", "Not found: nope"},
		{"/projects/a%2Fnope/branches/", "Not found: a/nope"},
		{"/projects/All-Projects/branches/nope", "Not found: refs/heads/nope"},
		{"/projects/All-Projects/nope", "Not found: /projects/All-Projects/nope"},
		{"/a/groups/nope/members/", "Not found: nope"},
		{"/a/accounts/self/sshkeys/99", "Not found: 99"},
		{"/nope/", "Not found: /nope/"},
	} {
		wantText(t, s.admin(t, "GET", tc.path, nil), 404, tc.msg)
	}
	wantText(t, s.call(t, "POST", "/a/config/server/version", "admin", adminPassword, nil, ""), 405, "Method Not Allowed")
	if r := s.call(t, "HEAD", "/projects/All-Projects", "", "", nil, ""); r.status != 200 || r.body != "" {
		t.Fatalf("HEAD: status %d body %q", r.status, r.body)
	}

	// Pretty JSON by default; compact with Accept: application/json.
	r := s.call(t, "GET", "/accounts/noct", "", "", nil, "")
	if !strings.HasPrefix(r.body, ")]}'\n{\n  \"") {
		t.Fatalf("default answer is not pretty: %q", r.body)
	}
	req, _ = http.NewRequest("GET", s.web+"accounts/noct", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), ")]}'\n{\"_account_id\":") || strings.Count(string(body), "\n") != 2 {
		t.Fatalf("compact answer %q", body)
	}
	var compact accountInfo
	if err := json.Unmarshal(body[5:], &compact); err != nil || compact.Name != "No CT" {
		t.Fatalf("compact answer %q: %v", body, err)
	}
}

// TestAccountQuery finds accounts by email, username, name and bare word
// with GET /accounts/?q=, as reviewer pickers do.
func TestAccountQuery(t *testing.T) {
	s := startServer(t, "sqlite")
	s.createUser(t, "alice")
	s.createUser(t, "bob")
	for q, want := range map[string]string{
		"email:alice@example.com": "alice",
		"username:bob":            "bob",
		"name:Alice":              "alice",
		"bob@example":             "bob",
	} {
		var got []restapi.AccountInfo
		wantJSON(t, s.call(t, "GET", "/a/accounts/?o=DETAILS&q="+url.QueryEscape(q), "alice", "alice-pw", nil, ""), 200, &got)
		if len(got) != 1 || got[0].Username != want {
			t.Errorf("q=%s: %+v, want %s", q, got, want)
		}
	}
}

// TestServerCaches lists and flushes caches over REST as an administrator,
// with Gerrit's errors for bad operations and unknown caches, and refuses
// both to a user without the capabilities.
func TestServerCaches(t *testing.T) {
	s := startServer(t, "sqlite")
	s.createUser(t, "alice")
	// alice's request fills the password memo.
	expect(t, s.call(t, "GET", "/a/accounts/self", "alice", "alice-pw", nil, ""), 200, "alice signs in")
	var caches map[string]struct {
		Type     string         `json:"type"`
		Entries  map[string]int `json:"entries"`
		HitRatio map[string]int `json:"hit_ratio"`
	}
	wantJSON(t, s.admin(t, "GET", "/a/config/server/caches/", nil), 200, &caches)
	if c := caches["http_passwords"]; len(caches) != 3 || c.Type != "MEM" || c.Entries["mem"] < 2 || caches["projects"].Entries["mem"] == 0 {
		t.Fatalf("caches %+v", caches)
	}
	var names []string
	wantJSON(t, s.admin(t, "GET", "/a/config/server/caches/?format=LIST", nil), 200, &names)
	if strings.Join(names, ",") != "http_passwords,project_access,projects" {
		t.Fatalf("cache names %v", names)
	}
	r := s.admin(t, "GET", "/a/config/server/caches/?format=TEXT_LIST", nil)
	if text, err := base64.StdEncoding.DecodeString(r.body); r.status != 200 || err != nil || string(text) != "http_passwords\nproject_access\nprojects" {
		t.Fatalf("TEXT_LIST: %d %q", r.status, r.body)
	}
	var one map[string]any
	wantJSON(t, s.admin(t, "GET", "/a/config/server/caches/projects", nil), 200, &one)
	if one["name"] != "projects" || one["type"] != "MEM" {
		t.Fatalf("projects cache %v", one)
	}
	wantText(t, s.admin(t, "GET", "/a/config/server/caches/nope", nil), 404, "Not found: nope")

	wantText(t, s.admin(t, "POST", "/a/config/server/caches/", map[string]any{"operation": "FLUSH", "caches": []string{"projects", "nope"}}), 422, "cache nope not found")
	wantText(t, s.admin(t, "POST", "/a/config/server/caches/", map[string]any{"operation": "FLUSH"}), 400, "caches must be specified for operation 'FLUSH'")
	wantText(t, s.admin(t, "POST", "/a/config/server/caches/", map[string]any{"operation": "EMPTY"}), 400, "unsupported operation: EMPTY")
	expect(t, s.admin(t, "POST", "/a/config/server/caches/", map[string]any{"operation": "FLUSH", "caches": []string{"http_passwords"}}), 200, "flush http_passwords")
	wantJSON(t, s.admin(t, "GET", "/a/config/server/caches/", nil), 200, &caches)
	// The administrator's own request is the one entry left.
	if n := caches["http_passwords"].Entries["mem"]; n != 1 {
		t.Fatalf("http_passwords after the flush holds %d", n)
	}
	expect(t, s.admin(t, "POST", "/a/config/server/caches/project_access/flush", nil), 200, "flush project_access")
	expect(t, s.admin(t, "POST", "/a/config/server/caches/", map[string]any{"operation": "FLUSH_ALL"}), 200, "flush all")

	wantText(t, s.call(t, "GET", "/a/config/server/caches/", "alice", "alice-pw", nil, ""), 403, "not permitted: view caches")
	wantText(t, s.call(t, "POST", "/a/config/server/caches/projects/flush", "alice", "alice-pw", nil, ""), 403, "not permitted: flush caches")
	wantText(t, s.call(t, "GET", "/config/server/caches/", "", "", nil, ""), 403, "Authentication required")
}

// TestServerCapabilitiesAndPlugins: the capability names admin tools show,
// and the (empty) plugin list for those who may see it.
func TestServerCapabilitiesAndPlugins(t *testing.T) {
	s := startServer(t, "sqlite")
	s.createUser(t, "alice")
	var caps map[string]struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	wantJSON(t, s.call(t, "GET", "/a/config/server/capabilities", "alice", "alice-pw", nil, ""), 200, &caps)
	for id, name := range map[string]string{"createProject": "Create Project", "runGC": "Run Garbage Collection",
		"viewSecondaryEmails": "View Secondary Emails", "administrateServer": "Administrate Server"} {
		if caps[id].ID != id || caps[id].Name != name {
			t.Errorf("capability %s = %+v, want name %q", id, caps[id], name)
		}
	}
	if len(caps) < 20 {
		t.Errorf("only %d capabilities", len(caps))
	}
	var plugins map[string]any
	wantJSON(t, s.admin(t, "GET", "/a/plugins/", nil), 200, &plugins)
	if len(plugins) != 0 {
		t.Errorf("plugins %v", plugins)
	}
	for _, c := range []struct {
		user, path string
		status     int
		body       string
	}{
		{"alice", "/a/plugins/", 403, "not permitted: view plugin list"},
		{"", "/plugins/", 403, "Authentication required"},
		{"admin", "/a/plugins/replication/gerrit~status", 404, "Not found: replication"},
	} {
		pw := c.user + "-pw"
		if c.user == "admin" {
			pw = adminPassword
		}
		r := s.call(t, "GET", c.path, c.user, pw, nil, "")
		if r.status != c.status || !strings.Contains(r.body, c.body) {
			t.Errorf("%s as %q: %d %q, want %d %q", c.path, c.user, r.status, r.body, c.status, c.body)
		}
	}
}

// TestCreateOnly sends If-None-Match: * with PUTs that create: what
// exists answers 412, what does not is created.
func TestCreateOnly(t *testing.T) {
	s := startServer(t, "sqlite")
	put := func(path string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("PUT", strings.TrimSuffix(s.web, "/")+path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("admin", adminPassword)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("If-None-Match", "*")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	expect(t, s.admin(t, "PUT", "/a/projects/only", map[string]any{"create_empty_commit": true}), 201, "create project only")
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/a/projects/fresh", 201},
		{"/a/projects/fresh", 412},
		{"/a/projects/only", 412},
		{"/a/projects/only/branches/side", 201},
		{"/a/projects/only/branches/side", 412},
		{"/a/groups/only-group", 201},
		{"/a/groups/only-group", 412},
		{"/a/accounts/only-user", 201},
		{"/a/accounts/only-user", 412},
	} {
		if status, body := put(c.path); status != c.status {
			t.Errorf("PUT %s with If-None-Match: *: %d %q, want %d", c.path, status, body, c.status)
		}
	}
	// Without the header an existing project is a conflict, as before.
	if r := s.admin(t, "PUT", "/a/projects/only", map[string]any{}); r.status != 409 {
		t.Errorf("PUT of an existing project: %d %q", r.status, r.body)
	}
}

// TestRESTSmallEndpoints covers /access/, /config/server/top-menus,
// robotcomments and statistics.git.
func TestRESTSmallEndpoints(t *testing.T) {
	s := startServer(t, "sqlite")
	s.createUser(t, "alice")
	for _, p := range []string{"sm-one", "sm-two"} {
		expect(t, s.admin(t, "PUT", "/a/projects/"+p, map[string]any{"create_empty_commit": true}), 201, "create "+p)
	}
	var access map[string]struct {
		Revision string `json:"revision"`
		IsOwner  bool   `json:"is_owner"`
	}
	wantJSON(t, s.admin(t, "GET", "/a/access/?project=sm-one&project=sm-two", nil), 200, &access)
	if len(access) != 2 || access["sm-one"].Revision == "" || !access["sm-two"].IsOwner {
		t.Fatalf("access: %+v", access)
	}
	if r := s.admin(t, "GET", "/a/access/?project=sm-none", nil); r.status != 404 {
		t.Errorf("access of an unknown project: %d %q", r.status, r.body)
	}
	access = nil
	wantJSON(t, s.call(t, "GET", "/access/?project=sm-one", "", "", nil, ""), 200, &access)
	if len(access) != 1 || access["sm-one"].IsOwner {
		t.Errorf("anonymous access: %+v", access)
	}

	var menus []any
	wantJSON(t, s.call(t, "GET", "/config/server/top-menus", "", "", nil, ""), 200, &menus)
	if len(menus) != 0 {
		t.Errorf("top menus: %v", menus)
	}

	n := pushChange(t, s, "sm-one", "a.txt", "Robots welcome", 951)
	for _, path := range []string{"/a/changes/" + n + "/robotcomments", "/a/changes/" + n + "/revisions/current/robotcomments"} {
		var got map[string]any
		wantJSON(t, s.admin(t, "GET", path, nil), 200, &got)
		if len(got) != 0 {
			t.Errorf("%s: %v", path, got)
		}
	}
	if r := s.admin(t, "GET", "/a/changes/"+n+"/revisions/current/robotcomments/x", nil); r.status != 404 {
		t.Errorf("one robot comment: %d", r.status)
	}

	var stats map[string]int64
	wantJSON(t, s.admin(t, "GET", "/a/projects/sm-one/statistics.git", nil), 200, &stats)
	if stats["number_of_loose_objects"]+stats["number_of_packed_objects"] < 3 || stats["number_of_loose_refs"]+stats["number_of_packed_refs"] < 3 {
		t.Errorf("statistics: %v", stats)
	}
	if r := s.call(t, "GET", "/a/projects/sm-one/statistics.git", "alice", "alice-pw", nil, ""); r.status != 403 {
		t.Errorf("alice reads statistics: %d %q", r.status, r.body)
	}
}

// TestRESTRequestBodies sends request bodies in each form Gerrit reads,
// as curl scripts written for Gerrit do: a form, plain text, a bare JSON
// string and lenient JSON; anything else is refused and changes nothing.
func TestRESTRequestBodies(t *testing.T) {
	s := startServer(t, "sqlite")
	s.createUser(t, "alice")
	s.createUser(t, "bob")
	expect(t, s.admin(t, "PUT", "/a/projects/bodies", map[string]any{"create_empty_commit": true}), 201, "create project")
	n := pushChange(t, s, "bodies", "a.txt", "Bodies of all kinds", 961)
	as := func(method, path, body, contentType string) response {
		t.Helper()
		return s.call(t, method, "/a/changes/"+n+path, "admin", adminPassword, body, contentType)
	}
	expect(t, as("POST", "/revisions/current/review", "message=Form+reply&labels.Code-Review=%2B1",
		"application/x-www-form-urlencoded"), 200, "review as a form")
	var topic string
	wantJSON(t, as("PUT", "/topic", "from-text\n", "text/plain"), 200, &topic)
	if topic != "from-text" {
		t.Fatalf("topic from text: %q", topic)
	}
	expect(t, as("POST", "/reviewers", `"bob"`, "application/json"), 200, "add a reviewer by a JSON string")
	expect(t, as("POST", "/hashtags", "{add: ['lenient', \"json\"]} // why not", "application/json"), 200, "hashtags in lenient JSON")
	wantText(t, as("POST", "/revisions/current/review", "<review/>", "application/xml"), 400, "Expected Content-Type: application/json")
	wantText(t, as("POST", "/revisions/current/review", "{labels: {Code-Review: 'maybe'}}", "application/json"), 400,
		"Invalid application/json in request")

	var info struct {
		Topic    string   `json:"topic"`
		Hashtags []string `json:"hashtags"`
		Labels   map[string]struct {
			All []struct {
				Value int `json:"value"`
			} `json:"all"`
		} `json:"labels"`
		Reviewers map[string][]accountInfo `json:"reviewers"`
		Messages  []struct {
			Message string `json:"message"`
		} `json:"messages"`
	}
	wantJSON(t, s.admin(t, "GET", "/a/changes/"+n+"/detail", nil), 200, &info)
	var votes, messages []string
	for _, v := range info.Labels["Code-Review"].All {
		votes = append(votes, fmt.Sprint(v.Value))
	}
	for _, m := range info.Messages {
		messages = append(messages, m.Message)
	}
	reviewers := fmt.Sprint(info.Reviewers["REVIEWER"])
	if info.Topic != "from-text" || fmt.Sprint(info.Hashtags) != "[json lenient]" || !slices.Contains(votes, "1") ||
		!strings.Contains(reviewers, "bob") || !strings.Contains(strings.Join(messages, "|"), "Form reply") {
		t.Fatalf("change after the requests: %+v", info)
	}
}
