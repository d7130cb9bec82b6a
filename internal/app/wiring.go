package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/events"
	"tandem/internal/fail"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
	"tandem/internal/merge"
	"tandem/internal/project"
	"tandem/internal/query"
	"tandem/internal/review"
	"tandem/internal/submit"
)

// The adapters below connect domain packages through the small interfaces
// each declares; none of them holds state beyond a parse cache.

// queryResolver resolves the names in queries.
type queryResolver struct{ c *components }

func (r queryResolver) Accounts(ctx context.Context, name string) ([]int64, error) {
	a, err := r.c.accounts.Resolve(ctx, name)
	if err != nil {
		return nil, query.ErrNotFound
	}
	return []int64{a.ID}, nil
}

func (r queryResolver) GroupMembers(ctx context.Context, name string) ([]int64, error) {
	g, err := r.c.accounts.ResolveGroup(ctx, name)
	if err != nil {
		return nil, query.ErrNotFound
	}
	members, err := r.c.accounts.MembersRecursive(ctx, g)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(members))
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	return ids, nil
}

func (r queryResolver) Labels(ctx context.Context, projectName string) ([]query.LabelType, error) {
	st, err := r.c.projects.Load(ctx, projectName)
	if err != nil {
		return nil, err
	}
	return queryLabels(project.EffectiveLabels(st.Chain)), nil
}

func (r queryResolver) ChildProjects(ctx context.Context, projectName string) ([]string, error) {
	return r.c.projects.Children(ctx, projectName)
}

func (r queryResolver) Watches(ctx context.Context, accountID int64) ([]query.Watch, error) {
	ws, err := r.c.accounts.Watches(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]query.Watch, 0, len(ws))
	for _, w := range ws {
		out = append(out, query.Watch{Project: w.Project, Filter: w.Filter})
	}
	return out, nil
}

func queryLabels(ls []project.LabelType) []query.LabelType {
	out := make([]query.LabelType, 0, len(ls))
	for _, l := range ls {
		out = append(out, query.LabelType{Name: l.Name, Min: l.Min(), Max: l.Max()})
	}
	return out
}

// requirementMatcher evaluates submit requirement expressions with the
// query language's in-memory matcher; parsed expressions are cached by
// their text, which never goes stale.
type requirementMatcher struct {
	resolver query.Resolver
	mu       sync.Mutex
	parsed   map[string]*query.Node
}

func (m *requirementMatcher) Match(ctx context.Context, expr string, f *review.Facts) (review.MatchResult, error) {
	m.mu.Lock()
	n, ok := m.parsed[expr]
	m.mu.Unlock()
	if !ok {
		var err error
		if n, err = query.Parse(expr); err != nil {
			return review.MatchResult{}, err
		}
		m.mu.Lock()
		if m.parsed == nil {
			m.parsed = map[string]*query.Node{}
		}
		m.parsed[expr] = n
		m.mu.Unlock()
	}
	facts := &query.StaticFacts{C: f.Change, LabelTypes: queryLabels(f.Labels), FileList: f.Files}
	for _, ps := range f.PatchSets {
		if ps.Number == f.Change.CurrentPS {
			facts.PS = ps
		}
	}
	for _, v := range f.Votes {
		if v.PatchSet == f.Change.CurrentPS {
			facts.Approvals = append(facts.Approvals, v)
		}
	}
	facts.Unresolved = unresolvedThreads(f.Comments)
	ok, err := (&query.Matcher{Resolver: m.resolver}).Match(ctx, n, facts)
	return review.MatchResult{Matched: ok}, err
}

// unresolvedThreads counts comment threads whose latest comment is
// unresolved.
func unresolvedThreads(comments []change.Comment) int {
	replied := map[string]bool{}
	for _, c := range comments {
		if c.InReplyTo != "" {
			replied[c.InReplyTo] = true
		}
	}
	n := 0
	for _, c := range comments {
		if !replied[c.ID] && c.Unresolved {
			n++
		}
	}
	return n
}

// evaluator answers the query operators that need evaluation in Go.
type evaluator struct {
	c       *components
	reviews *review.Service
}

func (e evaluator) Submittable(ctx context.Context, ch *change.Change) (bool, error) {
	return e.reviews.Submittable(ctx, ch)
}

func (e evaluator) LabelStatus(ctx context.Context, ch *change.Change, label string) (string, int64, error) {
	return e.reviews.LabelStatus(ctx, ch, label)
}

func (e evaluator) HasEdit(ctx context.Context, ch *change.Change, account int64) (bool, error) {
	r, err := e.c.projects.Open(ctx, ch.Project)
	if err != nil {
		return false, err
	}
	refs, err := r.Refs(ctx, change.EditRefPrefix(account, ch.Number))
	return len(refs) > 0, err
}

func (e evaluator) PureRevert(ctx context.Context, ch *change.Change) (bool, error) {
	pure, err := e.c.submit.PureRevert(ctx, ch.Number, "")
	if fail.KindOf(err) == fail.Invalid {
		return false, nil // the message names no commit, or an unknown one
	}
	return pure, err
}

func (e evaluator) Mergeable(ctx context.Context, ch *change.Change) (bool, error) {
	return e.c.mergeable(ctx, ch)
}

// mergeable reports whether the change's current patch set would submit
// cleanly onto its branch now.
func (c *components) mergeable(ctx context.Context, ch *change.Change) (bool, error) {
	if !ch.Status.Open() {
		return false, nil
	}
	ps, err := c.changes.CurrentPatchSet(ctx, c.db, ch)
	if err != nil {
		return false, err
	}
	ok, _, err := c.mergeableAt(ctx, ch, ps.Commit)
	return ok, err
}

// mergeableAt reports whether commit would submit cleanly onto the
// change's branch now with the project's submit type, which it returns
// too. A missing branch is an empty one.
func (c *components) mergeableAt(ctx context.Context, ch *change.Change, commit string) (bool, string, error) {
	st, err := c.projects.Load(ctx, ch.Project)
	if err != nil {
		return false, "", err
	}
	submitType := project.EffectiveSubmitType(st.Chain)
	r, err := c.projects.Open(ctx, ch.Project)
	if err != nil {
		return false, "", err
	}
	tip, err := r.RefOID(ctx, ch.Branch)
	if err != nil && !errors.Is(err, repo.ErrNotFound) {
		return false, "", err
	}
	strategy, err := merge.ParseStrategy(submitType)
	if err != nil {
		strategy = merge.MergeIfNecessary
	}
	ok, err := merge.Mergeable(ctx, c.runner, r, strategy, project.SettingMergeContent.Effective(st.Chain), tip, commit)
	return ok, submitType, err
}

// reviewEvents turns review's events into Gerrit's through the recorder.
type reviewEvents struct{ r *events.Recorder }

func (e reviewEvents) Append(ctx context.Context, q db.Querier, ev review.Event) error {
	r := e.r
	switch ev.Type {
	case review.EventCommentAdded:
		return r.CommentAdded(ctx, q, ev.Change, ev.PatchSet, ev.Actor, ev.Message, eventApprovals(ev.Approvals))
	case review.EventReviewerAdded:
		return r.ReviewerAdded(ctx, q, ev.Change, ev.PatchSet, ev.Reviewer, ev.Actor)
	case review.EventReviewerDeleted:
		return r.ReviewerDeleted(ctx, q, ev.Change, ev.PatchSet, ev.Reviewer, ev.Actor, ev.Message, eventApprovals(ev.Approvals))
	case review.EventChangeAbandoned:
		return r.ChangeAbandoned(ctx, q, ev.Change, ev.PatchSet, ev.Actor, ev.Message)
	case review.EventChangeRestored:
		return r.ChangeRestored(ctx, q, ev.Change, ev.PatchSet, ev.Actor, ev.Message)
	case review.EventTopicChanged:
		return r.TopicChanged(ctx, q, ev.Change, ev.PatchSet, ev.Actor, ev.OldTopic)
	case review.EventHashtagsChanged:
		return r.HashtagsChanged(ctx, q, ev.Change, ev.PatchSet, ev.Actor, ev.Added, ev.Removed, ev.Hashtags)
	case review.EventWIPStateChanged:
		return r.WIPStateChanged(ctx, q, ev.Change, ev.PatchSet, ev.Actor)
	case review.EventPrivateStateChanged:
		return r.PrivateStateChanged(ctx, q, ev.Change, ev.PatchSet, ev.Actor)
	case review.EventChangeDeleted:
		return r.ChangeDeleted(ctx, q, ev.Change, ev.PatchSet, ev.Actor)
	}
	return fmt.Errorf("unknown review event %q", ev.Type)
}

// reviewRepos gives review the git it needs to move and delete changes.
type reviewRepos struct{ c *components }

func (r reviewRepos) BranchTip(ctx context.Context, projectName, branch string) (string, error) {
	rp, err := r.c.projects.Open(ctx, projectName)
	if err != nil {
		return "", err
	}
	tip, err := rp.Resolve(ctx, branch)
	if errors.Is(err, repo.ErrNotFound) {
		return "", nil
	}
	return tip, err
}

func (r reviewRepos) Reachable(ctx context.Context, projectName, commit, tip string) (bool, error) {
	rp, err := r.c.projects.Open(ctx, projectName)
	if err != nil {
		return false, err
	}
	return rp.IsAncestor(ctx, commit, tip)
}

func (r reviewRepos) DeleteRefs(ctx context.Context, projectName string, refs map[string]string) error {
	rp, err := r.c.projects.Open(ctx, projectName)
	if err != nil {
		return err
	}
	ups := make([]refupdate.Update, 0, len(refs))
	for ref, old := range refs {
		ups = append(ups, refupdate.Update{Ref: ref, Old: old, New: refupdate.ZeroOID})
	}
	return rp.UpdateRefs(ctx, ups...)
}

func (r reviewRepos) EditRefs(ctx context.Context, projectName string, n int64) (map[string]string, error) {
	rp, err := r.c.projects.Open(ctx, projectName)
	if err != nil {
		return nil, err
	}
	// One glob per path level: refs/users/NN/ACCOUNT/edit-N/PS.
	refs, err := rp.Refs(ctx, fmt.Sprintf("refs/users/*/*/edit-%d/*", n))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, ref := range refs {
		if _, c, _, ok := change.ParseEditRef(ref.Name); ok && c == n {
			out[ref.Name] = ref.OID
		}
	}
	return out, nil
}

// submitReviews tells submit whether changes are submittable.
type submitReviews struct{ r *review.Service }

func (s submitReviews) Submittable(ctx context.Context, q db.Querier, ch *change.Change) ([]string, error) {
	return s.r.SubmitProblems(ctx, ch)
}

func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil && p.Hostname() != "" {
		return p.Hostname()
	}
	return "localhost"
}

func eventApprovals(as []review.EventApproval) []events.ApprovalAttr {
	out := make([]events.ApprovalAttr, 0, len(as))
	for _, a := range as {
		out = append(out, events.Approval(a.Label, a.Value, a.OldValue))
	}
	return out
}

// pushMerger closes and submits changes for pushes.
type pushMerger struct{ c *components }

func (m pushMerger) ClosePushed(ctx context.Context, projectName, branch string, pusher int64, newTip string, commits []string) error {
	return m.c.submit.ClosePushed(ctx, projectName, branch, pusher, newTip, commits)
}

func (m pushMerger) SubmitPushed(ctx context.Context, pusher *account.Account, groups map[string]bool, n int64, revision string) error {
	_, err := m.c.submit.Submit(ctx, submit.Caller{Account: pusher, Groups: groups, UpdateBySubmit: true}, n, revision)
	return err
}
