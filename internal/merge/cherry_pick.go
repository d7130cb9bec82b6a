package merge

import "fmt"

// cherryPick applies each change's own delta onto the tip, by change
// number, ignoring how the changes depend on each other, and adds Gerrit's
// footers. The first change creates an unborn branch by fast-forward; a
// merge commit is merged as MERGE_IF_NECESSARY would, with the server as
// author and committer; a pick that would change nothing marks the change
// merged without a commit (or, with submit.rejectEmptyCommit, fails).
func (x *run) cherryPick() error {
	for _, c := range sortedByNumber(x.alreadyMerged()) {
		k := x.graph[c.Commit]
		var err error
		switch {
		case x.tip == "":
			err = x.fastForwardChange(c)
		case len(k.parents) == 0:
			x.fail(c, CannotCherryPickRoot, "")
		case len(k.parents) == 1:
			err = x.pickOne(c, k)
		default:
			err = x.pickMerge(c)
		}
		if err != nil {
			return err
		}
	}
	x.markClean()
	return nil
}

// pickOne cherry-picks change c's commit k onto the tip.
func (x *run) pickOne(c *ChangeInput, k *commit) error {
	parentTree, err := x.treeOf(k.parents[0])
	if err != nil {
		return err
	}
	cur, err := x.currentTree()
	if err != nil {
		return err
	}
	mr, err := pick(x.ctx, x.git, x.repo.Path, k, parentTree, cur, x.in.MergeContent)
	if err != nil {
		return err
	}
	switch {
	case !mr.clean:
		x.problems = append(x.problems, Problem{Change: c.Number, Status: PathConflict, Paths: mr.conflicts})
		return nil
	case mr.tree == cur && x.in.RejectEmptyCommit:
		x.fail(c, EmptyCommit, "")
		return nil
	case mr.tree == cur:
		x.accept(c, c.Commit, SkippedIdenticalTree)
		return nil
	}
	oid, err := x.rewrite(k, mr.tree, []string{x.tip}, detailedMessage(k.message, c))
	if err != nil {
		return fmt.Errorf("cherry-pick change %d: %w", c.Number, err)
	}
	x.moveTo(oid, mr.tree)
	x.accept(c, oid, CleanPick)
	return nil
}

// pickMerge integrates a merge commit without rewriting it.
func (x *run) pickMerge(c *ChangeInput) error {
	ok, err := x.checkDependencies([]*ChangeInput{c}, false)
	if err != nil || len(ok) == 0 {
		return err
	}
	if x.canFastForward(c.Commit) {
		x.fastForward(c.Commit)
		return nil
	}
	return x.mergeOne(c, x.server(), x.server())
}
