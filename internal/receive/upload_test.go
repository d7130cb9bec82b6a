package receive_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/git/gittest"
	"tandem/internal/project"
	"tandem/internal/receive"
)

// closed is one call of Merger.ClosePushed.
type closed struct {
	project, branch string
	commits         []string
}

// fakeMerger records the changes a direct push would close.
type fakeMerger struct {
	mu     sync.Mutex
	closed []closed
}

func (m *fakeMerger) ClosePushed(ctx context.Context, projectName, branch string, pusher int64, newTip string, commits []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = append(m.closed, closed{projectName, branch, commits})
	return nil
}

func (m *fakeMerger) SubmitPushed(ctx context.Context, pusher *account.Account, groups map[string]bool, n int64, revision string) error {
	return fmt.Errorf("not expected: submit of change %d", n)
}

func (m *fakeMerger) calls() []closed {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.closed)
}

// uploadFixture is a fixture whose receiver takes pushes for review, with
// the fixture's users in a fresh database.
type uploadFixture struct {
	*fixture
	db      *db.DB
	changes *change.Store
}

func newUploadFixture(t *testing.T, merger receive.Merger) *uploadFixture {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t, db.SQLite)
	for _, u := range []*user{admin, olivia, alice} {
		if _, err := d.Exec(ctx, `INSERT INTO accounts (id, username, created_on) VALUES ($1, $2, 0)`,
			u.acct.ID, u.acct.Username); err != nil {
			t.Fatal(err)
		}
	}
	changes := change.NewStore(d)
	f := newFixtureWith(t, &receive.Uploads{DB: d, Changes: changes, Merger: merger})
	return &uploadFixture{fixture: f, db: d, changes: changes}
}

// seedChange inserts an open change of demo on branch, owned by u.
func (f *uploadFixture) seedChange(t *testing.T, u *user, branch, key string) *change.Change {
	t.Helper()
	ctx := context.Background()
	n, err := f.changes.NextNumber(ctx, f.db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	c := &change.Change{Number: n, Project: "demo", Branch: branch, Key: key, OwnerID: u.acct.ID,
		Status: change.StatusNew, Subject: "seeded", CurrentPS: 1, Created: now, Updated: now}
	if err := f.changes.Insert(ctx, f.db, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClosePushedCreatesBranch pushes an open change's commit directly to
// the change's branch, which the push creates: the commits offered for
// closing are those no other branch has, not none because the new branch
// itself already holds them.
func TestClosePushedCreatesBranch(t *testing.T) {
	m := &fakeMerger{}
	f := newUploadFixture(t, m)
	f.seedChange(t, olivia, "refs/heads/new", "I"+strings.Repeat("1", 40))
	w := gittest.Clone(t, f.rp.Path)
	one := commit(t, w.Dir, "olivia@example.com", "olivia@example.com", "one")
	two := commit(t, w.Dir, "olivia@example.com", "olivia@example.com", "two")

	f.run(t, w.Dir, []step{
		{desc: "branch without changes", user: olivia, args: []string{one + ":refs/heads/other"}, ok: true,
			ref: "refs/heads/other", want: one},
		{desc: "branch with an open change", user: olivia, args: []string{two + ":refs/heads/new"}, ok: true,
			ref: "refs/heads/new", want: two},
	})
	want := []closed{{"demo", "refs/heads/new", []string{two}}}
	if got := m.calls(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ClosePushed calls = %v, want %v", got, want)
	}
}

// TestUploadTooManyCommits rejects a push for review of more commits than
// one push may turn into changes, before it looks them up.
func TestUploadTooManyCommits(t *testing.T) {
	f := newUploadFixture(t, &fakeMerger{})
	w := gittest.Clone(t, f.rp.Path)
	var script strings.Builder
	fmt.Fprintf(&script, "reset refs/heads/many\nfrom %s\n", f.main)
	for i := range 501 {
		msg := fmt.Sprintf("commit %d", i)
		fmt.Fprintf(&script, "commit refs/heads/many\ncommitter O <olivia@example.com> 1700000000 +0000\ndata %d\n%s\nM 644 inline f.txt\ndata %d\n%d\n\n",
			len(msg), msg, len(fmt.Sprint(i))+1, i)
	}
	gittest.ExecInput(t, w.Dir, []byte(script.String()), nil, "fast-import", "--quiet")

	f.run(t, w.Dir, []step{
		{desc: "501 commits", user: olivia, args: []string{"refs/heads/many:refs/for/main"}, reason: "too many commits"},
	})
	if refs := gittest.Exec(t, f.rp.Path, "for-each-ref", "refs/changes/"); refs != "" {
		t.Errorf("refs written:\n%s", refs)
	}
}

// TestSubmitOnPushWithoutMerger rejects %submit where submitting on push
// is not enabled before anything is written.
func TestSubmitOnPushWithoutMerger(t *testing.T) {
	f := newUploadFixture(t, nil)
	gittest.WriteCommit(t, f.rp.Path, project.ConfigRef, "submit on push",
		map[string]string{"project.config": demoConfig + "[access \"refs/for/refs/heads/*\"]\n\tsubmit = group Owners\n", "groups": demoGroups},
		f.ref(t, project.ConfigRef))
	w := gittest.Clone(t, f.rp.Path)
	commit(t, w.Dir, "olivia@example.com", "olivia@example.com", "one\n\nChange-Id: I"+strings.Repeat("2", 40))

	f.run(t, w.Dir, []step{
		{desc: "submit", user: olivia, args: []string{"HEAD:refs/for/main%submit"},
			reason: "submit on push is not enabled on this server"},
	})
	if refs := gittest.Exec(t, f.rp.Path, "for-each-ref", "refs/changes/"); refs != "" {
		t.Errorf("refs written:\n%s", refs)
	}
	if open, err := f.changes.HasOpen(context.Background(), "demo", "refs/heads/main"); err != nil || open {
		t.Errorf("HasOpen = %v, %v; want no change created", open, err)
	}
}
