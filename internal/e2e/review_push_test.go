package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"tandem/internal/httpd/restapi"
)

func changeID(n int) string { return fmt.Sprintf("I%040x", n) }

// TestPushForReview: git push HEAD:refs/for/main creates changes, prints
// their URLs the Gerrit 3.x way, adds patch sets, and refuses what Gerrit
// refuses.
func TestPushForReview(t *testing.T) {
	for _, dbType := range []string{"sqlite", "postgresql"} {
		t.Run(dbType, func(t *testing.T) { testPushForReview(t, startServer(t, dbType)) })
	}
}

func testPushForReview(t *testing.T, s *server) {
	expect(t, s.admin(t, "PUT", "/a/projects/rev", map[string]any{"create_empty_commit": true}), 201, "create project")
	aliceKey := s.createUser(t, "alice")
	dir := filepath.Join(t.TempDir(), "rev")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "rev"), dir)
	s.mustGit(t, dir, "", "config", "user.email", "alice@example.com")

	// A new change over HTTP.
	sha := withChangeIDAs(t, s, dir, "a.txt", "a\n", "Add a", changeID(1))
	out := s.mustGit(t, dir, "", "push", s.httpURL("alice", "alice-pw", "rev"), "HEAD:refs/for/main")
	urlRE := regexp.MustCompile(`remote:   ` + regexp.QuoteMeta(s.web) + `c/rev/\+/(\d+) Add a \[NEW\]`)
	m := urlRE.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "Processing changes: refs: 1, new: 1, done") || !strings.Contains(out, "remote: SUCCESS") {
		t.Fatalf("push output:\n%s", out)
	}
	if !strings.Contains(out, "[new reference]") {
		t.Fatalf("git did not report the magic ref as created:\n%s", out)
	}
	n := m[1]
	ls := s.mustGit(t, "", "", "ls-remote", s.httpURL("admin", adminPassword, "a/rev"), "refs/changes/*")
	if !strings.Contains(ls, sha+"\trefs/changes/0"+n+"/"+n+"/1") {
		t.Fatalf("patch set ref missing:\n%s", ls)
	}

	// Anyone who can read the branch can fetch its changes' patch sets.
	anonLs := s.mustGit(t, "", "", "ls-remote", s.httpURL("", "", "rev"), "refs/changes/*")
	if !strings.Contains(anonLs, "refs/changes/0"+n+"/"+n+"/1") {
		t.Fatalf("anonymous ls-remote does not advertise the patch set:\n%s", anonLs)
	}
	s.mustGit(t, dir, "", "fetch", "-q", s.httpURL("", "", "rev"), "refs/changes/0"+n+"/"+n+"/1")

	// Pushing the same commit again: no new changes.
	out, err := s.git(t, dir, "", "push", s.httpURL("alice", "alice-pw", "rev"), "HEAD:refs/for/main")
	if err == nil || !strings.Contains(out, "no new changes") {
		t.Fatalf("re-push: err=%v\n%s", err, out)
	}

	// An amended commit over SSH becomes patch set 2 with the topic.
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.mustGit(t, dir, "", "add", ".")
	amendAs(t, s, dir)
	out = s.mustGit(t, dir, aliceKey, "push", s.sshURL("alice", "rev"), "HEAD:refs/for/main%topic=feature")
	if !strings.Contains(out, "Processing changes: refs: 1, updated: 1, done") || !strings.Contains(out, "c/rev/+/"+n+" Add a") || strings.Contains(out, "[NEW]") {
		t.Fatalf("patch set push output:\n%s", out)
	}
	ls = s.mustGit(t, "", "", "ls-remote", s.httpURL("admin", adminPassword, "a/rev"), "refs/changes/*")
	if !strings.Contains(ls, "refs/changes/0"+n+"/"+n+"/2") {
		t.Fatalf("patch set 2 ref missing:\n%s", ls)
	}

	// Two commits in one push become a series of two changes.
	withChangeIDAs(t, s, dir, "b.txt", "b\n", "Add b", changeID(2))
	withChangeIDAs(t, s, dir, "c.txt", "c\n", "Add c", changeID(3))
	out = s.mustGit(t, dir, "", "push", "-o", "wip", s.httpURL("alice", "alice-pw", "rev"), "HEAD:refs/for/main")
	if !strings.Contains(out, "new: 2") || !strings.Contains(out, "Add b [NEW] [WIP]") || !strings.Contains(out, "Add c [NEW] [WIP]") {
		t.Fatalf("series push output:\n%s", out)
	}

	// Rejections with Gerrit's texts.
	cases := []struct {
		desc, ref, want string
		prepare         func()
	}{
		{"missing Change-Id", "HEAD:refs/for/main", "missing Change-Id in message footer", func() { aliceCommit(t, s, dir, "d.txt", "d\n") }},
		{"missing branch", "HEAD:refs/for/nope", "branch nope not found", func() { withChangeIDAs(t, s, dir, "e.txt", "e\n", "Add e", changeID(5)) }},
		{"bad option", "HEAD:refs/for/main%frobnicate", `"--frobnicate" is not a valid option`, nil},
		{"wip and ready", "HEAD:refs/for/main%wip,ready", "the options 'wip' and 'ready' are mutually exclusive", nil},
		{"edit and submit", "HEAD:refs/for/main%edit,submit", "the option 'edit' cannot be combined with 'submit' or 'base'", nil},
		{"bad Change-Id", "HEAD:refs/for/main", "invalid Change-Id line format in message footer", func() {
			s.mustGit(t, dir, "", "reset", "-q", "--hard", "HEAD~2") // drop the commits of the cases above
			withChangeIDAs(t, s, dir, "f.txt", "f\n", "Add f", "I0000000000000000000000000000000000000000")
		}},
		// Everyone may forge the author by default, nobody the committer.
		{"someone else's committer email", "HEAD:refs/for/main", "invalid committer", func() {
			s.mustGit(t, dir, "", "reset", "-q", "--hard", "HEAD~1")
			s.mustGit(t, dir, "", "commit", "-q", "--allow-empty", "-m", "Forge\n\nChange-Id: "+changeID(7)) // as admin@example.com
		}},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			if tc.prepare != nil {
				tc.prepare()
			}
			out, err := s.git(t, dir, "", "push", s.httpURL("alice", "alice-pw", "rev"), tc.ref)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Fatalf("push %s: err=%v\n%s", tc.ref, err, out)
			}
		})
	}
}

// withChangeIDAs commits as alice with a Change-Id footer.
func withChangeIDAs(t testing.TB, s *server, dir, file, content, subject, id string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	gitAs(t, s, dir, "alice", "add", ".")
	gitAs(t, s, dir, "alice", "commit", "-q", "-m", subject+"\n\nSome body.\n\nChange-Id: "+id)
	return strings.TrimSpace(s.mustGit(t, dir, "", "rev-parse", "HEAD"))
}

func amendAs(t testing.TB, s *server, dir string) {
	t.Helper()
	gitAs(t, s, dir, "alice", "commit", "-q", "--amend", "--no-edit")
}

// gitAs runs git with user's identity (user@example.com).
func gitAs(t testing.TB, s *server, dir, user string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = s.gitEnv("")
	name := strings.ToUpper(user[:1]) + user[1:]
	cmd.Env = append(cmd.Env, "GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+user+"@example.com",
		"GIT_COMMITTER_NAME="+name, "GIT_COMMITTER_EMAIL="+user+"@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestPushClosesAndSubmits: a direct push of a change's commit closes the
// change as merged; %submit (with a vote) submits at once.
func TestPushClosesAndSubmits(t *testing.T) {
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/cl", map[string]any{"create_empty_commit": true}), 201, "create project")
	dir := filepath.Join(t.TempDir(), "cl")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "cl"), dir)
	admin := s.httpURL("admin", adminPassword, "cl")
	status := func(n string) string {
		r := s.admin(t, "GET", "/a/changes/"+n, nil)
		expect(t, r, 200, "get change")
		var ci map[string]any
		r.json(t, &ci)
		return ci["status"].(string)
	}

	commitWithID(t, s, dir, "a.txt", "Add a", changeID(900))
	out := s.mustGit(t, dir, "", "push", admin, "HEAD:refs/for/main")
	n := pushedChange(t, "cl", out)
	s.mustGit(t, dir, "", "push", "-q", admin, "HEAD:refs/heads/main")
	if got := status(n); got != "MERGED" {
		t.Fatalf("after a direct push the change is %s, want MERGED", got)
	}

	// Submitting on push takes submit on refs/for/refs/heads/main, which
	// nobody holds by default; a refused push creates no change.
	tip := commitWithID(t, s, dir, "b.txt", "Add b", changeID(901))
	out, err := s.git(t, dir, "", "push", admin, "HEAD:refs/for/main%submit,l=Code-Review+2")
	if err == nil || !strings.Contains(out, "(update by submit not permitted for refs/heads/main)") {
		t.Fatalf("%%submit without the right: %v\n%s", err, out)
	}
	var found []map[string]any
	wantJSON(t, s.admin(t, "GET", "/a/changes/?q=change:"+changeID(901), nil), 200, &found)
	if len(found) != 0 {
		t.Fatalf("a refused %%submit left changes %v", found)
	}
	s.appendProjectConfig(t, "All-Projects", "[access \"refs/for/refs/heads/*\"]\n\tsubmit = group Administrators\n")
	out = s.mustGit(t, dir, "", "push", admin, "HEAD:refs/for/main%submit,l=Code-Review+2")
	m := regexp.MustCompile(`c/cl/\+/(\d+) Add b \[NEW\] \[MERGED\]`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("%%submit push output:\n%s", out)
	}
	if got := status(m[1]); got != "MERGED" {
		t.Fatalf("after %%submit the change is %s", got)
	}
	ls := s.mustGit(t, "", "", "ls-remote", admin, "refs/heads/main")
	if !strings.HasPrefix(ls, tip) {
		t.Fatalf("main is %s, want %s", ls, tip)
	}
}

// commitWithID commits file as the administrator with a Change-Id footer.
func commitWithID(t testing.TB, s *server, dir, file, subject, id string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, file), []byte(subject+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.mustGit(t, dir, "", "add", ".")
	s.mustGit(t, dir, "", "commit", "-q", "-m", subject+"\n\nChange-Id: "+id)
	return strings.TrimSpace(s.mustGit(t, dir, "", "rev-parse", "HEAD"))
}

// TestPatchSetLock votes a PatchSetLock label to its maximum: no new patch
// set may then come, neither pushed by the owner nor made by a rebase,
// until the vote is taken back.
func TestPatchSetLock(t *testing.T) {
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/lk", map[string]any{"create_empty_commit": true}), 201, "create project")
	var admins restapi.GroupInfo
	wantJSON(t, s.admin(t, "GET", "/a/groups/Administrators", nil), 200, &admins)
	s.editProjectConfig(t, "lk", func(dir string) {
		appendFile(t, filepath.Join(dir, "project.config"), `[label "Patch-Set-Lock"]
	function = PatchSetLock
	value = 0 Patch Set Unlocked
	value = +1 Patch Set Locked
[access "refs/heads/*"]
	label-Patch-Set-Lock = +0..+1 group Administrators
`)
		appendFile(t, filepath.Join(dir, "groups"), admins.ID+"\tAdministrators\n")
	})
	dir := filepath.Join(t.TempDir(), "lk")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "lk"), dir)
	admin := s.httpURL("admin", adminPassword, "lk")
	commitWithID(t, s, dir, "a.txt", "Add a", changeID(950))
	out := s.mustGit(t, dir, "", "push", admin, "HEAD:refs/for/main")
	n := pushedChange(t, "lk", out)
	// The branch moves on, so that a rebase has something to do.
	other := filepath.Join(t.TempDir(), "other")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "lk"), other)
	s.commit(t, other, "b.txt", "b\n")
	s.mustGit(t, other, "", "push", "-q", admin, "HEAD:refs/heads/main")

	lock := func(v int) {
		expect(t, s.admin(t, "POST", "/a/changes/"+n+"/revisions/current/review",
			map[string]any{"labels": map[string]int{"Patch-Set-Lock": v}}), 200, "vote Patch-Set-Lock")
	}
	patchSets := func() int {
		var ci map[string]any
		wantJSON(t, s.admin(t, "GET", "/a/changes/"+n+"?o=ALL_REVISIONS", nil), 200, &ci)
		return len(ci["revisions"].(map[string]any))
	}
	lock(1)
	s.mustGit(t, dir, "", "commit", "-q", "--amend", "-m", "Add a, amended\n\nChange-Id: "+changeID(950))
	out, err := s.git(t, dir, "", "push", admin, "HEAD:refs/for/main")
	if want := "(cannot add patch set to " + n + ". Change is patch set locked.)"; err == nil || !strings.Contains(out, want) {
		t.Fatalf("push onto a locked change: %v, want %q in\n%s", err, want, out)
	}
	wantText(t, s.admin(t, "POST", "/a/changes/"+n+"/rebase", nil), 409, "The current patch set of change "+n+" is locked")
	if got := patchSets(); got != 1 {
		t.Fatalf("a locked change has %d patch sets, want 1", got)
	}
	if ls := s.mustGit(t, "", "", "ls-remote", admin, "refs/changes/*"); strings.Count(ls, "\n") != 1 {
		t.Fatalf("refs after the refused patch sets:\n%s", ls)
	}

	lock(0)
	s.mustGit(t, dir, "", "push", "-q", admin, "HEAD:refs/for/main")
	wantJSON(t, s.admin(t, "POST", "/a/changes/"+n+"/rebase", nil), 200, nil)
	if got := patchSets(); got != 3 {
		t.Fatalf("after unlocking the change has %d patch sets, want 3", got)
	}
}

// TestRequireSignedOffBy: with receive.requireSignedOffBy, alice's commits
// need a Signed-off-by of their author, committer or hers, for review and
// on a branch alike; the administrator, who may forge committers, needs
// none.
func TestRequireSignedOffBy(t *testing.T) {
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/so", map[string]any{"create_empty_commit": true}), 201, "create project")
	s.createUser(t, "alice")
	s.editProjectConfig(t, "so", func(dir string) {
		appendFile(t, filepath.Join(dir, "project.config"),
			"[receive]\n\trequireSignedOffBy = true\n[access \"refs/heads/*\"]\n\tpush = group Registered Users\n")
		appendFile(t, filepath.Join(dir, "groups"), "global:Registered-Users\tRegistered Users\n")
	})
	dir := filepath.Join(t.TempDir(), "so")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "so"), dir)
	alice := s.httpURL("alice", "alice-pw", "so")
	withChangeIDAs(t, s, dir, "a.txt", "a\n", "Add a", changeID(960))
	for _, target := range []string{"HEAD:refs/for/main", "HEAD:refs/heads/main"} {
		out, err := s.git(t, dir, "", "push", alice, target)
		if err == nil || !strings.Contains(out, "not Signed-off-by author/committer/uploader in message footer)") {
			t.Fatalf("push to %s without a sign-off: %v\n%s", target, err, out)
		}
	}
	gitAs(t, s, dir, "alice", "commit", "-q", "--amend", "--no-edit", "--signoff")
	s.mustGit(t, dir, "", "push", "-q", alice, "HEAD:refs/for/main")
	s.mustGit(t, dir, "", "push", "-q", alice, "HEAD:refs/heads/main")
	s.commit(t, dir, "b.txt", "b\n") // the administrator's, not signed off
	s.mustGit(t, dir, "", "push", "-q", s.httpURL("admin", adminPassword, "so"), "HEAD:refs/heads/main")
}
