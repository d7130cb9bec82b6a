package change_test

import (
	"context"
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
