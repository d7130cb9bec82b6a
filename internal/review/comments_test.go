package review

import (
	"reflect"
	"slices"
	"testing"

	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/fail"
)

// comments returns the change's published comments and the drafts of
// draftsOf, by message.
func (e *env) comments(n, draftsOf int64) map[string]change.Comment {
	e.t.Helper()
	cs, err := e.store.Comments(e.ctx, e.db, n, draftsOf)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]change.Comment{}
	for _, c := range cs {
		out[c.Message] = c
	}
	return out
}

func TestReviewComments(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.seed()
		_, err := e.svc.Review(e.ctx, e.subj(e.alice), c.Number, 0, ReviewInput{Tag: "jenkins", Comments: map[string][]CommentInput{
			"a.txt": {
				{Line: 3, Message: "open question", Unresolved: ptr(true)},
				{Range: &change.Range{StartLine: 4, StartCharacter: 1, EndLine: 6, EndCharacter: 2}, Message: "range"},
				{Side: "PARENT", Line: 1, Message: "on the base"},
			},
			"b.txt": {{Message: "file comment"}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		got := e.comments(c.Number, 0)
		msgs := e.messages(c.Number)
		msgID := func() int64 {
			ms, _ := e.store.Messages(e.ctx, e.db, c.Number)
			return ms[len(ms)-1].ID
		}()
		if msgs[len(msgs)-1] != "Patch Set 1:\n\n(4 comments)" {
			t.Errorf("message %q", msgs[len(msgs)-1])
		}
		q := got["open question"]
		if q.Line != 3 || !q.Unresolved || q.Tag != "jenkins" || q.PatchSet != 1 || q.CommitID == "" || q.ChangeMessageID != msgID || q.Draft || q.AuthorID != e.alice.ID {
			t.Errorf("comment %+v", q)
		}
		if r := got["range"]; r.Line != 6 || r.Range == nil || *r.Range != (change.Range{StartLine: 4, StartCharacter: 1, EndLine: 6, EndCharacter: 2}) || r.Unresolved {
			t.Errorf("range comment %+v", r)
		}
		if p := got["on the base"]; p.Side != 1 {
			t.Errorf("parent comment side %d, want 1", p.Side)
		}
		if f := got["file comment"]; f.Line != 0 || f.Path != "b.txt" {
			t.Errorf("file comment %+v", f)
		}
		if n := e.load(c.Number).UnresolvedComments(); n != 1 {
			t.Errorf("unresolved threads %d, want 1", n)
		}

		// Replies inherit unresolved unless they say otherwise.
		_, err = e.svc.Review(e.ctx, e.subj(e.owner), c.Number, 0, ReviewInput{Comments: map[string][]CommentInput{
			"a.txt": {{Line: 3, InReplyTo: q.ID, Message: "still thinking"}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		reply := e.comments(c.Number, 0)["still thinking"]
		if !reply.Unresolved || reply.InReplyTo != q.ID {
			t.Errorf("reply %+v, want unresolved in reply to %s", reply, q.ID)
		}
		_, err = e.svc.Review(e.ctx, e.subj(e.owner), c.Number, 0, ReviewInput{Comments: map[string][]CommentInput{
			"a.txt": {{Line: 3, InReplyTo: reply.ID, Message: "Done", Unresolved: ptr(false)}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if n := e.load(c.Number).UnresolvedComments(); n != 0 {
			t.Errorf("unresolved threads after Done: %d, want 0", n)
		}

		// Duplicates may be left out.
		before := len(e.comments(c.Number, 0))
		_, err = e.svc.Review(e.ctx, e.subj(e.alice), c.Number, 0, ReviewInput{OmitDuplicateComments: true, Message: "again",
			Comments: map[string][]CommentInput{"b.txt": {{Message: "file comment"}}}})
		if err != nil {
			t.Fatal(err)
		}
		if after := len(e.comments(c.Number, 0)); after != before {
			t.Errorf("duplicate comment written: %d comments, want %d", after, before)
		}
		if msg := e.lastMessage(c.Number); msg != "Patch Set 1:\n\nagain" {
			t.Errorf("message %q", msg)
		}
	})
}

func TestDrafts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.seed()
		alice := e.subj(e.alice)
		save := func(ps int, in DraftInput) *change.Comment {
			t.Helper()
			cm, err := e.svc.SaveDraft(e.ctx, alice, c.Number, ps, in)
			if err != nil {
				t.Fatal(err)
			}
			return cm
		}
		d1 := save(1, DraftInput{Path: "a.txt", Line: 1, Message: "first"})
		d1 = save(1, DraftInput{ID: d1.ID, Path: "a.txt", Line: 2, Message: "first, edited"})
		d2 := save(1, DraftInput{Path: "b.txt", Message: "second", Unresolved: ptr(true)})
		if !d1.Draft || d1.Line != 2 || d1.Message != "first, edited" {
			t.Errorf("draft %+v", d1)
		}

		_, err := e.svc.SaveDraft(e.ctx, alice, c.Number, 1, DraftInput{Path: "a.txt", Message: " "})
		wantErr(t, err, fail.Invalid, "message must be non-empty")
		_, err = e.svc.SaveDraft(e.ctx, e.subj(e.bob), c.Number, 1, DraftInput{ID: d1.ID, Path: "a.txt", Message: "mine now"})
		wantErr(t, err, fail.NotFound, "Not found: "+d1.ID)
		wantErr(t, e.svc.DeleteDraft(e.ctx, e.subj(e.bob), c.Number, d1.ID), fail.NotFound, "Not found: "+d1.ID)
		if ds, _ := e.svc.Drafts(e.ctx, e.subj(e.bob), c.Number); len(ds) != 0 {
			t.Errorf("bob sees drafts %+v", ds)
		}
		if ds, _ := e.svc.Drafts(e.ctx, alice, c.Number); len(ds) != 2 {
			t.Errorf("alice has %d drafts, want 2", len(ds))
		}

		// KEEP leaves drafts alone.
		if _, err := e.svc.Review(e.ctx, alice, c.Number, 0, ReviewInput{Message: "later"}); err != nil {
			t.Fatal(err)
		}
		if ds, _ := e.svc.Drafts(e.ctx, alice, c.Number); len(ds) != 2 {
			t.Errorf("after KEEP alice has %d drafts, want 2", len(ds))
		}

		// A new patch set; a draft on it, then publish only that patch set's.
		e.addPatchSet(c, change.KindRework, testFiles("M"))
		d3 := save(2, DraftInput{Path: "a.txt", Line: 5, Message: "on two"})
		if _, err := e.svc.Review(e.ctx, alice, c.Number, 2, ReviewInput{Drafts: DraftsPublish}); err != nil {
			t.Fatal(err)
		}
		if msg := e.lastMessage(c.Number); msg != "Patch Set 2:\n\n(1 comment)" {
			t.Errorf("message %q", msg)
		}
		if p := e.comments(c.Number, 0)["on two"]; p.Draft || p.ID != d3.ID || p.ChangeMessageID == 0 {
			t.Errorf("published draft %+v", p)
		}

		// Publish a chosen draft of any patch set, replacing its text.
		if _, err := e.svc.Review(e.ctx, alice, c.Number, 2, ReviewInput{Drafts: DraftsPublishAllRevisions, DraftIDsToPublish: []string{d2.ID}}); err != nil {
			t.Fatal(err)
		}
		pub := e.comments(c.Number, 0)
		if p, ok := pub["second"]; !ok || p.PatchSet != 1 || !p.Unresolved {
			t.Errorf("published %+v", p)
		}
		if _, ok := pub["first, edited"]; ok {
			t.Errorf("a draft not chosen was published")
		}
		_, err = e.svc.Review(e.ctx, alice, c.Number, 1, ReviewInput{Drafts: DraftsPublish,
			Comments: map[string][]CommentInput{"a.txt": {{ID: d1.ID, Line: 2, Message: "first, final"}}}})
		if err != nil {
			t.Fatal(err)
		}
		pub = e.comments(c.Number, 0)
		if p := pub["first, final"]; p.ID != d1.ID || p.Draft {
			t.Errorf("draft published with a new text: %+v", p)
		}
		if ds, _ := e.svc.Drafts(e.ctx, alice, c.Number); len(ds) != 0 {
			t.Errorf("drafts left: %+v", ds)
		}
		var ids []string
		for _, p := range pub {
			ids = append(ids, p.ID)
		}
		slices.Sort(ids)
		if len(slices.Compact(ids)) != len(pub) {
			t.Errorf("duplicate comment ids %v", ids)
		}

		d4 := save(2, DraftInput{Path: "/COMMIT_MSG", Line: 1, Message: "gone"})
		if err := e.svc.DeleteDraft(e.ctx, alice, c.Number, d4.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.comments(c.Number, e.alice.ID); !reflect.DeepEqual(got["gone"], change.Comment{}) {
			t.Errorf("deleted draft still there: %+v", got["gone"])
		}
	})
}
