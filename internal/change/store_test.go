package change_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
)

// TestOpenChildren finds the open changes of a branch whose patch sets
// build on a commit: not those of other branches or closed ones.
func TestOpenChildren(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := seedReviewed(t, d) // change 1: patch sets 111…, 222…, 333… on main
		ctx := context.Background()
		when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
		base := strings.Repeat("3", 40)
		add := func(n int64, branch string, status change.Status, parents ...string) {
			t.Helper()
			err := d.Tx(ctx, func(tx *db.Tx) error {
				c := &change.Change{Number: n, Project: "p", Branch: branch, Key: "I" + strings.Repeat("9", 39) + string(rune('0'+n)),
					OwnerID: alice, Status: status, Subject: "s", CurrentPS: 1, Created: when, Updated: when}
				if err := s.Insert(ctx, tx, c); err != nil {
					return err
				}
				return s.InsertPatchSet(ctx, tx, &change.PatchSet{Change: n, Number: 1, Commit: strings.Repeat(string(rune('a'+n)), 40),
					Parents: parents, UploaderID: alice, Created: when, Kind: change.KindRework}, nil)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		add(2, "refs/heads/main", change.StatusNew, base)
		add(3, "refs/heads/main", change.StatusNew, strings.Repeat("f", 40), base) // a merge with base as second parent
		add(4, "refs/heads/stable", change.StatusNew, base)
		add(5, "refs/heads/main", change.StatusAbandoned, base)
		add(6, "refs/heads/main", change.StatusNew, strings.Repeat("2", 40))
		got, err := s.OpenChildren(ctx, d, "p", "refs/heads/main", base)
		if err != nil {
			t.Fatal(err)
		}
		var changes []int64
		for _, ps := range got {
			changes = append(changes, ps.Change)
		}
		if !slices.Equal(changes, []int64{2, 3}) {
			t.Fatalf("children of %s: changes %v, want [2 3]", base[:7], changes)
		}
	})
}

// TestPatchSetsOf reads patch sets through the cache: the same answer as
// PatchSets, results the caller may change, a list outgrown by a new
// patch set written through another Store (another master) read again,
// and nothing kept from a transaction that rolled back.
func TestPatchSetsOf(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := seedReviewed(t, d) // change 1: patch sets 1-3
		other := change.NewStore(d)
		numbersOf := func(pss []*change.PatchSet) []int {
			var out []int
			for _, ps := range pss {
				out = append(out, ps.Number)
			}
			return out
		}
		get := func() *change.Change {
			t.Helper()
			c, err := s.Get(ctx, d, 1)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		read := func(c *change.Change) []*change.PatchSet {
			t.Helper()
			pss, err := s.PatchSetsOf(ctx, []*change.Change{c})
			if err != nil {
				t.Fatal(err)
			}
			return pss
		}
		addPatchSet := func(st *change.Store, n int, rollback bool) {
			t.Helper()
			err := d.Tx(ctx, func(tx *db.Tx) error {
				ps := &change.PatchSet{Change: 1, Number: n, Commit: strings.Repeat(string(rune('a'+n)), 40), UploaderID: alice,
					Created: time.Now(), Kind: change.KindRework}
				if err := st.InsertPatchSet(ctx, tx, ps, nil); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `UPDATE changes SET current_ps = $1 WHERE id = 1`, n); err != nil {
					return err
				}
				if rollback {
					return errRollback
				}
				return nil
			})
			if err != nil && !errors.Is(err, errRollback) {
				t.Fatal(err)
			}
		}

		old := get()
		want, err := s.PatchSets(ctx, d, 1)
		if err != nil {
			t.Fatal(err)
		}
		first := read(old)
		if !reflect.DeepEqual(first, want) {
			t.Fatalf("PatchSetsOf = %+v, want PatchSets' %+v", first, want)
		}
		first[0].Message = "changed by the caller"
		if again := read(old); !reflect.DeepEqual(again, want) {
			t.Errorf("cached patch sets changed with the caller's copy: %+v", again)
		}

		addPatchSet(other, 4, false)
		if got := numbersOf(read(old)); !slices.Equal(got, []int{1, 2, 3}) {
			t.Errorf("with the change read before patch set 4: %v, want [1 2 3]", got)
		}
		if got := numbersOf(read(get())); !slices.Equal(got, []int{1, 2, 3, 4}) {
			t.Errorf("after patch set 4 from another store: %v, want [1 2 3 4]", got)
		}
		twice, err := s.PatchSetsOf(ctx, []*change.Change{get(), get()})
		if got := numbersOf(twice); err != nil || !slices.Equal(got, []int{1, 2, 3, 4}) {
			t.Errorf("with the change named twice: %v, %v; want [1 2 3 4] once", got, err)
		}
		addPatchSet(s, 5, true)
		forged := get()
		forged.CurrentPS = 5
		if got := numbersOf(read(forged)); !slices.Equal(got, []int{1, 2, 3, 4}) {
			t.Errorf("after a rolled-back patch set 5: %v, want [1 2 3 4]", got)
		}
	})
}

var errRollback = errors.New("roll back")

// TestPatchSetsWrittenOnce guards what the patch-set cache relies on: no
// code or migration updates a patch-set row.
func TestPatchSetsWrittenOnce(t *testing.T) {
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") ||
			!strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".sql") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if regexp.MustCompile(`(?i)UPDATE\s+patch_sets\b`).Match(b) {
			t.Errorf("%s updates patch_sets rows, which PatchSetsOf caches as immutable", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBranchOfRetriesFailedRead maps patch-set refs to branches, and a
// read of the changes that fails is not remembered: the next call reads
// them again.
func TestBranchOfRetriesFailedRead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := seedReviewed(t, d) // change 1 on refs/heads/main
		rename := func(from, to string) {
			t.Helper()
			if _, err := d.Exec(ctx, `ALTER TABLE `+from+` RENAME TO `+to); err != nil {
				t.Fatal(err)
			}
		}
		branchOf := s.BranchOf(ctx, "p", alice)
		rename("changes", "changes_hidden")
		if b, _, ok := branchOf("refs/changes/01/1/1"); ok {
			t.Fatalf("failed read mapped the ref to %q", b)
		}
		rename("changes_hidden", "changes")
		if b, private, ok := branchOf("refs/changes/01/1/1"); !ok || b != "refs/heads/main" || private {
			t.Fatalf("after a failed read: %q, %v; want refs/heads/main", b, ok)
		}
		if _, _, ok := branchOf("refs/changes/02/2/1"); ok {
			t.Fatal("change 2 does not exist but mapped")
		}
	})
}

// TestGetManyBatches reads more changes than one statement takes, asked
// for out of order, twice over and among numbers that do not exist.
func TestGetManyBatches(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := seedReviewed(t, d) // change 1
		when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
		const n = 1100
		err := d.Tx(ctx, func(tx *db.Tx) error {
			for i := int64(2); i <= n; i++ {
				c := &change.Change{Number: i, Project: "p", Branch: "refs/heads/main", Key: fmt.Sprintf("I%040d", i),
					OwnerID: alice, Status: change.StatusNew, Subject: "s", CurrentPS: 1, Created: when, Updated: when}
				if err := s.Insert(ctx, tx, c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var ask []int64
		for i := int64(n + 200); i >= 1; i-- {
			ask = append(ask, i, i)
		}
		got, err := s.GetMany(ctx, d, ask...)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n || got[0].Number != 1 || got[n-1].Number != n {
			t.Fatalf("GetMany returned %d changes, want %d in order", len(got), n)
		}
	})
}

// TestCurrentFilesOf reads only the files of the current patch set.
func TestCurrentFilesOf(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := seedReviewed(t, d) // change 1: patch sets 1 to 3, current 3
		got, err := s.CurrentFilesOf(context.Background(), d, 1, 42)
		if err != nil {
			t.Fatal(err)
		}
		files := got[change.PatchSetKey{Change: 1, PatchSet: 3}]
		if len(got) != 1 || len(files) != 2 || files[0].Path != "a.txt" || files[1].Path != "b.txt" {
			t.Fatalf("current files %+v", got)
		}
	})
}

// TestChangeRoundTrip writes every field of a change and reads it back,
// after an insert and after an update.
func TestChangeRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := seedReviewed(t, d) // change 1
		when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
		c := &change.Change{Number: 2, Project: "p", Branch: "refs/heads/stable", Key: "I" + strings.Repeat("2", 40),
			OwnerID: alice, Status: change.StatusNew, Subject: "Pick", Topic: "t", CurrentPS: 1, WIP: true, Private: true,
			Created: when, Updated: when, RevertOf: 1, CherryPickOf: 1, CherryPickOfPS: 3}
		check := func(what string) {
			t.Helper()
			got, err := s.Get(ctx, d, 2)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c) {
				t.Fatalf("%s: read %+v, want %+v", what, got, c)
			}
		}
		if err := d.Tx(ctx, func(tx *db.Tx) error { return s.Insert(ctx, tx, c) }); err != nil {
			t.Fatal(err)
		}
		check("after insert")
		c.Status, c.Submitted, c.SubmitterID, c.SubmissionID = change.StatusMerged, when.Add(time.Hour), alice, "2-1"
		c.CherryPickOf, c.CherryPickOfPS, c.Updated = 0, 0, when.Add(time.Hour)
		if err := d.Tx(ctx, func(tx *db.Tx) error { return s.Update(ctx, tx, c) }); err != nil {
			t.Fatal(err)
		}
		check("after update")
	})
}

// TestAttentionSet updates a change's attention set and clears it: an
// update that would not move an account is skipped, and clearing keeps
// everyone as removed, with the reason.
func TestAttentionSet(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := seedReviewed(t, d) // change 1
		now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
		update := func(us ...change.AttentionUpdate) bool {
			t.Helper()
			var wrote bool
			err := d.Tx(ctx, func(tx *db.Tx) error {
				var err error
				wrote, err = s.UpdateAttention(ctx, tx, 1, us, now)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return wrote
		}
		set := func() string {
			t.Helper()
			as, err := s.AttentionSet(ctx, d, 1)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, a := range as {
				out = append(out, fmt.Sprintf("%d:%v:%s:%d", a.AccountID, a.InSet, a.Reason, a.ReasonAccount))
			}
			slices.Sort(out)
			return strings.Join(out, " ")
		}
		if !update(change.AttentionUpdate{AccountID: alice, Add: true, Reason: "r1", ReasonAccount: bob},
			change.AttentionUpdate{AccountID: bob, Add: true, Reason: "r2"}) {
			t.Fatal("adding wrote nothing")
		}
		if update(change.AttentionUpdate{AccountID: alice, Add: true, Reason: "again"}) {
			t.Fatal("adding alice twice wrote")
		}
		want := fmt.Sprintf("%d:true:r1:%d %d:true:r2:0", alice, bob, bob)
		if got := set(); got != want {
			t.Fatalf("set = %s, want %s", got, want)
		}
		if err := d.Tx(ctx, func(tx *db.Tx) error {
			return s.ClearAttention(ctx, tx, 1, change.AttentionAbandoned, alice, now)
		}); err != nil {
			t.Fatal(err)
		}
		want = fmt.Sprintf("%d:false:%s:%d %d:false:%s:%d", alice, change.AttentionAbandoned, alice, bob, change.AttentionAbandoned, alice)
		if got := set(); got != want {
			t.Fatalf("after clearing: %s, want %s", got, want)
		}
	})
}
