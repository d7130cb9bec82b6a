package review

import (
	"context"
	"strings"

	"tandem/internal/access"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/fail"
)

// DraftInput creates (ID empty) or updates one of the caller's draft
// comments.
type DraftInput struct {
	ID         string
	Path       string
	Side       string // REVISION (default) or PARENT
	Parent     int
	Line       int
	Range      *change.Range
	InReplyTo  string
	Message    string
	Tag        string
	Unresolved *bool
}

// SaveDraft creates or updates a draft comment of the caller on patch set
// ps (0: the current one) of change n. Drafts are seen by their author
// only until a review publishes them.
func (s *Service) SaveDraft(ctx context.Context, subj access.Subject, n int64, ps int, in DraftInput) (*change.Comment, error) {
	if err := signedIn(subj); err != nil {
		return nil, err
	}
	in.Message = strings.TrimSpace(in.Message)
	if in.Message == "" {
		return nil, fail.Errorf(fail.Invalid, "message must be non-empty")
	}
	if in.Path == "" {
		return nil, fail.Errorf(fail.Invalid, "path must be non-empty")
	}
	var out *change.Comment
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		c, err := s.getChange(ctx, tx, n)
		if err != nil {
			return err
		}
		p, err := s.patchSet(ctx, tx, c, ps)
		if err != nil {
			return err
		}
		files, err := s.changes.Files(ctx, tx, n, p.Number)
		if err != nil {
			return err
		}
		if !hasFile(files, in.Path) {
			return fail.Errorf(fail.Invalid, "file %s not found in revision %d,%d", in.Path, n, p.Number)
		}
		existing, err := s.changes.Comments(ctx, tx, n, subj.AccountID)
		if err != nil {
			return err
		}
		id := in.ID
		if id != "" {
			if !hasDraft(existing, id, subj.AccountID) {
				return fail.Errorf(fail.NotFound, "Not found: %s", id)
			}
		} else if id, err = newCommentID(); err != nil {
			return err
		}
		cm, err := newComment(existing, in.Path, CommentInput{Side: in.Side, Parent: in.Parent, Line: in.Line,
			Range: in.Range, InReplyTo: in.InReplyTo, Message: in.Message, Unresolved: in.Unresolved})
		if err != nil {
			return err
		}
		cm.ID, cm.Change, cm.PatchSet, cm.AuthorID = id, n, p.Number, subj.AccountID
		cm.Draft, cm.Tag, cm.Written, cm.CommitID = true, in.Tag, s.now(), p.Commit
		if err := s.changes.PutComment(ctx, tx, &cm); err != nil {
			return err
		}
		out = &cm
		return nil
	})
	return out, err
}

func hasDraft(comments []change.Comment, id string, author int64) bool {
	for _, c := range comments {
		if c.ID == id && c.Draft && c.AuthorID == author {
			return true
		}
	}
	return false
}

// DeleteDraft deletes one of the caller's drafts on change n.
func (s *Service) DeleteDraft(ctx context.Context, subj access.Subject, n int64, id string) error {
	if err := signedIn(subj); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		existing, err := s.changes.Comments(ctx, tx, n, subj.AccountID)
		if err != nil {
			return err
		}
		if !hasDraft(existing, id, subj.AccountID) {
			return fail.Errorf(fail.NotFound, "Not found: %s", id)
		}
		return s.changes.DeleteComment(ctx, tx, id)
	})
}

// Drafts returns the caller's drafts on change n.
func (s *Service) Drafts(ctx context.Context, subj access.Subject, n int64) ([]change.Comment, error) {
	if err := signedIn(subj); err != nil {
		return nil, err
	}
	all, err := s.changes.Comments(ctx, s.db, n, subj.AccountID)
	if err != nil {
		return nil, err
	}
	var out []change.Comment
	for _, c := range all {
		if c.Draft && c.AuthorID == subj.AccountID {
			out = append(out, c)
		}
	}
	return out, nil
}
