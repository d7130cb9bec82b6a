package restapi

import (
	"net/http"
	"strings"

	"tandem/internal/change"
)

// SuggestedReviewerInfo is Gerrit's SuggestedReviewerInfo: an account or a
// group, with how many accounts it stands for.
type SuggestedReviewerInfo struct {
	Account *AccountInfo   `json:"account,omitempty"`
	Group   *GroupBaseInfo `json:"group,omitempty"`
	Count   int            `json:"count"`
}

// GroupBaseInfo is Gerrit's GroupBaseInfo.
type GroupBaseInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// defaultSuggestions is how many suggestions Gerrit gives without n=.
const defaultSuggestions = 10

// suggestReviewers answers GET /changes/ID/suggest_reviewers?q=…[&n=…]:
// active accounts matching q that could review the change (they can see
// it; not its owner nor already a reviewer or CC), then groups matching q
// that the caller can see, at most n in all.
func (a *API) suggestReviewers(q *request, rc *resolvedChange) error {
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	ctx := q.r.Context()
	limit, err := intParam(q, "n", "limit")
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = defaultSuggestions
	}
	query := strings.ToLower(strings.TrimSpace(q.query.Get("q")))
	current, err := a.changes.Reviewers(ctx, a.db, rc.change.Number)
	if err != nil {
		return err
	}
	skip := map[int64]bool{rc.change.OwnerID: true}
	for _, r := range current {
		skip[r.AccountID] = r.State != change.StateRemoved
	}
	all, err := a.accounts.List(ctx)
	if err != nil {
		return err
	}
	out := []SuggestedReviewerInfo{}
	for _, acct := range all {
		if len(out) == limit {
			break
		}
		if acct.Inactive || skip[acct.ID] || !accountMatches(acct, query) {
			continue
		}
		subj, err := a.subjectOf(ctx, acct)
		if err != nil {
			return err
		}
		v, err := a.newVisibility(subj).change(ctx, rc.change)
		if err != nil {
			return err
		}
		if v == nil {
			continue
		}
		info := accountInfo(acct, false)
		out = append(out, SuggestedReviewerInfo{Account: &info, Count: 1})
	}
	if query == "" || len(out) == limit {
		return writeJSON(q, http.StatusOK, out)
	}
	groups, err := a.accounts.ListGroups(ctx, false)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if len(out) == limit {
			break
		}
		if !strings.Contains(strings.ToLower(g.Name), query) || !a.canSeeGroup(q, g) {
			continue
		}
		members, err := a.accounts.Members(ctx, g)
		if err != nil {
			return err
		}
		out = append(out, SuggestedReviewerInfo{Group: &GroupBaseInfo{ID: escapeID(g.UUID), Name: g.Name}, Count: len(members)})
	}
	return writeJSON(q, http.StatusOK, out)
}
