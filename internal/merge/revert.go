package merge

import (
	"context"
	"fmt"
	"strings"

	"tandem/internal/git"
	"tandem/internal/git/repo"
)

// RevertTree returns the tree of the commit onto with what reverted changed
// against its first parent undone, as `git revert` computes it, without a
// work tree: the inverse of reverted picked onto onto. A revert that
// conflicts is a *ConflictError naming the paths.
func RevertTree(ctx context.Context, r *git.Runner, rp *repo.Repo, reverted, onto string) (string, error) {
	c, err := rp.ReadCommit(ctx, reverted)
	if err != nil {
		return "", err
	}
	if len(c.Parents) == 0 {
		return "", &ConflictError{Msg: "cannot revert a root commit"}
	}
	parent, err := rp.ReadCommit(ctx, c.Parents[0])
	if err != nil {
		return "", err
	}
	target, err := rp.ReadCommit(ctx, onto)
	if err != nil {
		return "", err
	}
	// The inverse: the parent's tree on top of the commit.
	inverse, err := commitTree(ctx, r, rp.Path, parent.Tree, []string{c.OID}, scaffold, scaffold, "revert\n")
	if err != nil {
		return "", err
	}
	res, err := pick(ctx, r, rp.Path, &commit{oid: inverse, tree: parent.Tree, parents: []string{c.OID}}, c.Tree, target.Tree, true)
	if err != nil {
		return "", err
	}
	if !res.clean {
		return "", &ConflictError{Msg: fmt.Sprintf("The revert of %s conflicts with %s in: %s", c.OID, onto, strings.Join(res.conflicts, ", "))}
	}
	return res.tree, nil
}
