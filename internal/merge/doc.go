// Package merge integrates changes into a branch with Gerrit's six submit
// types, on a bare repository and without a work tree: `git rev-list`
// learns the history to integrate, `git merge-tree --write-tree` merges,
// rebases and cherry-picks, and `git commit-tree` writes the new commits.
//
// Apply computes the branch's new tip and writes the objects it needs, but
// moves no ref: the submit use case records its intent (old tip, new tip)
// first and then moves the branch and writes any new patch-set refs itself,
// with a compare-and-swap on the old tip. A submission either succeeds as a
// whole or fails with a *ConflictError carrying Gerrit's 409 text; the
// objects a failed attempt wrote stay unreferenced until gc prunes them.
//
// Mergeable answers Gerrit's "could this change be submitted now?" cheaply,
// for `is:mergeable` and GET …/mergeable.
//
// Each strategy lives in its own file. Nothing here holds state between
// calls; everything is safe for concurrent use (git's object store is).
// Serializing submits to one branch is the caller's job.
package merge
