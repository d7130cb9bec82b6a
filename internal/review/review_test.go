package review

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/fail"
)

const verifiedLabel = `[label "Verified"]
	function = MaxWithBlock
	value = -1 Fails
	value = 0 No score
	value = +1 Verified
	allowPostSubmit = false
[access "refs/heads/*"]
	label-Verified = -1..+1 group Administrators
`

func ptr[T any](v T) *T { return &v }

func TestReviewMessagesAndVotes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.setProject("p", verifiedLabel)
		type step struct {
			by *account.Account
			in ReviewInput
		}
		tests := []struct {
			desc     string
			status   change.Status
			before   []step // reviews posted first
			by       *account.Account
			in       ReviewInput
			wantMsg  string // "" means no new message
			wantVote []string
		}{
			{desc: "one vote", by: e.alice, in: ReviewInput{Labels: map[string]int{"Code-Review": 1}},
				wantMsg: "Patch Set 1: Code-Review+1", wantVote: []string{"Code-Review=1@1"}},
			{desc: "votes sorted by label", by: e.admin, in: ReviewInput{Labels: map[string]int{"Verified": 1, "code-review": 2}},
				wantMsg: "Patch Set 1: Code-Review+2 Verified+1", wantVote: []string{"Code-Review=2@1", "Verified=1@1"}},
			{desc: "message only", by: e.bob, in: ReviewInput{Message: "  Looks fine  "},
				wantMsg: "Patch Set 1:\n\nLooks fine"},
			{desc: "vote, comments and text", by: e.alice, in: ReviewInput{Labels: map[string]int{"Code-Review": -1}, Message: "See inline",
				Comments: map[string][]CommentInput{"a.txt": {{Line: 1, Message: "why?"}, {Line: 2, Message: " "}}, "b.txt": {{Message: "file"}}}},
				wantMsg: "Patch Set 1: Code-Review-1\n\n(2 comments)\n\nSee inline", wantVote: []string{"Code-Review=-1@1"}},
			{desc: "one comment", by: e.bob, in: ReviewInput{Comments: map[string][]CommentInput{"/COMMIT_MSG": {{Line: 1, Message: "typo"}}}},
				wantMsg: "Patch Set 1:\n\n(1 comment)"},
			{desc: "removing a vote", before: []step{{e.alice, ReviewInput{Labels: map[string]int{"Code-Review": 1}}}},
				by: e.alice, in: ReviewInput{Labels: map[string]int{"Code-Review": 0}}, wantMsg: "Patch Set 1: -Code-Review"},
			{desc: "the same vote again says nothing", before: []step{{e.alice, ReviewInput{Labels: map[string]int{"Code-Review": 1}}}},
				by: e.alice, in: ReviewInput{Labels: map[string]int{"Code-Review": 1}}, wantMsg: "", wantVote: []string{"Code-Review=1@1"}},
			{desc: "removing a vote never given says nothing", by: e.alice, in: ReviewInput{Labels: map[string]int{"Code-Review": 0}}, wantMsg: ""},
			{desc: "unknown labels are ignored", by: e.alice, in: ReviewInput{Labels: map[string]int{"Foo": 1, "Code-Review": 1}},
				wantMsg: "Patch Set 1: Code-Review+1", wantVote: []string{"Code-Review=1@1"}},
			{desc: "comments on an abandoned change", status: change.StatusAbandoned, by: e.alice, in: ReviewInput{Message: "why?"},
				wantMsg: "Patch Set 1:\n\nwhy?"},
			{desc: "owner votes on their change", by: e.owner, in: ReviewInput{Labels: map[string]int{"Code-Review": 1}},
				wantMsg: "Patch Set 1: Code-Review+1", wantVote: []string{"Code-Review=1@1"}},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				c := e.seed()
				if tc.status != "" {
					c = e.seed(setStatus(tc.status))
				}
				for _, s := range tc.before {
					if _, err := e.svc.Review(e.ctx, e.subj(s.by), c.Number, 0, s.in); err != nil {
						t.Fatal(err)
					}
				}
				before := len(e.messages(c.Number))
				e.sink.take()
				res, err := e.svc.Review(e.ctx, e.subj(tc.by), c.Number, 0, tc.in)
				if err != nil {
					t.Fatal(err)
				}
				msgs := e.messages(c.Number)
				switch {
				case tc.wantMsg == "" && len(msgs) != before:
					t.Errorf("a message was written: %q", msgs[len(msgs)-1])
				case tc.wantMsg != "" && (len(msgs) != before+1 || msgs[len(msgs)-1] != tc.wantMsg):
					t.Errorf("messages %q, want last %q", msgs, tc.wantMsg)
				}
				if tc.wantMsg != "" && (res.Message == nil || res.Message.Message != tc.wantMsg) {
					t.Errorf("result message %+v, want %q", res.Message, tc.wantMsg)
				}
				if got := e.votes(c.Number, tc.by); !reflect.DeepEqual(got, tc.wantVote) {
					t.Errorf("votes %v, want %v", got, tc.wantVote)
				}
				evs := e.sink.take()
				if tc.wantMsg != "" {
					if len(evs) != 1 || evs[0].Type != EventCommentAdded || evs[0].Message != tc.wantMsg || evs[0].Actor != tc.by.ID {
						t.Errorf("events %+v, want one comment-added", evs)
					}
				} else if len(evs) != 0 {
					t.Errorf("events %+v, want none", evs)
				}
			})
		}
	})
}

func TestReviewErrors(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.setProject("p", verifiedLabel)
		merged := e.seed(setStatus(change.StatusMerged))
		e.vote(e.alice, merged.Number, map[string]int{"Code-Review": 1})
		tests := []struct {
			desc string
			subj access.Subject
			n    int64
			in   ReviewInput
			kind fail.Kind
			msg  string
		}{
			{"anonymous", access.Anonymous(), 0, ReviewInput{Message: "hi"}, fail.Unauthorized, "Authentication required"},
			{"not a value", e.subj(e.admin), 0, ReviewInput{Labels: map[string]int{"Code-Review": 3}}, fail.Invalid, `label "Code-Review": 3 is not a valid value`},
			{"outside the range", e.subj(e.alice), 0, ReviewInput{Labels: map[string]int{"Code-Review": 2}}, fail.Forbidden, `Applying label "Code-Review": 2 is restricted`},
			{"no range at all", e.subj(e.alice), 0, ReviewInput{Labels: map[string]int{"Verified": 1}}, fail.Forbidden, `Applying label "Verified": 1 is restricted`},
			{"ready and wip", e.subj(e.owner), 0, ReviewInput{Ready: true, WorkInProgress: true}, fail.Invalid, "work_in_progress and ready are mutually exclusive"},
			{"wip by a stranger", e.subj(e.alice), 0, ReviewInput{WorkInProgress: true}, fail.Forbidden, "not permitted: toggle work in progress state"},
			{"bad drafts value", e.subj(e.alice), 0, ReviewInput{Drafts: "SOME"}, fail.Invalid, `invalid drafts value "SOME"`},
			{"vote on an abandoned change", e.subj(e.alice), -1, ReviewInput{Labels: map[string]int{"Code-Review": 1}}, fail.Conflict, "change is closed"},
			{"lowering a vote after submit", e.subj(e.alice), merged.Number, ReviewInput{Labels: map[string]int{"Code-Review": -1}}, fail.Conflict,
				"Cannot reduce vote on labels for closed change: Code-Review"},
			{"removing a vote after submit", e.subj(e.alice), merged.Number, ReviewInput{Labels: map[string]int{"Code-Review": 0}}, fail.Conflict,
				"Cannot reduce vote on labels for closed change: Code-Review"},
			{"label without post-submit votes", e.subj(e.admin), merged.Number, ReviewInput{Labels: map[string]int{"Verified": 1}}, fail.Conflict,
				"Voting on labels disallowed after submit: Verified"},
			{"comment on a file not in the revision", e.subj(e.alice), 0, ReviewInput{Comments: map[string][]CommentInput{"c.txt": {{Message: "x"}}}},
				fail.Invalid, "file c.txt not found in revision %d,1"},
			{"negative line", e.subj(e.alice), 0, ReviewInput{Comments: map[string][]CommentInput{"a.txt": {{Line: -1, Message: "x"}}}},
				fail.Invalid, "negative line number -1 not allowed on a.txt"},
			{"bad range", e.subj(e.alice), 0, ReviewInput{Comments: map[string][]CommentInput{"a.txt": {{Range: &change.Range{StartLine: 3, EndLine: 2}, Message: "x"}}}},
				fail.Invalid, "Range (3:0 - 2:0) is not valid for the comment on a.txt"},
			{"reply to nothing", e.subj(e.alice), 0, ReviewInput{Comments: map[string][]CommentInput{"a.txt": {{InReplyTo: "nope", Message: "x"}}}},
				fail.Unprocessable, "Invalid parentUuid supplied for comment"},
			{"unknown patch set", e.subj(e.alice), -2, ReviewInput{Message: "x"}, fail.NotFound, "Not found: %d,7"},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				c := e.seed()
				n, ps, msg := tc.n, 0, tc.msg
				switch n {
				case 0:
					n = c.Number
				case -1:
					n = e.seed(setStatus(change.StatusAbandoned)).Number
				case -2:
					n, ps = c.Number, 7
				}
				if tc.msg != "" && (tc.kind == fail.NotFound || tc.desc == "comment on a file not in the revision") {
					msg = fmt.Sprintf(tc.msg, n)
				}
				before := e.votes(n, e.alice)
				_, err := e.svc.Review(e.ctx, tc.subj, n, ps, tc.in)
				wantErr(t, err, tc.kind, msg)
				if got := e.votes(n, e.alice); !reflect.DeepEqual(got, before) {
					t.Errorf("votes changed to %v by a failed review", got)
				}
			})
		}

		t.Run("strict labels", func(t *testing.T) {
			strict := New(Options{DB: d, Changes: e.store, Policies: e.policies, Accounts: e.accounts, Matcher: exprMatcher{},
				Clock: e.clock, Logger: quiet, StrictLabels: true})
			_, err := strict.Review(e.ctx, e.subj(e.alice), e.seed().Number, 0, ReviewInput{Labels: map[string]int{"Foo": 1}})
			wantErr(t, err, fail.Invalid, `label "Foo" is not a configured label`)
		})

		t.Run("raising a vote after submit", func(t *testing.T) {
			e.vote(e.admin, merged.Number, map[string]int{"Code-Review": 2})
			if got, want := e.votes(merged.Number, e.admin), []string{"Code-Review=2@1 post-submit"}; !reflect.DeepEqual(got, want) {
				t.Errorf("votes %v, want %v", got, want)
			}
			e.vote(e.alice, merged.Number, map[string]int{"Code-Review": 1}) // unchanged: no error
		})
	})
}

func TestReviewRoles(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.seed()
		comment := ReviewInput{Message: "hm"}
		steps := []struct {
			desc string
			by   *account.Account
			in   ReviewInput
			want map[string]string
		}{
			{"a vote makes a reviewer", e.alice, ReviewInput{Labels: map[string]int{"Code-Review": 1}}, map[string]string{"alice": "REVIEWER"}},
			{"a comment makes a CC", e.bob, comment, map[string]string{"alice": "REVIEWER", "bob": "CC"}},
			{"a reviewer commenting stays reviewer", e.alice, comment, map[string]string{"alice": "REVIEWER", "bob": "CC"}},
			{"a CC voting becomes reviewer", e.bob, ReviewInput{Labels: map[string]int{"Code-Review": -1}}, map[string]string{"alice": "REVIEWER", "bob": "REVIEWER"}},
			{"the owner is never on the list", e.owner, ReviewInput{Labels: map[string]int{"Code-Review": 1}, Message: "mine"}, map[string]string{"alice": "REVIEWER", "bob": "REVIEWER"}},
			{"reviewers named in a review", e.alice, ReviewInput{Reviewers: []ReviewerInput{{Reviewer: "carol", State: "CC"}, {Reviewer: "ci"}}},
				map[string]string{"alice": "REVIEWER", "bob": "REVIEWER", "carol": "CC", "ci": "REVIEWER"}},
		}
		for _, s := range steps {
			if _, err := e.svc.Review(e.ctx, e.subj(s.by), c.Number, 0, s.in); err != nil {
				t.Fatalf("%s: %v", s.desc, err)
			}
			if got := e.roles(c.Number); !reflect.DeepEqual(got, s.want) {
				t.Errorf("%s: roles %v, want %v", s.desc, got, s.want)
			}
		}
		if got := e.sink.types(); !slices.Contains(got, EventReviewerAdded) {
			t.Errorf("events %v lack reviewer-added", got)
		}

		res, err := e.svc.Review(e.ctx, e.subj(e.alice), c.Number, 0, ReviewInput{Message: "x", Reviewers: []ReviewerInput{{Reviewer: "nobody"}}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Error != "error adding reviewer" || res.Reviewers["nobody"].Error != "nobody does not identify a registered user or group" {
			t.Errorf("result %+v %+v, want an error adding nobody", res, res.Reviewers["nobody"])
		}
		if got := e.lastMessage(c.Number); got == "Patch Set 1:\n\nx" {
			t.Errorf("a review with a bad reviewer was written")
		}
	})
}

func TestReviewWorkInProgress(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.seed(func(c *change.Change) { c.WIP, c.Reviewed = true, false })
		res, err := e.svc.Review(e.ctx, e.subj(e.owner), c.Number, 0, ReviewInput{Ready: true})
		if err != nil {
			t.Fatal(err)
		}
		got := e.get(c.Number)
		if got.WIP || !got.Reviewed || !res.Ready {
			t.Errorf("after ready: wip %v, review started %v, result ready %v", got.WIP, got.Reviewed, res.Ready)
		}
		if msg := e.lastMessage(c.Number); msg != "Patch Set 1:\n\nThis change is ready for review." {
			t.Errorf("message %q", msg)
		}
		if types := e.sink.types(); !reflect.DeepEqual(types, []string{EventCommentAdded, EventWIPStateChanged}) {
			t.Errorf("events %v", types)
		}
		if _, err := e.svc.Review(e.ctx, e.subj(e.owner), c.Number, 0, ReviewInput{WorkInProgress: true, Message: "wait"}); err != nil {
			t.Fatal(err)
		}
		if got := e.get(c.Number); !got.WIP || !got.Reviewed {
			t.Errorf("after wip: wip %v, review started %v", got.WIP, got.Reviewed)
		}
	})
}

func TestReviewEvent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.setProject("p", verifiedLabel)
		c := e.seed()
		e.vote(e.admin, c.Number, map[string]int{"Code-Review": 1})
		e.sink.take()
		committed := e.committed.Load()
		e.clock.Advance(61e9)
		e.vote(e.admin, c.Number, map[string]int{"Code-Review": 2, "Verified": 1})
		evs := e.sink.take()
		if len(evs) != 1 {
			t.Fatalf("events %+v, want one", evs)
		}
		ev := evs[0]
		one := 1
		zero := 0
		want := []EventApproval{{Label: "Code-Review", Value: 2, OldValue: &one}, {Label: "Verified", Value: 1, OldValue: &zero}}
		if !reflect.DeepEqual(ev.Approvals, want) || ev.PatchSet.Number != 1 || ev.Change.Number != c.Number || !ev.When.Equal(e.clock.Now()) {
			t.Errorf("event %+v approvals %+v, want %+v", ev, ev.Approvals, want)
		}
		if e.committed.Load() != committed+1 {
			t.Errorf("Committed called %d times, want 1", e.committed.Load()-committed)
		}
		if got := e.get(c.Number); !got.Updated.Equal(e.clock.Now()) {
			t.Errorf("updated %v, want %v", got.Updated, e.clock.Now())
		}
	})
}

// TestConcurrentReviews posts reviews on one change at once: transactions
// that collide are re-run by db.Tx, and each review lands exactly once.
func TestConcurrentReviews(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.seed()
		voters := []*account.Account{e.admin, e.alice, e.bob, e.ci, e.carol}
		subjects := make([]access.Subject, len(voters))
		for i, v := range voters {
			subjects[i] = e.subj(v)
		}
		errs := make(chan error, len(voters))
		for i := range voters {
			go func() {
				_, err := e.svc.Review(e.ctx, subjects[i], c.Number, 0, ReviewInput{Labels: map[string]int{"Code-Review": 1},
					Message: fmt.Sprintf("from %d", i), Comments: map[string][]CommentInput{"a.txt": {{Line: i + 1, Message: "here"}}}})
				errs <- err
			}()
		}
		for range voters {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if got := len(e.messages(c.Number)); got != len(voters) {
			t.Errorf("%d messages, want %d", got, len(voters))
		}
		if got := len(e.comments(c.Number, 0)); got != 1 {
			// Same text on every line: keyed by message, so one entry.
			t.Errorf("comments by text: %d", got)
		}
		all, err := e.store.Comments(e.ctx, e.db, c.Number, 0)
		if err != nil || len(all) != len(voters) {
			t.Errorf("%d comments, %v; want %d", len(all), err, len(voters))
		}
		roles := e.roles(c.Number)
		for _, v := range voters {
			if roles[v.Username] != change.StateReviewer || len(e.votes(c.Number, v)) != 1 {
				t.Errorf("%s: role %q votes %v", v.Username, roles[v.Username], e.votes(c.Number, v))
			}
		}
	})
}
