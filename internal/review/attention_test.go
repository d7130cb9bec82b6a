package review

import (
	"slices"
	"testing"

	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/fail"
)

// attention returns the user names in change n's attention set, sorted.
func (e *env) attention(n int64) []string {
	e.t.Helper()
	set, err := e.store.AttentionSet(e.ctx, e.db, n)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, a := range set {
		if a.InSet {
			acc, err := e.accounts.Get(e.ctx, a.AccountID)
			if err != nil {
				e.t.Fatal(err)
			}
			out = append(out, acc.Username)
		}
	}
	slices.Sort(out)
	return out
}

func (e *env) review(by *account.Account, n int64, in ReviewInput) {
	e.t.Helper()
	if res, err := e.svc.Review(e.ctx, e.subj(by), n, 0, in); err != nil || res.Error != "" {
		e.t.Fatalf("review by %s: %v %+v", by.Username, err, res)
	}
}

func TestAttentionRules(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.group(account.ServiceUsers, e.ci.ID)
		want := func(n int64, names ...string) {
			t.Helper()
			if got := e.attention(n); !slices.Equal(got, names) {
				t.Errorf("attention set of %d: %v, want %v", n, got, names)
			}
		}

		t.Run("a service user's reply wants the owner only with a negative vote", func(t *testing.T) {
			c := e.seed()
			e.review(e.ci, c.Number, ReviewInput{Message: "Build passed", Labels: map[string]int{"Code-Review": 1}})
			want(c.Number)
			e.review(e.ci, c.Number, ReviewInput{Message: "Build failed", Labels: map[string]int{"Code-Review": -1}})
			want(c.Number, "owner")
		})
		t.Run("a service user is never added as reviewer", func(t *testing.T) {
			c := e.seed()
			for _, who := range []string{"ci", "bob"} {
				if _, err := e.svc.AddReviewer(e.ctx, e.subj(e.owner), c.Number, ReviewerInput{Reviewer: who}); err != nil {
					t.Fatal(err)
				}
			}
			want(c.Number, "bob")
		})
		t.Run("a reply to a thread wants its participants", func(t *testing.T) {
			c := e.seed()
			e.review(e.alice, c.Number, ReviewInput{Comments: map[string][]CommentInput{"a.txt": {{Line: 1, Message: "Why?", Unresolved: ptr(true)}}}})
			want(c.Number, "owner")
			e.review(e.bob, c.Number, ReviewInput{Comments: map[string][]CommentInput{"b.txt": {{Line: 1, Message: "Elsewhere"}}}})
			comments, err := e.store.PublishedComments(e.ctx, e.db, c.Number)
			if err != nil {
				t.Fatal(err)
			}
			root := comments[slices.IndexFunc(comments, func(x change.Comment) bool { return x.Path == "a.txt" })].ID
			e.review(e.owner, c.Number, ReviewInput{Comments: map[string][]CommentInput{"a.txt": {{Line: 1, InReplyTo: root, Message: "Because"}}}})
			want(c.Number, "alice")
		})
		t.Run("work in progress wants nobody", func(t *testing.T) {
			c := e.seed(func(c *change.Change) { c.WIP = true })
			e.review(e.alice, c.Number, ReviewInput{Message: "Early thoughts", Reviewers: []ReviewerInput{{Reviewer: "bob"}}})
			want(c.Number)
		})
		t.Run("marking work in progress empties the set", func(t *testing.T) {
			c := e.seed()
			e.review(e.alice, c.Number, ReviewInput{Message: "Hm"})
			want(c.Number, "owner")
			if _, err := e.svc.SetWorkInProgress(e.ctx, e.subj(e.owner), c.Number, true, ""); err != nil {
				t.Fatal(err)
			}
			want(c.Number)
		})
		t.Run("a closed change wants its owner only for an unresolved comment", func(t *testing.T) {
			c := e.seed(setStatus(change.StatusMerged))
			e.review(e.alice, c.Number, ReviewInput{Message: "Nice"})
			want(c.Number)
			e.review(e.alice, c.Number, ReviewInput{Comments: map[string][]CommentInput{"a.txt": {{Line: 1, Message: "Bug here", Unresolved: ptr(true)}}}})
			want(c.Number, "owner")
		})
		t.Run("the same account cannot be added and removed at once", func(t *testing.T) {
			c := e.seed()
			_, err := e.svc.Review(e.ctx, e.subj(e.alice), c.Number, 0, ReviewInput{Message: "x",
				AddToAttentionSet:      []AttentionInput{{User: "bob", Reason: "r"}},
				RemoveFromAttentionSet: []AttentionInput{{User: "bob"}}})
			wantErr(t, err, fail.Invalid, "bob can not be added and removed from the attention set at the same time")
			want(c.Number)
		})
	})
}
