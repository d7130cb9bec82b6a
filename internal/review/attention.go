package review

import (
	"context"
	"strings"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/fail"
	"tandem/internal/project"
)

// The attention set holds who is expected to act on a change next. Users
// change it explicitly; Tandem applies Gerrit's automatic rules:
//   - reviewers added by someone else are added;
//   - replying removes the replier, and adds the participants of the
//     comment threads replied to;
//   - a reply by someone other than the owner and uploader adds them (a
//     reply by a member of Service Users only with a negative vote, and on
//     a closed change only with an unresolved comment);
//   - submitting, abandoning and marking work in progress empty it;
//   - only owner, uploader, reviewers and CCs are added automatically,
//     never members of Service Users, and nobody while the change is work
//     in progress.

// AttentionInput is Gerrit's AttentionSetInput: whom to add or remove
// and why.
type AttentionInput struct {
	User   string
	Reason string
}

// AddToAttention adds in.User to change n's attention set and returns the
// account. The reason is required; the account must be able to see the
// change.
func (s *Service) AddToAttention(ctx context.Context, subj access.Subject, n int64, in AttentionInput) (*account.Account, error) {
	c0, pol, err := s.begin(ctx, subj, n)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Reason) == "" {
		return nil, fail.Errorf(fail.Invalid, "missing field: reason")
	}
	acc, err := s.attentionUser(ctx, pol, c0, in.User)
	if err != nil {
		return nil, err
	}
	err = s.updateAttention(ctx, n, []change.AttentionUpdate{{AccountID: acc.ID, Add: true, Reason: strings.TrimSpace(in.Reason),
		ReasonAccount: subj.AccountID}})
	return acc, err
}

// RemoveFromAttention takes account id off change n's attention set; an
// empty reason records who removed it.
func (s *Service) RemoveFromAttention(ctx context.Context, subj access.Subject, n, id int64, reason string) error {
	if _, _, err := s.begin(ctx, subj, n); err != nil {
		return err
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		reason = "Removed by " + subj.Username
		if subj.Username == "" {
			reason = "Removed"
		}
	}
	return s.updateAttention(ctx, n, []change.AttentionUpdate{{AccountID: id, Reason: reason, ReasonAccount: subj.AccountID}})
}

// updateAttention applies updates and, when they changed the set, stamps
// the change as updated, in one transaction.
func (s *Service) updateAttention(ctx context.Context, n int64, updates []change.AttentionUpdate) error {
	return s.tx(ctx, func(tx *db.Tx) error {
		c, err := s.getChange(ctx, tx, n)
		if err != nil {
			return err
		}
		now := s.now()
		wrote, err := s.changes.UpdateAttention(ctx, tx, n, updates, now)
		if err != nil || !wrote {
			return err
		}
		c.Updated = now
		return s.changes.Update(ctx, tx, c)
	})
}

// attentionUser resolves an account named in an attention set request; it
// must exist, be active and be able to see the change's branch.
func (s *Service) attentionUser(ctx context.Context, pol *policy, c *change.Change, user string) (*account.Account, error) {
	acc, err := s.accounts.Resolve(ctx, user)
	if fail.Is(err, fail.NotFound) || err == nil && acc.Inactive {
		return nil, fail.Errorf(fail.Unprocessable, "Account '%s' not found", user)
	}
	if err != nil {
		return nil, err
	}
	a, err := s.reviewerActor(ctx, pol, c, acc)
	if err != nil {
		return nil, err
	}
	if !a.can(project.PermRead) {
		return nil, fail.Errorf(fail.Invalid, "%s can not see change %d", user, c.Number)
	}
	return acc, nil
}

// attentionPlan is what a review needs for its attention set updates,
// resolved before its transaction.
type attentionPlan struct {
	explicit []change.AttentionUpdate // the review's own, applied last
	named    map[int64]bool           // accounts the review names explicitly
	auto     bool                     // apply the automatic rules
	service  map[int64]bool           // members of Service Users among those involved
}

// planAttention resolves a review's explicit attention set updates and
// who among the people involved is a service user.
func (s *Service) planAttention(ctx context.Context, pol *policy, c *change.Change, me int64, in *ReviewInput, additions []*addition) (*attentionPlan, error) {
	p := &attentionPlan{named: map[int64]bool{}, auto: !in.IgnoreAutomaticAttentionRules}
	resolve := func(list []AttentionInput, add bool) error {
		for _, ai := range list {
			acc, err := s.attentionUser(ctx, pol, c, ai.User)
			if err != nil {
				return err
			}
			if p.named[acc.ID] {
				return fail.Errorf(fail.Invalid, "%s can not be added and removed from the attention set at the same time", ai.User)
			}
			reason := strings.TrimSpace(ai.Reason)
			if reason == "" {
				if add {
					return fail.Errorf(fail.Invalid, "missing field: reason")
				}
				reason = change.AttentionRemovedOnReply
			}
			p.named[acc.ID] = true
			p.explicit = append(p.explicit, change.AttentionUpdate{AccountID: acc.ID, Add: add, Reason: reason, ReasonAccount: me})
		}
		return nil
	}
	if err := resolve(in.AddToAttentionSet, true); err != nil {
		return nil, err
	}
	if err := resolve(in.RemoveFromAttentionSet, false); err != nil {
		return nil, err
	}
	if !p.auto {
		return p, nil
	}
	ids := []int64{me, c.OwnerID}
	if ps, err := s.patchSet(ctx, s.db, c, 0); err == nil {
		ids = append(ids, ps.UploaderID)
	} else if !fail.Is(err, fail.NotFound) {
		return nil, err
	}
	reviewers, err := s.changes.Reviewers(ctx, s.db, c.Number)
	if err != nil {
		return nil, err
	}
	for _, r := range reviewers {
		ids = append(ids, r.AccountID)
	}
	for _, add := range additions {
		for _, acc := range add.accounts {
			ids = append(ids, acc.ID)
		}
	}
	p.service, err = s.accounts.ServiceUsers(ctx, ids)
	return p, err
}

// replyFacts is what a review did, for the automatic rules.
type replyFacts struct {
	replied    bool    // voted, commented or wrote a message
	negative   bool    // set a negative vote
	unresolved bool    // published an unresolved comment
	added      []int64 // accounts the review made reviewers
	published  []change.Comment
}

// attentionUpdates returns the updates a review makes to change c (as it
// is after the review) by me, automatic ones first.
func (s *Service) attentionUpdates(ctx context.Context, q db.Querier, p *attentionPlan, c *change.Change, uploader, me int64, f replyFacts) ([]change.AttentionUpdate, error) {
	var auto []change.AttentionUpdate
	add := func(id int64, reason string) {
		auto = append(auto, change.AutoAttention(c, []int64{id}, reason, me, p.service)...)
	}
	if p.auto {
		auto = append(auto, change.ReviewerAddedAttention(c, f.added, me, p.service)...)
		if f.replied {
			auto = append(auto, change.AttentionUpdate{AccountID: me, Reason: change.AttentionRemovedOnReply, ReasonAccount: me})
			if me != c.OwnerID && me != uploader {
				wanted := !p.service[me] || f.negative
				if !c.Status.Open() {
					wanted = f.unresolved && !p.service[me]
				}
				if wanted {
					add(c.OwnerID, change.AttentionReplied)
					add(uploader, change.AttentionReplied)
				}
			}
		}
		if err := s.threadParticipants(ctx, q, c, uploader, f.published, func(id int64) { add(id, change.AttentionReplied) }); err != nil {
			return nil, err
		}
	}
	var out []change.AttentionUpdate
	for _, u := range auto {
		if !p.named[u.AccountID] {
			out = append(out, u)
		}
	}
	return append(out, p.explicit...), nil
}

// threadParticipants calls add for each author of the comment threads the
// published comments reply to who is the owner, the uploader, a reviewer
// or a CC of c.
func (s *Service) threadParticipants(ctx context.Context, q db.Querier, c *change.Change, uploader int64, published []change.Comment, add func(int64)) error {
	replies := false
	for _, pc := range published {
		replies = replies || pc.InReplyTo != ""
	}
	if !replies {
		return nil
	}
	all, err := s.changes.PublishedComments(ctx, q, c.Number)
	if err != nil {
		return err
	}
	reviewers, err := s.changes.Reviewers(ctx, q, c.Number)
	if err != nil {
		return err
	}
	involved := map[int64]bool{c.OwnerID: true, uploader: true}
	for _, r := range reviewers {
		involved[r.AccountID] = r.State != change.StateRemoved
	}
	parent := map[string]string{}
	for _, cm := range all {
		parent[cm.ID] = cm.InReplyTo
	}
	root := func(id string) string {
		for i := 0; i < len(parent) && parent[id] != ""; i++ {
			id = parent[id]
		}
		return id
	}
	threads := map[string]bool{}
	for _, pc := range published {
		if pc.InReplyTo != "" {
			threads[root(pc.InReplyTo)] = true
		}
	}
	for _, cm := range all {
		if threads[root(cm.ID)] && involved[cm.AuthorID] {
			add(cm.AuthorID)
		}
	}
	return nil
}
