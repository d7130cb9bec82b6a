package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSSHReview drives `gerrit query`, `gerrit review` and `gerrit
// set-reviewers` over OpenSSH the way git-review, gerritlib and CI scripts
// do: JSON queries with patch sets and approvals, votes and messages,
// abandon, restore, rebase and submit, and Gerrit's error texts.
func TestSSHReview(t *testing.T) {
	for _, dbType := range []string{"sqlite", "postgresql"} {
		t.Run(dbType, func(t *testing.T) { testSSHReview(t, startServer(t, dbType)) })
	}
}

// sshQueryChange is the part of a change record the tests read.
type sshQueryChange struct {
	Type    string `json:"type"`
	Project string `json:"project"`
	Branch  string `json:"branch"`
	ID      string `json:"id"`
	Number  int    `json:"number"`
	Subject string `json:"subject"`
	Topic   string `json:"topic"`
	URL     string `json:"url"`
	Status  string `json:"status"`
	Open    bool   `json:"open"`
	Owner   struct {
		Username string `json:"username"`
	} `json:"owner"`
	CurrentPatchSet *sshPatchSet  `json:"currentPatchSet"`
	PatchSets       []sshPatchSet `json:"patchSets"`
	AllReviewers    []struct {
		Username string `json:"username"`
	} `json:"allReviewers"`
	Comments []struct {
		Message string `json:"message"`
	} `json:"comments"`
	SubmitRecords []struct {
		Status string `json:"status"`
		Labels []struct {
			Label  string `json:"label"`
			Status string `json:"status"`
		} `json:"labels"`
	} `json:"submitRecords"`
	// Stats and errors.
	RowCount    *int   `json:"rowCount"`
	RunTime     *int64 `json:"runTimeMilliseconds"`
	MoreChanges *bool  `json:"moreChanges"`
	Message     string `json:"message"`
}

type sshPatchSet struct {
	Number    int      `json:"number"`
	Revision  string   `json:"revision"`
	Ref       string   `json:"ref"`
	Parents   []string `json:"parents"`
	Approvals []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
		By    struct {
			Username string `json:"username"`
		} `json:"by"`
	} `json:"approvals"`
	Files []struct {
		File string `json:"file"`
		Type string `json:"type"`
	} `json:"files"`
}

// srQuery runs `gerrit query --format=JSON …` and returns the change
// records and the final record, checking what git-review relies on: every
// line is a JSON object (no blank lines) and the output ends with one
// stats or error record.
func srQuery(t testing.TB, s *server, user, key string, args ...string) ([]sshQueryChange, sshQueryChange) {
	t.Helper()
	stdout, stderr, code := s.ssh(t, user, key, "", append([]string{"gerrit", "query", "--format=JSON"}, args...)...)
	if code != 0 {
		t.Fatalf("gerrit query %v: exit %d\n%s", args, code, stderr)
	}
	if !strings.HasSuffix(stdout, "\n") {
		t.Fatalf("gerrit query %v: output does not end with a newline: %q", args, stdout)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	var out []sshQueryChange
	for _, line := range lines {
		if !strings.HasPrefix(line, "{") {
			t.Fatalf("gerrit query %v: line %q is not a JSON object\n%s", args, line, stdout)
		}
		var c sshQueryChange
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("gerrit query %v: %v in %q", args, err, line)
		}
		out = append(out, c)
	}
	last := out[len(out)-1]
	if last.Type == "" {
		t.Fatalf("gerrit query %v: no final stats record:\n%s", args, stdout)
	}
	return out[:len(out)-1], last
}

// srQueryOne queries change n and fails unless exactly it comes back.
func srQueryOne(t testing.TB, s *server, user, key string, n int, opts ...string) sshQueryChange {
	t.Helper()
	cs, stats := srQuery(t, s, user, key, append(opts, fmt.Sprintf("change:%d", n))...)
	if stats.Type != "stats" || stats.RowCount == nil || *stats.RowCount != 1 || len(cs) != 1 || cs[0].Number != n {
		t.Fatalf("query change:%d: %+v then %+v", n, cs, stats)
	}
	return cs[0]
}

// srGerrit runs a gerrit command over SSH and fails unless it exits as
// wanted; it returns stdout and stderr.
func srGerrit(t testing.TB, s *server, user, key string, wantCode int, stdin string, args ...string) (string, string) {
	t.Helper()
	stdout, stderr, code := s.ssh(t, user, key, stdin, append([]string{"gerrit"}, args...)...)
	if code != wantCode {
		t.Fatalf("gerrit %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, stdout, stderr)
	}
	return stdout, stderr
}

func srPush(t testing.TB, s *server, dir string) int {
	t.Helper()
	out := s.mustGit(t, dir, "", "push", s.httpURL("alice", "alice-pw", "sr"), "HEAD:refs/for/main")
	return pushedChanges(t, "sr", out)[0]
}

func srHasApproval(ps sshPatchSet, label, value, by string) bool {
	for _, a := range ps.Approvals {
		if a.Type == label && a.Value == value && a.By.Username == by {
			return true
		}
	}
	return false
}

func testSSHReview(t *testing.T, s *server) {
	expect(t, s.admin(t, "PUT", "/a/projects/sr", map[string]any{"create_empty_commit": true}), 201, "create project")
	aliceKey := s.createUser(t, "alice")
	bobKey := s.createUser(t, "bob")
	s.createUser(t, "carol")
	dir := filepath.Join(t.TempDir(), "sr")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "sr"), dir)

	// Change A with two patch sets.
	withChangeIDAs(t, s, dir, "a.txt", "a\n", "Add a", changeID(11))
	a := srPush(t, s, dir)
	ref := func(n, ps int) string { return fmt.Sprintf("refs/changes/%02d/%d/%d", n%100, n, ps) }

	// git review -d over SSH.
	c := srQueryOne(t, s, "alice", aliceKey, a, "--current-patch-set")
	if c.Project != "sr" || c.Branch != "main" || c.ID != changeID(11) || c.Subject != "Add a" || c.Status != "NEW" || !c.Open ||
		c.Owner.Username != "alice" || c.URL != fmt.Sprintf("%sc/sr/+/%d", s.web, a) || c.CurrentPatchSet == nil || c.CurrentPatchSet.Ref != ref(a, 1) {
		t.Fatalf("change record: %+v", c)
	}
	_, stats := srQuery(t, s, "alice", aliceKey, "--current-patch-set", fmt.Sprintf("change:%d", a))
	if stats.Type != "stats" || stats.RunTime == nil || stats.MoreChanges == nil || *stats.MoreChanges {
		t.Fatalf("stats record: %+v", stats)
	}

	gitAs(t, s, dir, "alice", "commit", "-q", "--amend", "-m", "Add a\n\nSecond try.\n\nChange-Id: "+changeID(11))
	srPush(t, s, dir)
	shaA := strings.TrimSpace(s.mustGit(t, dir, "", "rev-parse", "HEAD"))
	c = srQueryOne(t, s, "alice", aliceKey, a, "--patch-sets", "--files")
	if len(c.PatchSets) != 2 || c.PatchSets[0].Ref != ref(a, 1) || c.PatchSets[1].Ref != ref(a, 2) || c.PatchSets[1].Revision != shaA || c.CurrentPatchSet != nil {
		t.Fatalf("patch sets: %+v", c.PatchSets)
	}
	if f := c.PatchSets[1].Files; len(f) != 2 || f[0].File != "/COMMIT_MSG" || f[1].File != "a.txt" || f[1].Type != "ADDED" {
		t.Fatalf("files: %+v", f)
	}

	// Change B, independent of A, for abandon, restore and rebase.
	s.mustGit(t, dir, "", "checkout", "-q", "-b", "other", "origin/main")
	withChangeIDAs(t, s, dir, "b.txt", "b\n", "Add b", changeID(12))
	b := srPush(t, s, dir)
	shaB := strings.TrimSpace(s.mustGit(t, dir, "", "rev-parse", "HEAD"))

	// Reviewers.
	srGerrit(t, s, "alice", aliceKey, 0, "", "set-reviewers", "--add", "carol", "--add", "bob", fmt.Sprint(a))
	c = srQueryOne(t, s, "alice", aliceKey, a, "--all-reviewers")
	if got := fmt.Sprint(c.AllReviewers); !strings.Contains(got, "carol") || !strings.Contains(got, "bob") {
		t.Fatalf("reviewers after add: %s", got)
	}
	srGerrit(t, s, "alice", aliceKey, 0, "", "set-reviewers", "-r", "carol", "--project", "sr", changeID(11))
	c = srQueryOne(t, s, "alice", aliceKey, a, "--all-reviewers")
	if got := fmt.Sprint(c.AllReviewers); strings.Contains(got, "carol") || !strings.Contains(got, "bob") {
		t.Fatalf("reviewers after remove: %s", got)
	}

	// Topic, as scripts set it; then the refs bob could fetch, as an
	// administrator checks them: the branch and both patch sets of A.
	srGerrit(t, s, "alice", aliceKey, 0, "", "set-topic", fmt.Sprint(a), "--topic", "sr-work")
	if c = srQueryOne(t, s, "bob", bobKey, a); c.Topic != "sr-work" {
		t.Fatalf("topic after set-topic: %q", c.Topic)
	}
	out, errOut := srGerrit(t, s, "admin", s.adminKey, 0, "", "ls-user-refs", "-p", "sr", "-u", "bob")
	for _, r := range []string{"HEAD", "refs/heads/main", ref(a, 1), ref(a, 2)} {
		if !slices.Contains(strings.Split(out, "\n"), r) {
			t.Fatalf("ls-user-refs for bob lacks %s:\n%s", r, out)
		}
	}
	if strings.Contains(out, "refs/meta/config") || errOut != "" {
		t.Fatalf("ls-user-refs shows bob the configuration:\n%s%s", out, errOut)
	}

	// Votes: the administrator approves with a message; bob's +2 from
	// --code-review is dropped, his +1 counts.
	out, errOut = srGerrit(t, s, "admin", s.adminKey, 0, "", "review", fmt.Sprintf("%d,2", a), "--code-review", "+2", "--message", `"Looks good"`)
	if out != "" || errOut != "" {
		t.Fatalf("review is not silent: %q %q", out, errOut)
	}
	srGerrit(t, s, "bob", bobKey, 0, "", "review", "--code-review=+2", fmt.Sprintf("%d,2", a))
	c = srQueryOne(t, s, "bob", bobKey, a, "--all-approvals", "--comments", "--submit-records")
	if ps := c.PatchSets[1]; !srHasApproval(ps, "Code-Review", "2", "admin") || len(ps.Approvals) != 1 {
		t.Fatalf("approvals after admin's +2 and bob's dropped +2: %+v", ps.Approvals)
	}
	if got := fmt.Sprint(c.Comments); !strings.Contains(got, "Patch Set 2: Code-Review+2\n\nLooks good") {
		t.Fatalf("messages: %s", got)
	}
	if len(c.SubmitRecords) != 1 || c.SubmitRecords[0].Status != "OK" {
		t.Fatalf("submit records: %+v", c.SubmitRecords)
	}
	srGerrit(t, s, "bob", bobKey, 0, "", "review", "--code-review", "1", shaA[:10])
	c = srQueryOne(t, s, "bob", bobKey, a, "--current-patch-set")
	if !srHasApproval(*c.CurrentPatchSet, "Code-Review", "1", "bob") {
		t.Fatalf("bob's +1 by commit is missing: %+v", c.CurrentPatchSet.Approvals)
	}

	// Mistakes.
	cases := []struct {
		desc, user, key string
		args            []string
		want            []string
	}{
		{"restricted --label", "bob", bobKey, []string{"review", "--label", "Code-Review=+2", fmt.Sprintf("%d,2", a)},
			[]string{`error: Applying label "Code-Review": 2 is restricted`, "fatal: one or more reviews failed; review output above"}},
		{"--label out of range", "admin", s.adminKey, []string{"review", "-l", "Code-Review=5", fmt.Sprintf("%d,2", a)},
			[]string{`error: label "Code-Review": 5 is not a valid value`, "fatal: one or more reviews failed"}},
		{"--code-review out of range", "admin", s.adminKey, []string{"review", "--code-review", "3", fmt.Sprintf("%d,2", a)},
			[]string{`fatal: "3" must be in range -2..+2 for "--code-review"`}},
		{"unknown change", "admin", s.adminKey, []string{"review", "99999,1"}, []string{`fatal: "99999,1" no such change`}},
		{"unknown patch set", "admin", s.adminKey, []string{"review", fmt.Sprintf("%d,9", a)}, []string{fmt.Sprintf(`fatal: "%d,9" no such patch set`, a)}},
		{"not a patch set", "admin", s.adminKey, []string{"review", "zzz"}, []string{`fatal: "zzz" is not a valid patch set`}},
		{"unknown commit", "admin", s.adminKey, []string{"review", "deadbeef"}, []string{`fatal: "deadbeef" no such patch set`}},
		{"wrong project", "admin", s.adminKey, []string{"review", "-p", "All-Projects", fmt.Sprintf("%d,2", a)},
			[]string{fmt.Sprintf("fatal: change %d not in project All-Projects", a)}},
		{"abandon and submit", "admin", s.adminKey, []string{"review", "--abandon", "--submit", fmt.Sprintf("%d,2", a)},
			[]string{"fatal: abandon and submit actions are mutually exclusive"}},
		{"json and message", "admin", s.adminKey, []string{"review", "--json", "-m", "x", fmt.Sprintf("%d,2", a)},
			[]string{"fatal: json and message are mutually exclusive"}},
		{"rebase and submit", "admin", s.adminKey, []string{"review", "--rebase", "--submit", fmt.Sprintf("%d,2", a)},
			[]string{"fatal: rebase and submit actions are mutually exclusive"}},
		{"submit an old patch set", "admin", s.adminKey, []string{"review", "--submit", fmt.Sprintf("%d,1", a)},
			[]string{"is not current revision", "fatal: one or more reviews failed"}},
		{"remove a non-reviewer", "alice", aliceKey, []string{"set-reviewers", "-r", "carol", fmt.Sprint(a)},
			[]string{"error: could not remove carol: not found", "fatal: one or more updates failed"}},
		{"add nobody", "alice", aliceKey, []string{"set-reviewers", "-a", "nobody", fmt.Sprint(a)},
			[]string{"error: nobody does not identify a registered user or group", "fatal: one or more updates failed"}},
		{"set-reviewers on an unknown change", "alice", aliceKey, []string{"set-reviewers", "-a", "bob", "I0123456789"},
			[]string{`fatal: "I0123456789" no such change`}},
		{"set-topic on someone else's change", "bob", bobKey, []string{"set-topic", "-t", "x", fmt.Sprint(a)},
			[]string{fmt.Sprintf("error: could not add topic to change %d: not permitted: edit topic name", a), "fatal: one or more updates failed"}},
		{"ls-user-refs without readAs", "bob", bobKey, []string{"ls-user-refs", "-p", "sr", "-u", "alice"},
			[]string{"fatal: not permitted: read as"}},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			_, errOut := srGerrit(t, s, tc.user, tc.key, 1, "", tc.args...)
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Fatalf("stderr %q lacks %q", errOut, w)
				}
			}
		})
	}

	// A query that does not parse gives an error record and no stats.
	stdout, _, code := s.ssh(t, "alice", aliceKey, "", "gerrit", "query", "--format", "json", "status:open", "(")
	if code != 0 || !strings.HasPrefix(stdout, `{"type":"error","message":`) || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("bad query: exit %d, %q", code, stdout)
	}
	// The text format, with gerritlib's stray quote.
	stdout, _ = srGerrit(t, s, "alice", aliceKey, 0, "", "query", fmt.Sprintf(`change:%d"`, a))
	if !strings.HasPrefix(stdout, "change "+changeID(11)+"\n  project: sr\n") || !strings.Contains(stdout, fmt.Sprintf("\n  number: %d\n", a)) ||
		!strings.Contains(stdout, "\ntype: stats\nrowCount: 1\n") {
		t.Fatalf("text query:\n%s", stdout)
	}

	// Submit A over SSH; the branch moves.
	srGerrit(t, s, "admin", s.adminKey, 0, "", "review", "--submit", "--project", "sr", shaA)
	c = srQueryOne(t, s, "alice", aliceKey, a)
	if c.Status != "MERGED" || c.Open {
		t.Fatalf("after submit: %+v", c)
	}
	tip := strings.Fields(s.mustGit(t, "", "", "ls-remote", s.httpURL("", "", "sr"), "refs/heads/main"))[0]
	if out := s.mustGit(t, dir, "", "fetch", "-q", "origin", "main"); out != "" {
		t.Logf("fetch: %s", out)
	}
	if _, err := s.git(t, dir, "", "merge-base", "--is-ancestor", shaA, tip); err != nil {
		t.Fatalf("submitted commit %s is not on main (%s)", shaA, tip)
	}

	// Abandon, a review of the closed change, restore, then rebase B onto
	// the new tip and vote with --json.
	srGerrit(t, s, "alice", aliceKey, 0, "", "review", "--abandon", "-m", `"Not now"`, fmt.Sprintf("%d,1", b))
	if c = srQueryOne(t, s, "alice", aliceKey, b); c.Status != "ABANDONED" {
		t.Fatalf("after abandon: %+v", c)
	}
	_, errOut = srGerrit(t, s, "bob", bobKey, 1, "", "review", "--code-review", "+1", shaB)
	if !strings.Contains(errOut, "error: change is closed\n") || !strings.HasSuffix(errOut, "fatal: one or more reviews failed; review output above\n") {
		t.Fatalf("review of an abandoned change: %q", errOut)
	}
	_, errOut = srGerrit(t, s, "alice", aliceKey, 1, "", "review", "--abandon", fmt.Sprintf("%d,1", b))
	if !strings.Contains(errOut, "error: change is abandoned") {
		t.Fatalf("abandon twice: %q", errOut)
	}
	srGerrit(t, s, "alice", aliceKey, 0, "", "review", "--restore", fmt.Sprintf("%d,1", b))
	if c = srQueryOne(t, s, "alice", aliceKey, b); c.Status != "NEW" {
		t.Fatalf("after restore: %+v", c)
	}
	srGerrit(t, s, "alice", aliceKey, 0, "", "review", "--rebase", fmt.Sprintf("%d,1", b))
	c = srQueryOne(t, s, "alice", aliceKey, b, "--current-patch-set")
	if c.CurrentPatchSet.Number != 2 || len(c.CurrentPatchSet.Parents) != 1 || c.CurrentPatchSet.Parents[0] != tip {
		t.Fatalf("after rebase: %+v (tip %s)", c.CurrentPatchSet, tip)
	}
	srGerrit(t, s, "bob", bobKey, 0, `{"labels":{"Code-Review":1},"message":"via json"}`, "review", "--json", fmt.Sprintf("%d,2", b))
	c = srQueryOne(t, s, "bob", bobKey, b, "--current-patch-set", "--comments")
	if !srHasApproval(*c.CurrentPatchSet, "Code-Review", "1", "bob") || !strings.Contains(fmt.Sprint(c.Comments), "via json") {
		t.Fatalf("after json review: %+v %+v", c.CurrentPatchSet.Approvals, c.Comments)
	}
	_, errOut = srGerrit(t, s, "bob", bobKey, 1, `{"labels":`, "review", "--json", fmt.Sprintf("%d,2", b))
	if !strings.Contains(errOut, "fatal: internal error while reading review input") {
		t.Fatalf("malformed json: %q", errOut)
	}

	// Listing: project:sr status:open shows only B; start skips it.
	cs, stats := srQuery(t, s, "alice", aliceKey, "project:sr", "status:open")
	if len(cs) != 1 || cs[0].Number != b || *stats.RowCount != 1 {
		t.Fatalf("open changes: %+v %+v", cs, stats)
	}
	if cs, _ = srQuery(t, s, "alice", aliceKey, "-S", "1", "project:sr"); len(cs) != 1 || cs[0].Number != a {
		t.Fatalf("second page: %+v", cs)
	}
}
