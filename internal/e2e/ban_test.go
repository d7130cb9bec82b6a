package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBanCommit bans commits over REST (PUT /projects/NAME/ban) and SSH
// (gerrit ban-commit) as a project owner would after a leak, and checks
// that every push bringing a banned commit is refused, directly and for
// review, while other pushes go on, and that the bans are git notes that
// git itself reads.
func TestBanCommit(t *testing.T) {
	s := startServer(t, "sqlite")
	aliceKey := s.createUser(t, "alice")
	expect(t, s.admin(t, "PUT", "/a/projects/ban-app", map[string]any{"create_empty_commit": true}), 201, "create project")
	url := s.httpURL("admin", adminPassword, "a/ban-app")
	work := filepath.Join(t.TempDir(), "work")
	s.mustGit(t, "", "", "clone", "-q", url, work)
	tree := strings.TrimSpace(s.mustGit(t, work, "", "rev-parse", "HEAD^{tree}"))
	leak := withChangeIDAs(t, s, work, "secret.txt", "password=hunter2\n", "Add the secret", changeID(971))

	type banResult struct {
		NewlyBanned   []string `json:"newly_banned"`
		AlreadyBanned []string `json:"already_banned"`
		Ignored       []string `json:"ignored"`
	}
	var res banResult
	wantJSON(t, s.admin(t, "PUT", "/a/projects/ban-app/ban", map[string]any{"commits": []string{leak, tree}, "reason": "Leaked a password"}), 200, &res)
	if strings.Join(res.NewlyBanned, ",") != leak || len(res.AlreadyBanned) != 0 || strings.Join(res.Ignored, ",") != tree {
		t.Fatalf("first ban: %+v", res)
	}
	res = banResult{}
	wantJSON(t, s.admin(t, "PUT", "/a/projects/ban-app/ban", map[string]any{"commits": []string{leak}}), 200, &res)
	if len(res.NewlyBanned) != 0 || strings.Join(res.AlreadyBanned, ",") != leak {
		t.Fatalf("second ban: %+v", res)
	}
	wantText(t, s.admin(t, "PUT", "/a/projects/ban-app/ban", map[string]any{"commits": []string{"xyz"}}), 422, "Invalid id: xyz")
	wantText(t, s.call(t, "PUT", "/a/projects/ban-app/ban", "alice", "alice-pw", map[string]any{"commits": []string{leak}}, ""), 403,
		"ban commit not permitted")

	// The banned commit cannot come in, alone or under a later commit,
	// directly or for review.
	s.commit(t, work, "later.txt", "later\n")
	for _, ref := range []string{"refs/heads/main", "refs/for/main"} {
		out, err := s.git(t, work, "", "push", url, "HEAD:"+ref)
		if err == nil || !strings.Contains(out, "contains banned commit "+leak) {
			t.Fatalf("push to %s with a banned commit: err=%v\n%s", ref, err, out)
		}
	}
	s.mustGit(t, work, "", "reset", "-q", "--hard", "HEAD~2")
	s.commit(t, work, "clean.txt", "clean\n")
	s.mustGit(t, work, "", "push", "-q", url, "HEAD:refs/heads/main")

	// Over SSH, with what it did on standard output.
	next := s.commit(t, work, "next.txt", "next\n")
	want(t, "alice's ban-commit", s.run(t, "alice", aliceKey, "", "gerrit ban-commit ban-app "+next), 1, "",
		"fatal: ban commit not permitted\n")
	want(t, "gerrit ban-commit", s.run(t, "admin", s.adminKey, "", "gerrit ban-commit --reason 'Not wanted' ban-app "+next+" "+leak), 0,
		"The following commits were banned:\n"+next+"\n\nThe following commits were already banned:\n"+leak+"\n\n", "")
	if out, err := s.git(t, work, "", "push", url, "HEAD:refs/heads/main"); err == nil || !strings.Contains(out, "contains banned commit "+next) {
		t.Fatalf("push of a commit banned over SSH: err=%v\n%s", err, out)
	}

	// The bans are notes on refs/meta/reject-commits, as git notes reads
	// them.
	s.mustGit(t, work, "", "fetch", "-q", url, "refs/meta/reject-commits:refs/notes/reject")
	note := s.mustGit(t, work, "", "notes", "--ref=refs/notes/reject", "show", leak)
	if !strings.Contains(note, "Banned by Administrator <admin@example.com>") || !strings.Contains(note, "Leaked a password") {
		t.Fatalf("note of the banned commit:\n%s", note)
	}
	if note := s.mustGit(t, work, "", "notes", "--ref=refs/notes/reject", "show", next); !strings.Contains(note, "Not wanted") {
		t.Fatalf("note of the commit banned over SSH:\n%s", note)
	}
}
