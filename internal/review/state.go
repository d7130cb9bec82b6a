package review

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"tandem/internal/access"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/fail"
)

// changeOp is what a state operation decided inside its transaction: the
// message to record and the events to emit (their Change, PatchSet, Actor
// and When are filled in), or that nothing changes.
type changeOp struct {
	noop    bool
	message string
	tag     string
	events  []Event
}

// update runs a state operation on change n: fn checks the caller and
// edits c (and other rows through tx); update stamps and writes the
// change, its message and events.
func (s *Service) update(ctx context.Context, subj access.Subject, n int64,
	fn func(tx *db.Tx, a *actor, pol *policy, c *change.Change) (*changeOp, error)) (*change.Change, error) {
	_, pol, err := s.begin(ctx, subj, n)
	if err != nil {
		return nil, err
	}
	return s.updateWith(ctx, subj, pol, n, fn)
}

// updateWith is update for a caller that has begun the use case already.
func (s *Service) updateWith(ctx context.Context, subj access.Subject, pol *policy, n int64,
	fn func(tx *db.Tx, a *actor, pol *policy, c *change.Change) (*changeOp, error)) (*change.Change, error) {
	var out *change.Change
	err := s.tx(ctx, func(tx *db.Tx) error {
		c, err := s.getChange(ctx, tx, n)
		if err != nil {
			return err
		}
		op, err := fn(tx, pol.actor(subj, c), pol, c)
		if err != nil {
			return err
		}
		out = c
		if op.noop {
			return nil
		}
		now := s.now()
		if op.message != "" {
			if err := s.changes.AddMessage(ctx, tx, &change.ChangeMessage{Change: n, PatchSet: c.CurrentPS,
				AuthorID: subj.AccountID, Message: op.message, Tag: op.tag, Created: now}); err != nil {
				return err
			}
		}
		c.Updated = now
		if err := s.changes.Update(ctx, tx, c); err != nil {
			return err
		}
		if len(op.events) == 0 {
			return nil
		}
		ps, err := s.patchSet(ctx, tx, c, 0)
		if err != nil {
			return err
		}
		for _, ev := range op.events {
			ev.Change, ev.PatchSet, ev.Actor, ev.When = c, ps, subj.AccountID, now
			if err := s.emit(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// withText appends a user's text to a generated message.
func withText(msg, text string) string {
	if text = strings.TrimSpace(text); text != "" {
		return msg + "\n\n" + text
	}
	return msg
}

// Abandon abandons open change n ("Abandoned" + message). The owner,
// holders of abandon, and branch or project owners may; a locked patch
// set (PatchSetLock) prevents it.
func (s *Service) Abandon(ctx context.Context, subj access.Subject, n int64, message string) (*change.Change, error) {
	c, err := s.update(ctx, subj, n, func(tx *db.Tx, a *actor, pol *policy, c *change.Change) (*changeOp, error) {
		if !a.canAbandon() {
			return nil, fail.Errorf(fail.Forbidden, "not permitted: abandon")
		}
		if !c.Status.Open() {
			return nil, fail.Errorf(fail.Conflict, "change is %s", statusWord(c.Status))
		}
		votes, err := s.changes.Approvals(ctx, tx, c.Number)
		if err != nil {
			return nil, err
		}
		if PatchSetLocked(pol.labels, change.VotesOn(votes, c.CurrentPS)) {
			return nil, fail.Errorf(fail.Conflict, "The current patch set of change %d is locked", c.Number)
		}
		c.Status = change.StatusAbandoned
		if err := s.changes.ClearAttention(ctx, tx, c.Number, change.AttentionAbandoned, a.subj.AccountID, s.now()); err != nil {
			return nil, err
		}
		return &changeOp{message: withText("Abandoned", message), tag: TagAbandon,
			events: []Event{{Type: EventChangeAbandoned, Message: strings.TrimSpace(message)}}}, nil
	})
	if err == nil {
		s.log.Info("change abandoned", "change", n, "account_id", subj.AccountID)
	}
	return c, err
}

// Restore reopens abandoned change n ("Restored" + message). Whoever may
// abandon it and may still upload to its branch may.
func (s *Service) Restore(ctx context.Context, subj access.Subject, n int64, message string) (*change.Change, error) {
	c, err := s.update(ctx, subj, n, func(tx *db.Tx, a *actor, pol *policy, c *change.Change) (*changeOp, error) {
		if !a.canRestore() {
			return nil, fail.Errorf(fail.Forbidden, "not permitted: restore")
		}
		if c.Status != change.StatusAbandoned {
			return nil, fail.Errorf(fail.Conflict, "change is %s", statusWord(c.Status))
		}
		c.Status = change.StatusNew
		return &changeOp{message: withText("Restored", message), tag: TagRestore,
			events: []Event{{Type: EventChangeRestored, Message: strings.TrimSpace(message)}}}, nil
	})
	if err == nil {
		s.log.Info("change restored", "change", n, "account_id", subj.AccountID)
	}
	return c, err
}

// SetTopic sets the topic of change n; "" removes it.
func (s *Service) SetTopic(ctx context.Context, subj access.Subject, n int64, topic string) (*change.Change, error) {
	topic = strings.TrimSpace(topic)
	if len(topic) > s.maxTopicLength {
		return nil, fail.Errorf(fail.Invalid, "topic length exceeds the limit (%d)", s.maxTopicLength)
	}
	return s.update(ctx, subj, n, func(tx *db.Tx, a *actor, pol *policy, c *change.Change) (*changeOp, error) {
		if !a.canEditTopic() {
			return nil, fail.Errorf(fail.Forbidden, "not permitted: edit topic name")
		}
		old := c.Topic
		if old == topic {
			return &changeOp{noop: true}, nil
		}
		var msg string
		switch {
		case old == "":
			msg = "Topic set to " + topic
		case topic == "":
			msg = "Topic " + old + " removed"
		default:
			msg = fmt.Sprintf("Topic changed from %s to %s", old, topic)
		}
		c.Topic = topic
		return &changeOp{message: msg, tag: TagSetTopic, events: []Event{{Type: EventTopicChanged, OldTopic: old}}}, nil
	})
}

// cleanHashtags strips leading "#" and spaces and drops empty ones; commas
// are refused.
func cleanHashtags(in []string) ([]string, error) {
	var out []string
	for _, h := range in {
		h = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(h), "#"))
		if h == "" {
			continue
		}
		if strings.Contains(h, ",") {
			return nil, fail.Errorf(fail.Invalid, "hashtags may not contain commas")
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out, nil
}

// EditHashtags adds and removes hashtags of change n and returns the set
// afterwards, sorted.
func (s *Service) EditHashtags(ctx context.Context, subj access.Subject, n int64, add, remove []string) ([]string, error) {
	add, err := cleanHashtags(add)
	if err != nil {
		return nil, err
	}
	if remove, err = cleanHashtags(remove); err != nil {
		return nil, err
	}
	var after []string
	_, err = s.update(ctx, subj, n, func(tx *db.Tx, a *actor, pol *policy, c *change.Change) (*changeOp, error) {
		if !a.canEditHashtags() {
			return nil, fail.Errorf(fail.Forbidden, "not permitted: edit hashtags")
		}
		current, err := s.changes.Hashtags(ctx, tx, c.Number)
		if err != nil {
			return nil, err
		}
		var added, removed []string
		for _, h := range add {
			if !slices.Contains(current, h) && !slices.Contains(remove, h) {
				added = append(added, h)
			}
		}
		for _, h := range remove {
			if slices.Contains(current, h) {
				removed = append(removed, h)
			}
		}
		after = slices.DeleteFunc(append(slices.Clone(current), added...), func(h string) bool { return slices.Contains(removed, h) })
		slices.Sort(after)
		if len(added) == 0 && len(removed) == 0 {
			return &changeOp{noop: true}, nil
		}
		if err := s.changes.EditHashtags(ctx, tx, c.Number, added, removed); err != nil {
			return nil, err
		}
		var lines []string
		for _, part := range []struct {
			verb string
			tags []string
		}{{"added", added}, {"removed", removed}} {
			if len(part.tags) == 0 {
				continue
			}
			noun := "Hashtag"
			if len(part.tags) > 1 {
				noun = "Hashtags"
			}
			lines = append(lines, noun+" "+part.verb+": "+strings.Join(part.tags, ", "))
		}
		return &changeOp{message: strings.Join(lines, "\n"), tag: TagSetHashtag,
			events: []Event{{Type: EventHashtagsChanged, Added: added, Removed: removed, Hashtags: after}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return after, nil
}

// SetWorkInProgress marks open change n work in progress (wip) or ready
// for review, which also starts its review.
func (s *Service) SetWorkInProgress(ctx context.Context, subj access.Subject, n int64, wip bool, message string) (*change.Change, error) {
	return s.update(ctx, subj, n, func(tx *db.Tx, a *actor, pol *policy, c *change.Change) (*changeOp, error) {
		if !a.canToggleWIP() {
			return nil, fail.Errorf(fail.Forbidden, "not permitted: toggle work in progress state")
		}
		if !c.Status.Open() {
			return nil, fail.Errorf(fail.Conflict, "change is %s", statusWord(c.Status))
		}
		if wip && c.WIP {
			return nil, fail.Errorf(fail.Conflict, "change is already work in progress")
		}
		if !wip && !c.WIP {
			return nil, fail.Errorf(fail.Conflict, "change is not work in progress")
		}
		c.WIP = wip
		if wip {
			if err := s.changes.ClearAttention(ctx, tx, c.Number, change.AttentionMarkedWIP, a.subj.AccountID, s.now()); err != nil {
				return nil, err
			}
		}
		op := &changeOp{message: withText("Set Work In Progress", message), tag: TagSetWIP,
			events: []Event{{Type: EventWIPStateChanged}}}
		if !wip {
			c.Reviewed = true
			op.message, op.tag = withText("Set Ready For Review", message), TagSetReady
		}
		return op, nil
	})
}

// SetPrivate marks change n private or not. Only its owner and
// administrators may; a merged change cannot become private.
func (s *Service) SetPrivate(ctx context.Context, subj access.Subject, n int64, private bool, message string) (*change.Change, error) {
	return s.update(ctx, subj, n, func(tx *db.Tx, a *actor, pol *policy, c *change.Change) (*changeOp, error) {
		if private {
			if !a.canSetPrivate() {
				return nil, fail.Errorf(fail.Forbidden, "not allowed to mark private")
			}
			if c.Status == change.StatusMerged {
				return nil, fail.Errorf(fail.Conflict, "change is merged")
			}
			if c.Private {
				return &changeOp{noop: true}, nil
			}
		} else {
			if !a.canSetPrivate() {
				return nil, fail.Errorf(fail.Forbidden, "not allowed to unmark private")
			}
			if !c.Private {
				return nil, fail.Errorf(fail.Conflict, "change is not private")
			}
		}
		c.Private = private
		op := &changeOp{message: withText("Set private", message), tag: TagSetPrivate,
			events: []Event{{Type: EventPrivateStateChanged}}}
		if !private {
			op.message, op.tag = withText("Unset private", message), TagUnsetPrivate
		}
		return op, nil
	})
}

// SetStar stars (on) or unstars change n for the caller.
func (s *Service) SetStar(ctx context.Context, subj access.Subject, n int64, on bool) error {
	if err := signedIn(subj); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := s.getChange(ctx, tx, n); err != nil {
			return err
		}
		return s.changes.SetStar(ctx, tx, subj.AccountID, n, on)
	})
}
