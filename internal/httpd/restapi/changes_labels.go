package restapi

import (
	"fmt"
	"regexp"
	"strings"

	"tandem/internal/access"
	"tandem/internal/change"
	"tandem/internal/project"
)

// labels fills a ChangeInfo's labels and reviewers (LABELS,
// DETAILED_LABELS), and with DETAILED_LABELS also permitted_labels and
// removable_reviewers for the caller.
func (b *pageBuilder) labels(info *ChangeInfo, c *change.Change, pv *projectView) error {
	detailed := b.opts.has(optDetailedLabels)
	votes := currentVotes(b.votes[c.Number], c.CurrentPS)
	reviewers := b.reviewers[c.Number]
	info.Reviewers = reviewerMap(reviewers, votes, b.account)
	if b.a.labeler != nil {
		res, err := b.a.labeler.Labels(b.ctx, b.q.caller.Subject(), b.rows(c), detailed)
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
	info.Labels = map[string]*LabelInfo{}
	var reviewerIDs []int64
	for _, r := range reviewers {
		if r.State == change.StateReviewer {
			reviewerIDs = append(reviewerIDs, r.AccountID)
		}
	}
	for _, lt := range applicableLabels(pv.labels, c.Branch) {
		info.Labels[lt.Name] = labelInfo(lt, votes, reviewerIDs, b.account, detailed)
	}
	if detailed && b.signedIn() {
		chk := b.callerChecker(c, pv.chk)
		info.PermittedLabels = permittedLabels(c, applicableLabels(pv.labels, c.Branch), votes, b.q.caller.ID(),
			func(name string) (int, int) {
				lo, hi, ok := chk.Range(c.Branch, project.PermLabel+name)
				if !ok {
					return 0, 0
				}
				return lo, hi
			})
		for _, id := range removableReviewers(c, reviewers, votes, b.q.caller.ID(), canRemoveAnyReviewer(chk, c)) {
			info.RemovableReviewers = append(info.RemovableReviewers, b.account(id))
		}
	}
	return nil
}

// renderLabelAccounts replaces the bare accounts of a Labeler's LabelInfo
// with this page's rendering (detailed with DETAILED_ACCOUNTS).
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
		li.All[i].AccountInfo = b.account(li.All[i].ID)
	}
}

// callerChecker is chk, as the change's owner when the caller owns it, so
// rules for the Change Owner group apply.
func (b *pageBuilder) callerChecker(c *change.Change, chk *access.Checker) *access.Checker {
	if b.q.caller.ID() == c.OwnerID {
		return chk.AsChangeOwner()
	}
	return chk
}

// currentVotes returns the non-zero votes on patch set ps.
func currentVotes(votes []change.Vote, ps int) []change.Vote {
	var out []change.Vote
	for _, v := range votes {
		if v.PatchSet == ps && v.Value != 0 {
			out = append(out, v)
		}
	}
	return out
}

// applicableLabels returns the labels that apply to a branch.
func applicableLabels(labels []project.LabelType, branch string) []project.LabelType {
	var out []project.LabelType
	for _, l := range labels {
		if len(l.Branches) == 0 || matchesAnyRef(l.Branches, branch) {
			out = append(out, l)
		}
	}
	return out
}

// matchesAnyRef reports whether ref matches one of Gerrit's ref patterns:
// an exact ref, "prefix/*", or a regular expression starting with "^".
func matchesAnyRef(patterns []string, ref string) bool {
	for _, p := range patterns {
		switch {
		case strings.HasPrefix(p, "^"):
			if re, err := regexp.Compile(p); err == nil && re.MatchString(ref) {
				return true
			}
		case strings.HasSuffix(p, "/*"):
			if strings.HasPrefix(ref, strings.TrimSuffix(p, "*")) {
				return true
			}
		case p == ref:
			return true
		}
	}
	return false
}

// labelRange returns the lowest and highest values of a label.
func labelRange(lt project.LabelType) (lo, hi int) {
	if len(lt.Values) == 0 {
		return 0, 0
	}
	lo, hi = lt.Values[0].Value, lt.Values[0].Value
	for _, v := range lt.Values {
		lo, hi = min(lo, v.Value), max(hi, v.Value)
	}
	return lo, hi
}

// blocks reports whether a label function makes the lowest vote block
// submission.
func blocks(function string) bool {
	switch function {
	case "", project.FunctionMaxWithBlock, project.FunctionAnyWithBlock:
		return true
	}
	return false
}

// labelInfo summarises the votes on one label as Gerrit does: the lowest
// vote "rejected" (blocking when the function blocks), the highest
// "approved", others "disliked" or "recommended"; with details, every
// reviewer's and voter's approval and the label's values.
func labelInfo(lt project.LabelType, votes []change.Vote, reviewerIDs []int64, acct func(int64) AccountInfo, detailed bool) *LabelInfo {
	li := &LabelInfo{}
	if lt.Function == project.FunctionNoOp || lt.Function == project.FunctionNoBlock {
		li.Optional = true
	}
	lo, hi := labelRange(lt)
	var mine []change.Vote
	for _, v := range votes {
		if !strings.EqualFold(v.Label, lt.Name) {
			continue
		}
		mine = append(mine, v)
		a := acct(v.AccountID)
		switch {
		case v.Value == lo && lo < 0:
			li.Rejected = &a
		case v.Value == hi && hi > 0:
			li.Approved = &a
		case v.Value < 0:
			li.Disliked, li.Value = &a, v.Value
		case v.Value > 0 && li.Disliked == nil:
			li.Recommended, li.Value = &a, v.Value
		}
	}
	li.Blocking = li.Rejected != nil && blocks(lt.Function)
	if !detailed {
		return li
	}
	li.Description = lt.Description
	def := lt.DefaultValue
	li.DefaultValue = &def
	li.Values = map[string]string{}
	for _, v := range lt.Values {
		li.Values[project.FormatLabelValue(v.Value)] = v.Text
	}
	byAccount := map[int64]change.Vote{}
	ids := append([]int64(nil), reviewerIDs...)
	for _, v := range mine {
		byAccount[v.AccountID] = v
		ids = append(ids, v.AccountID)
	}
	for _, id := range uniqueIDs(ids) {
		ai := ApprovalInfo{AccountInfo: acct(id)}
		val := 0
		if v, ok := byAccount[id]; ok {
			val = v.Value
			ai.Date = timestamp(v.Granted)
			ai.Tag = v.Tag
			ai.PostSubmit = v.PostSubmit
		}
		ai.Value = &val
		li.All = append(li.All, ai)
	}
	return li
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

// permittedLabels lists, per label, the values the caller may vote: those
// in the caller's permitted range on an open change; on a merged change
// only labels allowing post-submit votes and no value below the caller's
// current vote; nothing on an abandoned change.
func permittedLabels(c *change.Change, labels []project.LabelType, votes []change.Vote, caller int64, rangeOf func(label string) (int, int)) map[string][]string {
	out := map[string][]string{}
	if c.Status == change.StatusAbandoned {
		return out
	}
	for _, lt := range labels {
		lo, hi := rangeOf(lt.Name)
		lo, hi = min(lo, 0), max(hi, 0)
		if c.Status == change.StatusMerged {
			if !lt.AllowPostSubmit {
				continue
			}
			for _, v := range votes {
				if v.AccountID == caller && strings.EqualFold(v.Label, lt.Name) {
					lo = max(lo, v.Value)
				}
			}
		}
		var vals []string
		for _, v := range lt.Values {
			if v.Value >= lo && v.Value <= hi {
				vals = append(vals, project.FormatLabelValue(v.Value))
			}
		}
		if len(vals) > 0 {
			out[lt.Name] = vals
		}
	}
	return out
}

// removableReviewers lists the reviewers (and voters) the caller may
// remove: anyone with removeReviewer rights or ownership of the branch;
// the change owner those without negative votes; everyone themselves.
func removableReviewers(c *change.Change, reviewers []change.Reviewer, votes []change.Vote, caller int64, any bool) []int64 {
	negative := map[int64]bool{}
	for _, v := range votes {
		if v.Value < 0 {
			negative[v.AccountID] = true
		}
	}
	var ids []int64
	for _, r := range reviewers {
		if r.State != change.StateRemoved {
			ids = append(ids, r.AccountID)
		}
	}
	for _, v := range votes {
		ids = append(ids, v.AccountID)
	}
	var out []int64
	for _, id := range uniqueIDs(ids) {
		if any || id == caller || caller == c.OwnerID && !negative[id] {
			out = append(out, id)
		}
	}
	return out
}

func canRemoveAnyReviewer(chk *access.Checker, c *change.Change) bool {
	return chk.Can(c.Branch, project.PermRemoveReviewer) || chk.IsRefOwner(c.Branch)
}

// changeActions are the change-level actions the caller may take.
func (a *API) changeActions(q *request, c *change.Change, chk *access.Checker, reviewers []change.Reviewer) map[string]ActionInfo {
	owner := q.caller.ID() == c.OwnerID
	if owner {
		chk = chk.AsChangeOwner()
	}
	refOwner := chk.IsRefOwner(c.Branch)
	may := func(perm string) bool { return owner || refOwner || chk.Can(c.Branch, perm) }
	out := map[string]ActionInfo{}
	switch c.Status {
	case change.StatusNew:
		if may(project.PermAbandon) {
			out["abandon"] = ActionInfo{Method: "POST", Label: "Abandon", Title: "Abandon the change", Enabled: true}
		}
		if may(project.PermToggleWipState) {
			if c.WIP {
				out["ready"] = ActionInfo{Method: "POST", Label: "Start Review", Title: "Set Ready For Review", Enabled: true}
			} else {
				out["wip"] = ActionInfo{Method: "POST", Label: "Mark as work in progress", Title: "Set Work In Progress", Enabled: true}
			}
		}
		if owner || refOwner {
			if c.Private {
				out["private.delete"] = ActionInfo{Method: "POST", Label: "Unmark private", Title: "Unmark change as private", Enabled: true}
			} else {
				out["private"] = ActionInfo{Method: "POST", Label: "Mark private", Title: "Mark change as private", Enabled: true}
			}
		}
	case change.StatusAbandoned:
		if may(project.PermAbandon) {
			out["restore"] = ActionInfo{Method: "POST", Label: "Restore", Title: "Restore the change", Enabled: true}
		}
	}
	if may(project.PermEditTopicName) {
		out["topic"] = ActionInfo{Method: "PUT", Label: "Topic", Title: "Set topic", Enabled: true}
	}
	if may(project.PermEditHashtags) {
		out["hashtags"] = ActionInfo{Method: "POST", Label: "Hashtags", Title: "Edit hashtags", Enabled: true}
	}
	if a.reviews != nil {
		out["reviewers"] = ActionInfo{Method: "POST", Label: "Add reviewers", Title: "Add reviewers to the change", Enabled: true}
	}
	return out
}

// revisionActions are the actions on a patch set the caller may take:
// submit (when the change is submittable, it is the current patch set and
// the caller may submit) and rebase.
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
	return out
}

// reviewerInfos lists a change's reviewers and CCs with their votes on
// the current patch set, formatted as Gerrit does (" 0" for none).
func reviewerInfos(c *change.Change, labels []project.LabelType, reviewers []change.Reviewer, votes []change.Vote, acct func(int64) AccountInfo, only int64) []ReviewerInfo {
	votes = currentVotes(votes, c.CurrentPS)
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
		for _, lt := range applicableLabels(labels, c.Branch) {
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
