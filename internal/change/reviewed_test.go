package change_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const (
	alice int64 = 1
	bob   int64 = 2
)

// seedReviewed stores accounts alice and bob and change 1 with patch sets
// 1 to 3, and returns a store on d.
func seedReviewed(t testing.TB, d *db.DB) *change.Store {
	t.Helper()
	ctx := context.Background()
	s := change.NewStore(d)
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	err := d.Tx(ctx, func(tx *db.Tx) error {
		for id, name := range map[int64]string{alice: "alice", bob: "bob"} {
			if _, err := tx.Exec(ctx, `INSERT INTO accounts (id, username, created_on) VALUES ($1, $2, 0)`, id, name); err != nil {
				return err
			}
		}
		c := &change.Change{Number: 1, Project: "p", Branch: "refs/heads/main", Key: "I" + strings.Repeat("1", 40),
			OwnerID: alice, Status: change.StatusNew, Subject: "Do it", CurrentPS: 3, Created: when, Updated: when}
		if err := s.Insert(ctx, tx, c); err != nil {
			return err
		}
		for n := 1; n <= 3; n++ {
			ps := &change.PatchSet{Change: 1, Number: n, Commit: strings.Repeat(fmt.Sprint(n), 40), UploaderID: alice,
				Created: when, Kind: change.KindRework, Message: "Do it\n"}
			if err := s.InsertPatchSet(ctx, tx, ps, []change.File{{Path: "a.txt", Status: "M"}, {Path: "b.txt", Status: "A"}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return s
}

// TestReviewedFlags runs marking, unmarking and listing in order; each
// step sees what the ones before it left.
func TestReviewedFlags(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := seedReviewed(t, d)
		type flag struct {
			account int64
			ps      int
			path    string
		}
		tests := []struct {
			desc    string
			mark    *flag // one of mark and unmark is set
			unmark  *flag
			wantNew bool
			// the account's paths on each patch set afterwards
			wantAlice, wantBob [4][]string
		}{
			{desc: "first mark is new", mark: &flag{alice, 1, "a.txt"}, wantNew: true,
				wantAlice: [4][]string{1: {"a.txt"}}},
			{desc: "marking again is not new", mark: &flag{alice, 1, "a.txt"}, wantNew: false,
				wantAlice: [4][]string{1: {"a.txt"}}},
			{desc: "magic path", mark: &flag{alice, 1, "/COMMIT_MSG"}, wantNew: true,
				wantAlice: [4][]string{1: {"/COMMIT_MSG", "a.txt"}}},
			{desc: "another patch set is separate", mark: &flag{alice, 2, "a.txt"}, wantNew: true,
				wantAlice: [4][]string{1: {"/COMMIT_MSG", "a.txt"}, 2: {"a.txt"}}},
			{desc: "another account is separate", mark: &flag{bob, 1, "a.txt"}, wantNew: true,
				wantAlice: [4][]string{1: {"/COMMIT_MSG", "a.txt"}, 2: {"a.txt"}}, wantBob: [4][]string{1: {"a.txt"}}},
			{desc: "unmark", unmark: &flag{alice, 1, "a.txt"},
				wantAlice: [4][]string{1: {"/COMMIT_MSG"}, 2: {"a.txt"}}, wantBob: [4][]string{1: {"a.txt"}}},
			{desc: "unmark what is not marked", unmark: &flag{alice, 3, "a.txt"},
				wantAlice: [4][]string{1: {"/COMMIT_MSG"}, 2: {"a.txt"}}, wantBob: [4][]string{1: {"a.txt"}}},
			{desc: "marking after unmarking is new", mark: &flag{alice, 1, "a.txt"}, wantNew: true,
				wantAlice: [4][]string{1: {"/COMMIT_MSG", "a.txt"}, 2: {"a.txt"}}, wantBob: [4][]string{1: {"a.txt"}}},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				if f := tc.mark; f != nil {
					added, err := s.MarkReviewed(ctx, d, f.account, 1, f.ps, f.path)
					if err != nil || added != tc.wantNew {
						t.Fatalf("MarkReviewed(%+v) = %v, %v; want %v", *f, added, err, tc.wantNew)
					}
				} else if err := s.UnmarkReviewed(ctx, d, tc.unmark.account, 1, tc.unmark.ps, tc.unmark.path); err != nil {
					t.Fatalf("UnmarkReviewed(%+v): %v", *tc.unmark, err)
				}
				for _, who := range []struct {
					account int64
					want    [4][]string
				}{{alice, tc.wantAlice}, {bob, tc.wantBob}} {
					for ps := 1; ps <= 3; ps++ {
						got, err := s.ReviewedPaths(ctx, d, who.account, 1, ps)
						want := who.want[ps]
						if want == nil {
							want = []string{}
						}
						if err != nil || !reflect.DeepEqual(got, want) {
							t.Errorf("account %d, patch set %d: ReviewedPaths = %q, %v; want %q", who.account, ps, got, err, want)
						}
					}
				}
			})
		}
	})
}

func TestLatestReviewedBefore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := seedReviewed(t, d)
		for _, f := range []struct {
			account int64
			ps      int
			path    string
		}{{alice, 1, "b.txt"}, {alice, 1, "a.txt"}, {alice, 2, "/COMMIT_MSG"}, {bob, 1, "b.txt"}} {
			if _, err := s.MarkReviewed(ctx, d, f.account, 1, f.ps, f.path); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			desc      string
			account   int64
			before    int
			wantPS    int
			wantPaths []string
		}{
			{desc: "newest below", account: alice, before: 3, wantPS: 2, wantPaths: []string{"/COMMIT_MSG"}},
			{desc: "strictly below", account: alice, before: 2, wantPS: 1, wantPaths: []string{"a.txt", "b.txt"}},
			{desc: "nothing below", account: alice, before: 1},
			{desc: "own flags only", account: bob, before: 3, wantPS: 1, wantPaths: []string{"b.txt"}},
			{desc: "an account without flags", account: 3, before: 3},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				ps, paths, err := s.LatestReviewedBefore(ctx, d, tc.account, 1, tc.before)
				if err != nil || ps != tc.wantPS || !reflect.DeepEqual(paths, tc.wantPaths) {
					t.Fatalf("LatestReviewedBefore(%d, %d) = %d, %q, %v; want %d, %q", tc.account, tc.before, ps, paths, err,
						tc.wantPS, tc.wantPaths)
				}
			})
		}
	})
}

// TestReviewedFlagsConcurrent: of several callers marking one file at
// once, exactly one is told the flag is new.
func TestReviewedFlagsConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := seedReviewed(t, d)
		const callers = 6
		var wg sync.WaitGroup
		added := make([]bool, callers)
		errs := make([]error, callers)
		for i := range callers {
			wg.Go(func() {
				added[i], errs[i] = s.MarkReviewed(context.Background(), d, alice, 1, 3, "a.txt")
			})
		}
		wg.Wait()
		n := 0
		for i := range callers {
			if errs[i] != nil {
				t.Fatalf("caller %d: %v", i, errs[i])
			}
			if added[i] {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d callers were told the flag is new, want 1", n)
		}
	})
}

// TestReviewedFlagsFollowRows: a flag needs its patch set and account, and
// goes away with them.
func TestReviewedFlagsFollowRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := seedReviewed(t, d)
		if _, err := s.MarkReviewed(ctx, d, alice, 1, 9, "a.txt"); err == nil {
			t.Fatal("marked a file of a missing patch set")
		}
		if _, err := s.MarkReviewed(ctx, d, 99, 1, 1, "a.txt"); err == nil {
			t.Fatal("marked a file for a missing account")
		}
		for _, acct := range []int64{alice, bob} {
			if _, err := s.MarkReviewed(ctx, d, acct, 1, 1, "a.txt"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.MarkReviewed(ctx, d, alice, 1, 2, "a.txt"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			desc    string
			delete  string
			account int64
			ps      int
		}{
			{desc: "patch set deleted", delete: `DELETE FROM patch_sets WHERE change_id = 1 AND ps = 2`, account: alice, ps: 2},
			{desc: "account deleted", delete: `DELETE FROM accounts WHERE id = 2`, account: bob, ps: 1},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				if _, err := d.Exec(ctx, tc.delete); err != nil {
					t.Fatal(err)
				}
				if got, err := s.ReviewedPaths(ctx, d, tc.account, 1, tc.ps); err != nil || len(got) != 0 {
					t.Fatalf("ReviewedPaths = %q, %v; want none", got, err)
				}
			})
		}
		if got, err := s.ReviewedPaths(ctx, d, alice, 1, 1); err != nil || !reflect.DeepEqual(got, []string{"a.txt"}) {
			t.Fatalf("alice's flags on patch set 1 = %q, %v; want [a.txt] kept", got, err)
		}
	})
}

func TestHasFile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := seedReviewed(t, d)
		tests := []struct {
			desc string
			ps   int
			path string
			want bool
		}{
			{desc: "modified file", ps: 1, path: "a.txt", want: true},
			{desc: "added file", ps: 3, path: "b.txt", want: true},
			{desc: "unknown file", ps: 1, path: "c.txt"},
			{desc: "magic file", ps: 1, path: "/COMMIT_MSG"},
			{desc: "missing patch set", ps: 4, path: "a.txt"},
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				if got, err := s.HasFile(context.Background(), d, 1, tc.ps, tc.path); err != nil || got != tc.want {
					t.Fatalf("HasFile(%d, %q) = %v, %v; want %v", tc.ps, tc.path, got, err, tc.want)
				}
			})
		}
	})
}
