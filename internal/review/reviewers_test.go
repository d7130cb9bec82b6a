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

func TestAddReviewer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		if _, err := e.accounts.AddMember(e.ctx, e.blocked, e.carol.ID, e.carol.ID); err != nil {
			t.Fatal(err)
		}
		dave := e.account("dave", "Dave Doe")
		e.group("Big", e.alice.ID, e.bob.ID, e.carol.ID, dave.ID, e.owner.ID)
		limited := New(Options{DB: d, Changes: e.store, Policies: e.policies, Accounts: e.accounts, Matcher: exprMatcher{},
			Events: e.sink, Clock: e.clock, Logger: quiet, MaxReviewers: 3, MaxReviewersWithoutCheck: 1})
		tests := []struct {
			desc      string
			svc       *Service
			in        ReviewerInput
			reviewers []int64
			ccs       []int64
			errText   string
			confirm   bool
			roles     map[string]string
		}{
			{desc: "an account", in: ReviewerInput{Reviewer: "alice"}, reviewers: []int64{e.alice.ID},
				roles: map[string]string{"alice": "REVIEWER"}},
			{desc: "a CC by email", in: ReviewerInput{Reviewer: "bob@example.com", State: "CC"}, ccs: []int64{e.bob.ID},
				roles: map[string]string{"bob": "CC"}},
			{desc: "the owner is left out", in: ReviewerInput{Reviewer: "owner"}, roles: map[string]string{}},
			{desc: "nobody", in: ReviewerInput{Reviewer: "nobody"}, errText: "nobody does not identify a registered user or group", roles: map[string]string{}},
			{desc: "an account that cannot see the change", in: ReviewerInput{Reviewer: "carol"},
				errText: "carol does not have permission to see this change", roles: map[string]string{}},
			{desc: "a system group", in: ReviewerInput{Reviewer: "Registered Users"},
				errText: "The group Registered Users cannot be added as reviewer.", roles: map[string]string{}},
			{desc: "a group: members who can see it, not the owner", in: ReviewerInput{Reviewer: "Big"},
				reviewers: []int64{e.alice.ID, e.bob.ID, dave.ID}, roles: map[string]string{"alice": "REVIEWER", "bob": "REVIEWER", "dave": "REVIEWER"}},
			{desc: "a group by UUID as CCs", in: ReviewerInput{Reviewer: e.devs.UUID, State: "CC"},
				ccs: []int64{e.alice.ID, e.bob.ID}, roles: map[string]string{"alice": "CC", "bob": "CC"}},
			{desc: "a group to confirm", svc: limited, in: ReviewerInput{Reviewer: "Developers"}, confirm: true,
				errText: "The group Developers has 2 members. Do you want to add them all as reviewers?", roles: map[string]string{}},
			{desc: "a confirmed group", svc: limited, in: ReviewerInput{Reviewer: "Developers", Confirmed: true},
				reviewers: []int64{e.alice.ID, e.bob.ID}, roles: map[string]string{"alice": "REVIEWER", "bob": "REVIEWER"}},
			{desc: "a group too large", svc: limited, in: ReviewerInput{Reviewer: "Big", Confirmed: true},
				errText: "The group Big has too many members to add them all as reviewers.", roles: map[string]string{}},
			{desc: "a bad state", in: ReviewerInput{Reviewer: "alice", State: "BOSS"}, errText: "BOSS is not a valid reviewer state", roles: map[string]string{}},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				svc := tc.svc
				if svc == nil {
					svc = e.svc
				}
				c := e.seed()
				e.sink.take()
				res, err := svc.AddReviewer(e.ctx, e.subj(e.owner), c.Number, tc.in)
				if err != nil {
					t.Fatal(err)
				}
				var gotR, gotC []int64
				for _, r := range res.Reviewers {
					gotR = append(gotR, r.AccountID)
				}
				for _, r := range res.CCs {
					gotC = append(gotC, r.AccountID)
				}
				if !reflect.DeepEqual(gotR, tc.reviewers) || !reflect.DeepEqual(gotC, tc.ccs) || res.Error != tc.errText ||
					res.Confirm != tc.confirm || res.Input != tc.in.Reviewer {
					t.Errorf("result %+v; want reviewers %v ccs %v error %q confirm %v", res, tc.reviewers, tc.ccs, tc.errText, tc.confirm)
				}
				if got := e.roles(c.Number); !reflect.DeepEqual(got, tc.roles) {
					t.Errorf("roles %v, want %v", got, tc.roles)
				}
				var added []int64
				for _, ev := range e.sink.take() {
					if ev.Type != EventReviewerAdded || ev.Change == nil || ev.Change.Number != c.Number || ev.Actor != e.owner.ID {
						t.Errorf("event %+v", ev)
					}
					added = append(added, ev.Reviewer)
				}
				if !reflect.DeepEqual(added, tc.reviewers) {
					t.Errorf("reviewer-added for %v, want %v", added, tc.reviewers)
				}
				if len(e.messages(c.Number)) != 0 {
					t.Errorf("adding reviewers wrote messages %q", e.messages(c.Number))
				}
			})
		}

		t.Run("again, and from CC to reviewer", func(t *testing.T) {
			c := e.seed()
			e.vote(e.bob, c.Number, map[string]int{"Code-Review": 1})
			res, err := e.svc.AddReviewer(e.ctx, e.subj(e.owner), c.Number, ReviewerInput{Reviewer: "bob"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Reviewers) != 1 || !reflect.DeepEqual(res.Reviewers[0].Approvals, map[string]string{"Code-Review": "+1"}) {
				t.Errorf("result %+v", res)
			}
			e.sink.take()
			if _, err := e.svc.AddReviewer(e.ctx, e.subj(e.owner), c.Number, ReviewerInput{Reviewer: "alice", State: "CC"}); err != nil {
				t.Fatal(err)
			}
			res, err = e.svc.AddReviewer(e.ctx, e.subj(e.owner), c.Number, ReviewerInput{Reviewer: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Reviewers) != 1 || !reflect.DeepEqual(res.Reviewers[0].Approvals, map[string]string{"Code-Review": " 0"}) {
				t.Errorf("result %+v", res)
			}
			if got, want := e.sink.types(), []string{EventReviewerAdded}; !reflect.DeepEqual(got, want) {
				t.Errorf("events %v, want %v", got, want)
			}
			if got, want := e.roles(c.Number), map[string]string{"alice": "REVIEWER", "bob": "REVIEWER"}; !reflect.DeepEqual(got, want) {
				t.Errorf("roles %v, want %v", got, want)
			}
		})
	})
}

func TestRemoveReviewer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		type setup struct {
			who  *account.Account
			vote int // 0: CC by comment
		}
		tests := []struct {
			desc    string
			on      setup
			by      *account.Account
			kind    fail.Kind // Internal: success
			errText string
			msg     string
		}{
			{"the owner removes a positive reviewer", setup{e.alice, 1}, e.owner, fail.Internal, "",
				"Removed reviewer Alice Able with the following votes:\n\n* Code-Review+1 by Alice Able <alice@example.com>\n"},
			{"the owner cannot remove a negative vote", setup{e.bob, -1}, e.owner, fail.Forbidden, "remove reviewer not permitted", ""},
			{"anyone removes themselves", setup{e.bob, -1}, e.bob, fail.Internal, "",
				"Removed reviewer Bob Baker with the following votes:\n\n* Code-Review-1 by Bob Baker <bob@example.com>\n"},
			{"administrators remove anyone", setup{e.bob, -1}, e.admin, fail.Internal, "",
				"Removed reviewer Bob Baker with the following votes:\n\n* Code-Review-1 by Bob Baker <bob@example.com>\n"},
			{"others cannot", setup{e.bob, 1}, e.alice, fail.Forbidden, "remove reviewer not permitted", ""},
			{"a CC", setup{e.carol, 0}, e.carol, fail.Internal, "", "Removed cc carol."},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				c := e.seed()
				if tc.on.vote != 0 {
					e.vote(tc.on.who, c.Number, map[string]int{"Code-Review": tc.on.vote})
				} else if _, err := e.svc.Review(e.ctx, e.subj(tc.on.who), c.Number, 0, ReviewInput{Message: "cc me"}); err != nil {
					t.Fatal(err)
				}
				e.sink.take()
				err := e.svc.RemoveReviewer(e.ctx, e.subj(tc.by), c.Number, tc.on.who.ID)
				if tc.kind != fail.Internal {
					wantErr(t, err, tc.kind, tc.errText)
					if _, on := e.roles(c.Number)[tc.on.who.Username]; !on {
						t.Errorf("reviewer removed despite the error")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := e.roles(c.Number)[tc.on.who.Username]; got != change.StateRemoved {
					t.Errorf("state %q, want REMOVED", got)
				}
				if got := e.votes(c.Number, tc.on.who); len(got) != 0 {
					t.Errorf("votes left: %v", got)
				}
				if got := e.lastMessage(c.Number); got != tc.msg {
					t.Errorf("message %q, want %q", got, tc.msg)
				}
				evs := e.sink.take()
				if len(evs) != 1 || evs[0].Type != EventReviewerDeleted || evs[0].Reviewer != tc.on.who.ID || evs[0].Message != tc.msg {
					t.Fatalf("events %+v", evs)
				}
				if tc.on.vote != 0 {
					a := evs[0].Approvals[0]
					if a.Label != "Code-Review" || a.Value != 0 || a.OldValue == nil || *a.OldValue != tc.on.vote {
						t.Errorf("event approval %+v", a)
					}
				}
			})
		}

		c := e.seed()
		wantErr(t, e.svc.RemoveReviewer(e.ctx, e.subj(e.owner), c.Number, e.alice.ID), fail.NotFound, fmt.Sprintf("Not found: %d", e.alice.ID))

		e.vote(e.alice, c.Number, map[string]int{"Code-Review": 1})
		e.vote(e.bob, c.Number, map[string]int{"Code-Review": -1})
		removable, err := e.svc.RemovableReviewers(e.ctx, e.subj(e.owner), e.load(c.Number))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(removable, []int64{e.alice.ID}) {
			t.Errorf("removable by the owner: %v, want alice only", removable)
		}
		res, err := e.svc.AddReviewer(e.ctx, e.subj(e.alice), c.Number, ReviewerInput{Reviewer: "alice", State: "REMOVED"})
		if err != nil || !reflect.DeepEqual(res.Removed, []int64{e.alice.ID}) {
			t.Fatalf("remove through AddReviewer: %+v, %v", res, err)
		}
		if got := e.roles(c.Number)["alice"]; got != change.StateRemoved {
			t.Errorf("alice is %s", got)
		}
	})
}
