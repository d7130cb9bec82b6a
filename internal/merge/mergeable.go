package merge

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"tandem/internal/git"
	"tandem/internal/git/repo"
)

// Mergeable reports whether the commit change could be submitted onto tip
// with strategy s as far as git is concerned, as Gerrit's mergeability
// check does: a fast-forward for FAST_FORWARD_ONLY, a clean merge for the
// merge and rebase strategies (a root commit cannot be rebased onto an
// existing branch), a clean cherry-pick for CHERRY_PICK. Everything is
// mergeable into an unborn branch (tip "" or the zero id). It costs one
// merge-base or merge-tree (two processes for a cherry-pick). Missing
// dependencies are the caller's to check.
func Mergeable(ctx context.Context, r *git.Runner, rp *repo.Repo, s Strategy, mergeContent bool, tip, change string) (bool, error) {
	fail := func(err error) (bool, error) {
		return false, fmt.Errorf("mergeable %s onto %s in %q: %w", change, tip, rp.Name, err)
	}
	if !git.IsOID(change) {
		return fail(fmt.Errorf("not an object id"))
	}
	if isZero(tip) {
		return true, nil
	}
	if !git.IsOID(tip) {
		return fail(fmt.Errorf("tip is not an object id"))
	}
	merges := func() (bool, error) {
		mr, err := mergeTrees(ctx, r, rp.Path, tip, change, mergeContent)
		if err != nil {
			return fail(err)
		}
		return mr.clean, nil
	}
	switch s {
	case FastForwardOnly:
		out, err := r.Output(ctx, git.Cmd{Dir: rp.Path, Name: "merge-base", Args: []string{tip, change}})
		var ge *git.Error
		if errors.As(err, &ge) && ge.ExitCode == 1 && len(out) == 0 {
			return false, nil // unrelated histories
		}
		if err != nil {
			return fail(err)
		}
		base := strings.TrimSpace(string(out))
		return base == tip || base == change, nil
	case MergeIfNecessary, MergeAlways:
		return merges()
	case RebaseIfNecessary, RebaseAlways, CherryPick:
		if _, err := rp.Resolve(ctx, change+"^{commit}"); err != nil {
			return fail(err)
		}
		parent, err := resolveOptional(ctx, rp, change+"^")
		if err != nil || parent == "" {
			return false, err // a root commit cannot go onto an existing branch
		}
		if s != CherryPick {
			// Gerrit tests a merge, not a rebase, so that a change whose
			// parent is itself still to be submitted is not refused.
			return merges()
		}
		second, err := resolveOptional(ctx, rp, change+"^2")
		if err != nil {
			return false, err
		}
		if second != "" {
			return merges() // a merge commit is merged, not picked
		}
		trees := make([]string, 3)
		for i, rev := range []string{change, parent, tip} {
			if trees[i], err = rp.Resolve(ctx, rev+"^{tree}"); err != nil {
				return fail(err)
			}
		}
		c := &commit{oid: change, tree: trees[0], parents: []string{parent}}
		mr, err := pick(ctx, r, rp.Path, c, trees[1], trees[2], mergeContent)
		if err != nil {
			return fail(err)
		}
		return mr.clean, nil
	}
	return fail(fmt.Errorf("unknown submit type %q", s))
}

// resolveOptional resolves rev, "" when it names nothing.
func resolveOptional(ctx context.Context, rp *repo.Repo, rev string) (string, error) {
	oid, err := rp.Resolve(ctx, rev)
	if errors.Is(err, repo.ErrNotFound) {
		return "", nil
	}
	return oid, err
}
