package project

import (
	"context"
	"errors"
	"strings"

	"tandem/internal/fail"
	"tandem/internal/git"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
)

// RefRights answers the permission questions creating a ref asks;
// *access.Checker is one.
type RefRights interface {
	Can(ref, permission string) bool
}

// NewRef is a branch or tag to create.
type NewRef struct {
	Ref      string // full name, refs/heads/… or refs/tags/…
	Revision string // the commit it starts at, any revision git reads; "" is HEAD
	// Message makes a tag annotated, by Tagger.
	Message string
	Tagger  repo.Ident
}

// CreateRef creates a branch or tag in the project's repository with the
// checks Gerrit makes whatever the entry point: the create permission
// (createTag for an annotated tag), and, for a caller who may not push
// there, a commit already in the history of a branch or tag they can
// read, so that no new ref exposes hidden history. It returns the ref's
// new value: the commit, or an annotated tag's object.
func (s *Service) CreateRef(ctx context.Context, name string, rights RefRights, in NewRef) (string, error) {
	isTag := strings.HasPrefix(in.Ref, "refs/tags/")
	kind := "branch"
	if isTag {
		kind = "tag"
	}
	if !git.ValidRefName(in.Ref) {
		return "", fail.Errorf(fail.Invalid, "%s \"%s\" is not a valid name", strings.ToUpper(kind[:1])+kind[1:], in.Ref)
	}
	perm, what := PermCreate, "create"
	if isTag && in.Message != "" {
		perm, what = PermCreateTag, "create tag"
	}
	if !rights.Can(in.Ref, perm) {
		return "", fail.Errorf(fail.Forbidden, "not permitted: %s on %s", what, in.Ref)
	}
	r, err := s.Open(ctx, name)
	if err != nil {
		return "", err
	}
	rev := in.Revision
	if rev == "" {
		rev = "HEAD"
	}
	commit, err := r.Resolve(ctx, rev+"^{commit}")
	if err != nil {
		return "", fail.Errorf(fail.Invalid, "invalid revision \"%s\"", in.Revision)
	}
	if !rights.Can(in.Ref, PermPush) {
		refs, err := r.Containing(ctx, commit, "refs/heads/", "refs/tags/")
		if err != nil {
			return "", err
		}
		readable := false
		for _, ref := range refs {
			readable = readable || rights.Can(ref, PermRead)
		}
		if !readable {
			return "", fail.Errorf(fail.Forbidden, "update for creating new commit object not permitted")
		}
	}
	value := commit
	if isTag && in.Message != "" {
		if value, err = r.WriteTag(ctx, commit, strings.TrimPrefix(in.Ref, "refs/tags/"), in.Tagger, in.Message); err != nil {
			return "", err
		}
	}
	err = r.UpdateRefs(ctx, refupdate.Update{Ref: in.Ref, Old: refupdate.ZeroOID, New: value})
	var mm *refupdate.MismatchError
	if errors.As(err, &mm) {
		return "", fail.Errorf(fail.Conflict, "%s \"%s\" already exists", kind, in.Ref)
	}
	return value, err
}
