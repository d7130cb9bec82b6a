package merge

import (
	"fmt"
	"strings"

	"tandem/internal/git"
)

// checkDependencies refuses each change whose history would bring onto the
// branch a commit that is neither a change of this submission nor on some
// branch already (Gerrit's MISSING_DEPENDENCY). With allowMerged, commits in
// Input.Merged count as integrated and end the search there, as rebase
// strategies allow. It returns the changes that passed.
func (x *run) checkDependencies(todo []*ChangeInput, allowMerged bool) ([]*ChangeInput, error) {
	extrasOf := make(map[int][]string, len(todo))
	var all []string
	seenAll := map[string]bool{}
	for _, c := range todo {
		seen := map[string]bool{}
		stack := []string{c.Commit}
		for len(stack) > 0 {
			oid := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			k := x.graph[oid]
			if k == nil || seen[oid] || x.onTip[oid] {
				continue
			}
			seen[oid] = true
			if x.byCommit[oid] == nil {
				if allowMerged && x.merged[oid] {
					continue
				}
				extrasOf[c.Number] = append(extrasOf[c.Number], oid)
				if !seenAll[oid] {
					seenAll[oid] = true
					all = append(all, oid)
				}
			}
			stack = append(stack, k.parents...)
		}
	}
	if len(all) == 0 {
		return todo, nil
	}
	// Commits another branch has are accepted; ask git which are not.
	out, err := x.git.Output(x.ctx, git.Cmd{
		Dir: x.repo.Path, Name: "rev-list",
		Flags: []string{"--not", "--branches", "--not"},
		Args:  all,
	})
	if err != nil {
		return nil, fmt.Errorf("merge into %q of %q: %w", x.in.Branch, x.repo.Name, err)
	}
	missing := map[string]bool{}
	for _, oid := range strings.Fields(string(out)) {
		missing[oid] = true
	}
	var ok []*ChangeInput
	for _, c := range todo {
		dep := x.firstInOrder(extrasOf[c.Number], missing)
		if dep == "" {
			ok = append(ok, c)
			continue
		}
		x.problems = append(x.problems, Problem{
			Change: c.Number, Status: MissingDependency, Dependency: dep,
			Detail: fmt.Sprintf("Commit %s depends on commit %s which cannot be merged.", c.Commit, dep),
		})
	}
	return ok, nil
}

// firstInOrder returns the first of oids, in topological order (nearest
// the change first), that is in set.
func (x *run) firstInOrder(oids []string, set map[string]bool) string {
	if len(oids) == 0 {
		return ""
	}
	mine := make(map[string]bool, len(oids))
	for _, o := range oids {
		mine[o] = true
	}
	for _, o := range x.order {
		if mine[o] && set[o] {
			return o
		}
	}
	return ""
}

// heads returns the changes of todo that no other change of todo has in
// its history, by change number: merging them merges all of todo.
func (x *run) heads(todo []*ChangeInput) []*ChangeInput {
	inner := map[string]bool{}
	for _, c := range todo {
		k := x.graph[c.Commit]
		if k == nil {
			continue
		}
		for _, p := range k.parents {
			x.walk(p, func(a *commit) bool { inner[a.oid] = true; return true })
		}
	}
	var out []*ChangeInput
	for _, c := range todo {
		if !inner[c.Commit] {
			out = append(out, c)
		}
	}
	return sortedByNumber(out)
}

// topological returns todo with every change after the changes in its
// history.
func (x *run) topological(todo []*ChangeInput) []*ChangeInput {
	out := make([]*ChangeInput, 0, len(todo))
	want := make(map[string]*ChangeInput, len(todo))
	for _, c := range todo {
		want[c.Commit] = c
	}
	for i := len(x.order) - 1; i >= 0; i-- {
		if c := want[x.order[i]]; c != nil {
			out = append(out, c)
			delete(want, x.order[i])
		}
	}
	// Changes outside the graph (on other branches) have no ancestor here.
	for _, c := range todo {
		if want[c.Commit] != nil {
			out = append([]*ChangeInput{c}, out...)
		}
	}
	return out
}
