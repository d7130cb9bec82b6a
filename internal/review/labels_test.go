package review

import (
	"reflect"
	"testing"

	"tandem/internal/change"
	"tandem/internal/project"
)

func label(name, fn string, lo, hi int) project.LabelType {
	l := project.LabelType{Name: name, Function: fn, AllowPostSubmit: true, CanOverride: true}
	for v := lo; v <= hi; v++ {
		l.Values = append(l.Values, project.LabelValue{Value: v, Text: "v"})
	}
	return l
}

func cr(account int64, value int) change.Vote {
	return change.Vote{PatchSet: 1, AccountID: account, Label: "Code-Review", Value: value}
}

func TestCheckLabel(t *testing.T) {
	tests := []struct {
		desc  string
		fn    string
		votes []change.Vote
		want  RecordLabel
	}{
		{"max with block, no votes", project.FunctionMaxWithBlock, nil, RecordLabel{Status: LabelNeed}},
		{"max with block, +1 is not enough", project.FunctionMaxWithBlock, []change.Vote{cr(1, 1)}, RecordLabel{Status: LabelNeed}},
		{"max with block, +2 approves", project.FunctionMaxWithBlock, []change.Vote{cr(1, 1), cr(2, 2)}, RecordLabel{Status: LabelOK, AppliedBy: 2}},
		{"max with block, -2 blocks a +2", project.FunctionMaxWithBlock, []change.Vote{cr(2, 2), cr(3, -2)}, RecordLabel{Status: LabelReject, AppliedBy: 3}},
		{"max with block, -1 does not block", project.FunctionMaxWithBlock, []change.Vote{cr(2, 2), cr(3, -1)}, RecordLabel{Status: LabelOK, AppliedBy: 2}},
		{"unset function means max with block", "", []change.Vote{cr(3, -2)}, RecordLabel{Status: LabelReject, AppliedBy: 3}},
		{"any with block, nothing needed", project.FunctionAnyWithBlock, nil, RecordLabel{Status: LabelMay}},
		{"any with block, any vote", project.FunctionAnyWithBlock, []change.Vote{cr(4, 1)}, RecordLabel{Status: LabelMay, AppliedBy: 4}},
		{"any with block, -2 blocks", project.FunctionAnyWithBlock, []change.Vote{cr(4, 1), cr(5, -2)}, RecordLabel{Status: LabelReject, AppliedBy: 5}},
		{"max no block, -2 does not block", project.FunctionMaxNoBlock, []change.Vote{cr(5, -2)}, RecordLabel{Status: LabelNeed}},
		{"max no block, +2 approves despite -2", project.FunctionMaxNoBlock, []change.Vote{cr(5, -2), cr(6, 2)}, RecordLabel{Status: LabelOK, AppliedBy: 6}},
		{"no block is informational", project.FunctionNoBlock, []change.Vote{cr(5, -2)}, RecordLabel{Status: LabelMay, AppliedBy: 5}},
		{"no op is informational", project.FunctionNoOp, []change.Vote{cr(6, 2)}, RecordLabel{Status: LabelMay, AppliedBy: 6}},
		{"patch set lock is informational", project.FunctionPatchSetLock, nil, RecordLabel{Status: LabelMay}},
		{"zero votes and other labels do not count", project.FunctionMaxWithBlock,
			[]change.Vote{cr(1, 0), {AccountID: 2, Label: "Verified", Value: 2}}, RecordLabel{Status: LabelNeed}},
		{"label names compare case-insensitively", project.FunctionMaxWithBlock,
			[]change.Vote{{AccountID: 2, Label: "code-review", Value: 2}}, RecordLabel{Status: LabelOK, AppliedBy: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			tc.want.Label = "Code-Review"
			got := CheckLabel(label("Code-Review", tc.fn, -2, 2), tc.votes)
			if got != tc.want {
				t.Errorf("CheckLabel = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestEvaluateRecord(t *testing.T) {
	labels := []project.LabelType{label("Code-Review", project.FunctionMaxWithBlock, -2, 2), label("Verified", project.FunctionNoBlock, -1, 1)}
	verified := change.Vote{AccountID: 9, Label: "Verified", Value: -1}
	tests := []struct {
		desc   string
		status change.Status
		votes  []change.Vote
		want   string
		labels []string
	}{
		{"needs a vote", change.StatusNew, nil, RecordNotReady, []string{LabelNeed, LabelMay}},
		{"approved", change.StatusNew, []change.Vote{cr(1, 2), verified}, RecordOK, []string{LabelOK, LabelMay}},
		{"rejected", change.StatusNew, []change.Vote{cr(1, 2), cr(2, -2)}, RecordNotReady, []string{LabelReject, LabelMay}},
		{"merged is closed", change.StatusMerged, []change.Vote{cr(1, 2)}, RecordClosed, []string{LabelOK, LabelMay}},
		{"abandoned is closed", change.StatusAbandoned, nil, RecordClosed, []string{LabelNeed, LabelMay}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			rec := EvaluateRecord(&change.Change{Status: tc.status}, labels, tc.votes)
			var got []string
			for _, l := range rec.Labels {
				got = append(got, l.Status)
			}
			if rec.Status != tc.want || !reflect.DeepEqual(got, tc.labels) || rec.RuleName != DefaultRuleName {
				t.Errorf("record = %+v, want %s with %v", rec, tc.want, tc.labels)
			}
		})
	}
}

func TestLabelInfos(t *testing.T) {
	blocking := label("Code-Review", project.FunctionMaxWithBlock, -2, 2)
	noBlock := label("Code-Review", project.FunctionNoBlock, -2, 2)
	tests := []struct {
		desc    string
		label   project.LabelType
		votes   []change.Vote
		want    LabelInfo
		current int // current patch set; 0 means 1
	}{
		{"no votes", blocking, nil, LabelInfo{}, 0},
		{"approved", blocking, []change.Vote{cr(1, 1), cr(2, 2)}, LabelInfo{Approved: 2}, 0},
		{"rejected is blocking", blocking, []change.Vote{cr(2, 2), cr(3, -2)}, LabelInfo{Rejected: 3, Blocking: true}, 0},
		{"recommended", blocking, []change.Vote{cr(1, 1)}, LabelInfo{Recommended: 1, Value: 1}, 0},
		{"disliked wins over recommended", blocking, []change.Vote{cr(1, -1), cr(4, 1)}, LabelInfo{Disliked: 1, Value: -1}, 0},
		{"no block is optional and never blocking", noBlock, []change.Vote{cr(3, -2)}, LabelInfo{Optional: true, Rejected: 3}, 0},
		{"no block: the first extreme vote wins", noBlock, []change.Vote{cr(2, 2), cr(3, -2)}, LabelInfo{Optional: true, Approved: 2}, 0},
		{"votes on older patch sets do not count", blocking, []change.Vote{cr(2, 2)}, LabelInfo{}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			ps := max(tc.current, 1)
			snap := &Snapshot{Change: &change.Change{Status: change.StatusNew, CurrentPS: ps}, Votes: tc.votes}
			got := LabelInfos(snap, []project.LabelType{tc.label}, nil)
			tc.want.Name, tc.want.Values = "Code-Review", tc.label.Values
			if len(got) != 1 || !reflect.DeepEqual(got[0], tc.want) {
				t.Errorf("LabelInfos = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestLabelInfosDetailed(t *testing.T) {
	l := label("Code-Review", project.FunctionNoBlock, -2, 2)
	ranges := func(account int64, label string) (int, int, bool) {
		switch account {
		case 1:
			return -2, 2, true
		case 2:
			return -1, 1, true
		}
		return 0, 0, false
	}
	snap := &Snapshot{
		Change: &change.Change{Status: change.StatusNew, CurrentPS: 2},
		Votes: []change.Vote{
			{PatchSet: 1, AccountID: 3, Label: "Code-Review", Value: 1},
			{PatchSet: 2, AccountID: 1, Label: "Code-Review", Value: 2, Tag: "t"},
		},
		Reviewers: []change.Reviewer{{AccountID: 2, State: change.StateReviewer}, {AccountID: 4, State: change.StateCC}},
	}
	got := LabelInfos(snap, []project.LabelType{l}, ranges)[0].All
	two, zero := 2, 0
	want := []ApprovalInfo{
		{AccountID: 1, Value: &two, Range: &VotingRange{-2, 2}, Tag: "t"},
		{AccountID: 2, Value: &zero, Range: &VotingRange{-1, 1}},
		{AccountID: 3}, // voted on an old patch set, cannot vote now: no value
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("all =\n%+v\nwant\n%+v", got, want)
	}

	snap.Change.Status = change.StatusMerged
	got = LabelInfos(snap, []project.LabelType{l}, ranges)[0].All
	if len(got) != 1 || got[0].AccountID != 1 {
		t.Errorf("merged change lists %+v, want only the current voter", got)
	}
}

func TestPermittedLabels(t *testing.T) {
	labels := []project.LabelType{label("Code-Review", project.FunctionNoBlock, -2, 2), label("Verified", project.FunctionNoBlock, -1, 1)}
	labels[1].AllowPostSubmit = false
	ranges := func(account int64, label string) (int, int, bool) {
		if label == "Code-Review" {
			return -1, 1, true
		}
		return 0, 0, false
	}
	snap := &Snapshot{Change: &change.Change{Status: change.StatusNew, CurrentPS: 1}, Votes: []change.Vote{cr(7, 1)}}
	if got, want := PermittedLabels(snap, labels, 7, ranges), map[string][]string{"Code-Review": {"-1", " 0", "+1"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("open change: %v, want %v", got, want)
	}
	snap.Change.Status = change.StatusMerged
	if got, want := PermittedLabels(snap, labels, 7, ranges), map[string][]string{"Code-Review": {"+1"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("merged change after +1: %v, want %v (no lowering, no post-submit Verified)", got, want)
	}
	snap.Votes = []change.Vote{cr(7, -1)}
	if got, want := PermittedLabels(snap, labels, 7, ranges), map[string][]string{"Code-Review": {"-1", " 0", "+1"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("merged change after -1: %v, want %v", got, want)
	}
}

func TestPatchSetLocked(t *testing.T) {
	lock := label("Lock", project.FunctionPatchSetLock, 0, 1)
	tests := []struct {
		desc  string
		votes []change.Vote
		want  bool
	}{
		{"no vote", nil, false},
		{"lock vote", []change.Vote{{Label: "Lock", Value: 1}}, true},
		{"other label at max", []change.Vote{{Label: "Code-Review", Value: 1}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := PatchSetLocked([]project.LabelType{lock, label("Code-Review", "", -1, 1)}, tc.votes); got != tc.want {
				t.Errorf("PatchSetLocked = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFormatVote(t *testing.T) {
	for _, tc := range []struct {
		value int
		want  string
	}{{2, "Code-Review+2"}, {-1, "Code-Review-1"}, {0, "-Code-Review"}} {
		if got := project.FormatVote("Code-Review", tc.value); got != tc.want {
			t.Errorf("project.FormatVote(%d) = %q, want %q", tc.value, got, tc.want)
		}
	}
}
