package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestReviewedFiles drives Gerrit's per-user reviewed flags on a change
// pushed for review: marking (201, then 200), listing, unmarking (204),
// refusals, privacy between users, and flags carried to a new patch set
// for the files it leaves unchanged.
func TestReviewedFiles(t *testing.T) {
	for _, dbType := range []string{"sqlite", "postgresql"} {
		t.Run(dbType, func(t *testing.T) { testReviewedFiles(t, startServer(t, dbType)) })
	}
}

// reviewedList reads user's reviewed paths on revision rev of change n.
func reviewedList(t testing.TB, s *server, user string, n int, rev string) []string {
	t.Helper()
	var paths []string
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/a/changes/%d/revisions/%s/files/?reviewed", n, rev), user, user+"-pw", nil, ""),
		200, &paths)
	return paths
}

// setReviewed sends PUT (on) or DELETE (off) for file (escaped) as user
// and returns the answer.
func setReviewed(t testing.TB, s *server, user string, n int, rev, file string, on bool) response {
	t.Helper()
	method := "DELETE"
	if on {
		method = "PUT"
	}
	return s.call(t, method, fmt.Sprintf("/a/changes/%d/revisions/%s/files/%s/reviewed", n, rev, file), user, user+"-pw", nil, "")
}

func wantEmpty(t testing.TB, r response, status int, what string) {
	t.Helper()
	if r.status != status || r.body != "" {
		t.Fatalf("%s: status %d body %q, want %d and no body", what, r.status, r.body, status)
	}
}

func testReviewedFiles(t *testing.T, s *server) {
	expect(t, s.admin(t, "PUT", "/a/projects/chg", map[string]any{"create_empty_commit": true}), 201, "create project")
	s.createUser(t, "alice")
	s.createUser(t, "bob")
	dir := filepath.Join(t.TempDir(), "chg")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "chg"), dir)
	s.commit(t, dir, "gone.txt", "going\n")
	s.mustGit(t, dir, "", "push", "-q", s.httpURL("admin", adminPassword, "chg"), "HEAD:refs/heads/main")
	if err := os.Remove(filepath.Join(dir, "gone.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	for file, content := range map[string]string{"b.txt": "b\n", "dir/c.txt": "c\n"} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	withChangeIDAs(t, s, dir, "a.txt", "a\n", "Add files", changeID(301))
	n := s.pushForReview(t, dir, "alice", "alice-pw", "main")[0]

	steps := []struct {
		desc     string
		user     string
		file     string // escaped
		on       bool
		status   int
		wantList []string // the user's list on patch set 1 afterwards
	}{
		{desc: "mark", user: "alice", file: "a.txt", on: true, status: 201, wantList: []string{"a.txt"}},
		{desc: "mark again", user: "alice", file: "a.txt", on: true, status: 200, wantList: []string{"a.txt"}},
		{desc: "mark the commit message", user: "alice", file: "%2FCOMMIT_MSG", on: true, status: 201,
			wantList: []string{"/COMMIT_MSG", "a.txt"}},
		{desc: "mark a file in a directory", user: "alice", file: "dir%2Fc.txt", on: true, status: 201,
			wantList: []string{"/COMMIT_MSG", "a.txt", "dir/c.txt"}},
		{desc: "mark a deleted file", user: "alice", file: "gone.txt", on: true, status: 201,
			wantList: []string{"/COMMIT_MSG", "a.txt", "dir/c.txt", "gone.txt"}},
		{desc: "another user marks", user: "bob", file: "b.txt", on: true, status: 201, wantList: []string{"b.txt"}},
		{desc: "unmark", user: "alice", file: "a.txt", status: 204, wantList: []string{"/COMMIT_MSG", "dir/c.txt", "gone.txt"}},
		{desc: "unmark again", user: "alice", file: "a.txt", status: 204, wantList: []string{"/COMMIT_MSG", "dir/c.txt", "gone.txt"}},
	}
	for _, st := range steps {
		t.Run(st.desc, func(t *testing.T) {
			wantEmpty(t, setReviewed(t, s, st.user, n, "1", st.file, st.on), st.status, st.desc)
			if got := reviewedList(t, s, st.user, n, "1"); !reflect.DeepEqual(got, st.wantList) {
				t.Fatalf("%s's reviewed files %q, want %q", st.user, got, st.wantList)
			}
		})
	}
	t.Run("users see only their own flags", func(t *testing.T) {
		if got := reviewedList(t, s, "alice", n, "current"); !reflect.DeepEqual(got, []string{"/COMMIT_MSG", "dir/c.txt", "gone.txt"}) {
			t.Fatalf("alice's list %q", got)
		}
		if got := reviewedList(t, s, "bob", n, "1"); !reflect.DeepEqual(got, []string{"b.txt"}) {
			t.Fatalf("bob's list %q", got)
		}
	})

	rev := fmt.Sprintf("/changes/%d/revisions/1/files/", n)
	refusals := []struct {
		desc, method, path, user string
		status                   int
		msg                      string
	}{
		{"anonymous list", "GET", rev + "?reviewed", "", 403, "Authentication required"},
		{"anonymous mark", "PUT", rev + "a.txt/reviewed", "", 403, "Authentication required"},
		{"anonymous unmark", "DELETE", rev + "a.txt/reviewed", "", 403, "Authentication required"},
		{"unknown file", "PUT", "/a" + rev + "nope.txt/reviewed", "alice", 404, "Not found: nope.txt"},
		{"unmark an unknown file", "DELETE", "/a" + rev + "nope.txt/reviewed", "alice", 404, "Not found: nope.txt"},
		{"merge list of a plain commit", "PUT", "/a" + rev + "%2FMERGE_LIST/reviewed", "alice", 404, "Not found: /MERGE_LIST"},
		{"unknown revision", "PUT", fmt.Sprintf("/a/changes/%d/revisions/9/files/a.txt/reviewed", n), "alice", 404, "Not found: 9"},
		{"GET of one flag", "GET", "/a" + rev + "a.txt/reviewed", "alice", 405, "Method Not Allowed"},
		{"reviewed with q", "GET", "/a" + rev + "?reviewed&q=a", "alice", 400, "cannot combine base, parent, reviewed, query"},
	}
	for _, tc := range refusals {
		t.Run(tc.desc, func(t *testing.T) {
			password := ""
			if tc.user != "" {
				password = tc.user + "-pw"
			}
			wantText(t, s.call(t, tc.method, tc.path, tc.user, password, nil, ""), tc.status, tc.msg)
		})
	}

	// Patch set 2 changes b.txt only: alice's flags on a.txt, dir/c.txt
	// and the deletion of gone.txt carry over, the commit message's does
	// not (Gerrit keeps flags of unchanged files only, and /COMMIT_MSG is
	// no file); bob's flag on b.txt stays behind.
	t.Run("new patch set", func(t *testing.T) {
		wantEmpty(t, setReviewed(t, s, "alice", n, "1", "a.txt", true), 201, "mark a.txt again")
		if err := os.WriteFile(filepath.Join(dir, "b.txt"), []byte("b, fixed\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		gitAs(t, s, dir, "alice", "add", ".")
		amendAs(t, s, dir)
		s.pushForReview(t, dir, "alice", "alice-pw", "main")
		for range 2 { // the second read finds the carried flags stored
			if got := reviewedList(t, s, "alice", n, "2"); !reflect.DeepEqual(got, []string{"a.txt", "dir/c.txt", "gone.txt"}) {
				t.Fatalf("alice's list on patch set 2 %q", got)
			}
		}
		if got := reviewedList(t, s, "bob", n, "current"); len(got) != 0 {
			t.Fatalf("bob's list on patch set 2 %q, want none", got)
		}
		wantEmpty(t, setReviewed(t, s, "alice", n, "2", "a.txt", true), 200, "mark a carried flag")
		wantEmpty(t, setReviewed(t, s, "alice", n, "2", "b.txt", true), 201, "mark the changed file")
		if got := reviewedList(t, s, "alice", n, "1"); !reflect.DeepEqual(got, []string{"/COMMIT_MSG", "a.txt", "dir/c.txt", "gone.txt"}) {
			t.Fatalf("alice's list on patch set 1 %q", got)
		}
	})

	// A rebase onto a branch that gained other.txt changes none of the
	// flagged files, and both bases hold the same gone.txt: every flag
	// carries over.
	t.Run("rebase", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other")
		s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "chg"), other)
		s.commit(t, other, "other.txt", "other\n")
		s.mustGit(t, other, "", "push", "-q", s.httpURL("admin", adminPassword, "chg"), "HEAD:refs/heads/main")
		wantJSON(t, s.call(t, "POST", fmt.Sprintf("/a/changes/%d/rebase", n), "alice", "alice-pw", nil, ""), 200, nil)
		want := []string{"a.txt", "b.txt", "dir/c.txt", "gone.txt"}
		if got := reviewedList(t, s, "alice", n, "3"); !reflect.DeepEqual(got, want) {
			t.Fatalf("alice's list on the rebased patch set 3 %q, want %q", got, want)
		}
	})

	// Flags are reached through the change: who cannot see it cannot
	// touch them.
	t.Run("private change", func(t *testing.T) {
		wantEmpty(t, s.call(t, "POST", fmt.Sprintf("/a/changes/%d/private", n), "alice", "alice-pw", nil, ""), 201, "make private")
		notFound := fmt.Sprintf("Not found: %d", n)
		wantText(t, setReviewed(t, s, "bob", n, "1", "b.txt", false), 404, notFound)
		wantText(t, s.call(t, "GET", fmt.Sprintf("/a/changes/%d/revisions/1/files/?reviewed", n), "bob", "bob-pw", nil, ""),
			404, notFound)
		if got := reviewedList(t, s, "alice", n, "2"); !reflect.DeepEqual(got, []string{"a.txt", "b.txt", "dir/c.txt", "gone.txt"}) {
			t.Fatalf("alice's list on her private change %q", got)
		}
	})
}
