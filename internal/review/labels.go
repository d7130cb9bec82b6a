package review

import (
	"context"
	"slices"
	"strings"
	"time"

	"tandem/internal/access"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/project"
)

// Statuses of a label in a legacy submit record, in Gerrit's order of
// precedence (a later one wins when two records disagree).
const (
	LabelOK         = "OK"
	LabelReject     = "REJECT"
	LabelNeed       = "NEED"
	LabelMay        = "MAY"
	LabelImpossible = "IMPOSSIBLE"
)

// Statuses of a legacy submit record.
const (
	RecordOK        = "OK"
	RecordNotReady  = "NOT_READY"
	RecordClosed    = "CLOSED"
	RecordRuleError = "RULE_ERROR"
)

// DefaultRuleName names the records of the label functions, as Gerrit's
// SubmitRecordInfo.rule_name does.
const DefaultRuleName = "gerrit~DefaultSubmitRule"

// RecordLabel is one label's verdict in a submit record; AppliedBy is the
// account whose vote decided OK, REJECT or MAY (0: none).
type RecordLabel struct {
	Label     string
	Status    string
	AppliedBy int64
}

// SubmitRecord is the legacy submit record of a change (SubmitRecordInfo).
type SubmitRecord struct {
	RuleName string
	Status   string
	Labels   []RecordLabel
}

// functionTraits are what a label function means for submit: a minimal vote
// blocks, a vote is required, the vote must be the maximum.
func functionTraits(fn string) (block, required, maxRequired bool) {
	switch fn {
	case project.FunctionMaxWithBlock, "":
		return true, true, true
	case project.FunctionAnyWithBlock:
		return true, false, false
	case project.FunctionMaxNoBlock:
		return false, true, true
	}
	return false, false, false // NoBlock, NoOp, PatchSetLock
}

// isBlocking reports whether a label's function takes part in submit (it
// then yields a legacy submit requirement).
func isBlocking(l project.LabelType) bool {
	block, required, _ := functionTraits(l.Function)
	return block || required
}

// CheckLabel applies l's function to the votes on the current patch set
// (votes on other labels are ignored). A minimal vote of a blocking
// function rejects at once; otherwise the last qualifying vote decides.
func CheckLabel(l project.LabelType, votes []change.Vote) RecordLabel {
	block, required, maxRequired := functionTraits(l.Function)
	out := RecordLabel{Label: l.Name, Status: LabelMay}
	if required {
		out.Status = LabelNeed
	}
	for _, v := range votes {
		if v.Value == 0 || !strings.EqualFold(v.Label, l.Name) {
			continue
		}
		if block && len(l.Values) > 0 && v.Value == l.Min() {
			return RecordLabel{Label: l.Name, Status: LabelReject, AppliedBy: v.AccountID}
		}
		if (len(l.Values) > 0 && v.Value == l.Max()) || !maxRequired {
			out.AppliedBy = v.AccountID
			out.Status = LabelMay
			if required {
				out.Status = LabelOK
			}
		}
	}
	return out
}

// EvaluateRecord computes the legacy submit record of a change from the
// labels that apply to it and the votes on its current patch set. A closed
// change's record is CLOSED (its labels are still evaluated).
func EvaluateRecord(c *change.Change, labels []project.LabelType, currentVotes []change.Vote) SubmitRecord {
	rec := SubmitRecord{RuleName: DefaultRuleName, Status: RecordOK}
	for _, l := range labels {
		rl := CheckLabel(l, currentVotes)
		rec.Labels = append(rec.Labels, rl)
		switch rl.Status {
		case LabelNeed, LabelReject, LabelImpossible:
			rec.Status = RecordNotReady
		}
	}
	if !c.Status.Open() {
		rec.Status = RecordClosed
	}
	return rec
}

// LabelStatus returns a label's status in the change's submit record and
// the account that decided it, "" when the label does not apply; it is
// what label:X=ok/need/reject/may queries ask.
func (s *Service) LabelStatus(ctx context.Context, c *change.Change, label string) (string, int64, error) {
	pol, err := s.policyFor(ctx, c)
	if err != nil {
		return "", 0, err
	}
	l, ok := findLabel(pol.labels, label)
	if !ok {
		return "", 0, nil
	}
	votes, err := s.changes.Approvals(ctx, s.db, c.Number)
	if err != nil {
		return "", 0, err
	}
	rl := CheckLabel(l, change.VotesOn(votes, c.CurrentPS))
	return rl.Status, rl.AppliedBy, nil
}

// PatchSetLocked reports whether a PatchSetLock label holds its maximum
// on the current patch set: no new patch sets, rebase or abandon then.
func PatchSetLocked(labels []project.LabelType, currentVotes []change.Vote) bool {
	for _, l := range labels {
		if l.Function != project.FunctionPatchSetLock || len(l.Values) == 0 {
			continue
		}
		for _, v := range currentVotes {
			if strings.EqualFold(v.Label, l.Name) && v.Value != 0 && v.Value == l.Max() {
				return true
			}
		}
	}
	return false
}

// Locked reports whether patch set ps of change c is locked by a
// PatchSetLock label, which forbids a new patch set (upload, rebase),
// reading the votes through q.
func (s *Service) Locked(ctx context.Context, q db.Querier, c *change.Change, ps int) (bool, error) {
	pol, err := s.policyFor(ctx, c)
	if err != nil {
		return false, err
	}
	votes, err := s.changes.Approvals(ctx, q, c.Number)
	if err != nil {
		return false, err
	}
	return PatchSetLocked(pol.labels, change.VotesOn(votes, ps)), nil
}

// VotingRange is a permitted_voting_range.
type VotingRange struct{ Min, Max int }

// ApprovalInfo is one account's entry in a label's "all" list.
type ApprovalInfo struct {
	AccountID  int64
	Value      *int // nil: the account cannot vote on the label
	Range      *VotingRange
	Date       time.Time // zero when there is no vote
	Tag        string
	PostSubmit bool
}

// LabelInfo is Gerrit's LabelInfo for one label of a change. Accounts are
// ids (0: absent). Values, DefaultValue and All belong to DETAILED_LABELS;
// the caller shows them only then.
type LabelInfo struct {
	Name        string
	Optional    bool
	Description string
	Approved    int64
	Rejected    int64
	Recommended int64
	Disliked    int64
	Blocking    bool
	Value       int // with Recommended or Disliked
	// Values maps "-1", " 0", "+1" … to their texts, in ascending order.
	Values       []project.LabelValue
	DefaultValue int
	All          []ApprovalInfo
}

// RangeFunc returns the range an account may vote on a label of the
// change, ok false when it may only vote 0.
type RangeFunc func(accountID int64, label string) (lo, hi int, ok bool)

// LabelInfos computes the LabelInfo of every label applying to a change,
// in configuration order, following Gerrit: the submit record gives
// approved/rejected (and blocking) for functions that take part in
// submit, then the current votes fill approved, rejected, disliked and
// recommended unless one of the first two is already set. With ranges
// (DETAILED_LABELS) each label also lists in All every reviewer and
// every account that voted on any patch set; for a merged change the
// voters only.
func LabelInfos(snap *Snapshot, labels []project.LabelType, ranges RangeFunc) []LabelInfo {
	c := snap.Change
	current := votesOnAll(snap.Votes, c.CurrentPS)
	rec := EvaluateRecord(c, labels, nonZero(current))
	out := make([]LabelInfo, 0, len(labels))
	for i, l := range labels {
		li := LabelInfo{Name: l.Name, Description: l.Description, DefaultValue: l.DefaultValue}
		rl := rec.Labels[i]
		li.Optional = rl.Status == LabelMay
		switch rl.Status {
		case LabelOK:
			li.Approved = rl.AppliedBy
		case LabelReject:
			li.Rejected = rl.AppliedBy
			li.Blocking = true
		}
		for _, v := range current {
			if strings.EqualFold(v.Label, l.Name) {
				setScore(&li, l, v)
			}
		}
		if slices.ContainsFunc(l.Values, func(v project.LabelValue) bool { return v.Value != 0 }) {
			li.Values = l.Values
		}
		out = append(out, li)
	}
	if ranges == nil {
		return out
	}
	voters := map[int64]bool{}
	var accounts []int64
	add := func(id int64) {
		if !voters[id] {
			voters[id] = true
			accounts = append(accounts, id)
		}
	}
	merged := c.Status == change.StatusMerged
	if !merged {
		for _, id := range snap.ReviewersIn(change.StateReviewer) {
			add(id)
		}
	}
	for _, v := range snap.Votes {
		if !merged || v.PatchSet == c.CurrentPS {
			add(v.AccountID)
		}
	}
	slices.Sort(accounts)
	for i, l := range labels {
		for _, id := range accounts {
			ai := ApprovalInfo{AccountID: id}
			lo, hi, canVote := ranges(id, l.Name)
			if canVote {
				ai.Range = &VotingRange{Min: lo, Max: hi}
			}
			v, voted := findVote(current, id, l.Name)
			switch {
			case voted:
				val := v.Value
				ai.Value, ai.Date, ai.Tag, ai.PostSubmit = &val, v.Granted, v.Tag, v.PostSubmit
			case canVote || merged:
				zero := 0
				ai.Value = &zero
			}
			out[i].All = append(out[i].All, ai)
		}
	}
	return out
}

// setScore is Gerrit's setLabelScores: the first minimal or maximal vote
// wins; intermediate ones record who disliked or recommended.
func setScore(li *LabelInfo, l project.LabelType, v change.Vote) {
	if li.Approved != 0 || li.Rejected != 0 || len(l.Values) == 0 || v.Value == 0 {
		return
	}
	switch {
	case v.Value == l.Min():
		li.Rejected = v.AccountID
	case v.Value == l.Max():
		li.Approved = v.AccountID
	case v.Value < 0:
		li.Disliked, li.Value = v.AccountID, v.Value
	case v.Value > 0 && li.Disliked == 0:
		li.Recommended, li.Value = v.AccountID, v.Value
	}
}

func votesOnAll(votes []change.Vote, ps int) []change.Vote {
	var out []change.Vote
	for _, v := range votes {
		if v.PatchSet == ps {
			out = append(out, v)
		}
	}
	return out
}

func nonZero(votes []change.Vote) []change.Vote {
	return slices.DeleteFunc(slices.Clone(votes), func(v change.Vote) bool { return v.Value == 0 })
}

func findVote(votes []change.Vote, account int64, label string) (change.Vote, bool) {
	for _, v := range votes {
		if v.AccountID == account && strings.EqualFold(v.Label, label) {
			return v, true
		}
	}
	return change.Vote{}, false
}

// PermittedLabels returns, per label, the values (formatted "-1", " 0",
// "+1") an actor may vote, given its range function. On a merged change
// only labels allowing post-submit votes count, and only values not below
// the actor's current vote. Labels with nothing but 0 are left out.
func PermittedLabels(snap *Snapshot, labels []project.LabelType, account int64, ranges RangeFunc) map[string][]string {
	out := map[string][]string{}
	c := snap.Change
	merged := c.Status == change.StatusMerged
	for _, l := range labels {
		if merged && !l.AllowPostSubmit {
			continue
		}
		lo, hi, ok := ranges(account, l.Name)
		if !ok {
			continue
		}
		floor := lo
		if merged {
			if v, voted := findVote(votesOnAll(snap.Votes, c.CurrentPS), account, l.Name); voted {
				floor = max(floor, v.Value)
			}
		}
		var vals []string
		for _, v := range l.Values {
			if v.Value >= floor && v.Value <= hi {
				vals = append(vals, project.FormatLabelValue(v.Value))
			}
		}
		if len(vals) == 0 || len(vals) == 1 && vals[0] == " 0" {
			continue
		}
		out[l.Name] = vals
	}
	return out
}

// LabelsView is what the REST layer shows of a change's labels for one
// caller.
type LabelsView struct {
	Labels    []LabelInfo
	Permitted map[string][]string // permitted_labels of the caller; nil for anonymous callers
	Record    SubmitRecord
}

// Labels evaluates the labels of a loaded change for subj. With detailed
// (DETAILED_LABELS) it computes the voting ranges of every listed account,
// which costs a group lookup per account.
func (s *Service) Labels(ctx context.Context, subj access.Subject, snap *Snapshot, detailed bool) (*LabelsView, error) {
	pol, err := s.policyFor(ctx, snap.Change)
	if err != nil {
		return nil, err
	}
	caller := pol.actor(subj, snap.Change)
	ranges := s.rangeFunc(ctx, pol, snap.Change, caller)
	v := &LabelsView{Record: EvaluateRecord(snap.Change, pol.labels, snap.CurrentVotes())}
	var rf RangeFunc
	if detailed {
		rf = ranges
	}
	v.Labels = LabelInfos(snap, pol.labels, rf)
	if subj.AccountID != 0 {
		v.Permitted = PermittedLabels(snap, pol.labels, subj.AccountID, ranges)
	}
	return v, nil
}

// rangeFunc answers voting ranges for the caller directly and for other
// accounts by loading their groups once each; an account that cannot be
// loaded is logged once and may vote nothing.
func (s *Service) rangeFunc(ctx context.Context, pol *policy, c *change.Change, caller *actor) RangeFunc {
	actors := map[int64]*actor{}
	if caller.id() != 0 {
		actors[caller.id()] = caller
	}
	return func(id int64, label string) (int, int, bool) {
		a, ok := actors[id]
		if !ok {
			acc, err := s.accounts.Get(ctx, id)
			if err == nil {
				var subj access.Subject
				if subj, err = s.subjectOf(ctx, acc); err == nil {
					a = pol.actor(subj, c)
				}
			}
			if err != nil {
				s.log.Warn("voting range of account", "account_id", id, "err", err)
				actors[id] = nil
				return 0, 0, false
			}
			actors[id] = a
		}
		if a == nil {
			return 0, 0, false
		}
		return a.rangeFor(label)
	}
}
