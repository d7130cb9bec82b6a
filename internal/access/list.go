package access

import (
	"context"
	"fmt"
	"strings"

	"tandem/internal/fail"
	"tandem/internal/git/repo"
	"tandem/internal/project"
)

// Catalog is what a project listing needs besides configurations: the
// names of the projects and their repositories; *project.Service is one.
type Catalog interface {
	Names(ctx context.Context) ([]string, error)
	Open(ctx context.Context, name string) (*repo.Repo, error)
}

// ListQuery selects projects, as `gerrit ls-projects` and GET /projects/
// take their options.
type ListQuery struct {
	project.Filter
	Type     string   // ALL (or ""), CODE or PERMISSIONS
	State    string   // ACTIVE, READ_ONLY or HIDDEN; "" lists all but hidden ones
	All      bool     // hidden projects too
	Tree     bool     // name each project's parent
	Branches []string // list only projects with one of these, with their tips
	Start    int
	Limit    int // 0: no limit
}

// Listed is one project of a listing.
type Listed struct {
	State    *project.State
	Branches map[string]string // tips of the asked branches the caller may read
	// Parent, with Tree, is the parent's name, or "?-N" when the caller
	// may not see it.
	Parent string
}

// check applies Gerrit's rules on options that exclude each other.
func (q *ListQuery) check() error {
	q.Type, q.State = strings.ToUpper(q.Type), strings.ToUpper(q.State)
	given := 0
	for _, f := range []string{q.Prefix, q.Substring, q.Regex} {
		if f != "" {
			given++
		}
	}
	switch {
	case given > 1:
		return fail.Errorf(fail.Invalid, "specify exactly one of p/m/r")
	case q.Type != "" && q.Type != "ALL" && q.Type != "CODE" && q.Type != "PERMISSIONS":
		return fail.Errorf(fail.Invalid, "%q is not a valid value for \"--type\"", q.Type)
	case q.State != "" && q.State != "ACTIVE" && q.State != "READ_ONLY" && q.State != "HIDDEN":
		return fail.Errorf(fail.Invalid, "%q is not a valid value for \"--state\"", q.State)
	case q.State != "" && q.All:
		return fail.Errorf(fail.Invalid, "'all' and 'state' may not be used together")
	case q.Tree && len(q.Branches) > 0:
		return fail.Errorf(fail.Invalid, "--tree and --show-branch options are not compatible.")
	}
	return nil
}

// List returns the projects s may see that q selects, in name order, and
// whether more follow the page.
func (c *Control) List(ctx context.Context, cat Catalog, s Subject, q ListQuery) ([]Listed, bool, error) {
	if err := q.check(); err != nil {
		return nil, false, err
	}
	match, err := q.Matcher()
	if err != nil {
		return nil, false, err
	}
	names, err := cat.Names(ctx)
	if err != nil {
		return nil, false, err
	}
	var out []Listed
	skipped := 0
	hiddenParents := map[string]string{}
	for _, name := range names {
		if !match(name) {
			continue
		}
		chk, st, err := c.Check(ctx, name, s)
		if err != nil || !chk.Visible() {
			continue // a project whose configuration cannot be read is not listed
		}
		if state := st.Config.StateName(); q.State != "" && state != q.State || q.State == "" && !q.All && state == "HIDDEN" {
			continue
		}
		l := Listed{State: st}
		if q.Type == "CODE" || q.Type == "PERMISSIONS" || len(q.Branches) > 0 {
			r, err := cat.Open(ctx, name)
			if err != nil {
				continue
			}
			if q.Type == "CODE" || q.Type == "PERMISSIONS" {
				// A permissions-only project's HEAD names its configuration.
				head, _ := r.Head(ctx)
				if (head == project.ConfigRef) != (q.Type == "PERMISSIONS") {
					continue
				}
			}
			if len(q.Branches) > 0 {
				if l.Branches = branchTips(ctx, r, chk, q.Branches); len(l.Branches) == 0 {
					continue // Gerrit lists only projects with one of the branches
				}
			}
		}
		if skipped < q.Start {
			skipped++
			continue
		}
		if q.Limit > 0 && len(out) == q.Limit {
			return out, true, nil
		}
		if q.Tree && st.ParentName != "" {
			l.Parent = c.visibleParent(ctx, s, st.ParentName, hiddenParents)
		}
		out = append(out, l)
	}
	return out, false, nil
}

// branchTips resolves the branches (short names try refs/heads/,
// refs/tags/ and refs/) that chk may read.
func branchTips(ctx context.Context, r *repo.Repo, chk *Checker, branches []string) map[string]string {
	tips := map[string]string{}
	for _, b := range branches {
		candidates := []string{b}
		if !strings.HasPrefix(b, "refs/") {
			candidates = []string{"refs/heads/" + b, "refs/tags/" + b, "refs/" + b}
		}
		for _, ref := range candidates {
			if !chk.Can(ref, project.PermRead) {
				continue
			}
			if oid, err := r.RefOID(ctx, ref); err == nil {
				tips[b] = oid
				break
			}
		}
	}
	return tips
}

// visibleParent is parent's name if s may see it, else its "?-N" alias,
// numbered in order of appearance.
func (c *Control) visibleParent(ctx context.Context, s Subject, parent string, hidden map[string]string) string {
	if alias, ok := hidden[parent]; ok {
		return alias
	}
	if chk, _, err := c.Check(ctx, parent, s); err == nil && chk.Visible() {
		return parent
	}
	hidden[parent] = fmt.Sprintf("?-%d", len(hidden)+1)
	return hidden[parent]
}
