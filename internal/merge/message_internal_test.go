package merge

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"tandem/internal/change"
)

func TestMergeMessage(t *testing.T) {
	changes := map[string]*ChangeInput{}
	made := 0
	mk := func(n int, subject, topic string) *commit {
		made++
		oid := fmt.Sprintf("%040d", made)
		changes[oid] = &ChangeInput{Number: n, ChangeID: "I" + strings.Repeat(string(rune('0'+n)), 40), Topic: topic}
		return &commit{oid: oid, message: subject + "\n\nBody.\n"}
	}
	of := func(oid string) *ChangeInput { return changes[oid] }
	tests := []struct {
		desc   string
		branch string
		merged []*commit
		want   string
	}{
		{desc: "one change", branch: "refs/heads/master", merged: []*commit{mk(1, "Fix it", "")}, want: `Merge "Fix it"`},
		{desc: "one change, other branch", branch: "refs/heads/main", merged: []*commit{mk(1, "Fix it", "t")}, want: `Merge "Fix it" into main`},
		{desc: "several changes", branch: "refs/heads/master", merged: []*commit{mk(2, "Two", ""), mk(1, "One", "")},
			want: "Merge changes I22222222,I11111111\n\n* changes:\n  Two\n  One\n"},
		{desc: "one topic", branch: "refs/heads/stable", merged: []*commit{mk(2, "Two", "t"), mk(1, "One", "t")},
			want: "Merge changes from topic \"t\" into stable\n\n* changes:\n  Two\n  One\n"},
		{desc: "two topics", branch: "refs/heads/master", merged: []*commit{mk(2, "Two", "b"), mk(1, "One", "a"), mk(3, "Three", "")},
			want: "Merge changes from topics \"a\", \"b\"\n\n* changes:\n  Two\n  One\n  Three\n"},
		{desc: "more than five", branch: "refs/heads/master",
			merged: []*commit{mk(1, "1", ""), mk(2, "2", ""), mk(3, "3", ""), mk(4, "4", ""), mk(5, "5", ""), mk(6, "6", "")},
			want:   "Merge changes I11111111,I22222222,I33333333,I44444444,I55555555, ...\n\n* changes:\n  1\n  2\n  3\n  4\n  5\n  6\n"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := mergeMessage(tc.branch, tc.merged, of); got != tc.want {
				t.Errorf("mergeMessage = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSubject(t *testing.T) {
	tests := []struct{ desc, in, want string }{
		{desc: "one line", in: "Fix it\n", want: "Fix it"},
		{desc: "paragraph", in: "Fix\nit\n\nBody\n", want: "Fix it"},
		{desc: "leading blank lines", in: "\n\nFix\n", want: "Fix"},
		{desc: "no newline", in: "Fix", want: "Fix"},
		{desc: "empty", in: "", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := subject(tc.in); got != tc.want {
				t.Errorf("subject(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestDetailedMessage(t *testing.T) {
	c := &ChangeInput{
		Number: 7, ChangeID: "I0123456789abcdef0123456789abcdef01234567",
		Footers: change.SubmitFooters{ReviewedOn: "https://r/c/p/+/7", Votes: []change.SubmitVote{
			{Label: "Code-Review", Name: "Rev", Email: "rev@example.com"},
			{Label: "Code-Review", Name: "Self", Email: "self@example.com"},
			{Label: "Verified", Name: "Bot", Email: "bot@example.com"},
		}},
	}
	const tail = "Reviewed-on: https://r/c/p/+/7\nReviewed-by: Rev <rev@example.com>\nReviewed-by: Self <self@example.com>\nTested-by: Bot <bot@example.com>\n"
	const id = "Change-Id: I0123456789abcdef0123456789abcdef01234567\n"
	tests := []struct{ desc, in, want string }{
		{desc: "no footers", in: "Subject\n\nBody.\n", want: "Subject\n\nBody.\n\n" + id + tail},
		{desc: "missing final newline", in: "Subject", want: "Subject\n\n" + id + tail},
		{desc: "empty message", in: "", want: "<no commit message provided>\n\n" + id + tail},
		{desc: "has its Change-Id", in: "Subject\n\n" + id, want: "Subject\n\n" + id + tail},
		{desc: "another Change-Id", in: "Subject\n\nChange-Id: Iother\n", want: "Subject\n\nChange-Id: Iother\n" + id + tail},
		{desc: "footers already there", in: "Subject\n\n" + id + "Reviewed-on: https://r/c/p/+/7\nTested-by: Bot <bot@example.com>\n",
			want: "Subject\n\n" + id + "Reviewed-on: https://r/c/p/+/7\nTested-by: Bot <bot@example.com>\n" +
				"Reviewed-by: Rev <rev@example.com>\nReviewed-by: Self <self@example.com>\n"},
		{desc: "signed off by a reviewer", in: "Subject\n\nSigned-off-by: Self <self@example.com>\n",
			want: "Subject\n\nSigned-off-by: Self <self@example.com>\n" + id +
				"Reviewed-on: https://r/c/p/+/7\nReviewed-by: Rev <rev@example.com>\nTested-by: Bot <bot@example.com>\n"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := detailedMessage(tc.in, c); got != tc.want {
				t.Errorf("detailedMessage(%q) =\n%q\nwant\n%q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseMergeTree(t *testing.T) {
	tree := strings.Repeat("a", 40)
	tests := []struct {
		desc            string
		in              string
		conflicts, auto []string
		wantErr         bool
	}{
		{desc: "clean", in: tree + "\x00\x00"},
		{desc: "auto-merged", in: tree + "\x00\x001\x00f\x00Auto-merging\x00Auto-merging f\n\x00", auto: []string{"f"}},
		{desc: "conflicts", in: tree + "\x00f\x00g\x00\x001\x00f\x00Auto-merging\x00Auto-merging f\n\x001\x00f\x00CONFLICT (contents)\x00CONFLICT (content): Merge conflict in f\n\x00",
			conflicts: []string{"f", "g"}, auto: []string{"f"}},
		{desc: "rename message", in: tree + "\x00\x002\x00a\x00b\x00CONFLICT (rename/delete)\x00text\n\x00"},
		{desc: "no tree", in: "fatal\n", wantErr: true},
		{desc: "bad count", in: tree + "\x00\x00x\x00", wantErr: true},
		{desc: "short message", in: tree + "\x00\x003\x00a\x00", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, conflicts, auto, err := parseMergeTree([]byte(tc.in))
			if tc.wantErr {
				if err == nil {
					t.Errorf("parseMergeTree = %q, want an error", got)
				}
				return
			}
			if err != nil || got != tree || !slices.Equal(conflicts, tc.conflicts) || !slices.Equal(auto, tc.auto) {
				t.Errorf("parseMergeTree = %q %q %q %v, want %q %q", got, conflicts, auto, err, tc.conflicts, tc.auto)
			}
		})
	}
}

func TestFormatProblems(t *testing.T) {
	got := FormatProblems(2, []Problem{
		{Change: 3, Status: NotFastForward},
		{Change: 4, Status: MissingDependency, Detail: "Commit a depends on commit b which cannot be merged."},
	})
	want := "Failed to submit 2 changes due to the following problems:\n" +
		"Change 3: Project policy requires all submissions to be a fast-forward. Please rebase the change locally and upload again for review.\n" +
		"Change 4: Depends on change that was not submitted. Commit a depends on commit b which cannot be merged."
	if got != want {
		t.Errorf("FormatProblems =\n%q\nwant\n%q", got, want)
	}
}
