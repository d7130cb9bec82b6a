package query

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"tandem/internal/change"
	"tandem/internal/clock"
	"tandem/internal/fail"
)

// mapResolver resolves names from maps, for tests without a database.
type mapResolver struct {
	accounts map[string][]int64
	groups   map[string][]int64
}

func (r mapResolver) Accounts(_ context.Context, name string) ([]int64, error) {
	if ids, ok := r.accounts[name]; ok {
		return ids, nil
	}
	return nil, ErrNotFound
}

func (r mapResolver) GroupMembers(_ context.Context, group string) ([]int64, error) {
	if ids, ok := r.groups[group]; ok {
		return ids, nil
	}
	return nil, ErrNotFound
}

func (r mapResolver) Labels(context.Context, string) ([]LabelType, error)     { return nil, nil }
func (r mapResolver) Watches(context.Context, int64) ([]Watch, error)         { return nil, nil }
func (r mapResolver) ChildProjects(context.Context, string) ([]string, error) { return nil, nil }

var names = mapResolver{
	accounts: map[string][]int64{
		"alice": {alice}, "bob": {bob}, "carol": {carol}, "dave": {dave},
		"alice@example.com": {alice}, "bob@example.com": {bob}, "carol@example.com": {carol},
	},
	groups: map[string][]int64{"Reviewers": {carol, dave}, "Empty": {}},
}

// matchFacts: change 7 owned by alice, patch set 2 uploaded by bob as a
// trivial rebase (author alice, committer bob); Code-Review +2 from carol
// and -1 from bob, Verified +1 from dave; one unresolved thread; the vote
// a copyCondition judges is bob's Code-Review -2.
func matchFacts() *StaticFacts {
	return &StaticFacts{
		C: &change.Change{Number: 7, Project: "P", Branch: "refs/heads/main", Key: key(7), OwnerID: alice,
			Status: change.StatusNew, Subject: "Fix it", Topic: "t", CurrentPS: 2, Updated: t0.Add(10 * time.Hour)},
		PS: &change.PatchSet{Change: 7, Number: 2, Commit: commitOf(7, 2), UploaderID: bob, Kind: change.KindTrivialRebase,
			Author:    change.Person{Name: "Alice Anders", Email: "alice@example.com"},
			Committer: change.Person{Name: "Bob Brown", Email: "bob@example.com"},
			Message:   "Fix it\n\nBug: 7\n", Insertions: 10, Deletions: 2, Parents: []string{"x"}},
		Approvals: []change.Vote{
			{AccountID: carol, Label: "Code-Review", Value: 2},
			{AccountID: bob, Label: "Code-Review", Value: -1},
			{AccountID: dave, Label: "Verified", Value: 1},
			{AccountID: alice, Label: "Verified", Value: 0},
		},
		Unresolved: 1,
		FileList:   []change.File{{Path: "src/a.go"}, {Path: "docs/new.md", OldPath: "docs/old.md"}},
		LabelTypes: []LabelType{{Name: "Code-Review", Min: -2, Max: 2}, {Name: "Verified", Min: -1, Max: 1}},
		Approval:   &change.Vote{AccountID: bob, Label: "Code-Review", Value: -2},
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		desc   string
		q      string
		caller int64
		edit   func(f *StaticFacts)
		want   bool
	}{
		// labels
		{"max", "label:Code-Review=MAX", 0, nil, true},
		{"not min", "-label:Code-Review=MIN", 0, nil, true},
		{"min", "label:Code-Review=MIN", 0, nil, false},
		{"exact value", "label:Code-Review=-1", 0, nil, true},
		{"plus", "label:Code-Review+2", 0, nil, true},
		{"at least", "label:Code-Review>=1", 0, nil, true},
		{"at most", "label:Verified<=-1", 0, nil, false},
		{"zero", "label:Code-Review=0", 0, nil, false},
		{"zero on a label without votes", "label:Foo=0", 0, nil, true},
		{"zero vote does not count", "label:Verified=0,user=alice", 0, nil, true},
		{"any", "label:Verified=ANY", 0, nil, true},
		{"label name case", "label:code-review=2", 0, nil, true},
		{"max by non-uploader", "label:Code-Review=MAX,user=non_uploader", 0, nil, true},
		{"max by non-uploader, ampersand", "label:Code-Review=MAX&user=non_uploader", 0, nil, true},
		{"uploader's vote does not count", "label:Code-Review=-1,user=non_uploader", 0, nil, false},
		{"max by the uploader only", "label:Code-Review=MAX,user=non_uploader",
			0, func(f *StaticFacts) { f.PS.UploaderID = carol }, false},
		{"non_contributor excludes the author", "label:Code-Review=MAX,user=non_contributor",
			0, func(f *StaticFacts) { f.PS.Author.Email = "carol@example.com" }, false},
		{"non_contributor", "label:Code-Review=MAX,user=non_contributor", 0, nil, true},
		{"owner", "label:Code-Review=-1,owner", 0, nil, false},
		{"owner voted", "label:Code-Review>=1,owner", 0, func(f *StaticFacts) { f.C.OwnerID = carol }, true},
		{"user", "label:Code-Review=2,user=carol", 0, nil, true},
		{"user self", "label:Code-Review=-1,user=self", bob, nil, true},
		{"group", "label:Verified=MAX,group=Reviewers", 0, nil, true},
		{"bare group", "label:Code-Review=2,Reviewers", 0, nil, true},
		{"empty group", "label:Code-Review=2,group=Empty", 0, nil, false},
		{"count", "label:Code-Review=2,count=1", 0, nil, true},
		{"count of any", "label:Code-Review=ANY,count>=2", 0, nil, true},
		{"count too high", "label:Code-Review=ANY,count>2", 0, nil, false},
		{"count less never matches zero", "label:Code-Review=1,count<2", 0, nil, false},
		{"max of an unknown label", "label:Foo=MAX", 0, nil, false},
		{"label status", "label:Code-Review=ok", 0, func(f *StaticFacts) { f.C.Number = 1 }, true},
		{"label status by user", "label:Code-Review=ok,user=bob", 0, func(f *StaticFacts) { f.C.Number = 1 }, false},

		// submit requirements and copyConditions from All-Projects
		{"code-review requirement", "label:Code-Review=MAX,user=non_uploader AND -label:Code-Review=MIN", 0, nil, true},
		{"code-review requirement blocked", "label:Code-Review=MAX,user=non_uploader AND -label:Code-Review=MIN",
			0, func(f *StaticFacts) {
				f.Approvals = append(f.Approvals, change.Vote{AccountID: dave, Label: "Code-Review", Value: -2})
			}, false},
		{"unresolved applicable", "has:unresolved", 0, nil, true},
		{"unresolved requirement", "-has:unresolved", 0, nil, false},
		{"unresolved requirement met", "-has:unresolved", 0, func(f *StaticFacts) { f.Unresolved = 0 }, true},
		{"unresolved count", "unresolved:>0", 0, nil, true},
		{"copy code-review", "changekind:NO_CHANGE OR changekind:TRIVIAL_REBASE OR is:MIN", 0, nil, true},
		{"copy code-review on rework", "changekind:NO_CHANGE OR changekind:TRIVIAL_REBASE OR is:MIN",
			0, func(f *StaticFacts) { f.PS.Kind = change.KindRework; f.Approval.Value = 1 }, false},
		{"copy min on rework", "changekind:NO_CHANGE OR changekind:TRIVIAL_REBASE OR is:MIN",
			0, func(f *StaticFacts) { f.PS.Kind = change.KindRework }, true},
		{"copy verified", "changekind:NO_CODE_CHANGE", 0, nil, false},
		{"changekind case", "changekind:trivial_rebase", 0, nil, true},
		{"is max", "is:MAX", 0, nil, false},
		{"is any", "is:ANY", 0, nil, true},
		{"is negative", "is:NEGATIVE", 0, nil, true},
		{"is positive", "is:positive", 0, nil, false},
		{"approverin", "approverin:Reviewers", 0, nil, false},
		{"approverin member", "approverin:Reviewers", 0, func(f *StaticFacts) { f.Approval.AccountID = dave }, true},
		{"uploaderin", "uploaderin:Reviewers", 0, nil, false},

		// state and people
		{"is true", "is:true", 0, nil, true},
		{"is false", "is:false", 0, nil, false},
		{"is open", "is:open", 0, nil, true},
		{"status open", "status:open", 0, nil, true},
		{"is closed", "is:closed", 0, nil, false},
		{"merged", "status:merged", 0, func(f *StaticFacts) { f.C.Status = change.StatusMerged }, true},
		{"is wip", "is:wip", 0, nil, false},
		{"is private", "is:private", 0, func(f *StaticFacts) { f.C.Private = true }, true},
		{"owner", "owner:alice", 0, nil, true},
		{"owner by email", "owner:alice@example.com", 0, nil, true},
		{"owner self", "owner:self", alice, nil, true},
		{"is owner", "is:owner", bob, nil, false},
		{"ownerin", "ownerin:Reviewers", 0, nil, false},
		{"uploader", "uploader:bob", 0, nil, true},
		{"is uploader", "is:uploader", bob, nil, true},
		{"author", "author:anders", 0, nil, true},
		{"committer", "committer:bob@example.com", 0, nil, true},
		{"is merge", "is:merge", 0, nil, false},
		{"is submittable", "is:submittable", 0, func(f *StaticFacts) { f.C.Number = 1 }, true},
		{"is mergeable", "is:mergeable", 0, nil, false},

		// where and what
		{"project", "project:P", 0, nil, true},
		{"project regex", "project:^P.*", 0, nil, true},
		{"projects", "projects:Q", 0, nil, false},
		{"branch", "branch:main", 0, nil, true},
		{"branch regex", "branch:^ma.*", 0, nil, true},
		{"ref", "ref:refs/heads/main", 0, nil, true},
		{"topic", "topic:t", 0, nil, true},
		{"file", "file:src", 0, nil, true},
		{"file name", "file:a.go", 0, nil, true},
		{"file old path", "file:old.md", 0, nil, true},
		{"file regex", `file:^.*\.go`, 0, nil, true},
		{"file substring", "file:a.g", 0, nil, false},
		{"path", "path:src/a.go", 0, nil, true},
		{"path is exact", "path:a.go", 0, nil, false},
		{"dir", "dir:docs", 0, nil, true},
		{"ext", "ext:MD", 0, nil, true},
		{"message", "message:bug", 0, nil, true},
		{"subject", "subject:fix", 0, nil, true},
		{"change number", "change:7", 0, nil, true},
		{"bare number", "8", 0, nil, false},
		{"change key", "change:" + key(7)[:10], 0, nil, true},
		{"commit", "commit:" + commitOf(7, 2)[:8], 0, nil, true},
		{"added", "added:>=10", 0, nil, true},
		{"delta", "delta:12", 0, nil, true},
		{"before", "before:2024-01-02", 0, nil, true},
		{"after", `after:"2024-01-01 10:00:00"`, 0, nil, true},
		{"after, later", `after:"2024-01-01 10:00:01"`, 0, nil, false},
		{"age", "age:1h", 0, nil, true},
		{"age, younger", "age:3h", 0, nil, false},

		// logic
		{"and", "is:open label:Verified+1", 0, nil, true},
		{"and, one false", "is:open label:Verified-1", 0, nil, false},
		{"or", "is:closed OR label:Verified+1", 0, nil, true},
		{"not", "NOT is:closed", 0, nil, true},
		{"nested", "-(is:closed OR -has:unresolved) project:P", 0, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			n, err := Parse(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			f := matchFacts()
			if tc.edit != nil {
				tc.edit(f)
			}
			m := &Matcher{Caller: tc.caller, Resolver: names, Evaluator: &fakeEvaluator{}, Clock: clock.NewFake(t0.Add(12 * time.Hour))}
			got, err := m.Match(context.Background(), n, f)
			if err != nil {
				t.Fatalf("Match(%q): %v", tc.q, err)
			}
			if got != tc.want {
				t.Errorf("Match(%q) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}
}

func TestMatchErrors(t *testing.T) {
	tests := []struct {
		desc string
		q    string
		edit func(f *StaticFacts)
		want string
		kind fail.Kind
	}{
		{"no reviewers in facts", "reviewer:carol", nil, "Unsupported operator reviewer:carol", fail.Invalid},
		{"unknown operator", "foo:bar", nil, "Unsupported operator foo:bar", fail.Invalid},
		{"is min outside a copyCondition", "is:MIN", func(f *StaticFacts) { f.Approval = nil }, "Operator is:MIN is only allowed in a copyCondition", fail.Invalid},
		{"approverin outside a copyCondition", "approverin:Reviewers", func(f *StaticFacts) { f.Approval = nil }, "only allowed in a copyCondition", fail.Invalid},
		{"self anonymously", "owner:self", nil, MsgSignIn, fail.Forbidden},
		{"unknown account", "label:Code-Review=2,user=zed", nil, "Account 'zed' not found", fail.Invalid},
		{"unknown group", "uploaderin:Nobody", nil, "Group Nobody not found", fail.Invalid},
		{"bad label", "label:Code-Review=x", nil, "Invalid label", fail.Invalid},
		{"bad status", "status:sleeping", nil, "Unrecognized value for status: sleeping", fail.Invalid},
		{"bad change", "change:x~y", nil, "Invalid change id: x~y", fail.Invalid},
		{"limit", "limit:5", nil, "Unsupported operator limit:5", fail.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			n, err := Parse(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			f := matchFacts()
			if tc.edit != nil {
				tc.edit(f)
			}
			m := &Matcher{Resolver: names}
			got, err := m.Match(context.Background(), n, f)
			var qe *Error
			if !errors.As(err, &qe) || !strings.Contains(qe.Msg, tc.want) {
				t.Fatalf("Match(%q) = %v, %v; want *Error containing %q", tc.q, got, err, tc.want)
			}
			if k := fail.KindOf(err); k != tc.kind {
				t.Errorf("Match(%q) error kind %v, want %v", tc.q, k, tc.kind)
			}
		})
	}
}

// lazyFacts counts what Match loads.
type lazyFacts struct {
	*StaticFacts
	loads int
}

func (f *lazyFacts) Files(ctx context.Context) ([]change.File, error) {
	f.loads++
	return f.StaticFacts.Files(ctx)
}

func TestMatchLoadsOnlyWhatItNeeds(t *testing.T) {
	f := &lazyFacts{StaticFacts: matchFacts()}
	n, err := Parse("is:closed file:src")
	if err != nil {
		t.Fatal(err)
	}
	ok, err := (&Matcher{}).Match(context.Background(), n, f)
	if err != nil || ok {
		t.Fatalf("Match = %v, %v; want false", ok, err)
	}
	if f.loads != 0 {
		t.Errorf("files loaded %d times after is:closed decided", f.loads)
	}
}
