package repo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"tandem/internal/git/gittest"
	"tandem/internal/git/repo"
)

// TestDiffFilesGitlink diffs commits that add, move and remove a submodule
// entry, whose id names a commit of another repository: DiffFiles lists it
// with size 0 instead of failing to find the object, and still sizes the
// ordinary blobs changed alongside it.
func TestDiffFilesGitlink(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r, err := s.Create(ctx, "p", "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	blob := func(content string) string {
		return gittest.ExecInput(t, r.Path, []byte(content), nil, "hash-object", "-w", "--stdin")
	}
	// commit makes a commit whose tree holds a.txt and, when sub is not
	// empty, a gitlink "sub" at that (absent) commit id.
	commit := func(msg, content, sub string, parents ...string) string {
		tree := fmt.Sprintf("100644 blob %s\ta.txt\n", blob(content))
		if sub != "" {
			tree += fmt.Sprintf("160000 commit %s\tsub\n", sub)
		}
		oid := gittest.ExecInput(t, r.Path, []byte(tree), nil, "mktree", "--missing")
		args := []string{"commit-tree", oid}
		for _, p := range parents {
			args = append(args, "-p", p)
		}
		return gittest.ExecInput(t, r.Path, []byte(msg), nil, args...)
	}
	sub1 := strings.Repeat("1", 40)
	sub2 := strings.Repeat("2", 40)
	root := commit("root with submodule", "abc\n", sub1)
	c1 := commit("one", "a\n", "")
	c2 := commit("add submodule", "ab\n", sub1, c1)
	c3 := commit("move submodule", "ab\n", sub2, c2)
	c4 := commit("remove submodule", "abc\n", "", c3)

	type file struct {
		path, status     string
		oldSize, newSize int64
	}
	for _, tc := range []struct {
		name        string
		parent, tip string
		want        []file
	}{
		{"root", "", root, []file{{"a.txt", "A", 0, 4}, {"sub", "A", 0, 0}}},
		{"add", c1, c2, []file{{"a.txt", "M", 2, 3}, {"sub", "A", 0, 0}}},
		{"move", c2, c3, []file{{"sub", "M", 0, 0}}},
		{"remove", c3, c4, []file{{"a.txt", "M", 3, 4}, {"sub", "D", 0, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := r.DiffFiles(ctx, tc.parent, tc.tip)
			if err != nil {
				t.Fatalf("DiffFiles: %v", err)
			}
			var got []file
			for _, f := range files {
				got = append(got, file{f.Path, f.Status, f.OldSize, f.NewSize})
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("DiffFiles = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDiffCommits diffs several commits in one call and gets what
// DiffFiles says of each: renames, an empty commit, a merge against its
// first parent, a root commit, and a file named like a commit id, which
// must not be taken for the start of the next answer.
func TestDiffCommits(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r, err := s.Create(ctx, "p", "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("line\n", 20)
	root := gittest.WriteCommit(t, r.Path, "", "root", map[string]string{"a.txt": long + "a\n", "b.txt": "b\n"})
	renamed := gittest.WriteCommit(t, r.Path, "", "rename", map[string]string{"c.txt": long + "a\n", "b.txt": "b\n"}, root)
	empty := gittest.WriteCommit(t, r.Path, "", "empty", map[string]string{"c.txt": long + "a\n", "b.txt": "b\n"}, renamed)
	side := gittest.WriteCommit(t, r.Path, "", "side", map[string]string{"a.txt": long + "a\n", "b.txt": "side\n"}, root)
	merge := gittest.WriteCommit(t, r.Path, "", "merge", map[string]string{"c.txt": long + "a\n", "b.txt": "side\n"}, empty, side)
	tricky := gittest.WriteCommit(t, r.Path, "", "tricky", map[string]string{"c.txt": long + "a\n", "b.txt": "side\n", empty: "x\n"}, merge)
	diffs := []repo.CommitDiff{{"", root}, {root, renamed}, {renamed, empty}, {empty, merge}, {merge, tricky}, {root, side}}
	got, err := r.DiffCommits(ctx, diffs)
	if err != nil {
		t.Fatalf("DiffCommits: %v", err)
	}
	if len(got) != len(diffs) {
		t.Fatalf("DiffCommits gave %d answers for %d diffs", len(got), len(diffs))
	}
	for i, d := range diffs {
		want, err := r.DiffFiles(ctx, d.Parent, d.Commit)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got[i]) != fmt.Sprint(want) {
			t.Errorf("diff %d (%s): DiffCommits %+v, DiffFiles %+v", i, d.Commit[:7], got[i], want)
		}
	}
	if len(got[1]) != 1 || got[1][0].Status != "R" || got[1][0].OldPath != "a.txt" || got[1][0].Path != "c.txt" {
		t.Errorf("rename: %+v", got[1])
	}
	if len(got[2]) != 0 || len(got[3]) != 1 || got[3][0].Path != "b.txt" || got[3][0].NewSize != 5 {
		t.Errorf("empty commit %+v, merge %+v", got[2], got[3])
	}
	if len(got[4]) != 1 || got[4][0].Path != empty {
		t.Errorf("file named like a commit id: %+v", got[4])
	}
	if _, err := r.DiffCommits(ctx, []repo.CommitDiff{{"", "main"}}); err == nil {
		t.Error("DiffCommits took a name for an object id")
	}
}

// TestDiffFilesMissingBlob still reports a blob that is not in the
// repository as an error.
func TestDiffFilesMissingBlob(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r, err := s.Create(ctx, "p", "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	tree := fmt.Sprintf("100644 blob %s\ta.txt\n", strings.Repeat("3", 40))
	oid := gittest.ExecInput(t, r.Path, []byte(tree), nil, "mktree", "--missing")
	c := gittest.ExecInput(t, r.Path, []byte("broken"), nil, "commit-tree", oid)
	if _, err := r.DiffFiles(ctx, "", c); err == nil {
		t.Error("DiffFiles of a commit with a missing blob succeeded")
	}
}

// TestRevListOutside lists what a push creating a branch brought: the
// commits of its tip that no other branch has, although the new branch
// itself already holds them.
func TestRevListOutside(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r, err := s.Create(ctx, "p", "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	base := gittest.WriteCommit(t, r.Path, "refs/heads/main", "base", map[string]string{"a": "1"})
	side := gittest.WriteCommit(t, r.Path, "refs/heads/side", "side", map[string]string{"a": "2"}, base)
	one := gittest.WriteCommit(t, r.Path, "", "one", map[string]string{"a": "3"}, side)
	two := gittest.WriteCommit(t, r.Path, "refs/heads/new", "two", map[string]string{"a": "4"}, one)

	got, err := r.RevListOutside(ctx, two, "refs/heads/*", "refs/heads/new")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{one, two}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("RevListOutside = %v, want %v", got, want)
	}
	// Without the exception the new branch hides its own commits.
	if got, err := r.RevListOutside(ctx, two, "refs/heads/*"); err != nil || len(got) != 0 {
		t.Errorf("RevListOutside without exception = %v, %v; want none", got, err)
	}
}

// TestEditTree changes one path of a tree at a time, as change edits do.
func TestEditTree(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r, err := s.Create(ctx, "p", "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	base := gittest.WriteCommit(t, r.Path, "", "base", map[string]string{"a.txt": "a\n", "d/e/f.txt": "f\n", "d/g.txt": "g\n", "run.sh": "x\n"})
	// The same tree with run.sh executable.
	ls := gittest.ExecInput(t, r.Path, nil, nil, "ls-tree", base+"^{tree}")
	var lines []string
	for _, l := range strings.Split(ls, "\n") {
		if strings.HasSuffix(l, "\trun.sh") {
			l = strings.Replace(l, "100644", "100755", 1)
		}
		lines = append(lines, l)
	}
	tree := strings.TrimSpace(gittest.ExecInput(t, r.Path, []byte(strings.Join(lines, "\n")+"\n"), nil, "mktree"))
	blob := func(s string) string {
		oid, err := r.WriteBlob(ctx, []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return oid
	}
	listing := func(tree string) string {
		return gittest.ExecInput(t, r.Path, nil, nil, "ls-tree", "-r", "--format=%(objectmode) %(path)", tree)
	}
	for _, tc := range []struct {
		desc, path, content string
		delete              bool
		want                string
	}{
		{desc: "new file in new directories", path: "x/y/z.txt", content: "z\n",
			want: "100644 a.txt\n100644 d/e/f.txt\n100644 d/g.txt\n100755 run.sh\n100644 x/y/z.txt"},
		{desc: "an executable stays one", path: "run.sh", content: "y\n",
			want: "100644 a.txt\n100644 d/e/f.txt\n100644 d/g.txt\n100755 run.sh"},
		{desc: "deleting the last file drops its directory", path: "d/e/f.txt", delete: true,
			want: "100644 a.txt\n100644 d/g.txt\n100755 run.sh"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			b := ""
			if !tc.delete {
				b = blob(tc.content)
			}
			out, err := r.EditTree(ctx, tree, tc.path, b)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(listing(out)); got != tc.want {
				t.Errorf("tree after edit:\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	if out, err := r.EditTree(ctx, tree, "nope/x.txt", ""); err != nil || out != tree {
		t.Errorf("deleting a missing file: %s %v", out, err)
	}
	for _, p := range []string{"d", "a.txt/b"} {
		if _, err := r.EditTree(ctx, tree, p, blob("q")); !errors.Is(err, repo.ErrPathConflict) {
			t.Errorf("edit of %s: %v, want a path conflict", p, err)
		}
	}
	if _, err := r.EditTree(ctx, tree, "../x", blob("q")); err == nil {
		t.Error("edit of ../x succeeded")
	}
}
