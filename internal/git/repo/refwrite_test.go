package repo_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tandem/internal/git/gittest"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
)

// TestUpdateRefsLikeGit runs each transaction twice on copies of one
// repository, through UpdateRefs and through git update-ref, and wants the
// same kind of error and the same refs afterwards; the cases UpdateRefs
// writes itself must not reach git, the others must.
func TestUpdateRefsLikeGit(t *testing.T) {
	ctx := context.Background()
	template := gittest.InitBare(t)
	a := gittest.WriteCommit(t, template, "refs/heads/main", "a", map[string]string{"f": "a"})
	b := gittest.WriteCommit(t, template, "", "b", map[string]string{"f": "b"}, a)
	gittest.Exec(t, template, "update-ref", "refs/heads/packed", a)
	gittest.Exec(t, template, "update-ref", "refs/heads/pk/inside", a)
	gittest.Exec(t, template, "pack-refs", "--all", "--prune")
	gittest.Exec(t, template, "update-ref", "refs/heads/main", a) // loose again
	gittest.Exec(t, template, "update-ref", "refs/loose/x", a)
	gittest.Exec(t, template, "update-ref", "refs/heads/locked", a)
	gittest.Exec(t, template, "symbolic-ref", "refs/heads/sym", "refs/heads/main")
	gittest.Exec(t, template, "tag", "-a", "-m", "v1", "v1", a)
	tag := gittest.Exec(t, template, "rev-parse", "refs/tags/v1")
	if err := os.WriteFile(filepath.Join(template, "refs", "heads", "locked.lock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	const zero = refupdate.ZeroOID
	up := func(ref, old, new string) refupdate.Update { return refupdate.Update{Ref: ref, Old: old, New: new} }

	tests := []struct {
		desc  string
		ups   []refupdate.Update
		byGit bool   // left to git update-ref
		want  string // "", "mismatch", "conflict", "invalid" or "other"
		setup func(dir string)
	}{
		{desc: "create", ups: []refupdate.Update{up("refs/heads/dev", zero, b)}},
		{desc: "move loose", ups: []refupdate.Update{up("refs/heads/main", a, b)}},
		{desc: "move packed", ups: []refupdate.Update{up("refs/heads/packed", a, b)}},
		{desc: "unchecked", ups: []refupdate.Update{up("refs/heads/main", "", b)}},
		{desc: "create nested", ups: []refupdate.Update{up("refs/changes/01/1/1", zero, b)}},
		{desc: "annotated tag", ups: []refupdate.Update{up("refs/tags/v2", zero, tag)}},
		{desc: "several", ups: []refupdate.Update{up("refs/heads/main", a, b), up("refs/changes/01/1/1", zero, b), up("refs/heads/packed", a, b)}},
		{desc: "create existing loose", ups: []refupdate.Update{up("refs/heads/main", zero, b)}, want: "mismatch"},
		{desc: "create existing packed", ups: []refupdate.Update{up("refs/heads/packed", zero, b)}, want: "mismatch"},
		{desc: "wrong old", ups: []refupdate.Update{up("refs/heads/main", b, b)}, want: "mismatch"},
		{desc: "wrong old packed", ups: []refupdate.Update{up("refs/heads/packed", b, a)}, want: "mismatch"},
		{desc: "old of a missing ref", ups: []refupdate.Update{up("refs/heads/nope", a, b)}, want: "mismatch"},
		{desc: "locked", ups: []refupdate.Update{up("refs/heads/locked", a, b)}, want: "mismatch"},
		{desc: "under a loose ref", ups: []refupdate.Update{up("refs/heads/main/x", zero, b)}, want: "conflict"},
		{desc: "under a packed ref", ups: []refupdate.Update{up("refs/heads/packed/x", zero, b)}, want: "conflict"},
		{desc: "over a packed ref", ups: []refupdate.Update{up("refs/heads/pk", zero, b)}, want: "conflict"},
		{desc: "all or nothing", ups: []refupdate.Update{up("refs/heads/new", zero, a), up("refs/heads/main", b, a), up("refs/heads/packed", a, b)}, want: "mismatch"},

		{desc: "delete", ups: []refupdate.Update{up("refs/heads/main", a, zero)}, byGit: true},
		{desc: "over packed refs", ups: []refupdate.Update{up("refs/heads", zero, b)}, want: "conflict"},
		{desc: "over a loose directory", ups: []refupdate.Update{up("refs/loose", zero, b)}, byGit: true, want: "conflict"},
		{desc: "tag on a branch", ups: []refupdate.Update{up("refs/heads/t", zero, tag)}, byGit: true, want: "other"},
		{desc: "missing object", ups: []refupdate.Update{up("refs/heads/x", zero, strings.Repeat("1", 40))}, byGit: true, want: "other"},
		{desc: "bad name", ups: []refupdate.Update{up("refs/heads/a..b", zero, b)}, byGit: true, want: "invalid"},
		{desc: "symbolic ref", ups: []refupdate.Update{up("refs/heads/sym", a, b)}, byGit: true},
		{desc: "one inside another", ups: []refupdate.Update{up("refs/x", zero, a), up("refs/x/y", zero, a)}, byGit: true, want: "conflict"},
		{desc: "reflogs", ups: []refupdate.Update{up("refs/heads/main", a, b)}, byGit: true,
			setup: func(dir string) { os.MkdirAll(filepath.Join(dir, "logs", "refs", "heads"), 0o755) }},
		{desc: "logAllRefUpdates", ups: []refupdate.Update{up("refs/heads/main", a, b)}, byGit: true,
			setup: func(dir string) { gittest.Exec(t, dir, "config", "core.logAllRefUpdates", "true") }},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			root := t.TempDir()
			var results [2]string
			for i, how := range []string{"tandem", "git"} {
				dir := filepath.Join(root, how+".git")
				if err := os.CopyFS(dir, os.DirFS(template)); err != nil {
					t.Fatal(err)
				}
				if tc.setup != nil {
					tc.setup(dir)
				}
				var err error
				if how == "git" {
					err = refupdate.Apply(ctx, gittest.Runner(t), dir, tc.ups...)
				} else {
					s := repo.NewStore(root, gittest.Runner(t))
					defer s.Close()
					r, oerr := s.Open(how)
					if oerr != nil {
						t.Fatal(oerr)
					}
					err = repo.WriteRefs(r, ctx, tc.ups)
					if errors.Is(err, repo.ErrUseGit) != tc.byGit {
						t.Fatalf("own write returned %v; want it left to git: %v", err, tc.byGit)
					}
					if tc.byGit {
						// Having changed nothing, it leaves the work to git.
						err = r.UpdateRefs(ctx, tc.ups...)
					}
				}
				if got := errorKind(err); got != tc.want {
					t.Errorf("%s: error %v (%s), want %q", how, err, got, tc.want)
				}
				results[i] = gittest.Exec(t, dir, "for-each-ref", "--format=%(refname) %(objectname) %(symref)")
				filepath.WalkDir(dir, func(p string, d fs.DirEntry, _ error) error {
					if strings.HasSuffix(p, ".lock") && !strings.HasSuffix(p, "locked.lock") {
						t.Errorf("%s: lock file %s left behind", how, p)
					}
					return nil
				})
			}
			if results[0] != results[1] {
				t.Errorf("refs differ:\ntandem:\n%s\ngit:\n%s", results[0], results[1])
			}
		})
	}
}

func errorKind(err error) string {
	var me *refupdate.MismatchError
	var ce *refupdate.ConflictError
	var ie *refupdate.InvalidRefError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &me):
		return "mismatch"
	case errors.As(err, &ce):
		return "conflict"
	case errors.As(err, &ie):
		return "invalid"
	}
	return "other"
}

// TestUpdateRefsRace: of writers moving one ref from the same old value at
// once, exactly one wins and the others see a compare-and-swap failure.
func TestUpdateRefsRace(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r, err := s.Create(ctx, "race", "")
	if err != nil {
		t.Fatal(err)
	}
	a := gittest.WriteCommit(t, r.Path, "refs/heads/main", "a", map[string]string{"f": "a"})
	var commits []string
	for i := range 8 {
		commits = append(commits, gittest.WriteCommit(t, r.Path, "", "c", map[string]string{"f": strings.Repeat("x", i)}, a))
	}
	errs := make(chan error, len(commits))
	for _, c := range commits {
		go func() { errs <- r.UpdateRefs(ctx, refupdate.Update{Ref: "refs/heads/main", Old: a, New: c}) }()
	}
	won := 0
	for range commits {
		err := <-errs
		var me *refupdate.MismatchError
		switch {
		case err == nil:
			won++
		case !errors.As(err, &me):
			t.Errorf("loser got %v, want a MismatchError", err)
		}
	}
	if won != 1 {
		t.Errorf("%d writers won", won)
	}
	got := gittest.Exec(t, r.Path, "rev-parse", "refs/heads/main")
	if got == a {
		t.Errorf("main did not move")
	}
}
