package review

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
)

// summary writes requirement results as "Name:STATUS" (with "(legacy)").
func summary(rs []RequirementResult) []string {
	var out []string
	for _, r := range rs {
		s := r.Name + ":" + r.Status
		if r.IsLegacy {
			s += "(legacy)"
		}
		out = append(out, s)
	}
	return out
}

func TestRequirements(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		const verified = `[label "Verified"]
	function = MaxWithBlock
	value = -1 Fails
	value = 0 No score
	value = +1 Verified
[label "Override"]
	function = NoOp
	value = 0 No
	value = +1 Yes
[access "refs/heads/*"]
	label-Verified = -1..+1 group Administrators
	label-Override = +0..+1 group Administrators
`
		tests := []struct {
			desc     string
			config   string // of project p
			wip      bool
			status   change.Status
			votes    map[string]map[string]int // username → votes
			comment  bool                      // an unresolved comment
			want     []string
			problems []string
		}{
			{desc: "no votes", want: []string{"Code-Review:UNSATISFIED", "No-Unresolved-Comments:NOT_APPLICABLE"},
				problems: []string{"submit requirement 'Code-Review' is unsatisfied."}},
			{desc: "approved", votes: map[string]map[string]int{"admin": {"Code-Review": 2}},
				want: []string{"Code-Review:SATISFIED", "No-Unresolved-Comments:NOT_APPLICABLE"}},
			{desc: "+1 is not enough", votes: map[string]map[string]int{"alice": {"Code-Review": 1}},
				want:     []string{"Code-Review:UNSATISFIED", "No-Unresolved-Comments:NOT_APPLICABLE"},
				problems: []string{"submit requirement 'Code-Review' is unsatisfied."}},
			{desc: "a veto", votes: map[string]map[string]int{"admin": {"Code-Review": 2}, "ci": {"Code-Review": -2}},
				want:     []string{"Code-Review:UNSATISFIED", "No-Unresolved-Comments:NOT_APPLICABLE"},
				problems: []string{"submit requirement 'Code-Review' is unsatisfied."}},
			{desc: "unresolved comments", votes: map[string]map[string]int{"admin": {"Code-Review": 2}}, comment: true,
				want:     []string{"Code-Review:SATISFIED", "No-Unresolved-Comments:UNSATISFIED"},
				problems: []string{"submit requirement 'No-Unresolved-Comments' is unsatisfied."}},
			{desc: "work in progress", wip: true, votes: map[string]map[string]int{"admin": {"Code-Review": 2}},
				want: []string{"Code-Review:SATISFIED", "No-Unresolved-Comments:NOT_APPLICABLE"}, problems: []string{"Change %d is work in progress"}},
			{desc: "merged", status: change.StatusMerged, votes: map[string]map[string]int{"admin": {"Code-Review": 2}},
				want: []string{"Code-Review:SATISFIED", "No-Unresolved-Comments:NOT_APPLICABLE"}, problems: []string{"Change %d is merged"}},
			{desc: "a blocking label gives a legacy requirement", config: verified, votes: map[string]map[string]int{"admin": {"Code-Review": 2}},
				want:     []string{"Code-Review:SATISFIED", "No-Unresolved-Comments:NOT_APPLICABLE", "Verified:UNSATISFIED(legacy)"},
				problems: []string{"submit requirement 'Verified' is unsatisfied."}},
			{desc: "legacy requirement satisfied", config: verified, votes: map[string]map[string]int{"admin": {"Code-Review": 2, "Verified": 1}},
				want: []string{"Code-Review:SATISFIED", "No-Unresolved-Comments:NOT_APPLICABLE", "Verified:SATISFIED(legacy)"}},
			{desc: "a configured requirement hides the legacy one that agrees", config: verified + `[submit-requirement "Verified"]
	submittableIf = label:Verified=MAX
`, votes: map[string]map[string]int{"admin": {"Code-Review": 2}},
				want:     []string{"Code-Review:SATISFIED", "No-Unresolved-Comments:NOT_APPLICABLE", "Verified:UNSATISFIED"},
				problems: []string{"submit requirement 'Verified' is unsatisfied."}},
			{desc: "overridden in a child project", config: verified + `[submit-requirement "Code-Review"]
	submittableIf = label:Code-Review=MAX AND -label:Code-Review=MIN
	overrideIf = label:Override=+1
[label "Verified"]
	function = NoBlock
`, votes: map[string]map[string]int{"admin": {"Override": 1}},
				want: []string{"Code-Review:OVERRIDDEN", "No-Unresolved-Comments:NOT_APPLICABLE"}},
			{desc: "not applicable", config: `[submit-requirement "Code-Review"]
	applicableIf = is:false
	submittableIf = label:Code-Review=MAX
`, want: []string{"Code-Review:NOT_APPLICABLE", "No-Unresolved-Comments:NOT_APPLICABLE"}},
			{desc: "an expression that cannot be evaluated", config: `[submit-requirement "Odd"]
	submittableIf = foo:bar
`, votes: map[string]map[string]int{"admin": {"Code-Review": 2}},
				want:     []string{"Code-Review:SATISFIED", "No-Unresolved-Comments:NOT_APPLICABLE", "Odd:ERROR"},
				problems: []string{"submit requirement 'Odd' has an error: Unsupported operator foo:bar"}},
		}
		users := map[string]*accountRef{}
		for _, a := range []*accountRef{{"admin", e.admin.ID}, {"alice", e.alice.ID}, {"ci", e.ci.ID}} {
			users[a.name] = a
		}
		// ci may veto.
		if _, err := e.accounts.AddMember(e.ctx, e.admins, e.ci.ID, e.ci.ID); err != nil {
			t.Fatal(err)
		}
		for _, tc := range tests {
			t.Run(tc.desc, func(t *testing.T) {
				e.setProject("p", tc.config)
				status := tc.status
				if status == "" {
					status = change.StatusNew
				}
				c := e.seed(func(c *change.Change) { c.WIP = tc.wip })
				for _, name := range slices.Sorted(maps.Keys(tc.votes)) {
					acc, err := e.accounts.Get(e.ctx, users[name].id)
					if err != nil {
						t.Fatal(err)
					}
					e.vote(acc, c.Number, tc.votes[name])
				}
				if tc.comment {
					if _, err := e.svc.Review(e.ctx, e.subj(e.alice), c.Number, 0, ReviewInput{Comments: map[string][]CommentInput{
						"a.txt": {{Line: 1, Message: "fix", Unresolved: ptr(true)}}}}); err != nil {
						t.Fatal(err)
					}
				}
				if status != change.StatusNew {
					setChangeStatus(t, e, c.Number, status)
				}
				ev, err := e.svc.Evaluate(e.ctx, e.load(c.Number))
				if err != nil {
					t.Fatal(err)
				}
				if got := summary(ev.Requirements); !reflect.DeepEqual(got, tc.want) {
					t.Errorf("requirements %v, want %v", got, tc.want)
				}
				var want []string
				for _, p := range tc.problems {
					if strings.Contains(p, "%d") {
						p = fmt.Sprintf(p, c.Number)
					}
					want = append(want, p)
				}
				if !reflect.DeepEqual(ev.Problems, want) || ev.Submittable != (len(want) == 0) {
					t.Errorf("problems %q (submittable %v), want %q", ev.Problems, ev.Submittable, want)
				}
				ok, err := e.svc.Submittable(e.ctx, e.get(c.Number))
				if err != nil || ok != ev.Submittable {
					t.Errorf("Submittable = %v, %v; want %v", ok, err, ev.Submittable)
				}
			})
		}
	})
}

type accountRef struct {
	name string
	id   int64
}

func setChangeStatus(t *testing.T, e *env, n int64, st change.Status) {
	t.Helper()
	err := e.db.Tx(e.ctx, func(tx *db.Tx) error {
		c, err := e.store.Get(e.ctx, tx, n)
		if err != nil {
			return err
		}
		c.Status = st
		return e.store.Update(e.ctx, tx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRequirementDetails(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.seed()
		e.vote(e.admin, c.Number, map[string]int{"Code-Review": 2})
		ev, err := e.svc.Evaluate(e.ctx, e.load(c.Number))
		if err != nil {
			t.Fatal(err)
		}
		cr, nuc := ev.Requirements[0], ev.Requirements[1]
		wantCR := ExpressionResult{Expression: "label:Code-Review=MAX AND -label:Code-Review=MIN", Fulfilled: true, Status: ExprPass,
			PassingAtoms: []string{"label:Code-Review=MAX"}, FailingAtoms: []string{"label:Code-Review=MIN"}}
		if !reflect.DeepEqual(cr.Submittability, wantCR) || cr.Applicability != nil || cr.Override != nil || cr.Description == "" {
			t.Errorf("Code-Review %+v", cr)
		}
		if nuc.Applicability == nil || nuc.Applicability.Status != ExprFail || nuc.Submittability.Status != ExprNotEvaluated ||
			nuc.Submittability.Expression != "-has:unresolved" {
			t.Errorf("No-Unresolved-Comments %+v", nuc)
		}

		status, by, err := e.svc.LabelStatus(e.ctx, e.get(c.Number), "code-review")
		if err != nil || status != LabelMay || by != e.admin.ID {
			t.Errorf("LabelStatus = %s by %d, %v; want MAY by admin", status, by, err)
		}
		if status, _, _ := e.svc.LabelStatus(e.ctx, e.get(c.Number), "Nope"); status != "" {
			t.Errorf("status of an unknown label %q", status)
		}
	})
}

func TestLabelsView(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.seed()
		e.vote(e.alice, c.Number, map[string]int{"Code-Review": 1})
		if _, err := e.svc.AddReviewer(e.ctx, e.subj(e.owner), c.Number, ReviewerInput{Reviewer: "bob"}); err != nil {
			t.Fatal(err)
		}
		v, err := e.svc.Labels(e.ctx, e.subj(e.alice), e.load(c.Number), true)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Labels) != 1 {
			t.Fatalf("labels %+v", v.Labels)
		}
		l := v.Labels[0]
		if l.Name != "Code-Review" || !l.Optional || l.Recommended != e.alice.ID || l.Value != 1 || len(l.Values) != 5 {
			t.Errorf("label %+v", l)
		}
		var all []string
		for _, a := range l.All {
			s := fmt.Sprintf("%d", a.AccountID)
			if a.Value != nil {
				s += fmt.Sprintf("=%d", *a.Value)
			}
			if a.Range != nil {
				s += fmt.Sprintf("[%d..%d]", a.Range.Min, a.Range.Max)
			}
			all = append(all, s)
		}
		want := []string{fmt.Sprintf("%d=1[-1..1]", e.alice.ID), fmt.Sprintf("%d=0[-1..1]", e.bob.ID)}
		if !reflect.DeepEqual(all, want) {
			t.Errorf("all %v, want %v", all, want)
		}
		if want := map[string][]string{"Code-Review": {"-1", " 0", "+1"}}; !reflect.DeepEqual(v.Permitted, want) {
			t.Errorf("permitted %v, want %v", v.Permitted, want)
		}
		if v.Record.Status != RecordOK {
			t.Errorf("record %+v", v.Record)
		}

		anon, err := e.svc.Labels(e.ctx, e.subj(e.owner), e.load(c.Number), false)
		if err != nil || anon.Labels[0].All != nil {
			t.Errorf("not detailed: %+v, %v", anon, err)
		}

		r, err := e.svc.RightsOf(e.ctx, e.subj(e.owner), e.get(c.Number))
		if err != nil {
			t.Fatal(err)
		}
		if !r.Abandon || r.Restore || !r.EditTopic || !r.ToggleWIP || !r.SetPrivate || r.Vote["Code-Review"] != [2]int{-1, 1} {
			t.Errorf("owner's rights %+v", r)
		}
		r, err = e.svc.RightsOf(e.ctx, e.subj(e.admin), e.get(c.Number))
		if err != nil || r.Vote["Code-Review"] != [2]int{-2, 2} || !r.Abandon {
			t.Errorf("admin's rights %+v, %v", r, err)
		}
	})
}
