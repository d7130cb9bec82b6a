package query

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"tandem/internal/change"
	"tandem/internal/clock"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/fail"
)

// operatorTests run against the fixture (fixture_test.go); want lists the
// change numbers newest first. The clock stands at t0 + 12h.
var operatorTests = []struct {
	desc   string
	q      string
	caller int64
	want   []int64
}{
	// status and is:
	{"status open", "status:open", 0, []int64{1, 4, 5, 6}},
	{"status pending", "status:pending", 0, []int64{1, 4, 5, 6}},
	{"status new", "status:NEW", 0, []int64{1, 4, 5, 6}},
	{"is open", "is:open", 0, []int64{1, 4, 5, 6}},
	{"status merged", "status:merged", 0, []int64{2}},
	{"is merged", "is:merged", 0, []int64{2}},
	{"status abandoned", "status:abandoned", 0, []int64{3}},
	{"is abandoned", "is:abandoned", 0, []int64{3}},
	{"status closed", "status:closed", 0, []int64{2, 3}},
	{"is closed", "is:closed", 0, []int64{2, 3}},
	{"status reviewed", "status:reviewed", 0, []int64{1}},
	{"is reviewed", "is:reviewed", 0, []int64{1}},
	{"is wip", "is:wip", 0, []int64{4}},
	{"not wip", "-is:wip", 0, []int64{1, 2, 3, 5, 6}},
	{"is private", "is:private", 0, []int64{5}},
	{"is owner", "is:owner", alice, []int64{1, 4}},
	{"is reviewer", "is:reviewer", carol, []int64{1}},
	{"is cc", "is:cc", dave, []int64{1}},
	{"is uploader", "is:uploader", bob, []int64{1, 2, 6}},
	{"is starred", "is:starred", bob, []int64{1}},
	{"has star", "has:star", bob, []int64{1}},
	{"not starred", "-is:starred", bob, []int64{2, 3, 4, 5, 6}},
	{"is merge", "is:merge", 0, []int64{6}},
	{"is visible", "is:visible", 0, []int64{1, 2, 3, 4, 5, 6}},
	{"is true", "is:true", 0, []int64{1, 2, 3, 4, 5, 6}},
	{"is false", "is:false", 0, []int64{}},
	{"is submittable", "is:submittable", 0, []int64{1}},
	{"is mergeable", "is:mergeable", 0, []int64{1, 5}},
	{"not mergeable", "-is:mergeable", 0, []int64{2, 3, 4, 6}},

	// change, commit
	{"change number", "change:3", 0, []int64{3}},
	{"bare number", "3", 0, []int64{3}},
	{"unknown number", "change:99", 0, []int64{}},
	{"change key", "change:" + key(2), 0, []int64{2}},
	{"change key prefix", "change:" + key(2)[:8], 0, []int64{2}},
	{"change key lower i", "change:i" + key(2)[1:9], 0, []int64{2}},
	{"bare change key", key(2), 0, []int64{2}},
	{"bare change key prefix", key(5)[:9], 0, []int64{5}},
	{"project~number", "change:alpha~2", 0, []int64{2}},
	{"project~number elsewhere", "change:beta~2", 0, []int64{}},
	{"triplet", "change:alpha~stable~" + key(2), 0, []int64{2}},
	{"triplet full branch", "change:alpha~refs%2Fheads%2Fstable~" + key(2), 0, []int64{2}},
	{"bare triplet", "alpha~stable~" + key(2), 0, []int64{2}},
	{"commit of an old patch set", "commit:" + commitOf(1, 1), 0, []int64{1}},
	{"commit prefix", "commit:" + commitOf(1, 2)[:7], 0, []int64{1}},
	{"commit upper case", "commit:" + strings.ToUpper(commitOf(3, 1)), 0, []int64{3}},
	{"bare commit prefix", "g" + commitOf(3, 1)[:10], 0, []int64{}},
	{"bare commit", commitOf(3, 1)[:12], 0, []int64{3}},
	{"not hex", "commit:zzzz", 0, []int64{}},

	// people
	{"owner by username", "owner:alice", 0, []int64{1, 4}},
	{"o", "o:bob", 0, []int64{2, 6}},
	{"owner by id", "owner:1000004", 0, []int64{5}},
	{"owner by email", "owner:alice@example.com", 0, []int64{1, 4}},
	{"owner by full name", `owner:"Alice Anders"`, 0, []int64{1, 4}},
	{"owner self", "owner:self", bob, []int64{2, 6}},
	{"owner me", "owner:me", bob, []int64{2, 6}},
	{"reviewer", "reviewer:carol", 0, []int64{1}},
	{"removed reviewer", "r:alice", 0, []int64{}},
	{"reviewer is not cc", "reviewer:dave", 0, []int64{}},
	{"cc", "cc:dave", 0, []int64{1}},
	{"uploader", "uploader:bob", 0, []int64{1, 2, 6}},
	{"uploader of the current patch set only", "uploader:alice", 0, []int64{4}},
	{"author", "author:alice", 0, []int64{1, 4}},
	{"author by name part", "author:anders", 0, []int64{1, 4}},
	{"author by email", "a:carol@example.com", 0, []int64{3}},
	{"committer", "committer:bob", 0, []int64{1, 2, 6}},
	{"ownerin", "ownerin:Reviewers", 0, []int64{3, 5}},
	{"ownerin by uuid", "ownerin:reviewers-uuid", 0, []int64{3, 5}},
	{"reviewerin", "reviewerin:Reviewers", 0, []int64{1}},
	{"uploaderin", "uploaderin:Reviewers", 0, []int64{3, 5}},
	{"commentby", "commentby:carol", 0, []int64{1, 4}},
	{"drafts are not comments", "commentby:bob", 0, []int64{}},
	{"from", "from:carol", 0, []int64{1, 3, 4}},
	{"starredby", "starredby:bob", 0, []int64{1}},
	{"is watched", "is:watched", bob, []int64{1, 5, 6}},
	{"is watched, bad and nested filters", "is:watched", carol, []int64{3}},
	{"nothing watched", "is:watched", alice, []int64{}},
	{"is attention", "is:attention", carol, []int64{1}},
	{"removed from the attention set", "attention:carol", 0, []int64{1}},
	{"attention", "attention:alice", 0, []int64{4}},
	{"has attention", "has:attention", 0, []int64{1, 4}},
	{"has draft", "has:draft", bob, []int64{4, 6}},
	{"has no draft", "has:draft", alice, []int64{}},
	{"draftby self", "draftby:bob", bob, []int64{4, 6}},
	{"draftby another", "draftby:bob", alice, []int64{}},

	// where
	{"project", "project:alpha", 0, []int64{1, 2, 5}},
	{"p", "p:beta", 0, []int64{3}},
	{"repo", "repo:gamma", 0, []int64{6}},
	{"projects prefix", "projects:beta", 0, []int64{3, 4}},
	{"parentproject", "parentproject:beta", 0, []int64{3, 4}},
	{"parentproject without children", "parentproject:alpha", 0, []int64{1, 2, 5}},
	{"parentproject of a leaf", "parentproject:beta/sub", 0, []int64{4}},
	{"project regex", "project:^beta.*", 0, []int64{3, 4}},
	{"project regex is anchored", "project:^eta", 0, []int64{}},
	{"project regex alternatives", `project:"^(alpha|gamma)"`, 0, []int64{1, 2, 5, 6}},
	{"branch short", "branch:main", 0, []int64{1, 3, 4, 5}},
	{"branch full", "branch:refs/heads/stable", 0, []int64{2}},
	{"branch regex", "branch:^st.*", 0, []int64{2}},
	{"ref", "ref:refs/meta/config", 0, []int64{6}},
	{"ref regex", "ref:^refs/meta/.*", 0, []int64{6}},
	{"topic", "topic:frob", 0, []int64{1}},
	{"topic regex", "topic:^fr.*", 0, []int64{1}},
	{"no topic", `topic:""`, 0, []int64{2, 3, 4, 5, 6}},
	{"intopic", "intopic:RO", 0, []int64{1}},
	{"prefixtopic", "prefixtopic:fr", 0, []int64{1}},
	{"hashtag", "hashtag:urgent", 0, []int64{1}},
	{"hashtag with hash", "hashtag:#Urgent", 0, []int64{1}},
	{"inhashtag", "inhashtag:rg", 0, []int64{1}},
	{"has hashtag", "has:hashtag", 0, []int64{1}},

	// labels
	{"label equals", "label:Code-Review=2", 0, []int64{1, 2, 6}},
	{"label plus", "label:Code-Review+2", 0, []int64{1, 2, 6}},
	{"label name case", "label:code-review=+2", 0, []int64{1, 2, 6}},
	{"label minus", "label:Code-Review-2", 0, []int64{3}},
	{"votes on old patch sets do not count", "label:Code-Review=-1", 0, []int64{}},
	{"label exact value", "label:Code-Review=1", 0, []int64{3, 5}},
	{"label at least", "label:Code-Review>=1", 0, []int64{1, 2, 3, 5, 6}},
	{"label greater", "label:Code-Review>1", 0, []int64{1, 2, 6}},
	{"label at most", "label:Code-Review<=-1", 0, []int64{3}},
	{"label less", "label:Code-Review<0", 0, []int64{3}},
	{"label zero", "label:Code-Review=0", 0, []int64{4}},
	{"label range with zero", "label:Verified>=0", 0, []int64{1, 2, 3, 4, 6}},
	{"label max per project", "label:Code-Review=MAX", 0, []int64{1, 2, 3, 6}},
	{"label max in one project", "project:beta label:Code-Review=MAX", 0, []int64{3}},
	{"label max in another project", "project:alpha label:Code-Review=MAX", 0, []int64{1, 2}},
	{"label min", "label:Code-Review=MIN", 0, []int64{3}},
	{"label verified min", "label:Verified=MIN", 0, []int64{5}},
	{"label verified max", "label:Verified=max", 0, []int64{1}},
	{"label unknown max", "label:Foo=MAX", 0, []int64{}},
	{"label any", "label:Code-Review=ANY", 0, []int64{1, 2, 3, 5, 6}},
	{"label bare", "label:Code-Review", 0, []int64{1, 2, 3, 5, 6}},
	{"label user", "label:Code-Review=2,user=carol", 0, []int64{1}},
	{"label user ampersand", "label:Code-Review=2&user=carol", 0, []int64{1}},
	{"label user self", "label:Code-Review=2,user=self", alice, []int64{2}},
	{"label bare user", "label:Code-Review=2,carol", 0, []int64{1}},
	{"label bare group", "label:Code-Review=2,Reviewers", 0, []int64{1}},
	{"label group", "label:Code-Review=2,group=Reviewers", 0, []int64{1}},
	{"label owner", "label:Code-Review=2,owner", 0, []int64{6}},
	{"label user=owner", "label:Code-Review>=1,user=owner", 0, []int64{6}},
	{"label non_uploader", "label:Code-Review=MAX,user=non_uploader", 0, []int64{1, 2, 3}},
	{"label non_uploader ampersand", "label:Code-Review=MAX&non_uploader", 0, []int64{1, 2, 3}},
	{"label non_uploader in one project", "project:alpha label:Code-Review=MAX,user=non_uploader", 0, []int64{1, 2}},
	{"label non_contributor", "label:Code-Review=2,user=non_contributor", 0, []int64{1, 2}},
	{"label count", "label:Code-Review=1,count=2", 0, []int64{5}},
	{"label count at least", "label:Code-Review=ANY,count>=2", 0, []int64{3, 5}},
	{"label count less", "label:Code-Review=2,count<2", 0, []int64{1, 2, 6}},
	{"label count of max", "label:Code-Review=MAX,count=1", 0, []int64{1, 2, 3, 6}},
	{"label count too many", "label:Code-Review=1,count>2", 0, []int64{}},
	{"label ok", "label:Code-Review=ok", 0, []int64{1, 2, 6}},
	{"label need", "label:Code-Review=NEED", 0, []int64{4, 5}},
	{"label reject", "label:Code-Review=reject", 0, []int64{3}},
	{"label ok by user", "label:Code-Review=ok,user=carol", 0, []int64{1, 2}},
	{"label ok by owner", "label:Code-Review=ok,owner", 0, []int64{6}},
	{"not label min", "-label:Code-Review=MIN", 0, []int64{1, 2, 4, 5, 6}},
	{"code review requirement", "label:Code-Review=MAX -label:Code-Review=MIN", 0, []int64{1, 2, 6}},

	// text
	{"message", "message:bug", 0, []int64{5}},
	{"message phrase", `message:"Bug: 42"`, 0, []int64{5}},
	{"message case", "m:FROBNICATOR", 0, []int64{1}},
	{"message like metacharacters", "message:%", 0, []int64{}},
	{"subject", "subject:widget", 0, []int64{2}},
	{"subject case", "subject:WIDGET", 0, []int64{2}},
	{"prefixsubject", "prefixsubject:wip", 0, []int64{4}},
	{"comment", "comment:please", 0, []int64{1, 4}},
	{"comment in a change message", `comment:"patch set 2"`, 0, []int64{1}},

	// files
	{"file name", "file:Foo.java", 0, []int64{1}},
	{"file is case-sensitive", "file:foo.java", 0, []int64{}},
	{"file directory component", "file:src", 0, []int64{1}},
	{"file inner component", "file:main", 0, []int64{1}},
	{"file is not a substring", "file:oo.java", 0, []int64{}},
	{"file several components", "file:src/main", 0, []int64{1}},
	{"f", "f:y", 0, []int64{5}},
	{"file regex", `file:^.*\.xml`, 0, []int64{3}},
	{"file regex quoted", `file:"^.*[.]xml"`, 0, []int64{3}},
	{"path", "path:docs/README.md", 0, []int64{1, 5}},
	{"path is exact", "path:README.md", 0, []int64{}},
	{"path regex", "path:^lib/.*", 0, []int64{2}},
	{"dir", "dir:src", 0, []int64{1}},
	{"dir deep", "dir:src/main", 0, []int64{1}},
	{"directory", "directory:x/y", 0, []int64{5}},
	{"ext", "ext:java", 0, []int64{1}},
	{"ext with dot and case", "ext:.XML", 0, []int64{3}},
	{"extension", "extension:py", 0, []int64{5}},

	// comments
	{"has unresolved", "has:unresolved", 0, []int64{1}},
	{"no unresolved", "-has:unresolved", 0, []int64{2, 3, 4, 5, 6}},
	{"unresolved count", "unresolved:>0", 0, []int64{1}},
	{"unresolved none", "unresolved:0", 0, []int64{2, 3, 4, 5, 6}},
	{"has edit", "has:edit", alice, []int64{1, 4}}, // the edit of merged change 2 does not count
	{"has edit, someone else", "has:edit", bob, []int64{}},

	// time
	{"before", `before:"2024-01-01 07:00:00"`, 0, []int64{4, 5, 6}},
	{"before a day", "before:2024-01-01", 0, []int64{}},
	{"until", "until:2024-01-02", 0, []int64{1, 2, 3, 4, 5, 6}},
	{"after", `after:"2024-01-01 08:00:00"`, 0, []int64{1, 2, 3}},
	{"after with zone", `after:"2024-01-01 09:30:00 +0100"`, 0, []int64{1, 2}},
	{"since", "since:2024-01-02", 0, []int64{}},
	{"mergedbefore", "mergedbefore:2024-01-02", 0, []int64{2}},
	{"mergedafter", "mergedafter:2024-01-02", 0, []int64{}},
	{"age", "age:3h", 0, []int64{2, 3, 4, 5, 6}},
	{"younger", "-age:3h", 0, []int64{1}},
	{"age in days", "age:1d", 0, []int64{}},

	// sizes and kinds
	{"added", "added:>100", 0, []int64{2}},
	{"added exactly", "added:30", 0, []int64{1}},
	{"deleted", "deleted:>=300", 0, []int64{3}},
	{"delta", "delta:<10", 0, []int64{4, 5, 6}},
	{"size", "size:>100", 0, []int64{2, 3}},
	{"changekind", "changekind:TRIVIAL_REBASE", 0, []int64{1}},
	{"changekind lower case", "changekind:rework", 0, []int64{2, 3, 4, 5, 6}},
	{"submissionid", "submissionid:nope", 0, []int64{}},
	{"conflicts", "conflicts:1", 0, []int64{5}},
	{"parentof", "parentof:5", 0, []int64{1}},
	{"revertof", "revertof:2", 0, []int64{4}},
	{"revertof nothing", "revertof:3", 0, []int64{}},
	{"is cherrypick", "is:cherrypick", 0, []int64{5}},
	{"cherrypickof", "cherrypickof:1", 0, []int64{5}},
	{"cherrypickof patch set", "cherrypickof:1,1", 0, []int64{5}},
	{"cherrypickof another patch set", "cherrypickof:1,2", 0, []int64{}},
	{"cherrypickof project~number", "cherrypickof:alpha~1", 0, []int64{5}},
	{"cherrypickof project~number elsewhere", "cherrypickof:beta~1", 0, []int64{}},
	{"parentof a change on no change", "parentof:6", 0, []int64{}},
	{"reviewedby", "reviewedby:carol", 0, []int64{1}},
	{"reviewedby the owner", "reviewedby:alice", 0, []int64{}},
	{"reviewercount", "reviewercount:1", 0, []int64{1}},
	{"reviewercount none", "reviewercount:0", 0, []int64{2, 3, 4, 5, 6}},
	{"footer", "footer:Bug=42", 0, []int64{5}},
	{"is pure-revert", "is:pure-revert", 0, []int64{4}},
	{"footer with a colon, key in any case", `footer:"bug: 42"`, 0, []int64{5}},
	{"footer value is exact", "footer:Bug=4", 0, []int64{}},
	{"hasfooter", "hasfooter:change-id", 0, []int64{1}},
	{"a subject line is no footer", "hasfooter:Fix", 0, []int64{}},
	{"conflicts both ways", "conflicts:5", 0, []int64{1}},
	{"conflicts by Change-Id", "conflicts:" + key(1)[:10], 0, []int64{5}},
	{"conflicts of a closed change's branch", "conflicts:3", 0, []int64{}},
	{"gertty conflicts", "status:open is:mergeable conflicts:1", 0, []int64{5}},

	// default field
	{"word in a topic and message", "frob", 0, []int64{1}},
	{"word in a subject", "widget", 0, []int64{2}},
	{"word names an account", "alice", 0, []int64{1, 4}},
	{"word is a label", "Code-Review>=+2", 0, []int64{1, 2, 6}},
	{"self", "self", alice, []int64{1, 4}},
	{"word is a ref", "refs/meta/config", 0, []int64{6}},
	{"word is a project prefix", "beta", 0, []int64{3, 4}},
	{"word is a file", "Foo.java", 0, []int64{1}},
	{"word is a branch", "main", 0, []int64{1, 3, 4, 5}},
	{"word matches nothing", "zzz-nothing", 0, []int64{}},

	// combinations
	{"and", "status:open project:alpha", 0, []int64{1, 5}},
	{"or", "project:alpha OR project:gamma", 0, []int64{1, 2, 5, 6}},
	{"nested", "is:open (owner:alice OR owner:dave) -is:private", 0, []int64{1, 4}},
	{"not", "NOT status:open", 0, []int64{2, 3}},
	{"or with a go predicate", "is:submittable OR project:beta", 0, []int64{1, 3}},
	{"not a go predicate", "-is:mergeable is:open", 0, []int64{4, 6}},
	{"regex and label max", `project:"^(alpha|gamma)" -label:Code-Review=MAX`, 0, []int64{5}},
	{"label max or wip", "(label:Code-Review=MAX OR is:wip) -project:gamma", 0, []int64{1, 2, 3, 4}},
	{"git-review list", "project:alpha status:open", 0, []int64{1, 5}},
	{"ci bot", "status:open project:alpha branch:main -is:wip", 0, []int64{1, 5}},
	{"gertty commits", "commit:" + commitOf(2, 1) + " OR commit:" + commitOf(6, 1), 0, []int64{2, 6}},
	{"pygerrit2", "owner:self status:open", alice, []int64{1, 4}},
}

// testOptions are the options of the operator tests.
func testOptions(q db.Querier, caller int64) Options {
	return Options{
		Caller:    caller,
		Resolver:  dbResolver{q},
		Evaluator: &fakeEvaluator{},
		Clock:     clock.NewFake(t0.Add(12 * time.Hour)),
	}
}

func TestOperators(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		seedFixture(t, d)
		ctx := context.Background()
		for _, tc := range operatorTests {
			t.Run(tc.desc, func(t *testing.T) {
				cs, more, err := Run(ctx, d, tc.q, testOptions(d, tc.caller))
				if err != nil {
					t.Fatalf("Run(%q): %v", tc.q, err)
				}
				if got := numbers(cs); !slices.Equal(got, tc.want) || more {
					t.Errorf("Run(%q) = %v (more %v), want %v", tc.q, got, more, tc.want)
				}
			})
		}
	})
}

// TestMatchAgreesWithSQL runs every operator test the matcher supports
// through Match on each change of the fixture, loaded into Facts: both
// must say the same.
func TestMatchAgreesWithSQL(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	seedFixture(t, d)
	ctx := context.Background()
	facts := loadFacts(t, d)
	// Facts carry the current patch set only.
	differs := map[string]bool{"commit of an old patch set": true}
	checked := 0
	for _, tc := range operatorTests {
		if differs[tc.desc] {
			continue
		}
		n, err := Parse(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		opts := testOptions(d, tc.caller)
		m := &Matcher{Caller: tc.caller, Resolver: opts.Resolver, Evaluator: opts.Evaluator, Clock: opts.Clock}
		var got []int64
		unsupported := false
		for _, f := range facts {
			ok, err := m.Match(ctx, n, f)
			var qe *Error
			if errors.As(err, &qe) && strings.HasPrefix(qe.Msg, "Unsupported operator") {
				unsupported = true
				break
			}
			if err != nil {
				t.Fatalf("Match(%q) on change %d: %v", tc.q, f.C.Number, err)
			}
			if ok {
				got = append(got, f.C.Number)
			}
		}
		if unsupported {
			continue
		}
		checked++
		if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("Match(%q) matched %v, SQL %v", tc.q, got, tc.want)
		}
	}
	t.Logf("the matcher agreed with SQL on %d queries", checked)
	if checked < 100 {
		t.Errorf("the matcher checked only %d queries", checked)
	}
}

// loadFacts reads the fixture's changes into StaticFacts, newest first.
func loadFacts(t *testing.T, d *db.DB) []*StaticFacts {
	t.Helper()
	ctx := context.Background()
	cs, _, err := Run(ctx, d, "is:true", Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := change.NewStore(d)
	var out []*StaticFacts
	for _, c := range cs {
		f := &StaticFacts{C: c}
		pss, err := store.PatchSets(ctx, d, c.Number)
		if err != nil {
			t.Fatal(err)
		}
		for _, ps := range pss {
			if ps.Number == c.CurrentPS {
				f.PS = ps
			}
		}
		if f.FileList, err = store.Files(ctx, d, c.Number, c.CurrentPS); err != nil {
			t.Fatal(err)
		}
		votes, err := store.Approvals(ctx, d, c.Number)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range votes {
			if v.PatchSet == c.CurrentPS {
				f.Approvals = append(f.Approvals, v)
			}
		}
		comments, err := store.Comments(ctx, d, c.Number, 0)
		if err != nil {
			t.Fatal(err)
		}
		replied := map[string]bool{}
		for _, cm := range comments {
			replied[cm.InReplyTo] = true
		}
		for _, cm := range comments {
			if cm.Unresolved && !replied[cm.ID] {
				f.Unresolved++
			}
		}
		if f.LabelTypes, err = (dbResolver{d}).Labels(ctx, c.Project); err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

func TestOperatorErrors(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	seedFixture(t, d)
	tests := []struct {
		desc string
		q    string
		want string
		kind fail.Kind
	}{
		{"unknown operator", "foo:bar", "Unsupported operator foo:bar", fail.Invalid},
		{"unknown status", "status:foo", "Unrecognized value for status: foo", fail.Invalid},
		{"unknown is", "is:foo", "Unsupported operator is:foo", fail.Invalid},
		{"unknown has", "has:foo", "Unsupported operator has:foo", fail.Invalid},
		{"unknown account", "owner:nobody", "Account 'nobody' not found", fail.Invalid},
		{"unknown group", "ownerin:Nobodies", "Group Nobodies not found", fail.Invalid},
		{"self anonymously", "owner:self", MsgSignIn, fail.Forbidden},
		{"me anonymously", "reviewer:me", MsgSignIn, fail.Forbidden},
		{"is owner anonymously", "is:owner", MsgSignIn, fail.Forbidden},
		{"is starred anonymously", "status:open -is:starred", MsgSignIn, fail.Forbidden},
		{"has draft anonymously", "has:draft", MsgSignIn, fail.Forbidden},
		{"is watched anonymously", "is:watched", MsgSignIn, fail.Forbidden},
		{"bare self anonymously", "self", MsgSignIn, fail.Forbidden},
		{"label self anonymously", "label:Code-Review=2,user=self", MsgSignIn, fail.Forbidden},
		{"bad time", "before:yesterday", "Invalid date/time for before: yesterday", fail.Invalid},
		{"bad age", "age:soon", "Invalid age: soon", fail.Invalid},
		{"zero limit", "limit:0", "Invalid limit: 0", fail.Invalid},
		{"bad limit", "status:open limit:x", "Invalid limit: x", fail.Invalid},
		{"nested limit", "status:open OR limit:5", "limit:5 is only allowed at the top level", fail.Invalid},
		{"negated limit", "-limit:5", "limit:5 is only allowed at the top level", fail.Invalid},
		{"label unknown user", "label:Code-Review=2,user=nobody", "Account 'nobody' not found", fail.Invalid},
		{"label unknown user or group", "label:Code-Review=2,nobody", "Account or group 'nobody' not found", fail.Invalid},
		{"label unknown group", "label:Code-Review=2,group=Nobodies", "Group Nobodies not found", fail.Invalid},
		{"label count with user", "label:Code-Review=2,user=non_uploader,count=2", "Invalid label", fail.Invalid},
		{"label status with non_uploader", "label:Code-Review=ok,user=non_uploader", "Invalid label", fail.Invalid},
		{"bad change", "change:foo", "Invalid change id: foo", fail.Invalid},
		{"revertof a Change-Id", "revertof:I0123456789abcdef", "Unrecognized value for revertof: I0123456789abcdef", fail.Invalid},
		{"cherrypickof a bad patch set", "cherrypickof:1,x", "Unrecognized value for cherrypickof: 1,x", fail.Invalid},
		{"bad relation", "added:lots", "Unrecognized value for added: lots", fail.Invalid},
		{"bad regex", `project:"^("`, "Invalid regular expression: ^(", fail.Invalid},
		{"parse error", "(status:open", "missing closing parenthesis", fail.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			cs, _, err := Run(context.Background(), d, tc.q, testOptions(d, 0))
			if err == nil {
				t.Fatalf("Run(%q) = %v, want error %q", tc.q, numbers(cs), tc.want)
			}
			var qe *Error
			if !errors.As(err, &qe) || !strings.Contains(qe.Msg, tc.want) {
				t.Errorf("Run(%q) error = %v, want *Error containing %q", tc.q, err, tc.want)
			}
			if k := fail.KindOf(err); k != tc.kind {
				t.Errorf("Run(%q) error kind = %v, want %v", tc.q, k, tc.kind)
			}
			if fail.Message(err, "") != qe.Error() {
				t.Errorf("fail.Message = %q, want %q", fail.Message(err, ""), qe.Error())
			}
		})
	}
}

// TestPlaceholders checks that arguments are numbered in order of first
// appearance, as the db package requires.
func TestPlaceholders(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	n, err := Parse(`project:alpha (owner:alice OR label:Code-Review=2,user=carol) message:"x" -topic:y`)
	if err != nil {
		t.Fatal(err)
	}
	seedAccounts(t, d)
	p, err := Compile(context.Background(), n, testOptions(d, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, cur := range []*cursor{nil, {updated: 5, id: 7}} {
		query, args := p.page(cur, 10)
		next := 1
		for i := 0; i < len(query); i++ {
			if query[i] != '$' {
				continue
			}
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			var num int
			fmt.Sscan(query[i+1:j], &num)
			if num != next {
				t.Fatalf("placeholder $%d where $%d was due in %s", num, next, query)
			}
			next++
		}
		if next-1 != len(args) {
			t.Errorf("%d placeholders, %d args in %s", next-1, len(args), query)
		}
	}
}
