package restapi

import (
	"net/http"
	"slices"
	"strings"

	"tandem/internal/access"
	"tandem/internal/project"
)

// serveProjectCommit answers GET /projects/{name}/commits/{sha}/files/{file}/content:
// a file of a commit that a ref the caller may read contains, or that is
// a patch set of a change the caller may see.
func (a *API) serveProjectCommit(q *request, chk *access.Checker, st *project.State, rest []string) error {
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	n := len(rest)
	if n < 4 || rest[1] != "files" || rest[n-1] != "content" {
		return notFound(q.r.URL.Path)
	}
	sha := strings.ToLower(rest[0])
	file := strings.Join(rest[2:n-1], "/")
	if len(sha) < 4 || len(sha) > 40 || !hexRE.MatchString(sha) {
		return notFound(rest[0])
	}
	ctx := q.r.Context()
	r, err := a.projects.Open(ctx, st.Name)
	if err != nil {
		return err
	}
	commit, err := r.ReadCommit(ctx, sha)
	if err != nil {
		return notFound(rest[0])
	}
	ok, err := a.commitVisible(q, chk, st.Name, commit.OID)
	if err != nil {
		return err
	}
	if !ok {
		return notFound(rest[0])
	}
	data, err := readBlob(ctx, r, commit.OID, file)
	if err != nil {
		return err
	}
	return writeBase64(q, data, contentType(file, data))
}

// commitVisible reports whether a readable branch or tag contains the
// commit, or it is a patch set of a visible change of the project.
func (a *API) commitVisible(q *request, chk *access.Checker, projectName, oid string) (bool, error) {
	ctx := q.r.Context()
	r, err := a.projects.Open(ctx, projectName)
	if err != nil {
		return false, err
	}
	refs, err := r.Containing(ctx, oid, "refs/heads/", "refs/tags/")
	if err != nil {
		return false, err
	}
	if slices.ContainsFunc(refs, func(ref string) bool { return chk.Can(ref, project.PermRead) }) {
		return true, nil
	}
	if a.changes == nil {
		return false, nil
	}
	pss, err := a.changes.PatchSetsByCommit(ctx, a.db, []string{oid})
	if err != nil {
		return false, err
	}
	for _, ps := range pss {
		c, err := a.changes.Get(ctx, a.db, ps.Change)
		if err != nil || c.Project != projectName {
			continue
		}
		if rc, err := a.visibleChange(ctx, q.caller.Subject(), c); err != nil {
			return false, err
		} else if rc != nil {
			return true, nil
		}
	}
	return false, nil
}
