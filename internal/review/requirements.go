package review

import (
	"context"
	"fmt"
	"strings"

	"tandem/internal/change"
	"tandem/internal/project"
)

// Statuses of a submit requirement (SubmitRequirementResultInfo.status).
const (
	RequirementSatisfied     = "SATISFIED"
	RequirementUnsatisfied   = "UNSATISFIED"
	RequirementOverridden    = "OVERRIDDEN"
	RequirementNotApplicable = "NOT_APPLICABLE"
	RequirementError         = "ERROR"
)

// Statuses of one expression of a requirement.
const (
	ExprPass         = "PASS"
	ExprFail         = "FAIL"
	ExprError        = "ERROR"
	ExprNotEvaluated = "NOT_EVALUATED"
)

// ExpressionResult is SubmitRequirementExpressionInfo.
type ExpressionResult struct {
	Expression   string
	Fulfilled    bool
	Status       string
	ErrorMessage string
	PassingAtoms []string
	FailingAtoms []string
}

// RequirementResult is SubmitRequirementResultInfo; Applicability and
// Override are nil when the requirement has no such expression.
type RequirementResult struct {
	Name           string
	Description    string
	Status         string
	IsLegacy       bool
	Applicability  *ExpressionResult
	Submittability ExpressionResult
	Override       *ExpressionResult
}

// Fulfilled reports whether the requirement lets the change be submitted.
func (r *RequirementResult) Fulfilled() bool {
	switch r.Status {
	case RequirementSatisfied, RequirementOverridden, RequirementNotApplicable:
		return true
	}
	return false
}

// Evaluation is the submit verdict on one change.
type Evaluation struct {
	Labels       []project.LabelType
	Record       SubmitRecord
	Requirements []RequirementResult // configured ones first, then legacy ones
	Submittable  bool
	// Problems say why the change cannot be submitted, in Gerrit's texts:
	// "Change 7 is merged", "Change 7 is work in progress",
	// "submit requirement 'Code-Review' is unsatisfied." (Gerrit's submit
	// reports the first one, as "Change 7: <problem>").
	Problems []string
}

// Evaluate computes the submit record, the submit requirements and the
// verdict of a loaded change.
func (s *Service) Evaluate(ctx context.Context, snap *Snapshot) (*Evaluation, error) {
	pol, err := s.policyFor(ctx, snap.Change)
	if err != nil {
		return nil, err
	}
	return s.evaluate(ctx, snap, pol.labels, pol.reqs), nil
}

func (s *Service) evaluate(ctx context.Context, snap *Snapshot, labels []project.LabelType, reqs []project.SubmitRequirement) *Evaluation {
	c := snap.Change
	ev := &Evaluation{Labels: labels, Record: EvaluateRecord(c, labels, snap.CurrentVotes())}
	facts := &Facts{Snapshot: snap, Labels: labels}
	for _, r := range reqs {
		ev.Requirements = append(ev.Requirements, s.evaluateRequirement(ctx, r, facts))
	}
	ev.Requirements = mergeLegacy(ev.Requirements, legacyRequirements(labels, ev.Record))

	switch {
	case !c.Status.Open():
		ev.Problems = append(ev.Problems, fmt.Sprintf("Change %d is %s", c.Number, statusWord(c.Status)))
	case c.WIP:
		ev.Problems = append(ev.Problems, fmt.Sprintf("Change %d is work in progress", c.Number))
	}
	for _, r := range ev.Requirements {
		switch {
		case r.Status == RequirementError:
			ev.Problems = append(ev.Problems, fmt.Sprintf("submit requirement '%s' has an error: %s", r.Name, r.errorMessage()))
		case !r.Fulfilled():
			ev.Problems = append(ev.Problems, fmt.Sprintf("submit requirement '%s' is unsatisfied.", r.Name))
		}
	}
	ev.Submittable = len(ev.Problems) == 0
	return ev
}

func (r *RequirementResult) errorMessage() string {
	for _, e := range []*ExpressionResult{r.Applicability, &r.Submittability, r.Override} {
		if e != nil && e.Status == ExprError {
			return e.ErrorMessage
		}
	}
	return "unknown error"
}

// evaluateRequirement follows Gerrit: applicability first; an applicable
// requirement is overridden when overrideIf matches, else satisfied when
// submittableIf does. An expression that cannot be evaluated makes the
// requirement ERROR.
func (s *Service) evaluateRequirement(ctx context.Context, r project.SubmitRequirement, f *Facts) RequirementResult {
	res := RequirementResult{Name: r.Name, Description: r.Description}
	notEvaluated := func(expr string) ExpressionResult {
		return ExpressionResult{Expression: expr, Status: ExprNotEvaluated}
	}
	applicable := true
	if strings.TrimSpace(r.ApplicableIf) != "" {
		a := s.evaluateExpression(ctx, r.ApplicableIf, f)
		res.Applicability = &a
		applicable = a.Status == ExprPass
	}
	if !applicable {
		res.Submittability = notEvaluated(r.SubmittableIf)
		if strings.TrimSpace(r.OverrideIf) != "" {
			o := notEvaluated(r.OverrideIf)
			res.Override = &o
		}
		res.Status = RequirementNotApplicable
		if res.Applicability.Status == ExprError {
			res.Status = RequirementError
		}
		return res
	}
	res.Submittability = s.evaluateExpression(ctx, r.SubmittableIf, f)
	if strings.TrimSpace(r.OverrideIf) != "" {
		o := s.evaluateExpression(ctx, r.OverrideIf, f)
		res.Override = &o
	}
	switch {
	case res.Override != nil && res.Override.Status == ExprPass:
		res.Status = RequirementOverridden
	case res.Override != nil && res.Override.Status == ExprError, res.Submittability.Status == ExprError:
		res.Status = RequirementError
	case res.Submittability.Status == ExprPass:
		res.Status = RequirementSatisfied
	default:
		res.Status = RequirementUnsatisfied
	}
	return res
}

func (s *Service) evaluateExpression(ctx context.Context, expr string, f *Facts) ExpressionResult {
	out := ExpressionResult{Expression: expr}
	if s.matcher == nil {
		out.Status, out.ErrorMessage = ExprError, "submit requirements cannot be evaluated on this server"
		return out
	}
	m, err := s.matcher.Match(ctx, expr, f)
	if err != nil {
		out.Status = ExprError
		out.ErrorMessage = err.Error()
		return out
	}
	out.Fulfilled = m.Matched
	out.Status = ExprFail
	if m.Matched {
		out.Status = ExprPass
	}
	out.PassingAtoms, out.FailingAtoms = m.PassingAtoms, m.FailingAtoms
	return out
}

// legacyRequirements turns the record's labels whose function takes part
// in submit into requirements named after the label (is_legacy).
func legacyRequirements(labels []project.LabelType, rec SubmitRecord) []RequirementResult {
	var out []RequirementResult
	for i, l := range labels {
		if !isBlocking(l) {
			continue
		}
		var atoms []string
		switch l.Function {
		case project.FunctionAnyWithBlock:
			atoms = []string{"-label:" + l.Name + "=MIN"}
		case project.FunctionMaxNoBlock:
			atoms = []string{"label:" + l.Name + "=MAX"}
		default:
			atoms = []string{"label:" + l.Name + "=MAX", "-label:" + l.Name + "=MIN"}
		}
		e := ExpressionResult{Expression: strings.Join(atoms, " ")}
		switch rec.Labels[i].Status {
		case LabelOK, LabelMay:
			e.Status, e.Fulfilled, e.PassingAtoms = ExprPass, true, atoms
		default:
			e.Status, e.FailingAtoms = ExprFail, atoms
		}
		r := RequirementResult{Name: l.Name, IsLegacy: true, Submittability: e, Status: RequirementUnsatisfied}
		if e.Status == ExprPass {
			r.Status = RequirementSatisfied
		}
		out = append(out, r)
	}
	return out
}

// mergeLegacy drops a legacy requirement when a configured one of the same
// name (case-insensitively) agrees with it on submittability.
func mergeLegacy(configured, legacy []RequirementResult) []RequirementResult {
	out := configured
	for _, l := range legacy {
		drop := false
		for _, c := range configured {
			if strings.EqualFold(c.Name, l.Name) && c.Fulfilled() == l.Fulfilled() {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, l)
		}
	}
	return out
}

// Submittable reports whether change c can be submitted now (is:submittable).
func (s *Service) Submittable(ctx context.Context, c *change.Change) (bool, error) {
	problems, err := s.SubmitProblems(ctx, c)
	return len(problems) == 0, err
}

// SubmitProblems returns why change c cannot be submitted, nil when it
// can; see Evaluation.Problems for the texts.
func (s *Service) SubmitProblems(ctx context.Context, c *change.Change) ([]string, error) {
	snap, err := s.Load(ctx, s.db, c.Number)
	if err != nil {
		return nil, err
	}
	ev, err := s.Evaluate(ctx, snap)
	if err != nil {
		return nil, err
	}
	return ev.Problems, nil
}
