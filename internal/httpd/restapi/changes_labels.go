package restapi

import (
	"fmt"

	"tandem/internal/access"
	"tandem/internal/change"
	"tandem/internal/project"
)

// labels fills a ChangeInfo's labels and reviewers (LABELS,
// DETAILED_LABELS), and with DETAILED_LABELS also permitted_labels and
// removable_reviewers for the caller, as the Labeler computed them.
func (b *pageBuilder) labels(info *ChangeInfo, c *change.Change) error {
	detailed := b.opts.has(optDetailedLabels)
	info.Reviewers = reviewerMap(b.reviewers[c.Number], change.VotesOn(b.votes[c.Number], c.CurrentPS), b.account)
	res, err := b.pageLabeler().Labels(b.ctx, b.q.caller.Subject(), b.rows(c), detailed)
	if err != nil {
		return err
	}
	info.Labels = res.Labels
	if info.Labels == nil {
		info.Labels = map[string]*LabelInfo{}
	}
	for _, li := range info.Labels {
		b.renderLabelAccounts(li)
	}
	if detailed && b.signedIn() {
		info.PermittedLabels = res.Permitted
		for _, id := range res.Removable {
			info.RemovableReviewers = append(info.RemovableReviewers, b.account(id))
		}
	}
	return nil
}

// renderLabelAccounts replaces the bare accounts of a Labeler's LabelInfo
// with this page's rendering (detailed with DETAILED_ACCOUNTS) and dates
// its approvals.
func (b *pageBuilder) renderLabelAccounts(li *LabelInfo) {
	if li == nil {
		return
	}
	for _, p := range []**AccountInfo{&li.Approved, &li.Rejected, &li.Recommended, &li.Disliked} {
		if *p != nil {
			a := b.account((*p).ID)
			*p = &a
		}
	}
	for i := range li.All {
		ai := &li.All[i]
		ai.AccountInfo = b.account(ai.ID)
		if !ai.Granted.IsZero() {
			ai.Date = timestamp(ai.Granted)
		}
	}
}

// reviewerMap groups a change's reviewers by state; voters who are not on
// the reviewer list count as reviewers.
func reviewerMap(reviewers []change.Reviewer, votes []change.Vote, acct func(int64) AccountInfo) map[string][]AccountInfo {
	out := map[string][]AccountInfo{}
	seen := map[int64]bool{}
	for _, r := range reviewers {
		seen[r.AccountID] = true
		out[r.State] = append(out[r.State], acct(r.AccountID))
	}
	for _, v := range votes {
		if !seen[v.AccountID] {
			seen[v.AccountID] = true
			out[change.StateReviewer] = append(out[change.StateReviewer], acct(v.AccountID))
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// pageLabeler is the page's own Labeler, made on first use.
func (b *pageBuilder) pageLabeler() Labeler {
	if b.labeler == nil {
		b.labeler = b.a.labeler
		if pl, ok := b.labeler.(PageLabeler); ok {
			b.labeler = pl.ForPage()
		}
	}
	return b.labeler
}

// changeActions are the change-level actions the caller may take.
func (b *pageBuilder) changeActions(c *change.Change) (map[string]ActionInfo, error) {
	out := map[string]ActionInfo{}
	if b.a.reviews == nil {
		return out, nil
	}
	rights := b.a.reviews.Rights
	if pr, ok := b.pageLabeler().(PageRights); ok {
		rights = pr.Rights
	}
	r, err := rights(b.ctx, b.q.caller.Subject(), c)
	if err != nil {
		return nil, err
	}
	add := func(ok bool, key, method, label, title string) {
		if ok {
			out[key] = ActionInfo{Method: method, Label: label, Title: title, Enabled: true}
		}
	}
	add(r.Abandon, "abandon", "POST", "Abandon", "Abandon the change")
	add(r.Restore, "restore", "POST", "Restore", "Restore the change")
	add(r.Move, "move", "POST", "Move Change", "Move change to a different branch")
	add(r.Delete, "/", "DELETE", "Delete Change", fmt.Sprintf("Delete change %d", c.Number))
	add(r.Revert && b.a.creator != nil, "revert", "POST", "Revert", "Revert the change")
	if c.Status == change.StatusNew {
		add(r.ToggleWIP && c.WIP, "ready", "POST", "Start Review", "Set Ready For Review")
		add(r.ToggleWIP && !c.WIP, "wip", "POST", "Mark as work in progress", "Set Work In Progress")
		add(r.SetPrivate && c.Private, "private.delete", "POST", "Unmark private", "Unmark change as private")
		add(r.SetPrivate && !c.Private, "private", "POST", "Mark private", "Mark change as private")
	}
	add(r.EditTopic, "topic", "PUT", "Topic", "Set topic")
	add(r.EditHashtags, "hashtags", "POST", "Hashtags", "Edit hashtags")
	add(true, "reviewers", "POST", "Add reviewers", "Add reviewers to the change")
	return out, nil
}

// revisionActions are the actions on a patch set the caller may take:
// submit (when the change is submittable, it is the current patch set and
// the caller may submit), rebase, and cherrypick (whose destination's
// rights are checked when it is named).
func (a *API) revisionActions(q *request, c *change.Change, ps *change.PatchSet, chk *access.Checker, eval *Evaluation) map[string]ActionInfo {
	out := map[string]ActionInfo{}
	if !c.Status.Open() || ps.Number != c.CurrentPS {
		return out
	}
	owner := q.caller.ID() == c.OwnerID
	if owner {
		chk = chk.AsChangeOwner()
	}
	if a.submitter != nil && eval != nil && eval.Submittable && chk.Can(c.Branch, project.PermSubmit) {
		out["submit"] = ActionInfo{Method: "POST", Label: "Submit",
			Title: fmt.Sprintf("Submit patch set %d into %s", ps.Number, c.ShortBranch()), Enabled: true}
	}
	if a.submitter != nil && (owner || chk.IsRefOwner(c.Branch) || chk.Can(c.Branch, project.PermRebase)) {
		out["rebase"] = ActionInfo{Method: "POST", Label: "Rebase", Title: "Rebase onto tip of branch or parent change", Enabled: true}
	}
	if a.creator != nil {
		out["cherrypick"] = ActionInfo{Method: "POST", Label: "Cherry Pick", Title: "Cherry pick change to a different branch", Enabled: true}
	}
	return out
}

// reviewerInfos lists a change's reviewers and CCs with their votes on
// the current patch set, formatted as Gerrit does (" 0" for none on each
// of the labels applying to the change).
func reviewerInfos(c *change.Change, labels []project.LabelType, reviewers []change.Reviewer, votes []change.Vote, acct func(int64) AccountInfo, only int64) []ReviewerInfo {
	votes = change.VotesOn(votes, c.CurrentPS)
	var ids []int64
	seen := map[int64]bool{}
	for _, r := range reviewers {
		if r.State != change.StateRemoved && !seen[r.AccountID] {
			seen[r.AccountID] = true
			ids = append(ids, r.AccountID)
		}
	}
	for _, v := range votes {
		if !seen[v.AccountID] {
			seen[v.AccountID] = true
			ids = append(ids, v.AccountID)
		}
	}
	out := []ReviewerInfo{}
	for _, id := range ids {
		if only != 0 && id != only {
			continue
		}
		ri := ReviewerInfo{AccountInfo: acct(id), Approvals: map[string]string{}}
		for _, lt := range labels {
			ri.Approvals[lt.Name] = project.FormatLabelValue(0)
		}
		for _, v := range votes {
			if v.AccountID == id {
				ri.Approvals[v.Label] = project.FormatLabelValue(v.Value)
			}
		}
		out = append(out, ri)
	}
	return out
}
