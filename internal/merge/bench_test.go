package merge_test

import (
	"testing"
	"time"

	"tandem/internal/git"
	"tandem/internal/git/refupdate"
	"tandem/internal/merge"
)

// BenchmarkFastForward compares submitting a fast-forward change (Apply,
// then moving the branch with refupdate) with the raw git steps such a
// submit needs: `git merge-tree --write-tree` and `git update-ref`. Each
// iteration moves the branch from the tip to the change and (untimed) back.
// The "ratio" sub-benchmark interleaves both and reports apply/raw.
func BenchmarkFastForward(b *testing.B) {
	s := newScene(b)
	c := s.f.commit(msg("Add h", 1), map[string]string{"f": baseF, "g": "g\n", "h": "h\n"}, s.base)
	const ref = "refs/heads/master"
	reset := func(b *testing.B) {
		b.StopTimer()
		if err := refupdate.Apply(s.f.ctx, s.f.r, s.f.repo.Path, refupdate.Update{Ref: ref, Old: c, New: s.tip}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	raw := func(b *testing.B) {
		if _, err := s.f.r.Output(s.f.ctx, git.Cmd{Dir: s.f.repo.Path, Name: "merge-tree", Flags: []string{"--write-tree"}, Args: []string{s.tip, c}}); err != nil {
			b.Fatal(err)
		}
		if err := s.f.r.Run(s.f.ctx, git.Cmd{Dir: s.f.repo.Path, Name: "update-ref", Args: []string{ref, c, s.tip}}); err != nil {
			b.Fatal(err)
		}
	}
	in := merge.Input{
		Repo: s.f.repo, Strategy: merge.MergeIfNecessary, Branch: ref, Tip: s.tip,
		Changes: []merge.ChangeInput{input(1, c)}, Committer: submitter, Server: serverID, MergeContent: true,
	}
	apply := func(b *testing.B) {
		res, err := merge.Apply(s.f.ctx, s.f.r, in)
		if err != nil {
			b.Fatal(err)
		}
		if err := refupdate.Apply(s.f.ctx, s.f.r, s.f.repo.Path, refupdate.Update{Ref: ref, Old: s.tip, New: res.NewTip}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			raw(b)
			reset(b)
		}
	})
	b.Run("apply", func(b *testing.B) {
		for b.Loop() {
			apply(b)
			reset(b)
		}
	})
	b.Run("ratio", func(b *testing.B) {
		var rawT, applyT time.Duration
		for b.Loop() {
			t0 := time.Now()
			raw(b)
			rawT += time.Since(t0)
			reset(b)
			t0 = time.Now()
			apply(b)
			applyT += time.Since(t0)
			reset(b)
		}
		b.ReportMetric(float64(rawT.Nanoseconds())/float64(b.N), "raw-ns/op")
		b.ReportMetric(float64(applyT.Nanoseconds())/float64(b.N), "apply-ns/op")
		b.ReportMetric(float64(applyT)/float64(rawT), "apply/raw")
	})
}
