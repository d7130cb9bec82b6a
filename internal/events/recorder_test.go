package events_test

import (
	"context"
	"encoding/json"
	"testing"

	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/clock"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/events"
)

// TestRecorder records events of a change from its rows, inside the
// transaction that writes the change, and checks what listeners get.
func TestRecorder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		accounts := account.New(account.Options{DB: d, Clock: clock.Real{}})
		owner, err := accounts.Create(ctx, account.Input{Username: "alice", FullName: "Alice Doe", Email: "alice@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		reviewer, err := accounts.Create(ctx, account.Input{Username: "bob", Email: "bob@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		changes := change.NewStore(d)
		log := newLog(t, d)
		rec := events.NewRecorder(log, accounts, changes, "http://review.example.com/")

		c := *chg
		c.OwnerID = owner.ID
		p := *ps
		p.UploaderID = owner.ID
		p.Author = change.Person{Name: "Alice", Email: "alice@example.com"}
		err = d.Tx(ctx, func(tx *db.Tx) error {
			if err := changes.Insert(ctx, tx, &c); err != nil {
				return err
			}
			if err := changes.InsertPatchSet(ctx, tx, &p, nil); err != nil {
				return err
			}
			if err := changes.EditHashtags(ctx, tx, c.Number, []string{"perf"}, nil); err != nil {
				return err
			}
			if err := rec.PatchSetCreated(ctx, tx, &c, &p, owner.ID); err != nil {
				return err
			}
			old := 0
			if err := rec.CommentAdded(ctx, tx, &c, &p, reviewer.ID, "Patch Set 2: Code-Review+1",
				[]events.ApprovalAttr{events.Approval("Code-Review", 1, &old)}); err != nil {
				return err
			}
			return rec.RefUpdated(ctx, tx, "tools/gerrit", "refs/heads/main", "1111111111111111111111111111111111111111",
				"2222222222222222222222222222222222222222", reviewer.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		recs, err := log.Read(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 {
			t.Fatalf("%d events, want 3", len(recs))
		}
		var created struct {
			Type     string
			Uploader events.AccountAttr
			PatchSet events.PatchSetAttr
			Change   events.ChangeAttr
			RefName  string
		}
		if err := json.Unmarshal(recs[0].Payload, &created); err != nil {
			t.Fatal(err)
		}
		if created.Type != "patchset-created" || *created.Uploader.Username != "alice" ||
			*created.PatchSet.Author.Username != "alice" || created.Change.URL != "http://review.example.com/c/tools/gerrit/+/42" ||
			created.Change.CommitMessage != p.Message || len(created.Change.Hashtags) != 1 || created.Change.Owner.Name != "Alice Doe" ||
			created.RefName != "refs/heads/main" || recs[0].Change != 42 {
			t.Errorf("patchset-created = %s", recs[0].Payload)
		}
		var comment struct {
			Author    events.AccountAttr
			Approvals []events.ApprovalAttr
			Comment   string
		}
		if err := json.Unmarshal(recs[1].Payload, &comment); err != nil {
			t.Fatal(err)
		}
		if *comment.Author.Username != "bob" || len(comment.Approvals) != 1 || comment.Approvals[0].Value != "1" ||
			comment.Approvals[0].OldValue != "0" || comment.Comment != "Patch Set 2: Code-Review+1" {
			t.Errorf("comment-added = %s", recs[1].Payload)
		}
		if recs[2].Type != "ref-updated" || recs[2].Ref != "refs/heads/main" || recs[2].Change != 0 {
			t.Errorf("ref-updated record = %+v", recs[2])
		}
	})
}
