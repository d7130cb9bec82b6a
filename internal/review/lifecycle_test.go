package review

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/fail"
)

// Code-Review blocks through its submit requirement (function NoBlock);
// Verified through its function, so its -1 is a veto.
const lifecycleConfig = `[label "Verified"]
	function = MaxWithBlock
	value = -1 Fails
	value = 0 No score
	value = +1 Verified
[access "refs/heads/*"]
	label-Verified = -1..+1 group Registered Users
	deleteOwnChanges = group Developers
`

func TestDelete(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.setProject("p", lifecycleConfig)
		ownedBy := func(a *account.Account) func(*change.Change) { return func(c *change.Change) { c.OwnerID = a.ID } }
		tests := []struct {
			desc    string
			opts    []func(*change.Change)
			by      *account.Account
			merged  bool // patch set 1 is on the branch
			kind    fail.Kind
			errText string
		}{
			{desc: "owner holding deleteOwnChanges", opts: []func(*change.Change){ownedBy(e.alice)}, by: e.alice},
			{desc: "owner without deleteOwnChanges", by: e.owner, kind: fail.Forbidden, errText: "delete not permitted"},
			{desc: "deleteOwnChanges is for own changes", by: e.bob, kind: fail.Forbidden, errText: "delete not permitted"},
			{desc: "administrator", by: e.admin},
			{desc: "abandoned", opts: []func(*change.Change){setStatus(change.StatusAbandoned)}, by: e.admin},
			{desc: "merged", opts: []func(*change.Change){setStatus(change.StatusMerged)}, by: e.admin,
				kind: fail.NotAllowed, errText: "Deleting merged change %d is not allowed"},
			{desc: "patch set on the branch", by: e.admin, merged: true,
				kind: fail.Conflict, errText: "Cannot delete change %d: patch set 1 is already merged"},
			{desc: "anonymous", kind: fail.Unauthorized, errText: "Authentication required"},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				c := e.seed(tc.opts...)
				if c.Status == change.StatusNew {
					e.vote(e.bob, c.Number, map[string]int{"Code-Review": 1})
				}
				ps := e.patchSet(c, 1, change.KindRework)
				e.repos.merged[ps.Commit] = tc.merged
				e.sink.take()
				subj := access.Anonymous()
				if tc.by != nil {
					subj = e.subj(tc.by)
				}
				err := e.svc.Delete(e.ctx, subj, c.Number)
				if tc.kind != fail.Internal {
					wantErr(t, err, tc.kind, strings.ReplaceAll(tc.errText, "%d", fmt.Sprint(c.Number)))
					if got := e.get(c.Number); got.Status != c.Status {
						t.Errorf("status changed to %s", got.Status)
					}
					if _, gone := e.repos.deleted[ps.Ref()]; gone || len(e.sink.take()) != 0 {
						t.Errorf("refs deleted or events emitted")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.store.Get(e.ctx, e.db, c.Number); !fail.Is(err, fail.NotFound) {
					t.Fatalf("change still there: %v", err)
				}
				if votes := e.votes(c.Number, e.bob); len(votes) != 0 || len(e.messages(c.Number)) != 0 {
					t.Errorf("rows left behind: votes %v, messages %v", votes, e.messages(c.Number))
				}
				if e.repos.deleted[ps.Ref()] != ps.Commit {
					t.Errorf("deleted refs %v, want %s at %s", e.repos.deleted, ps.Ref(), ps.Commit)
				}
				evs := e.sink.take()
				if len(evs) != 1 || evs[0].Type != EventChangeDeleted || evs[0].Actor != tc.by.ID || evs[0].Change.Number != c.Number {
					t.Errorf("events %+v, want one change-deleted", evs)
				}
			})
		}
		if err := e.svc.Delete(e.ctx, e.subj(e.admin), 999); !fail.Is(err, fail.NotFound) {
			t.Errorf("delete of an unknown change: %v", err)
		}
	})
}

func TestMove(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.setProject("p", lifecycleConfig)
		tests := []struct {
			desc    string
			opts    []func(*change.Change)
			by      *account.Account
			in      MoveInput
			setup   func(c *change.Change)
			kind    fail.Kind
			errText string
			votes   map[string][]string // kept votes by username
		}{
			{desc: "owner moves; only the veto stays", by: e.owner, in: MoveInput{Branch: "stable", Message: " why "},
				votes: map[string][]string{"admin": nil, "bob": {"Verified=-1@1"}}},
			{desc: "full ref name", by: e.owner, in: MoveInput{Branch: "refs/heads/stable"},
				votes: map[string][]string{"admin": nil, "bob": {"Verified=-1@1"}}},
			{desc: "administrator keeps all votes", by: e.admin, in: MoveInput{Branch: "stable", KeepAllVotes: true},
				votes: map[string][]string{"admin": {"Code-Review=-2@1"}, "bob": {"Code-Review=1@1", "Verified=-1@1"}}},
			{desc: "keeping all votes takes an administrator", by: e.owner, in: MoveInput{Branch: "stable", KeepAllVotes: true},
				kind: fail.Forbidden, errText: "move is not permitted with keepAllVotes option"},
			{desc: "stranger", by: e.carol, in: MoveInput{Branch: "stable"}, kind: fail.Forbidden, errText: "move not permitted"},
			{desc: "same branch", by: e.owner, in: MoveInput{Branch: "main"}, kind: fail.Conflict,
				errText: "Change is already destined for the specified branch"},
			{desc: "missing branch", by: e.owner, in: MoveInput{Branch: "nope"}, kind: fail.Conflict,
				errText: "Destination refs/heads/nope not found in the project"},
			{desc: "abandoned", opts: []func(*change.Change){setStatus(change.StatusAbandoned)}, by: e.owner,
				in: MoveInput{Branch: "stable"}, kind: fail.Conflict, errText: "Change is abandoned"},
			{desc: "already on the destination", by: e.owner, in: MoveInput{Branch: "stable"},
				setup: func(c *change.Change) { e.repos.merged[e.patchSet(c, 1, "").Commit] = true },
				kind:  fail.Conflict, errText: "Current patchset revision is reachable from tip of refs/heads/stable"},
			{desc: "same Change-Id on the destination", by: e.owner, in: MoveInput{Branch: "stable"},
				setup: func(c *change.Change) {
					other := e.seed(func(o *change.Change) { o.Branch = "refs/heads/stable" })
					if _, err := e.db.Exec(e.ctx, `UPDATE changes SET change_key = $1 WHERE id = $2`, c.Key, other.Number); err != nil {
						t.Fatal(err)
					}
				},
				kind: fail.Conflict, errText: "Destination stable has a different change with same change key %k"},
			{desc: "merge commit", by: e.owner, in: MoveInput{Branch: "stable"}, setup: e.addMergePatchSet,
				kind: fail.Conflict, errText: "Merge commit cannot be moved"},
			{desc: "no destination", by: e.owner, kind: fail.Invalid, errText: "destination branch is required"},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				c := e.seed(tc.opts...)
				if c.Status == change.StatusNew {
					e.vote(e.admin, c.Number, map[string]int{"Code-Review": -2})
					e.vote(e.bob, c.Number, map[string]int{"Code-Review": 1, "Verified": -1})
				}
				if tc.setup != nil {
					tc.setup(c)
				}
				before := e.messages(c.Number)
				got, err := e.svc.Move(e.ctx, e.subj(tc.by), c.Number, tc.in)
				if tc.kind != fail.Internal {
					wantErr(t, err, tc.kind, strings.ReplaceAll(tc.errText, "%k", c.Key))
					if e.get(c.Number).Branch != "refs/heads/main" || len(e.messages(c.Number)) != len(before) {
						t.Errorf("change moved or message written")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got.Branch != "refs/heads/stable" || e.get(c.Number).Branch != "refs/heads/stable" {
					t.Errorf("branch %s", got.Branch)
				}
				want := "Change destination moved from main to stable"
				if msg := strings.TrimSpace(tc.in.Message); msg != "" {
					want += "\n\n" + msg
				}
				if m := e.lastMessage(c.Number); m != want {
					t.Errorf("message %q, want %q", m, want)
				}
				for name, want := range tc.votes {
					a := map[string]*account.Account{"admin": e.admin, "bob": e.bob}[name]
					if got := e.votes(c.Number, a); !reflect.DeepEqual(got, want) {
						t.Errorf("votes of %s %v, want %v", name, got, want)
					}
				}
			})
		}
	})
}

// TestMoveWaitsForSubmit: a move waits for a submit to the change's branch
// that holds the branch lock, and then finds the change merged instead of
// moving it away from under the submit.
func TestMoveWaitsForSubmit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.setProject("p", lifecycleConfig)
		c := e.seed()
		unlock, err := e.db.Lock(e.ctx, change.BranchLock(c.Project, c.Branch))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := e.svc.Move(e.ctx, e.subj(e.owner), c.Number, MoveInput{Branch: "stable"})
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("Move returned %v while a submit held the branch", err)
		case <-time.After(200 * time.Millisecond):
		}
		err = e.db.Tx(e.ctx, func(tx *db.Tx) error {
			cur, err := e.store.Get(e.ctx, tx, c.Number)
			if err != nil {
				return err
			}
			cur.Status = change.StatusMerged
			return e.store.Update(e.ctx, tx, cur)
		})
		unlock()
		if err != nil {
			t.Fatal(err)
		}
		wantErr(t, <-done, fail.Conflict, "Change is merged")
		if b := e.get(c.Number).Branch; b != "refs/heads/main" {
			t.Errorf("merged change moved to %s", b)
		}
	})
}

// addMergePatchSet makes a merge commit c's current patch set.
func (e *env) addMergePatchSet(c *change.Change) {
	e.t.Helper()
	err := e.db.Tx(e.ctx, func(tx *db.Tx) error {
		cur, err := e.store.Get(e.ctx, tx, c.Number)
		if err != nil {
			return err
		}
		ps := e.patchSet(cur, 2, change.KindRework)
		ps.Parents = append(ps.Parents, strings.Repeat("1", 40))
		if err := e.store.InsertPatchSet(e.ctx, tx, ps, testFiles("M")); err != nil {
			return err
		}
		cur.CurrentPS = 2
		return e.store.Update(e.ctx, tx, cur)
	})
	if err != nil {
		e.t.Fatal(err)
	}
}
