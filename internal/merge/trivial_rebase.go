package merge

import (
	"context"
	"fmt"

	"tandem/internal/git"
	"tandem/internal/git/repo"
)

// TrivialRebase reports whether next is old rebased without conflicts
// and without other edits, Gerrit's TRIVIAL_REBASE (before comparing
// messages): cherry-picking old onto next's parent gives exactly next's
// tree. Merge commits and root commits never are. It costs two processes
// when the parents differ.
func TrivialRebase(ctx context.Context, r *git.Runner, rp *repo.Repo, old, next *repo.Commit) (bool, error) {
	if len(old.Parents) != 1 || len(next.Parents) != 1 {
		return false, nil
	}
	fromTree, err := rp.Resolve(ctx, old.Parents[0]+"^{tree}")
	if err != nil {
		return false, fmt.Errorf("trivial rebase of %s: %w", old.OID, err)
	}
	ontoTree, err := rp.Resolve(ctx, next.Parents[0]+"^{tree}")
	if err != nil {
		return false, fmt.Errorf("trivial rebase of %s: %w", old.OID, err)
	}
	res, err := pick(ctx, r, rp.Path, &commit{oid: old.OID, tree: old.Tree, parents: old.Parents}, fromTree, ontoTree, true)
	if err != nil {
		return false, fmt.Errorf("trivial rebase of %s: %w", old.OID, err)
	}
	return res.clean && res.tree == next.Tree, nil
}
