// Package submit merges changes into their branch.
//
// Submits to one branch are serialized cluster-wide by a database lock
// (db.Lock); a submit first records a durable intent (old tip, new tip, the
// changes), then moves the branch with a compare-and-swap ref update, then
// marks the changes merged. Any master can finish or roll back an intent
// whose master died (Recover): a change is MERGED exactly when its commit is
// on the branch.
//
// The Service also adds the patch sets Tandem makes itself: rebases, and
// published change edits (edit.go). A Service is safe for concurrent use.
package submit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/clock"
	"tandem/internal/db"
	"tandem/internal/fail"
	"tandem/internal/git"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
	"tandem/internal/merge"
	"tandem/internal/project"
)

// Projects is what submit needs of project storage.
type Projects interface {
	Load(ctx context.Context, name string) (*project.State, error)
	Open(ctx context.Context, name string) (*repo.Repo, error)
}

// Access answers permission questions.
type Access interface {
	Check(ctx context.Context, name string, s access.Subject) (*access.Checker, *project.State, error)
}

// Reviews tells whether changes may be submitted and who approved them.
type Reviews interface {
	// Submittable returns Gerrit's problem texts ("submit requirement
	// 'Code-Review' is unsatisfied"); none means submittable.
	Submittable(ctx context.Context, q db.Querier, ch *change.Change) ([]string, error)
}

// Accounts names the people in footers.
type Accounts interface {
	Get(ctx context.Context, id int64) (*account.Account, error)
}

// Events records what a submit did, inside its transaction.
type Events interface {
	ChangeMerged(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, submitter int64, newTip string) error
	RefUpdated(ctx context.Context, q db.Querier, projectName, ref, oldRev, newRev string, submitter int64) error
}

// Options are a Service's dependencies.
type Options struct {
	DB       *db.DB
	Runner   *git.Runner
	Changes  *change.Store
	Projects Projects
	Access   Access
	Reviews  Reviews
	Accounts Accounts
	Events   Events // may be nil
	Clock    clock.Clock
	Logger   *slog.Logger
	NodeID   string
	WebURL   string // canonical web URL ending in "/"
	Server   repo.Ident
	// Committed is called after a transaction that appended events has
	// committed, to wake the event log's readers; may be nil.
	Committed func()
}

// Service submits changes.
type Service struct{ o Options }

// New returns a Service.
func New(o Options) *Service {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	o.Logger = o.Logger.With("component", "submit")
	return &Service{o: o}
}

// Caller is who submits: permissions are checked for Account and Groups.
// With OnBehalfOf (whose right to be submitted for the caller has been
// checked, as review.SubmitterOnBehalfOf does) that account is recorded
// as the submitter and committer instead.
type Caller struct {
	Account    *account.Account
	Groups     map[string]bool
	OnBehalfOf *account.Account
	// UpdateBySubmit says the entry point checked the right to submit
	// already: a push with %submit needs submit on refs/for/refs/heads/X,
	// not on the branch.
	UpdateBySubmit bool
}

// submitter is the account a submit is recorded under.
func (c Caller) submitter() *account.Account {
	if c.OnBehalfOf != nil {
		return c.OnBehalfOf
	}
	return c.Account
}

func (c Caller) subject() access.Subject {
	return access.Subject{AccountID: c.Account.ID, Username: c.Account.Username, Groups: c.Groups}
}

// Submit merges change n (and its open ancestors) into its branch.
// revision, when not empty, must be the current patch set's commit.
func (s *Service) Submit(ctx context.Context, caller Caller, n int64, revision string) (*change.Change, error) {
	ch, err := s.o.Changes.Get(ctx, s.o.DB, n)
	if err != nil {
		return nil, err
	}
	chk, st, err := s.o.Access.Check(ctx, ch.Project, caller.subject())
	if err != nil {
		return nil, err
	}
	if err := closedError(ch); err != nil {
		return nil, err
	}
	current, err := s.o.Changes.CurrentPatchSet(ctx, s.o.DB, ch)
	if err != nil {
		return nil, err
	}
	if revision != "" && revision != current.Commit {
		return nil, fail.Errorf(fail.Conflict, "revision %s is not current revision", revision)
	}
	if !caller.UpdateBySubmit && !chk.Can(ch.Branch, project.PermSubmit) {
		return nil, fail.Errorf(fail.Forbidden, "submit not permitted")
	}
	strategy, err := merge.ParseStrategy(project.EffectiveSubmitType(st.Chain))
	if err != nil {
		strategy = merge.MergeIfNecessary
	}

	unlock, err := s.o.DB.Lock(ctx, change.BranchLock(ch.Project, ch.Branch))
	if err != nil {
		return nil, err
	}
	defer unlock()
	// A move, a new patch set or a deletion may have come before the lock
	// was ours; what lands is what the change is now.
	fresh, err := s.o.Changes.Get(ctx, s.o.DB, n)
	if err != nil {
		return nil, err
	}
	if err := closedError(fresh); err != nil {
		return nil, err
	}
	if fresh.Branch != ch.Branch || fresh.CurrentPS != ch.CurrentPS {
		return nil, fail.Errorf(fail.Conflict, "change %d changed while it was being submitted; submit it again", n)
	}
	ch = fresh

	set, err := s.submissionSet(ctx, ch, strategy, false)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, c := range set {
		if c.change.WIP {
			problems = append(problems, fmt.Sprintf("Change %d: Change %d is work in progress", c.change.Number, c.change.Number))
			continue
		}
		ps, err := s.o.Reviews.Submittable(ctx, s.o.DB, c.change)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			problems = append(problems, fmt.Sprintf("Change %d: %s", c.change.Number, p))
		}
	}
	if len(problems) > 0 {
		noun := "change"
		if len(set) > 1 {
			noun = "changes"
		}
		return nil, fail.Errorf(fail.Conflict, "Failed to submit %d %s due to the following problems:\n%s", len(set), noun, strings.Join(problems, "\n"))
	}

	r, err := s.o.Projects.Open(ctx, ch.Project)
	if err != nil {
		return nil, err
	}
	tip, err := r.RefOID(ctx, ch.Branch)
	if errors.Is(err, repo.ErrNotFound) {
		head, herr := r.Head(ctx)
		if herr != nil || head != ch.Branch {
			return nil, fail.Errorf(fail.Conflict, "destination branch \"%s\" not found.", ch.Branch)
		}
		tip = ""
	} else if err != nil {
		return nil, err
	}
	now := s.o.Clock.Now().UTC().Truncate(time.Microsecond)
	in := merge.Input{
		Repo:         r,
		Strategy:     strategy,
		Branch:       ch.Branch,
		Tip:          tip,
		Committer:    repo.Ident{Name: caller.submitter().DisplayName(), Email: caller.submitter().PreferredEmail, When: now},
		Server:       s.o.Server,
		MergeContent: project.SettingMergeContent.Effective(st.Chain),
		// An empty result is refused only where the project says so.
		RejectEmptyCommit: project.SettingRejectEmptyCommit.Effective(st.Chain),
		MatchAuthorDate:   project.SettingMatchAuthorToCommitterDate.Effective(st.Chain),
	}
	for _, c := range set {
		footers, err := s.footers(ctx, c.change)
		if err != nil {
			return nil, err
		}
		in.Changes = append(in.Changes, merge.ChangeInput{Number: int(c.change.Number), Commit: c.ps.Commit,
			ChangeID: c.change.Key, Topic: c.change.Topic, Footers: footers})
	}
	res, err := merge.Apply(ctx, s.o.Runner, in)
	var conflict *merge.ConflictError
	if errors.As(err, &conflict) {
		return nil, fail.Errorf(fail.Conflict, "%s", conflict.Msg)
	}
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}

	it := &intent{Project: ch.Project, Branch: ch.Branch, OldTip: tip, NewTip: res.NewTip, Submitter: caller.submitter().ID}
	for _, c := range set {
		n := int(c.change.Number)
		it.Changes = append(it.Changes, landed{Number: c.change.Number, Commit: res.Commits[n], Rewritten: res.Rewritten[n],
			Status: string(res.Status[n]), Message: landedMessage(res.Status[n], res.Commits[n])})
	}
	if err := s.writeIntent(ctx, it); err != nil {
		return nil, err
	}
	if err := s.moveBranch(ctx, r, it); err != nil {
		s.abort(ctx, it)
		return nil, err
	}
	if err := s.finish(ctx, it); err != nil {
		// The branch moved: Recover completes the intent later.
		return nil, err
	}
	s.o.Logger.Info("submitted", "project", ch.Project, "branch", ch.Branch, "change", ch.Number, "new_tip", res.NewTip, "account_id", caller.submitter().ID, "real_account_id", caller.Account.ID)
	return s.o.Changes.Get(ctx, s.o.DB, n)
}

// landedMessage is the change message of a merged change, naming the new
// commit when the strategy made one.
func landedMessage(st merge.Status, commit string) string {
	switch st {
	case merge.CleanPick, merge.CleanRebase:
		return st.Message() + " as " + commit
	}
	return st.Message()
}

func closedError(ch *change.Change) error {
	switch ch.Status {
	case change.StatusMerged:
		return fail.Errorf(fail.Conflict, "change is merged")
	case change.StatusAbandoned:
		return fail.Errorf(fail.Conflict, "change is abandoned")
	}
	return nil
}

type member struct {
	change *change.Change
	ps     *change.PatchSet
}

// SubmittedTogether returns the changes a submit of change n would
// merge, n included, ancestors first, by the project's submit type. It
// does not check permissions; callers show only what their caller sees.
func (s *Service) SubmittedTogether(ctx context.Context, n int64) ([]*change.Change, error) {
	ch, err := s.o.Changes.Get(ctx, s.o.DB, n)
	if err != nil {
		return nil, err
	}
	if !ch.Status.Open() {
		return []*change.Change{ch}, nil
	}
	st, err := s.o.Projects.Load(ctx, ch.Project)
	if err != nil {
		return nil, err
	}
	strategy, err := merge.ParseStrategy(project.EffectiveSubmitType(st.Chain))
	if err != nil {
		strategy = merge.MergeIfNecessary
	}
	set, err := s.submissionSet(ctx, ch, strategy, true)
	if err != nil {
		return nil, err
	}
	out := make([]*change.Change, len(set))
	for i, m := range set {
		out[i] = m.change
	}
	return out, nil
}

// submissionSet returns the change and its open ancestors on the same
// branch, ancestors first. CHERRY_PICK takes the change alone. An
// ancestor that is an outdated patch set of its change makes the set
// unsubmittable, unless listing is set: then the change is listed anyway.
func (s *Service) submissionSet(ctx context.Context, ch *change.Change, strategy merge.Strategy, listing bool) ([]member, error) {
	ps, err := s.o.Changes.CurrentPatchSet(ctx, s.o.DB, ch)
	if err != nil {
		return nil, err
	}
	set := []member{{ch, ps}}
	if strategy == merge.CherryPick {
		return set, nil
	}
	seen := map[int64]bool{ch.Number: true}
	queue := append([]string(nil), ps.Parents...)
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		found, err := s.o.Changes.PatchSetsByCommit(ctx, s.o.DB, []string{parent})
		if err != nil {
			return nil, err
		}
		for _, fps := range found {
			anc, err := s.o.Changes.Get(ctx, s.o.DB, fps.Change)
			if err != nil {
				return nil, err
			}
			if seen[anc.Number] || anc.Project != ch.Project || anc.Branch != ch.Branch || !anc.Status.Open() {
				continue
			}
			if fps.Number != anc.CurrentPS && !listing {
				return nil, fail.Errorf(fail.Conflict, "Failed to submit 1 change due to the following problems:\nChange %d: depends on change that was not submitted: change %d has a newer patch set", ch.Number, anc.Number)
			}
			seen[anc.Number] = true
			set = append([]member{{anc, fps}}, set...)
			queue = append(queue, fps.Parents...)
		}
	}
	return set, nil
}

// footers are what Gerrit adds to a commit it rewrites: the change's URL
// and the positive votes on its current patch set.
func (s *Service) footers(ctx context.Context, ch *change.Change) (change.SubmitFooters, error) {
	f := change.SubmitFooters{WebURL: s.o.WebURL, ReviewedOn: change.URL(s.o.WebURL, ch.Project, ch.Number)}
	votes, err := s.o.Changes.Approvals(ctx, s.o.DB, ch.Number)
	if err != nil {
		return f, err
	}
	for _, v := range votes {
		if v.PatchSet != ch.CurrentPS || v.Value <= 0 {
			continue
		}
		a, err := s.o.Accounts.Get(ctx, v.AccountID)
		if err != nil {
			continue
		}
		f.Votes = append(f.Votes, change.SubmitVote{Label: v.Label, Name: a.DisplayName(), Email: a.PreferredEmail})
	}
	return f, nil
}

// intent is a submit recorded before the branch moves.
type intent struct {
	ID        int64
	Project   string
	Branch    string
	OldTip    string
	NewTip    string
	Submitter int64
	Changes   []landed
}

type landed struct {
	Number    int64  `json:"number"`
	Commit    string `json:"commit"`
	Rewritten bool   `json:"rewritten,omitempty"`
	Status    string `json:"status,omitempty"`
	Message   string `json:"message,omitempty"`
}

func (s *Service) writeIntent(ctx context.Context, it *intent) error {
	changes, err := json.Marshal(it.Changes)
	if err != nil {
		return err
	}
	// No events: a plain transaction, not s.tx.
	return s.o.DB.Tx(ctx, func(tx *db.Tx) error {
		id, err := s.o.DB.NextID(ctx, tx, "intent_ids")
		if err != nil {
			return err
		}
		it.ID = id
		_, err = tx.Exec(ctx, `INSERT INTO submit_intents (id, project, branch, old_tip, new_tip, changes, submitter_id, node, state, created_on)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'PENDING', $9)`,
			id, it.Project, it.Branch, it.OldTip, it.NewTip, string(changes), it.Submitter, s.o.NodeID, s.o.Clock.Now().UnixMicro())
		return err
	})
}

// moveBranch writes the new tip and the patch-set refs of rewritten
// commits in one ref transaction.
func (s *Service) moveBranch(ctx context.Context, r *repo.Repo, it *intent) error {
	old := it.OldTip
	if old == "" {
		old = refupdate.ZeroOID
	}
	ups := []refupdate.Update{}
	if it.NewTip != it.OldTip {
		ups = append(ups, refupdate.Update{Ref: it.Branch, Old: old, New: it.NewTip})
	}
	for _, l := range it.Changes {
		if l.Rewritten {
			ch, err := s.o.Changes.Get(ctx, s.o.DB, l.Number)
			if err != nil {
				return err
			}
			ups = append(ups, refupdate.Update{Ref: change.PatchSetRef(int(l.Number), ch.CurrentPS+1), Old: refupdate.ZeroOID, New: l.Commit})
		}
	}
	if len(ups) == 0 {
		return nil
	}
	err := r.UpdateRefs(ctx, ups...)
	var mm *refupdate.MismatchError
	if errors.As(err, &mm) {
		return fail.Errorf(fail.Conflict, "branch %s moved while submitting; try again", it.Branch)
	}
	return err
}

func (s *Service) abort(ctx context.Context, it *intent) {
	if _, err := s.o.DB.Exec(context.WithoutCancel(ctx), `UPDATE submit_intents SET state = 'ABORTED' WHERE id = $1`, it.ID); err != nil {
		s.o.Logger.Error("abort submit intent", "intent", it.ID, "err", err)
	}
}

// finish marks the intent's changes merged, with their messages and
// events, and closes the intent, in one transaction. It is idempotent.
func (s *Service) finish(ctx context.Context, it *intent) error {
	return s.tx(ctx, func(tx *db.Tx) error {
		if err := s.land(ctx, tx, it); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE submit_intents SET state = 'DONE' WHERE id = $1`, it.ID)
		return err
	})
}

// land marks the intent's open changes merged in tx, with their messages and
// events, and records the branch update. Changes no longer open are left
// alone, so landing twice changes nothing.
func (s *Service) land(ctx context.Context, tx *db.Tx, it *intent) error {
	now := s.o.Clock.Now().UTC().Truncate(time.Microsecond)
	submission := fmt.Sprint(it.Changes[len(it.Changes)-1].Number)
	for _, l := range it.Changes {
		ch, err := s.o.Changes.Get(ctx, tx, l.Number)
		if err != nil {
			return err
		}
		if !ch.Status.Open() {
			continue
		}
		ps, err := s.o.Changes.CurrentPatchSet(ctx, tx, ch)
		if err != nil {
			return err
		}
		if l.Rewritten {
			next := *ps
			next.Number = ps.Number + 1
			next.Commit = l.Commit
			next.UploaderID = it.Submitter
			next.Created = now
			next.Kind = change.KindRework
			if r, err := s.o.Projects.Open(ctx, ch.Project); err == nil {
				if c, err := r.ReadCommit(ctx, l.Commit); err == nil {
					next.Parents, next.Message = c.Parents, c.Message
					next.Author, next.Committer = change.PersonOf(c.Author), change.PersonOf(c.Committer)
				}
			}
			files, err := s.o.Changes.Files(ctx, tx, ch.Number, ps.Number)
			if err != nil {
				return err
			}
			if err := s.o.Changes.InsertPatchSet(ctx, tx, &next, files); err != nil {
				return err
			}
			// The votes that submitted the change stay on the commit
			// that landed.
			votes, err := s.o.Changes.Approvals(ctx, tx, ch.Number)
			if err != nil {
				return err
			}
			for _, v := range change.VotesOn(votes, ps.Number) {
				v.PatchSet, v.Copied = next.Number, true
				if err := s.o.Changes.SetApproval(ctx, tx, v); err != nil {
					return err
				}
			}
			ch.CurrentPS = next.Number
			ps = &next
		}
		ch.Status = change.StatusMerged
		ch.Submitted, ch.Updated = now, now
		ch.SubmitterID = it.Submitter
		ch.SubmissionID = submission
		if err := s.o.Changes.Update(ctx, tx, ch); err != nil {
			return err
		}
		if err := s.o.Changes.ClearAttention(ctx, tx, ch.Number, change.AttentionSubmitted, it.Submitter, now); err != nil {
			return err
		}
		msg := l.Message
		if msg == "" {
			msg = "Change has been successfully merged"
		}
		if err := s.o.Changes.AddMessage(ctx, tx, &change.ChangeMessage{Change: ch.Number, PatchSet: ch.CurrentPS,
			AuthorID: it.Submitter, Message: msg, Tag: "autogenerated:gerrit:merged", Created: now}); err != nil {
			return err
		}
		if s.o.Events != nil {
			if err := s.o.Events.ChangeMerged(ctx, tx, ch, ps, it.Submitter, it.NewTip); err != nil {
				return err
			}
		}
	}
	if s.o.Events != nil && it.NewTip != it.OldTip {
		if err := s.o.Events.RefUpdated(ctx, tx, it.Project, it.Branch, it.OldTip, it.NewTip, it.Submitter); err != nil {
			return err
		}
	}
	return nil
}

// Recover finishes or rolls back the pending intents of masters that died
// mid-submit. Safe to run on every master at any time: an intent whose
// submit is still running is protected by its branch lock.
func (s *Service) Recover(ctx context.Context) error {
	rows, err := s.o.DB.Query(ctx, `SELECT id FROM submit_intents WHERE state = 'PENDING' ORDER BY id`)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := s.recoverOne(ctx, id); err != nil {
			s.o.Logger.Error("recover submit intent", "intent", id, "err", err)
		}
	}
	return nil
}

func (s *Service) recoverOne(ctx context.Context, id int64) error {
	it := &intent{ID: id}
	var changes, state string
	if err := s.o.DB.QueryRow(ctx, `SELECT project, branch, old_tip, new_tip, changes, submitter_id, state FROM submit_intents WHERE id = $1`, id).
		Scan(&it.Project, &it.Branch, &it.OldTip, &it.NewTip, &changes, &it.Submitter, &state); err != nil {
		return err
	}
	unlock, err := s.o.DB.Lock(ctx, change.BranchLock(it.Project, it.Branch))
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.o.DB.QueryRow(ctx, `SELECT state FROM submit_intents WHERE id = $1`, id).Scan(&state); err != nil || state != "PENDING" {
		return err
	}
	if err := json.Unmarshal([]byte(changes), &it.Changes); err != nil {
		return err
	}
	r, err := s.o.Projects.Open(ctx, it.Project)
	if err != nil {
		return err
	}
	tip, err := r.RefOID(ctx, it.Branch)
	if err != nil && !errors.Is(err, repo.ErrNotFound) {
		return err
	}
	landed := tip == it.NewTip
	if !landed && tip != "" && it.NewTip != "" {
		landed, _ = r.IsAncestor(ctx, it.NewTip, tip)
	}
	if landed {
		s.o.Logger.Info("completing submit of a master that stopped", "intent", id, "project", it.Project, "branch", it.Branch)
		return s.finish(ctx, it)
	}
	s.o.Logger.Info("rolling back submit of a master that stopped", "intent", id, "project", it.Project, "branch", it.Branch)
	s.abort(ctx, it)
	return nil
}

// Rebase makes a new patch set of change n that applies its current patch
// set onto base (the branch tip when empty). The new patch set's votes are
// left to the caller's copy rules through newPatchSet.
func (s *Service) Rebase(ctx context.Context, caller Caller, n int64, base string, newPatchSet NewPatchSetFunc) (*change.Change, error) {
	ch, err := s.o.Changes.Get(ctx, s.o.DB, n)
	if err != nil {
		return nil, err
	}
	if ch.Status != change.StatusNew {
		return nil, fail.Errorf(fail.Conflict, "change is %s", strings.ToLower(string(ch.Status)))
	}
	chk, _, err := s.o.Access.Check(ctx, ch.Project, caller.subject())
	if err != nil {
		return nil, err
	}
	if ch.OwnerID != caller.Account.ID && !chk.Can(ch.Branch, project.PermRebase) && !chk.Can(ch.Branch, project.PermSubmit) {
		return nil, fail.Errorf(fail.Forbidden, "rebase not permitted")
	}
	r, err := s.o.Projects.Open(ctx, ch.Project)
	if err != nil {
		return nil, err
	}
	ps, err := s.o.Changes.CurrentPatchSet(ctx, s.o.DB, ch)
	if err != nil {
		return nil, err
	}
	onto := base
	if onto == "" {
		if onto, err = r.RefOID(ctx, ch.Branch); err != nil {
			return nil, fail.Errorf(fail.Conflict, "destination branch \"%s\" not found.", ch.Branch)
		}
	} else if onto, err = s.resolveBase(ctx, r, base); err != nil {
		return nil, err
	}
	if len(ps.Parents) == 1 && ps.Parents[0] == onto {
		return nil, fail.Errorf(fail.Conflict, "Change is already up to date.")
	}
	now := s.o.Clock.Now().UTC().Truncate(time.Microsecond)
	res, err := merge.Apply(ctx, s.o.Runner, merge.Input{
		Repo: r, Strategy: merge.RebaseAlways, Branch: ch.Branch, Tip: onto,
		Changes:      []merge.ChangeInput{{Number: int(ch.Number), Commit: ps.Commit, ChangeID: ch.Key}},
		Committer:    repo.Ident{Name: caller.Account.DisplayName(), Email: caller.Account.PreferredEmail, When: now},
		MergeContent: true,
	})
	var conflict *merge.ConflictError
	if errors.As(err, &conflict) {
		return nil, fail.Errorf(fail.Conflict, "%s", conflict.Msg)
	}
	if err != nil {
		return nil, err
	}
	return s.addPatchSet(ctx, r, caller, ch, ps, patchSetSpec{commit: res.Commits[int(ch.Number)], kind: change.KindTrivialRebase,
		message: fmt.Sprintf("Patch Set %d: Patch Set %d was rebased", ps.Number+1, ps.Number)}, now, newPatchSet)
}

// NewPatchSetFunc is called inside the transaction that adds patch set
// next after prev (nil for a new change's first), for what else must
// happen with it (vote copying, events, lock checks); an error rolls the
// patch set back.
type NewPatchSetFunc func(ctx context.Context, q db.Querier, ch *change.Change, prev, next *change.PatchSet) error

// patchSetSpec is a patch set Tandem makes itself.
type patchSetSpec struct {
	commit, kind string
	message      string           // the change message that announces it
	cherryPickOf *change.PatchSet // what it is a cherry-pick of, if it is one
}

// addPatchSet makes the next patch set of ch, whose current one is prev,
// with a change message; it fails when another patch set came meanwhile.
// Its files are listed before the transaction.
func (s *Service) addPatchSet(ctx context.Context, r *repo.Repo, caller Caller, ch *change.Change, prev *change.PatchSet,
	in patchSetSpec, now time.Time, newPatchSet NewPatchSetFunc) (*change.Change, error) {
	n := ch.Number
	commit, err := r.ReadCommit(ctx, in.commit)
	if err != nil {
		return nil, err
	}
	diff, err := r.DiffFiles(ctx, commit.FirstParent(), commit.OID)
	if err != nil {
		return nil, err
	}
	files := change.FilesOf(diff)
	err = s.tx(ctx, func(tx *db.Tx) error {
		cur, err := s.o.Changes.Get(ctx, tx, n)
		if err != nil {
			return err
		}
		if cur.CurrentPS != prev.Number {
			return fail.Errorf(fail.Conflict, "change %d was updated concurrently", n)
		}
		next := change.PatchSetOf(commit, files)
		next.Change, next.Number, next.UploaderID, next.Created, next.Kind = n, cur.CurrentPS+1, caller.Account.ID, now, in.kind
		if err := s.o.Changes.InsertPatchSet(ctx, tx, next, files); err != nil {
			return err
		}
		cur.CurrentPS, cur.Subject, cur.Updated = next.Number, commit.Subject(), now
		if in.cherryPickOf != nil {
			cur.CherryPickOf, cur.CherryPickOfPS = in.cherryPickOf.Change, in.cherryPickOf.Number
		}
		if err := s.o.Changes.Update(ctx, tx, cur); err != nil {
			return err
		}
		if err := s.o.Changes.AddMessage(ctx, tx, &change.ChangeMessage{Change: n, PatchSet: next.Number, AuthorID: caller.Account.ID,
			Message: in.message, Tag: "autogenerated:gerrit:newPatchSet", Created: now}); err != nil {
			return err
		}
		if newPatchSet != nil {
			if err := newPatchSet(ctx, tx, cur, prev, next); err != nil {
				return err
			}
		}
		err = r.UpdateRefs(ctx, refupdate.Update{Ref: next.Ref(), Old: refupdate.ZeroOID, New: next.Commit})
		var mm *refupdate.MismatchError
		if errors.As(err, &mm) {
			if oid, rerr := r.Resolve(ctx, next.Ref()); rerr == nil && oid == next.Commit {
				return nil
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.o.Changes.Get(ctx, s.o.DB, n)
}

// tx runs fn in a transaction and, once it has committed, wakes the
// event log's readers (Options.Committed).
func (s *Service) tx(ctx context.Context, fn func(tx *db.Tx) error) error {
	if err := s.o.DB.Tx(ctx, fn); err != nil {
		return err
	}
	if s.o.Committed != nil {
		s.o.Committed()
	}
	return nil
}

// resolveBase reads a rebase base: a commit, a ref, or a change number.
func (s *Service) resolveBase(ctx context.Context, r *repo.Repo, base string) (string, error) {
	if oid, err := r.Resolve(ctx, base); err == nil {
		return oid, nil
	}
	var n int64
	if _, err := fmt.Sscan(base, &n); err == nil {
		if ch, err := s.o.Changes.Get(ctx, s.o.DB, n); err == nil {
			if ps, err := s.o.Changes.CurrentPatchSet(ctx, s.o.DB, ch); err == nil {
				return ps.Commit, nil
			}
		}
	}
	return "", fail.Errorf(fail.Invalid, "base revision is missing: %s", base)
}

// ClosePushed marks merged the open changes of a branch whose current
// patch set a direct push just put on it (commits are the commits the push
// added to the branch), as Gerrit does for changes pushed past review.
// It holds the branch's lock, as Submit does, while it closes them.
func (s *Service) ClosePushed(ctx context.Context, projectName, branch string, pusher int64, newTip string, commits []string) error {
	if len(commits) == 0 {
		return nil
	}
	found, err := s.o.Changes.PatchSetsByCommit(ctx, s.o.DB, commits)
	if err != nil || len(found) == 0 {
		return err
	}
	unlock, err := s.o.DB.Lock(ctx, change.BranchLock(projectName, branch))
	if err != nil {
		return err
	}
	defer unlock()
	numbers := make([]int64, 0, len(found))
	for _, ps := range found {
		numbers = append(numbers, ps.Change)
	}
	chs, err := s.o.Changes.GetMany(ctx, s.o.DB, numbers...)
	if err != nil {
		return err
	}
	byNumber := make(map[int64]*change.Change, len(chs))
	for _, ch := range chs {
		byNumber[ch.Number] = ch
	}
	var closing []landed
	for _, ps := range found {
		ch := byNumber[ps.Change]
		if ch == nil || ch.Project != projectName || ch.Branch != branch || !ch.Status.Open() || ps.Number != ch.CurrentPS {
			continue
		}
		closing = append(closing, landed{Number: ch.Number, Commit: ps.Commit, Message: "Change has been successfully pushed."})
	}
	if len(closing) == 0 {
		return nil
	}
	// No intent: the push moved the branch already.
	it := &intent{Project: projectName, Branch: branch, OldTip: newTip, NewTip: newTip, Submitter: pusher, Changes: closing}
	if err := s.tx(ctx, func(tx *db.Tx) error { return s.land(ctx, tx, it) }); err != nil {
		return err
	}
	for _, l := range closing {
		s.o.Logger.Info("change closed by a direct push", "project", projectName, "branch", branch, "change", l.Number)
	}
	return nil
}
