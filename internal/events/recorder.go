package events

import (
	"context"
	"fmt"
	"strconv"

	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/db"
)

// Accounts looks accounts up by id; *account.Service is one.
type Accounts interface {
	Get(ctx context.Context, id int64) (*account.Account, error)
}

// Recorder builds Gerrit's events from change rows and appends them to the
// log inside the caller's transaction q, so use cases (receive, review,
// submit) name what happened with their own types and ids. Its methods
// satisfy the event interfaces those packages declare (submit.Events, for
// one). Accounts are read outside q; the caller calls Log.Notify after
// committing. A Recorder is safe for concurrent use.
type Recorder struct {
	log      *Log
	accounts Accounts
	changes  *change.Store
	webURL   string
}

// NewRecorder returns a Recorder appending to log, naming accounts through
// accounts and linking changes under webURL (gerrit.canonicalWebUrl).
func NewRecorder(log *Log, accounts Accounts, changes *change.Store, webURL string) *Recorder {
	return &Recorder{log: log, accounts: accounts, changes: changes, webURL: webURL}
}

// Log returns the log the Recorder appends to.
func (r *Recorder) Log() *Log { return r.log }

// account returns the attribute of account id; nil for 0 (Tandem itself).
func (r *Recorder) account(ctx context.Context, id int64) (*AccountAttr, *account.Account, error) {
	if id == 0 {
		return nil, nil, nil
	}
	a, err := r.accounts.Get(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("account %d for an event: %w", id, err)
	}
	return AccountAttribute(a), a, nil
}

// change returns the event fields of a change as it is in q, with the
// commit message of ps (the current patch set, when known) and its
// hashtags.
func (r *Recorder) change(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet) (ChangeEvent, error) {
	_, owner, err := r.account(ctx, ch.OwnerID)
	if err != nil {
		return ChangeEvent{}, err
	}
	ca := ChangeAttribute(ch, owner, r.webURL)
	if ps != nil {
		ca.CommitMessage = ps.Message
	}
	if r.changes != nil {
		if ca.Hashtags, err = r.changes.Hashtags(ctx, q, ch.Number); err != nil {
			return ChangeEvent{}, fmt.Errorf("hashtags of change %d: %w", ch.Number, err)
		}
	}
	return ForChange(ca), nil
}

func (r *Recorder) patchSet(ctx context.Context, ps *change.PatchSet) (*PatchSetAttr, error) {
	if ps == nil {
		return nil, nil
	}
	_, uploader, err := r.account(ctx, ps.UploaderID)
	if err != nil {
		return nil, err
	}
	return PatchSetAttribute(ps, uploader, nil), nil
}

// changeEvent builds the common parts and appends the event made by fill.
func (r *Recorder) changeEvent(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet,
	actor int64, fill func(ce ChangeEvent, psa *PatchSetAttr, who *AccountAttr) Event) error {
	ce, err := r.change(ctx, q, ch, ps)
	if err != nil {
		return err
	}
	psa, err := r.patchSet(ctx, ps)
	if err != nil {
		return err
	}
	who, _, err := r.account(ctx, actor)
	if err != nil {
		return err
	}
	_, err = r.log.Append(ctx, q, fill(ce, psa, who))
	return err
}

// Approval is an approval attribute for events: value (and, when set, the
// old value) without a plus sign, the label's name as description.
func Approval(label string, value int, old *int) ApprovalAttr {
	a := ApprovalAttr{Type: label, Description: label, Value: strconv.Itoa(value)}
	if old != nil {
		a.OldValue = strconv.Itoa(*old)
	}
	return a
}

// PatchSetCreated records an upload of patch set ps (a new change when it
// is the first).
func (r *Recorder) PatchSetCreated(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, uploader int64) error {
	return r.changeEvent(ctx, q, ch, ps, uploader, func(ce ChangeEvent, psa *PatchSetAttr, who *AccountAttr) Event {
		return &PatchSetCreated{Uploader: who, PatchSet: psa, ChangeEvent: ce}
	})
}

// CommentAdded records a review: message is the whole change message.
func (r *Recorder) CommentAdded(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, author int64,
	message string, approvals []ApprovalAttr) error {
	return r.changeEvent(ctx, q, ch, ps, author, func(ce ChangeEvent, psa *PatchSetAttr, who *AccountAttr) Event {
		return &CommentAdded{Author: who, Approvals: approvals, Comment: message, PatchSet: psa, ChangeEvent: ce}
	})
}

// ChangeMerged records a submit; newTip is the branch after it.
func (r *Recorder) ChangeMerged(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, submitter int64, newTip string) error {
	return r.changeEvent(ctx, q, ch, ps, submitter, func(ce ChangeEvent, psa *PatchSetAttr, who *AccountAttr) Event {
		return &ChangeMerged{Submitter: who, NewRev: newTip, PatchSet: psa, ChangeEvent: ce}
	})
}

// ChangeAbandoned records an abandon with its reason.
func (r *Recorder) ChangeAbandoned(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, abandoner int64, reason string) error {
	return r.changeEvent(ctx, q, ch, ps, abandoner, func(ce ChangeEvent, psa *PatchSetAttr, who *AccountAttr) Event {
		return &ChangeAbandoned{Abandoner: who, Reason: reason, PatchSet: psa, ChangeEvent: ce}
	})
}

// ChangeRestored records a restore with its reason.
func (r *Recorder) ChangeRestored(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, restorer int64, reason string) error {
	return r.changeEvent(ctx, q, ch, ps, restorer, func(ce ChangeEvent, psa *PatchSetAttr, who *AccountAttr) Event {
		return &ChangeRestored{Restorer: who, Reason: reason, PatchSet: psa, ChangeEvent: ce}
	})
}

// ReviewerAdded records a reviewer added by adder.
func (r *Recorder) ReviewerAdded(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, reviewer, adder int64) error {
	rev, _, err := r.account(ctx, reviewer)
	if err != nil {
		return err
	}
	return r.changeEvent(ctx, q, ch, ps, adder, func(ce ChangeEvent, psa *PatchSetAttr, who *AccountAttr) Event {
		return &ReviewerAdded{Reviewer: rev, Adder: who, PatchSet: psa, ChangeEvent: ce}
	})
}

// ReviewerDeleted records a reviewer removed by remover, with the votes
// removed with it and the change message.
func (r *Recorder) ReviewerDeleted(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, reviewer, remover int64,
	message string, approvals []ApprovalAttr) error {
	rev, _, err := r.account(ctx, reviewer)
	if err != nil {
		return err
	}
	return r.changeEvent(ctx, q, ch, ps, remover, func(ce ChangeEvent, psa *PatchSetAttr, who *AccountAttr) Event {
		return &ReviewerDeleted{Reviewer: rev, Remover: who, Approvals: approvals, Comment: message, PatchSet: psa, ChangeEvent: ce}
	})
}

// TopicChanged records a topic change; the change holds the new topic.
func (r *Recorder) TopicChanged(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, changer int64, oldTopic string) error {
	return r.changeEvent(ctx, q, ch, ps, changer, func(ce ChangeEvent, _ *PatchSetAttr, who *AccountAttr) Event {
		return &TopicChanged{Changer: who, OldTopic: oldTopic, ChangeEvent: ce}
	})
}

// HashtagsChanged records hashtag edits; hashtags is the set afterwards.
func (r *Recorder) HashtagsChanged(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, editor int64,
	added, removed, hashtags []string) error {
	return r.changeEvent(ctx, q, ch, ps, editor, func(ce ChangeEvent, _ *PatchSetAttr, who *AccountAttr) Event {
		return &HashtagsChanged{Editor: who, Added: added, Removed: removed, Hashtags: hashtags, ChangeEvent: ce}
	})
}

// WIPStateChanged records a change marked work in progress or ready.
func (r *Recorder) WIPStateChanged(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, changer int64) error {
	return r.changeEvent(ctx, q, ch, ps, changer, func(ce ChangeEvent, psa *PatchSetAttr, who *AccountAttr) Event {
		return &WIPStateChanged{Changer: who, PatchSet: psa, ChangeEvent: ce}
	})
}

// PrivateStateChanged records a change marked private or public.
func (r *Recorder) PrivateStateChanged(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, changer int64) error {
	return r.changeEvent(ctx, q, ch, ps, changer, func(ce ChangeEvent, psa *PatchSetAttr, who *AccountAttr) Event {
		return &PrivateStateChanged{Changer: who, PatchSet: psa, ChangeEvent: ce}
	})
}

// ChangeDeleted records a deleted change; call it before the change's rows
// go, as it reads the change's hashtags.
func (r *Recorder) ChangeDeleted(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, deleter int64) error {
	return r.changeEvent(ctx, q, ch, ps, deleter, func(ce ChangeEvent, _ *PatchSetAttr, who *AccountAttr) Event {
		return &ChangeDeleted{Deleter: who, ChangeEvent: ce}
	})
}

// RefUpdated records a ref moved by submitter (0: by Tandem itself) in
// q, for refs written as part of a SQL use case (a submit's branch).
func (r *Recorder) RefUpdated(ctx context.Context, q db.Querier, projectName, ref, oldRev, newRev string, submitter int64) error {
	who, _, err := r.account(ctx, submitter)
	if err != nil {
		return err
	}
	_, err = r.log.Append(ctx, q, &RefUpdated{Submitter: who,
		RefUpdate: RefUpdateAttr{OldRev: oldRev, NewRev: newRev, RefName: ref, Project: projectName}})
	return err
}
