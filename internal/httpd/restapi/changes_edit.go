package restapi

import (
	"context"
	"encoding/base64"
	"mime"
	"net/http"
	"strings"

	"tandem/internal/change"
	"tandem/internal/fail"
	"tandem/internal/git/repo"
)

// Edits keeps the callers' change edits (internal/submit): each user's
// unpublished commit in place of a change's current patch set.
type Edits interface {
	// Edit returns the caller's edit of c, nil when there is none.
	Edit(ctx context.Context, by Actor, c *change.Change) (*ChangeEdit, error)
	EditFile(ctx context.Context, by Actor, c *change.Change, path string, content []byte) error
	DeleteEditFile(ctx context.Context, by Actor, c *change.Change, path string) error
	EditMessage(ctx context.Context, by Actor, c *change.Change, message string) error
	DeleteEdit(ctx context.Context, by Actor, c *change.Change) error
	// PublishEdit makes the edit the change's next patch set.
	PublishEdit(ctx context.Context, by Actor, c *change.Change) error
}

// ChangeEdit is a caller's edit of a change.
type ChangeEdit struct {
	Ref    string
	Commit *repo.Commit
	Base   *change.PatchSet // the patch set edited
}

// EditInfo is Gerrit's EditInfo.
type EditInfo struct {
	Commit             CommitInfo `json:"commit"`
	BasePatchSetNumber int        `json:"base_patch_set_number"`
	BaseRevision       string     `json:"base_revision"`
	Ref                string     `json:"ref"`
}

// editMessageInput is Gerrit's ChangeEditMessageInput.
type editMessageInput struct {
	Message string `json:"message" rest:"default"`
}

// fileContentInput is Gerrit's FileContentInput: a data URL, for clients
// that send JSON instead of the raw file.
type fileContentInput struct {
	BinaryContent string `json:"binary_content"`
}

// serveEdit is /changes/ID/edit[/PATH], /edit:publish and /edit:message.
// Everything answers 204 on success, as in Gerrit, except reads.
func (a *API) serveEdit(q *request, rc *resolvedChange, rest []string) error {
	if a.edits == nil {
		return notFound(q.r.URL.Path)
	}
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	ctx, by, c := q.r.Context(), actorOf(q), rc.change
	path := strings.Join(rest[1:], "/")
	switch m := q.method(); {
	case rest[0] == "edit:publish" && m == http.MethodPost:
		if err := readJSON(q, &struct{}{}); err != nil {
			return err
		}
		if err := a.edits.PublishEdit(ctx, by, c); err != nil {
			return err
		}
		return noContent(q)
	case rest[0] == "edit:message" && m == http.MethodPut:
		var in editMessageInput
		if err := readJSON(q, &in); err != nil {
			return err
		}
		if err := a.edits.EditMessage(ctx, by, c, in.Message); err != nil {
			return err
		}
		return noContent(q)
	case rest[0] == "edit:message" && m == http.MethodGet:
		// The edit's message, or the current patch set's without an edit.
		edit, err := a.edits.Edit(ctx, by, c)
		if err != nil {
			return err
		}
		if edit != nil {
			return writeJSON(q, http.StatusOK, edit.Commit.Message)
		}
		ps, err := a.changes.CurrentPatchSet(ctx, a.db, c)
		if err != nil {
			return err
		}
		return writeJSON(q, http.StatusOK, ps.Message)
	case rest[0] != "edit":
	case path == "" && m == http.MethodGet:
		edit, err := a.edits.Edit(ctx, by, c)
		if err != nil || edit == nil {
			return noContentOr(q, err)
		}
		return writeJSON(q, http.StatusOK, editInfo(edit))
	case path == "" && m == http.MethodDelete:
		if err := a.edits.DeleteEdit(ctx, by, c); err != nil {
			return err
		}
		return noContent(q)
	case path != "" && m == http.MethodGet:
		edit, err := a.edits.Edit(ctx, by, c)
		if err != nil || edit == nil {
			return noContentOr(q, err)
		}
		r, err := a.projects.Open(ctx, c.Project)
		if err != nil {
			return err
		}
		data, err := readBlob(ctx, r, edit.Commit.OID, path)
		if err != nil {
			return err
		}
		return writeBase64(q, data, contentType(path, data))
	case path != "" && m == http.MethodPut:
		content, err := fileContent(q)
		if err != nil {
			return err
		}
		if err := a.edits.EditFile(ctx, by, c, path, content); err != nil {
			return err
		}
		return noContent(q)
	case path != "" && m == http.MethodDelete:
		if err := a.edits.DeleteEditFile(ctx, by, c, path); err != nil {
			return err
		}
		return noContent(q)
	}
	return methodNotAllowed()
}

// noContentOr answers err, or 204 (nothing to show) when there is none.
func noContentOr(q *request, err error) error {
	if err != nil {
		return err
	}
	return noContent(q)
}

// fileContent reads a file for an edit: the raw body, or with
// Content-Type application/json a FileContentInput whose binary_content
// is a base64 data URL.
func fileContent(q *request) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(q.r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return readBody(q)
	}
	var in fileContentInput
	if err := readJSON(q, &in); err != nil {
		return nil, err
	}
	meta, data, ok := strings.Cut(in.BinaryContent, ",")
	if !ok || !strings.HasPrefix(meta, "data:") || !strings.HasSuffix(meta, ";base64") {
		return nil, fail.Errorf(fail.Invalid, "binary_content must be a base64 data URL")
	}
	out, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, fail.Errorf(fail.Invalid, "binary_content is not valid base64")
	}
	return out, nil
}

// editInfo describes an edit.
func editInfo(e *ChangeEdit) EditInfo {
	return EditInfo{Commit: commitInfoOfGit(e.Commit), BasePatchSetNumber: e.Base.Number, BaseRevision: e.Base.Commit, Ref: e.Ref}
}
