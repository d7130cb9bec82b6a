package merge

// rebaseAlways rebases every change onto the tip, even when the branch
// could be fast-forwarded, and adds Gerrit's footers (Change-Id,
// Reviewed-on, votes) to each new commit. Unlike CHERRY_PICK it keeps the
// changes' order and dependencies.
func (x *run) rebaseAlways() error { return x.rebase(true) }
