package query

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"tandem/internal/change"
)

// voters is the resolved "whose votes" of a label term.
type voters struct {
	who whoKind
	ids []int64 // for whoAccounts (and a group, resolved to its members)
}

func (c *compiler) voters(s *labelSpec) (voters, error) {
	switch s.who {
	case whoAccounts:
		ids, err := c.resolveAccounts(s.whoArg)
		return voters{whoAccounts, ids}, err
	case whoGroup:
		ids, err := c.groupMembers(s.whoArg)
		return voters{whoAccounts, ids}, err
	case whoUserOrGroup:
		ids, err := c.resolveAccounts(s.whoArg)
		if err == nil || !isQueryError(err) {
			return voters{whoAccounts, ids}, err
		}
		ids, gerr := c.groupMembers(s.whoArg)
		if gerr != nil {
			if isQueryError(gerr) {
				return voters{}, errorf("Account or group '%s' not found", s.whoArg)
			}
			return voters{}, gerr
		}
		return voters{whoAccounts, ids}, nil
	}
	return voters{who: s.who}, nil
}

// label compiles a label: term.
func (c *compiler) label(s *labelSpec, text string) (*pred, error) {
	vs, err := c.voters(s)
	if err != nil {
		return nil, err
	}
	if s.kind == voteStatus {
		return c.labelStatus(s, vs, text)
	}
	if !s.needsConfig() {
		return sqlPred(labelSQL(s, s.rangeFor(LabelType{}, false), vs)), nil
	}
	if c.project != "" {
		ts, err := c.labels(c.ctx, c.project)
		if err != nil {
			return nil, err
		}
		t, ok := findLabel(ts, s.name)
		return sqlPred(labelSQL(s, s.rangeFor(t, ok), vs)), nil
	}
	// MAX and MIN depend on each change's project: narrow to changes with
	// a positive (negative) vote in SQL, then decide per project.
	sign := voteRange{1, maxVote}
	if s.kind == voteMin {
		sign = voteRange{minVote, -1}
	}
	loose := *s
	loose.kind, loose.count = voteNumber, nil
	super := labelSQL(&loose, sign, vs)
	resolver := c.opts.Resolver
	return goPred(super, func(ctx context.Context, r *runner, cs []*change.Change) ([]bool, error) {
		out := make([]bool, len(cs))
		byProject := map[string][]int{}
		var order []string
		for i, ch := range cs {
			if _, ok := byProject[ch.Project]; !ok {
				order = append(order, ch.Project)
			}
			byProject[ch.Project] = append(byProject[ch.Project], i)
		}
		for _, project := range order {
			ts, err := r.labels(ctx, resolver, project)
			if err != nil {
				return nil, err
			}
			t, ok := findLabel(ts, s.name)
			idx := byProject[project]
			group := make([]*change.Change, len(idx))
			for j, i := range idx {
				group[j] = cs[i]
			}
			got, err := r.sqlEval(ctx, labelSQL(s, s.rangeFor(t, ok), vs), group)
			if err != nil {
				return nil, err
			}
			for j, i := range idx {
				out[i] = got[j]
			}
		}
		return out, nil
	}), nil
}

func (c *compiler) labels(ctx context.Context, project string) ([]LabelType, error) {
	if c.opts.Resolver == nil {
		return nil, errors.New("query: no resolver for labels")
	}
	ts, err := c.opts.Resolver.Labels(ctx, project)
	if err != nil {
		return nil, fmt.Errorf("labels of %q: %w", project, err)
	}
	return ts, nil
}

// labelSQL writes the condition of a numeric (resolved MAX/MIN, ANY) label
// term whose votes lie in r, on the current patch set. A numeric range
// that includes 0 also matches when the voters cast no vote at all.
func labelSQL(s *labelSpec, r voteRange, vs voters) frag {
	if r.empty() {
		return sqlFalse
	}
	base := sq("a.change_id = c.id AND a.ps = c.current_ps AND LOWER(a.label) = ", param{strings.ToLower(s.name)},
		" AND a.value <> 0", voterCond(vs))
	inRange := sq(base, rangeCond(r))
	if s.count != nil {
		lo, hi := s.count.countRange()
		if hi >= 0 && lo > hi {
			return sqlFalse
		}
		cnt := sq("(SELECT COUNT(*) FROM approvals a WHERE ", inRange, ")")
		if hi < 0 {
			return sq(cnt, fmt.Sprintf(" >= %d", lo))
		}
		return sq(cnt, fmt.Sprintf(" BETWEEN %d AND %d", lo, hi))
	}
	exists := sq("EXISTS (SELECT 1 FROM approvals a WHERE ", inRange, ")")
	if s.kind == voteNumber && r.hasZero() {
		return sq(exists, " OR NOT EXISTS (SELECT 1 FROM approvals a WHERE ", base, ")")
	}
	return exists
}

func rangeCond(r voteRange) string {
	switch {
	case r.lo == r.hi:
		return fmt.Sprintf(" AND a.value = %d", r.lo)
	case r.lo <= minVote && r.hi >= maxVote:
		return ""
	case r.lo <= minVote:
		return fmt.Sprintf(" AND a.value <= %d", r.hi)
	case r.hi >= maxVote:
		return fmt.Sprintf(" AND a.value >= %d", r.lo)
	}
	return fmt.Sprintf(" AND a.value BETWEEN %d AND %d", r.lo, r.hi)
}

// voterCond restricts the votes (alias a) to the voters.
func voterCond(vs voters) frag {
	switch vs.who {
	case whoAccounts:
		return sq(" AND ", in("a.account_id", vs.ids))
	case whoOwner:
		return sq(" AND a.account_id = c.owner_id")
	case whoNonUploader:
		return sq(" AND ", nonUploader)
	case whoNonContributor:
		return sq(" AND ", nonUploader, ` AND NOT EXISTS (SELECT 1 FROM patch_sets ps JOIN account_emails e ON e.account_id = a.account_id
			WHERE ps.change_id = c.id AND ps.ps = c.current_ps
			AND (LOWER(e.email) = LOWER(ps.author_email) OR LOWER(e.email) = LOWER(ps.committer_email)))`)
	}
	return sq("")
}

var nonUploader = sq("NOT EXISTS (SELECT 1 FROM patch_sets ps WHERE ps.change_id = c.id AND ps.ps = c.current_ps AND ps.uploader_id = a.account_id)")

// labelStatus compiles label:X=ok/need/reject/may/impossible, decided by
// the Evaluator from the change's submit record.
func (c *compiler) labelStatus(s *labelSpec, vs voters, text string) (*pred, error) {
	switch vs.who {
	case whoAnyone, whoAccounts, whoOwner:
	default:
		return nil, errorf("Invalid label: %s: a label status takes a user, a group or owner", strings.TrimPrefix(text, "label:"))
	}
	return c.evalPred(nil, func(ctx context.Context, e Evaluator, ch *change.Change) (bool, error) {
		st, by, err := e.LabelStatus(ctx, ch, s.name)
		if err != nil || !strings.EqualFold(st, s.status) {
			return false, err
		}
		switch vs.who {
		case whoAccounts:
			for _, id := range vs.ids {
				if id == by {
					return true, nil
				}
			}
			return false, nil
		case whoOwner:
			return by == ch.OwnerID, nil
		}
		return true, nil
	})
}
