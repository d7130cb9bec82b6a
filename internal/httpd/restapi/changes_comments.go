package restapi

import (
	"context"
	"net/http"
	"strconv"

	"tandem/internal/change"
)

// commentInfo renders a comment; withPatchSet is set for change-level
// listings, withPath for single comments (listings are keyed by path).
func commentInfo(c change.Comment, withPatchSet, withPath bool, acct func(int64) AccountInfo) CommentInfo {
	author := acct(c.AuthorID)
	ci := CommentInfo{
		ID:         c.ID,
		Line:       c.Line,
		InReplyTo:  c.InReplyTo,
		Message:    c.Message,
		Updated:    timestamp(c.Written),
		Author:     &author,
		Tag:        c.Tag,
		Unresolved: c.Unresolved,
		CommitID:   c.CommitID,
	}
	if withPatchSet {
		ci.PatchSet = c.PatchSet
	}
	if withPath {
		ci.Path = c.Path
	}
	if c.Side > 0 {
		ci.Side = "PARENT"
		if c.Side > 1 {
			ci.Parent = c.Side
		}
	}
	if c.Range != nil {
		ci.Range = &CommentRange{StartLine: c.Range.StartLine, StartCharacter: c.Range.StartCharacter,
			EndLine: c.Range.EndLine, EndCharacter: c.Range.EndCharacter}
	}
	if c.ChangeMessageID != 0 {
		ci.ChangeMessageID = strconv.FormatInt(c.ChangeMessageID, 10)
	}
	return ci
}

// commentsOf loads a change's comments: published ones, or the caller's
// drafts; of one patch set when ps is set.
func (a *API) commentsOf(ctx context.Context, rc *resolvedChange, ps *change.PatchSet, draftsOf int64) ([]change.Comment, func(int64) AccountInfo, error) {
	all, err := a.changes.Comments(ctx, a.db, rc.change.Number, draftsOf)
	if err != nil {
		return nil, nil, err
	}
	var out []change.Comment
	var ids []int64
	for _, c := range all {
		if c.Draft != (draftsOf != 0) || ps != nil && c.PatchSet != ps.Number {
			continue
		}
		out = append(out, c)
		ids = append(ids, c.AuthorID)
	}
	accts, err := accountsOf(ctx, a.db, ids)
	if err != nil {
		return nil, nil, err
	}
	return out, detailedAccount(accts), nil
}

// serveComments answers GET /changes/{id}/comments, …/revisions/{rev}/comments
// and …/comments/{comment-id}.
func (a *API) serveComments(q *request, rc *resolvedChange, ps *change.PatchSet, rest []string) error {
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	comments, acct, err := a.commentsOf(q.r.Context(), rc, ps, 0)
	if err != nil {
		return err
	}
	cc, err := a.newCommentContext(q, rc)
	if err != nil {
		return err
	}
	if len(rest) > 0 && rest[0] != "" {
		for _, c := range comments {
			if c.ID == rest[0] {
				ci := commentInfo(c, ps == nil, true, acct)
				if err := cc.fill(&ci, c); err != nil {
					return err
				}
				return writeJSON(q, http.StatusOK, ci)
			}
		}
		return notFound(rest[0])
	}
	out, err := commentMap(comments, ps == nil, acct, cc)
	if err != nil {
		return err
	}
	return writeJSON(q, http.StatusOK, out)
}

// commentMap groups comments by path, in the store's order, with their
// context when cc is not nil.
func commentMap(comments []change.Comment, withPatchSet bool, acct func(int64) AccountInfo, cc *commentContext) (map[string][]CommentInfo, error) {
	out := map[string][]CommentInfo{}
	for _, c := range comments {
		ci := commentInfo(c, withPatchSet, false, acct)
		if err := cc.fill(&ci, c); err != nil {
			return nil, err
		}
		out[c.Path] = append(out[c.Path], ci)
	}
	return out, nil
}

// serveDrafts answers the caller's draft comments: GET to list or read
// one, PUT on a revision to create one, PUT/DELETE on a draft to update or
// delete it. Drafts are private to their author and raise no events; the
// domain (Reviews) validates and stores them.
func (a *API) serveDrafts(q *request, rc *resolvedChange, ps *change.PatchSet, rest []string) error {
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	ctx := q.r.Context()
	drafts, acct, err := a.commentsOf(ctx, rc, ps, q.caller.ID())
	if err != nil {
		return err
	}
	if len(rest) == 0 || rest[0] == "" {
		switch q.method() {
		case http.MethodGet:
			cc, err := a.newCommentContext(q, rc)
			if err != nil {
				return err
			}
			out, err := commentMap(drafts, ps == nil, acct, cc)
			if err != nil {
				return err
			}
			return writeJSON(q, http.StatusOK, out)
		case http.MethodPut, http.MethodPost:
			if ps == nil {
				return methodNotAllowed()
			}
			if err := needs(a.reviews); err != nil {
				return err
			}
			var in CommentInput
			if err := readJSON(q, &in); err != nil {
				return err
			}
			in.ID = ""
			d, err := a.reviews.SaveDraft(ctx, actorOf(q), rc.change, ps, in)
			if err != nil {
				return err
			}
			return writeJSON(q, http.StatusCreated, commentInfo(*d, false, true, acct))
		}
		return methodNotAllowed()
	}
	var draft *change.Comment
	for i := range drafts {
		if drafts[i].ID == rest[0] {
			draft = &drafts[i]
		}
	}
	if draft == nil {
		return notFound(rest[0])
	}
	switch q.method() {
	case http.MethodGet:
		return writeJSON(q, http.StatusOK, commentInfo(*draft, ps == nil, true, acct))
	case http.MethodPut:
		if err := needs(a.reviews); err != nil {
			return err
		}
		var in CommentInput
		if err := readJSON(q, &in); err != nil {
			return err
		}
		on := ps
		if on == nil {
			pss, err := a.patchSetsOf(ctx, rc)
			if err != nil {
				return err
			}
			if on = patchSetNumbered(pss, draft.PatchSet); on == nil {
				return notFound(rest[0])
			}
		}
		d, err := a.reviews.SaveDraft(ctx, actorOf(q), rc.change, on, draftUpdate(*draft, in))
		if err != nil {
			return err
		}
		return writeJSON(q, http.StatusOK, commentInfo(*d, false, true, acct))
	case http.MethodDelete:
		if err := needs(a.reviews); err != nil {
			return err
		}
		if err := a.reviews.DeleteDraft(ctx, actorOf(q), rc.change, draft.ID); err != nil {
			return err
		}
		return noContent(q)
	}
	return methodNotAllowed()
}

// draftUpdate is the whole input that replaces draft d: the fields in
// sets, the others as they are, as Gerrit updates a draft.
func draftUpdate(d change.Comment, in CommentInput) CommentInput {
	out := CommentInput{ID: d.ID, Path: d.Path, Line: d.Line, InReplyTo: d.InReplyTo, Message: d.Message, Tag: d.Tag}
	unresolved := d.Unresolved
	out.Unresolved = &unresolved
	if d.Side > 0 {
		out.Side, out.Parent = "PARENT", d.Side
	}
	if r := d.Range; r != nil {
		out.Range = &CommentRange{StartLine: r.StartLine, StartCharacter: r.StartCharacter, EndLine: r.EndLine, EndCharacter: r.EndCharacter}
	}
	if in.Path != "" {
		out.Path = in.Path
	}
	if in.Side != "" {
		out.Side, out.Parent = in.Side, in.Parent
	}
	if in.Line != 0 || in.Range != nil {
		out.Line, out.Range = in.Line, in.Range
	}
	if in.InReplyTo != "" {
		out.InReplyTo = in.InReplyTo
	}
	if in.Message != "" {
		out.Message = in.Message
	}
	if in.Tag != "" {
		out.Tag = in.Tag
	}
	if in.Unresolved != nil {
		out.Unresolved = in.Unresolved
	}
	return out
}
