package review

import (
	"context"
	"sort"

	"tandem/internal/change"
	"tandem/internal/db"
)

// Snapshot is one change as evaluation sees it: its rows read together.
// List views may fill one from rows they read in batches; the zero values
// of the slices mean "none".
type Snapshot struct {
	Change    *change.Change
	PatchSets []*change.PatchSet // ordered by number
	Votes     []change.Vote      // on every patch set, in the order granted
	Reviewers []change.Reviewer  // REMOVED entries included
	Comments  []change.Comment   // published comments only
	Hashtags  []string
	Files     []change.File // of the current patch set
}

// Load reads change n and its satellites through q.
func (s *Service) Load(ctx context.Context, q db.Querier, n int64) (*Snapshot, error) {
	c, err := s.changes.Get(ctx, q, n)
	if err != nil {
		return nil, err
	}
	snaps, err := s.LoadMany(ctx, q, []*change.Change{c})
	if err != nil {
		return nil, err
	}
	return snaps[0], nil
}

// LoadMany reads the satellites of changes cs through q, one statement
// for each kind of row of them all, and returns their snapshots in the
// order of cs.
func (s *Service) LoadMany(ctx context.Context, q db.Querier, cs []*change.Change) ([]*Snapshot, error) {
	out := make([]*Snapshot, len(cs))
	by := make(map[int64]*Snapshot, len(cs))
	var numbers []int64
	for i, c := range cs {
		if snap, ok := by[c.Number]; ok {
			out[i] = snap
			continue
		}
		out[i] = &Snapshot{Change: c}
		by[c.Number] = out[i]
		numbers = append(numbers, c.Number)
	}
	pss, err := s.changes.PatchSets(ctx, q, numbers...)
	if err != nil {
		return nil, err
	}
	for _, ps := range pss {
		by[ps.Change].PatchSets = append(by[ps.Change].PatchSets, ps)
	}
	votes, err := s.changes.Approvals(ctx, q, numbers...)
	if err != nil {
		return nil, err
	}
	for _, v := range votes {
		by[v.Change].Votes = append(by[v.Change].Votes, v)
	}
	reviewers, err := s.changes.ReviewersOf(ctx, q, numbers...)
	if err != nil {
		return nil, err
	}
	comments, err := s.changes.PublishedComments(ctx, q, numbers...)
	if err != nil {
		return nil, err
	}
	for _, c := range comments {
		by[c.Change].Comments = append(by[c.Change].Comments, c)
	}
	hashtags, err := s.changes.HashtagsOf(ctx, q, numbers...)
	if err != nil {
		return nil, err
	}
	files, err := s.changes.CurrentFilesOf(ctx, q, numbers...)
	if err != nil {
		return nil, err
	}
	for n, snap := range by {
		snap.Reviewers, snap.Hashtags = reviewers[n], hashtags[n]
		snap.Files = files[change.PatchSetKey{Change: n, PatchSet: snap.Change.CurrentPS}]
	}
	return out, nil
}

// Current returns the current patch set, nil if it is missing.
func (s *Snapshot) Current() *change.PatchSet { return s.PatchSetNumber(s.Change.CurrentPS) }

// PatchSetNumber returns patch set n, nil if there is none.
func (s *Snapshot) PatchSetNumber(n int) *change.PatchSet {
	for _, ps := range s.PatchSets {
		if ps.Number == n {
			return ps
		}
	}
	return nil
}

// CurrentVotes returns the non-zero votes on the current patch set.
func (s *Snapshot) CurrentVotes() []change.Vote { return change.VotesOn(s.Votes, s.Change.CurrentPS) }

// ReviewersIn returns the accounts in state (REVIEWER or CC), in the order
// they were added.
func (s *Snapshot) ReviewersIn(state string) []int64 {
	var out []int64
	for _, r := range s.Reviewers {
		if r.State == state {
			out = append(out, r.AccountID)
		}
	}
	return out
}

// UnresolvedComments counts the comment threads whose latest comment is
// unresolved, as Gerrit's unresolved_comment_count and has:unresolved do.
func (s *Snapshot) UnresolvedComments() int { return unresolvedThreads(s.Comments) }

func unresolvedThreads(comments []change.Comment) int {
	byID := map[string]*change.Comment{}
	for i := range comments {
		if !comments[i].Draft {
			byID[comments[i].ID] = &comments[i]
		}
	}
	// The root of each comment's thread and the comment's depth in it,
	// following in_reply_to; depth orders replies written in the same
	// microsecond as their parents.
	root := func(c *change.Comment) (string, int) {
		seen := map[string]bool{}
		depth := 0
		for c.InReplyTo != "" && !seen[c.ID] {
			seen[c.ID] = true
			p, ok := byID[c.InReplyTo]
			if !ok {
				break
			}
			c = p
			depth++
		}
		return c.ID, depth
	}
	type last struct {
		c     *change.Comment
		depth int
	}
	latest := map[string]last{}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids) // deterministic choice among equals
	for _, id := range ids {
		c := byID[id]
		r, depth := root(c)
		l, ok := latest[r]
		if !ok || c.Written.After(l.c.Written) || c.Written.Equal(l.c.Written) && depth > l.depth {
			latest[r] = last{c, depth}
		}
	}
	n := 0
	for _, l := range latest {
		if l.c.Unresolved {
			n++
		}
	}
	return n
}
