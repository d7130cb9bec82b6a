package submit

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"tandem/internal/change"
	"tandem/internal/fail"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
	"tandem/internal/project"
)

// A change edit is a user's unpublished commit on top of (in place of) a
// change's current patch set, kept as Gerrit keeps it: on the ref
// refs/users/NN/ACCOUNT/edit-CHANGE/PATCHSET of the project, so it lives
// in git, shared by every master, and needs no table. Publishing it makes
// it the next patch set.

// Edit is a change edit.
type Edit struct {
	Ref    string
	Commit *repo.Commit
	Base   *change.PatchSet // the patch set it edits
}

// editScope loads change n for an edit by the caller: open, and theirs to
// add patch sets to.
func (s *Service) editScope(ctx context.Context, caller Caller, n int64) (*change.Change, *repo.Repo, error) {
	ch, err := s.o.Changes.Get(ctx, s.o.DB, n)
	if err != nil {
		return nil, nil, err
	}
	if !ch.Status.Open() {
		return nil, nil, fail.Errorf(fail.Conflict, "change %d is %s", n, strings.ToLower(string(ch.Status)))
	}
	chk, _, err := s.o.Access.Check(ctx, ch.Project, caller.subject())
	if err != nil {
		return nil, nil, err
	}
	if ch.OwnerID != caller.Account.ID && !chk.Can("refs/for/"+ch.Branch, project.PermAddPatchSet) {
		return nil, nil, fail.Errorf(fail.Forbidden, "not permitted: add patch set to change %d", n)
	}
	r, err := s.o.Projects.Open(ctx, ch.Project)
	return ch, r, err
}

// findEdit returns the caller's edit of ch, nil when there is none.
func (s *Service) findEdit(ctx context.Context, r *repo.Repo, account int64, ch *change.Change) (*Edit, error) {
	prefix := change.EditRefPrefix(account, ch.Number)
	refs, err := r.Refs(ctx, prefix)
	if err != nil || len(refs) == 0 {
		return nil, err
	}
	ref := refs[0] // modifyEdit makes one only when there is none
	base, err := strconv.Atoi(strings.TrimPrefix(ref.Name, prefix))
	if err != nil {
		return nil, fmt.Errorf("edit ref %s: %w", ref.Name, err)
	}
	ps, err := s.o.Changes.PatchSet(ctx, s.o.DB, ch.Number, base)
	if err != nil {
		return nil, err
	}
	commit, err := r.ReadCommit(ctx, ref.OID)
	if err != nil {
		return nil, err
	}
	return &Edit{Ref: ref.Name, Commit: commit, Base: ps}, nil
}

// GetEdit returns the caller's edit of change n, nil when there is none.
func (s *Service) GetEdit(ctx context.Context, caller Caller, n int64) (*Edit, error) {
	ch, err := s.o.Changes.Get(ctx, s.o.DB, n)
	if err != nil {
		return nil, err
	}
	r, err := s.o.Projects.Open(ctx, ch.Project)
	if err != nil {
		return nil, err
	}
	return s.findEdit(ctx, r, caller.Account.ID, ch)
}

// errNoChanges is Gerrit's answer to an edit that changes nothing; clients
// match its text.
func errNoChanges() error { return fail.Errorf(fail.Conflict, "no changes were made") }

// modifyEdit applies fn to the caller's edit of change n, creating it on
// the current patch set when there is none: fn returns the new tree and
// message from the edit's commit. An edit that would change nothing is
// refused, as in Gerrit.
func (s *Service) modifyEdit(ctx context.Context, caller Caller, n int64, fn func(r *repo.Repo, c *repo.Commit) (tree, message string, err error)) error {
	ch, r, err := s.editScope(ctx, caller, n)
	if err != nil {
		return err
	}
	edit, err := s.findEdit(ctx, r, caller.Account.ID, ch)
	if err != nil {
		return err
	}
	var base *repo.Commit
	old, ref := refupdate.ZeroOID, ""
	if edit != nil {
		base, old, ref = edit.Commit, edit.Commit.OID, edit.Ref
	} else {
		ps, err := s.o.Changes.CurrentPatchSet(ctx, s.o.DB, ch)
		if err != nil {
			return err
		}
		if base, err = r.ReadCommit(ctx, ps.Commit); err != nil {
			return err
		}
		ref = change.EditRefPrefix(caller.Account.ID, n) + strconv.Itoa(ps.Number)
	}
	tree, message, err := fn(r, base)
	if err != nil {
		return err
	}
	if tree == base.Tree && message == base.Message {
		return errNoChanges()
	}
	who := caller.Account
	author := repo.Ident{Name: base.Author.Name, Email: base.Author.Email, When: base.Author.When}
	commit, err := r.WriteCommit(ctx, tree, base.Parents, message, author,
		repo.Ident{Name: who.DisplayName(), Email: who.PreferredEmail, When: s.o.Clock.Now()})
	if err != nil {
		return err
	}
	err = r.UpdateRefs(ctx, refupdate.Update{Ref: ref, Old: old, New: commit})
	var mm *refupdate.MismatchError
	if errors.As(err, &mm) {
		return fail.Errorf(fail.Conflict, "the edit of change %d was changed concurrently", n)
	}
	return err
}

// EditFile sets the file at path in the caller's edit of change n.
func (s *Service) EditFile(ctx context.Context, caller Caller, n int64, path string, content []byte) error {
	return s.modifyEdit(ctx, caller, n, func(r *repo.Repo, c *repo.Commit) (string, string, error) {
		blob, err := r.WriteBlob(ctx, content)
		if err != nil {
			return "", "", err
		}
		tree, err := r.EditTree(ctx, c.Tree, path, blob)
		return tree, c.Message, editError(err)
	})
}

// DeleteEditFile removes the file at path in the caller's edit of change n.
func (s *Service) DeleteEditFile(ctx context.Context, caller Caller, n int64, path string) error {
	return s.modifyEdit(ctx, caller, n, func(r *repo.Repo, c *repo.Commit) (string, string, error) {
		tree, err := r.EditTree(ctx, c.Tree, path, "")
		return tree, c.Message, editError(err)
	})
}

// changeIDLine finds Change-Id footers.
var changeIDLine = regexp.MustCompile(`(?m)^Change-Id:\s*(\S+)\s*$`)

// EditMessage sets the commit message of the caller's edit of change n;
// it must keep the change's Change-Id.
func (s *Service) EditMessage(ctx context.Context, caller Caller, n int64, message string) error {
	message = strings.TrimSpace(message)
	if message == "" {
		return fail.Errorf(fail.Invalid, "commit message must not be empty")
	}
	return s.modifyEdit(ctx, caller, n, func(r *repo.Repo, c *repo.Commit) (string, string, error) {
		ch, err := s.o.Changes.Get(ctx, s.o.DB, n)
		if err != nil {
			return "", "", err
		}
		ids := changeIDLine.FindAllStringSubmatch(message, -1)
		if len(ids) > 0 && ids[len(ids)-1][1] != ch.Key {
			return "", "", fail.Errorf(fail.Invalid, "wrong Change-Id footer")
		}
		if len(ids) == 0 && changeIDLine.MatchString(c.Message) {
			return "", "", fail.Errorf(fail.Invalid, "missing Change-Id footer")
		}
		return c.Tree, message + "\n", nil
	})
}

// editError turns a path that cannot be edited into the caller's error.
func editError(err error) error {
	if errors.Is(err, repo.ErrPathConflict) {
		return fail.Errorf(fail.Conflict, "%s", err.Error())
	}
	if errors.Is(err, repo.ErrInvalidPath) {
		return fail.Errorf(fail.Invalid, "invalid path")
	}
	return err
}

// DeleteEdit drops the caller's edit of change n.
func (s *Service) DeleteEdit(ctx context.Context, caller Caller, n int64) error {
	ch, err := s.o.Changes.Get(ctx, s.o.DB, n)
	if err != nil {
		return err
	}
	r, err := s.o.Projects.Open(ctx, ch.Project)
	if err != nil {
		return err
	}
	edit, err := s.findEdit(ctx, r, caller.Account.ID, ch)
	if err != nil {
		return err
	}
	if edit == nil {
		return fail.Errorf(fail.NotFound, "no edit exists for change %d", n)
	}
	return r.UpdateRefs(ctx, refupdate.Update{Ref: edit.Ref, Old: edit.Commit.OID, New: refupdate.ZeroOID})
}

// PublishEdit makes the caller's edit of change n its next patch set and
// drops the edit. Only an edit of the current patch set may be published.
func (s *Service) PublishEdit(ctx context.Context, caller Caller, n int64, newPatchSet NewPatchSetFunc) (*change.Change, error) {
	ch, r, err := s.editScope(ctx, caller, n)
	if err != nil {
		return nil, err
	}
	edit, err := s.findEdit(ctx, r, caller.Account.ID, ch)
	if err != nil {
		return nil, err
	}
	if edit == nil {
		return nil, fail.Errorf(fail.Conflict, "no edit exists for change %d", n)
	}
	if edit.Base.Number != ch.CurrentPS {
		return nil, fail.Errorf(fail.Conflict, "only edit for current patch set can be published")
	}
	base, err := r.ReadCommit(ctx, edit.Base.Commit)
	if err != nil {
		return nil, err
	}
	kind := change.KindRework
	if base.Tree == edit.Commit.Tree {
		kind = change.KindNoCodeChange
	}
	now := s.o.Clock.Now().UTC().Truncate(time.Microsecond)
	out, err := s.addPatchSet(ctx, r, caller, ch, edit.Base, patchSetSpec{commit: edit.Commit.OID, kind: kind,
		message: fmt.Sprintf("Patch Set %d: Published edit on patch set %d.", edit.Base.Number+1, edit.Base.Number)}, now, newPatchSet)
	if err != nil {
		return nil, err
	}
	// The edit is a patch set now; a failure here leaves a stale edit,
	// which its owner can delete.
	if err := r.UpdateRefs(ctx, refupdate.Update{Ref: edit.Ref, Old: edit.Commit.OID, New: refupdate.ZeroOID}); err != nil {
		s.o.Logger.Warn("published edit not dropped", "change", n, "ref", edit.Ref, "err", err)
	}
	return out, nil
}
