package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestAccountAdministration manages accounts over SSH (gerrit
// set-account) and REST (active, name, emails) and checks the effect on
// signing in.
func TestAccountAdministration(t *testing.T) {
	s := startServer(t, "sqlite")
	aliceKey := s.createUser(t, "alice")
	bobKey := s.createUser(t, "bob")
	admin := func(args ...string) (string, string, int) {
		t.Helper()
		return s.ssh(t, "admin", s.adminKey, "", append([]string{"gerrit", "set-account"}, args...)...)
	}
	type info struct {
		Name     string `json:"name"`
		Email    string `json:"email"`
		Inactive bool   `json:"inactive"`
	}
	get := func(user string) info {
		t.Helper()
		var i info
		s.admin(t, "GET", "/a/accounts/"+user, nil).json(t, &i)
		return i
	}

	// Name and addresses.
	if _, stderr, code := admin("--full-name", "'Alice Liddell'", "--add-email", "alice@wonder.example", "--preferred-email", "al@wonder.example", "alice"); code != 0 {
		t.Fatalf("set-account: %d %q", code, stderr)
	}
	if i := get("alice"); i.Name != "Alice Liddell" || i.Email != "al@wonder.example" {
		t.Fatalf("alice after set-account: %+v", i)
	}
	var emails []struct {
		Email string `json:"email"`
	}
	s.call(t, "GET", "/a/accounts/self/emails", "alice", "alice-pw", nil, "").json(t, &emails)
	if len(emails) != 3 {
		t.Fatalf("alice's addresses: %+v", emails)
	}
	if _, _, code := admin("--delete-email", "al@wonder.example", "alice"); code != 0 || get("alice").Email != "" {
		t.Fatalf("deleting the preferred address: %d %+v", code, get("alice"))
	}
	expect(t, s.call(t, "DELETE", "/a/accounts/self/emails/alice@wonder.example", "alice", "alice-pw", nil, ""), 204, "alice deletes an address")
	expect(t, s.call(t, "PUT", "/a/accounts/alice/emails/alice@example.com/preferred", "alice", "alice-pw", nil, ""), 200, "preferred")
	if i := get("alice"); i.Email != "alice@example.com" {
		t.Fatalf("alice's preferred address: %+v", i)
	}
	if _, stderr, code := admin("--add-email", "bob@example.com", "alice"); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("taking bob's address: %d %q", code, stderr)
	}
	if r := s.call(t, "PUT", "/a/accounts/self/emails/new@example.com", "alice", "alice-pw", map[string]any{}, ""); r.status != 403 {
		t.Fatalf("alice adds an unconfirmed address: %d %q", r.status, r.body)
	}
	expect(t, s.call(t, "PUT", "/a/accounts/self/name", "alice", "alice-pw", map[string]any{"name": "Alice"}, ""), 200, "alice renames herself")

	// SSH keys: alice adds one from standard input and deletes her first.
	dir := t.TempDir()
	second := sshKey(t, dir, "second")
	pub, err := os.ReadFile(second + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(aliceKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := s.ssh(t, "alice", aliceKey, string(pub), "gerrit", "set-account", "--add-ssh-key", "-", "--delete-ssh-key", "'"+strings.TrimSpace(string(first))+"'", "alice"); code != 0 {
		t.Fatalf("alice swaps keys: %d %q", code, stderr)
	}
	if _, _, code := s.ssh(t, "alice", second, "", "gerrit", "version"); code != 0 {
		t.Fatal("alice's new key does not sign in")
	}
	if _, _, code := s.ssh(t, "alice", aliceKey, "", "gerrit", "version"); code == 0 {
		t.Fatal("alice's deleted key still signs in")
	}
	if _, stderr, code := s.ssh(t, "alice", second, "", "gerrit", "set-account", "--delete-ssh-key", "nope", "alice"); code != 1 || stderr != "fatal: SSH key nope not found\n" {
		t.Fatalf("deleting an unknown key: %d %q", code, stderr)
	}

	// Others' accounts and activity are for administrators.
	for _, args := range [][]string{{"--full-name", "Bobby", "bob"}, {"--inactive", "alice"}} {
		if _, stderr, code := s.ssh(t, "alice", second, "", append([]string{"gerrit", "set-account"}, args...)...); code != 1 || stderr != "fatal: not permitted: modify account\n" {
			t.Errorf("alice runs set-account %v: %d %q", args, code, stderr)
		}
	}
	if _, stderr, code := admin("--inactive", "admin"); code != 1 || stderr != "fatal: unable to deactivate own account\n" {
		t.Errorf("admin deactivates himself: %d %q", code, stderr)
	}
	if _, stderr, code := admin("--active", "--inactive", "bob"); code != 1 || !strings.Contains(stderr, "mutually exclusive") {
		t.Errorf("--active --inactive: %d %q", code, stderr)
	}

	// Deactivating shuts every door; activating opens them again.
	if _, stderr, code := admin("--inactive", "bob"); code != 0 {
		t.Fatalf("deactivate bob: %d %q", code, stderr)
	}
	if r := s.call(t, "GET", "/a/accounts/self", "bob", "bob-pw", nil, ""); r.status != 401 {
		t.Errorf("inactive bob over REST: %d", r.status)
	}
	if _, _, code := s.ssh(t, "bob", bobKey, "", "gerrit", "version"); code == 0 {
		t.Error("inactive bob over SSH")
	}
	if r := s.admin(t, "GET", "/a/accounts/bob/active", nil); r.status != 204 {
		t.Errorf("GET active of inactive bob: %d", r.status)
	}
	if r := s.admin(t, "DELETE", "/a/accounts/bob/active", nil); r.status != 409 || !strings.Contains(r.body, "account not active") {
		t.Errorf("deactivating bob twice: %d %q", r.status, r.body)
	}
	expect(t, s.admin(t, "PUT", "/a/accounts/bob/active", nil), 201, "activate bob")
	expect(t, s.admin(t, "PUT", "/a/accounts/bob/active", nil), 200, "activate bob again")
	expect(t, s.call(t, "GET", "/a/accounts/self", "bob", "bob-pw", nil, ""), 200, "active bob over REST")
	if r := s.admin(t, "DELETE", "/a/accounts/self/active", nil); r.status != 409 {
		t.Errorf("admin deactivates himself over REST: %d %q", r.status, r.body)
	}

	// A generated HTTP password works at once; a cleared one not at all.
	out, stderr, code := admin("--generate-http-password", "bob")
	pw, ok := strings.CutPrefix(strings.TrimSpace(out), "New password: ")
	if code != 0 || !ok || pw == "" {
		t.Fatalf("generate: %d %q %q", code, out, stderr)
	}
	expect(t, s.call(t, "GET", "/a/accounts/self", "bob", pw, nil, ""), 200, "bob's generated password")
	if _, _, code := admin("--clear-http-password", "bob"); code != 0 {
		t.Fatal("clear password")
	}
	if r := s.call(t, "GET", "/a/accounts/self", "bob", pw, nil, ""); r.status != 401 {
		t.Errorf("bob's cleared password: %d", r.status)
	}
}
