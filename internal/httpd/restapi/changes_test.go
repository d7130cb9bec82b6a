package restapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/httpd/auth"
)

const key = "I0123456789abcdef0123456789abcdef01234567"

func TestParseChangeID(t *testing.T) {
	tests := []struct {
		desc, raw string
		want      changeRef
		ok        bool
	}{
		{"number", "42", changeRef{number: 42}, true},
		{"project and number", "a%2Fb~42", changeRef{project: "a/b", number: 42}, true},
		{"triplet", "p~main~" + key, changeRef{project: "p", branch: "refs/heads/main", key: key}, true},
		{"triplet with full branch", "p~refs%2Fheads%2Fdev~" + key, changeRef{project: "p", branch: "refs/heads/dev", key: key}, true},
		{"escaped tilde in project", "a%7Eb~7", changeRef{project: "a~b", number: 7}, true},
		{"Change-Id", key, changeRef{key: key}, true},
		{"short Change-Id", "I0123", changeRef{}, false},
		{"zero", "0", changeRef{}, false},
		{"negative", "-1", changeRef{}, false},
		{"project and key", "p~" + key, changeRef{}, false},
		{"empty part", "~42", changeRef{}, false},
		{"too many parts", "a~b~c~" + key, changeRef{}, false},
		{"bad escape", "a%zz~1", changeRef{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, ok := parseChangeID(tc.raw)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("parseChangeID(%q) = %+v, %v; want %+v, %v", tc.raw, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestFindRevision(t *testing.T) {
	pss := []*change.PatchSet{
		{Number: 1, Commit: "1234abcd00000000000000000000000000000000"},
		{Number: 2, Commit: "1234ef0000000000000000000000000000000000"},
		{Number: 3, Commit: "beef000000000000000000000000000000000000"},
	}
	tests := []struct {
		desc, id string
		want     int // patch set number, 0 for none
	}{
		{"current", "current", 3},
		{"number", "2", 2},
		{"full sha", pss[0].Commit, 1},
		{"unique prefix", "1234ab", 1},
		{"upper-case prefix", "BEEF", 3},
		{"ambiguous prefix", "1234", 0},
		{"prefix too short", "bee", 0},
		{"unknown number", "9", 0},
		{"leading zero", "02", 0},
		{"edit", "edit", 0},
		{"edit zero", "0", 0},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got := findRevision(pss, 3, tc.id)
			if n := numberOf(got); n != tc.want {
				t.Fatalf("findRevision(%q) = patch set %d, want %d", tc.id, n, tc.want)
			}
		})
	}
}

func numberOf(ps *change.PatchSet) int {
	if ps == nil {
		return 0
	}
	return ps.Number
}

func TestParseChangeOptions(t *testing.T) {
	tests := []struct {
		desc  string
		query url.Values
		want  changeOptions
	}{
		{"none", url.Values{}, 0},
		{"names", url.Values{"o": {"LABELS", "current_revision"}}, optionsOf(optLabels, optCurrentRevision)},
		{"comma separated", url.Values{"o": {"MESSAGES,DETAILED_ACCOUNTS"}}, optionsOf(optMessages, optDetailedAccounts)},
		{"unknown ignored", url.Values{"o": {"NOPE", "STAR"}}, optionsOf(optStar)},
		{"hex mask", url.Values{"O": {"81"}}, optionsOf(optLabels, optDetailedAccounts)},
		{"mask and names", url.Values{"O": {"2"}, "o": {"PARENTS"}}, optionsOf(optCurrentRevision, optParents)},
		{"bad mask ignored", url.Values{"O": {"xyz"}}, 0},
	}
	log := slog.New(slog.DiscardHandler)
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := parseChangeOptions(tc.query, log); got != tc.want {
				t.Fatalf("options = %b, want %b", got, tc.want)
			}
		})
	}
	// Every name maps to a distinct bit.
	seen := map[uint]string{}
	for name, bit := range listOptionNames {
		if other, ok := seen[bit]; ok {
			t.Fatalf("%s and %s share bit %d", name, other, bit)
		}
		seen[bit] = name
	}
}

func TestLabelVote(t *testing.T) {
	tests := []struct {
		desc, in string
		want     LabelVote
		ok       bool
	}{
		{"number", `2`, 2, true},
		{"negative", `-1`, -1, true},
		{"plus string", `"+2"`, 2, true},
		{"zero string", `" 0"`, 0, true},
		{"minus string", `"-2"`, -2, true},
		{"word", `"yes"`, 0, false},
		{"bool", `true`, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var v LabelVote
			err := json.Unmarshal([]byte(tc.in), &v)
			if (err == nil) != tc.ok || v != tc.want {
				t.Fatalf("unmarshal %s = %d, %v", tc.in, v, err)
			}
		})
	}
	var in ReviewInput
	if err := json.Unmarshal([]byte(`{"labels":{"Code-Review":"+2","Verified":-1}}`), &in); err != nil ||
		in.Labels["Code-Review"] != 2 || in.Labels["Verified"] != -1 {
		t.Fatalf("ReviewInput = %+v, %v", in, err)
	}
}

func bareAccount(id int64) AccountInfo { return AccountInfo{ID: id} }

func vote(acct int64, label string, v int) change.Vote {
	return change.Vote{Change: 1, PatchSet: 1, AccountID: acct, Label: label, Value: v,
		Granted: time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestReviewerMap(t *testing.T) {
	reviewers := []change.Reviewer{{AccountID: 5, State: change.StateReviewer}, {AccountID: 6, State: change.StateCC},
		{AccountID: 8, State: change.StateRemoved}}
	votes := []change.Vote{vote(5, "Code-Review", -1), vote(9, "Code-Review", 1)}
	got := reviewerMap(reviewers, votes, bareAccount)
	want := map[string][]AccountInfo{
		"REVIEWER": {bareAccount(5), bareAccount(9)}, "CC": {bareAccount(6)}, "REMOVED": {bareAccount(8)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("reviewerMap = %v, want %v", got, want)
	}
	if reviewerMap(nil, nil, bareAccount) != nil {
		t.Fatal("reviewerMap of nobody is not nil")
	}
}

func TestGroupThreads(t *testing.T) {
	all := []threadComment{
		{change: 1, id: "a", unresolved: true, written: 1},
		{change: 1, id: "b", inReplyTo: "a", unresolved: false, written: 2}, // resolves thread a
		{change: 1, id: "c", unresolved: true, written: 3},
		{change: 1, id: "d", inReplyTo: "c", unresolved: true, written: 4},
		{change: 2, id: "e", inReplyTo: "missing", unresolved: true, written: 1},
	}
	got := groupThreads(all)
	want := map[int64]commentCounts{1: {total: 4, unresolved: 1}, 2: {total: 1, unresolved: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("counts = %+v, want %+v", got, want)
	}
}

func TestDiffLines(t *testing.T) {
	tests := []struct {
		desc, a, b string
		want       string
	}{
		{"equal", "x\ny\n", "x\ny\n", "=="},
		{"empty to text", "", "x\ny\n", "++"},
		{"text to empty", "x\n", "", "-"},
		{"insert middle", "a\nc\n", "a\nb\nc\n", "=+="},
		{"delete middle", "a\nb\nc\n", "a\nc\n", "=-="},
		{"replace", "a\nb\nc\n", "a\nB\nc\n", "=-+="},
		{"replace two, deletions first", "a\nb\nc\nd\n", "a\nX\nY\nd\n", "=--++="},
		{"moves", "a\nb\nc\nd\ne\n", "b\nc\na\nd\ne\n", "-==+=="},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got := string(diffLines(splitLines(tc.a), splitLines(tc.b)))
			if got != tc.want {
				t.Fatalf("edit script %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDiffLinesApplies(t *testing.T) {
	// Any script must turn a into b.
	pairs := [][2]string{
		{"a b c d e f g", "a x c d y f g z"},
		{"1 2 3 4 5 6 7 8 9", "9 8 7 6 5 4 3 2 1"},
		{"x x x y y y", "y y y x x x"},
		{"", "p q"},
	}
	for _, p := range pairs {
		a, b := strings.Fields(p[0]), strings.Fields(p[1])
		script := diffLines(a, b)
		var out []string
		i, j := 0, 0
		for _, e := range script {
			switch e {
			case '=':
				if a[i] != b[j] {
					t.Fatalf("%q -> %q: '=' on %q vs %q", p[0], p[1], a[i], b[j])
				}
				out = append(out, a[i])
				i, j = i+1, j+1
			case '-':
				i++
			case '+':
				out = append(out, b[j])
				j++
			}
		}
		if i != len(a) || strings.Join(out, " ") != strings.Join(b, " ") {
			t.Fatalf("%q -> %q: script %q gives %q", p[0], p[1], string(script), out)
		}
	}
}

func TestDiffChunks(t *testing.T) {
	lines := func(from, to int) []string {
		var out []string
		for i := from; i <= to; i++ {
			out = append(out, fmt.Sprint(i))
		}
		return out
	}
	a := lines(1, 30)
	b := append(append(lines(1, 14), "x"), lines(16, 30)...)
	tests := []struct {
		desc    string
		context int
		want    []DiffContent
	}{
		{"all", -1, []DiffContent{{AB: lines(1, 14)}, {A: []string{"15"}, B: []string{"x"}}, {AB: lines(16, 30)}}},
		{"ten", 10, []DiffContent{{Skip: 4}, {AB: lines(5, 14)}, {A: []string{"15"}, B: []string{"x"}}, {AB: lines(16, 25)}, {Skip: 5}}},
		{"zero", 0, []DiffContent{{Skip: 14}, {A: []string{"15"}, B: []string{"x"}}, {Skip: 15}}},
		{"wide", 20, []DiffContent{{AB: lines(1, 14)}, {A: []string{"15"}, B: []string{"x"}}, {AB: lines(16, 30)}}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got := diffChunks(diffLines(a, b), a, b, tc.context)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("chunks %s\nwant %s", js(got), js(tc.want))
			}
		})
	}
	// A middle run of common lines keeps context on both sides.
	a2 := lines(1, 30)
	b2 := append(append([]string{"x"}, lines(2, 29)...), "y")
	got := diffChunks(diffLines(a2, b2), a2, b2, 3)
	want := []DiffContent{{A: []string{"1"}, B: []string{"x"}}, {AB: lines(2, 4)}, {Skip: 22}, {AB: lines(27, 29)},
		{A: []string{"30"}, B: []string{"y"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("chunks %s\nwant %s", js(got), js(want))
	}
}

func TestBuildDiffInfo(t *testing.T) {
	d := buildDiffInfo("a.txt", "a.txt", "", nil, []byte("one\ntwo\n"), false, true, 10)
	if d.ChangeType != "ADDED" || d.MetaA != nil || d.MetaB.Lines != 2 || d.MetaB.ContentType != "text/plain" ||
		!reflect.DeepEqual(d.Content, []DiffContent{{B: []string{"one", "two"}}}) {
		t.Fatalf("added: %s", js(d))
	}
	wantHeader := []string{"diff --git a/a.txt b/a.txt", "new file mode 100644", "index 0000000.." + blobID([]byte("one\ntwo\n"))[:7],
		"--- /dev/null", "+++ b/a.txt"}
	if !reflect.DeepEqual(d.DiffHeader, wantHeader) {
		t.Fatalf("header %q, want %q", d.DiffHeader, wantHeader)
	}
	d = buildDiffInfo("old.go", "new.go", "R", []byte("x\n"), []byte("x\n"), true, true, 10)
	if d.ChangeType != "RENAMED" || d.MetaA.Name != "old.go" || d.MetaB.Name != "new.go" || len(d.DiffHeader) != 3 {
		t.Fatalf("renamed: %s", js(d))
	}
	d = buildDiffInfo("bin", "bin", "", []byte("a\x00b"), []byte("a\x00c"), true, true, 10)
	if !d.Binary || len(d.Content) != 0 || d.DiffHeader[len(d.DiffHeader)-1] != "Binary files differ" {
		t.Fatalf("binary: %s", js(d))
	}
	if blobID([]byte("hello\n")) != "ce013625030ba8dba906f756967f9e9ca394464a" {
		t.Fatalf("blob id of hello = %s", blobID([]byte("hello\n")))
	}
}

func TestCommitMsgText(t *testing.T) {
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	ps := &change.PatchSet{
		Parents:   []string{"0123456789abcdef0123456789abcdef01234567"},
		Author:    change.Person{Name: "A U", Email: "a@x", When: when, TZ: 120},
		Committer: change.Person{Name: "C O", Email: "c@x", When: when, TZ: -300},
		Message:   "Subject\n\nBody.\n",
	}
	want := "Parent:     01234567 (Parent subject)\n" +
		"Author:     A U <a@x>\n" +
		"AuthorDate: 2024-05-06 09:08:09 +0200\n" +
		"Commit:     C O <c@x>\n" +
		"CommitDate: 2024-05-06 02:08:09 -0500\n" +
		"\n" +
		"Subject\n\nBody.\n"
	if got := commitMsgText(ps, []string{"Parent subject"}); got != want {
		t.Fatalf("commit message text:\n%s\nwant:\n%s", got, want)
	}
	ps.Parents = append(ps.Parents, "fedcba9876543210fedcba9876543210fedcba98")
	got := commitMsgText(ps, []string{"One", "Two"})
	if !strings.HasPrefix(got, "Merge Of:   01234567 (One)\n            fedcba98 (Two)\nAuthor:") {
		t.Fatalf("merge commit message text:\n%s", got)
	}
	if n := countLines(got); n != 10 {
		t.Fatalf("countLines = %d, want 10", n)
	}
}

func TestRelatedChanges(t *testing.T) {
	// 1 <- 2 <- 3 on the branch; 4 is built on an old patch set of 2 and
	// 5 stands alone.
	changes := map[int64]*change.Change{}
	var pss []*change.PatchSet
	add := func(n int64, psn int, commit, parent string, current bool) *change.PatchSet {
		c := changes[n]
		if c == nil {
			c = &change.Change{Number: n, Key: fmt.Sprintf("I%d", n), Status: change.StatusNew}
			changes[n] = c
		}
		if current {
			c.CurrentPS = psn
		}
		ps := &change.PatchSet{Change: n, Number: psn, Commit: commit, Parents: []string{parent}}
		pss = append(pss, ps)
		return ps
	}
	add(1, 1, "c1", "base", true)
	add(2, 1, "c2old", "c1", false)
	self := add(2, 2, "c2", "c1", true)
	add(3, 1, "c3", "c2", true)
	add(4, 1, "c4", "c2old", true)
	add(5, 1, "c5", "base", true)
	var others []*change.PatchSet
	for _, ps := range pss {
		if ps.Change != 2 {
			others = append(others, ps)
		}
	}
	got := relatedChanges(changes[2], self, changes, others)
	var numbers []int64
	for _, e := range got {
		numbers = append(numbers, e.c.Number)
	}
	if fmt.Sprint(numbers) != "[3 2 1]" {
		t.Fatalf("related = %v, want [3 2 1]", numbers)
	}
	old := pss[1]
	got = relatedChanges(changes[2], old, changes, others)
	numbers = nil
	for _, e := range got {
		numbers = append(numbers, e.c.Number)
	}
	if fmt.Sprint(numbers) != "[4 2 1]" {
		t.Fatalf("related of the old patch set = %v, want [4 2 1]", numbers)
	}
}

// testRequest is a request as caller (nil: anonymous).
func testRequest(caller *account.Account) *request {
	r := httptest.NewRequest("GET", "/changes/", nil)
	c := auth.AnonymousCaller()
	if caller != nil {
		c = &auth.Caller{Account: caller, Groups: map[string]bool{}}
	}
	return &request{w: httptest.NewRecorder(), r: r, caller: c, query: url.Values{}}
}

func TestFetchURLs(t *testing.T) {
	a := &API{info: ServerInfo{CanonicalWebURL: "https://review.example.com/r/", SSHAddress: "*:29418"}, log: slog.New(slog.DiscardHandler)}
	got := a.fetchURLs(testRequest(nil), "p/q", true)
	if !reflect.DeepEqual(got, map[string]string{"anonymous http": "https://review.example.com/r/p/q"}) {
		t.Fatalf("anonymous: %v", got)
	}
	jo := testRequest(&account.Account{ID: 7, Username: "jo"})
	got = a.fetchURLs(jo, "p/q", false)
	want := map[string]string{"http": "https://jo@review.example.com/r/a/p/q", "ssh": "ssh://jo@review.example.com:29418/p/q"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("signed in: %v, want %v", got, want)
	}
	// A change anonymous users may fetch offers them the anonymous URL too.
	want["anonymous http"] = "https://review.example.com/r/p/q"
	if got = a.fetchURLs(jo, "p/q", true); !reflect.DeepEqual(got, want) {
		t.Fatalf("signed in, public change: %v, want %v", got, want)
	}
	a.info.SSHAddress = ""
	if got := a.fetchURLs(testRequest(&account.Account{ID: 8}), "p", false); len(got) != 1 || got["anonymous http"] == "" {
		t.Fatalf("account without a username: %v", got)
	}
	fi := a.fetchInfo(testRequest(nil), "p", "refs/changes/01/1/2", 1, 2, true, true)
	if cmd := fi["anonymous http"].Commands["Checkout"]; cmd != "git fetch https://review.example.com/r/p refs/changes/01/1/2 && git checkout FETCH_HEAD" {
		t.Fatalf("checkout command %q", cmd)
	}
}

// TestBuildChange assembles ChangeInfo from preloaded rows, without a
// database: shapes, omitted fields and options.
func TestBuildChange(t *testing.T) {
	created := time.Date(2024, 2, 3, 4, 5, 6, 789000000, time.UTC)
	c := &change.Change{Number: 12, Project: "a/b", Branch: "refs/heads/main", Key: key, OwnerID: 1000000,
		Status: change.StatusNew, Subject: "Fix it", CurrentPS: 2, Created: created, Updated: created.Add(time.Hour), Reviewed: true}
	ps1 := &change.PatchSet{Change: 12, Number: 1, Commit: strings.Repeat("1", 40), Parents: []string{strings.Repeat("0", 40)},
		UploaderID: 1000000, Created: created, Message: "Fix it\n\nChange-Id: " + key + "\n", Insertions: 3}
	ps2 := &change.PatchSet{Change: 12, Number: 2, Commit: strings.Repeat("2", 40), Parents: []string{strings.Repeat("0", 40)},
		UploaderID: 1000000, Created: created, Message: "Fix it\n\nChange-Id: " + key + "\n", Insertions: 5, Deletions: 1,
		Kind: change.KindTrivialRebase}
	owner := &account.Account{ID: 1000000, Username: "jo", FullName: "Jo", PreferredEmail: "jo@x"}
	newBuilder := func(opts changeOptions) *pageBuilder {
		a := &API{info: ServerInfo{CanonicalWebURL: "http://h/"}, log: slog.New(slog.DiscardHandler), labeler: &fakeLabeler{}}
		return &pageBuilder{a: a, q: testRequest(nil), opts: opts,
			patchSets: map[int64][]*change.PatchSet{12: {ps1, ps2}},
			hashtags:  map[int64][]string{},
			counts:    map[int64]commentCounts{12: {total: 3, unresolved: 1}},
			accounts:  map[int64]*account.Account{owner.ID: owner},
			messages: map[int64][]change.ChangeMessage{12: {{ID: 5, Change: 12, PatchSet: 1, AuthorID: owner.ID,
				Message: "Uploaded patch set 1.", Created: created}, {ID: 6, Change: 12, PatchSet: 2, Message: "Rebased", Created: created}}},
			projects:   map[string]*projectView{"a/b": {name: "a/b"}},
			subjects:   map[string]string{strings.Repeat("0", 40): "Base"},
			byCommit:   map[string]*change.PatchSet{},
			branchTips: map[string]string{},
		}
	}

	info, err := newBuilder(0).build(c)
	if err != nil {
		t.Fatal(err)
	}
	got := js(info)
	want := `{"id":"a%2Fb~12","triplet_id":"a%2Fb~main~` + key + `","project":"a/b","branch":"main","hashtags":[],` +
		`"change_id":"` + key + `","subject":"Fix it","status":"NEW","created":"2024-02-03 04:05:06.789000000",` +
		`"updated":"2024-02-03 05:05:06.789000000","insertions":5,"deletions":1,"total_comment_count":3,` +
		`"unresolved_comment_count":1,"_number":12,"virtual_id_number":12,"owner":{"_account_id":1000000},` +
		`"current_revision_number":2,"has_review_started":true}`
	if got != want {
		t.Fatalf("ChangeInfo\n%s\nwant\n%s", got, want)
	}

	info, err = newBuilder(optionsOf(optAllRevisions, optCurrentCommit, optDetailedAccounts, optMessages, optLabels)).build(c)
	if err != nil {
		t.Fatal(err)
	}
	if info.CurrentRevision != ps2.Commit || len(info.Revisions) != 2 || info.Owner.Name != "Jo" {
		t.Fatalf("revisions %s", js(info))
	}
	r2, r1 := info.Revisions[ps2.Commit], info.Revisions[ps1.Commit]
	if r2.Kind != "TRIVIAL_REBASE" || r1.Kind != "REWORK" || r2.Ref != "refs/changes/12/12/2" || r2.Uploader.Username != "jo" ||
		r2.Fetch["anonymous http"].URL != "http://h/a/b" || r2.Commit == nil || r1.Commit != nil ||
		r2.Commit.Parents[0].Subject != "Base" || r2.Commit.Subject != "Fix it" {
		t.Fatalf("revisions %s", js(info.Revisions))
	}
	if len(info.Messages) != 2 || info.Messages[0].ID != "5" || info.Messages[0].Author.Name != "Jo" || info.Messages[1].Author != nil ||
		info.Messages[1].RevisionNumber != 2 {
		t.Fatalf("messages %s", js(info.Messages))
	}
	if _, ok := info.Labels["Code-Review"]; !ok || info.Reviewers != nil {
		t.Fatalf("labels %s reviewers %v", js(info.Labels), info.Reviewers)
	}

	// The Labeler's labels are shown; their accounts are rendered like the
	// page's.
	b := newBuilder(optionsOf(optLabels, optDetailedAccounts))
	fl := &fakeLabeler{}
	b.a.labeler = fl
	info, err = b.build(c)
	if err != nil {
		t.Fatal(err)
	}
	if cr := info.Labels["Code-Review"]; cr == nil || cr.Approved == nil || cr.Approved.Name != "Jo" || fl.rows.Change != c ||
		len(fl.rows.PatchSets) != 2 || fl.detailed {
		t.Fatalf("labels from the Labeler: %s (rows %+v)", js(info.Labels), fl.rows)
	}

	merged := *c
	merged.Status, merged.Submitted, merged.SubmitterID = change.StatusMerged, created, owner.ID
	info, err = newBuilder(optionsOf(optSkipDiffstat)).build(&merged)
	if err != nil {
		t.Fatal(err)
	}
	if info.Submitted != "2024-02-03 04:05:06.789000000" || info.Submitter == nil || info.Insertions != nil {
		t.Fatalf("merged %s", js(info))
	}
}

func TestCommentInfo(t *testing.T) {
	c := change.Comment{ID: "x1", Change: 1, PatchSet: 2, AuthorID: 9, Path: "f.go", Side: 2, Line: 4,
		Range: &change.Range{StartLine: 3, StartCharacter: 1, EndLine: 4, EndCharacter: 0}, Message: "m",
		Unresolved: true, Written: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), ChangeMessageID: 77}
	got := js(commentInfo(c, true, false, bareAccount))
	want := `{"patch_set":2,"id":"x1","side":"PARENT","parent":2,"line":4,"range":{"start_line":3,"start_character":1,` +
		`"end_line":4,"end_character":0},"message":"m","updated":"2024-01-01 00:00:00.000000000","author":{"_account_id":9},` +
		`"unresolved":true,"change_message_id":"77"}`
	if got != want {
		t.Fatalf("CommentInfo\n%s\nwant\n%s", got, want)
	}

	// Updating a draft keeps what the input does not set.
	yes, no := true, false
	draft := change.Comment{ID: "d1", Path: "f.go", Side: 1, Line: 4, Message: "old", Unresolved: true}
	tests := []struct {
		desc string
		in   CommentInput
		want CommentInput
	}{
		{"message only", CommentInput{Message: "new"},
			CommentInput{ID: "d1", Path: "f.go", Side: "PARENT", Parent: 1, Line: 4, Message: "new", Unresolved: &yes}},
		{"moved and resolved", CommentInput{Path: "g.go", Side: "REVISION", Line: 9, Unresolved: &no},
			CommentInput{ID: "d1", Path: "g.go", Side: "REVISION", Line: 9, Message: "old", Unresolved: &no}},
	}
	for _, tc := range tests {
		if got := draftUpdate(draft, tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: draftUpdate = %s, want %s", tc.desc, js(got), js(tc.want))
		}
	}
}

type fakeLabeler struct {
	rows     ChangeRows
	detailed bool
}

func (f *fakeLabeler) Labels(_ context.Context, _ access.Subject, rows ChangeRows, detailed bool) (LabelsResult, error) {
	f.rows, f.detailed = rows, detailed
	return LabelsResult{Labels: map[string]*LabelInfo{"Code-Review": {Approved: &AccountInfo{ID: 1000000}}}}, nil
}
