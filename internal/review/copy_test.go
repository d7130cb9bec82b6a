package review

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/project"
)

func TestParseExpr(t *testing.T) {
	tests := []struct {
		desc, in, want string // want: the atoms that pass when every atom holds, or the error's start
		err            bool
	}{
		{"one atom", "is:MIN", "is:MIN", false},
		{"or", "changekind:NO_CHANGE OR is:MIN", "changekind:NO_CHANGE is:MIN", false},
		{"juxtaposition is and; atoms pass whatever negates them", "label:A=MAX -label:A=MIN", "label:A=MAX label:A=MIN", false},
		{"parentheses and not", "NOT (is:MIN AND is:MAX)", "is:MIN is:MAX", false},
		{"quoted value", `uploaderin:"Service Users"`, `uploaderin:"Service Users"`, false},
		{"empty", "  ", "empty expression", true},
		{"dangling or", "is:MIN OR", "expression ends early", true},
		{"unbalanced", "(is:MIN", "missing )", true},
		{"not field:value", "MIN", `"MIN" is not of the form field:value`, true},
		{"unterminated quote", `is:"MIN`, "unterminated quote", true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			e, err := parseExpr(tc.in)
			if tc.err {
				if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
					t.Fatalf("parseExpr(%q) error = %v, want %q", tc.in, err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseExpr(%q): %v", tc.in, err)
			}
			_, pass, _, err := evalExpr(e, func(atom) (bool, error) { return true, nil })
			if err != nil || strings.Join(pass, " ") != tc.want {
				t.Errorf("atoms of %q = %q, %v; want %q", tc.in, pass, err, tc.want)
			}
		})
	}
}

func TestCopyConditionMatches(t *testing.T) {
	cr := project.CodeReviewLabel()
	defaultCond := cr.CopyCondition // changekind:NO_CHANGE OR changekind:TRIVIAL_REBASE OR is:MIN
	tests := []struct {
		desc  string
		cond  string
		kind  string
		value int
		merge bool
		want  bool
	}{
		{"default: +2 survives no change", defaultCond, change.KindNoChange, 2, false, true},
		{"default: +2 survives trivial rebase", defaultCond, change.KindTrivialRebase, 2, false, true},
		{"default: +2 lost on rework", defaultCond, change.KindRework, 2, false, false},
		{"default: +2 lost on message update", defaultCond, change.KindNoCodeChange, 2, false, false},
		{"default: -2 always sticks", defaultCond, change.KindRework, -2, false, true},
		{"default: -1 lost on rework", defaultCond, change.KindRework, -1, false, false},
		{"no code change matches no change", "changekind:NO_CODE_CHANGE", change.KindNoChange, 1, false, true},
		{"no code change matches itself", "changekind:NO_CODE_CHANGE", change.KindNoCodeChange, 1, false, true},
		{"no code change is not a rebase", "changekind:NO_CODE_CHANGE", change.KindTrivialRebase, 1, false, false},
		{"trivial rebase with message update is wider", "changekind:TRIVIAL_REBASE_WITH_MESSAGE_UPDATE", change.KindNoCodeChange, 1, false, true},
		{"trivial rebase is not a message update", "changekind:TRIVIAL_REBASE", change.KindTrivialRebaseWithMessageUpdate, 1, false, false},
		{"rework matches everything", "changekind:REWORK", change.KindRework, 1, false, true},
		{"first parent update needs a merge", "changekind:MERGE_FIRST_PARENT_UPDATE", change.KindMergeFirstParentUpdate, 1, false, false},
		{"first parent update of a merge", "changekind:MERGE_FIRST_PARENT_UPDATE", change.KindMergeFirstParentUpdate, 1, true, true},
		{"is:MAX", "is:MAX", change.KindRework, 2, false, true},
		{"is:MAX not +1", "is:MAX", change.KindRework, 1, false, false},
		{"is:ANY", "is:ANY", change.KindRework, -1, false, true},
		{"is:POSITIVE", "is:POSITIVE", change.KindRework, 1, false, true},
		{"is:NEGATIVE", "is:NEGATIVE", change.KindRework, 1, false, false},
		{"exact value", "is:-1", change.KindRework, -1, false, true},
		{"and", "changekind:TRIVIAL_REBASE is:MAX", change.KindTrivialRebase, 1, false, false},
		{"not", "-changekind:REWORK OR is:MIN", change.KindRework, -2, false, true},
		{"lower case kind", "changekind:no_change", change.KindNoChange, 1, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := CopyConditionMatches(tc.cond, CopyContext{Label: cr, Vote: change.Vote{Label: cr.Name, Value: tc.value},
				Kind: tc.kind, IsMerge: tc.merge})
			if err != nil || got != tc.want {
				t.Errorf("CopyConditionMatches(%q) on %s %+d = %v, %v; want %v", tc.cond, tc.kind, tc.value, got, err, tc.want)
			}
		})
	}
	for _, bad := range []string{"changekind:SOMETHING", "is:HIGH", "label:Code-Review=MAX", "approverin:x", "has:unchanged-files"} {
		if _, err := CopyConditionMatches(bad, CopyContext{Label: cr, Kind: change.KindRework}); err == nil {
			t.Errorf("CopyConditionMatches(%q) accepted; want an error", bad)
		}
	}
}

func TestCopyVotes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.setProject("p", `[label "Verified"]
	function = NoBlock
	value = -1 Fails
	value = 0 No score
	value = +1 Verified
	copyCondition = changekind:NO_CODE_CHANGE OR has:unchanged-files
[label "Lint"]
	function = NoBlock
	value = -1 Bad
	value = 0 No score
	value = +1 Good
	copyCondition = approverin:Developers
[access "refs/heads/*"]
	label-Verified = -1..+1 group Administrators
	label-Lint = -1..+1 group Registered Users
`)
		names := map[int64]string{e.admin.ID: "admin", e.bob.ID: "bob"}
		tests := []struct {
			desc  string
			kind  string
			files []change.File
			want  []string
		}{
			{"rework keeps votes of approvers in a group", change.KindRework, []change.File{{Path: "a.txt", Status: "M"}},
				[]string{"bob:Lint=1"}},
			{"trivial rebase keeps Code-Review", change.KindTrivialRebase, []change.File{{Path: "a.txt", Status: "M"}},
				[]string{"admin:Code-Review=2", "bob:Code-Review=-1", "bob:Lint=1"}},
			{"no code change keeps Verified", change.KindNoCodeChange, []change.File{{Path: "a.txt", Status: "M"}},
				[]string{"admin:Verified=1", "bob:Lint=1"}},
			{"rework touching the same files keeps Verified", change.KindRework, testFiles("M"),
				[]string{"admin:Verified=1", "bob:Lint=1"}},
			{"no change keeps Code-Review and Verified", change.KindNoChange, testFiles("M"),
				[]string{"admin:Code-Review=2", "admin:Verified=1", "bob:Code-Review=-1", "bob:Lint=1"}},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				c := e.seed()
				e.vote(e.admin, c.Number, map[string]int{"Code-Review": 2, "Verified": 1, "Lint": 1})
				e.vote(e.bob, c.Number, map[string]int{"Code-Review": -1, "Lint": 1})
				copied := e.addPatchSet(c, tc.kind, tc.files)
				var got []string
				for _, v := range copied {
					got = append(got, names[v.AccountID]+":"+v.Label+"="+strconv.Itoa(v.Value))
				}
				slices.Sort(got)
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("copied %v, want %v", got, tc.want)
				}
				var stored, want []string
				for _, v := range e.votes(c.Number, e.bob) {
					if strings.HasSuffix(v, "@2 copied") {
						stored = append(stored, "bob:"+strings.TrimSuffix(v, "@2 copied"))
					}
				}
				for _, w := range tc.want {
					if strings.HasPrefix(w, "bob:") {
						want = append(want, w)
					}
				}
				slices.Sort(stored)
				if !reflect.DeepEqual(stored, want) {
					t.Errorf("bob's votes stored on patch set 2 = %v, want %v", stored, want)
				}
				snap := e.load(c.Number)
				ev, err := e.svc.Evaluate(e.ctx, snap)
				if err != nil {
					t.Fatal(err)
				}
				wantSubmittable := slices.Contains(tc.want, "admin:Code-Review=2")
				if ev.Submittable != wantSubmittable {
					t.Errorf("submittable after copy = %v (%v), want %v", ev.Submittable, ev.Problems, wantSubmittable)
				}
			})
		}
	})
}
