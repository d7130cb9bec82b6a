package review

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/fail"
	"tandem/internal/project"
)

// ReviewerInput asks to put an account, or a group's members, on a change.
type ReviewerInput struct {
	Reviewer  string // account or group, in any form Gerrit accepts
	State     string // REVIEWER (default), CC or REMOVED
	Confirmed bool   // adding a large group was confirmed
}

// ReviewerInfo is an account put on a change; Approvals maps the labels it
// voted on or may vote on to its vote (" 0", "+1", …), for reviewers.
type ReviewerInfo struct {
	AccountID int64
	Approvals map[string]string
}

// ReviewerResult is Gerrit's AddReviewerResult. Error or Confirm set means
// nothing was added.
type ReviewerResult struct {
	Input     string
	Reviewers []ReviewerInfo
	CCs       []ReviewerInfo
	Removed   []int64
	Error     string
	Confirm   bool
}

// addition is a prepared ReviewerInput: the accounts it designates, with
// their permissions, resolved before the transaction.
type addition struct {
	input    ReviewerInput
	state    string
	accounts []*account.Account
	actors   map[int64]*actor
	result   *ReviewerResult
	changed  bool // set by applyAddition
}

func (a *addition) reset() {
	a.result.Reviewers, a.result.CCs, a.result.Removed = nil, nil, nil
	a.changed = false
}

// AddReviewer puts the account or the group members named by in on
// change n as reviewers or CCs (or removes one, with State REMOVED).
// Problems with the input are reported in the result's Error (Gerrit's
// texts); the change owner is silently left out.
func (s *Service) AddReviewer(ctx context.Context, subj access.Subject, n int64, in ReviewerInput) (*ReviewerResult, error) {
	c0, pol, err := s.begin(ctx, subj, n)
	if err != nil {
		return nil, err
	}
	add, err := s.prepareReviewer(ctx, pol, c0, in)
	if err != nil || add.result.Error != "" || add.result.Confirm {
		return add.result, err
	}
	if add.state == change.StateRemoved {
		for _, a := range add.accounts {
			if err := s.RemoveReviewer(ctx, subj, n, a.ID); err != nil {
				return nil, err
			}
			add.result.Removed = append(add.result.Removed, a.ID)
		}
		return add.result, nil
	}
	var ids []int64
	for _, a := range add.accounts {
		ids = append(ids, a.ID)
	}
	service, err := s.accounts.ServiceUsers(ctx, ids)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *db.Tx) error {
		add.reset()
		c, err := s.getChange(ctx, tx, n)
		if err != nil {
			return err
		}
		now := s.now()
		evs, err := s.applyAddition(ctx, tx, c, pol, add, subj.AccountID, now)
		if err != nil || !add.changed {
			return err
		}
		var added []int64
		for _, ev := range evs {
			added = append(added, ev.Reviewer)
		}
		attention := change.ReviewerAddedAttention(c, added, subj.AccountID, service)
		if _, err := s.changes.UpdateAttention(ctx, tx, n, attention, now); err != nil {
			return err
		}
		c.Updated = now
		if err := s.changes.Update(ctx, tx, c); err != nil {
			return err
		}
		for _, ev := range evs {
			ev.Change = c
			if err := s.emit(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return add.result, nil
}

// prepareReviewer resolves a ReviewerInput: an account first, else a group
// expanded to its members who can see the change. Only unexpected
// failures are errors; the rest go to the result.
func (s *Service) prepareReviewer(ctx context.Context, pol *policy, c *change.Change, in ReviewerInput) (*addition, error) {
	add := &addition{input: in, result: &ReviewerResult{Input: in.Reviewer}, actors: map[int64]*actor{}}
	switch strings.ToUpper(in.State) {
	case "", change.StateReviewer:
		add.state = change.StateReviewer
	case change.StateCC:
		add.state = change.StateCC
	case change.StateRemoved:
		add.state = change.StateRemoved
	default:
		add.result.Error = fmt.Sprintf("%s is not a valid reviewer state", in.State)
		return add, nil
	}
	if strings.TrimSpace(in.Reviewer) == "" {
		add.result.Error = fmt.Sprintf("%s is not a valid user identifier", in.Reviewer)
		return add, nil
	}
	acc, err := s.accounts.Resolve(ctx, in.Reviewer)
	if err != nil && !fail.Is(err, fail.NotFound) {
		return nil, err
	}
	if acc != nil && !acc.Inactive {
		a, err := s.reviewerActor(ctx, pol, c, acc)
		if err != nil {
			return nil, err
		}
		// The branch counts, not the change: being added is what lets a
		// reviewer see a private change.
		if add.state != change.StateRemoved && !a.can(project.PermRead) {
			add.result.Error = fmt.Sprintf("%s does not have permission to see this change", in.Reviewer)
			return add, nil
		}
		if acc.ID != c.OwnerID || add.state == change.StateRemoved {
			add.accounts = append(add.accounts, acc)
			add.actors[acc.ID] = a
		}
		return add, nil
	}

	g, err := s.accounts.ResolveGroup(ctx, in.Reviewer)
	if fail.Is(err, fail.NotFound) {
		add.result.Error = fmt.Sprintf("%s does not identify a registered user or group", in.Reviewer)
		return add, nil
	}
	if err != nil {
		return nil, err
	}
	if add.state == change.StateRemoved {
		add.result.Error = fmt.Sprintf("Groups can't be removed from reviewers, so can't remove %s.", in.Reviewer)
		return add, nil
	}
	if g.System() {
		add.result.Error = fmt.Sprintf("The group %s cannot be added as reviewer.", g.Name)
		return add, nil
	}
	members, err := s.accounts.MembersRecursive(ctx, g)
	if err != nil {
		return nil, err
	}
	members = slices.DeleteFunc(members, func(m *account.Account) bool { return m.Inactive })
	// Like Gerrit, the limits count the members before those who cannot
	// see the change are left out.
	if s.maxReviewers > 0 && len(members) > s.maxReviewers {
		add.result.Error = fmt.Sprintf("The group %s has too many members to add them all as reviewers.", g.Name)
		return add, nil
	}
	if !in.Confirmed && s.maxWithoutCheck > 0 && len(members) > s.maxWithoutCheck {
		add.result.Confirm = true
		add.result.Error = fmt.Sprintf("The group %s has %d members. Do you want to add them all as reviewers?", g.Name, len(members))
		return add, nil
	}
	for _, m := range members {
		if m.ID == c.OwnerID {
			continue
		}
		a, err := s.reviewerActor(ctx, pol, c, m)
		if err != nil {
			return nil, err
		}
		if a.can(project.PermRead) {
			add.accounts = append(add.accounts, m)
			add.actors[m.ID] = a
		}
	}
	return add, nil
}

func (s *Service) reviewerActor(ctx context.Context, pol *policy, c *change.Change, acc *account.Account) (*actor, error) {
	subj, err := s.subjectOf(ctx, acc)
	if err != nil {
		return nil, err
	}
	return pol.actor(subj, c), nil
}

// applyAddition writes a prepared addition in the transaction and returns
// its reviewer-added events (Change is filled in by the caller). Accounts
// already in the wanted state are reported but not changed.
func (s *Service) applyAddition(ctx context.Context, q db.Querier, c *change.Change, pol *policy, add *addition, by int64, now time.Time) ([]Event, error) {
	if add.state == change.StateRemoved {
		return nil, nil // done by RemoveReviewer; a review cannot remove reviewers yet
	}
	current, err := s.changes.Reviewers(ctx, q, c.Number)
	if err != nil {
		return nil, err
	}
	votes, err := s.changes.Approvals(ctx, q, c.Number)
	if err != nil {
		return nil, err
	}
	curVotes := change.VotesOn(votes, c.CurrentPS)
	var ps *change.PatchSet
	var events []Event
	for _, acc := range add.accounts {
		state := ""
		for _, r := range current {
			if r.AccountID == acc.ID && r.State != change.StateRemoved {
				state = r.State
			}
		}
		if state != add.state {
			if err := s.changes.SetReviewer(ctx, q, c.Number, acc.ID, add.state, now); err != nil {
				return nil, err
			}
			add.changed = true
			if add.state == change.StateReviewer {
				if ps == nil {
					if ps, err = s.patchSet(ctx, q, c, 0); err != nil {
						return nil, err
					}
				}
				events = append(events, Event{Type: EventReviewerAdded, PatchSet: ps, Actor: by, When: now, Reviewer: acc.ID})
			}
		}
		info := ReviewerInfo{AccountID: acc.ID}
		if add.state == change.StateReviewer {
			info.Approvals = map[string]string{}
			a := add.actors[acc.ID]
			for _, l := range pol.labels {
				if v, ok := findVote(curVotes, acc.ID, l.Name); ok {
					info.Approvals[l.Name] = project.FormatLabelValue(v.Value)
				} else if a != nil {
					if _, _, ok := a.rangeFor(l.Name); ok {
						info.Approvals[l.Name] = project.FormatLabelValue(0)
					}
				}
			}
			add.result.Reviewers = append(add.result.Reviewers, info)
		} else {
			add.result.CCs = append(add.result.CCs, info)
		}
	}
	return events, nil
}

// RemoveReviewer takes account id off change n as reviewer or CC,
// removing its votes on the current patch set, and records a message
// ("Removed reviewer Name." or with the votes removed).
func (s *Service) RemoveReviewer(ctx context.Context, subj access.Subject, n, id int64) error {
	_, pol, err := s.begin(ctx, subj, n)
	if err != nil {
		return err
	}
	acc, err := s.accounts.Get(ctx, id)
	if err != nil {
		if fail.Is(err, fail.NotFound) {
			return fail.Errorf(fail.NotFound, "Not found: %d", id)
		}
		return err
	}
	return s.tx(ctx, func(tx *db.Tx) error { return s.removeReviewer(ctx, tx, pol, subj, n, acc) })
}

// removeReviewer is RemoveReviewer's transaction body.
func (s *Service) removeReviewer(ctx context.Context, tx *db.Tx, pol *policy, subj access.Subject, n int64, acc *account.Account) error {
	id := acc.ID
	c, err := s.getChange(ctx, tx, n)
	if err != nil {
		return err
	}
	reviewers, err := s.changes.Reviewers(ctx, tx, n)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(reviewers, func(r change.Reviewer) bool { return r.AccountID == id && r.State != change.StateRemoved })
	if i < 0 {
		return fail.Errorf(fail.NotFound, "Not found: %d", id)
	}
	state := reviewers[i].State
	votes, err := s.changes.Approvals(ctx, tx, n)
	if err != nil {
		return err
	}
	var theirs []change.Vote
	for _, v := range votes {
		if v.AccountID == id {
			theirs = append(theirs, v)
		}
	}
	if !pol.actor(subj, c).canRemoveReviewer(id, theirs) {
		return fail.Errorf(fail.Forbidden, "remove reviewer not permitted")
	}
	now := s.now()
	var b strings.Builder
	if state == change.StateCC {
		b.WriteString("Removed cc " + acc.DisplayName() + ".")
	} else {
		b.WriteString("Removed reviewer " + acc.DisplayName())
	}
	removed := map[string]int{}
	for _, v := range change.VotesOn(theirs, c.CurrentPS) {
		if len(removed) == 0 && state != change.StateCC {
			b.WriteString(" with the following votes:\n\n")
		}
		removed[v.Label] = v.Value
		if state != change.StateCC {
			fmt.Fprintf(&b, "* %s by %s\n", v.Label+signed(v.Value), nameEmail(acc))
		}
		v.Value = 0
		if err := s.changes.SetApproval(ctx, tx, v); err != nil {
			return err
		}
	}
	if state != change.StateCC && len(removed) == 0 {
		b.WriteString(".")
	}
	if err := s.changes.SetReviewer(ctx, tx, n, id, change.StateRemoved, now); err != nil {
		return err
	}
	if _, err := s.changes.UpdateAttention(ctx, tx, n, []change.AttentionUpdate{{AccountID: id,
		Reason: change.AttentionReviewerRemoved, ReasonAccount: subj.AccountID}}, now); err != nil {
		return err
	}
	msg := &change.ChangeMessage{Change: n, PatchSet: c.CurrentPS, AuthorID: subj.AccountID, Message: b.String(),
		Tag: TagDeleteReviewer, Created: now}
	if err := s.changes.AddMessage(ctx, tx, msg); err != nil {
		return err
	}
	c.Updated = now
	if err := s.changes.Update(ctx, tx, c); err != nil {
		return err
	}
	ps, err := s.patchSet(ctx, tx, c, 0)
	if err != nil {
		return err
	}
	ev := Event{Type: EventReviewerDeleted, Change: c, PatchSet: ps, Actor: subj.AccountID, When: now,
		Reviewer: id, Message: msg.Message}
	for _, l := range pol.labels {
		ea := EventApproval{Label: l.Name}
		if old, ok := removed[l.Name]; ok {
			ea.OldValue = &old
		}
		ev.Approvals = append(ev.Approvals, ea)
	}
	return s.emit(ctx, tx, ev)
}

// RemovableReviewers returns the reviewers and CCs of a loaded change that
// subj may remove (removable_reviewers).
func (s *Service) RemovableReviewers(ctx context.Context, subj access.Subject, snap *Snapshot) ([]int64, error) {
	pol, err := s.policyFor(ctx, snap.Change)
	if err != nil {
		return nil, err
	}
	a := pol.actor(subj, snap.Change)
	var out []int64
	for _, r := range snap.Reviewers {
		if r.State == change.StateRemoved {
			continue
		}
		var theirs []change.Vote
		for _, v := range snap.Votes {
			if v.AccountID == r.AccountID {
				theirs = append(theirs, v)
			}
		}
		if subj.AccountID != 0 && a.canRemoveReviewer(r.AccountID, theirs) {
			out = append(out, r.AccountID)
		}
	}
	return out, nil
}

// signed formats a vote with its sign and no padding: +1, -2, 0.
func signed(v int) string {
	if v > 0 {
		return fmt.Sprintf("+%d", v)
	}
	return fmt.Sprint(v)
}

// nameEmail is "Full Name <email>", as Gerrit names voters in messages.
func nameEmail(a *account.Account) string {
	if a == nil {
		return "Gerrit Code Review"
	}
	if a.PreferredEmail == "" {
		return a.DisplayName()
	}
	return a.DisplayName() + " <" + a.PreferredEmail + ">"
}
