package receive

import (
	"context"
	"slices"
	"strings"

	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/events"
	"tandem/internal/project"
)

// pushEffects is what one change's upload did beyond creating its patch
// set, for the events that report it.
type pushEffects struct {
	ch        *change.Change // as it is after the push
	ps        *change.PatchSet
	isNew     bool
	before    *change.Change // the change before the push; unset when isNew
	oldTags   []string       // hashtags before the push
	tags      []string       // hashtags the push gave (t=)
	reviewers []int64        // accounts the push made reviewers
	approvals []events.ApprovalAttr
	comments  int    // drafts published with publish-comments
	message   string // the change message of the upload
	actor     int64
}

// uploadEvents records, in q, the events a push emits besides
// patchset-created and ref-updated. A new change carries its topic,
// hashtags, WIP and private state in patchset-created, so Gerrit emits
// their events only for a new patch set of an existing change. CCs get no
// reviewer-added, as in Gerrit. Votes and published drafts make a
// comment-added.
func uploadEvents(ctx context.Context, q db.Querier, ev UploadEvents, e pushEffects) error {
	for _, id := range e.reviewers {
		if err := ev.ReviewerAdded(ctx, q, e.ch, e.ps, id, e.actor); err != nil {
			return err
		}
	}
	if len(e.approvals) > 0 || e.comments > 0 {
		if err := ev.CommentAdded(ctx, q, e.ch, e.ps, e.actor, e.message, e.approvals); err != nil {
			return err
		}
	}
	if e.isNew {
		return nil
	}
	if e.ch.Topic != e.before.Topic {
		if err := ev.TopicChanged(ctx, q, e.ch, e.ps, e.actor, e.before.Topic); err != nil {
			return err
		}
	}
	var added []string
	for _, h := range e.tags {
		if !slices.Contains(e.oldTags, h) && !slices.Contains(added, h) {
			added = append(added, h)
		}
	}
	if len(added) > 0 {
		after := slices.Concat(e.oldTags, added)
		slices.Sort(after)
		if err := ev.HashtagsChanged(ctx, q, e.ch, e.ps, e.actor, added, nil, after); err != nil {
			return err
		}
	}
	if e.ch.WIP != e.before.WIP {
		if err := ev.WIPStateChanged(ctx, q, e.ch, e.ps, e.actor); err != nil {
			return err
		}
	}
	if e.ch.Private != e.before.Private {
		if err := ev.PrivateStateChanged(ctx, q, e.ch, e.ps, e.actor); err != nil {
			return err
		}
	}
	return nil
}

// pushApprovals returns the approvals of a comment-added for votes pushed
// on ps, shaped as a review's: every label applying to the branch with the
// voter's value on ps afterwards, and the old value of those the push
// changes. Call it before the votes are written.
func (rc *Receiver) pushApprovals(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, voter int64,
	branch string, labels []project.LabelType, votes map[string]int) ([]events.ApprovalAttr, error) {
	all, err := rc.uploads.Changes.Approvals(ctx, q, ch.Number)
	if err != nil {
		return nil, err
	}
	current := map[string]int{}
	for _, v := range all {
		if v.PatchSet == ps.Number && v.AccountID == voter {
			current[strings.ToLower(v.Label)] = v.Value
		}
	}
	var out []events.ApprovalAttr
	for _, l := range labels {
		if !l.AppliesTo(branch) {
			continue
		}
		key := strings.ToLower(l.Name)
		value, old := current[key], current[key]
		var oldp *int
		for name, v := range votes {
			if strings.EqualFold(name, l.Name) {
				value = v
				if v != old {
					oldp = &old
				}
			}
		}
		out = append(out, events.Approval(l.Name, value, oldp))
	}
	return out, nil
}
