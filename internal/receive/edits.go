package receive

import (
	"context"
	"errors"
	"strconv"

	"tandem/internal/change"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
)

// editTarget is a commit pushed with %edit and the open change it edits.
type editTarget struct {
	commit *repo.Commit
	change *change.Change
}

// uploadEdits makes each commit the pusher's change edit of its change,
// replacing any edit they had of it, as Gerrit's push with %edit does:
// refs/users/NN/ACCOUNT/edit-C/PS on the current patch set. No patch set,
// message or event is made; publishing the edit (REST edit:publish) does
// that.
func (rc *Receiver) uploadEdits(ctx context.Context, push *Session, c *command, edits []editTarget) ([]outcome, error) {
	for _, e := range edits {
		if e.change == nil {
			c.reject = "edit is not supported for new changes"
			return nil, nil
		}
	}
	r := push.Repo
	var updates []refupdate.Update
	var out []outcome
	for _, e := range edits {
		ps, err := rc.uploads.Changes.CurrentPatchSet(ctx, rc.uploads.DB, e.change)
		if err != nil {
			return nil, err
		}
		prefix := change.EditRefPrefix(push.Caller.ID, e.change.Number)
		old, err := r.Refs(ctx, prefix)
		if err != nil {
			return nil, err
		}
		ref := prefix + strconv.Itoa(ps.Number)
		oldValue := refupdate.ZeroOID
		for _, o := range old {
			if o.Name == ref {
				oldValue = o.OID
			} else {
				// An edit of an older patch set is replaced.
				updates = append(updates, refupdate.Update{Ref: o.Name, Old: o.OID, New: refupdate.ZeroOID})
			}
		}
		updates = append(updates, refupdate.Update{Ref: ref, Old: oldValue, New: e.commit.OID})
		out = append(out, outcome{project: push.Project, number: e.change.Number, subject: e.commit.Subject(), edit: true,
			wip: e.change.WIP, private: e.change.Private})
	}
	err := r.UpdateRefs(ctx, updates...)
	var mm *refupdate.MismatchError
	if errors.As(err, &mm) {
		c.reject = "edit was changed concurrently; push again"
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
