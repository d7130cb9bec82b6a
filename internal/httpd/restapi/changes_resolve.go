package restapi

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"tandem/internal/access"
	"tandem/internal/change"
	"tandem/internal/fail"
	"tandem/internal/project"
)

// resolvedChange is a change the caller may see, with the access checker
// and project state it was seen through.
type resolvedChange struct {
	change *change.Change
	chk    *access.Checker
	state  *project.State

	patchSets []*change.PatchSet // loaded by patchSetsOf
}

var (
	changeKeyRE = regexp.MustCompile(`^I[0-9a-f]{40}$`)
	hexRE       = regexp.MustCompile(`^[0-9a-f]+$`)
)

// changeRef is a parsed {change-id}.
type changeRef struct {
	project, branch, key string
	number               int64
}

// parseChangeID splits a raw (still escaped) {change-id} segment into its
// parts: "project~number", "project~branch~Change-Id", a bare Change-Id or
// a bare number. Each part is decoded after splitting, so an escaped "~"
// in a project name does not split it.
func parseChangeID(raw string) (changeRef, bool) {
	parts := strings.Split(raw, "~")
	for i, p := range parts {
		u, err := unescapeID(p)
		if err != nil || u == "" {
			return changeRef{}, false
		}
		parts[i] = u
	}
	switch len(parts) {
	case 1:
		if n, ok := changeNumber(parts[0]); ok {
			return changeRef{number: n}, true
		}
		if changeKeyRE.MatchString(parts[0]) {
			return changeRef{key: parts[0]}, true
		}
	case 2:
		if n, ok := changeNumber(parts[1]); ok {
			return changeRef{project: parts[0], number: n}, true
		}
	case 3:
		if changeKeyRE.MatchString(parts[2]) {
			branch := parts[1]
			if !strings.HasPrefix(branch, "refs/") {
				branch = "refs/heads/" + branch
			}
			return changeRef{project: parts[0], branch: branch, key: parts[2]}, true
		}
	}
	return changeRef{}, false
}

func changeNumber(s string) (int64, bool) {
	if s == "" || len(s) > 10 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// resolveChange finds the one change a {change-id} names among those the
// caller may see; anything else is 404 "Not found: <id>".
func (a *API) resolveChange(q *request, raw string) (*resolvedChange, error) {
	ctx := q.r.Context()
	shown, err := unescapeID(raw)
	if err != nil {
		shown = raw
	}
	ref, ok := parseChangeID(raw)
	if !ok {
		return nil, notFound(shown)
	}
	var candidates []*change.Change
	if ref.number > 0 {
		c, err := a.changes.Get(ctx, a.db, ref.number)
		if fail.Is(err, fail.NotFound) {
			return nil, notFound(shown)
		}
		if err != nil {
			return nil, err
		}
		if ref.project != "" && c.Project != ref.project {
			return nil, notFound(shown)
		}
		candidates = append(candidates, c)
	} else {
		candidates, err = a.changes.ByKey(ctx, a.db, ref.project, ref.branch, ref.key)
		if err != nil {
			return nil, err
		}
	}
	var found []*resolvedChange
	vis := a.newVisibility(q.caller.Subject())
	for _, c := range candidates {
		rc, err := vis.change(ctx, c)
		if err != nil {
			return nil, err
		}
		if rc != nil {
			found = append(found, rc)
		}
	}
	switch len(found) {
	case 0:
		return nil, notFound(shown)
	case 1:
		return found[0], nil
	}
	return nil, fail.Errorf(fail.NotFound, "Multiple changes found for %s", shown)
}

// visibleChange returns c with its checker when s may see it, nil when not.
func (a *API) visibleChange(ctx context.Context, s access.Subject, c *change.Change) (*resolvedChange, error) {
	return a.newVisibility(s).change(ctx, c)
}

// visibility resolves the changes a subject may see with their project's
// checker, loading each project once; whether a change is visible is the
// query's (the review domain's) decision.
type visibility struct {
	a        *API
	s        access.Subject
	projects map[string]*projectAccess
}

type projectAccess struct {
	chk   *access.Checker
	state *project.State
}

func (a *API) newVisibility(s access.Subject) *visibility {
	return &visibility{a: a, s: s, projects: map[string]*projectAccess{}}
}

// change returns c with its checker when the subject may see it, nil when
// not.
func (v *visibility) change(ctx context.Context, c *change.Change) (*resolvedChange, error) {
	pa, seen := v.projects[c.Project]
	if !seen {
		chk, st, err := v.a.access.Check(ctx, c.Project, v.s)
		switch {
		case fail.Is(err, fail.NotFound):
		case err != nil:
			return nil, err
		case chk.Visible():
			pa = &projectAccess{chk: chk, state: st}
		}
		v.projects[c.Project] = pa
	}
	if pa == nil {
		return nil, nil
	}
	if ok, err := v.a.query.Sees(ctx, v.s, pa.chk, c); err != nil || !ok {
		return nil, err
	}
	return &resolvedChange{change: c, chk: pa.chk, state: pa.state}, nil
}

// patchSetsOf loads the change's patch sets once.
func (a *API) patchSetsOf(ctx context.Context, rc *resolvedChange) ([]*change.PatchSet, error) {
	if rc.patchSets != nil {
		return rc.patchSets, nil
	}
	pss, err := a.changes.PatchSetsOf(ctx, []*change.Change{rc.change})
	if err != nil {
		return nil, err
	}
	rc.patchSets = pss
	return pss, nil
}

// resolveRevision finds the patch set a {revision-id} names: "current", a
// patch set number, or a commit id or a unique prefix of at least four hex
// digits. Change edits ("0", "edit") do not exist here.
func (a *API) resolveRevision(q *request, rc *resolvedChange, id string) (*change.PatchSet, error) {
	pss, err := a.patchSetsOf(q.r.Context(), rc)
	if err != nil {
		return nil, err
	}
	if ps := findRevision(pss, rc.change.CurrentPS, id); ps != nil {
		return ps, nil
	}
	return nil, notFound(id)
}

// findRevision applies the {revision-id} rules to a change's patch sets.
func findRevision(pss []*change.PatchSet, current int, id string) *change.PatchSet {
	byNumber := func(n int) *change.PatchSet {
		for _, ps := range pss {
			if ps.Number == n {
				return ps
			}
		}
		return nil
	}
	if id == "current" {
		return byNumber(current)
	}
	lower := strings.ToLower(id)
	if len(lower) >= 4 && len(lower) <= 40 && hexRE.MatchString(lower) {
		var match *change.PatchSet
		n := 0
		for _, ps := range pss {
			if strings.HasPrefix(ps.Commit, lower) {
				if match == nil || match.Commit != ps.Commit {
					n++
				}
				match = ps
			}
		}
		if n == 1 {
			return match
		}
	}
	if n, err := strconv.Atoi(id); err == nil && n > 0 && strconv.Itoa(n) == id {
		return byNumber(n)
	}
	return nil
}
