package merge

import "fmt"

// mergeIfNecessary fast-forwards the branch to the first change that
// allows it and merges every other independent change with a merge commit.
func (x *run) mergeIfNecessary() error {
	heads, err := x.mergeHeads()
	if err != nil || heads == nil {
		return err
	}
	for i, h := range heads {
		if x.canFastForward(h.Commit) {
			if err := x.fastForwardChange(h); err != nil {
				return err
			}
			heads = append(heads[:i:i], heads[i+1:]...)
			break
		}
	}
	for _, h := range heads {
		if err := x.mergeOne(h, x.submitter(), x.server()); err != nil {
			return err
		}
	}
	x.markClean()
	return nil
}

// mergeHeads leaves out merged changes, refuses those with missing
// dependencies and returns the ones to merge; nil when there is nothing
// (more) to do.
func (x *run) mergeHeads() ([]*ChangeInput, error) {
	todo, err := x.checkDependencies(x.alreadyMerged(), false)
	if err != nil || len(x.problems) > 0 || len(todo) == 0 {
		return nil, err
	}
	return x.heads(todo), nil
}

// fastForwardChange moves the branch to change c's commit, unless the
// project rejects empty commits and c is one.
func (x *run) fastForwardChange(c *ChangeInput) error {
	if x.in.RejectEmptyCommit {
		empty, err := x.isEmpty(x.graph[c.Commit])
		if err != nil {
			return err
		}
		if empty {
			x.fail(c, EmptyCommit, "")
			return nil
		}
	}
	x.fastForward(c.Commit)
	return nil
}

// mergeOne merges change c (and the changes in its history) into the tip
// with a merge commit. A conflict is a problem of every change it brings.
func (x *run) mergeOne(c *ChangeInput, author, committer person) error {
	if x.tip == "" {
		return x.fastForwardChange(c) // nothing to merge with
	}
	brought := x.contents(c.Commit)
	var tree string
	if x.canFastForward(c.Commit) {
		tree = x.graph[c.Commit].tree // MERGE_ALWAYS: the merge changes nothing
	} else {
		mr, err := mergeTrees(x.ctx, x.git, x.repo.Path, x.tip, c.Commit, x.in.MergeContent)
		if err != nil {
			return err
		}
		if !mr.clean {
			for _, k := range brought {
				if ch := x.byCommit[k.oid]; ch != nil {
					x.problems = append(x.problems, Problem{Change: ch.Number, Status: PathConflict, Paths: mr.conflicts})
				}
			}
			return nil
		}
		tree = mr.tree
	}
	if x.in.RejectEmptyCommit {
		cur, err := x.currentTree()
		if err != nil {
			return err
		}
		if tree == cur {
			x.fail(c, EmptyCommit, "")
			return nil
		}
	}
	var changes []*commit
	for _, k := range brought {
		if x.byCommit[k.oid] != nil {
			changes = append(changes, k)
		}
	}
	msg := mergeMessage(x.in.Branch, changes, func(oid string) *ChangeInput { return x.byCommit[oid] })
	oid, err := commitTree(x.ctx, x.git, x.repo.Path, tree, []string{x.tip, c.Commit}, author, committer, msg)
	if err != nil {
		return fmt.Errorf("merge change %d: %w", c.Number, err)
	}
	x.created[oid] = true
	x.moveTo(oid, tree, c.Commit)
	return nil
}

// submitter is the submitter as author or committer.
func (x *run) submitter() person { return identPerson(x.in.Committer, x.when) }

// server is the server's identity, the committer of merge commits.
func (x *run) server() person {
	if x.in.Server.Name == "" && x.in.Server.Email == "" {
		return x.submitter()
	}
	return identPerson(x.in.Server, x.when)
}
