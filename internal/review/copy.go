package review

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/project"
)

// CopyContext is what a copyCondition is evaluated against: one vote on
// the previous patch set and the new patch set.
type CopyContext struct {
	Label    project.LabelType
	Vote     change.Vote
	Kind     string // of the new patch set relative to the old one
	IsMerge  bool   // the new patch set is a merge commit
	Uploader int64  // of the new patch set
	// UnchangedFiles reports whether both patch sets touch the same files
	// the same way (has:unchanged-files); nil when not known.
	UnchangedFiles func() (bool, error)
	// InGroup reports whether an account is in a group given by UUID or
	// name (approverin:, uploaderin:); nil when not known.
	InGroup func(account int64, group string) (bool, error)
}

// KindMatches reports whether a patch set of kind actual satisfies
// changekind:want: the more trivial kinds satisfy the less trivial ones
// (NO_CHANGE is a trivial rebase and a no-code change; everything is a
// rework).
func KindMatches(actual, want string, isMerge bool) bool {
	switch want {
	case change.KindRework:
		return true
	case change.KindTrivialRebase:
		return actual == change.KindNoChange || actual == change.KindTrivialRebase
	case change.KindTrivialRebaseWithMessageUpdate:
		switch actual {
		case change.KindNoChange, change.KindNoCodeChange, change.KindTrivialRebase, change.KindTrivialRebaseWithMessageUpdate:
			return true
		}
		return false
	case change.KindMergeFirstParentUpdate:
		return isMerge && (actual == change.KindNoChange || actual == change.KindMergeFirstParentUpdate)
	case change.KindNoChange:
		return actual == change.KindNoChange
	case change.KindNoCodeChange:
		return actual == change.KindNoChange || actual == change.KindNoCodeChange
	}
	return false
}

var changeKinds = []string{change.KindRework, change.KindTrivialRebase, change.KindTrivialRebaseWithMessageUpdate,
	change.KindMergeFirstParentUpdate, change.KindNoCodeChange, change.KindNoChange}

// CopyConditionMatches evaluates a label's copyCondition for one vote. It
// knows changekind:, is:MIN/MAX/ANY/POSITIVE/NEGATIVE/<value>,
// approverin:, uploaderin: and has:unchanged-files; anything else is an
// error (and the vote is not copied).
func CopyConditionMatches(cond string, cc CopyContext) (bool, error) {
	e, err := parseExpr(cond)
	if err != nil {
		return false, fmt.Errorf("copyCondition %q: %w", cond, err)
	}
	ok, _, _, err := evalExpr(e, func(a atom) (bool, error) { return copyAtom(a, cc) })
	if err != nil {
		return false, fmt.Errorf("copyCondition %q: %w", cond, err)
	}
	return ok, nil
}

func copyAtom(a atom, cc CopyContext) (bool, error) {
	v := strings.ToUpper(strings.ReplaceAll(a.value, "-", "_"))
	switch a.field {
	case "changekind":
		for _, k := range changeKinds {
			if v == k {
				return KindMatches(cc.Kind, k, cc.IsMerge), nil
			}
		}
		return false, fmt.Errorf("%s is not a valid change kind", a.value)
	case "is":
		value := cc.Vote.Value
		switch v {
		case "ANY":
			return true, nil
		case "MIN":
			return len(cc.Label.Values) > 0 && value == cc.Label.Min(), nil
		case "MAX":
			return len(cc.Label.Values) > 0 && value == cc.Label.Max(), nil
		case "POSITIVE":
			return value > 0, nil
		case "NEGATIVE":
			return value < 0, nil
		}
		n, err := strconv.Atoi(strings.TrimPrefix(a.value, "+"))
		if err != nil {
			return false, fmt.Errorf("is:%s is not a valid vote value", a.value)
		}
		return value == n, nil
	case "approverin", "uploaderin":
		if cc.InGroup == nil {
			return false, fmt.Errorf("%s: groups are not available", a.field)
		}
		who := cc.Vote.AccountID
		if a.field == "uploaderin" {
			who = cc.Uploader
		}
		return cc.InGroup(who, a.value)
	case "has":
		if strings.EqualFold(a.value, "unchanged-files") {
			if cc.UnchangedFiles == nil {
				return false, fmt.Errorf("has:unchanged-files is not available")
			}
			return cc.UnchangedFiles()
		}
	}
	return false, fmt.Errorf("unsupported operator %s", a)
}

// CopyVotes copies the votes on oldPS that stick to newPS, according to
// each label's copyCondition and kind (newPS relative to oldPS), into
// newPS as copied votes, through q — the caller's transaction that creates
// newPS. It returns the votes copied. A copyCondition that cannot be
// evaluated copies nothing and is logged, as Gerrit does.
func (s *Service) CopyVotes(ctx context.Context, q db.Querier, c *change.Change, oldPS, newPS *change.PatchSet, kind string) ([]change.Vote, error) {
	pol, err := s.policyFor(ctx, c)
	if err != nil {
		return nil, err
	}
	all, err := s.changes.Approvals(ctx, q, c.Number)
	if err != nil {
		return nil, err
	}
	var unchanged *bool
	unchangedFiles := func() (bool, error) {
		if unchanged == nil {
			v, err := s.sameFiles(ctx, q, c.Number, oldPS.Number, newPS.Number)
			if err != nil {
				return false, err
			}
			unchanged = &v
		}
		return *unchanged, nil
	}
	groups := map[int64]map[string]bool{}
	inGroup := func(account int64, group string) (bool, error) {
		g, err := s.accounts.ResolveGroup(ctx, group)
		if err != nil {
			return false, fmt.Errorf("group %s: %w", group, err)
		}
		mine, ok := groups[account]
		if !ok {
			if mine, err = s.accounts.GroupsOf(ctx, account); err != nil {
				return false, err
			}
			groups[account] = mine
		}
		return mine[g.UUID], nil
	}
	var copied []change.Vote
	for _, v := range change.VotesOn(all, oldPS.Number) {
		l, ok := findLabel(pol.labels, v.Label)
		if !ok || strings.TrimSpace(l.CopyCondition) == "" {
			continue
		}
		match, err := CopyConditionMatches(l.CopyCondition, CopyContext{
			Label: l, Vote: v, Kind: kind, IsMerge: len(newPS.Parents) > 1, Uploader: newPS.UploaderID,
			UnchangedFiles: unchangedFiles, InGroup: inGroup,
		})
		if err != nil {
			s.log.Warn("copy condition not evaluated", "project", c.Project, "label", l.Name, "change", c.Number, "err", err)
			continue
		}
		if !match {
			continue
		}
		nv := v
		nv.PatchSet, nv.Copied = newPS.Number, true
		if err := s.changes.SetApproval(ctx, q, nv); err != nil {
			return nil, fmt.Errorf("copy vote %s of account %d: %w", v.Label, v.AccountID, err)
		}
		copied = append(copied, nv)
	}
	return copied, nil
}

// sameFiles reports whether two patch sets touch the same paths with the
// same kinds of modification, relative to their parents.
func (s *Service) sameFiles(ctx context.Context, q db.Querier, n int64, a, b int) (bool, error) {
	fa, err := s.changes.Files(ctx, q, n, a)
	if err != nil {
		return false, err
	}
	fb, err := s.changes.Files(ctx, q, n, b)
	if err != nil {
		return false, err
	}
	if len(fa) != len(fb) {
		return false, nil
	}
	for i := range fa {
		if fa[i].Path != fb[i].Path || fa[i].Status != fb[i].Status {
			return false, nil
		}
	}
	return true, nil
}
