package review

import (
	"fmt"
	"reflect"
	"testing"

	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/fail"
)

func TestReviewOnBehalfOf(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.setProject("p", `[access "refs/heads/*"]
	labelAs-Code-Review = -1..+1 group Developers
	labelAs-Code-Review = -2..+2 group Administrators
`)
		c := e.seed()
		private := e.seed(func(c *change.Change) { c.Private = true })
		tests := []struct {
			desc    string
			by      *account.Account
			c       *change.Change
			in      ReviewInput
			kind    fail.Kind
			errText string
		}{
			{desc: "vote outside the labelAs range", by: e.alice, c: c,
				in:   ReviewInput{OnBehalfOf: "carol", Labels: map[string]int{"Code-Review": 2}},
				kind: fail.Forbidden, errText: `not permitted to modify label "Code-Review" on behalf of "carol"`},
			{desc: "no labelAs at all", by: e.carol, c: c, in: ReviewInput{OnBehalfOf: "alice", Labels: map[string]int{"Code-Review": 1}},
				kind: fail.Forbidden, errText: `not permitted to modify label "Code-Review" on behalf of "alice"`},
			{desc: "no votes", by: e.alice, c: c, in: ReviewInput{OnBehalfOf: "carol", Message: "hi"},
				kind: fail.Forbidden, errText: `label required to post review on behalf of "carol"`},
			{desc: "publishing another's drafts", by: e.alice, c: c,
				in:   ReviewInput{OnBehalfOf: "carol", Labels: map[string]int{"Code-Review": 1}, Drafts: DraftsPublish},
				kind: fail.Invalid, errText: "not allowed to modify other user's drafts"},
			{desc: "unknown account", by: e.alice, c: c, in: ReviewInput{OnBehalfOf: "nobody", Labels: map[string]int{"Code-Review": 1}},
				kind: fail.Unprocessable, errText: "Account 'nobody' not found"},
			{desc: "target cannot see the change", by: e.admin, c: private,
				in:   ReviewInput{OnBehalfOf: "carol", Labels: map[string]int{"Code-Review": 1}},
				kind: fail.Unprocessable, errText: fmt.Sprintf("on_behalf_of account %d cannot see change", e.carol.ID)},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				before := len(e.messages(tc.c.Number))
				_, err := e.svc.Review(e.ctx, e.subj(tc.by), tc.c.Number, 0, tc.in)
				wantErr(t, err, tc.kind, tc.errText)
				if len(e.messages(tc.c.Number)) != before {
					t.Errorf("a message was written")
				}
			})
		}

		// alice votes for carol: the vote, message and event are carol's,
		// alice is the message's real author.
		e.sink.take()
		res, err := e.svc.Review(e.ctx, e.subj(e.alice), c.Number, 0,
			ReviewInput{OnBehalfOf: "carol", Labels: map[string]int{"Code-Review": 1}, Message: "CI says fine"})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.votes(c.Number, e.carol); !reflect.DeepEqual(got, []string{"Code-Review=1@1"}) || len(e.votes(c.Number, e.alice)) != 0 {
			t.Errorf("votes of carol %v, of alice %v", got, e.votes(c.Number, e.alice))
		}
		if m := res.Message; m == nil || m.AuthorID != e.carol.ID || m.RealAuthorID != e.alice.ID {
			t.Errorf("message %+v", m)
		}
		ms, err := e.store.Messages(e.ctx, e.db, c.Number)
		if err != nil {
			t.Fatal(err)
		}
		if last := ms[len(ms)-1]; last.AuthorID != e.carol.ID || last.RealAuthorID != e.alice.ID {
			t.Errorf("stored message %+v", last)
		}
		if evs := e.sink.take(); len(evs) == 0 || evs[len(evs)-1].Type != EventCommentAdded || evs[len(evs)-1].Actor != e.carol.ID {
			t.Errorf("events %+v", evs)
		}
		// On one's own behalf is a plain review.
		if _, err := e.svc.Review(e.ctx, e.subj(e.alice), c.Number, 0,
			ReviewInput{OnBehalfOf: "alice", Labels: map[string]int{"Code-Review": 1}}); err != nil {
			t.Fatal(err)
		}
	})
}
