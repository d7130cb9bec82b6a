package restapi

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/fail"
	"tandem/internal/project"
)

// needs refuses an endpoint whose domain service is not wired (a nil
// interface).
func needs(dep any) error {
	if dep == nil {
		return methodNotAllowed()
	}
	return nil
}

// currentPatchSet returns the change's current patch set.
func (a *API) currentPatchSet(ctx context.Context, rc *resolvedChange) (*change.PatchSet, error) {
	pss, err := a.patchSetsOf(ctx, rc)
	if err != nil {
		return nil, err
	}
	ps := patchSetNumbered(pss, rc.change.CurrentPS)
	if ps == nil {
		return nil, fail.Errorf(fail.Internal, "change %d has no patch set %d", rc.change.Number, rc.change.CurrentPS)
	}
	return ps, nil
}

// postReview answers POST …/revisions/{rev}/review.
func (a *API) postReview(q *request, rc *resolvedChange, ps *change.PatchSet) error {
	if err := needs(a.reviews); err != nil {
		return err
	}
	var in ReviewInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	ctx := q.r.Context()
	res, err := a.reviews.Review(ctx, actorOf(q), rc.change, ps, in)
	if err != nil {
		return err
	}
	if err := a.renderReviewerResults(ctx, res.Reviewers); err != nil {
		return err
	}
	// A reviewer that could not be added fails the whole review, which
	// wrote nothing; the result says why.
	status := http.StatusOK
	if res.Error != "" {
		status = http.StatusBadRequest
	}
	return writeJSON(q, status, res)
}

// renderReviewerResults replaces the bare accounts of a review's reviewer
// results with detailed ones.
func (a *API) renderReviewerResults(ctx context.Context, results map[string]AddReviewerResult) error {
	var ids []int64
	for _, r := range results {
		for _, ri := range slices.Concat(r.Reviewers, r.CCs) {
			ids = append(ids, ri.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	accts, err := accountsOf(ctx, a.db, ids)
	if err != nil {
		return err
	}
	render := detailedAccount(accts)
	// The lists share their arrays with the map's values.
	for _, r := range results {
		for _, list := range [][]ReviewerInfo{r.Reviewers, r.CCs} {
			for i := range list {
				list[i].AccountInfo = render(list[i].ID)
			}
		}
	}
	return nil
}

// submit answers POST /changes/{id}/submit and …/revisions/{rev}/submit
// (ps set); an empty body is fine.
func (a *API) submit(q *request, rc *resolvedChange, ps *change.PatchSet) error {
	if q.method() != http.MethodPost {
		return methodNotAllowed()
	}
	if err := needs(a.submitter); err != nil {
		return err
	}
	var in SubmitInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	ctx := q.r.Context()
	if ps == nil {
		cur, err := a.currentPatchSet(ctx, rc)
		if err != nil {
			return err
		}
		ps = cur
	} else if ps.Number != rc.change.CurrentPS && rc.change.Status.Open() {
		return fail.Errorf(fail.Conflict, "revision %s is not current revision", ps.Commit)
	}
	if err := a.submitter.Submit(ctx, actorOf(q), rc.change, ps, in.OnBehalfOf); err != nil {
		return err
	}
	c, err := a.reload(q, rc.change.Number)
	if err != nil {
		return err
	}
	return a.writeChange(q, c, 0)
}

// rebase answers POST /changes/{id}/rebase and …/revisions/{rev}/rebase
// with the rebased change and its new current revision.
func (a *API) rebase(q *request, rc *resolvedChange, ps *change.PatchSet) error {
	if q.method() != http.MethodPost {
		return methodNotAllowed()
	}
	if err := needs(a.submitter); err != nil {
		return err
	}
	var in RebaseInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	ctx := q.r.Context()
	if ps == nil {
		cur, err := a.currentPatchSet(ctx, rc)
		if err != nil {
			return err
		}
		ps = cur
	}
	if err := a.submitter.Rebase(ctx, actorOf(q), rc.change, ps, in); err != nil {
		return err
	}
	c, err := a.reload(q, rc.change.Number)
	if err != nil {
		return err
	}
	return a.writeChange(q, c, optionsOf(optCurrentRevision, optCurrentCommit))
}

// serveStateAction answers abandon, restore, wip, ready, private and
// private.delete.
func (a *API) serveStateAction(q *request, rc *resolvedChange, action string) error {
	method := q.method()
	if action == "private" && method == http.MethodDelete {
		action = "private.delete"
	} else if method != http.MethodPost {
		return methodNotAllowed()
	}
	if err := needs(a.reviews); err != nil {
		return err
	}
	var in MessageInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	ctx, by, c := q.r.Context(), actorOf(q), rc.change
	switch action {
	case "abandon", "restore":
		var err error
		if action == "abandon" {
			err = a.reviews.Abandon(ctx, by, c, in.Message)
		} else {
			err = a.reviews.Restore(ctx, by, c, in.Message)
		}
		if err != nil {
			return err
		}
		c, err := a.reload(q, c.Number)
		if err != nil {
			return err
		}
		return a.writeChange(q, c, 0)
	case "wip", "ready":
		if err := a.reviews.SetWorkInProgress(ctx, by, c, action == "wip", in.Message); err != nil {
			return err
		}
		q.w.WriteHeader(http.StatusOK)
		return nil
	case "private":
		if c.Private {
			q.w.WriteHeader(http.StatusOK)
			return nil
		}
		if err := a.reviews.SetPrivate(ctx, by, c, true, in.Message); err != nil {
			return err
		}
		q.w.WriteHeader(http.StatusCreated)
		return nil
	}
	if err := a.reviews.SetPrivate(ctx, by, c, false, in.Message); err != nil {
		return err
	}
	return noContent(q)
}

// deleteChange answers DELETE /changes/{id}: 204.
func (a *API) deleteChange(q *request, rc *resolvedChange) error {
	if err := needs(a.reviews); err != nil {
		return err
	}
	if err := a.reviews.Delete(q.r.Context(), actorOf(q), rc.change); err != nil {
		return err
	}
	return noContent(q)
}

// moveChange answers POST /changes/{id}/move with the moved change.
func (a *API) moveChange(q *request, rc *resolvedChange) error {
	if q.method() != http.MethodPost {
		return methodNotAllowed()
	}
	if err := needs(a.reviews); err != nil {
		return err
	}
	var in MoveInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.DestinationBranch) == "" {
		return fail.Errorf(fail.Invalid, "destination branch is required")
	}
	if err := a.reviews.Move(q.r.Context(), actorOf(q), rc.change, in); err != nil {
		return err
	}
	c, err := a.reload(q, rc.change.Number)
	if err != nil {
		return err
	}
	return a.writeChange(q, c, 0)
}

// serveTopic answers GET/PUT/DELETE /changes/{id}/topic.
func (a *API) serveTopic(q *request, rc *resolvedChange) error {
	switch q.method() {
	case http.MethodGet:
		return writeJSON(q, http.StatusOK, rc.change.Topic)
	case http.MethodPut, http.MethodDelete:
	default:
		return methodNotAllowed()
	}
	if err := needs(a.reviews); err != nil {
		return err
	}
	topic := ""
	if q.method() == http.MethodPut {
		var in TopicInput
		if err := readJSON(q, &in); err != nil {
			return err
		}
		topic = strings.TrimSpace(in.Topic)
	}
	if err := a.reviews.SetTopic(q.r.Context(), actorOf(q), rc.change, topic); err != nil {
		return err
	}
	if topic == "" {
		return noContent(q)
	}
	return writeJSON(q, http.StatusOK, topic)
}

// serveHashtags answers GET/POST /changes/{id}/hashtags.
func (a *API) serveHashtags(q *request, rc *resolvedChange) error {
	ctx := q.r.Context()
	switch q.method() {
	case http.MethodGet:
		tags, err := a.changes.Hashtags(ctx, a.db, rc.change.Number)
		if err != nil {
			return err
		}
		return writeJSON(q, http.StatusOK, tags)
	case http.MethodPost:
	default:
		return methodNotAllowed()
	}
	if err := needs(a.reviews); err != nil {
		return err
	}
	var in HashtagsInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	tags, err := a.reviews.SetHashtags(ctx, actorOf(q), rc.change, in.Add, in.Remove)
	if err != nil {
		return err
	}
	if tags == nil {
		tags = []string{}
	}
	return writeJSON(q, http.StatusOK, tags)
}

// serveReviewers answers /changes/{id}/reviewers[/{account}[/delete|/votes]].
func (a *API) serveReviewers(q *request, rc *resolvedChange, rest []string) error {
	ctx := q.r.Context()
	c := rc.change
	if len(rest) == 0 {
		switch q.method() {
		case http.MethodGet:
			infos, err := a.reviewerInfos(ctx, rc, 0)
			if err != nil {
				return err
			}
			return writeJSON(q, http.StatusOK, infos)
		case http.MethodPost:
			if err := needs(a.reviews); err != nil {
				return err
			}
			var in ReviewerInput
			if err := readJSON(q, &in); err != nil {
				return err
			}
			if strings.TrimSpace(in.Reviewer) == "" {
				return fail.Errorf(fail.Invalid, "reviewer must be specified")
			}
			added, err := a.reviews.AddReviewer(ctx, actorOf(q), c, in)
			if err != nil {
				return err
			}
			if added.Error != "" {
				return writeJSON(q, http.StatusBadRequest, AddReviewerResult{Input: in.Reviewer, Error: added.Error, Confirm: added.Confirm})
			}
			return a.writeAddReviewerResult(q, rc, in.Reviewer, added)
		}
		return methodNotAllowed()
	}
	acct, err := a.reviewerAccount(q, rest[0])
	if err != nil {
		return err
	}
	sub := ""
	if len(rest) > 1 {
		sub = rest[1]
	}
	switch {
	case sub == "" && q.method() == http.MethodGet:
		infos, err := a.reviewerInfos(ctx, rc, acct.ID)
		if err != nil {
			return err
		}
		if len(infos) == 0 {
			return notFound(rest[0])
		}
		return writeJSON(q, http.StatusOK, infos)
	case sub == "votes" && q.method() == http.MethodGet:
		votes, err := a.changes.Approvals(ctx, a.db, c.Number)
		if err != nil {
			return err
		}
		out := map[string]int{}
		for _, v := range change.VotesOn(votes, c.CurrentPS) {
			if v.AccountID == acct.ID {
				out[v.Label] = v.Value
			}
		}
		return writeJSON(q, http.StatusOK, out)
	case sub == "" && q.method() == http.MethodDelete, sub == "delete" && q.method() == http.MethodPost:
		if err := needs(a.reviews); err != nil {
			return err
		}
		if err := a.reviews.RemoveReviewer(ctx, actorOf(q), c, acct.ID); err != nil {
			return err
		}
		return noContent(q)
	}
	return methodNotAllowed()
}

// reviewerAccount resolves an {account-id} in a reviewer path.
func (a *API) reviewerAccount(q *request, id string) (*account.Account, error) {
	if id == "self" || id == "me" {
		if err := a.requireSignedIn(q); err != nil {
			return nil, err
		}
		return q.caller.Account, nil
	}
	acct, err := a.accounts.Resolve(q.r.Context(), id)
	if err != nil {
		if fail.Is(err, fail.NotFound) || fail.Is(err, fail.Invalid) {
			return nil, notFound(id)
		}
		return nil, err
	}
	return acct, nil
}

// reviewerInfos lists the change's reviewers (or just account only) with
// detailed accounts and their votes.
func (a *API) reviewerInfos(ctx context.Context, rc *resolvedChange, only int64) ([]ReviewerInfo, error) {
	c := rc.change
	rs, err := a.changes.Reviewers(ctx, a.db, c.Number)
	if err != nil {
		return nil, err
	}
	votes, err := a.changes.Approvals(ctx, a.db, c.Number)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, r := range rs {
		ids = append(ids, r.AccountID)
	}
	for _, v := range votes {
		ids = append(ids, v.AccountID)
	}
	accts, err := accountsOf(ctx, a.db, ids)
	if err != nil {
		return nil, err
	}
	return reviewerInfos(c, project.ApplicableLabels(rc.state.Chain, c.Branch), rs, votes, detailedAccount(accts), only), nil
}

// detailedAccount renders accounts from a loaded set, in full.
func detailedAccount(accts map[int64]*account.Account) func(int64) AccountInfo {
	return func(id int64) AccountInfo {
		if a := accts[id]; a != nil {
			return accountInfo(a, false)
		}
		return AccountInfo{ID: id}
	}
}

func (a *API) writeAddReviewerResult(q *request, rc *resolvedChange, input string, added ReviewerAdded) error {
	infos, err := a.reviewerInfos(q.r.Context(), rc, 0)
	if err != nil {
		return err
	}
	byID := map[int64]ReviewerInfo{}
	for _, ri := range infos {
		byID[ri.ID] = ri
	}
	pick := func(ids []int64) []ReviewerInfo {
		var out []ReviewerInfo
		for _, id := range ids {
			ri, ok := byID[id]
			if !ok {
				ri = ReviewerInfo{AccountInfo: AccountInfo{ID: id}, Approvals: map[string]string{}}
			}
			out = append(out, ri)
		}
		return out
	}
	return writeJSON(q, http.StatusOK, AddReviewerResult{Input: input, Reviewers: pick(added.Reviewers), CCs: pick(added.CCs)})
}

// serveStarredChanges answers /accounts/{id}/starred.changes[/{change-id}]:
// the caller's own stars only.
func (a *API) serveStarredChanges(q *request, acct *account.Account, rest []string) error {
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	if q.caller.ID() != acct.ID {
		return fail.Errorf(fail.Forbidden, "not allowed to access stars of another account")
	}
	if a.changes == nil {
		return notFound(q.r.URL.Path)
	}
	ctx := q.r.Context()
	if len(rest) == 0 || rest[0] == "" {
		if q.method() != http.MethodGet {
			return methodNotAllowed()
		}
		return a.listStarred(q)
	}
	rc, err := a.resolveChange(q, rawSegment(q, 3))
	if err != nil {
		return err
	}
	switch q.method() {
	case http.MethodPut, http.MethodDelete:
		if err := needs(a.reviews); err != nil {
			return err
		}
		if err := a.reviews.SetStar(ctx, actorOf(q), rc.change, q.method() == http.MethodPut); err != nil {
			return err
		}
		return noContent(q)
	case http.MethodGet:
		starred, err := a.changes.Starred(ctx, a.db, acct.ID, rc.change.Number)
		if err != nil {
			return err
		}
		if !starred[rc.change.Number] {
			return notFound(rest[0])
		}
		return writeJSON(q, http.StatusOK, []string{"star"})
	}
	return methodNotAllowed()
}

// listStarred answers GET /accounts/self/starred.changes.
func (a *API) listStarred(q *request) error {
	ctx := q.r.Context()
	rows, err := a.db.Query(ctx, `SELECT change_id FROM stars WHERE account_id = $1`, q.caller.ID())
	if err != nil {
		return err
	}
	var numbers []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		numbers = append(numbers, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var visible []*change.Change
	if len(numbers) > 0 {
		where, args := sqlIn("id", numbers, 1)
		cs, err := a.changes.List(ctx, a.db, where, "updated_on DESC, id DESC", args...)
		if err != nil {
			return err
		}
		vis := a.newVisibility(q.caller.Subject())
		for _, c := range cs {
			rc, err := vis.change(ctx, c)
			if err != nil {
				return err
			}
			if rc != nil {
				visible = append(visible, c)
			}
		}
	}
	infos, err := a.changeInfos(q, visible, parseChangeOptions(q.query, a.log)|optionsOf(optStar))
	if err != nil {
		return err
	}
	return writeJSON(q, http.StatusOK, infos)
}

// SubmittedTogetherInfo is Gerrit's SubmittedTogetherInfo, the answer
// with o=NON_VISIBLE_CHANGES.
type SubmittedTogetherInfo struct {
	Changes           []*ChangeInfo `json:"changes"`
	NonVisibleChanges int           `json:"non_visible_changes"`
}

// submittedTogether answers GET /changes/ID/submitted_together: the
// changes a submit would merge, descendants first, as ChangeInfo with the
// usual o= options. As in Gerrit, a change submitted alone gives an empty
// list, and the changes the caller cannot see are only counted (with
// o=NON_VISIBLE_CHANGES, which wraps the answer in SubmittedTogetherInfo).
func (a *API) submittedTogether(q *request, rc *resolvedChange) error {
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	if a.submitter == nil {
		return notFound(q.r.URL.Path)
	}
	ctx := q.r.Context()
	set, err := a.submitter.SubmittedTogether(ctx, rc.change)
	if err != nil {
		return err
	}
	vis := a.newVisibility(q.caller.Subject())
	var shown []*change.Change
	hidden := 0
	for i := len(set) - 1; i >= 0; i-- {
		v, err := vis.change(ctx, set[i])
		if err != nil {
			return err
		}
		if v == nil {
			hidden++
			continue
		}
		shown = append(shown, set[i])
	}
	if len(shown) <= 1 && hidden == 0 {
		shown = nil
	}
	infos, err := a.changeInfos(q, shown, parseChangeOptions(q.query, a.log))
	if err != nil {
		return err
	}
	if infos == nil {
		infos = []*ChangeInfo{}
	}
	if slices.Contains(q.query["o"], "NON_VISIBLE_CHANGES") {
		return writeJSON(q, http.StatusOK, SubmittedTogetherInfo{Changes: infos, NonVisibleChanges: hidden})
	}
	return writeJSON(q, http.StatusOK, infos)
}

// listMessages answers GET /changes/ID/messages (the change's messages,
// oldest first, authors in detail) and /messages/MESSAGE_ID (one of them).
func (a *API) listMessages(q *request, rc *resolvedChange, rest []string) error {
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	infos, err := a.changeInfos(q, []*change.Change{rc.change}, optionsOf(optMessages, optDetailedAccounts))
	if err != nil {
		return err
	}
	msgs := []ChangeMessageInfo{}
	if len(infos) == 1 && infos[0].Messages != nil {
		msgs = infos[0].Messages
	}
	if len(rest) == 0 || rest[0] == "" {
		return writeJSON(q, http.StatusOK, msgs)
	}
	for _, m := range msgs {
		if m.ID == rest[0] {
			return writeJSON(q, http.StatusOK, m)
		}
	}
	return notFound(rest[0])
}
