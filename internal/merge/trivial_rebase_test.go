package merge_test

import (
	"testing"

	"tandem/internal/merge"
)

func TestTrivialRebase(t *testing.T) {
	f := newFixture(t)
	lines := "one\ntwo\nthree\nfour\nfive\nsix\nseven\n"
	base := f.commit("base", map[string]string{"a.txt": lines, "b.txt": "b\n"})
	// The change edits line five of a.txt.
	old := f.commit("change", map[string]string{"a.txt": "one\ntwo\nthree\nfour\nFIVE\nsix\nseven\n", "b.txt": "b\n"}, base)
	// Upstream edits line three, close enough to be in the diff's context.
	upstream := f.commit("upstream", map[string]string{"a.txt": "one\ntwo\nTHREE\nfour\nfive\nsix\nseven\n", "b.txt": "b\n"}, base)
	rebased := f.commit("change", map[string]string{"a.txt": "one\ntwo\nTHREE\nfour\nFIVE\nsix\nseven\n", "b.txt": "b\n"}, upstream)
	edited := f.commit("change", map[string]string{"a.txt": "one\ntwo\nTHREE\nfour\nFIVE\nsix\nseven\n", "b.txt": "b changed\n"}, upstream)
	other := f.commit("other", map[string]string{"a.txt": "one\ntwo\nthree\nfour\nFIVE\nsix\nseven\n", "b.txt": "b\n", "c.txt": "c\n"}, base)
	conflicting := f.commit("upstream conflict", map[string]string{"a.txt": "one\ntwo\nthree\nfour\nfive!\nsix\nseven\n", "b.txt": "b\n"}, base)
	resolved := f.commit("change", map[string]string{"a.txt": "one\ntwo\nthree\nfour\nFIVE\nsix\nseven\n", "b.txt": "b\n"}, conflicting)
	merged := f.commit("merge", map[string]string{"a.txt": lines, "b.txt": "b\n"}, base, upstream)
	root := f.commit("root", map[string]string{"a.txt": "one\ntwo\nthree\nfour\nFIVE\nsix\nseven\n", "b.txt": "b\n"})

	tests := []struct {
		desc      string
		old, next string
		want      bool
	}{
		{"rebase with changed context", old, rebased, true},
		{"same parent, same tree", old, old, true},
		{"rebase with an extra edit", old, edited, false},
		{"same parent, another file", old, other, false},
		{"rebase that resolved a conflict", old, resolved, false},
		{"merge commit", merged, rebased, false},
		{"root commit", old, root, false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			o, err := f.repo.ReadCommit(f.ctx, tc.old)
			if err != nil {
				t.Fatal(err)
			}
			n, err := f.repo.ReadCommit(f.ctx, tc.next)
			if err != nil {
				t.Fatal(err)
			}
			got, err := merge.TrivialRebase(f.ctx, f.r, f.repo, o, n)
			if err != nil || got != tc.want {
				t.Errorf("TrivialRebase = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
