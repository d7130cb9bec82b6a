package merge

import "fmt"

// rebaseIfNecessary fast-forwards the branch through the changes while it
// can and rebases the rest onto the tip, keeping their messages.
func (x *run) rebaseIfNecessary() error { return x.rebase(false) }

// rebase integrates the changes one by one, ancestors first: the first
// change creates an unborn branch, a change the tip is an ancestor of is
// fast-forwarded to unless always, and every other change is rebased onto
// the tip (a merge commit keeps its other parents). As in Gerrit, only an
// unborn branch is fast-forwarded with always. always adds Gerrit's
// footers to every rebased message.
func (x *run) rebase(always bool) error {
	todo, err := x.checkDependencies(x.alreadyMerged(), true)
	if err != nil || len(x.problems) > 0 {
		return err
	}
	rewritten := map[string]string{}
	for _, c := range x.topological(todo) {
		k := x.graph[c.Commit]
		switch {
		case x.tip == "":
			err = x.fastForwardChange(c)
		case len(k.parents) == 0:
			x.fail(c, CannotRebaseRoot, "")
		case !always && x.canFastForward(c.Commit):
			err = x.fastForwardChange(c)
		default:
			err = x.rebaseOne(c, k, always, rewritten)
		}
		if err != nil {
			return err
		}
	}
	x.markClean()
	return nil
}

// rebaseOne writes change c's commit k again on top of the tip.
func (x *run) rebaseOne(c *ChangeInput, k *commit, always bool, rewritten map[string]string) error {
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
	if !mr.clean {
		return rebaseConflict(c, mr.conflicts)
	}
	if x.in.RejectEmptyCommit && mr.tree == cur {
		x.fail(c, EmptyCommit, "")
		return nil
	}
	parents := []string{x.tip}
	for _, p := range k.parents[1:] {
		if n, ok := rewritten[p]; ok {
			p = n
		}
		if p != x.tip {
			parents = append(parents, p)
		}
	}
	msg := k.message
	if always {
		msg = detailedMessage(msg, c)
	}
	oid, err := x.rewrite(k, mr.tree, parents, msg)
	if err != nil {
		return fmt.Errorf("rebase change %d: %w", c.Number, err)
	}
	rewritten[k.oid] = oid
	x.moveTo(oid, mr.tree, parents[1:]...)
	x.accept(c, oid, CleanRebase)
	return nil
}

// rewrite writes a new version of k: k's author, the submitter as
// committer.
func (x *run) rewrite(k *commit, tree string, parents []string, msg string) (string, error) {
	author := person{name: k.authorName, email: k.authorEmail, date: k.authorDate}
	committer := x.submitter()
	if x.in.MatchAuthorDate {
		author.date = committer.date
	}
	oid, err := commitTree(x.ctx, x.git, x.repo.Path, tree, parents, author, committer, msg)
	if err != nil {
		return "", err
	}
	x.created[oid] = true
	return oid, nil
}
