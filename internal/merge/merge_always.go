package merge

// mergeAlways merges every independent change with a merge commit, even
// when the branch could be fast-forwarded; only an unborn branch is
// created by fast-forwarding to the first change.
func (x *run) mergeAlways() error {
	heads, err := x.mergeHeads()
	if err != nil || heads == nil {
		return err
	}
	if x.tip == "" {
		if err := x.fastForwardChange(heads[0]); err != nil {
			return err
		}
		heads = heads[1:]
	}
	for _, h := range heads {
		if err := x.mergeOne(h, x.submitter(), x.server()); err != nil {
			return err
		}
	}
	x.markClean()
	return nil
}
