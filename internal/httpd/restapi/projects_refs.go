package restapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"tandem/internal/access"
	"tandem/internal/fail"
	"tandem/internal/git"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
	"tandem/internal/git/service"
	"tandem/internal/project"
)

// TagInfo is Gerrit's TagInfo.
type TagInfo struct {
	Ref       string         `json:"ref"`
	Revision  string         `json:"revision"`
	Object    string         `json:"object,omitempty"`
	Message   string         `json:"message,omitempty"`
	Tagger    *GitPersonInfo `json:"tagger,omitempty"`
	Created   string         `json:"created,omitempty"`
	CanDelete bool           `json:"can_delete,omitempty"`
}

// TagInput is Gerrit's TagInput.
type TagInput struct {
	Ref      string `json:"ref"`
	Revision string `json:"revision" rest:"default"`
	Message  string `json:"message"`
}

// serveTags is /projects/NAME/tags/[TAG]: list, read, create (201) and
// delete (204) tags. A tag is listed or read when the caller could fetch
// it: readable, or (Gerrit's rule) pointing into a visible branch.
func (a *API) serveTags(q *request, chk *access.Checker, st *project.State, rest []string) error {
	ctx := q.r.Context()
	r, err := a.projects.Open(ctx, st.Name)
	if err != nil {
		return err
	}
	visible := func() (map[string]bool, error) { return visibleTags(ctx, r, chk) }
	if len(rest) == 0 || rest[0] == "" {
		if q.method() != http.MethodGet {
			return methodNotAllowed()
		}
		return a.listTags(q, chk, r, visible)
	}
	ref := strings.Join(rest, "/")
	if !strings.HasPrefix(ref, "refs/tags/") {
		ref = "refs/tags/" + ref
	}
	// existing returns the value of the tag named in the URL, when the
	// caller may see it.
	existing := func() (string, error) {
		set, err := visible()
		if err != nil {
			return "", err
		}
		if !git.ValidRefName(ref) || !set[ref] {
			return "", notFound(ref)
		}
		oid, err := r.RefOID(ctx, ref)
		if errors.Is(err, repo.ErrNotFound) {
			return "", notFound(ref) // deleted meanwhile
		}
		return oid, err
	}
	switch q.method() {
	case http.MethodGet:
		oid, err := existing()
		if err != nil {
			return err
		}
		info, err := tagInfo(q, chk, r, ref, oid)
		if err != nil {
			return err
		}
		return writeJSON(q, http.StatusOK, info)
	case http.MethodPut:
		if err := a.requireSignedIn(q); err != nil {
			return err
		}
		var in TagInput
		if err := readJSON(q, &in); err != nil {
			return err
		}
		if in.Ref != "" && in.Ref != ref && "refs/tags/"+in.Ref != ref {
			return fail.Errorf(fail.Invalid, "ref must match URL")
		}
		who := q.caller.Account
		oid, err := a.projects.CreateRef(ctx, st.Name, chk, project.NewRef{Ref: ref, Revision: in.Revision,
			Message: in.Message, Tagger: repo.Ident{Name: who.DisplayName(), Email: who.PreferredEmail}})
		if err != nil {
			return err
		}
		info, err := tagInfo(q, chk, r, ref, oid)
		if err != nil {
			return err
		}
		return writeJSON(q, http.StatusCreated, info)
	case http.MethodDelete:
		if err := a.requireSignedIn(q); err != nil {
			return err
		}
		oid, err := existing()
		if err != nil {
			return err
		}
		if !canDeleteRef(chk, ref) {
			return notPermitted("delete on %s", ref)
		}
		err = r.UpdateRefs(ctx, refupdate.Update{Ref: ref, Old: oid, New: refupdate.ZeroOID})
		var mm *refupdate.MismatchError
		if errors.As(err, &mm) {
			return fail.Errorf(fail.Conflict, "tag \"%s\" was updated concurrently", ref)
		}
		if err != nil {
			return err
		}
		return noContent(q)
	}
	return methodNotAllowed()
}

// listTags answers GET /projects/NAME/tags/ with Gerrit's paging and
// filters: n (limit), S (skip) and m (substring of the name).
func (a *API) listTags(q *request, chk *access.Checker, r *repo.Repo, visible func() (map[string]bool, error)) error {
	ctx := q.r.Context()
	limit, err := intParam(q, "n", "limit") // 0: no limit
	if err != nil {
		return err
	}
	skip, err := intParam(q, "S", "start")
	if err != nil {
		return err
	}
	match := strings.ToLower(q.query.Get("m"))
	refs, err := r.Refs(ctx, "refs/tags/")
	if err != nil {
		return err
	}
	set, err := visible()
	if err != nil {
		return err
	}
	out := []TagInfo{}
	for _, ref := range refs {
		short := strings.TrimPrefix(ref.Name, "refs/tags/")
		if !set[ref.Name] || !strings.Contains(strings.ToLower(short), match) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if limit > 0 && len(out) >= limit {
			break
		}
		info, err := tagInfo(q, chk, r, ref.Name, ref.OID)
		if err != nil {
			return err
		}
		out = append(out, info)
	}
	return writeJSON(q, http.StatusOK, out)
}

// tagInfo describes the tag ref, which points at oid: an annotated tag's
// object, message and tagger, or a lightweight tag's commit time.
func tagInfo(q *request, chk *access.Checker, r *repo.Repo, ref, oid string) (TagInfo, error) {
	ctx := q.r.Context()
	info := TagInfo{Ref: ref, Revision: oid, CanDelete: canDeleteRef(chk, ref)}
	t, err := r.ReadTag(ctx, oid)
	switch {
	case err == nil:
		info.Object, info.Message = t.Object, strings.TrimSuffix(t.Message, "\n")
		p := GitPersonInfo{Name: t.Tagger.Name, Email: t.Tagger.Email, Date: timestamp(t.Tagger.When), TZ: t.Tagger.TZ}
		info.Tagger, info.Created = &p, p.Date
	case errors.Is(err, repo.ErrNotTag):
		if c, err := r.ReadCommit(ctx, oid); err == nil {
			info.Created = timestamp(c.Committer.When)
		}
	default:
		return info, err
	}
	return info, nil
}

// serveCommitsIn is GET /projects/NAME/commits:in?commit=…&ref=…: for each
// commit, which of the named refs the caller could fetch contain it.
// Unknown commits are left out, as in Gerrit.
func (a *API) serveCommitsIn(q *request, chk *access.Checker, st *project.State) error {
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	form := q.r.URL.Query()
	commits, refs := form["commit"], form["ref"]
	switch {
	case len(commits) == 0:
		return fail.Errorf(fail.Invalid, "commit is required")
	case len(refs) == 0:
		return fail.Errorf(fail.Invalid, "ref is required")
	}
	ctx := q.r.Context()
	r, err := a.projects.Open(ctx, st.Name)
	if err != nil {
		return err
	}
	var tags map[string]bool // visible tags, read when a tag is asked about
	var readable []string
	for _, ref := range refs {
		if !git.ValidRefName(ref) {
			return fail.Errorf(fail.Invalid, "invalid ref \"%s\"", ref)
		}
		if strings.HasPrefix(ref, "refs/tags/") && tags == nil {
			if tags, err = visibleTags(ctx, r, chk); err != nil {
				return err
			}
		}
		if chk.Can(ref, project.PermRead) || tags[ref] {
			readable = append(readable, ref)
		}
	}
	out := map[string][]string{}
	for _, c := range commits {
		if !git.IsOID(c) || len(readable) == 0 {
			continue
		}
		if _, err := r.ReadCommit(ctx, c); err != nil {
			continue
		}
		in, err := r.Containing(ctx, c, readable...)
		if err != nil {
			return err
		}
		// for-each-ref takes names as prefixes too; only the named refs
		// count.
		for _, ref := range in {
			if slices.Contains(readable, ref) {
				out[c] = append(out[c], ref)
			}
		}
	}
	return writeJSON(q, http.StatusOK, out)
}

// IncludedInInfo is Gerrit's IncludedInInfo.
type IncludedInInfo struct {
	Branches []string            `json:"branches"`
	Tags     []string            `json:"tags"`
	External map[string][]string `json:"external,omitempty"`
}

// includedIn answers GET /changes/ID/in: the branches and tags, by short
// name, whose history holds the change's current patch set, among those
// the caller could fetch.
func (a *API) includedIn(q *request, rc *resolvedChange) error {
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	ctx := q.r.Context()
	ps, err := a.changes.CurrentPatchSet(ctx, a.db, rc.change)
	if err != nil {
		return err
	}
	r, err := a.projects.Open(ctx, rc.change.Project)
	if err != nil {
		return err
	}
	refs, err := r.Containing(ctx, ps.Commit, "refs/heads/", "refs/tags/")
	if err != nil {
		return err
	}
	out := IncludedInInfo{Branches: []string{}, Tags: []string{}}
	var tags []string
	for _, ref := range refs {
		if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok && rc.chk.Can(ref, project.PermRead) {
			out.Branches = append(out.Branches, b)
		} else if strings.HasPrefix(ref, "refs/tags/") {
			tags = append(tags, ref)
		}
	}
	if len(tags) > 0 {
		visible, err := visibleTags(ctx, r, rc.chk)
		if err != nil {
			return err
		}
		for _, t := range tags {
			if visible[t] {
				out.Tags = append(out.Tags, strings.TrimPrefix(t, "refs/tags/"))
			}
		}
	}
	return writeJSON(q, http.StatusOK, out)
}

// visibleTags returns the tags of r the caller could fetch: readable ones,
// and (Gerrit's rule) unreadable ones on a branch the caller can read.
func visibleTags(ctx context.Context, r *repo.Repo, chk *access.Checker) (map[string]bool, error) {
	names, err := service.VisibleRefs(ctx, r.Runner(), r, func(ref string) bool { return chk.Can(ref, project.PermRead) })
	set := map[string]bool{}
	for _, n := range names {
		if strings.HasPrefix(n, "refs/tags/") {
			set[n] = true
		}
	}
	return set, err
}
