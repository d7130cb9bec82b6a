package review

import (
	"context"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/fail"
	"tandem/internal/project"
)

// onBehalfOf checks a review posted as in.OnBehalfOf and returns that
// account's subject: it must carry votes, leave drafts alone, and go to
// an account that may see the change.
func (s *Service) onBehalfOf(ctx context.Context, pol *policy, c *change.Change, in *ReviewInput) (access.Subject, error) {
	if len(in.Labels) == 0 {
		return access.Subject{}, fail.Errorf(fail.Forbidden, "label required to post review on behalf of \"%s\"", in.OnBehalfOf)
	}
	if in.Drafts != "" && in.Drafts != DraftsKeep {
		return access.Subject{}, fail.Errorf(fail.Invalid, "not allowed to modify other user's drafts")
	}
	_, target, err := s.seeingAccount(ctx, pol, c, in.OnBehalfOf)
	return target, err
}

// SubmitterOnBehalfOf checks that subj may submit change c as the account
// named target (submit and submitAs on its branch, and the account may
// see the change) and returns that account.
func (s *Service) SubmitterOnBehalfOf(ctx context.Context, subj access.Subject, c *change.Change, target string) (*account.Account, error) {
	if err := signedIn(subj); err != nil {
		return nil, err
	}
	pol, err := s.policyFor(ctx, c)
	if err != nil {
		return nil, err
	}
	a := pol.actor(subj, c)
	if !a.can(project.PermSubmit) || !a.can(project.PermSubmitAs) {
		return nil, fail.Errorf(fail.Forbidden, "submit on behalf of other users not permitted")
	}
	acct, _, err := s.seeingAccount(ctx, pol, c, target)
	return acct, err
}

// seeingAccount resolves the on_behalf_of account name and checks that it
// may see c.
func (s *Service) seeingAccount(ctx context.Context, pol *policy, c *change.Change, name string) (*account.Account, access.Subject, error) {
	acct, err := s.accounts.Resolve(ctx, name)
	if fail.Is(err, fail.NotFound) {
		return nil, access.Subject{}, fail.Errorf(fail.Unprocessable, "Account '%s' not found", name)
	}
	if err != nil {
		return nil, access.Subject{}, err
	}
	target, err := s.subjectOf(ctx, acct)
	if err != nil {
		return nil, access.Subject{}, err
	}
	visible, err := s.sees(ctx, s.db, pol.actor(target, c))
	if err != nil {
		return nil, access.Subject{}, err
	}
	if !visible {
		return nil, access.Subject{}, fail.Errorf(fail.Unprocessable, "on_behalf_of account %d cannot see change", acct.ID)
	}
	return acct, target, nil
}
