package restapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"tandem/internal/change"
	"tandem/internal/fail"
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
	if len(rest) > 0 && rest[0] != "" {
		for _, c := range comments {
			if c.ID == rest[0] {
				return writeJSON(q, http.StatusOK, commentInfo(c, ps == nil, true, acct))
			}
		}
		return notFound(rest[0])
	}
	return writeJSON(q, http.StatusOK, commentMap(comments, ps == nil, acct))
}

// commentMap groups comments by path, in the store's order.
func commentMap(comments []change.Comment, withPatchSet bool, acct func(int64) AccountInfo) map[string][]CommentInfo {
	out := map[string][]CommentInfo{}
	for _, c := range comments {
		out[c.Path] = append(out[c.Path], commentInfo(c, withPatchSet, false, acct))
	}
	return out
}

// serveDrafts answers the caller's draft comments: GET to list or read
// one, PUT on a revision to create one, PUT/DELETE on a draft to update or
// delete it. Drafts are private to their author and raise no events.
func (a *API) serveDrafts(q *request, rc *resolvedChange, ps *change.PatchSet, rest []string) error {
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	ctx := q.r.Context()
	me := q.caller.ID()
	drafts, acct, err := a.commentsOf(ctx, rc, ps, me)
	if err != nil {
		return err
	}
	if len(rest) == 0 || rest[0] == "" {
		switch q.method() {
		case http.MethodGet:
			return writeJSON(q, http.StatusOK, commentMap(drafts, ps == nil, acct))
		case http.MethodPut, http.MethodPost:
			if ps == nil {
				return methodNotAllowed()
			}
			var in CommentInput
			if err := readJSON(q, &in); err != nil {
				return err
			}
			d := change.Comment{ID: newCommentID(), Change: rc.change.Number, PatchSet: ps.Number, AuthorID: me,
				Draft: true, CommitID: ps.Commit}
			if in.InReplyTo != "" {
				d.Unresolved = a.threadUnresolved(ctx, rc, in.InReplyTo)
			}
			if err := applyCommentInput(&d, in); err != nil {
				return err
			}
			if err := a.changes.PutComment(ctx, a.db, &d); err != nil {
				return err
			}
			return writeJSON(q, http.StatusCreated, commentInfo(d, false, true, acct))
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
		var in CommentInput
		if err := readJSON(q, &in); err != nil {
			return err
		}
		if err := applyCommentInput(draft, in); err != nil {
			return err
		}
		if err := a.changes.PutComment(ctx, a.db, draft); err != nil {
			return err
		}
		return writeJSON(q, http.StatusOK, commentInfo(*draft, false, true, acct))
	case http.MethodDelete:
		if err := a.changes.DeleteComment(ctx, a.db, draft.ID); err != nil {
			return err
		}
		return noContent(q)
	}
	return methodNotAllowed()
}

// threadUnresolved is the default "unresolved" of a reply: that of the
// comment replied to.
func (a *API) threadUnresolved(ctx context.Context, rc *resolvedChange, id string) bool {
	all, err := a.changes.Comments(ctx, a.db, rc.change.Number, 0)
	if err != nil {
		return false
	}
	for _, c := range all {
		if c.ID == id {
			return c.Unresolved
		}
	}
	return false
}

// applyCommentInput copies the fields of a CommentInput that are set.
func applyCommentInput(c *change.Comment, in CommentInput) error {
	if in.Path != "" {
		c.Path = in.Path
	}
	if c.Path == "" {
		return fail.Errorf(fail.Invalid, "path must be non-empty")
	}
	if in.Line < 0 {
		return fail.Errorf(fail.Invalid, "line must be >= 0")
	}
	if in.Line > 0 || in.Range != nil {
		c.Line = in.Line
	}
	if in.Range != nil {
		r := in.Range
		if r.StartLine <= 0 || r.EndLine < r.StartLine {
			return fail.Errorf(fail.Invalid, "invalid range")
		}
		c.Range = &change.Range{StartLine: r.StartLine, StartCharacter: r.StartCharacter, EndLine: r.EndLine, EndCharacter: r.EndCharacter}
		if c.Line == 0 {
			c.Line = r.EndLine
		}
	}
	switch strings.ToUpper(in.Side) {
	case "", "REVISION":
		if in.Side != "" {
			c.Side = 0
		}
	case "PARENT":
		c.Side = max(in.Parent, 1)
	default:
		return fail.Errorf(fail.Invalid, "invalid side %q", in.Side)
	}
	if in.InReplyTo != "" {
		c.InReplyTo = in.InReplyTo
	}
	if in.Message != "" {
		c.Message = strings.TrimRight(in.Message, " \t\n")
	}
	if in.Tag != "" {
		c.Tag = in.Tag
	}
	if in.Unresolved != nil {
		c.Unresolved = *in.Unresolved
	}
	c.Written = time.Now().UTC()
	return nil
}

// newCommentID makes a random comment id.
func newCommentID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
