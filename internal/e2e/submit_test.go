package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tandem/internal/db"

	"tandem/internal/httpd/restapi"
)

// TestSubmitREST drives review, abandon, restore, rebase and submit over
// REST and checks Gerrit's error texts and, with git, where each submit
// type leaves the branch; on both databases, whose branch locks differ.
func TestSubmitREST(t *testing.T) {
	for _, dbType := range []string{"sqlite", "postgresql"} {
		t.Run(dbType, func(t *testing.T) { testSubmitREST(t, startServer(t, dbType)) })
	}
}

func testSubmitREST(t *testing.T, s *server) {
	s.createUser(t, "alice")
	t.Run("review errors", func(t *testing.T) { testReviewErrors(t, s) })
	t.Run("submit errors", func(t *testing.T) { testSubmitErrors(t, s) })
	t.Run("abandon and restore", func(t *testing.T) { testAbandonRestore(t, s) })
	t.Run("rebase", func(t *testing.T) { testRebase(t, s) })
	t.Run("submit types", func(t *testing.T) { testSubmitTypes(t, s) })
	t.Run("ancestors", func(t *testing.T) { testSubmitAncestors(t, s) })
}

// newProject creates a project with an initial commit on main and, when
// set, a submit type.
func newProject(t testing.TB, s *server, name, submitType string) {
	t.Helper()
	in := map[string]any{"create_empty_commit": true}
	if submitType != "" {
		in["submit_type"] = submitType
	}
	expect(t, s.admin(t, "PUT", "/a/projects/"+name, in), 201, "create project "+name)
}

// approve votes Code-Review+2 as the administrator.
func approve(t testing.TB, s *server, n string) {
	t.Helper()
	expect(t, s.admin(t, "POST", "/a/changes/"+n+"/revisions/current/review", map[string]any{"labels": map[string]int{"Code-Review": 2}}),
		200, "approve "+n)
}

// submitOK submits change n as the administrator and checks it merged.
func submitOK(t testing.TB, s *server, n string) restapi.ChangeInfo {
	t.Helper()
	var ci restapi.ChangeInfo
	wantJSON(t, s.admin(t, "POST", "/a/changes/"+n+"/submit", nil), 200, &ci)
	if ci.Status != "MERGED" {
		t.Fatalf("submit %s: status %s", n, ci.Status)
	}
	return ci
}

// current is a change with its current revision.
func current(t testing.TB, s *server, n string) restapi.ChangeInfo {
	t.Helper()
	return getChange(t, s, "/changes/"+n+"?o=CURRENT_REVISION")
}

// gitCommit is a commit as git shows it.
type gitCommit struct {
	sha     string
	parents []string
	message string
}

// branchHead fetches main of project into a scratch repository and reads
// its tip commit with git.
func branchHead(t testing.TB, s *server, project string) gitCommit {
	t.Helper()
	dir := t.TempDir()
	s.mustGit(t, dir, "", "init", "-q", "--bare")
	s.mustGit(t, dir, "", "fetch", "-q", s.httpURL("", "", project), "+refs/heads/main:refs/heads/main")
	out := s.mustGit(t, dir, "", "log", "-1", "--format=%H%n%P%n%B", "refs/heads/main")
	lines := strings.SplitN(out, "\n", 3)
	if len(lines) < 3 {
		t.Fatalf("git log: %q", out)
	}
	return gitCommit{sha: lines[0], parents: strings.Fields(lines[1]), message: lines[2]}
}

// pushSeries uploads one commit per subject, each on the previous, in one
// push as alice, and returns the change numbers in order.
func pushSeries(t testing.TB, s *server, project string, firstID int, subjects ...string) []string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "w")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", project), dir)
	for i, subject := range subjects {
		withChangeIDAs(t, s, dir, fmt.Sprintf("series%d.txt", i), subject+"\n", subject, changeID(firstID+i))
	}
	out := s.mustGit(t, dir, "", "push", s.httpURL("alice", "alice-pw", project), "HEAD:refs/for/main")
	var ns []string
	for _, m := range regexp.MustCompile(`c/`+regexp.QuoteMeta(project)+`/\+/(\d+) `).FindAllStringSubmatch(out, -1) {
		ns = append(ns, m[1])
	}
	if len(ns) != len(subjects) {
		t.Fatalf("series push made changes %v:\n%s", ns, out)
	}
	return ns
}

func testReviewErrors(t *testing.T, s *server) {
	newProject(t, s, "rev-errors", "")
	n := pushChange(t, s, "rev-errors", "a.txt", "Review errors", 1001)
	review := func(user, password string, labels map[string]int) response {
		return s.call(t, "POST", "/a/changes/"+n+"/revisions/current/review", user, password, map[string]any{"labels": labels}, "")
	}
	wantText(t, review("admin", adminPassword, map[string]int{"Code-Review": 3}), 400, `label "Code-Review": 3 is not a valid value`)
	wantText(t, review("alice", "alice-pw", map[string]int{"Code-Review": 2}), 403, `Applying label "Code-Review": 2 is restricted`)
	var res restapi.ReviewResult
	wantJSON(t, review("alice", "alice-pw", map[string]int{"Code-Review": 1}), 200, &res)
	if res.Labels["Code-Review"] != 1 {
		t.Fatalf("review result %+v", res)
	}
	// Votes and permitted values as the labels evaluate them.
	var ci restapi.ChangeInfo
	aliceGet(t, s, "/a/changes/"+n+"?o=DETAILED_LABELS&o=DETAILED_ACCOUNTS", &ci)
	cr := ci.Labels["Code-Review"]
	if cr == nil || cr.Recommended == nil || cr.Recommended.Username != "alice" || cr.Value != 1 ||
		strings.Join(ci.PermittedLabels["Code-Review"], ",") != "-1, 0,+1" || len(cr.All) != 1 || cr.All[0].Date == "" {
		t.Fatalf("labels %+v permitted %v", cr, ci.PermittedLabels)
	}

	expect(t, s.admin(t, "POST", "/a/changes/"+n+"/abandon", nil), 200, "abandon")
	wantText(t, review("admin", adminPassword, map[string]int{"Code-Review": 2}), 409, "change is closed")
}

func testSubmitErrors(t *testing.T, s *server) {
	newProject(t, s, "sub-errors", "")
	n := pushChange(t, s, "sub-errors", "a.txt", "Submit errors", 1101)
	wantText(t, s.admin(t, "POST", "/a/changes/"+n+"/submit", nil), 409,
		"Failed to submit 1 change due to the following problems:\nChange "+n+": submit requirement 'Code-Review' is unsatisfied.")

	// A second patch set: the first can no longer be submitted.
	if again := pushChange(t, s, "sub-errors", "b.txt", "Submit errors", 1101); again != n {
		t.Fatalf("the same Change-Id made change %s, not a patch set of %s", again, n)
	}
	var ci restapi.ChangeInfo
	wantJSON(t, s.call(t, "GET", "/changes/"+n+"?o=ALL_REVISIONS", "", "", nil, ""), 200, &ci)
	first := ""
	for sha, rev := range ci.Revisions {
		if rev.Number == 1 {
			first = sha
		}
	}
	if first == "" || ci.CurrentRevisionNumber != 2 {
		t.Fatalf("revisions %+v", ci.Revisions)
	}
	approve(t, s, n)
	wantText(t, s.admin(t, "POST", "/a/changes/"+n+"/revisions/1/submit", nil), 409, "revision "+first+" is not current revision")
	wantText(t, s.call(t, "POST", "/a/changes/"+n+"/submit", "alice", "alice-pw", nil, ""), 403, "submit not permitted")

	// Submittable now, and the actions say so.
	var actions map[string]restapi.ActionInfo
	wantJSON(t, s.admin(t, "GET", "/a/changes/"+n+"/revisions/current/actions", nil), 200, &actions)
	if _, ok := actions["submit"]; !ok {
		t.Fatalf("actions %v", actions)
	}
	submitOK(t, s, n)
	wantText(t, s.admin(t, "POST", "/a/changes/"+n+"/submit", nil), 409, "change is merged")
	wantText(t, s.admin(t, "POST", "/a/changes/"+n+"/revisions/current/review", map[string]any{"labels": map[string]int{"Code-Review": -1}}),
		409, "Cannot reduce vote on labels for closed change: Code-Review")
}

func testAbandonRestore(t *testing.T, s *server) {
	newProject(t, s, "abandon", "")
	n := pushChange(t, s, "abandon", "a.txt", "Abandon me", 1201)
	post := func(action string, body any) response {
		return s.admin(t, "POST", "/a/changes/"+n+"/"+action, body)
	}
	wantText(t, post("restore", nil), 409, "change is new")
	var ci restapi.ChangeInfo
	wantJSON(t, post("abandon", map[string]string{"message": "not now"}), 200, &ci)
	if ci.Status != "ABANDONED" {
		t.Fatalf("abandon: status %s", ci.Status)
	}
	wantText(t, post("abandon", nil), 409, "change is abandoned")
	wantText(t, post("submit", nil), 409, "change is abandoned")
	wantJSON(t, post("restore", nil), 200, &ci)
	if ci.Status != "NEW" {
		t.Fatalf("restore: status %s", ci.Status)
	}
	var msgs restapi.ChangeInfo
	wantJSON(t, s.call(t, "GET", "/changes/"+n+"?o=MESSAGES", "", "", nil, ""), 200, &msgs)
	var texts []string
	for _, m := range msgs.Messages {
		texts = append(texts, m.Message)
	}
	if !contains(texts, "Abandoned\n\nnot now") || !contains(texts, "Restored") {
		t.Fatalf("messages %q", texts)
	}
	approve(t, s, n)
	submitOK(t, s, n)
	wantText(t, post("abandon", nil), 409, "change is merged")
	wantText(t, post("restore", nil), 409, "change is merged")
}

func testRebase(t *testing.T, s *server) {
	newProject(t, s, "rebase", "")
	first := pushChange(t, s, "rebase", "a.txt", "First", 1301)
	second := pushChange(t, s, "rebase", "b.txt", "Second", 1302)
	wantText(t, s.admin(t, "POST", "/a/changes/"+second+"/rebase", nil), 409, "Change is already up to date.")
	approve(t, s, first)
	approve(t, s, second)
	submitOK(t, s, first)
	tip := tipOf(t, s, "rebase", "main")

	var ci restapi.ChangeInfo
	wantJSON(t, s.call(t, "POST", "/a/changes/"+second+"/rebase", "alice", "alice-pw", nil, ""), 200, &ci)
	rev := ci.Revisions[ci.CurrentRevision]
	if ci.CurrentRevisionNumber != 2 || rev == nil || rev.Commit == nil || rev.Commit.Parents[0].Commit != tip {
		t.Fatalf("rebased change %+v", ci)
	}
	if ls := s.mustGit(t, "", "", "ls-remote", s.httpURL("", "", "rebase"), rev.Ref); !strings.HasPrefix(ls, ci.CurrentRevision) {
		t.Fatalf("patch set ref %s: %q", rev.Ref, ls)
	}
	wantText(t, s.admin(t, "POST", "/a/changes/"+second+"/rebase", nil), 409, "Change is already up to date.")
	// The +2 stuck (a trivial rebase), so the change submits as is.
	submitOK(t, s, second)
	if head := branchHead(t, s, "rebase"); head.sha != ci.CurrentRevision || len(head.parents) != 1 || head.parents[0] != tip {
		t.Fatalf("branch head %+v, want %s on %s", head, ci.CurrentRevision, tip)
	}
}

// testSubmitTypes submits with each submit type and checks the branch with
// git: siblings a and b both start at the initial commit; a goes in
// first, then b. A type that rewrites b with footers writes the message
// the change showed beforehand as its commit_with_footers.
func testSubmitTypes(t *testing.T, s *server) {
	tests := []struct {
		desc, submitType string
		sibling          bool // push b next to a, else b alone
		// check looks at the branch after b's submit; a is a's commit (""
		// without a sibling), b b's original commit, base the tip before b.
		check func(t *testing.T, head gitCommit, a, b, base string, bInfo restapi.ChangeInfo)
		// refusal, when set, is the 409 text b's submit gets (%s is b).
		refusal string
		footers bool // b is rewritten with footers
	}{
		{desc: "merge if necessary, fast-forward", submitType: "MERGE_IF_NECESSARY",
			check: func(t *testing.T, head gitCommit, a, b, base string, _ restapi.ChangeInfo) {
				if head.sha != b || len(head.parents) != 1 || head.parents[0] != base {
					t.Errorf("head %+v, want %s fast-forwarded on %s", head, b, base)
				}
			}},
		{desc: "merge if necessary, merge", submitType: "MERGE_IF_NECESSARY", sibling: true,
			check: func(t *testing.T, head gitCommit, a, b, base string, _ restapi.ChangeInfo) {
				if len(head.parents) != 2 || head.parents[0] != a || head.parents[1] != b ||
					!strings.HasPrefix(head.message, `Merge "Change B`) {
					t.Errorf("head %+v, want a merge of %s and %s", head, a, b)
				}
			}},
		{desc: "fast forward only", submitType: "FAST_FORWARD_ONLY", sibling: true,
			refusal: "Failed to submit 1 change due to the following problems:\nChange %s: Project policy requires all submissions " +
				"to be a fast-forward. Please rebase the change locally and upload again for review.",
			check: func(t *testing.T, head gitCommit, a, b, base string, _ restapi.ChangeInfo) {
				if head.sha != a {
					t.Errorf("head %+v, want %s unmoved", head, a)
				}
			}},
		{desc: "rebase if necessary", submitType: "REBASE_IF_NECESSARY", sibling: true,
			check: func(t *testing.T, head gitCommit, a, b, base string, bInfo restapi.ChangeInfo) {
				if head.sha == b || len(head.parents) != 1 || head.parents[0] != a || head.sha != bInfo.CurrentRevision ||
					bInfo.CurrentRevisionNumber != 2 {
					t.Errorf("head %+v, want %s rebased onto %s as patch set 2 (%+v)", head, b, a, bInfo.CurrentRevision)
				}
				// The approval stays on the patch set that landed.
				if ci := getChange(t, s, fmt.Sprintf("/changes/%d?o=LABELS", bInfo.Number)); ci.Labels["Code-Review"] == nil ||
					ci.Labels["Code-Review"].Approved == nil {
					t.Errorf("labels after the submit %+v", ci.Labels["Code-Review"])
				}
			}},
		{desc: "rebase always", submitType: "REBASE_ALWAYS", footers: true,
			check: func(t *testing.T, head gitCommit, a, b, base string, bInfo restapi.ChangeInfo) {
				if head.sha == b || len(head.parents) != 1 || head.parents[0] != base || head.sha != bInfo.CurrentRevision ||
					!strings.Contains(head.message, "\nReviewed-on: "+s.web+"c/types-rebase-always/+/") ||
					!strings.Contains(head.message, "\nReviewed-by: ") {
					t.Errorf("head %+v, want %s rewritten on %s with footers", head, b, base)
				}
			}},
		{desc: "merge always", submitType: "MERGE_ALWAYS",
			check: func(t *testing.T, head gitCommit, a, b, base string, _ restapi.ChangeInfo) {
				if len(head.parents) != 2 || head.parents[0] != base || head.parents[1] != b {
					t.Errorf("head %+v, want a merge of %s into %s", head, b, base)
				}
			}},
		{desc: "cherry pick", submitType: "CHERRY_PICK", sibling: true, footers: true,
			check: func(t *testing.T, head gitCommit, a, b, base string, bInfo restapi.ChangeInfo) {
				if head.sha == b || len(head.parents) != 1 || head.parents[0] != a || head.sha != bInfo.CurrentRevision ||
					!strings.Contains(head.message, "\nReviewed-on: "+s.web+"c/types-cherry-pick/+/") {
					t.Errorf("head %+v, want %s picked onto %s with footers", head, b, a)
				}
			}},
	}
	for i, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			name := "types-" + strings.ReplaceAll(strings.ToLower(tc.desc), " ", "-")
			name = strings.ReplaceAll(name, ",", "")
			newProject(t, s, name, tc.submitType)
			var pt struct {
				SubmitType string `json:"submit_type"`
			}
			wantJSON(t, s.call(t, "GET", "/projects/"+name+"/config", "", "", nil, ""), 200, &pt)
			if pt.SubmitType != tc.submitType {
				t.Fatalf("project submit type %q", pt.SubmitType)
			}
			a, aCommit := "", ""
			if tc.sibling {
				a = pushChange(t, s, name, "a.txt", "Change A", 1400+10*i)
			}
			b := pushChange(t, s, name, "b.txt", "Change B", 1401+10*i)
			bCommit := current(t, s, b).CurrentRevision
			var mi restapi.MergeableInfo
			wantJSON(t, s.call(t, "GET", "/changes/"+b+"/revisions/current/mergeable", "", "", nil, ""), 200, &mi)
			if !mi.Mergeable || mi.SubmitType != tc.submitType {
				t.Fatalf("mergeable %+v", mi)
			}
			if a != "" {
				approve(t, s, a)
				submitOK(t, s, a)
				aCommit = current(t, s, a).CurrentRevision
				if head := branchHead(t, s, name); head.sha != aCommit {
					t.Fatalf("after a, head %+v, want %s", head, aCommit)
				}
			}
			base := tipOf(t, s, name, "main")
			approve(t, s, b)
			if tc.refusal != "" {
				wantJSON(t, s.call(t, "GET", "/changes/"+b+"/revisions/current/mergeable", "", "", nil, ""), 200, &mi)
				if mi.Mergeable {
					t.Fatalf("mergeable %+v after a moved the branch", mi)
				}
				wantText(t, s.admin(t, "POST", "/a/changes/"+b+"/submit", nil), 409, fmt.Sprintf(tc.refusal, b))
				if st := current(t, s, b).Status; st != "NEW" {
					t.Fatalf("refused change is %s", st)
				}
			} else {
				var before restapi.ChangeInfo
				wantJSON(t, s.call(t, "GET", "/changes/"+b+"?o=CURRENT_REVISION&o=COMMIT_FOOTERS", "", "", nil, ""), 200, &before)
				submitOK(t, s, b)
				preview := before.Revisions[before.CurrentRevision].CommitWithFooters
				if got := branchHead(t, s, name).message; tc.footers && strings.TrimRight(got, "\n") != strings.TrimRight(preview, "\n") {
					t.Errorf("submitted message:\n%s\ncommit_with_footers before the submit:\n%s", got, preview)
				}
			}
			tc.check(t, branchHead(t, s, name), aCommit, bCommit, base, current(t, s, b))
		})
	}
}

// testSubmitAncestors submits a change with its open ancestor, which must
// be submittable too; CHERRY_PICK takes the change alone.
func testSubmitAncestors(t *testing.T, s *server) {
	newProject(t, s, "ancestors", "")
	ns := pushSeries(t, s, "ancestors", 1501, "Parent change", "Child change")
	parent, child := ns[0], ns[1]
	approve(t, s, child)
	wantText(t, s.admin(t, "POST", "/a/changes/"+child+"/submit", nil), 409,
		"Failed to submit 2 changes due to the following problems:\nChange "+parent+": submit requirement 'Code-Review' is unsatisfied.")
	approve(t, s, parent)
	childCommit := current(t, s, child).CurrentRevision
	submitOK(t, s, child)
	if st := current(t, s, parent).Status; st != "MERGED" {
		t.Fatalf("parent is %s after its child's submit", st)
	}
	if head := branchHead(t, s, "ancestors"); head.sha != childCommit {
		t.Fatalf("head %+v, want the child %s", head, childCommit)
	}
	var merged []restapi.ChangeInfo
	wantJSON(t, s.call(t, "GET", "/changes/?q=project:ancestors+status:merged", "", "", nil, ""), 200, &merged)
	if len(merged) != 2 || merged[0].SubmissionID != merged[1].SubmissionID || merged[0].SubmissionID != child {
		t.Fatalf("merged changes %+v", merged)
	}

	newProject(t, s, "ancestors-pick", "CHERRY_PICK")
	ns = pushSeries(t, s, "ancestors-pick", 1511, "Parent change", "Child change")
	base := tipOf(t, s, "ancestors-pick", "main")
	approve(t, s, ns[1])
	submitOK(t, s, ns[1])
	if st := current(t, s, ns[0]).Status; st != "NEW" {
		t.Fatalf("cherry-pick submitted the parent too (%s)", st)
	}
	if head := branchHead(t, s, "ancestors-pick"); len(head.parents) != 1 || head.parents[0] != base ||
		!strings.HasPrefix(head.message, "Child change") {
		t.Fatalf("head %+v, want the child alone on %s", head, base)
	}
}

// TestSubmitRecovery: a master that moved a branch for a submit and died
// before marking the change merged leaves a pending intent; the next
// master to start finishes it. An intent whose branch never moved is
// rolled back and its change stays open.
func TestSubmitRecovery(t *testing.T) {
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/rec", map[string]any{"create_empty_commit": true}), 201, "create project")
	s.createUser(t, "alice")
	landed := pushChange(t, s, "rec", "a.txt", "Landed before the crash", 401)
	lost := pushChange(t, s, "rec", "b.txt", "Never landed", 402)
	commitOf := func(n string) string {
		r := s.admin(t, "GET", "/a/changes/"+n+"?o=CURRENT_REVISION", nil)
		var ci struct {
			CurrentRevision string `json:"current_revision"`
		}
		r.json(t, &ci)
		return ci.CurrentRevision
	}
	landedCommit, lostCommit := commitOf(landed), commitOf(lost)
	repoDir := filepath.Join(s.site, "git", "rec.git")
	tip := strings.TrimSpace(s.mustGit(t, repoDir, "", "rev-parse", "refs/heads/main"))
	s.stop()

	// What a master leaves behind when it dies between moving the branch
	// and marking the change merged, and one that died before moving it.
	s.mustGit(t, repoDir, "", "update-ref", "refs/heads/main", landedCommit, tip)
	d, err := db.Open(context.Background(), db.Options{Type: db.SQLite, Path: filepath.Join(s.site, "db", "tandem.db")})
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range []struct{ n, newTip string }{{landed, landedCommit}, {lost, lostCommit}} {
		if _, err := d.Exec(context.Background(), `INSERT INTO submit_intents (id, project, branch, old_tip, new_tip, changes, submitter_id, node, state, created_on)
			VALUES ($1, 'rec', 'refs/heads/main', $2, $3, $4, 1000000, 'dead-master', 'PENDING', 0)`,
			1000+i, tip, it.newTip, `[{"number":`+it.n+`,"commit":"`+it.newTip+`"}]`); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()

	s.start(t)
	status := func(n string) string {
		r := s.admin(t, "GET", "/a/changes/"+n, nil)
		var ci struct {
			Status string `json:"status"`
		}
		r.json(t, &ci)
		return ci.Status
	}
	// Recovery runs as the daemon starts; give it a moment.
	for deadline := time.Now().Add(15 * time.Second); status(landed) != "MERGED" && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if got := status(landed); got != "MERGED" {
		t.Fatalf("change whose commit reached the branch is %s, want MERGED", got)
	}
	if got := status(lost); got != "NEW" {
		t.Fatalf("change whose submit never moved the branch is %s, want NEW", got)
	}
}
