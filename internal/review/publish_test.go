package review

import (
	"testing"

	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
)

// TestDraftsToPublish: a push's publish-comments takes the author's drafts
// of every patch set, and only theirs, bound to their patch sets' commits.
func TestDraftsToPublish(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.seed()
		drafts := []struct {
			by  *account.Account
			msg string
		}{{e.alice, "alice on one"}, {e.bob, "bob on one"}}
		for _, dr := range drafts {
			if _, err := e.svc.SaveDraft(e.ctx, e.subj(dr.by), c.Number, 1, DraftInput{Path: "a.txt", Line: 1, Message: dr.msg}); err != nil {
				t.Fatal(err)
			}
		}
		e.addPatchSet(c, change.KindRework, testFiles("M"))
		if _, err := e.svc.SaveDraft(e.ctx, e.subj(e.alice), c.Number, 2, DraftInput{Path: "b.txt", Message: "alice on two"}); err != nil {
			t.Fatal(err)
		}
		c = e.get(c.Number)
		ps := e.patchSet(c, 2, change.KindRework)
		now := e.clock.Now()
		got, err := e.svc.DraftsToPublish(e.ctx, d, c, ps, e.alice.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		byMsg := map[string]change.Comment{}
		for _, cm := range got {
			byMsg[cm.Message] = cm
		}
		one, two := byMsg["alice on one"], byMsg["alice on two"]
		if len(got) != 2 || one.Draft || two.Draft || !one.Written.Equal(now) || one.PatchSet != 1 || two.PatchSet != 2 ||
			one.CommitID != e.patchSet(c, 1, "").Commit || two.CommitID != ps.Commit {
			t.Fatalf("published %+v", got)
		}
		// Nothing is written: the caller does that in its transaction.
		if ds, _ := e.svc.Drafts(e.ctx, e.subj(e.alice), c.Number); len(ds) != 2 {
			t.Errorf("alice has %d drafts, want 2 until the caller writes them", len(ds))
		}
	})
}
