package merge_test

import (
	"strings"
	"testing"

	"tandem/internal/merge"
)

func TestMergeable(t *testing.T) {
	type want map[merge.Strategy]bool
	all := func(v bool) want {
		w := want{}
		for _, st := range strategies {
			w[st] = v
		}
		return w
	}
	but := func(w want, st merge.Strategy, v bool) want { w[st] = v; return w }
	tests := []struct {
		desc         string
		mergeContent bool
		// setup returns the tip and the change's commit.
		setup func(s *scene) (string, string)
		want  want
	}{
		{desc: "fast-forward", mergeContent: true, want: all(true), setup: func(s *scene) (string, string) {
			return s.tip, s.f.commit("c\n", map[string]string{"f": baseF, "g": "g\n", "h": "h\n"}, s.base)
		}},
		{desc: "unborn branch", want: all(true), setup: func(s *scene) (string, string) {
			return "", s.f.commit("c\n", map[string]string{"h": "h\n"})
		}},
		{desc: "already merged", mergeContent: true, want: all(true), setup: func(s *scene) (string, string) {
			c := s.advance("c", map[string]string{"h": "h\n"})
			return s.advance("later", map[string]string{"h": "h\n", "i": "i\n"}), c
		}},
		{desc: "diverged", mergeContent: true, want: but(all(true), merge.FastForwardOnly, false), setup: func(s *scene) (string, string) {
			c := s.f.commit("c\n", map[string]string{"f": baseF, "g": "g\n", "h": "h\n"}, s.base)
			return s.advance("other", map[string]string{"g": "g2\n"}), c
		}},
		{desc: "conflict", mergeContent: true, want: all(false), setup: func(s *scene) (string, string) {
			c := s.f.commit("c\n", map[string]string{"f": "uno\n", "g": "g\n"}, s.base)
			return s.advance("other", map[string]string{"f": "one\n"}), c
		}},
		{desc: "distinct lines, content merge", mergeContent: true, want: but(all(true), merge.FastForwardOnly, false), setup: func(s *scene) (string, string) {
			c := s.f.commit("c\n", map[string]string{"f": "1\n2\n3\n4\nfive\n", "g": "g\n"}, s.base)
			return s.advance("other", map[string]string{"f": "one\n2\n3\n4\n5\n"}), c
		}},
		{desc: "distinct lines, no content merge", want: all(false), setup: func(s *scene) (string, string) {
			c := s.f.commit("c\n", map[string]string{"f": "1\n2\n3\n4\nfive\n", "g": "g\n"}, s.base)
			return s.advance("other", map[string]string{"f": "one\n2\n3\n4\n5\n"}), c
		}},
		{desc: "root commit", mergeContent: true,
			want: want{merge.MergeIfNecessary: true, merge.MergeAlways: true, merge.FastForwardOnly: false, merge.RebaseIfNecessary: false, merge.RebaseAlways: false, merge.CherryPick: false},
			setup: func(s *scene) (string, string) {
				return s.tip, s.f.commit("root\n", map[string]string{"u": "u\n"})
			}},
		{desc: "merge commit", mergeContent: true, want: but(all(true), merge.FastForwardOnly, false), setup: func(s *scene) (string, string) {
			side := s.f.commit("side\n", map[string]string{"f": baseF, "g": "g\n", "s": "s\n"}, s.base)
			m := s.f.commit("merge\n", map[string]string{"f": baseF, "g": "g\n", "s": "s\n"}, s.base, side)
			return s.advance("other", map[string]string{"g": "g2\n"}), m
		}},
		{desc: "cherry-pick conflicts where a merge would not", mergeContent: true,
			// The change's parent adds h; the branch never had it: picking
			// only the change's own edit of h conflicts, merging brings both.
			want: want{merge.MergeIfNecessary: true, merge.MergeAlways: true, merge.FastForwardOnly: false, merge.RebaseIfNecessary: true, merge.RebaseAlways: true, merge.CherryPick: false},
			setup: func(s *scene) (string, string) {
				p := s.f.commit("p\n", map[string]string{"f": baseF, "g": "g\n", "h": "1\n2\n3\n"}, s.base)
				c := s.f.commit("c\n", map[string]string{"f": baseF, "g": "g\n", "h": "1\ntwo\n3\n"}, p)
				return s.advance("other", map[string]string{"g": "g2\n"}), c
			}},
	}
	for _, tc := range tests {
		s := newScene(t)
		tip, c := tc.setup(s)
		for _, st := range strategies {
			t.Run(tc.desc+"/"+string(st), func(t *testing.T) {
				got, err := merge.Mergeable(s.f.ctx, s.f.r, s.f.repo, st, tc.mergeContent, tip, c)
				if err != nil {
					t.Fatalf("Mergeable: %v", err)
				}
				if got != tc.want[st] {
					t.Errorf("Mergeable = %v, want %v", got, tc.want[st])
				}
			})
		}
	}
}

func TestMergeableInvalid(t *testing.T) {
	s := newScene(t)
	missing := strings.Repeat("ab", 20)
	for _, tc := range []struct {
		desc      string
		st        merge.Strategy
		tip, that string
	}{
		{desc: "bad commit", st: merge.MergeIfNecessary, tip: s.tip, that: "HEAD"},
		{desc: "bad tip", st: merge.MergeIfNecessary, tip: "master", that: s.base},
		{desc: "missing commit", st: merge.CherryPick, tip: s.tip, that: missing},
		{desc: "missing commit, merge", st: merge.MergeAlways, tip: s.tip, that: missing},
		{desc: "unknown strategy", st: "INHERIT", tip: s.tip, that: s.base},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got, err := merge.Mergeable(s.f.ctx, s.f.r, s.f.repo, tc.st, true, tc.tip, tc.that); err == nil {
				t.Errorf("Mergeable = %v, nil; want an error", got)
			}
		})
	}
}
