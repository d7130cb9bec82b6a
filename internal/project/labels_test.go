package project

import (
	"reflect"
	"testing"
)

func TestParseLabels(t *testing.T) {
	c := mustParse(t, `[label "Verified"]
	function = maxwithblock
	value = +1 Verified
	value = -1   Fails  badly
	value = 0
	defaultValue = 0
	description = CI says
	copyCondition = changekind:NO_CODE_CHANGE
	allowPostSubmit = false
	canOverride = no
	branch = refs/heads/main
	branch = ^refs/heads/rel-.*
[label "Plain"]
	value = 0 No
	value = 1 Yes
[submit-requirement "Verified"]
	description = needs CI
	applicableIf = -branch:refs/meta/config
	submittableIf = label:Verified=MAX
	overrideIf = label:Override=+1
	canOverrideInChildProjects
`, "")
	wantLabels := []LabelType{
		{
			Name: "Verified", Function: FunctionMaxWithBlock, Description: "CI says", CopyCondition: "changekind:NO_CODE_CHANGE",
			Values:   []LabelValue{{-1, "Fails  badly"}, {0, ""}, {1, "Verified"}},
			Branches: []string{"refs/heads/main", "^refs/heads/rel-.*"},
		},
		{Name: "Plain", Function: FunctionMaxWithBlock, Values: []LabelValue{{0, "No"}, {1, "Yes"}}, AllowPostSubmit: true, CanOverride: true},
	}
	if !reflect.DeepEqual(c.Labels, wantLabels) {
		t.Fatalf("Labels =\n%+v\nwant\n%+v", c.Labels, wantLabels)
	}
	wantSR := []SubmitRequirement{{Name: "Verified", Description: "needs CI", ApplicableIf: "-branch:refs/meta/config",
		SubmittableIf: "label:Verified=MAX", OverrideIf: "label:Override=+1", CanOverrideInChildProjects: true}}
	if !reflect.DeepEqual(c.SubmitRequirements, wantSR) {
		t.Fatalf("SubmitRequirements = %+v, want %+v", c.SubmitRequirements, wantSR)
	}
	l := c.Labels[0]
	if l.Min() != -1 || l.Max() != 1 {
		t.Fatalf("Min/Max = %d/%d", l.Min(), l.Max())
	}
}

func TestLabelErrors(t *testing.T) {
	tests := []struct {
		desc, pc, want string
	}{
		{desc: "bad value", pc: "[label \"X\"]\n\tvalue = one Yes\n\tvalue = 0 No\n", want: `project.config line 2: invalid value "one Yes" for label "X"`},
		{desc: "duplicate value", pc: "[label \"X\"]\n\tvalue = 0 No\n\tvalue = +0 Zero\n", want: `project.config line 3: duplicate value 0 for label "X"`},
		{desc: "no values", pc: "[project]\n[label \"X\"]\n\tfunction = NoBlock\n", want: `project.config line 2: label "X" has no values`},
		{desc: "bad function", pc: "[label \"X\"]\n\tvalue = 0 No\n\tfunction = Max\n", want: `project.config line 3: invalid function "Max" for label "X"`},
		{desc: "default not a value", pc: "[label \"X\"]\n\tvalue = 0 No\n\tdefaultValue = 2\n", want: `project.config line 3: defaultValue 2 is not a value of label "X"`},
		{desc: "bad default", pc: "[label \"X\"]\n\tvalue = 0 No\n\tdefaultValue = x\n", want: `project.config line 3: invalid defaultValue "x" for label "X"`},
		{desc: "bad boolean", pc: "[label \"X\"]\n\tvalue = 0 No\n\tcanOverride = sometimes\n", want: `project.config line 3: invalid boolean "sometimes" for label.X.canOverride`},
		{desc: "bad branch", pc: "[label \"X\"]\n\tvalue = 0 No\n\tbranch = main\n", want: `project.config line 3: invalid ref pattern "main": must start with refs/ or ^refs/ for label "X"`},
		{desc: "bad name", pc: "[label \"Code Review\"]\n\tvalue = 0 No\n", want: `project.config line 1: invalid label name "Code Review"`},
		{desc: "requirement without submittableIf", pc: "[submit-requirement \"R\"]\n\tapplicableIf = is:open\n", want: `project.config line 1: submit requirement "R" has no submittableIf`},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := Parse([]byte(tc.pc), nil)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestEffectiveLabels(t *testing.T) {
	cr := CodeReviewLabel()
	verified := LabelType{Name: "Verified", Values: []LabelValue{{-1, "Fails"}, {0, "No score"}, {1, "Verified"}}, CanOverride: true}
	locked := verified
	locked.CanOverride = false
	narrowCR := cr
	narrowCR.Values = []LabelValue{{-1, "No"}, {0, "Meh"}, {1, "Yes"}}
	removedCR := LabelType{Name: "code-review", Values: []LabelValue{{0, "gone"}}}
	tests := []struct {
		desc  string
		chain []*Config
		want  []LabelType
	}{
		{desc: "inherited", chain: []*Config{{}, {Labels: []LabelType{cr}}}, want: []LabelType{cr}},
		{desc: "child adds", chain: []*Config{{Labels: []LabelType{verified}}, {Labels: []LabelType{cr}}}, want: []LabelType{cr, verified}},
		{desc: "child overrides", chain: []*Config{{Labels: []LabelType{narrowCR}}, {}, {Labels: []LabelType{cr}}}, want: []LabelType{narrowCR}},
		{desc: "parent forbids override", chain: []*Config{{Labels: []LabelType{verified}}, {Labels: []LabelType{locked}}}, want: []LabelType{locked}},
		{desc: "zero-only value removes", chain: []*Config{{Labels: []LabelType{removedCR}}, {Labels: []LabelType{cr, verified}}}, want: []LabelType{verified}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := EffectiveLabels(tc.chain); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("EffectiveLabels =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestEffectiveSubmitRequirements(t *testing.T) {
	defaults := DefaultSubmitRequirements() // Code-Review overridable, No-Unresolved-Comments not
	childCR := SubmitRequirement{Name: "Code-Review", SubmittableIf: "label:Code-Review=+1"}
	childNUC := SubmitRequirement{Name: "No-Unresolved-Comments", SubmittableIf: "is:true"}
	extra := SubmitRequirement{Name: "Verified", SubmittableIf: "label:Verified=MAX"}
	got := EffectiveSubmitRequirements([]*Config{{SubmitRequirements: []SubmitRequirement{childCR, childNUC, extra}}, {SubmitRequirements: defaults}})
	want := []SubmitRequirement{childCR, defaults[1], extra}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("EffectiveSubmitRequirements =\n%+v\nwant\n%+v", got, want)
	}
}

func TestFormatLabelValue(t *testing.T) {
	for _, tc := range []struct {
		v    int
		want string
	}{{-2, "-2"}, {0, " 0"}, {1, "+1"}} {
		if got := FormatLabelValue(tc.v); got != tc.want {
			t.Fatalf("FormatLabelValue(%d) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestLabelAppliesTo(t *testing.T) {
	l := LabelType{Branches: []string{"refs/heads/main", "refs/heads/stable/*", "^refs/heads/rel-[0-9]+"}}
	tests := []struct {
		desc, ref string
		want      bool
	}{
		{desc: "exact", ref: "refs/heads/main", want: true},
		{desc: "prefix", ref: "refs/heads/stable/1.0", want: true},
		{desc: "regex", ref: "refs/heads/rel-12", want: true},
		{desc: "regex is anchored", ref: "refs/heads/rel-12x", want: false},
		{desc: "other", ref: "refs/heads/dev", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := l.AppliesTo(tc.ref); got != tc.want {
				t.Fatalf("AppliesTo(%q) = %v", tc.ref, got)
			}
		})
	}
	if !(LabelType{}).AppliesTo("refs/heads/x") {
		t.Fatalf("a label without branches applies everywhere")
	}
}
