package restapi

import (
	"context"
	"net/http"

	"tandem/internal/change"
	"tandem/internal/fail"
)

// Creator makes changes on the server's side (internal/submit): from a
// subject (POST /changes/) or by cherry-picking a patch set.
type Creator interface {
	CreateChange(ctx context.Context, by Actor, in ChangeInput) (*change.Change, error)
	// CherryPick returns the change the copy became a patch set of: a new
	// one, or the open change with its Change-Id on the destination.
	CherryPick(ctx context.Context, by Actor, c *change.Change, ps *change.PatchSet, in CherryPickInput) (*change.Change, error)
	// Revert returns the new change that undoes the merged change c.
	Revert(ctx context.Context, by Actor, c *change.Change, in RevertInput) (*change.Change, error)
	// PureRevert tells whether c exactly undoes the commit claimed (when
	// empty, the one its message names).
	PureRevert(ctx context.Context, c *change.Change, claimed string) (bool, error)
}

// ChangeInput is Gerrit's ChangeInput (the fields Tandem acts on).
type ChangeInput struct {
	Project        string `json:"project"`
	Branch         string `json:"branch"`
	Subject        string `json:"subject"`
	Topic          string `json:"topic"`
	IsPrivate      bool   `json:"is_private"`
	WorkInProgress bool   `json:"work_in_progress"`
	BaseCommit     string `json:"base_commit"`
}

// CherryPickInput is Gerrit's CherryPickInput (the fields Tandem acts on).
type CherryPickInput struct {
	Destination string `json:"destination"`
	Message     string `json:"message"`
}

// RevertInput is Gerrit's RevertInput (the fields Tandem acts on).
type RevertInput struct {
	Message        string `json:"message" rest:"default"`
	Topic          string `json:"topic"`
	WorkInProgress bool   `json:"work_in_progress"`
}

// createChange answers POST /changes/ with the new change's ChangeInfo
// (201).
func (a *API) createChange(q *request) error {
	if a.creator == nil {
		return methodNotAllowed()
	}
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	var in ChangeInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	switch {
	case in.Project == "":
		return fail.Errorf(fail.Invalid, "project must be non-empty")
	case in.Branch == "":
		return fail.Errorf(fail.Invalid, "branch must be non-empty")
	}
	c, err := a.creator.CreateChange(q.r.Context(), actorOf(q), in)
	if err != nil {
		return err
	}
	return a.writeChangeStatus(q, c, http.StatusCreated)
}

// cherryPick answers POST …/revisions/R/cherrypick with the ChangeInfo of
// the change the copy landed in.
func (a *API) cherryPick(q *request, rc *resolvedChange, ps *change.PatchSet) error {
	if q.method() != http.MethodPost {
		return methodNotAllowed()
	}
	if a.creator == nil {
		return notFound(q.r.URL.Path)
	}
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	var in CherryPickInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	c, err := a.creator.CherryPick(q.r.Context(), actorOf(q), rc.change, ps, in)
	if err != nil {
		return err
	}
	return a.writeChangeStatus(q, c, http.StatusOK)
}

// writeChangeStatus answers with a change's ChangeInfo (the usual
// options of a freshly made change: its current revision and commit) and
// the status.
func (a *API) writeChangeStatus(q *request, c *change.Change, status int) error {
	infos, err := a.changeInfos(q, []*change.Change{c}, parseChangeOptions(q.query, a.log)|optionsOf(optCurrentRevision))
	if err != nil {
		return err
	}
	return writeJSON(q, status, infos[0])
}

// revert answers POST /changes/ID/revert with the ChangeInfo of the new
// change that undoes this one.
func (a *API) revert(q *request, rc *resolvedChange) error {
	if q.method() != http.MethodPost {
		return methodNotAllowed()
	}
	if a.creator == nil {
		return notFound(q.r.URL.Path)
	}
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	var in RevertInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	c, err := a.creator.Revert(q.r.Context(), actorOf(q), rc.change, in)
	if err != nil {
		return err
	}
	return a.writeChangeStatus(q, c, http.StatusOK)
}

// pureRevert answers GET /changes/ID/pure_revert[?o=COMMIT] with Gerrit's
// PureRevertInfo.
func (a *API) pureRevert(q *request, rc *resolvedChange) error {
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	if a.creator == nil {
		return notFound(q.r.URL.Path)
	}
	pure, err := a.creator.PureRevert(q.r.Context(), rc.change, q.query.Get("o"))
	if err != nil {
		return err
	}
	return writeJSON(q, http.StatusOK, map[string]bool{"is_pure_revert": pure})
}
