package review

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/clock"
	"tandem/internal/db"
	"tandem/internal/fail"
	"tandem/internal/project"
)

// Policies gives the compiled access policy and configuration chain of a
// project; *access.Control is one.
type Policies interface {
	Project(ctx context.Context, name string) (*access.Project, *project.State, error)
}

// Accounts is what review needs of accounts and groups; *account.Service is
// one. Its reads go to the database directly, never to a use case's
// transaction, so they are made before a transaction starts where possible.
type Accounts interface {
	Get(ctx context.Context, id int64) (*account.Account, error)
	Resolve(ctx context.Context, id string) (*account.Account, error)
	ResolveGroup(ctx context.Context, id string) (*account.Group, error)
	MembersRecursive(ctx context.Context, g *account.Group) ([]*account.Account, error)
	GroupsOf(ctx context.Context, accountID int64) (map[string]bool, error)
	ServiceUsers(ctx context.Context, ids []int64) (map[int64]bool, error)
}

// Matcher evaluates a change query expression (a submit requirement's
// applicableIf, submittableIf or overrideIf) against one change held in
// memory. An error means the expression could not be evaluated (it does
// not parse, names an unknown operator, …); its message is shown to users
// as the requirement's error.
type Matcher interface {
	Match(ctx context.Context, expr string, f *Facts) (MatchResult, error)
}

// MatchResult is the outcome of a Matcher: whether the expression matched,
// and the leaf terms that did and did not, as Gerrit reports them
// (passing_atoms, failing_atoms).
type MatchResult struct {
	Matched      bool
	PassingAtoms []string
	FailingAtoms []string
}

// Facts is what a submit requirement expression is evaluated against.
type Facts struct {
	*Snapshot
	// Labels are the labels that apply to the change (its project's,
	// restricted to its branch), for MAX and MIN.
	Labels []project.LabelType
}

// EventSink receives the events of a use case inside its transaction;
// an adapter over events.Log.Append is the production one.
type EventSink interface {
	Append(ctx context.Context, q db.Querier, ev Event) error
}

// Gerrit's event types emitted here.
const (
	EventCommentAdded        = "comment-added"
	EventReviewerAdded       = "reviewer-added"
	EventReviewerDeleted     = "reviewer-deleted"
	EventChangeAbandoned     = "change-abandoned"
	EventChangeRestored      = "change-restored"
	EventTopicChanged        = "topic-changed"
	EventHashtagsChanged     = "hashtags-changed"
	EventWIPStateChanged     = "wip-state-changed"
	EventPrivateStateChanged = "private-state-changed"
	EventChangeDeleted       = "change-deleted"
)

// Event is one Gerrit event a use case emits. Which fields are set depends
// on Type; Change is the change as it is after the update.
type Event struct {
	Type     string
	Change   *change.Change
	PatchSet *change.PatchSet // the patch set concerned: the reviewed one, else the current one
	Actor    int64            // author, adder, abandoner, restorer, changer, editor, remover, deleter
	When     time.Time
	// Message is the whole change message (comment-added,
	// reviewer-deleted) or the reason (change-abandoned,
	// change-restored).
	Message   string
	Approvals []EventApproval // comment-added: every label; reviewer-deleted: removed votes
	Reviewer  int64           // reviewer-added, reviewer-deleted
	OldTopic  string          // topic-changed
	Added     []string        // hashtags-changed
	Removed   []string        // hashtags-changed
	Hashtags  []string        // hashtags-changed: the set afterwards
}

// EventApproval is a label value in an event; OldValue is set when this
// event changed the value.
type EventApproval struct {
	Label    string
	Value    int
	OldValue *int
}

// Options are a Service's dependencies and settings.
type Options struct {
	DB       *db.DB
	Changes  *change.Store
	Policies Policies
	Accounts Accounts
	Matcher  Matcher      // evaluates submit requirements; required for them
	Events   EventSink    // nil drops events (tests of other packages)
	Repos    Repositories // required to move and delete changes
	Clock    clock.Clock
	Logger   *slog.Logger
	// Committed is called after a transaction that appended events has
	// committed (events.Log.Notify), outside it.
	Committed func()

	// StrictLabels makes a vote on an unknown label an error instead of
	// ignoring it (Gerrit's change.strictLabels).
	StrictLabels bool
	// MaxReviewers bounds the members of a group added as reviewers
	// (addreviewer.maxAllowed; 0 means 20, negative means no limit);
	// MaxReviewersWithoutCheck is the size above which the caller must
	// confirm (addreviewer.maxWithoutConfirmation; 0 means 10, negative
	// means never ask).
	MaxReviewers             int
	MaxReviewersWithoutCheck int
}

// Service runs the review use cases.
type Service struct {
	db       *db.DB
	changes  *change.Store
	policies Policies
	accounts Accounts
	matcher  Matcher
	events   EventSink
	repos    Repositories
	// branchPolicies, set by WithPolicyMemo, keeps policies per branch
	// for one request.
	branchPolicies *branchPolicies
	clock          clock.Clock
	log            *slog.Logger
	committed      func()

	strictLabels     bool
	maxReviewers     int
	maxWithoutCheck  int
	maxTopicLength   int
	maxMessageLength int
}

// Gerrit's defaults for group reviewers.
const (
	defaultMaxReviewers     = 20
	defaultMaxWithoutCheck  = 10
	defaultMaxTopicLength   = 2048
	defaultMaxMessageLength = 1 << 20
)

// New returns a Service.
func New(o Options) *Service {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Service{
		db: o.DB, changes: o.Changes, policies: o.Policies, accounts: o.Accounts, matcher: o.Matcher,
		events: o.Events, repos: o.Repos, clock: o.Clock, log: o.Logger.With("component", "review"), committed: o.Committed,
		strictLabels: o.StrictLabels, maxReviewers: o.MaxReviewers, maxWithoutCheck: o.MaxReviewersWithoutCheck,
		maxTopicLength: defaultMaxTopicLength, maxMessageLength: defaultMaxMessageLength,
	}
	if s.maxReviewers == 0 {
		s.maxReviewers = defaultMaxReviewers
	}
	if s.maxWithoutCheck == 0 {
		s.maxWithoutCheck = defaultMaxWithoutCheck
	}
	return s
}

// now is the time a use case stamps its rows with, at the precision SQL
// keeps (microseconds).
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// emit appends ev through the sink, if any.
func (s *Service) emit(ctx context.Context, q db.Querier, ev Event) error {
	if s.events == nil {
		return nil
	}
	if err := s.events.Append(ctx, q, ev); err != nil {
		return fmt.Errorf("append %s event: %w", ev.Type, err)
	}
	return nil
}

// tx runs fn in a transaction and calls Committed after it commits.
func (s *Service) tx(ctx context.Context, fn func(tx *db.Tx) error) error {
	err := s.db.Tx(ctx, fn)
	if errors.Is(err, change.ErrConcurrentUpdate) {
		// Only possible when another writer slipped in between our read
		// and write inside one transaction; the caller may try again.
		return fail.Wrap(fail.Conflict, err, "change was modified concurrently; try again")
	}
	if err == nil && s.committed != nil {
		s.committed()
	}
	return err
}

// policy is a change's project configuration as one use case sees it.
type policy struct {
	project *access.Project
	state   *project.State
	labels  []project.LabelType // applying to the change's branch
	reqs    []project.SubmitRequirement

	mu       sync.Mutex
	checkers map[int64]*access.Checker // by account: one subject per account in a use case
}

// policyFor loads the configuration of c's project (once per branch for
// a Service made by WithPolicyMemo).
func (s *Service) policyFor(ctx context.Context, c *change.Change) (*policy, error) {
	key := [2]string{c.Project, c.Branch}
	if m := s.branchPolicies; m != nil {
		m.mu.Lock()
		pol := m.m[key]
		m.mu.Unlock()
		if pol != nil {
			return pol, nil
		}
	}
	p, st, err := s.policies.Project(ctx, c.Project)
	if err != nil {
		return nil, fmt.Errorf("load project %q: %w", c.Project, err)
	}
	pol := &policy{
		project:  p,
		state:    st,
		labels:   project.ApplicableLabels(st.Chain, c.Branch),
		reqs:     project.EffectiveSubmitRequirements(st.Chain),
		checkers: map[int64]*access.Checker{},
	}
	if m := s.branchPolicies; m != nil {
		m.mu.Lock()
		m.m[key] = pol
		m.mu.Unlock()
	}
	return pol, nil
}

// findLabel returns the label named name, case-insensitively as Gerrit
// looks labels up.
func findLabel(labels []project.LabelType, name string) (project.LabelType, bool) {
	for _, l := range labels {
		if strings.EqualFold(l.Name, name) {
			return l, true
		}
	}
	return project.LabelType{}, false
}

// actor is the caller of a use case on one change, with its permissions.
type actor struct {
	subj access.Subject
	chk  *access.Checker // as the change owner when the subject owns the change
	c    *change.Change
}

func (p *policy) actor(subj access.Subject, c *change.Change) *actor {
	p.mu.Lock()
	chk, ok := p.checkers[subj.AccountID]
	if !ok {
		chk = p.project.For(subj)
		p.checkers[subj.AccountID] = chk
	}
	p.mu.Unlock()
	if subj.AccountID != 0 && subj.AccountID == c.OwnerID {
		chk = chk.AsChangeOwner()
	}
	return &actor{subj: subj, chk: chk, c: c}
}

func (a *actor) id() int64 { return a.subj.AccountID }

func (a *actor) isOwner() bool { return a.subj.AccountID != 0 && a.subj.AccountID == a.c.OwnerID }

func (a *actor) isAdmin() bool { return a.chk.Capabilities().Has(project.CapAdministrateServer) }

// privileged: owners of the branch or project, and administrators, may do
// to any change what its owner may.
func (a *actor) privileged() bool { return a.chk.IsRefOwner(a.c.Branch) }

func (a *actor) can(perm string) bool { return a.chk.Can(a.c.Branch, perm) }

// rangeFor returns the values the actor may vote on label.
func (a *actor) rangeFor(label string) (lo, hi int, ok bool) {
	return a.chk.Range(a.c.Branch, project.PermLabel+label)
}

func (a *actor) canAbandon() bool {
	return a.isOwner() || a.privileged() || a.can(project.PermAbandon)
}

// canRestore: whoever may abandon may restore, provided they may still
// upload to the branch.
func (a *actor) canRestore() bool {
	return a.canAbandon() && a.chk.Can("refs/for/"+a.c.Branch, project.PermPush)
}

func (a *actor) canEditTopic() bool {
	if a.c.Status.Open() {
		return a.isOwner() || a.privileged() || a.can(project.PermEditTopicName)
	}
	return a.chk.CanForce(a.c.Branch, project.PermEditTopicName) || a.isAdmin()
}

func (a *actor) canEditHashtags() bool {
	return a.isOwner() || a.privileged() || a.can(project.PermEditHashtags)
}

func (a *actor) canToggleWIP() bool {
	return a.isOwner() || a.privileged() || a.can(project.PermToggleWipState)
}

func (a *actor) canSetPrivate() bool { return a.isOwner() || a.isAdmin() }

// canRemoveReviewer: anyone may remove themselves and the owner anyone
// without a negative vote while the change is open; holders of
// removeReviewer, branch and project owners and administrators anyone.
func (a *actor) canRemoveReviewer(reviewer int64, votes []change.Vote) bool {
	if a.c.Status.Open() && a.id() != 0 {
		if a.id() == reviewer {
			return true
		}
		if a.isOwner() && !hasNegative(votes, reviewer) {
			return true
		}
	}
	return a.can(project.PermRemoveReviewer) || a.privileged()
}

func hasNegative(votes []change.Vote, account int64) bool {
	for _, v := range votes {
		if v.AccountID == account && v.Value < 0 {
			return true
		}
	}
	return false
}

// canSee reports whether the actor may see the change: read on its branch
// and, for a private change, being its owner, a reviewer or CC, or holding
// viewPrivateChanges.
func (a *actor) canSee(reviewers []change.Reviewer) bool {
	if a.chk.IsHidden() || !a.can(project.PermRead) {
		return false
	}
	if !a.c.Private || a.isOwner() || a.can(project.PermViewPrivateChanges) {
		return true
	}
	for _, r := range reviewers {
		if r.AccountID == a.id() && r.State != change.StateRemoved {
			return true
		}
	}
	return false
}

// Rights summarizes what a caller may do to a change, for the actions and
// removable reviewers the REST layer shows.
type Rights struct {
	Abandon, Restore, Move, Delete, EditTopic, EditHashtags, ToggleWIP, SetPrivate bool
	// Revert: the change is merged and the subject may revert it (revert
	// on the branch, and create changes there).
	Revert bool
	// Vote holds, per applying label, the range the caller may vote
	// (absent: only 0).
	Vote map[string][2]int
}

// RightsOf returns what subj may do to c.
func (s *Service) RightsOf(ctx context.Context, subj access.Subject, c *change.Change) (*Rights, error) {
	pol, err := s.policyFor(ctx, c)
	if err != nil {
		return nil, err
	}
	a := pol.actor(subj, c)
	r := &Rights{Vote: map[string][2]int{}}
	if subj.AccountID == 0 {
		return r, nil
	}
	r.Abandon = c.Status.Open() && a.canAbandon()
	r.Restore = c.Status == change.StatusAbandoned && a.canRestore()
	r.Move = c.Status == change.StatusNew && a.canMove(c.Branch)
	r.Delete = c.Status != change.StatusMerged && a.canDelete()
	r.Revert = c.Status == change.StatusMerged && a.chk.Can(c.Branch, project.PermRevert) && a.chk.Can("refs/for/"+c.Branch, project.PermPush)
	r.EditTopic = a.canEditTopic()
	r.EditHashtags = a.canEditHashtags()
	r.ToggleWIP = c.Status.Open() && a.canToggleWIP()
	r.SetPrivate = a.canSetPrivate()
	for _, l := range pol.labels {
		if lo, hi, ok := a.rangeFor(l.Name); ok {
			r.Vote[l.Name] = [2]int{lo, hi}
		}
	}
	return r, nil
}

// Visible reports whether subj may see change c (read access to its
// branch; for a private change, ownership, a reviewer or CC role, or
// viewPrivateChanges).
func (s *Service) Visible(ctx context.Context, q db.Querier, subj access.Subject, c *change.Change) (bool, error) {
	pol, err := s.policyFor(ctx, c)
	if err != nil {
		return false, err
	}
	return s.sees(ctx, q, pol.actor(subj, c))
}

// VisibleTo returns Visible for subj as a predicate over many changes, for
// one query: each project's policy is compiled for subj once, and the
// reviewers are read only for private changes subj does not own. A change
// of a project that no longer exists is invisible. The predicate is not
// safe for concurrent use.
func (s *Service) VisibleTo(subj access.Subject) func(ctx context.Context, c *change.Change) (bool, error) {
	checkers := map[string]*access.Checker{}
	return func(ctx context.Context, c *change.Change) (bool, error) {
		chk, seen := checkers[c.Project]
		if !seen {
			p, _, err := s.policies.Project(ctx, c.Project)
			switch {
			case fail.Is(err, fail.NotFound):
			case err != nil:
				return false, fmt.Errorf("load project %q: %w", c.Project, err)
			default:
				chk = p.For(subj)
			}
			checkers[c.Project] = chk
		}
		if chk == nil {
			return false, nil
		}
		return s.Sees(ctx, subj, chk, c)
	}
}

// Sees is Visible for a caller that holds subj's checker of c's project
// already (a REST lookup), so the project is not loaded again.
func (s *Service) Sees(ctx context.Context, subj access.Subject, chk *access.Checker, c *change.Change) (bool, error) {
	a := &actor{subj: subj, chk: chk, c: c}
	if a.isOwner() {
		a.chk = chk.AsChangeOwner()
	}
	return s.sees(ctx, s.db, a)
}

// sees reports whether a may see its change, reading the reviewers only
// when that depends on them: for a private change a does not own.
func (s *Service) sees(ctx context.Context, q db.Querier, a *actor) (bool, error) {
	var reviewers []change.Reviewer
	if a.c.Private && !a.isOwner() && a.id() != 0 {
		var err error
		if reviewers, err = s.changes.Reviewers(ctx, q, a.c.Number); err != nil {
			return false, err
		}
	}
	return a.canSee(reviewers), nil
}

// subjectOf builds the access subject of another account (a reviewer to
// be, a voter), for its permissions.
func (s *Service) subjectOf(ctx context.Context, a *account.Account) (access.Subject, error) {
	groups, err := s.accounts.GroupsOf(ctx, a.ID)
	if err != nil {
		return access.Subject{}, fmt.Errorf("groups of account %d: %w", a.ID, err)
	}
	return access.Subject{AccountID: a.ID, Username: a.Username, Groups: groups}, nil
}

// signedIn fails for anonymous callers.
func signedIn(subj access.Subject) error {
	if subj.AccountID == 0 {
		return fail.Errorf(fail.Unauthorized, "Authentication required")
	}
	return nil
}

// statusWord is Gerrit's lower-case status in "change is …" texts.
func statusWord(st change.Status) string {
	switch st {
	case change.StatusMerged:
		return "merged"
	case change.StatusAbandoned:
		return "abandoned"
	}
	return "new"
}

// begin starts a use case of subj on change n: the caller must be signed
// in; it returns the change as it is now and its project's policy.
func (s *Service) begin(ctx context.Context, subj access.Subject, n int64) (*change.Change, *policy, error) {
	if err := signedIn(subj); err != nil {
		return nil, nil, err
	}
	c, err := s.getChange(ctx, s.db, n)
	if err != nil {
		return nil, nil, err
	}
	pol, err := s.policyFor(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	return c, pol, nil
}

// getChange reads change n through q.
func (s *Service) getChange(ctx context.Context, q db.Querier, n int64) (*change.Change, error) {
	return s.changes.Get(ctx, q, n)
}

// patchSet returns patch set number ps (0: the current one) of c.
func (s *Service) patchSet(ctx context.Context, q db.Querier, c *change.Change, ps int) (*change.PatchSet, error) {
	if ps == 0 {
		ps = c.CurrentPS
	}
	return s.changes.PatchSet(ctx, q, c.Number, ps)
}
