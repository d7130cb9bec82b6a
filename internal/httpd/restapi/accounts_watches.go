package restapi

import (
	"net/http"

	"tandem/internal/account"
	"tandem/internal/fail"
)

// ProjectWatchInfo is Gerrit's ProjectWatchInfo.
type ProjectWatchInfo struct {
	Project                string `json:"project"`
	Filter                 string `json:"filter,omitempty"`
	NotifyNewChanges       bool   `json:"notify_new_changes,omitempty"`
	NotifyNewPatchSets     bool   `json:"notify_new_patch_sets,omitempty"`
	NotifyAllComments      bool   `json:"notify_all_comments,omitempty"`
	NotifySubmittedChanges bool   `json:"notify_submitted_changes,omitempty"`
	NotifyAbandonedChanges bool   `json:"notify_abandoned_changes,omitempty"`
}

// serveWatchedProjects answers /accounts/{id}/watched.projects and
// watched.projects:delete: listing, adding (or replacing) and deleting
// the account's project watches, for the account itself or those who
// may modify accounts.
func (a *API) serveWatchedProjects(q *request, acct *account.Account, deleting bool) error {
	if err := a.requireSelfOrAdmin(q, acct); err != nil {
		return err
	}
	ctx := q.r.Context()
	switch {
	case deleting && q.method() == http.MethodPost:
		var in []ProjectWatchInfo
		if err := readJSON(q, &in); err != nil {
			return err
		}
		if err := a.accounts.DeleteWatches(ctx, acct.ID, watchesOf(in)); err != nil {
			return err
		}
		return noContent(q)
	case deleting:
		return methodNotAllowed()
	case q.method() == http.MethodPost:
		var in []ProjectWatchInfo
		if err := readJSON(q, &in); err != nil {
			return err
		}
		for _, w := range in {
			if w.Project == "" {
				continue // SetWatches names the problem
			}
			_, _, err := a.visibleProject(q, w.Project)
			if fail.Is(err, fail.NotFound) || fail.Is(err, fail.Invalid) {
				return fail.Errorf(fail.Unprocessable, "Not found: %s", w.Project)
			}
			if err != nil {
				return err
			}
		}
		if err := a.accounts.SetWatches(ctx, acct.ID, watchesOf(in)); err != nil {
			return err
		}
	case q.method() != http.MethodGet:
		return methodNotAllowed()
	}
	ws, err := a.accounts.Watches(ctx, acct.ID)
	if err != nil {
		return err
	}
	out := make([]ProjectWatchInfo, 0, len(ws))
	for _, w := range ws {
		out = append(out, ProjectWatchInfo{Project: w.Project, Filter: w.Filter, NotifyNewChanges: w.NewChanges,
			NotifyNewPatchSets: w.NewPatchSets, NotifyAllComments: w.AllComments, NotifySubmittedChanges: w.SubmittedChanges,
			NotifyAbandonedChanges: w.AbandonedChanges})
	}
	return writeJSON(q, http.StatusOK, out)
}

func watchesOf(in []ProjectWatchInfo) []account.Watch {
	out := make([]account.Watch, 0, len(in))
	for _, w := range in {
		out = append(out, account.Watch{Project: w.Project, Filter: w.Filter, NewChanges: w.NotifyNewChanges,
			NewPatchSets: w.NotifyNewPatchSets, AllComments: w.NotifyAllComments, SubmittedChanges: w.NotifySubmittedChanges,
			AbandonedChanges: w.NotifyAbandonedChanges})
	}
	return out
}
