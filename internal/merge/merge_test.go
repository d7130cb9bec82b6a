package merge_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"tandem/internal/merge"
)

const baseF = "1\n2\n3\n4\n5\n"

// scene is a branch tip and changes built on a fresh repository.
type scene struct {
	f       *fixture
	base    string            // the first commit of master
	tip     string            // master now
	commits map[string]string // name → commit id
}

// newScene makes master = base {f, g}.
func newScene(t testing.TB) *scene {
	t.Helper()
	f := newFixture(t)
	base := f.commit("base\n", map[string]string{"f": baseF, "g": "g\n"})
	f.setRef("refs/heads/master", base)
	return &scene{f: f, base: base, tip: base, commits: map[string]string{}}
}

// advance moves master to a new commit with files on top of base's.
func (s *scene) advance(subject string, files map[string]string) string {
	all := map[string]string{"f": baseF, "g": "g\n"}
	maps.Copy(all, files)
	s.tip = s.f.commit(subject+"\n", all, s.tip)
	s.f.setRef("refs/heads/master", s.tip)
	return s.tip
}

var strategies = merge.Strategies

func TestApplyFastForwardable(t *testing.T) {
	// Apply moves no ref: one repository serves every strategy.
	s := newScene(t)
	c := s.f.commit(msg("Add h", 1), map[string]string{"f": baseF, "g": "g\n", "h": "h\n"}, s.base)
	for _, st := range strategies {
		t.Run(string(st), func(t *testing.T) {
			res, err := s.f.apply(merge.Input{Strategy: st, Tip: s.tip, Changes: []merge.ChangeInput{input(1, c)}, MergeContent: true})
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			got := s.f.read(res.NewTip)
			switch st {
			case merge.MergeIfNecessary, merge.FastForwardOnly, merge.RebaseIfNecessary:
				if res.NewTip != c || res.Rewritten[1] || res.Commits[1] != c || res.Status[1] != merge.CleanMerge {
					t.Errorf("result = %+v, want a fast-forward to %s", res, c)
				}
			case merge.MergeAlways:
				want := rawCommit{tree: s.f.read(c).tree, parents: []string{s.tip, c}, author: subIdent, committer: serverIdent, message: `Merge "Add h"`}
				if !equalCommit(got, want) {
					t.Errorf("merge commit = %+v, want %+v", got, want)
				}
				if res.Commits[1] != c || res.Rewritten[1] || res.Status[1] != merge.CleanMerge {
					t.Errorf("result = %+v, want change 1 merged as %s", res, c)
				}
			case merge.RebaseAlways, merge.CherryPick:
				want := rawCommit{
					tree: s.f.read(c).tree, parents: []string{s.tip}, author: s.f.read(c).author, committer: subIdent,
					message: msg("Add h", 1) + "Reviewed-on: https://review.example.com/c/p/+/1\nReviewed-by: Rev Iewer <rev@example.com>\n",
				}
				if !equalCommit(got, want) {
					t.Errorf("new commit = %+v, want %+v", got, want)
				}
				wantStatus := map[merge.Strategy]merge.Status{merge.RebaseAlways: merge.CleanRebase, merge.CherryPick: merge.CleanPick}[st]
				if res.Commits[1] != res.NewTip || !res.Rewritten[1] || res.Status[1] != wantStatus {
					t.Errorf("result = %+v, want change 1 rewritten (%s)", res, wantStatus)
				}
			}
		})
	}
}

func TestApplyDiverged(t *testing.T) {
	s := newScene(t)
	c := s.f.commit(msg("Add h", 1), map[string]string{"f": baseF, "g": "g\n", "h": "h\n"}, s.base)
	tip := s.advance("Change g", map[string]string{"g": "g2\n"})
	for _, st := range strategies {
		t.Run(string(st), func(t *testing.T) {
			res, err := s.f.apply(merge.Input{Strategy: st, Tip: tip, Changes: []merge.ChangeInput{input(1, c)}, MergeContent: true})
			if st == merge.FastForwardOnly {
				want := "Failed to submit 1 change due to the following problems:\n" +
					"Change 1: Project policy requires all submissions to be a fast-forward. Please rebase the change locally and upload again for review."
				if got := conflictMsg(t, err); got != want {
					t.Errorf("conflict = %q, want %q", got, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			wantFiles := map[string]string{"f": strings.TrimSpace(baseF), "g": "g2", "h": "h"}
			if got := s.f.files(res.NewTip); !maps.Equal(got, wantFiles) {
				t.Errorf("files = %q, want %q", got, wantFiles)
			}
			got := s.f.read(res.NewTip)
			orig := s.f.read(c)
			var want rawCommit
			switch st {
			case merge.MergeIfNecessary, merge.MergeAlways:
				want = rawCommit{parents: []string{tip, c}, author: subIdent, committer: serverIdent, message: `Merge "Add h"`}
			case merge.RebaseIfNecessary:
				want = rawCommit{parents: []string{tip}, author: orig.author, committer: subIdent, message: orig.message}
			case merge.RebaseAlways, merge.CherryPick:
				want = rawCommit{parents: []string{tip}, author: orig.author, committer: subIdent,
					message: orig.message + "Reviewed-on: https://review.example.com/c/p/+/1\nReviewed-by: Rev Iewer <rev@example.com>\n"}
			}
			want.tree = got.tree
			if !equalCommit(got, want) {
				t.Errorf("new tip = %+v, want %+v", got, want)
			}
			rewritten := st != merge.MergeIfNecessary && st != merge.MergeAlways
			if res.Rewritten[1] != rewritten || (res.Commits[1] == c) == rewritten {
				t.Errorf("result = %+v, want rewritten %v", res, rewritten)
			}
		})
	}
}

func TestApplyConflict(t *testing.T) {
	pathConflict := "Failed to submit 1 change due to the following problems:\n" +
		"Change 1: Change could not be merged due to a path conflict. Please rebase the change locally and upload the rebased commit for review."
	notFF := "Failed to submit 1 change due to the following problems:\n" +
		"Change 1: Project policy requires all submissions to be a fast-forward. Please rebase the change locally and upload again for review."
	rebase := func(c string) string {
		return "Cannot rebase " + c + ": Change 1 could not be rebased due to a conflict during merge.\n\nmerge conflict(s):\n* f\n"
	}
	tests := []struct {
		desc         string
		tipF, chF    string
		mergeContent bool
		clean        bool   // whether strategies other than FAST_FORWARD_ONLY succeed
		wantF        string // then f
	}{
		{desc: "same line", tipF: "one\n2\n3\n4\n5\n", chF: "uno\n2\n3\n4\n5\n", mergeContent: true},
		{desc: "distinct lines, content merge", tipF: "one\n2\n3\n4\n5\n", chF: "1\n2\n3\n4\nfive\n", mergeContent: true, clean: true, wantF: "one\n2\n3\n4\nfive"},
		{desc: "distinct lines, no content merge", tipF: "one\n2\n3\n4\n5\n", chF: "1\n2\n3\n4\nfive\n"},
		{desc: "identical edits, no content merge", tipF: "one\n2\n3\n4\n5\n", chF: "one\n2\n3\n4\n5\n", clean: true, wantF: "one\n2\n3\n4\n5"},
	}
	for _, tc := range tests {
		s := newScene(t)
		c := s.f.commit(msg("Edit f", 1), map[string]string{"f": tc.chF, "g": "g\n"}, s.base)
		tip := s.advance("Edit f too", map[string]string{"f": tc.tipF})
		for _, st := range strategies {
			t.Run(tc.desc+"/"+string(st), func(t *testing.T) {
				res, err := s.f.apply(merge.Input{Strategy: st, Tip: tip, Changes: []merge.ChangeInput{input(1, c)}, MergeContent: tc.mergeContent})
				var want string
				switch {
				case st == merge.FastForwardOnly:
					want = notFF
				case tc.clean:
					if err != nil {
						t.Fatalf("Apply: %v", err)
					}
					if got := s.f.files(res.NewTip)["f"]; got != tc.wantF {
						t.Errorf("merged f = %q, want %q", got, tc.wantF)
					}
					return
				case st == merge.RebaseIfNecessary || st == merge.RebaseAlways:
					want = rebase(c)
				default:
					want = pathConflict
				}
				if got := conflictMsg(t, err); got != want {
					t.Errorf("conflict = %q, want %q", got, want)
				}
				var ce *merge.ConflictError
				errors.As(err, &ce)
				if st != merge.FastForwardOnly && !slices.Equal(ce.Problems[0].Paths, []string{"f"}) {
					t.Errorf("problems = %+v, want path f", ce.Problems)
				}
			})
		}
	}
}

// series makes changes 1..3 (A, B, C), each adding a file, on top of base.
func (s *scene) series(topic string) []merge.ChangeInput {
	files := map[string]string{"f": baseF, "g": "g\n"}
	parent := s.base
	var out []merge.ChangeInput
	for i, name := range []string{"a", "b", "c"} {
		files[name] = name + "\n"
		parent = s.f.commit(msg("Add "+name, i+1), maps.Clone(files), parent)
		ch := input(i+1, parent)
		ch.Topic = topic
		out = append(out, ch)
	}
	return out
}

// firstParents returns n commits of the first-parent chain from oid.
func (s *scene) firstParents(oid string, n int) []string {
	out := []string{oid}
	for len(out) < n {
		ps := s.f.read(oid).parents
		if len(ps) == 0 {
			break
		}
		oid = ps[0]
		out = append(out, oid)
	}
	return out
}

func TestApplySeries(t *testing.T) {
	tests := []struct {
		desc     string
		strategy merge.Strategy
		diverge  bool
		topic    string
		branch   string
		check    func(t *testing.T, s *scene, chs []merge.ChangeInput, res merge.Result)
	}{
		{desc: "merge if necessary fast-forwards", strategy: merge.MergeIfNecessary, check: fastForwardedSeries},
		{desc: "fast forward only", strategy: merge.FastForwardOnly, check: fastForwardedSeries},
		{desc: "rebase if necessary fast-forwards", strategy: merge.RebaseIfNecessary, check: fastForwardedSeries},
		{desc: "merge if necessary merges", strategy: merge.MergeIfNecessary, diverge: true, check: func(t *testing.T, s *scene, chs []merge.ChangeInput, res merge.Result) {
			want := "Merge changes I33333333,I22222222,I11111111\n\n* changes:\n  Add c\n  Add b\n  Add a\n"
			checkMergedSeries(t, s, chs, res, want)
		}},
		{desc: "merge always with a topic", strategy: merge.MergeAlways, topic: "feature", check: func(t *testing.T, s *scene, chs []merge.ChangeInput, res merge.Result) {
			want := "Merge changes from topic \"feature\"\n\n* changes:\n  Add c\n  Add b\n  Add a\n"
			checkMergedSeries(t, s, chs, res, want)
		}},
		{desc: "merge into another branch", strategy: merge.MergeIfNecessary, diverge: true, branch: "refs/heads/stable", check: func(t *testing.T, s *scene, chs []merge.ChangeInput, res merge.Result) {
			want := "Merge changes I33333333,I22222222,I11111111 into stable\n\n* changes:\n  Add c\n  Add b\n  Add a\n"
			checkMergedSeries(t, s, chs, res, want)
		}},
		{desc: "rebase if necessary rebases", strategy: merge.RebaseIfNecessary, diverge: true, check: func(t *testing.T, s *scene, chs []merge.ChangeInput, res merge.Result) {
			checkRewrittenSeries(t, s, chs, res, merge.CleanRebase, false)
		}},
		{desc: "rebase always rewrites a fast-forward", strategy: merge.RebaseAlways, check: func(t *testing.T, s *scene, chs []merge.ChangeInput, res merge.Result) {
			checkRewrittenSeries(t, s, chs, res, merge.CleanRebase, true)
		}},
		{desc: "cherry pick", strategy: merge.CherryPick, diverge: true, check: func(t *testing.T, s *scene, chs []merge.ChangeInput, res merge.Result) {
			checkRewrittenSeries(t, s, chs, res, merge.CleanPick, true)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s := newScene(t)
			chs := s.series(tc.topic)
			if tc.diverge {
				s.advance("Change g", map[string]string{"g": "g2\n"})
			}
			res, err := s.f.apply(merge.Input{Strategy: tc.strategy, Branch: tc.branch, Tip: s.tip, Changes: chs, MergeContent: true})
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			tc.check(t, s, chs, res)
		})
	}
}

func fastForwardedSeries(t *testing.T, s *scene, chs []merge.ChangeInput, res merge.Result) {
	t.Helper()
	if res.NewTip != chs[2].Commit {
		t.Errorf("new tip = %s, want change 3's %s", res.NewTip, chs[2].Commit)
	}
	for _, ch := range chs {
		if res.Commits[ch.Number] != ch.Commit || res.Rewritten[ch.Number] || res.Status[ch.Number] != merge.CleanMerge {
			t.Errorf("change %d: result %+v, want merged as is", ch.Number, res)
		}
	}
}

func checkMergedSeries(t *testing.T, s *scene, chs []merge.ChangeInput, res merge.Result, wantMsg string) {
	t.Helper()
	got := s.f.read(res.NewTip)
	if !slices.Equal(got.parents, []string{s.tip, chs[2].Commit}) || got.message != wantMsg {
		t.Errorf("merge commit = %+v, want parents %s %s and message %q", got, s.tip, chs[2].Commit, wantMsg)
	}
	for _, ch := range chs {
		if res.Commits[ch.Number] != ch.Commit || res.Status[ch.Number] != merge.CleanMerge {
			t.Errorf("change %d: result %+v, want merged as is", ch.Number, res)
		}
	}
}

func checkRewrittenSeries(t *testing.T, s *scene, chs []merge.ChangeInput, res merge.Result, status merge.Status, footers bool) {
	t.Helper()
	chain := s.firstParents(res.NewTip, 4)
	if len(chain) != 4 || chain[3] != s.tip {
		t.Fatalf("first parents of new tip = %v, want the old tip %s below three commits", chain, s.tip)
	}
	for i, ch := range chs {
		landed := chain[2-i]
		if res.Commits[ch.Number] != landed || !res.Rewritten[ch.Number] || res.Status[ch.Number] != status {
			t.Errorf("change %d: result %+v, want %s as %s", ch.Number, res, landed, status)
		}
		want := s.f.message(ch.Commit)
		if footers {
			want += "Reviewed-on: https://review.example.com/c/p/+/" + itoa(ch.Number) + "\nReviewed-by: Rev Iewer <rev@example.com>\n"
		}
		if got := s.f.read(landed); got.message != want || got.committer != subIdent || got.author != s.f.read(ch.Commit).author {
			t.Errorf("change %d landed as %+v, want message %q", ch.Number, got, want)
		}
	}
	wantFiles := map[string]string{"f": strings.TrimSpace(baseF), "g": s.f.files(s.tip)["g"], "a": "a", "b": "b", "c": "c"}
	if got := s.f.files(res.NewTip); !maps.Equal(got, wantFiles) {
		t.Errorf("files = %q, want %q", got, wantFiles)
	}
}

func TestApplySeriesConflict(t *testing.T) {
	s := newScene(t)
	chs := s.series("")
	tip := s.advance("Add a differently", map[string]string{"a": "other a\n"})
	_, err := s.f.apply(merge.Input{Strategy: merge.MergeIfNecessary, Tip: tip, Changes: chs, MergeContent: true})
	line := ": Change could not be merged due to a path conflict. Please rebase the change locally and upload the rebased commit for review."
	want := "Failed to submit 3 changes due to the following problems:\nChange 1" + line + "\nChange 2" + line + "\nChange 3" + line
	if got := conflictMsg(t, err); got != want {
		t.Errorf("conflict = %q, want %q", got, want)
	}
}

func TestApplyFastForwardOnlyIndependent(t *testing.T) {
	s := newScene(t)
	c1 := s.f.commit(msg("Add h", 1), map[string]string{"f": baseF, "g": "g\n", "h": "h\n"}, s.base)
	c2 := s.f.commit(msg("Add i", 2), map[string]string{"f": baseF, "g": "g\n", "i": "i\n"}, s.base)
	_, err := s.f.apply(merge.Input{Strategy: merge.FastForwardOnly, Tip: s.tip, Changes: []merge.ChangeInput{input(1, c1), input(2, c2)}})
	line := ": Project policy requires all submissions to be a fast-forward. Please rebase the change locally and upload again for review."
	want := "Failed to submit 2 changes due to the following problems:\nChange 1" + line + "\nChange 2" + line
	if got := conflictMsg(t, err); got != want {
		t.Errorf("conflict = %q, want %q", got, want)
	}
}

func TestApplyUnborn(t *testing.T) {
	f := newFixture(t)
	root := f.commit(msg("Initial", 1), map[string]string{"a": "a\n"})
	child := f.commit(msg("Second", 2), map[string]string{"a": "a\n", "b": "b\n"}, root)
	for _, st := range strategies {
		for _, tip := range []string{"", strings.Repeat("0", 40)} {
			t.Run(string(st)+"/"+tip, func(t *testing.T) {
				res, err := f.apply(merge.Input{Strategy: st, Tip: tip, Changes: []merge.ChangeInput{input(1, root), input(2, child)}, MergeContent: true})
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				switch st {
				case merge.RebaseAlways:
					// The branch is created by fast-forward; then rebases resume.
					got := f.read(res.NewTip)
					if !slices.Equal(got.parents, []string{root}) || res.Status[1] != merge.CleanMerge || res.Status[2] != merge.CleanRebase {
						t.Errorf("result %+v, new tip %+v: want root fast-forwarded, change 2 rebased on it", res, got)
					}
				case merge.CherryPick:
					got := f.read(res.NewTip)
					if !slices.Equal(got.parents, []string{root}) || res.Status[1] != merge.CleanMerge || res.Status[2] != merge.CleanPick {
						t.Errorf("result %+v, new tip %+v: want root fast-forwarded, change 2 picked on it", res, got)
					}
				default:
					if res.NewTip != child || res.Status[1] != merge.CleanMerge || res.Status[2] != merge.CleanMerge {
						t.Errorf("result = %+v, want a fast-forward to %s", res, child)
					}
				}
			})
		}
	}
}

func TestApplyUnbornFromOtherBranch(t *testing.T) {
	f := newFixture(t)
	root := f.commit(msg("Initial", 1), map[string]string{"a": "a\n"})
	f.setRef("refs/heads/other", root)
	child := f.commit(msg("Second", 2), map[string]string{"a": "a\n", "b": "b\n"}, root)
	for _, st := range []merge.Strategy{merge.MergeIfNecessary, merge.RebaseIfNecessary} {
		t.Run(string(st), func(t *testing.T) {
			res, err := f.apply(merge.Input{Strategy: st, Changes: []merge.ChangeInput{input(1, root), input(2, child)}})
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if res.NewTip != child || res.Status[1] != merge.CleanMerge || res.Status[2] != merge.CleanMerge {
				t.Errorf("result = %+v, want a fast-forward to %s", res, child)
			}
		})
	}
}

func TestApplyUnbornIndependentRoots(t *testing.T) {
	f := newFixture(t)
	r1 := f.commit(msg("One", 1), map[string]string{"a": "a\n"})
	r2 := f.commit(msg("Two", 2), map[string]string{"b": "b\n"})
	res, err := f.apply(merge.Input{Strategy: merge.MergeIfNecessary, Changes: []merge.ChangeInput{input(2, r2), input(1, r1)}, MergeContent: true})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	got := f.read(res.NewTip)
	if !slices.Equal(got.parents, []string{r1, r2}) || got.message != `Merge "Two"` {
		t.Errorf("new tip = %+v, want change 1 fast-forwarded and change 2 merged", got)
	}
	if files := f.files(res.NewTip); !maps.Equal(files, map[string]string{"a": "a", "b": "b"}) {
		t.Errorf("files = %q", files)
	}
}

func TestApplyRootOntoBranch(t *testing.T) {
	fail := func(text string) string {
		return "Failed to submit 1 change due to the following problems:\nChange 1: " + text
	}
	tests := map[merge.Strategy]string{
		merge.MergeIfNecessary:  "",
		merge.MergeAlways:       "",
		merge.FastForwardOnly:   fail("Project policy requires all submissions to be a fast-forward. Please rebase the change locally and upload again for review."),
		merge.RebaseIfNecessary: fail("Cannot rebase an initial commit onto an existing branch. Please merge the change locally and upload the merge commit for review."),
		merge.RebaseAlways:      fail("Cannot rebase an initial commit onto an existing branch. Please merge the change locally and upload the merge commit for review."),
		merge.CherryPick:        fail("Cannot cherry-pick an initial commit onto an existing branch. Please merge the change locally and upload the merge commit for review."),
	}
	s := newScene(t)
	root := s.f.commit(msg("Unrelated", 1), map[string]string{"u": "u\n"})
	for _, st := range strategies {
		t.Run(string(st), func(t *testing.T) {
			res, err := s.f.apply(merge.Input{Strategy: st, Tip: s.tip, Changes: []merge.ChangeInput{input(1, root)}, MergeContent: true})
			if want := tests[st]; want != "" {
				if got := conflictMsg(t, err); got != want {
					t.Errorf("conflict = %q, want %q", got, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if got := s.f.read(res.NewTip); !slices.Equal(got.parents, []string{s.tip, root}) {
				t.Errorf("new tip = %+v, want a merge of %s and %s", got, s.tip, root)
			}
		})
	}
}

func TestApplyMergeCommitChange(t *testing.T) {
	tests := []struct {
		desc     string
		strategy merge.Strategy
		diverge  bool
		check    func(t *testing.T, s *scene, m, stable string, res merge.Result)
	}{
		{desc: "fast-forward", strategy: merge.MergeIfNecessary, check: func(t *testing.T, s *scene, m, stable string, res merge.Result) {
			if res.NewTip != m {
				t.Errorf("new tip = %s, want %s", res.NewTip, m)
			}
		}},
		{desc: "merged", strategy: merge.MergeIfNecessary, diverge: true, check: func(t *testing.T, s *scene, m, stable string, res merge.Result) {
			if got := s.f.read(res.NewTip); !slices.Equal(got.parents, []string{s.tip, m}) || got.message != `Merge "Merge stable"` {
				t.Errorf("new tip = %+v, want a merge of the change", got)
			}
		}},
		{desc: "rebased keeping the second parent", strategy: merge.RebaseIfNecessary, diverge: true, check: func(t *testing.T, s *scene, m, stable string, res merge.Result) {
			got := s.f.read(res.NewTip)
			if !slices.Equal(got.parents, []string{s.tip, stable}) || got.message != msg("Merge stable", 1) || res.Status[1] != merge.CleanRebase {
				t.Errorf("new tip = %+v, result %+v: want the merge rebased onto %s", got, res, s.tip)
			}
		}},
		{desc: "cherry pick merges", strategy: merge.CherryPick, diverge: true, check: func(t *testing.T, s *scene, m, stable string, res merge.Result) {
			got := s.f.read(res.NewTip)
			if !slices.Equal(got.parents, []string{s.tip, m}) || got.author != serverIdent || got.committer != serverIdent || res.Status[1] != merge.CleanMerge {
				t.Errorf("new tip = %+v, result %+v: want a merge by the server", got, res)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s := newScene(t)
			stable := s.f.commit("stable\n", map[string]string{"f": baseF, "g": "g\n", "s": "s\n"}, s.base)
			s.f.setRef("refs/heads/stable", stable)
			m := s.f.commit(msg("Merge stable", 1), map[string]string{"f": baseF, "g": "g\n", "s": "s\n"}, s.base, stable)
			if tc.diverge {
				s.advance("Change g", map[string]string{"g": "g2\n"})
			}
			res, err := s.f.apply(merge.Input{Strategy: tc.strategy, Tip: s.tip, Changes: []merge.ChangeInput{input(1, m)}, MergeContent: true})
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			wantG := "g"
			if tc.diverge {
				wantG = "g2"
			}
			if files := s.f.files(res.NewTip); files["s"] != "s" || files["g"] != wantG {
				t.Errorf("files = %q, want s from stable and g %q", files, wantG)
			}
			tc.check(t, s, m, stable, res)
		})
	}
}

func TestApplyMissingDependency(t *testing.T) {
	tests := []struct {
		desc     string
		strategy merge.Strategy
		merged   bool // A is listed in Input.Merged
		wantErr  bool
	}{
		{desc: "merge refuses", strategy: merge.MergeIfNecessary, wantErr: true},
		{desc: "fast forward only refuses", strategy: merge.FastForwardOnly, wantErr: true},
		{desc: "rebase refuses an unknown parent", strategy: merge.RebaseIfNecessary, wantErr: true},
		{desc: "merge refuses a merged change's old commit", strategy: merge.MergeAlways, merged: true, wantErr: true},
		{desc: "rebase accepts a merged change's old commit", strategy: merge.RebaseIfNecessary, merged: true},
		{desc: "rebase always too", strategy: merge.RebaseAlways, merged: true},
		{desc: "cherry pick ignores dependencies", strategy: merge.CherryPick},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s := newScene(t)
			chs := s.series("")
			a, b := chs[0].Commit, chs[1].Commit
			var merged []string
			if tc.merged {
				// A landed earlier as a rebased copy.
				s.advance("Add a (rebased)", map[string]string{"a": "a\n"})
				merged = []string{a}
			}
			res, err := s.f.apply(merge.Input{Strategy: tc.strategy, Tip: s.tip, Changes: chs[1:2], Merged: merged, MergeContent: true})
			if tc.wantErr {
				want := "Failed to submit 1 change due to the following problems:\nChange 2: Depends on change that was not submitted. " +
					"Commit " + b + " depends on commit " + a + " which cannot be merged."
				if got := conflictMsg(t, err); got != want {
					t.Errorf("conflict = %q, want %q", got, want)
				}
				var ce *merge.ConflictError
				if errors.As(err, &ce) && ce.Problems[0].Dependency != a {
					t.Errorf("problem = %+v, want dependency %s", ce.Problems[0], a)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			wantFiles := map[string]string{"f": strings.TrimSpace(baseF), "g": "g", "b": "b"}
			if tc.merged {
				wantFiles["a"] = "a"
			}
			if got := s.f.files(res.NewTip); !maps.Equal(got, wantFiles) {
				t.Errorf("files = %q, want %q", got, wantFiles)
			}
			if got := s.f.read(res.NewTip).parents; !slices.Equal(got, []string{s.tip}) {
				t.Errorf("parents = %v, want the tip %s", got, s.tip)
			}
		})
	}
}

func TestApplyEmptyCommit(t *testing.T) {
	empty := "Failed to submit 1 change due to the following problems:\n" +
		"Change 1: Change could not be merged because the commit is empty. Project policy requires all commits to contain modifications to at least one file."
	tests := []struct {
		desc       string
		strategy   merge.Strategy
		reject     bool
		emptyFF    bool // the change itself changes nothing (else the tip already has its change)
		wantStatus merge.Status
	}{
		{desc: "cherry pick skips", strategy: merge.CherryPick, wantStatus: merge.SkippedIdenticalTree},
		{desc: "cherry pick rejects", strategy: merge.CherryPick, reject: true},
		{desc: "rebase makes an empty commit", strategy: merge.RebaseIfNecessary, wantStatus: merge.CleanRebase},
		{desc: "rebase rejects", strategy: merge.RebaseIfNecessary, reject: true},
		{desc: "rebase always rejects", strategy: merge.RebaseAlways, reject: true},
		{desc: "merge makes a merge", strategy: merge.MergeIfNecessary, wantStatus: merge.CleanMerge},
		{desc: "merge rejects", strategy: merge.MergeIfNecessary, reject: true},
		{desc: "merge always rejects", strategy: merge.MergeAlways, reject: true},
		{desc: "fast-forward to an empty commit", strategy: merge.FastForwardOnly, emptyFF: true, wantStatus: merge.CleanMerge},
		{desc: "fast-forward rejects an empty commit", strategy: merge.FastForwardOnly, emptyFF: true, reject: true},
		{desc: "merge if necessary rejects an empty fast-forward", strategy: merge.MergeIfNecessary, emptyFF: true, reject: true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s := newScene(t)
			var c string
			if tc.emptyFF {
				c = s.f.commit(msg("Nothing", 1), map[string]string{"f": baseF, "g": "g\n"}, s.base)
			} else {
				c = s.f.commit(msg("Add h", 1), map[string]string{"f": baseF, "g": "g\n", "h": "h\n"}, s.base)
				s.advance("Add h as well", map[string]string{"h": "h\n"})
			}
			res, err := s.f.apply(merge.Input{Strategy: tc.strategy, Tip: s.tip, Changes: []merge.ChangeInput{input(1, c)}, MergeContent: true, RejectEmptyCommit: tc.reject})
			if tc.reject {
				if got := conflictMsg(t, err); got != empty {
					t.Errorf("conflict = %q, want %q", got, empty)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if res.Status[1] != tc.wantStatus {
				t.Errorf("status = %s, want %s", res.Status[1], tc.wantStatus)
			}
			if tc.wantStatus == merge.SkippedIdenticalTree && (res.NewTip != s.tip || res.Commits[1] != c || res.Rewritten[1]) {
				t.Errorf("result = %+v, want the tip unchanged and the change kept", res)
			}
			if tc.wantStatus != merge.SkippedIdenticalTree && res.NewTip == s.tip {
				t.Errorf("new tip = the old tip, want a new commit")
			}
		})
	}
}

func TestApplyAlreadyMerged(t *testing.T) {
	s := newScene(t)
	c := s.f.commit(msg("Add h", 1), map[string]string{"f": baseF, "g": "g\n", "h": "h\n"}, s.base)
	s.tip = c
	tip := s.advance("Later", map[string]string{"h": "h\n", "i": "i\n"})
	for _, st := range strategies {
		t.Run(string(st), func(t *testing.T) {
			res, err := s.f.apply(merge.Input{Strategy: st, Tip: tip, Changes: []merge.ChangeInput{input(1, c)}, MergeContent: true})
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if res.NewTip != tip || res.Commits[1] != c || res.Status[1] != merge.AlreadyMerged {
				t.Errorf("result = %+v, want change 1 already merged at %s", res, tip)
			}
		})
	}
}

func TestApplyIdentities(t *testing.T) {
	s := newScene(t)
	c := s.f.commit(msg("Add h", 1), map[string]string{"f": baseF, "g": "g\n", "h": "h\n"}, s.base)
	tip := s.advance("Change g", map[string]string{"g": "g2\n"})
	// No server identity: the submitter commits merges too. Author dates
	// follow the commit date when asked.
	res, err := merge.Apply(s.f.ctx, s.f.r, merge.Input{
		Repo: s.f.repo, Strategy: merge.MergeAlways, Branch: "refs/heads/master", Tip: tip,
		Changes: []merge.ChangeInput{input(1, c)}, Committer: submitter, MergeContent: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.f.read(res.NewTip); got.author != subIdent || got.committer != subIdent {
		t.Errorf("merge = %+v, want the submitter as author and committer", got)
	}
	res, err = s.f.apply(merge.Input{Strategy: merge.RebaseIfNecessary, Tip: tip, Changes: []merge.ChangeInput{input(1, c)}, MergeContent: true, MatchAuthorDate: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.f.read(res.NewTip).author; got != "Test User <test@example.com> 1700000000 +0100" {
		t.Errorf("author = %q, want the original author at the commit time", got)
	}
}

func TestApplyInvalid(t *testing.T) {
	f := newFixture(t)
	c := f.commit("c\n", map[string]string{"a": "a"})
	missing := strings.Repeat("ab", 20)
	tests := []struct {
		desc string
		in   merge.Input
	}{
		{desc: "no repository", in: merge.Input{Strategy: merge.MergeIfNecessary, Branch: "refs/heads/master", Changes: []merge.ChangeInput{{Number: 1, Commit: c}}}},
		{desc: "unknown strategy", in: merge.Input{Repo: f.repo, Strategy: "INHERIT", Branch: "refs/heads/master", Changes: []merge.ChangeInput{{Number: 1, Commit: c}}}},
		{desc: "bad branch", in: merge.Input{Repo: f.repo, Strategy: merge.MergeIfNecessary, Branch: "master", Changes: []merge.ChangeInput{{Number: 1, Commit: c}}}},
		{desc: "bad tip", in: merge.Input{Repo: f.repo, Strategy: merge.MergeIfNecessary, Branch: "refs/heads/master", Tip: "HEAD", Changes: []merge.ChangeInput{{Number: 1, Commit: c}}}},
		{desc: "no changes", in: merge.Input{Repo: f.repo, Strategy: merge.MergeIfNecessary, Branch: "refs/heads/master"}},
		{desc: "repeated number", in: merge.Input{Repo: f.repo, Strategy: merge.MergeIfNecessary, Branch: "refs/heads/master", Changes: []merge.ChangeInput{{Number: 1, Commit: c}, {Number: 1, Commit: missing}}}},
		{desc: "bad commit", in: merge.Input{Repo: f.repo, Strategy: merge.MergeIfNecessary, Branch: "refs/heads/master", Changes: []merge.ChangeInput{{Number: 1, Commit: "--all"}}}},
		{desc: "missing commit", in: merge.Input{Repo: f.repo, Strategy: merge.MergeIfNecessary, Branch: "refs/heads/master", Changes: []merge.ChangeInput{{Number: 1, Commit: missing}}}},
		{desc: "bad merged commit", in: merge.Input{Repo: f.repo, Strategy: merge.RebaseAlways, Branch: "refs/heads/master", Changes: []merge.ChangeInput{{Number: 1, Commit: c}}, Merged: []string{"x"}}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := merge.Apply(f.ctx, f.r, tc.in)
			var ce *merge.ConflictError
			if err == nil || errors.As(err, &ce) {
				t.Errorf("Apply = %v, want an input error", err)
			}
		})
	}
}

func TestParseStrategy(t *testing.T) {
	tests := []struct {
		in      string
		want    merge.Strategy
		wantErr bool
	}{
		{in: "merge if necessary", want: merge.MergeIfNecessary},
		{in: "MERGE_ALWAYS", want: merge.MergeAlways},
		{in: "Rebase Always", want: merge.RebaseAlways},
		{in: "cherry pick", want: merge.CherryPick},
		{in: "fast forward only", want: merge.FastForwardOnly},
		{in: "rebase_if_necessary", want: merge.RebaseIfNecessary},
		{in: "inherit", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := merge.ParseStrategy(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("ParseStrategy(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func equalCommit(a, b rawCommit) bool {
	return a.tree == b.tree && slices.Equal(a.parents, b.parents) && a.author == b.author &&
		a.committer == b.committer && a.message == b.message
}
