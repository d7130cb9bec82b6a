package receive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/clock"
	"tandem/internal/db"
	"tandem/internal/events"
	"tandem/internal/fail"
	"tandem/internal/git"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
	"tandem/internal/merge"
	"tandem/internal/project"
)

// Accounts resolves reviewer names given with r= and cc=, tells which
// of them are Service Users (left out of the attention set), and tells
// the pusher's preferences (work in progress by default, publishing
// comments on push).
type Accounts interface {
	Resolve(ctx context.Context, id string) (*account.Account, error)
	ServiceUsers(ctx context.Context, ids []int64) (map[int64]bool, error)
	Preferences(ctx context.Context, id int64) (account.Preferences, error)
}

// Uploads are the parts a push for review needs beyond direct pushes.
type Uploads struct {
	DB       *db.DB
	Changes  *change.Store
	Accounts Accounts
	Clock    clock.Clock
	WebURL   string // gerrit.canonicalWebUrl, ending in "/"
	// Events records patchset-created and the ref-updated of each new
	// patch-set ref inside the push's transaction; may be nil.
	Events UploadEvents
	// Labels copies votes to new patch sets by their labels' copyCondition
	// and tells whether a PatchSetLock label forbids one; may be nil.
	Labels LabelRules
	// Drafts publishes the uploader's draft comments for the push option
	// publish-comments; may be nil (the option is then ignored).
	Drafts DraftPublisher
	// Merger closes changes pushed directly and submits on push; may be nil.
	Merger Merger
	// Committed is called after a push's changes are committed (their
	// events are in the log by then), to wake the log's readers.
	Committed func()
}

// UploadEvents records the events of a push for review; *events.Recorder
// is one. Beyond the upload itself a push emits what its options did, as
// Gerrit does: votes (comment-added), reviewers (reviewer-added) and, on a
// new patch set only, topic, hashtag, WIP and private changes.
type UploadEvents interface {
	PatchSetCreated(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, uploader int64) error
	RefUpdated(ctx context.Context, q db.Querier, projectName, ref, oldRev, newRev string, submitter int64) error
	CommentAdded(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, author int64,
		message string, approvals []events.ApprovalAttr) error
	ReviewerAdded(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, reviewer, adder int64) error
	TopicChanged(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, changer int64, oldTopic string) error
	HashtagsChanged(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, editor int64,
		added, removed, hashtags []string) error
	WIPStateChanged(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, changer int64) error
	PrivateStateChanged(ctx context.Context, q db.Querier, ch *change.Change, ps *change.PatchSet, changer int64) error
}

// LabelRules is what the labels say about a new patch set of a change;
// *review.Service is one.
type LabelRules interface {
	// CopyVotes carries votes over to a new patch set.
	CopyVotes(ctx context.Context, q db.Querier, c *change.Change, oldPS, newPS *change.PatchSet, kind string) ([]change.Vote, error)
	// Locked reports whether patch set ps is locked against new ones.
	Locked(ctx context.Context, q db.Querier, c *change.Change, ps int) (bool, error)
}

// DraftPublisher prepares the drafts a push with publish-comments
// publishes; *review.Service is one.
type DraftPublisher interface {
	// DraftsToPublish returns author's drafts on c as published at now;
	// the caller writes them.
	DraftsToPublish(ctx context.Context, q db.Querier, c *change.Change, ps *change.PatchSet, author int64, now time.Time) ([]change.Comment, error)
}

// EnableUploads turns on pushes for review (refs/for/...).
func (rc *Receiver) EnableUploads(u *Uploads) {
	if u.Clock == nil {
		u.Clock = clock.Real{}
	}
	rc.uploads = u
}

// Merger closes and submits changes for pushes.
type Merger interface {
	// ClosePushed marks merged the open changes whose current patch set
	// a direct push put on branch.
	ClosePushed(ctx context.Context, project, branch string, pusher int64, newTip string, commits []string) error
	// SubmitPushed submits change n at revision for the pusher (the
	// push option submit).
	SubmitPushed(ctx context.Context, pusher *account.Account, groups map[string]bool, n int64, revision string) error
}

// closePushed closes the changes a direct push to a branch merged.
func (rc *Receiver) closePushed(ctx context.Context, push *Session, written []*command) {
	if rc.uploads == nil || rc.uploads.Merger == nil {
		return
	}
	for _, c := range written {
		if !strings.HasPrefix(c.ref, "refs/heads/") || c.isDelete() {
			continue
		}
		if open, err := rc.uploads.Changes.HasOpen(ctx, push.Project, c.ref); err != nil || !open {
			continue // nothing to close, so no need to list the commits
		}
		var commits []string
		var err error
		if c.isCreate() {
			// The new branch is already written: only the other
			// branches hold commits that were there before.
			commits, err = push.Repo.RevListOutside(ctx, c.new, "refs/heads/*", c.ref)
		} else {
			commits, err = push.Repo.RevListExcluding(ctx, c.new, []string{c.old})
		}
		if err == nil && len(commits) <= maxUploadCommits {
			err = rc.uploads.Merger.ClosePushed(context.WithoutCancel(ctx), push.Project, c.ref, push.Caller.ID, c.new, commits)
		}
		if err != nil {
			rc.log.Error("close changes pushed directly", "project", push.Project, "ref", c.ref, "err", err)
		}
	}
}

// checkUnlocked fails with Gerrit's conflict when a PatchSetLock label
// locks patch set ps of change c against new ones, reading votes through q.
func (rc *Receiver) checkUnlocked(ctx context.Context, q db.Querier, c *change.Change, ps int) error {
	if rc.uploads.Labels == nil {
		return nil
	}
	locked, err := rc.uploads.Labels.Locked(ctx, q, c, ps)
	if err != nil || !locked {
		return err
	}
	return fail.Errorf(fail.Conflict, "cannot add patch set to %d. Change is patch set locked.", c.Number)
}

// maxUploadCommits bounds the commits one push may turn into changes.
const maxUploadCommits = 500

// outcome is what one push for review did, for the push's output.
type outcome struct {
	project string
	number  int64
	subject string
	isNew   bool
	wip     bool
	private bool
	merged  bool
	edit    bool // the commit became the pusher's change edit
}

// upload handles one refs/for/ command.
func (rc *Receiver) upload(ctx context.Context, push *Session, chk *access.Checker, state *project.State, c *command, pushOptions []string, msgs io.Writer) ([]outcome, error) {
	if rc.uploads == nil {
		c.reject = "upload for review is not enabled on this server"
		return nil, nil
	}
	target := strings.TrimPrefix(c.ref, "refs/for/")
	dest, optText, _ := strings.Cut(target, "%")
	branch := dest
	if !strings.HasPrefix(branch, "refs/") {
		branch = "refs/heads/" + branch
	}
	opts, err := parseUploadOptions(optText, pushOptions)
	if err != nil {
		c.reject = err.Error()
		return nil, nil
	}
	if dest == "" || !git.ValidRefName(branch) {
		c.reject = "not valid ref"
		return nil, nil
	}
	if c.isDelete() {
		c.reject = "cannot delete references"
		return nil, nil
	}
	if !chk.Can("refs/for/"+branch, project.PermPush) {
		c.reject = fmt.Sprintf("prohibited by Gerrit: not permitted: create change on %s", branch)
		return nil, nil
	}
	// Submitting on push is Gerrit's "update by submit": submit on the
	// magic branch, refs/for/refs/heads/X, checked before anything is
	// written.
	if opts.submit && !chk.Can("refs/for/"+branch, project.PermSubmit) {
		c.reject = fmt.Sprintf("update by submit not permitted for %s", branch)
		return nil, nil
	}
	if opts.submit && rc.uploads.Merger == nil {
		c.reject = "submit on push is not enabled on this server"
		return nil, nil
	}
	r := push.Repo
	if blocking, err := r.Refs(ctx, "refs/for/"); err != nil {
		return nil, err
	} else if len(blocking) > 0 {
		c.reject = "One or more refs/for/ names blocks change upload"
		return nil, nil
	}
	if _, err := r.Resolve(ctx, branch); err != nil {
		head, herr := r.Head(ctx)
		if !errors.Is(err, repo.ErrNotFound) || herr != nil || (head != branch && branch != project.ConfigRef) {
			c.reject = fmt.Sprintf("branch %s not found", strings.TrimPrefix(branch, "refs/heads/"))
			return nil, nil
		}
	}
	// The pusher's preferences, read once the push is known to be valid.
	if rc.uploads.Accounts != nil {
		prefs, err := rc.uploads.Accounts.Preferences(ctx, push.Caller.ID)
		if err != nil {
			return nil, err
		}
		opts.wipByDefault = prefs.WorkInProgressByDefault != nil && *prefs.WorkInProgressByDefault
		opts.publish = opts.publish || prefs.PublishCommentsOnPush != nil && *prefs.PublishCommentsOnPush && !opts.noPublish
	}
	var shas []string
	if len(opts.base) > 0 {
		shas, err = rc.excludeBases(ctx, r, c.new, opts.base)
		if err != nil {
			c.reject = err.Error()
			return nil, nil
		}
	} else if shas, err = r.RevList(ctx, c.new, "refs/heads/*"); err != nil {
		return nil, fmt.Errorf("list new commits: %w", err)
	}
	banned, err := project.BannedCommits(ctx, r)
	if err != nil {
		return nil, err
	}
	if reason := bannedAmong(banned, shas); reason != "" {
		c.reject = reason
		return nil, nil
	}
	known, err := rc.uploads.Changes.PatchSetsByCommit(ctx, rc.uploads.DB, shas)
	if err != nil {
		return nil, err
	}
	knownSet := map[string]bool{}
	for _, ps := range known {
		// A commit is known when it is a patch set of a change of this
		// project; the same commit in another project is new here.
		if ch, err := rc.uploads.Changes.Get(ctx, rc.uploads.DB, ps.Change); err == nil && ch.Project == push.Project {
			knownSet[ps.Commit] = true
		}
	}
	var fresh []string
	for _, s := range shas {
		if !knownSet[s] {
			fresh = append(fresh, s)
		}
	}
	if len(fresh) == 0 {
		c.reject = "no new changes"
		return nil, nil
	}
	if len(fresh) > maxUploadCommits {
		c.reject = "too many commits"
		return nil, nil
	}

	requireChangeID := project.SettingRequireChangeID.Effective(state.Chain)
	d := &decider{rc: rc, ctx: ctx, push: push, chk: chk, state: state, msgs: msgs}
	type planned struct {
		commit *repo.Commit
		key    string
		target *change.Change // nil: new change
		files  []change.File  // against the first parent
		// kind is the new patch set's kind against patch set prev of
		// target, as read before the transaction.
		prev int
		kind string
	}
	var plan []planned
	seen := map[string]bool{}
	signOff := d.requiresSignOff(branch)
	for _, sha := range fresh {
		commit, err := r.ReadCommit(ctx, sha)
		if err != nil {
			return nil, err
		}
		abbrev := change.AbbrevCommit(sha)
		if reason := d.checkIdentity(branch, abbrev, commit.Author.Email, commit.Committer.Email); reason != "" {
			c.reject = reason
			return nil, nil
		}
		if signOff {
			if reason := d.checkSignOff(abbrev, commit.Author.Email, commit.Committer.Email, commit.Message); reason != "" {
				c.reject = reason
				return nil, nil
			}
		}
		key, reason := rc.changeIDOf(commit, requireChangeID, msgs)
		if reason != "" {
			c.reject = reason
			return nil, nil
		}
		if seen[key] {
			c.reject = "same Change-Id in multiple changes.\nSquash the commits with the same Change-Id or ensure Change-Ids are unique for each commit"
			return nil, nil
		}
		seen[key] = true
		existing, err := rc.uploads.Changes.ByKey(ctx, rc.uploads.DB, push.Project, branch, key)
		if err != nil {
			return nil, err
		}
		var target *change.Change
		for _, ch := range existing {
			if ch.Status.Open() {
				target = ch
			}
		}
		if target == nil && len(existing) > 0 {
			c.reject = fmt.Sprintf("change %s closed", change.URL(rc.uploads.WebURL, push.Project, existing[0].Number))
			return nil, nil
		}
		if target == nil {
			if err := change.CheckNewChangeID(key); err != nil {
				c.reject = err.Error()
				return nil, nil
			}
		}
		if target != nil {
			if err := rc.checkUnlocked(ctx, rc.uploads.DB, target, target.CurrentPS); err != nil {
				if fail.KindOf(err) != fail.Conflict {
					return nil, err
				}
				c.reject = fail.Message(err, "")
				return nil, nil
			}
		}
		if target != nil && target.OwnerID != push.Caller.ID && !chk.Can("refs/for/"+branch, project.PermAddPatchSet) {
			c.reject = fmt.Sprintf("cannot add patch set to %d.", target.Number)
			return nil, nil
		}
		plan = append(plan, planned{commit: commit, key: key, target: target})
	}

	if opts.edit {
		edits := make([]editTarget, len(plan))
		for i, p := range plan {
			edits[i] = editTarget{commit: p.commit, change: p.target}
		}
		return rc.uploadEdits(ctx, push, c, edits)
	}

	reviewers, err := rc.resolveAll(ctx, opts.reviewers)
	if err != nil {
		c.reject = err.Error()
		return nil, nil
	}
	ccs, err := rc.resolveAll(ctx, opts.ccs)
	if err != nil {
		c.reject = err.Error()
		return nil, nil
	}
	bots := map[int64]bool{} // Service Users among the reviewers, who get no attention
	if len(reviewers) > 0 && !opts.ignoreAttention {
		var ids []int64
		for _, a := range reviewers {
			ids = append(ids, a.ID)
		}
		if bots, err = rc.uploads.Accounts.ServiceUsers(ctx, ids); err != nil {
			return nil, err
		}
	}
	labels := project.EffectiveLabels(state.Chain)
	for name, v := range opts.labels {
		if reason := checkVote(chk, branch, labels, name, v); reason != "" {
			c.reject = reason
			return nil, nil
		}
	}

	// What git says of each commit (its files, its kind against the
	// current patch set) is read before the transaction, so that no git
	// process runs while it holds the database's write lock or again when
	// it is retried. One diff-tree lists the files of the whole series.
	diffs := make([]repo.CommitDiff, len(plan))
	for i, p := range plan {
		diffs[i] = repo.CommitDiff{Parent: p.commit.FirstParent(), Commit: p.commit.OID}
	}
	changed, err := r.DiffCommits(ctx, diffs)
	if err != nil {
		return nil, err
	}
	for i := range plan {
		p := &plan[i]
		p.files = change.FilesOf(changed[i])
		if p.target != nil {
			prev, err := rc.uploads.Changes.CurrentPatchSet(ctx, rc.uploads.DB, p.target)
			if err != nil {
				return nil, err
			}
			if p.kind, err = rc.patchSetKind(ctx, r, prev, p.commit); err != nil {
				return nil, err
			}
			p.prev = prev.Number
		}
	}

	var outcomes []outcome
	u := rc.uploads
	err = u.DB.Tx(ctx, func(tx *db.Tx) error {
		outcomes = outcomes[:0]
		now := u.Clock.Now().UTC().Truncate(time.Microsecond)
		var refs []refupdate.Update
		// Events go last: appending takes the event log's lock (across
		// masters on PostgreSQL), which should not wait for git.
		var appendEvents []func() error
		for _, p := range plan {
			files := p.files
			ps := change.PatchSetOf(p.commit, files)
			ps.UploaderID, ps.Created, ps.Kind = push.Caller.ID, now, change.KindRework
			ch := p.target
			isNew := ch == nil
			var prevPS *change.PatchSet
			var before change.Change // the change before this push, for the state events
			if isNew {
				n, err := u.Changes.NextNumber(ctx, tx)
				if err != nil {
					return err
				}
				ch = &change.Change{
					Number: n, Project: push.Project, Branch: branch, Key: p.key, OwnerID: push.Caller.ID,
					Status: change.StatusNew, Subject: p.commit.Subject(), Topic: opts.topic, CurrentPS: 1,
					WIP:     opts.wip || (opts.wipByDefault || project.SettingWorkInProgressByDefault.Effective(state.Chain)) && !opts.ready,
					Private: opts.private || project.SettingPrivateByDefault.Effective(state.Chain) && !opts.removePrivate,
					Created: now, Updated: now,
				}
				ch.Reviewed = !ch.WIP
				if err := u.Changes.Insert(ctx, tx, ch); err != nil {
					return err
				}
				ps.Number = 1
			} else {
				fresh, err := u.Changes.Get(ctx, tx, ch.Number)
				if err != nil {
					return err
				}
				ch = fresh
				before = *fresh
				prev, err := rc.uploads.Changes.CurrentPatchSet(ctx, tx, ch)
				if err == nil {
					// Again under the transaction: a lock may have come
					// since the plan.
					err = rc.checkUnlocked(ctx, tx, ch, prev.Number)
				}
				if err != nil {
					return err
				}
				prevPS = prev
				ps.Number = ch.CurrentPS + 1
				ps.Kind = p.kind
				if prev.Number != p.prev {
					// Another patch set came meanwhile.
					if ps.Kind, err = rc.patchSetKind(ctx, r, prev, p.commit); err != nil {
						return err
					}
				}
				if ps.Kind == change.KindNoChange {
					fmt.Fprintf(msgs, "warning: no changes between prior commit %s and new commit %s\n", change.AbbrevCommit(prev.Commit), change.AbbrevCommit(p.commit.OID))
				}
				ch.CurrentPS = ps.Number
				// A pushed patch set is nobody's cherry-pick, as in Gerrit.
				ch.CherryPickOf, ch.CherryPickOfPS = 0, 0
				ch.Subject = p.commit.Subject()
				ch.Updated = now
				if opts.topicSet {
					ch.Topic = opts.topic
				}
				if opts.wip && !ch.WIP {
					ch.WIP = true
					if err := u.Changes.ClearAttention(ctx, tx, ch.Number, change.AttentionMarkedWIP, push.Caller.ID, now); err != nil {
						return err
					}
				}
				if opts.ready {
					ch.WIP = false
				}
				if opts.private {
					ch.Private = true
				}
				if opts.removePrivate {
					ch.Private = false
				}
				if err := u.Changes.Update(ctx, tx, ch); err != nil {
					return err
				}
			}
			ps.Change = ch.Number
			ps.Description = opts.message
			if err := u.Changes.InsertPatchSet(ctx, tx, ps, files); err != nil {
				return err
			}
			if !isNew && u.Labels != nil {
				if _, err := u.Labels.CopyVotes(ctx, tx, ch, prevPS, ps, ps.Kind); err != nil {
					return err
				}
			}
			// What the options change is read only when there are options:
			// most pushes have none, and this is the push's hot path.
			var oldTags []string
			var was []change.Reviewer
			if len(opts.hashtags) > 0 {
				if oldTags, err = u.Changes.Hashtags(ctx, tx, ch.Number); err != nil {
					return err
				}
				if err := u.Changes.EditHashtags(ctx, tx, ch.Number, opts.hashtags, nil); err != nil {
					return err
				}
			}
			if len(reviewers) > 0 {
				if was, err = u.Changes.Reviewers(ctx, tx, ch.Number); err != nil {
					return err
				}
			}
			var added []int64 // reviewers this push made reviewers, for reviewer-added
			for _, a := range reviewers {
				if a.ID != ch.OwnerID {
					if err := u.Changes.SetReviewer(ctx, tx, ch.Number, a.ID, change.StateReviewer, now); err != nil {
						return err
					}
					if !slices.ContainsFunc(was, func(r change.Reviewer) bool { return r.AccountID == a.ID && r.State == change.StateReviewer }) &&
						!slices.Contains(added, a.ID) {
						added = append(added, a.ID)
					}
				}
			}
			if !opts.ignoreAttention {
				attention := change.ReviewerAddedAttention(ch, added, push.Caller.ID, bots)
				if _, err := u.Changes.UpdateAttention(ctx, tx, ch.Number, attention, now); err != nil {
					return err
				}
			}
			for _, a := range ccs {
				if a.ID != ch.OwnerID {
					if err := u.Changes.SetReviewer(ctx, tx, ch.Number, a.ID, change.StateCC, now); err != nil {
						return err
					}
				}
			}
			msg := fmt.Sprintf("Uploaded patch set %d", ps.Number)
			var approvals []events.ApprovalAttr
			if votes := formatVotes(opts.labels); votes != "" {
				msg += ": " + votes
				if approvals, err = rc.pushApprovals(ctx, tx, ch, ps, push.Caller.ID, branch, labels, opts.labels); err != nil {
					return err
				}
				for name, v := range opts.labels {
					if err := u.Changes.SetApproval(ctx, tx, change.Vote{Change: ch.Number, PatchSet: ps.Number,
						AccountID: push.Caller.ID, Label: canonicalLabel(labels, name), Value: v, Granted: now}); err != nil {
						return err
					}
				}
			}
			msg += "."
			var published []change.Comment
			if opts.publish && !isNew && u.Drafts != nil {
				if published, err = u.Drafts.DraftsToPublish(ctx, tx, ch, ps, push.Caller.ID, now); err != nil {
					return err
				}
			}
			msg += change.CommentsNote(len(published))
			if len(published) > 0 && approvals == nil {
				// comment-added reports the labels even without votes.
				if approvals, err = rc.pushApprovals(ctx, tx, ch, ps, push.Caller.ID, branch, labels, nil); err != nil {
					return err
				}
			}
			if opts.message != "" {
				msg += "\n\n" + opts.message
			}
			cm := &change.ChangeMessage{Change: ch.Number, PatchSet: ps.Number,
				AuthorID: push.Caller.ID, Message: msg, Tag: "autogenerated:gerrit:newPatchSet", Created: now}
			if err := u.Changes.AddMessage(ctx, tx, cm); err != nil {
				return err
			}
			for i := range published {
				published[i].ChangeMessageID = cm.ID
				if err := u.Changes.PutComment(ctx, tx, &published[i]); err != nil {
					return err
				}
			}
			if u.Events != nil {
				effects := pushEffects{ch: ch, ps: ps, isNew: isNew, before: &before, oldTags: oldTags, tags: opts.hashtags,
					reviewers: added, approvals: approvals, comments: len(published), message: msg, actor: push.Caller.ID}
				appendEvents = append(appendEvents, func() error {
					if err := u.Events.PatchSetCreated(ctx, tx, ch, ps, push.Caller.ID); err != nil {
						return err
					}
					if err := u.Events.RefUpdated(ctx, tx, ch.Project, ps.Ref(), refupdate.ZeroOID, ps.Commit, push.Caller.ID); err != nil {
						return err
					}
					return uploadEvents(ctx, tx, u.Events, effects)
				})
			}
			refs = append(refs, refupdate.Update{Ref: ps.Ref(), Old: refupdate.ZeroOID, New: ps.Commit})
			outcomes = append(outcomes, outcome{project: ch.Project, number: ch.Number, subject: ch.Subject, isNew: isNew, wip: ch.WIP, private: ch.Private})
		}
		// The refs go in before the rows commit: a change never exists
		// without its patch-set ref. A retried transaction finds its own
		// refs already there, which is fine.
		if err := r.UpdateRefs(ctx, refs...); err != nil {
			var mm *refupdate.MismatchError
			if !errors.As(err, &mm) || !rc.refsInPlace(ctx, r, refs) {
				return fmt.Errorf("write patch-set refs: %w", err)
			}
		}
		for _, appendEvent := range appendEvents {
			if err := appendEvent(); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, change.ErrConcurrentUpdate) {
		c.reject = "change updated concurrently; push again"
		return nil, nil
	}
	if fail.KindOf(err) == fail.Conflict {
		c.reject = fail.Message(err, "conflict")
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if u.Committed != nil {
		u.Committed()
	}
	for _, o := range outcomes {
		rc.log.Info("change uploaded", "project", push.Project, "change", o.number, "new", o.isNew, "account_id", push.Caller.ID)
	}
	if opts.submit && len(outcomes) > 0 {
		last := plan[len(plan)-1]
		if err := u.Merger.SubmitPushed(ctx, push.Caller, push.Groups, outcomes[len(outcomes)-1].number, last.commit.OID); err != nil {
			msg := fail.Message(err, "internal server error")
			first, _, _ := strings.Cut(msg, "\n")
			c.reject = "submit failed: " + first
			fmt.Fprintf(msgs, "ERROR: %s\n", msg)
			return outcomes, nil
		}
		for i := range outcomes {
			outcomes[i].merged = true
		}
	}
	return outcomes, nil
}

// refsInPlace reports whether every update's ref already holds its new
// value (a retried transaction that wrote them the first time).
func (rc *Receiver) refsInPlace(ctx context.Context, r *repo.Repo, ups []refupdate.Update) bool {
	for _, u := range ups {
		oid, err := r.Resolve(ctx, u.Ref)
		if err != nil || oid != u.New {
			return false
		}
	}
	return true
}

// patchSetKind classifies a new patch set against the previous one.
func (rc *Receiver) patchSetKind(ctx context.Context, r *repo.Repo, prev *change.PatchSet, next *repo.Commit) (string, error) {
	old, err := r.ReadCommit(ctx, prev.Commit)
	if err != nil {
		return "", err
	}
	sameParents := strings.Join(old.Parents, " ") == strings.Join(next.Parents, " ")
	sameMessage := strings.TrimSpace(old.Message) == strings.TrimSpace(next.Message)
	switch {
	case old.Tree == next.Tree && sameParents && sameMessage:
		return change.KindNoChange, nil
	case old.Tree == next.Tree && sameParents:
		return change.KindNoCodeChange, nil
	case sameParents:
		return change.KindRework, nil
	}
	same, err := merge.TrivialRebase(ctx, rc.runner, r, old, next)
	if err != nil || !same {
		return change.KindRework, err
	}
	if sameMessage {
		return change.KindTrivialRebase, nil
	}
	return change.KindTrivialRebaseWithMessageUpdate, nil
}

// excludeBases lists the commits of tip not reachable from the given bases.
func (rc *Receiver) excludeBases(ctx context.Context, r *repo.Repo, tip string, bases []string) ([]string, error) {
	var ids []string
	for _, b := range bases {
		oid, err := r.Resolve(ctx, b)
		if err != nil {
			return nil, fmt.Errorf("base %s doesn't represent a valid SHA-1", b)
		}
		ids = append(ids, oid)
	}
	return r.RevListExcluding(ctx, tip, ids)
}

func (rc *Receiver) resolveAll(ctx context.Context, names []string) ([]*account.Account, error) {
	var out []*account.Account
	for _, n := range names {
		a, err := rc.uploads.Accounts.Resolve(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("account '%s' not found", n)
		}
		out = append(out, a)
	}
	return out, nil
}

// checkVote validates a vote given with l=.
func checkVote(chk *access.Checker, branch string, labels []project.LabelType, name string, v int) string {
	for _, l := range labels {
		if !strings.EqualFold(l.Name, name) {
			continue
		}
		if _, ok := l.Value(v); !ok {
			return fmt.Sprintf("label \"%s\": %d is not a valid value", l.Name, v)
		}
		lo, hi, ok := chk.Range(branch, "label-"+l.Name)
		if !ok || v < lo || v > hi {
			return fmt.Sprintf("prohibited by Gerrit: not permitted: label %s%s", l.Name, project.FormatLabelValue(v))
		}
		return ""
	}
	return fmt.Sprintf("label \"%s\" is not a configured label", name)
}

func canonicalLabel(labels []project.LabelType, name string) string {
	for _, l := range labels {
		if strings.EqualFold(l.Name, name) {
			return l.Name
		}
	}
	return name
}

// formatVotes renders votes as change messages do: "Code-Review+2 Verified+1".
func formatVotes(votes map[string]int) string {
	var parts []string
	for name, v := range votes {
		parts = append(parts, project.FormatVote(name, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// changeIDOf applies the Change-Id rules to a commit pushed for review and
// returns its Change-Id, inventing one (as Gerrit does, with a warning)
// where the project does not require it; reason is the rejection text.
func (rc *Receiver) changeIDOf(c *repo.Commit, required bool, msgs io.Writer) (id, reason string) {
	id, err := change.CheckChangeID(c.Message, change.ChangeIDRules{Required: required, WebURL: rc.uploads.WebURL})
	var cerr change.ChangeIDError
	switch {
	case errors.As(err, &cerr):
		fmt.Fprintf(msgs, "ERROR: %s\n", cerr.Reason(c.OID))
		if hint := cerr.Hint(change.HookCommandHTTP(rc.uploads.WebURL)); hint != "" {
			for _, line := range strings.Split(strings.TrimRight(hint, "\n"), "\n") {
				fmt.Fprintf(msgs, "hint: %s\n", strings.TrimPrefix(line, "Hint: "))
			}
		}
		return "", cerr.Reason(c.OID)
	case err != nil:
		return "", err.Error()
	case id == "":
		id = change.GenerateChangeID(change.IDSource{Tree: c.Tree, Parent: c.FirstParent(),
			Author: identLine(c.Author), Committer: identLine(c.Committer), Message: c.Message})
		fmt.Fprintf(msgs, "warning: pushing without Change-Id is deprecated\n")
	}
	return id, ""
}

func identLine(s repo.Signature) string {
	sign, tz := '+', s.TZ
	if tz < 0 {
		sign, tz = '-', -tz
	}
	return fmt.Sprintf("%s <%s> %d %c%02d%02d", s.Name, s.Email, s.When.Unix(), sign, tz/60, tz%60)
}

// uploadAll handles the refs/for/ commands of a push.
func (rc *Receiver) uploadAll(ctx context.Context, push *Session, cmds []*command, options []string, msgs io.Writer) []outcome {
	rejectAll := func(reason string) []outcome {
		for _, c := range cmds {
			c.reject = reason
		}
		return nil
	}
	if push.Caller == nil {
		return rejectAll("internal server error")
	}
	subject := access.Subject{AccountID: push.Caller.ID, Username: push.Caller.Username, Groups: push.Groups}
	chk, state, err := rc.access.Check(ctx, push.Project, subject)
	if err != nil {
		rc.log.Error("load access", "project", push.Project, "err", err)
		return rejectAll("internal server error")
	}
	if state.Config != nil && state.Config.StateOrDefault() != project.StateActive {
		return rejectAll("prohibited by Gerrit: project state does not permit write")
	}
	var all []outcome
	for _, c := range cmds {
		out, err := rc.upload(ctx, push, chk, state, c, options, msgs)
		if err != nil {
			rc.log.Error("upload", "project", push.Project, "ref", c.ref, "err", err)
			c.reject = "internal server error"
			continue
		}
		all = append(all, out...)
	}
	return all
}

// printSummary writes Gerrit 3.x's push summary: the progress line, then
// SUCCESS and one line per change.
func printSummary(w io.Writer, refs int, outcomes []outcome, u *Uploads) {
	counts := fmt.Sprintf("refs: %d", refs)
	created, updated := 0, 0
	for _, o := range outcomes {
		if o.isNew {
			created++
		} else {
			updated++
		}
	}
	if created > 0 {
		counts += fmt.Sprintf(", new: %d", created)
	}
	if updated > 0 {
		counts += fmt.Sprintf(", updated: %d", updated)
	}
	fmt.Fprintf(w, "Processing changes: %s, done    \n", counts)
	if len(outcomes) == 0 {
		return
	}
	fmt.Fprintf(w, "\nSUCCESS\n\n")
	for _, o := range outcomes {
		subject := o.subject
		if len(subject) > 80 {
			subject = subject[:77] + "..."
		}
		line := fmt.Sprintf("  %s %s", change.URL(u.WebURL, o.project, o.number), subject)
		if o.isNew {
			line += " [NEW]"
		}
		if o.merged {
			line += " [MERGED]"
		}
		if o.edit {
			line += " [EDIT]"
		}
		if o.private {
			line += " [PRIVATE]"
		}
		if o.wip {
			line += " [WIP]"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w)
}
