package merge

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"tandem/internal/change"
	"tandem/internal/git"
	"tandem/internal/git/repo"
)

// Strategy is a submit type, spelled as Gerrit's REST API spells it.
type Strategy string

// The submit types. project.config spells them in lower case with spaces
// ("merge if necessary"); ParseStrategy accepts both forms.
const (
	MergeIfNecessary  Strategy = "MERGE_IF_NECESSARY"
	FastForwardOnly   Strategy = "FAST_FORWARD_ONLY"
	RebaseIfNecessary Strategy = "REBASE_IF_NECESSARY"
	RebaseAlways      Strategy = "REBASE_ALWAYS"
	MergeAlways       Strategy = "MERGE_ALWAYS"
	CherryPick        Strategy = "CHERRY_PICK"
)

// Strategies lists every submit type.
var Strategies = []Strategy{MergeIfNecessary, FastForwardOnly, RebaseIfNecessary, RebaseAlways, MergeAlways, CherryPick}

// ParseStrategy reads a submit type in its REST form (MERGE_IF_NECESSARY)
// or its project.config form (merge if necessary), in any case.
func ParseStrategy(s string) (Strategy, error) {
	v := Strategy(strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", "_")))
	if slices.Contains(Strategies, v) {
		return v, nil
	}
	return "", fmt.Errorf("unknown submit type %q", s)
}

// Input is one submission to one branch.
type Input struct {
	Repo     *repo.Repo
	Strategy Strategy
	Branch   string // destination, a full ref name ("refs/heads/main"): named in merge commit messages
	Tip      string // the branch's current commit; "" or the zero id for an unborn branch

	// Changes are the changes submitted together, ancestors first; Commit
	// is each one's current patch set. Every commit between Tip and these
	// commits must be one of them or already be on some branch (a "missing
	// dependency" otherwise), except with CHERRY_PICK, which ignores
	// ancestry.
	Changes []ChangeInput

	// Committer is the submitter as Tandem records them: committer of
	// rebased and cherry-picked commits and author of merge commits. A zero
	// When is the time Apply starts; all commits of one Apply share it.
	Committer repo.Ident
	// Server is the server's own identity, committer of merge commits
	// (Gerrit's "Gerrit Code Review <gerrit@host>"). Zero: Committer.
	Server repo.Ident

	MergeContent      bool // submit.mergeContent: false makes any file changed on both sides a conflict
	RejectEmptyCommit bool // submit.rejectEmptyCommit
	MatchAuthorDate   bool // submit.matchAuthorToCommitterDate: rewritten commits take the commit time as author date

	// Merged lists commits of changes already merged into Branch that are
	// no longer on it because a rebase or cherry-pick rewrote them. With
	// REBASE_IF_NECESSARY and REBASE_ALWAYS a change whose ancestor is one
	// of them is rebased onto the tip instead of refused.
	Merged []string
}

// ChangeInput is one change of a submission.
type ChangeInput struct {
	Number   int    // change number
	Commit   string // the current patch set's commit id
	ChangeID string // the Change-Id ("I…"): added as a footer on rewrite when missing; abbreviated in merge messages
	Topic    string // named in the message of a merge commit that merges several changes

	// Footers are what a strategy that rewrites commits with footers
	// (REBASE_ALWAYS, CHERRY_PICK) adds to the message, by Gerrit's rules
	// (change.AddSubmitFooters); ChangeID above stands for theirs.
	Footers change.SubmitFooters
}

// Result is a successful submission.
type Result struct {
	NewTip string // the branch's new commit; equal to Input.Tip when nothing was integrated

	// Commits maps each change number to the commit that landed for it: its
	// patch set, or the new commit a rebase or cherry-pick made.
	Commits map[int]string
	// Rewritten is true for a change whose commit is a new one: the caller
	// records it as a new patch set.
	Rewritten map[int]bool
	// Status says how each change was integrated: CleanMerge, CleanRebase,
	// CleanPick, AlreadyMerged or SkippedIdenticalTree. Status.Message is
	// Gerrit's wording for the change message.
	Status map[int]Status
}

// commit is a commit as read from git's history.
type commit struct {
	oid, tree   string
	parents     []string
	authorName  string
	authorEmail string
	authorDate  string // git's raw form: "1700000000 +0100"
	message     string // exactly as stored
}

// run is the state of one Apply.
type run struct {
	ctx  context.Context
	git  *git.Runner
	repo *repo.Repo
	in   Input
	when time.Time

	changes  []*ChangeInput          // in input order
	byCommit map[string]*ChangeInput // patch-set commit → change
	merged   map[string]bool         // Input.Merged

	// graph holds the commits reachable from the changes but not from the
	// initial tip (nor, for an unborn branch, from any branch); order lists
	// them as rev-list --topo-order does, descendants first.
	graph map[string]*commit
	order []string

	tip      string          // current tip as the strategy moves it; "" while unborn
	tipTree  string          // its tree, "" until known
	onTip    map[string]bool // graph commits reachable from the current tip
	created  map[string]bool // commits this run wrote (never ancestors of a change)
	res      Result
	problems []Problem
}

// Apply integrates in.Changes into in.Branch with in.Strategy and returns
// the new tip, writing every object it needs but no ref. A submission that
// cannot be made is a *ConflictError; other errors are failures of git or
// of the input.
func Apply(ctx context.Context, r *git.Runner, in Input) (Result, error) {
	x, err := newRun(ctx, r, in)
	if err != nil {
		return Result{}, err
	}
	switch in.Strategy {
	case MergeIfNecessary:
		err = x.mergeIfNecessary()
	case MergeAlways:
		err = x.mergeAlways()
	case FastForwardOnly:
		err = x.fastForwardOnly()
	case RebaseIfNecessary:
		err = x.rebaseIfNecessary()
	case RebaseAlways:
		err = x.rebaseAlways()
	case CherryPick:
		err = x.cherryPick()
	}
	if err != nil {
		return Result{}, err
	}
	if err := x.conflict(); err != nil {
		return Result{}, err
	}
	x.res.NewTip = x.tip
	return x.res, nil
}

func newRun(ctx context.Context, r *git.Runner, in Input) (*run, error) {
	if in.Repo == nil {
		return nil, fmt.Errorf("merge: no repository")
	}
	if !slices.Contains(Strategies, in.Strategy) {
		return nil, fmt.Errorf("merge: unknown submit type %q", in.Strategy)
	}
	if !strings.HasPrefix(in.Branch, "refs/") {
		return nil, fmt.Errorf("merge: invalid branch %q", in.Branch)
	}
	if isZero(in.Tip) {
		in.Tip = ""
	} else if !git.IsOID(in.Tip) {
		return nil, fmt.Errorf("merge: tip %q is not an object id", in.Tip)
	}
	if len(in.Changes) == 0 {
		return nil, fmt.Errorf("merge: no changes")
	}
	x := &run{
		ctx: ctx, git: r, repo: in.Repo, in: in,
		when:     in.Committer.When,
		byCommit: make(map[string]*ChangeInput, len(in.Changes)),
		merged:   make(map[string]bool, len(in.Merged)),
		tip:      in.Tip,
		onTip:    map[string]bool{},
		created:  map[string]bool{},
		res: Result{
			Commits:   make(map[int]string, len(in.Changes)),
			Rewritten: make(map[int]bool, len(in.Changes)),
			Status:    make(map[int]Status, len(in.Changes)),
		},
	}
	if x.when.IsZero() {
		x.when = time.Now()
	}
	numbers := map[int]bool{}
	for i := range in.Changes {
		c := &in.Changes[i]
		switch {
		case c.Number <= 0 || numbers[c.Number]:
			return nil, fmt.Errorf("merge: invalid or repeated change number %d", c.Number)
		case !git.IsOID(c.Commit):
			return nil, fmt.Errorf("merge: change %d: commit %q is not an object id", c.Number, c.Commit)
		case x.byCommit[c.Commit] != nil:
			return nil, fmt.Errorf("merge: changes %d and %d share commit %s", x.byCommit[c.Commit].Number, c.Number, c.Commit)
		}
		numbers[c.Number] = true
		x.byCommit[c.Commit] = c
		x.changes = append(x.changes, c)
	}
	for _, m := range in.Merged {
		if !git.IsOID(m) {
			return nil, fmt.Errorf("merge: merged commit %q is not an object id", m)
		}
		x.merged[m] = true
	}
	if err := x.load(); err != nil {
		return nil, err
	}
	return x, nil
}

// load reads the history to integrate in one rev-list.
func (x *run) load() error {
	args := make([]string, 0, len(x.changes)+1)
	for _, c := range x.changes {
		args = append(args, c.Commit)
	}
	var flags []string
	if x.tip != "" {
		args = append(args, "^"+x.tip)
	} else {
		// Nothing is on an unborn branch; stop at what other branches have.
		flags = []string{"--not", "--branches", "--not"}
	}
	g, order, err := readHistory(x.ctx, x.git, x.repo.Path, flags, args)
	if err != nil {
		return fmt.Errorf("merge into %q of %q: %w", x.in.Branch, x.repo.Name, err)
	}
	x.graph, x.order = g, order
	if x.tip == "" {
		// A change commit that another branch has is not in the graph;
		// read it alone. Graph commits may descend from it, never the
		// reverse, so it goes last in topological order.
		var missing []string
		for _, c := range x.changes {
			if g[c.Commit] == nil {
				missing = append(missing, c.Commit)
			}
		}
		if len(missing) > 0 {
			more, order, err := readHistory(x.ctx, x.git, x.repo.Path, []string{"--no-walk"}, missing)
			if err != nil {
				return fmt.Errorf("merge into %q of %q: %w", x.in.Branch, x.repo.Name, err)
			}
			for _, oid := range order {
				if g[oid] == nil {
					g[oid] = more[oid]
					x.order = append(x.order, oid)
				}
			}
		}
	}
	return nil
}

// isMerged reports whether the change commit c is already reachable from
// the current tip.
func (x *run) isMerged(c string) bool {
	if x.onTip[c] {
		return true
	}
	_, inGraph := x.graph[c]
	return x.in.Tip != "" && !inGraph
}

// canFastForward reports whether the current tip is an ancestor of (or
// equal to) c, so that moving the branch to c keeps its history.
func (x *run) canFastForward(c string) bool {
	if x.tip == "" || x.tip == c {
		return true
	}
	if x.created[x.tip] {
		return false
	}
	found := false
	x.walk(c, func(k *commit) bool {
		if k.oid == x.tip || slices.Contains(k.parents, x.tip) {
			found = true
		}
		return !found
	})
	return found
}

// walk visits c and its ancestors that are in the graph and not yet on the
// tip, depth first, until visit returns false.
func (x *run) walk(c string, visit func(*commit) bool) {
	seen := map[string]bool{}
	stack := []string{c}
	for len(stack) > 0 {
		oid := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		k := x.graph[oid]
		if k == nil || seen[oid] || x.onTip[oid] {
			continue
		}
		seen[oid] = true
		if !visit(k) {
			return
		}
		for i := len(k.parents) - 1; i >= 0; i-- {
			stack = append(stack, k.parents[i])
		}
	}
}

// contents returns the graph commits that integrating c brings onto the
// tip, in topological order (descendants first).
func (x *run) contents(c string) []*commit {
	in := map[string]bool{}
	x.walk(c, func(k *commit) bool { in[k.oid] = true; return true })
	out := make([]*commit, 0, len(in))
	for _, oid := range x.order {
		if in[oid] {
			out = append(out, x.graph[oid])
		}
	}
	return out
}

// moveTo makes c (a change commit or a commit this run made) the tip;
// parents lists what is now reachable through it.
func (x *run) moveTo(c, tree string, reachable ...string) {
	x.tip, x.tipTree = c, tree
	for _, p := range reachable {
		x.walk(p, func(k *commit) bool { x.onTip[k.oid] = true; return true })
	}
}

// fastForward moves the tip to the change commit c.
func (x *run) fastForward(c string) {
	x.moveTo(c, x.graph[c].tree, c)
}

// treeOf returns the tree of a commit, from the graph or from git.
func (x *run) treeOf(c string) (string, error) {
	if k := x.graph[c]; k != nil {
		return k.tree, nil
	}
	t, err := x.repo.Resolve(x.ctx, c+"^{tree}")
	if err != nil {
		return "", fmt.Errorf("tree of %s: %w", c, err)
	}
	return t, nil
}

// currentTree returns the current tip's tree ("" for an unborn branch).
func (x *run) currentTree() (string, error) {
	if x.tip == "" || x.tipTree != "" {
		return x.tipTree, nil
	}
	t, err := x.treeOf(x.tip)
	if err != nil {
		return "", err
	}
	x.tipTree = t
	return t, nil
}

// isEmpty reports whether c changes nothing relative to its first parent;
// a root commit is never empty (Gerrit allows an empty initial commit).
func (x *run) isEmpty(c *commit) (bool, error) {
	if len(c.parents) == 0 {
		return false, nil
	}
	t, err := x.treeOf(c.parents[0])
	if err != nil {
		return false, err
	}
	return t == c.tree, nil
}

// alreadyMerged records the changes whose commits the tip already has and
// returns the others, in input order.
func (x *run) alreadyMerged() []*ChangeInput {
	var todo []*ChangeInput
	for _, c := range x.changes {
		if x.isMerged(c.Commit) {
			x.accept(c, c.Commit, AlreadyMerged)
			continue
		}
		todo = append(todo, c)
	}
	return todo
}

// accept records how change c landed.
func (x *run) accept(c *ChangeInput, landed string, s Status) {
	x.res.Commits[c.Number] = landed
	x.res.Status[c.Number] = s
	if landed != c.Commit {
		x.res.Rewritten[c.Number] = true
	}
}

// fail records a problem with change c.
func (x *run) fail(c *ChangeInput, s Status, detail string) {
	x.problems = append(x.problems, Problem{Change: c.Number, Status: s, Detail: detail})
}

// markClean records every change commit that the tip now reaches and that
// has no status yet as cleanly merged.
func (x *run) markClean() {
	for _, c := range x.changes {
		if _, done := x.res.Status[c.Number]; !done && x.onTip[c.Commit] {
			x.accept(c, c.Commit, CleanMerge)
		}
	}
}

// sortedByNumber returns changes ordered by change number, the order in
// which Gerrit integrates independent changes.
func sortedByNumber(cs []*ChangeInput) []*ChangeInput {
	out := slices.Clone(cs)
	slices.SortFunc(out, func(a, b *ChangeInput) int { return a.Number - b.Number })
	return out
}

func isZero(s string) bool { return s == "" || strings.Trim(s, "0") == "" && git.IsOID(s) }
