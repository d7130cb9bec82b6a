package restapi

import (
	"context"
	"fmt"
	"net/http"

	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/git/repo"
)

// serveReviewed answers PUT and DELETE …/files/{file}/reviewed: the
// caller's own check mark on one file of the revision. PUT is 201 when it
// sets the flag and 200 when it was set already, DELETE is 204 either
// way; none has a body. Gerrit stores a flag for any path; Tandem answers
// 404 for a path that is not a file of the patch set, so flags cannot
// pile up on paths nobody can see.
func (a *API) serveReviewed(q *request, ps *change.PatchSet, file string) error {
	method := q.method()
	if method != http.MethodPut && method != http.MethodDelete {
		return methodNotAllowed()
	}
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	ctx := q.r.Context()
	if err := a.requireFileOf(ctx, ps, file); err != nil {
		return err
	}
	if method == http.MethodDelete {
		if err := a.changes.UnmarkReviewed(ctx, a.db, q.caller.ID(), ps.Change, ps.Number, file); err != nil {
			return err
		}
		return noContent(q)
	}
	added, err := a.changes.MarkReviewed(ctx, a.db, q.caller.ID(), ps.Change, ps.Number, file)
	if err != nil {
		return err
	}
	if added {
		q.w.WriteHeader(http.StatusCreated)
	} else {
		q.w.WriteHeader(http.StatusOK)
	}
	return nil
}

// requireFileOf fails with 404 unless file is one the patch set adds,
// modifies or deletes against its first parent, /COMMIT_MSG, or, for a
// merge, /MERGE_LIST.
func (a *API) requireFileOf(ctx context.Context, ps *change.PatchSet, file string) error {
	switch file {
	case commitMsgPath:
		return nil
	case mergeListPath:
		if len(ps.Parents) > 1 {
			return nil
		}
		return notFound(file)
	}
	ok, err := a.changes.HasFile(ctx, a.db, ps.Change, ps.Number, file)
	if err != nil {
		return err
	}
	if !ok {
		return notFound(file)
	}
	return nil
}

// reviewedFiles returns the caller's reviewed paths on ps, sorted. When
// the caller flagged nothing on ps, the flags of the newest earlier patch
// set with any carry over to the files ps has just as that one had them,
// and are stored on ps: Gerrit does the same, so a rebase or a fix to one
// file does not make a reviewer start again.
func (a *API) reviewedFiles(q *request, rc *resolvedChange, ps *change.PatchSet) ([]string, error) {
	ctx := q.r.Context()
	me := q.caller.ID()
	paths, err := a.changes.ReviewedPaths(ctx, a.db, me, ps.Change, ps.Number)
	if err != nil || len(paths) > 0 {
		return paths, err
	}
	from, flagged, err := a.changes.LatestReviewedBefore(ctx, a.db, me, ps.Change, ps.Number)
	if err != nil || from == 0 {
		return paths, err
	}
	carried, err := a.carryReviewed(ctx, rc, from, ps, flagged)
	if err != nil {
		// As in Gerrit, a failed carry-over loses the old flags, not
		// the request.
		a.log.WarnContext(ctx, "cannot carry reviewed flags over", "change", ps.Change, "from_patch_set", from,
			"patch_set", ps.Number, "err", err)
		return paths, nil
	}
	if len(carried) == 0 {
		return paths, nil
	}
	err = a.db.Tx(ctx, func(tx *db.Tx) error {
		for _, p := range carried {
			if _, err := a.changes.MarkReviewed(ctx, tx, me, ps.Change, ps.Number, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return carried, nil
}

// carryReviewed picks, of the paths flagged on patch set from, those ps
// has just as from had them: a file with the same content in both, or a
// file both delete from the same content in their bases. Magic files do
// not carry over: Gerrit compares trees, where they do not exist.
func (a *API) carryReviewed(ctx context.Context, rc *resolvedChange, from int, ps *change.PatchSet, flagged []string) ([]string, error) {
	pss, err := a.patchSetsOf(ctx, rc)
	if err != nil {
		return nil, err
	}
	old := patchSetNumbered(pss, from)
	if old == nil {
		return nil, fmt.Errorf("patch set %d of change %d not found", from, ps.Change)
	}
	oldFiles, err := a.changes.Files(ctx, a.db, ps.Change, from)
	if err != nil {
		return nil, err
	}
	status := make(map[string]string, len(oldFiles))
	for _, f := range oldFiles {
		status[f.Path] = f.Status
	}
	r, err := a.projects.Open(ctx, rc.change.Project)
	if err != nil {
		return nil, err
	}
	changed, err := changedPaths(ctx, r, old.Commit, ps.Commit)
	if err != nil {
		return nil, err
	}
	var baseChanged map[string]bool // read only when a deletion needs it
	var out []string
	for _, p := range flagged {
		st, ok := status[p] // !ok: a magic file (only files of from can be flagged)
		if !ok || changed[p] {
			continue
		}
		if st != "D" {
			out = append(out, p)
			continue
		}
		// Absent from both revisions: the same deletion only if both
		// bases held the same file.
		if baseChanged == nil {
			if baseChanged, err = changedPaths(ctx, r, old.FirstParent(), ps.FirstParent()); err != nil {
				return nil, err
			}
		}
		if !baseChanged[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

// changedPaths returns the paths that differ between two commits, both
// sides of a rename included.
func changedPaths(ctx context.Context, r *repo.Repo, from, to string) (map[string]bool, error) {
	out := map[string]bool{}
	if from == to {
		return out, nil
	}
	files, err := r.DiffFiles(ctx, from, to)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		out[f.Path] = true
		if f.OldPath != "" {
			out[f.OldPath] = true
		}
	}
	return out, nil
}
