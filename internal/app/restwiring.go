package app

// Adapters from the REST change API's interfaces (internal/httpd/restapi)
// to the domain services: the query language, review (labels, submit
// requirements, votes, comments, reviewers, state), submit and merge.
// They translate types only; every decision is the domain's.

import (
	"cmp"
	"context"

	"tandem/internal/access"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/fail"
	"tandem/internal/git/refupdate"
	"tandem/internal/httpd/restapi"
	"tandem/internal/project"
	"tandem/internal/query"
	"tandem/internal/review"
	"tandem/internal/submit"
)

// restQuery runs change queries with the query language, showing the
// viewer what review says it may see.
type restQuery struct{ c *components }

func (r restQuery) Run(ctx context.Context, viewer access.Subject, text string, page restapi.QueryPage) ([]*change.Change, bool, error) {
	opts := r.c.queryOptions(viewer.AccountID)
	opts.Visible = r.c.reviews.VisibleTo(viewer)
	opts.Start, opts.Limit, opts.MaxLimit, opts.NoLimit = page.Start, page.Limit, page.MaxLimit, page.NoLimit
	return query.Run(ctx, r.c.db, text, opts)
}

func (r restQuery) Sees(ctx context.Context, viewer access.Subject, chk *access.Checker, c *change.Change) (bool, error) {
	return r.c.reviews.Sees(ctx, viewer, chk, c)
}

// snapshotOf is the review snapshot of a change's rows loaded by a page.
func snapshotOf(rows restapi.ChangeRows) *review.Snapshot {
	return &review.Snapshot{Change: rows.Change, PatchSets: rows.PatchSets, Votes: rows.Votes, Reviewers: rows.Reviewers,
		Comments: rows.Comments, Hashtags: rows.Hashtags, Files: rows.Files}
}

// accountRef is a bare account, nil for none (0).
func accountRef(id int64) *restapi.AccountInfo {
	if id == 0 {
		return nil
	}
	return &restapi.AccountInfo{ID: id}
}

// restLabels computes labels with review's label rules; reviews is nil
// until ForPage gives a page its own policy memo.
type restLabels struct {
	c       *components
	reviews *review.Service
}

// ForPage returns a labeler that reads each project's policy once for
// the page.
func (l restLabels) ForPage() restapi.Labeler {
	return restLabels{c: l.c, reviews: l.c.reviews.WithPolicyMemo()}
}

// service is the page's review service, or the shared one.
func (l restLabels) service() *review.Service { return cmp.Or(l.reviews, l.c.reviews) }

// Rights answers a page's change actions with the page's policy memo.
func (l restLabels) Rights(ctx context.Context, viewer access.Subject, ch *change.Change) (restapi.ChangeRights, error) {
	return changeRights(ctx, l.service(), viewer, ch)
}

func (l restLabels) Labels(ctx context.Context, viewer access.Subject, rows restapi.ChangeRows, detailed bool) (restapi.LabelsResult, error) {
	reviews := l.service()
	snap := snapshotOf(rows)
	v, err := reviews.Labels(ctx, viewer, snap, detailed)
	if err != nil {
		return restapi.LabelsResult{}, err
	}
	out := restapi.LabelsResult{Labels: make(map[string]*restapi.LabelInfo, len(v.Labels)), Permitted: v.Permitted}
	for _, li := range v.Labels {
		out.Labels[li.Name] = labelInfo(li, detailed)
	}
	if detailed && viewer.AccountID != 0 {
		if out.Removable, err = reviews.RemovableReviewers(ctx, viewer, snap); err != nil {
			return restapi.LabelsResult{}, err
		}
	}
	return out, nil
}

// labelInfo is Gerrit's LabelInfo of a label review evaluated; values,
// the default value, the description and every approval belong to
// DETAILED_LABELS.
func labelInfo(l review.LabelInfo, detailed bool) *restapi.LabelInfo {
	li := &restapi.LabelInfo{Optional: l.Optional, Blocking: l.Blocking, Value: l.Value,
		Approved: accountRef(l.Approved), Rejected: accountRef(l.Rejected),
		Recommended: accountRef(l.Recommended), Disliked: accountRef(l.Disliked)}
	if !detailed {
		return li
	}
	li.Description = l.Description
	def := l.DefaultValue
	li.DefaultValue = &def
	if len(l.Values) > 0 {
		li.Values = make(map[string]string, len(l.Values))
		for _, v := range l.Values {
			li.Values[project.FormatLabelValue(v.Value)] = v.Text
		}
	}
	for _, a := range l.All {
		ai := restapi.ApprovalInfo{AccountInfo: restapi.AccountInfo{ID: a.AccountID}, Value: a.Value, Tag: a.Tag,
			PostSubmit: a.PostSubmit, Granted: a.Date}
		if a.Range != nil {
			ai.PermittedVotingRange = &restapi.VotingRangeInfo{Min: a.Range.Min, Max: a.Range.Max}
		}
		li.All = append(li.All, ai)
	}
	return li
}

// restRequirements evaluates submit requirements and records with review.
type restRequirements struct{ c *components }

func (r restRequirements) Evaluate(ctx context.Context, _ access.Subject, rows []restapi.ChangeRows) ([]restapi.Evaluation, error) {
	out := make([]restapi.Evaluation, len(rows))
	submitTypes := map[string]string{}
	reviews := r.c.reviews.WithPolicyMemo()
	for i, row := range rows {
		ev, err := reviews.Evaluate(ctx, snapshotOf(row))
		if err != nil {
			return nil, err
		}
		name := row.Change.Project
		st, ok := submitTypes[name]
		if !ok {
			ps, err := r.c.projects.Load(ctx, name)
			if err != nil {
				return nil, err
			}
			st = project.EffectiveSubmitType(ps.Chain)
			submitTypes[name] = st
		}
		e := restapi.Evaluation{Submittable: ev.Submittable, SubmitType: st, Records: []restapi.SubmitRecordInfo{recordInfo(ev.Record)}}
		for _, req := range ev.Requirements {
			e.Requirements = append(e.Requirements, restapi.SubmitRequirementResultInfo{
				Name: req.Name, Description: req.Description, Status: req.Status, IsLegacy: req.IsLegacy,
				ApplicabilityExpressionResult:  expressionInfo(req.Applicability),
				SubmittabilityExpressionResult: expressionInfo(&req.Submittability),
				OverrideExpressionResult:       expressionInfo(req.Override),
			})
		}
		out[i] = e
	}
	return out, nil
}

func recordInfo(rec review.SubmitRecord) restapi.SubmitRecordInfo {
	out := restapi.SubmitRecordInfo{RuleName: rec.RuleName, Status: rec.Status}
	for _, l := range rec.Labels {
		out.Labels = append(out.Labels, restapi.SubmitRecordLabelInfo{Label: l.Label, Status: l.Status, AppliedBy: accountRef(l.AppliedBy)})
	}
	return out
}

func expressionInfo(e *review.ExpressionResult) *restapi.SubmitRequirementExpressionResult {
	if e == nil {
		return nil
	}
	return &restapi.SubmitRequirementExpressionResult{Expression: e.Expression, Fulfilled: e.Fulfilled, Status: e.Status,
		ErrorMessage: e.ErrorMessage, PassingAtoms: e.PassingAtoms, FailingAtoms: e.FailingAtoms}
}

// restReviews performs review actions with review.Service.
type restReviews struct{ c *components }

func (r restReviews) Review(ctx context.Context, by restapi.Actor, ch *change.Change, ps *change.PatchSet, in restapi.ReviewInput) (restapi.ReviewResult, error) {
	rin := review.ReviewInput{Message: in.Message, Tag: in.Tag, Drafts: in.Drafts, DraftIDsToPublish: in.DraftIDsToPublish,
		OmitDuplicateComments: in.OmitDuplicateComments, Ready: in.Ready, WorkInProgress: in.WorkInProgress, OnBehalfOf: in.OnBehalfOf,
		AddToAttentionSet: attentionInputs(in.AddToAttentionSet), RemoveFromAttentionSet: attentionInputs(in.RemoveFromAttentionSet),
		IgnoreAutomaticAttentionRules: in.IgnoreAutomaticAttentionSetRules}
	if len(in.Labels) > 0 {
		rin.Labels = make(map[string]int, len(in.Labels))
		for name, v := range in.Labels {
			rin.Labels[name] = int(v)
		}
	}
	if len(in.Comments) > 0 {
		rin.Comments = make(map[string][]review.CommentInput, len(in.Comments))
		for path, cs := range in.Comments {
			for _, c := range cs {
				rin.Comments[path] = append(rin.Comments[path], review.CommentInput{ID: c.ID, Side: c.Side, Parent: c.Parent,
					Line: c.Line, Range: rangeOf(c.Range), InReplyTo: c.InReplyTo, Message: c.Message, Unresolved: c.Unresolved})
			}
		}
	}
	for _, ri := range in.Reviewers {
		rin.Reviewers = append(rin.Reviewers, review.ReviewerInput{Reviewer: ri.Reviewer, State: ri.State, Confirmed: ri.Confirmed})
	}
	res, err := r.c.reviews.Review(ctx, by.Subject, ch.Number, ps.Number, rin)
	if err != nil {
		return restapi.ReviewResult{}, err
	}
	out := restapi.ReviewResult{Ready: res.Ready, Error: res.Error}
	if len(res.Labels) > 0 {
		out.Labels = res.Labels
	}
	if len(res.Reviewers) > 0 {
		out.Reviewers = make(map[string]restapi.AddReviewerResult, len(res.Reviewers))
		for input, rr := range res.Reviewers {
			out.Reviewers[input] = addReviewerResult(rr)
		}
	}
	return out, nil
}

func rangeOf(r *restapi.CommentRange) *change.Range {
	if r == nil {
		return nil
	}
	return &change.Range{StartLine: r.StartLine, StartCharacter: r.StartCharacter, EndLine: r.EndLine, EndCharacter: r.EndCharacter}
}

// addReviewerResult is review's outcome for one reviewer input, with bare
// accounts (the REST layer renders them).
func addReviewerResult(rr *review.ReviewerResult) restapi.AddReviewerResult {
	out := restapi.AddReviewerResult{Input: rr.Input, Error: rr.Error, Confirm: rr.Confirm}
	info := func(ri review.ReviewerInfo) restapi.ReviewerInfo {
		approvals := ri.Approvals
		if approvals == nil {
			approvals = map[string]string{}
		}
		return restapi.ReviewerInfo{AccountInfo: restapi.AccountInfo{ID: ri.AccountID}, Approvals: approvals}
	}
	for _, ri := range rr.Reviewers {
		out.Reviewers = append(out.Reviewers, info(ri))
	}
	for _, ri := range rr.CCs {
		out.CCs = append(out.CCs, info(ri))
	}
	return out
}

func (r restReviews) AddReviewer(ctx context.Context, by restapi.Actor, ch *change.Change, in restapi.ReviewerInput) (restapi.ReviewerAdded, error) {
	res, err := r.c.reviews.AddReviewer(ctx, by.Subject, ch.Number, review.ReviewerInput{Reviewer: in.Reviewer, State: in.State, Confirmed: in.Confirmed})
	if err != nil {
		return restapi.ReviewerAdded{}, err
	}
	out := restapi.ReviewerAdded{Error: res.Error, Confirm: res.Confirm}
	for _, ri := range res.Reviewers {
		out.Reviewers = append(out.Reviewers, ri.AccountID)
	}
	for _, ri := range res.CCs {
		out.CCs = append(out.CCs, ri.AccountID)
	}
	return out, nil
}

func (r restReviews) AddToAttentionSet(ctx context.Context, by restapi.Actor, ch *change.Change, in restapi.AttentionSetInput) (int64, error) {
	acc, err := r.c.reviews.AddToAttention(ctx, by.Subject, ch.Number, review.AttentionInput{User: in.User, Reason: in.Reason})
	if err != nil {
		return 0, err
	}
	return acc.ID, nil
}

func (r restReviews) RemoveFromAttentionSet(ctx context.Context, by restapi.Actor, ch *change.Change, accountID int64, reason string) error {
	return r.c.reviews.RemoveFromAttention(ctx, by.Subject, ch.Number, accountID, reason)
}

func attentionInputs(in []restapi.AttentionSetInput) []review.AttentionInput {
	var out []review.AttentionInput
	for _, a := range in {
		out = append(out, review.AttentionInput{User: a.User, Reason: a.Reason})
	}
	return out
}

func (r restReviews) RemoveReviewer(ctx context.Context, by restapi.Actor, ch *change.Change, accountID int64) error {
	return r.c.reviews.RemoveReviewer(ctx, by.Subject, ch.Number, accountID)
}

func (r restReviews) Abandon(ctx context.Context, by restapi.Actor, ch *change.Change, message string) error {
	_, err := r.c.reviews.Abandon(ctx, by.Subject, ch.Number, message)
	return err
}

func (r restReviews) Restore(ctx context.Context, by restapi.Actor, ch *change.Change, message string) error {
	_, err := r.c.reviews.Restore(ctx, by.Subject, ch.Number, message)
	return err
}

func (r restReviews) Rights(ctx context.Context, viewer access.Subject, ch *change.Change) (restapi.ChangeRights, error) {
	return changeRights(ctx, r.c.reviews, viewer, ch)
}

// changeRights is what viewer may do to ch, by reviews' rules.
func changeRights(ctx context.Context, reviews *review.Service, viewer access.Subject, ch *change.Change) (restapi.ChangeRights, error) {
	rt, err := reviews.RightsOf(ctx, viewer, ch)
	if err != nil {
		return restapi.ChangeRights{}, err
	}
	return restapi.ChangeRights{Abandon: rt.Abandon, Restore: rt.Restore, Move: rt.Move, Delete: rt.Delete,
		EditTopic: rt.EditTopic, EditHashtags: rt.EditHashtags, ToggleWIP: rt.ToggleWIP, SetPrivate: rt.SetPrivate, Revert: rt.Revert}, nil
}

func (r restReviews) Move(ctx context.Context, by restapi.Actor, ch *change.Change, in restapi.MoveInput) error {
	_, err := r.c.reviews.Move(ctx, by.Subject, ch.Number, review.MoveInput{Branch: in.DestinationBranch, Message: in.Message, KeepAllVotes: in.KeepAllVotes})
	return err
}

func (r restReviews) Delete(ctx context.Context, by restapi.Actor, ch *change.Change) error {
	return r.c.reviews.Delete(ctx, by.Subject, ch.Number)
}

func (r restReviews) SetTopic(ctx context.Context, by restapi.Actor, ch *change.Change, topic string) error {
	_, err := r.c.reviews.SetTopic(ctx, by.Subject, ch.Number, topic)
	return err
}

func (r restReviews) SetHashtags(ctx context.Context, by restapi.Actor, ch *change.Change, add, remove []string) ([]string, error) {
	return r.c.reviews.EditHashtags(ctx, by.Subject, ch.Number, add, remove)
}

func (r restReviews) SetWorkInProgress(ctx context.Context, by restapi.Actor, ch *change.Change, wip bool, message string) error {
	_, err := r.c.reviews.SetWorkInProgress(ctx, by.Subject, ch.Number, wip, message)
	return err
}

func (r restReviews) SetPrivate(ctx context.Context, by restapi.Actor, ch *change.Change, private bool, message string) error {
	_, err := r.c.reviews.SetPrivate(ctx, by.Subject, ch.Number, private, message)
	return err
}

func (r restReviews) SaveDraft(ctx context.Context, by restapi.Actor, ch *change.Change, ps *change.PatchSet, in restapi.CommentInput) (*change.Comment, error) {
	return r.c.reviews.SaveDraft(ctx, by.Subject, ch.Number, ps.Number, review.DraftInput{ID: in.ID, Path: in.Path,
		Side: in.Side, Parent: in.Parent, Line: in.Line, Range: rangeOf(in.Range), InReplyTo: in.InReplyTo,
		Message: in.Message, Tag: in.Tag, Unresolved: in.Unresolved})
}

func (r restReviews) DeleteDraft(ctx context.Context, by restapi.Actor, ch *change.Change, id string) error {
	return r.c.reviews.DeleteDraft(ctx, by.Subject, ch.Number, id)
}

func (r restReviews) SetStar(ctx context.Context, by restapi.Actor, ch *change.Change, on bool) error {
	return r.c.reviews.SetStar(ctx, by.Subject, ch.Number, on)
}

// restSubmitter submits and rebases with submit.Service.
type restSubmitter struct{ c *components }

func submitCaller(by restapi.Actor) submit.Caller {
	return submit.Caller{Account: by.Account, Groups: by.Subject.Groups}
}

func (s restSubmitter) Submit(ctx context.Context, by restapi.Actor, ch *change.Change, ps *change.PatchSet, onBehalfOf string) error {
	caller := submitCaller(by)
	if onBehalfOf != "" {
		var err error
		if caller.OnBehalfOf, err = s.c.reviews.SubmitterOnBehalfOf(ctx, by.Subject, ch, onBehalfOf); err != nil {
			return err
		}
	}
	_, err := s.c.submit.Submit(ctx, caller, ch.Number, ps.Commit)
	return err
}

// Rebase rebases the current patch set; an older one cannot be.
func (s restSubmitter) SubmittedTogether(ctx context.Context, ch *change.Change) ([]*change.Change, error) {
	return s.c.submit.SubmittedTogether(ctx, ch.Number)
}

func (s restSubmitter) Rebase(ctx context.Context, by restapi.Actor, ch *change.Change, ps *change.PatchSet, in restapi.RebaseInput) error {
	if ps.Number != ch.CurrentPS {
		return fail.Errorf(fail.Conflict, "revision %s is not current revision", ps.Commit)
	}
	_, err := s.c.submit.Rebase(ctx, submitCaller(by), ch.Number, in.Base, s.c.serverPatchSet)
	return err
}

// serverPatchSet does, in the transaction that adds a patch set Tandem
// made (a rebase, a published edit, a created or cherry-picked change),
// what an upload does: refuses it when the patch set it replaces is locked,
// copies the sticky votes and records the events. prev is nil for a new
// change.
func (c *components) serverPatchSet(ctx context.Context, q db.Querier, ch *change.Change, prev, next *change.PatchSet) error {
	if prev != nil {
		locked, err := c.reviews.Locked(ctx, q, ch, prev.Number)
		if err != nil {
			return err
		}
		if locked {
			return fail.Errorf(fail.Conflict, "The current patch set of change %d is locked", ch.Number)
		}
		if _, err := c.reviews.CopyVotes(ctx, q, ch, prev, next, next.Kind); err != nil {
			return err
		}
	}
	if err := c.recorder.PatchSetCreated(ctx, q, ch, next, next.UploaderID); err != nil {
		return err
	}
	return c.recorder.RefUpdated(ctx, q, ch.Project, next.Ref(), refupdate.ZeroOID, next.Commit, next.UploaderID)
}

// restCreator makes changes with submit.Service.
type restCreator struct{ c *components }

func (cr restCreator) CreateChange(ctx context.Context, by restapi.Actor, in restapi.ChangeInput) (*change.Change, error) {
	return cr.c.submit.CreateChange(ctx, submitCaller(by), submit.ChangeSpec{Project: in.Project, Branch: in.Branch,
		Subject: in.Subject, Topic: in.Topic, WIP: in.WorkInProgress, Private: in.IsPrivate, BaseCommit: in.BaseCommit}, cr.c.serverPatchSet)
}

func (cr restCreator) Revert(ctx context.Context, by restapi.Actor, ch *change.Change, in restapi.RevertInput) (*change.Change, error) {
	return cr.c.submit.Revert(ctx, submitCaller(by), ch.Number, submit.RevertSpec{Message: in.Message, Topic: in.Topic, WIP: in.WorkInProgress},
		cr.c.serverPatchSet)
}

func (cr restCreator) PureRevert(ctx context.Context, ch *change.Change, claimed string) (bool, error) {
	return cr.c.submit.PureRevert(ctx, ch.Number, claimed)
}

func (cr restCreator) CherryPick(ctx context.Context, by restapi.Actor, ch *change.Change, ps *change.PatchSet, in restapi.CherryPickInput) (*change.Change, error) {
	return cr.c.submit.CherryPick(ctx, submitCaller(by), ch.Number, ps.Number, in.Destination, in.Message, cr.c.serverPatchSet)
}

// restEdits keeps change edits with submit.Service, which publishes them
// as patch sets the way it adds rebased ones.
type restEdits struct{ c *components }

func (e restEdits) Edit(ctx context.Context, by restapi.Actor, ch *change.Change) (*restapi.ChangeEdit, error) {
	ed, err := e.c.submit.GetEdit(ctx, submitCaller(by), ch.Number)
	if err != nil || ed == nil {
		return nil, err
	}
	return &restapi.ChangeEdit{Ref: ed.Ref, Commit: ed.Commit, Base: ed.Base}, nil
}

func (e restEdits) EditFile(ctx context.Context, by restapi.Actor, ch *change.Change, path string, content []byte) error {
	return e.c.submit.EditFile(ctx, submitCaller(by), ch.Number, path, content)
}

func (e restEdits) DeleteEditFile(ctx context.Context, by restapi.Actor, ch *change.Change, path string) error {
	return e.c.submit.DeleteEditFile(ctx, submitCaller(by), ch.Number, path)
}

func (e restEdits) EditMessage(ctx context.Context, by restapi.Actor, ch *change.Change, message string) error {
	return e.c.submit.EditMessage(ctx, submitCaller(by), ch.Number, message)
}

func (e restEdits) DeleteEdit(ctx context.Context, by restapi.Actor, ch *change.Change) error {
	return e.c.submit.DeleteEdit(ctx, submitCaller(by), ch.Number)
}

func (e restEdits) PublishEdit(ctx context.Context, by restapi.Actor, ch *change.Change) error {
	_, err := e.c.submit.PublishEdit(ctx, submitCaller(by), ch.Number, e.c.serverPatchSet)
	return err
}

// restMergeability tells whether a patch set would merge into its branch
// now with the project's submit type.
type restMergeability struct{ c *components }

func (m restMergeability) Mergeable(ctx context.Context, ch *change.Change, ps *change.PatchSet) (restapi.MergeableInfo, error) {
	if !ch.Status.Open() {
		st, err := m.c.projects.Load(ctx, ch.Project)
		if err != nil {
			return restapi.MergeableInfo{}, err
		}
		return restapi.MergeableInfo{SubmitType: project.EffectiveSubmitType(st.Chain), Strategy: "recursive"}, nil
	}
	ok, submitType, err := m.c.mergeableAt(ctx, ch, ps.Commit)
	if err != nil {
		return restapi.MergeableInfo{}, err
	}
	return restapi.MergeableInfo{SubmitType: submitType, Strategy: "recursive", Mergeable: ok}, nil
}
