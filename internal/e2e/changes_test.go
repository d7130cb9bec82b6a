package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/build/gerrit"

	"tandem/internal/httpd/restapi"
)

// TestChangesREST drives the read side of /changes/ against changes made
// by pushing for review: every {change-id} and {revision-id} form,
// ChangeInfo and its o= options, revisions, files, diffs, contents,
// patches, fetch info that git can use, visibility, drafts, stars, and
// Go's golang.org/x/build/gerrit client.
func TestChangesREST(t *testing.T) {
	for _, dbType := range []string{"sqlite", "postgresql"} {
		t.Run(dbType, func(t *testing.T) { testChangesREST(t, startServer(t, dbType)) })
	}
}

// reviewFixture is what the pushes of the test made.
type reviewFixture struct {
	dir        string
	n1, n2, n3 int    // change 1 (two patch sets), then 2 and 3 stacked on it
	ps1, ps2   string // change 1's commits
	sha2, sha3 string
	key1       string
}

// numbered lines "line 1".."line n", with line 15 replaced when set.
func numberedLines(n int, fifteen string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i == 15 && fifteen != "" {
			b.WriteString(fifteen + "\n")
			continue
		}
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

// pushForReview pushes HEAD to refs/for/<ref> of project chg as user and
// returns the change numbers the output names.
func (s *server) pushForReview(t testing.TB, dir, user, password, ref string) []int {
	t.Helper()
	out := s.mustGit(t, dir, "", "push", s.httpURL(user, password, "chg"), "HEAD:refs/for/"+ref)
	return pushedChanges(t, "chg", out)
}

// pushedChanges returns the numbers of the changes of project that a push
// for review printed, and fails the test if it printed none.
func pushedChanges(t testing.TB, project, out string) []int {
	t.Helper()
	var ns []int
	re := regexp.MustCompile(`c/` + regexp.QuoteMeta(project) + `/\+/(\d+) `)
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		t.Fatalf("the push printed no change of %s:\n%s", project, out)
	}
	return ns
}

// pushedChange is the number, as a string for URLs, of the one change of
// project a push for review printed.
func pushedChange(t testing.TB, project, out string) string {
	t.Helper()
	return strconv.Itoa(pushedChanges(t, project, out)[0])
}

func setupChanges(t *testing.T, s *server) reviewFixture {
	t.Helper()
	expect(t, s.admin(t, "PUT", "/a/projects/chg", map[string]any{"create_empty_commit": true}), 201, "create project")
	s.createUser(t, "alice")
	s.createUser(t, "bob")
	f := reviewFixture{dir: filepath.Join(t.TempDir(), "chg"), key1: changeID(101)}
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "chg"), f.dir)

	f.ps1 = withChangeIDAs(t, s, f.dir, "a.txt", numberedLines(30, ""), "Add a", f.key1)
	f.n1 = s.pushForReview(t, f.dir, "alice", "alice-pw", "main")[0]
	if err := os.WriteFile(filepath.Join(f.dir, "a.txt"), []byte(numberedLines(30, "line fifteen")), 0o644); err != nil {
		t.Fatal(err)
	}
	gitAs(t, s, f.dir, "alice", "add", ".")
	amendAs(t, s, f.dir)
	f.ps2 = strings.TrimSpace(s.mustGit(t, f.dir, "", "rev-parse", "HEAD"))
	s.pushForReview(t, f.dir, "alice", "alice-pw", "main")

	f.sha2 = withChangeIDAs(t, s, f.dir, "b.txt", "b\n", "Add b", changeID(102))
	f.sha3 = withChangeIDAs(t, s, f.dir, "c.txt", "c\n", "Add c", changeID(103))
	ns := s.pushForReview(t, f.dir, "alice", "alice-pw", "main")
	if len(ns) != 2 {
		t.Fatalf("series push made changes %v", ns)
	}
	f.n2, f.n3 = ns[0], ns[1]
	return f
}

func testChangesREST(t *testing.T, s *server) {
	f := setupChanges(t, s)
	t.Run("ids", func(t *testing.T) { testChangeIDForms(t, s, f) })
	t.Run("change info", func(t *testing.T) { testChangeInfo(t, s, f) })
	t.Run("options", func(t *testing.T) { testChangeOptions(t, s, f) })
	t.Run("query", func(t *testing.T) { testChangeQuery(t, s, f) })
	t.Run("revisions", func(t *testing.T) { testRevisionEndpoints(t, s, f) })
	t.Run("fetch", func(t *testing.T) { testFetchInfo(t, s, f) })
	t.Run("visibility", func(t *testing.T) { testChangeVisibility(t, s, f) })
	t.Run("drafts and stars", func(t *testing.T) { testDraftsAndStars(t, s, f) })
	t.Run("go client", func(t *testing.T) { testGoGerritClient(t, s, f) })
}

func getChange(t testing.TB, s *server, path string) restapi.ChangeInfo {
	t.Helper()
	var ci restapi.ChangeInfo
	wantJSON(t, s.call(t, "GET", path, "", "", nil, ""), 200, &ci)
	return ci
}

func aliceGet(t testing.TB, s *server, path string, v any) {
	t.Helper()
	wantJSON(t, s.call(t, "GET", path, "alice", "alice-pw", nil, ""), 200, v)
}

func testChangeIDForms(t *testing.T, s *server, f reviewFixture) {
	n := fmt.Sprint(f.n1)
	for _, id := range []string{n, "chg~" + n, "chg~main~" + f.key1, "chg~refs%2Fheads%2Fmain~" + f.key1, f.key1} {
		t.Run(id, func(t *testing.T) {
			if ci := getChange(t, s, "/changes/"+id); ci.Number != int64(f.n1) {
				t.Fatalf("GET /changes/%s gave change %d, want %d", id, ci.Number, f.n1)
			}
		})
	}
	ci := getChange(t, s, "/changes/"+n)
	if ci.ID != "chg~"+n || ci.TripletID != "chg~main~"+f.key1 {
		t.Fatalf("id %q, triplet_id %q", ci.ID, ci.TripletID)
	}
	// The id the server emits is accepted back.
	getChange(t, s, "/changes/"+ci.ID)

	bad := []struct{ desc, path, want string }{
		{"unknown number", "/changes/999999", "Not found: 999999"},
		{"wrong project", "/changes/other~" + n, "Not found: other~" + n},
		{"garbage", "/changes/nonsense", "Not found: nonsense"},
		{"unknown Change-Id", "/changes/" + changeID(999), "Not found: " + changeID(999)},
		{"wrong branch", "/changes/chg~dev~" + f.key1, "Not found: chg~dev~" + f.key1},
		{"unknown revision", "/changes/" + n + "/revisions/zzz/commit", "Not found: zzz"},
		{"unknown patch set", "/changes/" + n + "/revisions/7/commit", "Not found: 7"},
		{"change edit", "/changes/" + n + "/revisions/edit/commit", "Not found: edit"},
		{"unknown endpoint", "/changes/" + n + "/frobnicate", "Not found: /changes/" + n + "/frobnicate"},
	}
	for _, tc := range bad {
		t.Run(tc.desc, func(t *testing.T) {
			wantText(t, s.call(t, "GET", tc.path, "", "", nil, ""), 404, tc.want)
		})
	}

	revs := []string{"current", "2", f.ps2, f.ps2[:7], strings.ToUpper(f.ps2[:10])}
	for _, rev := range revs {
		t.Run("revision "+rev, func(t *testing.T) {
			var c restapi.CommitInfo
			wantJSON(t, s.call(t, "GET", "/changes/"+n+"/revisions/"+rev+"/commit", "", "", nil, ""), 200, &c)
			if c.Commit != f.ps2 {
				t.Fatalf("revision %s is commit %s, want %s", rev, c.Commit, f.ps2)
			}
		})
	}
	var c restapi.CommitInfo
	wantJSON(t, s.call(t, "GET", "/changes/"+n+"/revisions/1/commit", "", "", nil, ""), 200, &c)
	if c.Commit != f.ps1 {
		t.Fatalf("revision 1 is %s, want %s", c.Commit, f.ps1)
	}
}

var timestampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}$`)

func testChangeInfo(t *testing.T, s *server, f reviewFixture) {
	r := s.call(t, "GET", fmt.Sprintf("/changes/%d", f.n1), "", "", nil, "")
	var ci restapi.ChangeInfo
	wantJSON(t, r, 200, &ci)
	if ci.Project != "chg" || ci.Branch != "main" || ci.ChangeID != f.key1 || ci.Subject != "Add a" || ci.Status != "NEW" ||
		ci.CurrentRevisionNumber != 2 || ci.Hashtags == nil || len(ci.Hashtags) != 0 {
		t.Fatalf("change info %+v", ci)
	}
	if !timestampRE.MatchString(ci.Created) || !timestampRE.MatchString(ci.Updated) {
		t.Fatalf("timestamps %q %q", ci.Created, ci.Updated)
	}
	if ci.Insertions == nil || *ci.Insertions != 30 || ci.Deletions == nil || *ci.Deletions != 0 {
		t.Fatalf("insertions %v deletions %v", ci.Insertions, ci.Deletions)
	}
	if ci.Owner.ID == 0 || ci.Owner.Name != "" || ci.Owner.Email != "" {
		t.Fatalf("owner without DETAILED_ACCOUNTS = %+v", ci.Owner)
	}
	// False and empty fields are left out; counts are not.
	for _, absent := range []string{`"work_in_progress"`, `"is_private"`, `"starred"`, `"revisions"`, `"labels"`,
		`"messages"`, `"_more_changes"`, `"topic"`, `"submitted"`, `null`} {
		if strings.Contains(r.body, absent) {
			t.Errorf("ChangeInfo has %s: %s", absent, r.body)
		}
	}
	for _, present := range []string{`"total_comment_count": 0`, `"unresolved_comment_count": 0`, `"hashtags": []`} {
		if !strings.Contains(r.body, present) {
			t.Errorf("ChangeInfo lacks %s: %s", present, r.body)
		}
	}

	var detail restapi.ChangeInfo
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/chg~%d/detail", f.n1), "", "", nil, ""), 200, &detail)
	if detail.Owner.Name != "Alice" || detail.Owner.Email != "alice@example.com" || detail.Owner.Username != "alice" {
		t.Fatalf("detail owner = %+v", detail.Owner)
	}
	cr := detail.Labels["Code-Review"]
	if cr == nil || cr.Values["+2"] == "" || cr.Values[" 0"] == "" || cr.DefaultValue == nil {
		t.Fatalf("detail Code-Review label = %+v", cr)
	}
	if len(detail.Messages) != 2 || !strings.Contains(detail.Messages[0].Message, "Uploaded patch set 1.") ||
		detail.Messages[1].RevisionNumber != 2 || detail.Messages[0].Author == nil || detail.Messages[0].Author.Name != "Alice" {
		t.Fatalf("detail messages = %+v", detail.Messages)
	}
	if detail.PermittedLabels != nil {
		t.Fatalf("anonymous caller got permitted labels %v", detail.PermittedLabels)
	}
	var mine restapi.ChangeInfo
	aliceGet(t, s, fmt.Sprintf("/a/changes/%d/detail", f.n1), &mine)
	if got := mine.PermittedLabels["Code-Review"]; len(got) == 0 || !contains(got, " 0") || !contains(got, "+1") {
		t.Fatalf("alice's permitted labels = %v", mine.PermittedLabels)
	}

	var msg gerrit.CommitMessageInfo
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/message", f.n1), "", "", nil, ""), 200, &msg)
	if msg.Subject != "Add a" || msg.Footers["Change-Id"] != f.key1 || !strings.HasPrefix(msg.FullMessage, "Add a\n\nSome body.") {
		t.Fatalf("commit message = %+v", msg)
	}
	var topic string
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/topic", f.n1), "", "", nil, ""), 200, &topic)
	if topic != "" {
		t.Fatalf("topic = %q", topic)
	}
	var reviewers []restapi.ReviewerInfo
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/reviewers/", f.n1), "", "", nil, ""), 200, &reviewers)
	if len(reviewers) != 0 {
		t.Fatalf("reviewers = %+v", reviewers)
	}
	var comments map[string][]restapi.CommentInfo
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/comments", f.n1), "", "", nil, ""), 200, &comments)
	if len(comments) != 0 {
		t.Fatalf("comments = %+v", comments)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func testChangeOptions(t *testing.T, s *server, f reviewFixture) {
	base := fmt.Sprintf("/changes/%d?", f.n1)
	cases := []struct {
		desc, query string
		check       func(t *testing.T, ci restapi.ChangeInfo, body string)
	}{
		{"CURRENT_REVISION", "o=CURRENT_REVISION", func(t *testing.T, ci restapi.ChangeInfo, body string) {
			rev := ci.Revisions[f.ps2]
			if ci.CurrentRevision != f.ps2 || len(ci.Revisions) != 1 || rev == nil || rev.Number != 2 ||
				rev.Ref != fmt.Sprintf("refs/changes/%02d/%d/2", f.n1%100, f.n1) || rev.Kind == "" || rev.Commit != nil || rev.Files != nil {
				t.Fatalf("revisions %+v current %q", ci.Revisions, ci.CurrentRevision)
			}
		}},
		{"ALL_REVISIONS", "o=ALL_REVISIONS", func(t *testing.T, ci restapi.ChangeInfo, body string) {
			if len(ci.Revisions) != 2 || ci.Revisions[f.ps1].Number != 1 || ci.Revisions[f.ps2].Number != 2 {
				t.Fatalf("revisions %+v", ci.Revisions)
			}
		}},
		{"CURRENT_COMMIT", "o=CURRENT_REVISION&o=CURRENT_COMMIT", func(t *testing.T, ci restapi.ChangeInfo, body string) {
			c := ci.Revisions[f.ps2].Commit
			if c == nil || c.Subject != "Add a" || c.Author.Email != "alice@example.com" || len(c.Parents) != 1 ||
				c.Parents[0].Subject != "Initial empty repository" || !timestampRE.MatchString(c.Author.Date) {
				t.Fatalf("commit %+v", c)
			}
		}},
		{"ALL_COMMITS", "o=ALL_REVISIONS&o=ALL_COMMITS", func(t *testing.T, ci restapi.ChangeInfo, body string) {
			if ci.Revisions[f.ps1].Commit == nil || ci.Revisions[f.ps2].Commit == nil {
				t.Fatalf("revisions %+v", ci.Revisions)
			}
		}},
		{"CURRENT_FILES", "o=CURRENT_REVISION&o=CURRENT_FILES", func(t *testing.T, ci restapi.ChangeInfo, body string) {
			files := ci.Revisions[f.ps2].Files
			if files["a.txt"].Status != "A" || files["a.txt"].LinesInserted != 30 || files["/COMMIT_MSG"].Status != "A" || len(files) != 2 {
				t.Fatalf("files %+v", files)
			}
			if strings.Index(body, `"/COMMIT_MSG"`) > strings.Index(body, `"a.txt"`) {
				t.Fatalf("files not sorted by path: %s", body)
			}
		}},
		{"DETAILED_ACCOUNTS", "o=DETAILED_ACCOUNTS&o=CURRENT_REVISION", func(t *testing.T, ci restapi.ChangeInfo, body string) {
			if ci.Owner.Name != "Alice" || ci.Revisions[f.ps2].Uploader.Username != "alice" {
				t.Fatalf("owner %+v uploader %+v", ci.Owner, ci.Revisions[f.ps2].Uploader)
			}
		}},
		{"LABELS", "o=LABELS", func(t *testing.T, ci restapi.ChangeInfo, body string) {
			if cr, ok := ci.Labels["Code-Review"]; !ok || cr.Values != nil || cr.All != nil {
				t.Fatalf("labels %+v", ci.Labels)
			}
		}},
		{"MESSAGES", "o=MESSAGES", func(t *testing.T, ci restapi.ChangeInfo, body string) {
			if len(ci.Messages) != 2 || ci.Messages[0].Author.Name != "" {
				t.Fatalf("messages %+v", ci.Messages)
			}
		}},
		{"DOWNLOAD_COMMANDS", "o=CURRENT_REVISION&o=DOWNLOAD_COMMANDS", func(t *testing.T, ci restapi.ChangeInfo, body string) {
			fi := ci.Revisions[f.ps2].Fetch["anonymous http"]
			if !strings.Contains(fi.Commands["Checkout"], "git fetch "+s.web+"chg refs/changes/") {
				t.Fatalf("fetch %+v", ci.Revisions[f.ps2].Fetch)
			}
		}},
		{"hex mask", "O=3", func(t *testing.T, ci restapi.ChangeInfo, body string) {
			if ci.Labels == nil || len(ci.Revisions) != 1 {
				t.Fatalf("O=3 gave labels %v revisions %v", ci.Labels, ci.Revisions)
			}
		}},
		{"SKIP_DIFFSTAT", "o=SKIP_DIFFSTAT", func(t *testing.T, ci restapi.ChangeInfo, body string) {
			if ci.Insertions != nil || strings.Contains(body, "insertions") {
				t.Fatalf("diffstat present: %s", body)
			}
		}},
		{"unknown option ignored", "o=NO_SUCH_OPTION&o=CURRENT_REVISION", func(t *testing.T, ci restapi.ChangeInfo, body string) {
			if len(ci.Revisions) != 1 {
				t.Fatalf("revisions %+v", ci.Revisions)
			}
		}},
		{"COMMIT_FOOTERS", "o=CURRENT_REVISION&o=COMMIT_FOOTERS", func(t *testing.T, ci restapi.ChangeInfo, body string) {
			msg := ci.Revisions[f.ps2].CommitWithFooters
			if !strings.Contains(msg, "Reviewed-on: "+s.web+fmt.Sprintf("c/chg/+/%d", f.n1)) || !strings.Contains(msg, "Change-Id: "+f.key1) {
				t.Fatalf("commit_with_footers %q", msg)
			}
		}},
		{"PARENTS", "o=CURRENT_REVISION&o=PARENTS", func(t *testing.T, ci restapi.ChangeInfo, body string) {
			pd := ci.Revisions[f.ps2].ParentsData
			if len(pd) != 1 || !pd[0].IsMergedInTargetBranch || pd[0].BranchName != "refs/heads/main" {
				t.Fatalf("parents_data %+v", pd)
			}
		}},
		{"every other option", "o=REVIEWED&o=DRAFT_COMMENTS&o=WEB_LINKS&o=CHECK&o=PUSH_CERTIFICATES&o=REVIEWER_UPDATES" +
			"&o=SUBMITTABLE&o=TRACKING_IDS&o=SKIP_MERGEABLE&o=SUBMIT_REQUIREMENTS&o=CUSTOM_KEYED_VALUES&o=STAR" +
			"&o=CURRENT_ACTIONS&o=CHANGE_ACTIONS&o=ALL_FILES&o=DETAILED_LABELS",
			func(t *testing.T, ci restapi.ChangeInfo, body string) {
				if ci.Number != int64(f.n1) {
					t.Fatalf("change %+v", ci)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			r := s.call(t, "GET", base+tc.query, "", "", nil, "")
			var ci restapi.ChangeInfo
			wantJSON(t, r, 200, &ci)
			tc.check(t, ci, r.body)
		})
	}

	// Actions need a signed-in caller.
	var ci restapi.ChangeInfo
	aliceGet(t, s, fmt.Sprintf("/a/changes/%d?o=CHANGE_ACTIONS&o=CURRENT_ACTIONS&o=CURRENT_REVISION", f.n1), &ci)
	if _, ok := ci.Actions["abandon"]; !ok {
		t.Fatalf("alice's actions = %+v", ci.Actions)
	}
	var actions map[string]restapi.ActionInfo
	aliceGet(t, s, fmt.Sprintf("/a/changes/%d/revisions/current/actions", f.n1), &actions)
}

func testChangeQuery(t *testing.T, s *server, f reviewFixture) {
	var all []restapi.ChangeInfo
	wantJSON(t, s.call(t, "GET", "/changes/?q=project:chg+status:open", "", "", nil, ""), 200, &all)
	if len(all) != 3 {
		t.Fatalf("open changes: %d", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].Updated < all[i].Updated {
			t.Fatalf("not sorted by updated: %q before %q", all[i-1].Updated, all[i].Updated)
		}
	}
	var page []restapi.ChangeInfo
	wantJSON(t, s.call(t, "GET", "/changes/?q=project:chg+status:open&n=2", "", "", nil, ""), 200, &page)
	if len(page) != 2 || page[0].MoreChanges || !page[1].MoreChanges {
		t.Fatalf("first page: %d changes, _more_changes %v %v", len(page), page[0].MoreChanges, page[len(page)-1].MoreChanges)
	}
	wantJSON(t, s.call(t, "GET", "/changes/?q=project:chg+status:open&n=2&S=2", "", "", nil, ""), 200, &page)
	if len(page) != 1 || page[0].MoreChanges || page[0].Number != all[2].Number {
		t.Fatalf("second page: %+v", page)
	}
	var multi [][]restapi.ChangeInfo
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/?q=%d&q=%s&q=status:merged+project:chg&o=CURRENT_REVISION", f.n2, changeID(103)),
		"", "", nil, ""), 200, &multi)
	if len(multi) != 3 || len(multi[0]) != 1 || multi[0][0].Number != int64(f.n2) || len(multi[1]) != 1 ||
		multi[1][0].Number != int64(f.n3) || len(multi[2]) != 0 || multi[1][0].CurrentRevision != f.sha3 {
		t.Fatalf("multiple queries: %+v", multi)
	}
	// git-review -d asks by number for the current revision and reads its
	// first fetch entry.
	var gr []map[string]any
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/?q=%d&o=CURRENT_REVISION", f.n1), "", "", nil, ""), 200, &gr)
	if len(gr) != 1 || gr[0]["current_revision"] != f.ps2 {
		t.Fatalf("git-review query: %v", gr)
	}
}

func testRevisionEndpoints(t *testing.T, s *server, f reviewFixture) {
	rev := fmt.Sprintf("/changes/%d/revisions/current", f.n1)

	var files map[string]restapi.FileInfo
	wantJSON(t, s.call(t, "GET", rev+"/files/", "", "", nil, ""), 200, &files)
	if len(files) != 2 || files["a.txt"].Status != "A" || files["/COMMIT_MSG"].LinesInserted == 0 {
		t.Fatalf("files = %+v", files)
	}
	files = nil
	wantJSON(t, s.call(t, "GET", rev+"/files?base=1", "", "", nil, ""), 200, &files)
	if a := files["a.txt"]; a.Status != "" || a.LinesInserted != 1 || a.LinesDeleted != 1 {
		t.Fatalf("files against patch set 1 = %+v", files)
	}
	// The commit message differs at most in its commit date (the amend
	// may cross a second).
	if m, ok := files["/COMMIT_MSG"]; ok && (m.Status != "" || m.LinesInserted > 1) {
		t.Fatalf("commit message against patch set 1: %+v", m)
	}
	var paths []string
	wantJSON(t, s.call(t, "GET", rev+"/files/?q=A.T", "", "", nil, ""), 200, &paths)
	if len(paths) != 1 || paths[0] != "a.txt" {
		t.Fatalf("files matching a.t = %v", paths)
	}

	diffs := []struct {
		desc, path string
		check      func(t *testing.T, d restapi.DiffInfo)
	}{
		{"added file", rev + "/files/a.txt/diff", func(t *testing.T, d restapi.DiffInfo) {
			if d.ChangeType != "ADDED" || d.MetaA != nil || d.MetaB == nil || d.MetaB.Lines != 30 || len(d.Content) != 1 ||
				len(d.Content[0].B) != 30 || d.DiffHeader[0] != "diff --git a/a.txt b/a.txt" {
				t.Fatalf("diff %+v", d)
			}
		}},
		{"against patch set 1", rev + "/files/a.txt/diff?base=1", func(t *testing.T, d restapi.DiffInfo) {
			want := []restapi.DiffContent{
				{Skip: 4}, {AB: linesFrom(5, 14)}, {A: []string{"line 15"}, B: []string{"line fifteen"}},
				{AB: linesFrom(16, 25)}, {Skip: 5},
			}
			if d.ChangeType != "MODIFIED" || fmt.Sprint(d.Content) != fmt.Sprint(want) || d.MetaA.Name != "a.txt" {
				t.Fatalf("diff %+v\nwant content %+v", d, want)
			}
		}},
		{"whole file", rev + "/files/a.txt/diff?base=1&context=ALL", func(t *testing.T, d restapi.DiffInfo) {
			if len(d.Content) != 3 || len(d.Content[0].AB) != 14 || len(d.Content[2].AB) != 15 {
				t.Fatalf("diff %+v", d)
			}
		}},
		{"commit message", rev + "/files/%2FCOMMIT_MSG/diff", func(t *testing.T, d restapi.DiffInfo) {
			if d.ChangeType != "ADDED" || len(d.Content) != 1 || !strings.HasPrefix(d.Content[0].B[0], "Parent:     ") {
				t.Fatalf("diff %+v", d)
			}
		}},
	}
	for _, tc := range diffs {
		t.Run("diff "+tc.desc, func(t *testing.T) {
			var d restapi.DiffInfo
			wantJSON(t, s.call(t, "GET", tc.path, "", "", nil, ""), 200, &d)
			tc.check(t, d)
		})
	}
	wantText(t, s.call(t, "GET", rev+"/files/nope.txt/diff", "", "", nil, ""), 404, "Not found: nope.txt")

	r := s.call(t, "GET", rev+"/files/a.txt/content", "", "", nil, "")
	if r.status != 200 || r.header.Get("X-FYI-Content-Encoding") != "base64" || r.header.Get("X-FYI-Content-Type") != "text/plain" ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("content: %d %v", r.status, r.header)
	}
	if got := decode64(t, r.body); got != numberedLines(30, "line fifteen") {
		t.Fatalf("content = %q", got)
	}
	r = s.call(t, "GET", fmt.Sprintf("/changes/%d/revisions/1/files/a.txt/content", f.n1), "", "", nil, "")
	if got := decode64(t, r.body); got != numberedLines(30, "") {
		t.Fatalf("patch set 1 content = %q", got)
	}
	r = s.call(t, "GET", rev+"/files/%2FCOMMIT_MSG/content", "", "", nil, "")
	if got := decode64(t, r.body); !strings.Contains(got, "Author:     Alice <alice@example.com>\n") || !strings.Contains(got, "\n\nAdd a\n\nSome body.") {
		t.Fatalf("commit message content = %q", got)
	}
	wantText(t, s.call(t, "GET", rev+"/files/nope.txt/content", "", "", nil, ""), 404, "Not found: nope.txt")

	r = s.call(t, "GET", rev+"/patch", "", "", nil, "")
	if r.status != 200 || r.header.Get("X-FYI-Content-Encoding") != "base64" {
		t.Fatalf("patch: %d %v", r.status, r.header)
	}
	patch := decode64(t, r.body)
	if !strings.HasPrefix(patch, "From "+f.ps2+" ") || !strings.Contains(patch, "Subject: [PATCH] Add a") || !strings.Contains(patch, "+line fifteen") {
		t.Fatalf("patch = %q", patch)
	}
	r = s.call(t, "GET", rev+"/patch?raw", "", "", nil, "")
	if r.body != patch {
		t.Fatalf("raw patch differs: %q", r.body)
	}
	r = s.call(t, "GET", rev+"/patch?zip", "", "", nil, "")
	zr, err := zip.NewReader(bytes.NewReader([]byte(r.body)), int64(len(r.body)))
	if err != nil || len(zr.File) != 1 || zr.File[0].Name != f.ps2[:8]+".diff" {
		t.Fatalf("zip patch: %v %v", err, r.header)
	}

	var related restapi.RelatedChangesInfo
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/revisions/current/related", f.n2), "", "", nil, ""), 200, &related)
	var got []int64
	for _, c := range related.Changes {
		got = append(got, c.ChangeNumber)
	}
	if want := []int64{int64(f.n3), int64(f.n2), int64(f.n1)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("related changes %v, want %v", got, want)
	}
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/revisions/1/related", f.n1), "", "", nil, ""), 200, &related)
	if len(related.Changes) != 0 {
		t.Fatalf("related changes of an outdated patch set: %+v", related.Changes)
	}

	// Submitting the top of the stack merges all three.
	var together []restapi.ChangeInfo
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/submitted_together", f.n3), "", "", nil, ""), 200, &together)
	got = nil
	for _, c := range together {
		got = append(got, int64(c.Number))
	}
	if want := []int64{int64(f.n3), int64(f.n2), int64(f.n1)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("submitted together with %d: %v, want %v", f.n3, got, want)
	}
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/submitted_together", f.n1), "", "", nil, ""), 200, &together)
	if len(together) != 0 {
		t.Fatalf("the bottom of the stack is submitted alone, yet: %+v", together)
	}

	// Messages, one by one too; the submit type; a revision's reviewers.
	var msgs []restapi.ChangeMessageInfo
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/messages", f.n1), "", "", nil, ""), 200, &msgs)
	if len(msgs) < 2 || !strings.HasPrefix(msgs[0].Message, "Uploaded patch set 1") || msgs[0].Author == nil || msgs[0].Author.ID == 0 ||
		msgs[1].RevisionNumber != 2 {
		t.Fatalf("messages of %d: %+v", f.n1, msgs)
	}
	var one restapi.ChangeMessageInfo
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/messages/%s", f.n1, msgs[1].ID), "", "", nil, ""), 200, &one)
	if one.ID != msgs[1].ID || one.Message != msgs[1].Message {
		t.Fatalf("message %s: %+v", msgs[1].ID, one)
	}
	expect(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/messages/nope", f.n1), "", "", nil, ""), 404, "an unknown message")
	var submitType string
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/revisions/current/submit_type", f.n1), "", "", nil, ""), 200, &submitType)
	if submitType != "MERGE_IF_NECESSARY" {
		t.Fatalf("submit type %q", submitType)
	}
	expect(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/revisions/current/reviewers/", f.n1), "", "", nil, ""), 200, "current revision's reviewers")
	r = s.call(t, "GET", fmt.Sprintf("/changes/%d/revisions/1/reviewers/", f.n1), "", "", nil, "")
	if r.status != 405 || !strings.Contains(r.body, "Cannot access on non-current patch set") {
		t.Fatalf("reviewers of an outdated revision: %d %q", r.status, r.body)
	}

	var review restapi.ChangeInfo
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/revisions/1/review", f.n1), "", "", nil, ""), 200, &review)
	if len(review.Revisions) != 1 || review.Revisions[f.ps1] == nil || review.CurrentRevision != "" || review.Labels == nil {
		t.Fatalf("review of patch set 1: %+v", review)
	}

	// The project API serves a file of a commit (x/build's GetFileContent).
	r = s.call(t, "GET", "/projects/chg/commits/"+f.ps2+"/files/a.txt/content", "", "", nil, "")
	if r.status != 200 || decode64(t, r.body) != numberedLines(30, "line fifteen") {
		t.Fatalf("project commit content: %d %q", r.status, r.body)
	}
	wantText(t, s.call(t, "GET", "/projects/chg/commits/"+strings.Repeat("0", 40)+"/files/a.txt/content", "", "", nil, ""), 404,
		"Not found: "+strings.Repeat("0", 40))
}

func linesFrom(a, b int) []string {
	var out []string
	for i := a; i <= b; i++ {
		out = append(out, fmt.Sprintf("line %d", i))
	}
	return out
}

func decode64(t testing.TB, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("not base64: %q", s)
	}
	return string(b)
}

// testFetchInfo: callers get the fetch schemes Gerrit offers them, and
// the advertised URL and ref work with git. (The fetches run as the
// administrator: git serving does not yet show patch set refs to others.)
func testFetchInfo(t *testing.T, s *server, f reviewFixture) {
	ci := getChange(t, s, fmt.Sprintf("/changes/%d?o=CURRENT_REVISION", f.n3))
	fetch := ci.Revisions[f.sha3].Fetch
	if anon, ok := fetch["anonymous http"]; !ok || len(fetch) != 1 || anon.URL != s.web+"chg" ||
		anon.Ref != fmt.Sprintf("refs/changes/%02d/%d/1", f.n3%100, f.n3) {
		t.Fatalf("anonymous fetch info = %+v", fetch)
	}
	var mine restapi.ChangeInfo
	aliceGet(t, s, fmt.Sprintf("/a/changes/%d?o=CURRENT_REVISION", f.n3), &mine)
	fetch = mine.Revisions[f.sha3].Fetch
	// The change is public, so alice is offered the anonymous URL too.
	if fetch["anonymous http"].URL != s.web+"chg" || fetch["http"].URL != strings.Replace(s.web, "//", "//alice@", 1)+"a/chg" ||
		fetch["ssh"].URL != s.sshURL("alice", "chg") {
		t.Fatalf("alice's fetch info = %+v", fetch)
	}

	var admins restapi.ChangeInfo
	wantJSON(t, s.admin(t, "GET", fmt.Sprintf("/a/changes/%d?o=CURRENT_REVISION", f.n3), nil), 200, &admins)
	fetch = admins.Revisions[f.sha3].Fetch
	dir := t.TempDir()
	s.mustGit(t, dir, "", "init", "-q")
	for _, scheme := range []string{"http", "ssh", "anonymous http"} {
		u := strings.Replace(fetch[scheme].URL, "admin@", "admin:"+adminPassword+"@", 1)
		if scheme == "ssh" {
			u = fetch[scheme].URL
		}
		s.mustGit(t, dir, s.adminKey, "fetch", "-q", u, fetch[scheme].Ref)
		if got := strings.TrimSpace(s.mustGit(t, dir, "", "rev-parse", "FETCH_HEAD")); got != f.sha3 {
			t.Fatalf("fetched %s over %s, want %s", got, scheme, f.sha3)
		}
	}
}

// testChangeVisibility: changes on a branch the caller cannot read, and
// private changes, are not found.
func testChangeVisibility(t *testing.T, s *server, f reviewFixture) {
	wantJSON(t, s.admin(t, "PUT", "/a/projects/chg/branches/hidden", map[string]any{}), 201, nil)
	hide := map[string]any{"add": map[string]any{"refs/heads/hidden": map[string]any{"permissions": map[string]any{
		"read": map[string]any{"rules": map[string]any{
			"global:Anonymous-Users": map[string]any{"action": "BLOCK"},
			adminsUUID(t, s):         map[string]any{"action": "ALLOW"},
		}},
	}}}}
	wantJSON(t, s.admin(t, "POST", "/a/projects/chg/access", hide), 200, nil)
	s.mustGit(t, f.dir, "", "checkout", "-q", "-b", "hidden-work", "origin/main")
	withChangeIDAs(t, s, f.dir, "h.txt", "h\n", "Hidden work", changeID(104))
	hidden := s.pushForReview(t, f.dir, "admin", adminPassword, "hidden")[0]
	withChangeIDAs(t, s, f.dir, "p.txt", "p\n", "Private work", changeID(105))
	private := s.pushForReview(t, f.dir, "alice", "alice-pw", "main%private")[0]

	cases := []struct {
		desc, user, password string
		n, status            int
	}{
		{"hidden branch, anonymous", "", "", hidden, 404},
		{"hidden branch, bob", "bob", "bob-pw", hidden, 404},
		{"hidden branch, admin", "admin", adminPassword, hidden, 200},
		{"private, anonymous", "", "", private, 404},
		{"private, bob", "bob", "bob-pw", private, 404},
		{"private, owner", "alice", "alice-pw", private, 200},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			prefix := ""
			if tc.user != "" {
				prefix = "/a"
			}
			for _, path := range []string{fmt.Sprintf("/changes/%d", tc.n), fmt.Sprintf("/changes/chg~%d/revisions/1/files/", tc.n)} {
				r := s.call(t, "GET", prefix+path, tc.user, tc.password, nil, "")
				if r.status != tc.status {
					t.Fatalf("GET %s as %q: %d %q, want %d", path, tc.user, r.status, r.body, tc.status)
				}
				if tc.status == 404 && r.body != fmt.Sprintf("Not found: %s\n", strings.Split(path, "/")[2]) {
					t.Fatalf("GET %s: body %q", path, r.body)
				}
			}
		})
	}
	var list []restapi.ChangeInfo
	wantJSON(t, s.call(t, "GET", "/a/changes/?q=project:chg", "bob", "bob-pw", nil, ""), 200, &list)
	for _, c := range list {
		if c.Number == int64(hidden) || c.Number == int64(private) {
			t.Fatalf("bob's query shows change %d", c.Number)
		}
	}
	if len(list) != 3 {
		t.Fatalf("bob sees %d changes, want 3", len(list))
	}
	wantJSON(t, s.call(t, "GET", "/a/changes/?q=project:chg", "alice", "alice-pw", nil, ""), 200, &list)
	if len(list) != 4 {
		t.Fatalf("alice sees %d changes, want 4 (with her private one)", len(list))
	}
	hiddenCommit := tipOfRef(t, s, hidden)
	wantText(t, s.call(t, "GET", "/projects/chg/commits/"+hiddenCommit+"/files/h.txt/content", "", "", nil, ""), 404, "Not found: "+hiddenCommit)

	// Over git, a private change's patch sets are for those who see the
	// change: its owner and reviewers, not others.
	psRef := fmt.Sprintf("refs/changes/%02d/%d/1", private%100, private)
	lists := func(user, password string) bool {
		t.Helper()
		return strings.Contains(s.mustGit(t, "", "", "ls-remote", s.httpURL(user, password, "a/chg"), "refs/changes/*"), psRef)
	}
	if !lists("alice", "alice-pw") || lists("bob", "bob-pw") {
		t.Fatalf("%s listed for alice %v, for bob %v; want only alice", psRef, lists("alice", "alice-pw"), lists("bob", "bob-pw"))
	}
	wantJSON(t, s.call(t, "POST", fmt.Sprintf("/a/changes/%d/reviewers", private), "alice", "alice-pw", map[string]any{"reviewer": "bob"}, ""), 200, nil)
	if !lists("bob", "bob-pw") {
		t.Fatalf("%s not listed for bob, a reviewer of the private change", psRef)
	}
	clone := t.TempDir()
	s.mustGit(t, "", "", "init", "-q", "--bare", clone)
	s.mustGit(t, clone, "", "fetch", "-q", s.httpURL("bob", "bob-pw", "a/chg"), psRef)
	wantNoContent(t, s.call(t, "DELETE", fmt.Sprintf("/a/changes/%d/reviewers/bob", private), "alice", "alice-pw", nil, ""))
	if lists("bob", "bob-pw") {
		t.Fatalf("%s still listed for bob after his removal", psRef)
	}
}

// tipOfRef returns the commit of patch set 1 of change n.
func tipOfRef(t testing.TB, s *server, n int) string {
	t.Helper()
	var c restapi.CommitInfo
	wantJSON(t, s.admin(t, "GET", fmt.Sprintf("/a/changes/%d/revisions/1/commit", n), nil), 200, &c)
	return c.Commit
}

func testDraftsAndStars(t *testing.T, s *server, f reviewFixture) {
	rev := fmt.Sprintf("/a/changes/%d/revisions/current", f.n1)
	var d restapi.CommentInfo
	wantJSON(t, s.call(t, "PUT", rev+"/drafts", "alice", "alice-pw",
		map[string]any{"path": "a.txt", "line": 15, "message": "Why fifteen?"}, ""), 201, &d)
	if d.ID == "" || d.Line != 15 || d.Path != "a.txt" || d.Author == nil {
		t.Fatalf("draft = %+v", d)
	}
	var drafts map[string][]restapi.CommentInfo
	aliceGet(t, s, fmt.Sprintf("/a/changes/%d/drafts", f.n1), &drafts)
	if len(drafts["a.txt"]) != 1 || drafts["a.txt"][0].Message != "Why fifteen?" || drafts["a.txt"][0].PatchSet != 2 {
		t.Fatalf("drafts = %+v", drafts)
	}
	var bobs map[string][]restapi.CommentInfo
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/a/changes/%d/drafts", f.n1), "bob", "bob-pw", nil, ""), 200, &bobs)
	if len(bobs) != 0 {
		t.Fatalf("bob sees drafts %+v", bobs)
	}
	var comments map[string][]restapi.CommentInfo
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/comments", f.n1), "", "", nil, ""), 200, &comments)
	if len(comments) != 0 {
		t.Fatalf("a draft is published: %+v", comments)
	}
	wantJSON(t, s.call(t, "PUT", rev+"/drafts/"+d.ID, "alice", "alice-pw", map[string]any{"message": "Why?"}, ""), 200, &d)
	if d.Message != "Why?" || d.Line != 15 {
		t.Fatalf("updated draft = %+v", d)
	}
	wantText(t, s.call(t, "DELETE", rev+"/drafts/"+d.ID, "bob", "bob-pw", nil, ""), 404, "Not found: "+d.ID)
	wantNoContent(t, s.call(t, "DELETE", rev+"/drafts/"+d.ID, "alice", "alice-pw", nil, ""))
	wantText(t, s.call(t, "GET", fmt.Sprintf("/changes/%d/drafts", f.n1), "", "", nil, ""), 403, "Authentication required")

	star := fmt.Sprintf("/a/accounts/self/starred.changes/chg~%d", f.n2)
	wantNoContent(t, s.call(t, "PUT", star, "alice", "alice-pw", nil, ""))
	var ci restapi.ChangeInfo
	aliceGet(t, s, fmt.Sprintf("/a/changes/%d?o=STAR", f.n2), &ci)
	if !ci.Starred {
		t.Fatal("starred change is not starred")
	}
	var starred []restapi.ChangeInfo
	aliceGet(t, s, "/a/accounts/self/starred.changes", &starred)
	if len(starred) != 1 || starred[0].Number != int64(f.n2) || !starred[0].Starred {
		t.Fatalf("starred changes = %+v", starred)
	}
	var bobsView restapi.ChangeInfo
	wantJSON(t, s.call(t, "GET", fmt.Sprintf("/a/changes/%d?o=STAR", f.n2), "bob", "bob-pw", nil, ""), 200, &bobsView)
	if bobsView.Starred {
		t.Fatal("bob sees alice's star")
	}
	wantNoContent(t, s.call(t, "DELETE", star, "alice", "alice-pw", nil, ""))
	starred = nil
	aliceGet(t, s, "/a/accounts/self/starred.changes", &starred)
	if len(starred) != 0 {
		t.Fatalf("starred changes after unstar = %+v", starred)
	}
	wantText(t, s.call(t, "PUT", "/accounts/self/starred.changes/"+fmt.Sprint(f.n2), "", "", nil, ""), 403, "Authentication required")
}

// testGoGerritClient uses the Go team's Gerrit client as a real client.
func testGoGerritClient(t *testing.T, s *server, f reviewFixture) {
	ctx := context.Background()
	c := gerrit.NewClient(strings.TrimSuffix(s.web, "/"), gerrit.BasicAuth("alice", "alice-pw"))
	id := fmt.Sprintf("chg~%d", f.n1)

	ci, err := c.GetChange(ctx, id, gerrit.QueryChangesOpt{Fields: []string{"CURRENT_REVISION", "CURRENT_COMMIT"}})
	if err != nil {
		t.Fatal(err)
	}
	rev := ci.Revisions[ci.CurrentRevision]
	if ci.ChangeNumber != f.n1 || ci.CurrentRevision != f.ps2 || rev.PatchSetNumber != 2 || rev.Commit == nil ||
		rev.Commit.Subject != "Add a" || ci.Created.Time().IsZero() || len(rev.Fetch) == 0 {
		t.Fatalf("GetChange = %+v", ci)
	}
	detail, err := c.GetChangeDetail(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := detail.Labels["Code-Review"]; detail.Owner.Name != "Alice" || len(detail.Messages) != 2 || !ok {
		t.Fatalf("GetChangeDetail = %+v", detail)
	}
	files, err := c.ListFiles(ctx, id, "current")
	if err != nil {
		t.Fatal(err)
	}
	if names := fileNames(files); fmt.Sprint(names) != "[/COMMIT_MSG a.txt]" || files["a.txt"].LinesInserted != 30 {
		t.Fatalf("ListFiles = %v", names)
	}
	msg, err := c.GetCommitMessage(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "Add a" || msg.Footers["Change-Id"] != f.key1 {
		t.Fatalf("GetCommitMessage = %+v", msg)
	}
	changes, err := c.QueryChanges(ctx, "project:chg status:open", gerrit.QueryChangesOpt{N: 2, Fields: []string{"LABELS"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 || !changes[1].MoreChanges {
		t.Fatalf("QueryChanges = %d changes", len(changes))
	}
	related, err := c.GetRelatedChanges(ctx, fmt.Sprintf("chg~%d", f.n3), "current")
	if err != nil {
		t.Fatal(err)
	}
	if len(related.Changes) != 3 || related.Changes[0].ChangeNumber != int32(f.n3) {
		t.Fatalf("GetRelatedChanges = %+v", related)
	}
	if _, err := c.GetRevisionActions(ctx, id, "current"); err != nil {
		t.Fatal(err)
	}
	rc, err := c.GetFileContent(ctx, "chg", f.ps2, "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	content, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(content) != numberedLines(30, "line fifteen") {
		t.Fatalf("GetFileContent = %q, %v", content, err)
	}
	if _, err := c.GetChange(ctx, "chg~999999"); !errors.Is(err, gerrit.ErrResourceNotExist) {
		t.Fatalf("GetChange of a missing change: %v", err)
	}
	comments, err := c.ListChangeComments(ctx, id)
	if err != nil || len(comments) != 0 {
		t.Fatalf("ListChangeComments = %v, %v", comments, err)
	}
	reviewers, err := c.ListReviewers(ctx, id)
	if err != nil || len(reviewers) != 0 {
		t.Fatalf("ListReviewers = %v, %v", reviewers, err)
	}
}

func fileNames(files map[string]*gerrit.FileInfo) []string {
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
