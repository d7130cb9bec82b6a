package review

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/fail"
)

func TestAbandonRestore(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.setProject("p", `[label "Lock"]
	function = PatchSetLock
	value = 0 Unlocked
	value = +1 Locked
[access "refs/heads/*"]
	label-Lock = +0..+1 group Registered Users
	abandon = group Developers
`)
		type op func(ctx context.Context, s access.Subject, n int64, msg string) (*change.Change, error)
		abandon, restore := e.svc.Abandon, e.svc.Restore
		tests := []struct {
			desc    string
			from    change.Status
			op      op
			by      *account.Account
			msg     string
			lock    bool
			kind    fail.Kind // Internal: success
			errText string
			want    change.Status
			message string
			event   string
		}{
			{desc: "owner abandons", from: change.StatusNew, op: abandon, by: e.owner, msg: " not needed ",
				want: change.StatusAbandoned, message: "Abandoned\n\nnot needed", event: EventChangeAbandoned},
			{desc: "holder of abandon", from: change.StatusNew, op: abandon, by: e.alice,
				want: change.StatusAbandoned, message: "Abandoned", event: EventChangeAbandoned},
			{desc: "administrator", from: change.StatusNew, op: abandon, by: e.admin,
				want: change.StatusAbandoned, message: "Abandoned", event: EventChangeAbandoned},
			{desc: "stranger", from: change.StatusNew, op: abandon, by: e.carol, kind: fail.Forbidden, errText: "not permitted: abandon"},
			{desc: "abandoned twice", from: change.StatusAbandoned, op: abandon, by: e.owner, kind: fail.Conflict, errText: "change is abandoned"},
			{desc: "abandon merged", from: change.StatusMerged, op: abandon, by: e.owner, kind: fail.Conflict, errText: "change is merged"},
			{desc: "locked patch set", from: change.StatusNew, op: abandon, by: e.owner, lock: true, kind: fail.Conflict,
				errText: "The current patch set of change %d is locked"},
			{desc: "owner restores", from: change.StatusAbandoned, op: restore, by: e.owner, msg: "back",
				want: change.StatusNew, message: "Restored\n\nback", event: EventChangeRestored},
			{desc: "restore new", from: change.StatusNew, op: restore, by: e.owner, kind: fail.Conflict, errText: "change is new"},
			{desc: "restore merged", from: change.StatusMerged, op: restore, by: e.owner, kind: fail.Conflict, errText: "change is merged"},
			{desc: "stranger restores", from: change.StatusAbandoned, op: restore, by: e.carol, kind: fail.Forbidden, errText: "not permitted: restore"},
			{desc: "anonymous", from: change.StatusNew, op: abandon, kind: fail.Unauthorized, errText: "Authentication required"},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				c := e.seed(setStatus(tc.from))
				if tc.lock {
					e.vote(e.bob, c.Number, map[string]int{"Lock": 1})
				}
				e.sink.take()
				subj := access.Anonymous()
				if tc.by != nil {
					subj = e.subj(tc.by)
				}
				before := len(e.messages(c.Number))
				got, err := tc.op(e.ctx, subj, c.Number, tc.msg)
				if tc.kind != fail.Internal {
					wantErr(t, err, tc.kind, strings.ReplaceAll(tc.errText, "%d", fmt.Sprint(c.Number)))
					if st := e.get(c.Number).Status; st != tc.from {
						t.Errorf("status changed to %s", st)
					}
					if len(e.messages(c.Number)) != before {
						t.Errorf("a message was written")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != tc.want || e.get(c.Number).Status != tc.want {
					t.Errorf("status %s, want %s", got.Status, tc.want)
				}
				if m := e.lastMessage(c.Number); m != tc.message {
					t.Errorf("message %q, want %q", m, tc.message)
				}
				evs := e.sink.take()
				if len(evs) != 1 || evs[0].Type != tc.event || evs[0].Message != strings.TrimSpace(tc.msg) || evs[0].PatchSet == nil ||
					evs[0].Change.Status != tc.want || evs[0].Actor != tc.by.ID {
					t.Errorf("events %+v, want %s", evs, tc.event)
				}
			})
		}
	})
}

func TestTopicAndHashtags(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.seed()
		owner := e.subj(e.owner)
		for _, step := range []struct{ topic, msg, old string }{
			{"feature", "Topic set to feature", ""},
			{" other ", "Topic changed from feature to other", "feature"},
			{"", "Topic other removed", "other"},
		} {
			got, err := e.svc.SetTopic(e.ctx, owner, c.Number, step.topic)
			if err != nil {
				t.Fatal(err)
			}
			if got.Topic != strings.TrimSpace(step.topic) || e.lastMessage(c.Number) != step.msg {
				t.Errorf("topic %q message %q, want %q", got.Topic, e.lastMessage(c.Number), step.msg)
			}
			if evs := e.sink.take(); len(evs) != 1 || evs[0].Type != EventTopicChanged || evs[0].OldTopic != step.old {
				t.Errorf("events %+v", evs)
			}
		}
		before := len(e.messages(c.Number))
		if _, err := e.svc.SetTopic(e.ctx, owner, c.Number, ""); err != nil || len(e.messages(c.Number)) != before {
			t.Errorf("unchanged topic: %v, %d messages", err, len(e.messages(c.Number))-before)
		}
		_, err := e.svc.SetTopic(e.ctx, e.subj(e.alice), c.Number, "mine")
		wantErr(t, err, fail.Forbidden, "not permitted: edit topic name")
		_, err = e.svc.SetTopic(e.ctx, owner, c.Number, strings.Repeat("x", 2049))
		wantErr(t, err, fail.Invalid, "topic length exceeds the limit (2048)")
		if _, err := e.svc.SetTopic(e.ctx, e.subj(e.admin), c.Number, "admin"); err != nil {
			t.Errorf("administrator edits the topic: %v", err)
		}

		e.sink.take()
		for _, step := range []struct {
			add, remove, want []string
			msg               string
		}{
			{[]string{"#b", " a "}, nil, []string{"a", "b"}, "Hashtags added: a, b"},
			{[]string{"c", "a"}, []string{"a"}, []string{"b", "c"}, "Hashtag added: c\nHashtag removed: a"},
		} {
			got, err := e.svc.EditHashtags(e.ctx, owner, c.Number, step.add, step.remove)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, step.want) || e.lastMessage(c.Number) != step.msg {
				t.Errorf("hashtags %v message %q; want %v %q", got, e.lastMessage(c.Number), step.want, step.msg)
			}
			if evs := e.sink.take(); len(evs) != 1 || evs[0].Type != EventHashtagsChanged || !reflect.DeepEqual(evs[0].Hashtags, step.want) {
				t.Errorf("events %+v", evs)
			}
		}
		if got, err := e.svc.EditHashtags(e.ctx, owner, c.Number, []string{"b"}, []string{"zzz"}); err != nil || !reflect.DeepEqual(got, []string{"b", "c"}) {
			t.Errorf("no-op edit: %v, %v", got, err)
		}
		_, err = e.svc.EditHashtags(e.ctx, owner, c.Number, []string{"a,b"}, nil)
		wantErr(t, err, fail.Invalid, "hashtags may not contain commas")
		_, err = e.svc.EditHashtags(e.ctx, e.subj(e.alice), c.Number, []string{"x"}, nil)
		wantErr(t, err, fail.Forbidden, "not permitted: edit hashtags")
	})
}

func TestWorkInProgressAndPrivate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.seed(func(c *change.Change) { c.Reviewed = false })
		owner := e.subj(e.owner)
		if _, err := e.svc.SetWorkInProgress(e.ctx, owner, c.Number, true, ""); err != nil {
			t.Fatal(err)
		}
		if got := e.get(c.Number); !got.WIP || e.lastMessage(c.Number) != "Set Work In Progress" {
			t.Errorf("wip %v, message %q", got.WIP, e.lastMessage(c.Number))
		}
		_, err := e.svc.SetWorkInProgress(e.ctx, owner, c.Number, true, "")
		wantErr(t, err, fail.Conflict, "change is already work in progress")
		_, err = e.svc.SetWorkInProgress(e.ctx, e.subj(e.alice), c.Number, false, "")
		wantErr(t, err, fail.Forbidden, "not permitted: toggle work in progress state")
		if _, err := e.svc.SetWorkInProgress(e.ctx, owner, c.Number, false, "please look"); err != nil {
			t.Fatal(err)
		}
		if got := e.get(c.Number); got.WIP || !got.Reviewed || e.lastMessage(c.Number) != "Set Ready For Review\n\nplease look" {
			t.Errorf("wip %v, review started %v, message %q", got.WIP, got.Reviewed, e.lastMessage(c.Number))
		}
		_, err = e.svc.SetWorkInProgress(e.ctx, owner, c.Number, false, "")
		wantErr(t, err, fail.Conflict, "change is not work in progress")
		if got := e.sink.types(); !reflect.DeepEqual(got, []string{EventWIPStateChanged, EventWIPStateChanged}) {
			t.Errorf("events %v", got)
		}
		abandoned := e.seed(setStatus(change.StatusAbandoned))
		_, err = e.svc.SetWorkInProgress(e.ctx, owner, abandoned.Number, true, "")
		wantErr(t, err, fail.Conflict, "change is abandoned")

		visible := func(a *account.Account) bool {
			t.Helper()
			ok, err := e.svc.Visible(e.ctx, e.db, e.subj(a), e.get(c.Number))
			if err != nil {
				t.Fatal(err)
			}
			// The predicate for queries agrees.
			if many, err := e.svc.VisibleTo(e.subj(a))(e.ctx, e.get(c.Number)); err != nil || many != ok {
				t.Fatalf("VisibleTo = %v, %v; Visible = %v", many, err, ok)
			}
			return ok
		}
		if !visible(e.bob) {
			t.Fatalf("bob cannot see a public change")
		}
		_, err = e.svc.SetPrivate(e.ctx, e.subj(e.alice), c.Number, true, "")
		wantErr(t, err, fail.Forbidden, "not allowed to mark private")
		if _, err := e.svc.SetPrivate(e.ctx, owner, c.Number, true, ""); err != nil {
			t.Fatal(err)
		}
		if !e.get(c.Number).Private || e.lastMessage(c.Number) != "Set private" {
			t.Errorf("private %v, message %q", e.get(c.Number).Private, e.lastMessage(c.Number))
		}
		if visible(e.bob) || !visible(e.owner) {
			t.Errorf("private change: bob sees it %v, owner %v", visible(e.bob), visible(e.owner))
		}
		if _, err := e.svc.AddReviewer(e.ctx, owner, c.Number, ReviewerInput{Reviewer: "bob", State: "CC"}); err != nil {
			t.Fatal(err)
		}
		if !visible(e.bob) {
			t.Errorf("a CC cannot see the private change")
		}
		before := len(e.messages(c.Number))
		if _, err := e.svc.SetPrivate(e.ctx, owner, c.Number, true, ""); err != nil || len(e.messages(c.Number)) != before {
			t.Errorf("private again: %v, %d new messages", err, len(e.messages(c.Number))-before)
		}
		if _, err := e.svc.SetPrivate(e.ctx, owner, c.Number, false, "public now"); err != nil {
			t.Fatal(err)
		}
		if e.get(c.Number).Private || e.lastMessage(c.Number) != "Unset private\n\npublic now" {
			t.Errorf("private %v, message %q", e.get(c.Number).Private, e.lastMessage(c.Number))
		}
		_, err = e.svc.SetPrivate(e.ctx, owner, c.Number, false, "")
		wantErr(t, err, fail.Conflict, "change is not private")
		_, err = e.svc.SetPrivate(e.ctx, owner, e.seed(setStatus(change.StatusMerged)).Number, true, "")
		wantErr(t, err, fail.Conflict, "change is merged")
		if got := e.sink.types(); !reflect.DeepEqual(got, []string{EventPrivateStateChanged, EventPrivateStateChanged}) {
			t.Errorf("events %v", got)
		}

		if err := e.svc.SetStar(e.ctx, e.subj(e.bob), c.Number, true); err != nil {
			t.Fatal(err)
		}
		starred, err := e.store.Starred(e.ctx, e.db, e.bob.ID, c.Number)
		if err != nil || !starred[c.Number] {
			t.Errorf("starred %v, %v", starred, err)
		}
		wantErr(t, e.svc.SetStar(e.ctx, e.subj(e.bob), 9999, true), fail.NotFound, "Not found: 9999")
	})
}
