package merge

// fastForwardOnly moves the branch to the submitted changes' commit when
// that keeps the branch's history, and refuses every change otherwise.
// Independent changes cannot all be fast-forwarded to, so they are refused
// together.
func (x *run) fastForwardOnly() error {
	todo, err := x.checkDependencies(x.alreadyMerged(), false)
	if err != nil || len(x.problems) > 0 || len(todo) == 0 {
		return err
	}
	heads := x.heads(todo)
	if len(heads) > 1 || !x.canFastForward(heads[0].Commit) {
		for _, c := range todo {
			x.fail(c, NotFastForward, "")
		}
		return nil
	}
	if err := x.fastForwardChange(heads[0]); err != nil {
		return err
	}
	x.markClean()
	return nil
}
