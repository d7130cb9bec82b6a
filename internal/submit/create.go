package submit

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/fail"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
	"tandem/internal/merge"
	"tandem/internal/project"
)

// ChangeSpec is a change to create from nothing but a subject: Gerrit's
// ChangeInput.
type ChangeSpec struct {
	Project, Branch string // the branch by short or full name
	Subject         string // the commit message; a Change-Id footer in it is kept
	Topic           string
	WIP, Private    bool
	BaseCommit      string // what the change starts from; "" is the branch tip
}

// targetBranch checks that the caller may create changes for branch of
// the project (push on refs/for/branch) and returns the full branch name,
// the repository and the branch's tip.
func (s *Service) targetBranch(ctx context.Context, caller Caller, projectName, branch string) (string, *repo.Repo, string, error) {
	if !strings.HasPrefix(branch, "refs/") {
		branch = "refs/heads/" + branch
	}
	chk, _, err := s.o.Access.Check(ctx, projectName, caller.subject())
	if err != nil {
		return "", nil, "", err
	}
	if !chk.Visible() {
		return "", nil, "", fail.Errorf(fail.NotFound, "Not found: %s", projectName)
	}
	if !chk.Can("refs/for/"+branch, project.PermPush) {
		return "", nil, "", fail.Errorf(fail.Forbidden, "not permitted: create change on %s", branch)
	}
	r, err := s.o.Projects.Open(ctx, projectName)
	if err != nil {
		return "", nil, "", err
	}
	tip, err := r.RefOID(ctx, branch)
	if errors.Is(err, repo.ErrNotFound) {
		return "", nil, "", fail.Errorf(fail.Invalid, "Branch %s does not exist.", branch)
	}
	return branch, r, tip, err
}

// CreateChange makes a change whose one patch set is an empty commit on
// the branch with the subject as its message, as Gerrit's POST /changes/.
func (s *Service) CreateChange(ctx context.Context, caller Caller, in ChangeSpec, newPatchSet NewPatchSetFunc) (*change.Change, error) {
	msg := strings.TrimSpace(in.Subject)
	if msg == "" {
		return nil, fail.Errorf(fail.Invalid, "commit message must be non-empty")
	}
	branch, r, tip, err := s.targetBranch(ctx, caller, in.Project, in.Branch)
	if err != nil {
		return nil, err
	}
	base := tip
	if in.BaseCommit != "" {
		if base, err = r.Resolve(ctx, in.BaseCommit+"^{commit}"); err != nil {
			return nil, fail.Errorf(fail.Invalid, "Base commit not found: %s", in.BaseCommit)
		}
		if ok, err := r.IsAncestor(ctx, base, tip); err != nil || !ok {
			return nil, fail.Errorf(fail.Invalid, "Base commit %s is not in %s", in.BaseCommit, branch)
		}
	}
	parent, err := r.ReadCommit(ctx, base)
	if err != nil {
		return nil, err
	}
	key, err := change.CheckChangeID(msg, change.ChangeIDRules{WebURL: s.o.WebURL})
	if err != nil {
		return nil, fail.Errorf(fail.Invalid, "%s", err.Error())
	}
	now := s.o.Clock.Now().UTC().Truncate(time.Microsecond)
	who := caller.Account
	me := repo.Ident{Name: who.DisplayName(), Email: who.PreferredEmail, When: now}
	if key == "" {
		key, msg = withChangeID(parent.Tree, base, me, msg)
	}
	commit, err := r.WriteCommit(ctx, parent.Tree, []string{base}, msg, me, me)
	if err != nil {
		return nil, err
	}
	return s.addChange(ctx, r, caller, newChange{project: in.Project, branch: branch, commit: commit, key: key,
		topic: in.Topic, wip: in.WIP, private: in.Private}, now, newPatchSet)
}

// CherryPick copies patch set psNumber of change n onto the branch dest,
// with message as the new commit's message when not empty. The copy keeps
// the Change-Id: it becomes a new patch set of the open change with that
// Change-Id on dest, or a new change, as Gerrit's cherrypick does.
func (s *Service) CherryPick(ctx context.Context, caller Caller, n int64, psNumber int, dest, message string, newPatchSet NewPatchSetFunc) (*change.Change, error) {
	src, err := s.o.Changes.Get(ctx, s.o.DB, n)
	if err != nil {
		return nil, err
	}
	ps, err := s.o.Changes.PatchSet(ctx, s.o.DB, n, psNumber)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(dest) == "" {
		return nil, fail.Errorf(fail.Invalid, "destination must be non-empty")
	}
	branch, r, tip, err := s.targetBranch(ctx, caller, src.Project, dest)
	if err != nil {
		return nil, err
	}
	if branch == src.Branch {
		return nil, fail.Errorf(fail.Conflict, "cannot cherry-pick change %d onto its own branch %s", n, branch)
	}
	now := s.o.Clock.Now().UTC().Truncate(time.Microsecond)
	who := caller.Account
	me := repo.Ident{Name: who.DisplayName(), Email: who.PreferredEmail, When: now}
	res, err := merge.Apply(ctx, s.o.Runner, merge.Input{
		Repo: r, Strategy: merge.CherryPick, Branch: branch, Tip: tip,
		Changes:   []merge.ChangeInput{{Number: int(n), Commit: ps.Commit, ChangeID: src.Key}},
		Committer: me, MergeContent: true,
	})
	var conflict *merge.ConflictError
	if errors.As(err, &conflict) {
		return nil, fail.Errorf(fail.Conflict, "%s", conflict.Msg)
	}
	if err != nil {
		return nil, err
	}
	commitID := res.Commits[int(n)]
	key := src.Key
	if message = strings.TrimSpace(message); message != "" {
		// The caller's message, which keeps the change's Change-Id unless
		// it names one itself.
		if key, err = change.CheckChangeID(message, change.ChangeIDRules{WebURL: s.o.WebURL}); err != nil {
			return nil, fail.Errorf(fail.Invalid, "%s", err.Error())
		}
		if key == "" {
			key, message = src.Key, message+"\n\nChange-Id: "+src.Key
		}
		picked, err := r.ReadCommit(ctx, commitID)
		if err != nil {
			return nil, err
		}
		author := repo.Ident{Name: picked.Author.Name, Email: picked.Author.Email, When: picked.Author.When}
		if commitID, err = r.WriteCommit(ctx, picked.Tree, picked.Parents, message, author, me); err != nil {
			return nil, err
		}
	}
	existing, err := s.o.Changes.ByKey(ctx, s.o.DB, src.Project, branch, key)
	if err != nil {
		return nil, err
	}
	for _, ch := range existing {
		if !ch.Status.Open() {
			continue
		}
		prev, err := s.o.Changes.CurrentPatchSet(ctx, s.o.DB, ch)
		if err != nil {
			return nil, err
		}
		return s.addPatchSet(ctx, r, caller, ch, prev, patchSetSpec{commit: commitID, kind: change.KindRework, cherryPickOf: ps,
			message: fmt.Sprintf("Patch Set %d: Cherry Picked from branch %s.", prev.Number+1, strings.TrimPrefix(src.Branch, "refs/heads/"))},
			now, newPatchSet)
	}
	return s.addChange(ctx, r, caller, newChange{project: src.Project, branch: branch, commit: commitID, key: key, topic: src.Topic,
		cherryPickOf: ps}, now, newPatchSet)
}

// newChange is a change addChange makes.
type newChange struct {
	project, branch, commit, key, topic string
	wip, private                        bool
	revertOf                            int64            // the change it reverts
	cherryPickOf                        *change.PatchSet // what it is a cherry-pick of
}

// addChange makes a new change of the commit, as a push for review would:
// the change, its first patch set and message, what newPatchSet does
// (with no previous patch set) and the patch set's ref.
func (s *Service) addChange(ctx context.Context, r *repo.Repo, caller Caller, in newChange, now time.Time, newPatchSet NewPatchSetFunc) (*change.Change, error) {
	if err := change.CheckNewChangeID(in.key); err != nil {
		return nil, fail.Errorf(fail.Invalid, "%s", err.Error())
	}
	commit, err := r.ReadCommit(ctx, in.commit)
	if err != nil {
		return nil, err
	}
	diff, err := r.DiffFiles(ctx, commit.FirstParent(), commit.OID)
	if err != nil {
		return nil, err
	}
	files := change.FilesOf(diff)
	var ch *change.Change
	err = s.tx(ctx, func(tx *db.Tx) error {
		same, err := s.o.Changes.ByKey(ctx, tx, in.project, in.branch, in.key)
		if err != nil {
			return err
		}
		for _, c := range same {
			if c.Status.Open() {
				return fail.Errorf(fail.Conflict, "change %d with Change-Id %s is already open on %s", c.Number, in.key, in.branch)
			}
		}
		n, err := s.o.Changes.NextNumber(ctx, tx)
		if err != nil {
			return err
		}
		ch = &change.Change{Number: n, Project: in.project, Branch: in.branch, Key: in.key, OwnerID: caller.Account.ID,
			Status: change.StatusNew, Subject: commit.Subject(), Topic: in.topic, CurrentPS: 1, WIP: in.wip, Private: in.private,
			Reviewed: !in.wip, Created: now, Updated: now, RevertOf: in.revertOf}
		if in.cherryPickOf != nil {
			ch.CherryPickOf, ch.CherryPickOfPS = in.cherryPickOf.Change, in.cherryPickOf.Number
		}
		if err := s.o.Changes.Insert(ctx, tx, ch); err != nil {
			return err
		}
		ps := change.PatchSetOf(commit, files)
		ps.Change, ps.Number, ps.UploaderID, ps.Created, ps.Kind = n, 1, caller.Account.ID, now, change.KindRework
		if err := s.o.Changes.InsertPatchSet(ctx, tx, ps, files); err != nil {
			return err
		}
		if err := s.o.Changes.AddMessage(ctx, tx, &change.ChangeMessage{Change: n, PatchSet: 1, AuthorID: caller.Account.ID,
			Message: "Uploaded patch set 1.", Tag: "autogenerated:gerrit:newPatchSet", Created: now}); err != nil {
			return err
		}
		if newPatchSet != nil {
			if err := newPatchSet(ctx, tx, ch, nil, ps); err != nil {
				return err
			}
		}
		return r.UpdateRefs(ctx, refupdate.Update{Ref: ps.Ref(), Old: refupdate.ZeroOID, New: ps.Commit})
	})
	if err != nil {
		return nil, err
	}
	return ch, nil
}

// RevertSpec is how to revert a change: Gerrit's RevertInput.
type RevertSpec struct {
	Message string // the new commit's message; Gerrit's default when empty
	Topic   string
	WIP     bool
}

// Revert makes a new change on the merged change n's branch that undoes
// its current patch set on top of the branch tip.
func (s *Service) Revert(ctx context.Context, caller Caller, n int64, in RevertSpec, newPatchSet NewPatchSetFunc) (*change.Change, error) {
	src, err := s.o.Changes.Get(ctx, s.o.DB, n)
	if err != nil {
		return nil, err
	}
	if src.Status != change.StatusMerged {
		return nil, fail.Errorf(fail.Conflict, "change is %s", strings.ToLower(string(src.Status)))
	}
	chk, _, err := s.o.Access.Check(ctx, src.Project, caller.subject())
	if err != nil {
		return nil, err
	}
	if !chk.Can(src.Branch, project.PermRevert) {
		return nil, fail.Errorf(fail.Forbidden, "revert not permitted")
	}
	branch, r, tip, err := s.targetBranch(ctx, caller, src.Project, src.Branch)
	if err != nil {
		return nil, err
	}
	ps, err := s.o.Changes.CurrentPatchSet(ctx, s.o.DB, src)
	if err != nil {
		return nil, err
	}
	tree, err := merge.RevertTree(ctx, s.o.Runner, r, ps.Commit, tip)
	var conflict *merge.ConflictError
	if errors.As(err, &conflict) {
		return nil, fail.Errorf(fail.Conflict, "%s", conflict.Msg)
	}
	if err != nil {
		return nil, err
	}
	msg := strings.TrimSpace(in.Message)
	if msg == "" {
		msg = fmt.Sprintf("Revert \"%s\"\n\nThis reverts commit %s.", src.Subject, ps.Commit)
	}
	key, err := change.CheckChangeID(msg, change.ChangeIDRules{WebURL: s.o.WebURL})
	if err != nil {
		return nil, fail.Errorf(fail.Invalid, "%s", err.Error())
	}
	now := s.o.Clock.Now().UTC().Truncate(time.Microsecond)
	who := caller.Account
	me := repo.Ident{Name: who.DisplayName(), Email: who.PreferredEmail, When: now}
	if key == "" {
		key, msg = withChangeID(tree, tip, me, msg)
	}
	commit, err := r.WriteCommit(ctx, tree, []string{tip}, msg, me, me)
	if err != nil {
		return nil, err
	}
	// The reverted change says so, in the same transaction.
	noteRevert := func(ctx context.Context, q db.Querier, ch *change.Change, prev, next *change.PatchSet) error {
		if newPatchSet != nil {
			if err := newPatchSet(ctx, q, ch, prev, next); err != nil {
				return err
			}
		}
		reverted, err := s.o.Changes.Get(ctx, q, src.Number)
		if err != nil {
			return err
		}
		reverted.Updated = now
		if err := s.o.Changes.Update(ctx, q, reverted); err != nil {
			return err
		}
		return s.o.Changes.AddMessage(ctx, q, &change.ChangeMessage{Change: src.Number, PatchSet: src.CurrentPS, AuthorID: who.ID,
			Message: "Created a revert of this change as " + key, Tag: "autogenerated:gerrit:revert", Created: now})
	}
	return s.addChange(ctx, r, caller, newChange{project: src.Project, branch: branch, commit: commit, key: key,
		topic: in.Topic, wip: in.WIP, revertOf: src.Number}, now, noteRevert)
}

// withChangeID gives a message Tandem writes a Change-Id footer, computed
// as a commit-msg hook would from the commit's parts, and returns both.
func withChangeID(tree, parent string, who repo.Ident, msg string) (string, string) {
	sig := fmt.Sprintf("%s <%s> %d +0000", who.Name, who.Email, who.When.Unix())
	key := change.GenerateChangeID(change.IDSource{Tree: tree, Parent: parent, Author: sig, Committer: sig, Message: msg})
	return key, msg + "\n\nChange-Id: " + key
}

// revertsLine finds what a revert's message says it reverts.
var revertsLine = regexp.MustCompile(`(?m)^This reverts commit ([0-9a-f]{40})`)

// PureRevert reports whether change n's current patch set exactly undoes
// the commit claimed (when empty, the one its message says it reverts) on
// top of the patch set's parent: Gerrit's pure_revert check.
func (s *Service) PureRevert(ctx context.Context, n int64, claimed string) (bool, error) {
	ch, err := s.o.Changes.Get(ctx, s.o.DB, n)
	if err != nil {
		return false, err
	}
	ps, err := s.o.Changes.CurrentPatchSet(ctx, s.o.DB, ch)
	if err != nil {
		return false, err
	}
	if claimed == "" {
		m := revertsLine.FindStringSubmatch(ps.Message)
		if m == nil {
			return false, fail.Errorf(fail.Invalid, "No ID was provided and change isn't a revert")
		}
		claimed = m[1]
	}
	r, err := s.o.Projects.Open(ctx, ch.Project)
	if err != nil {
		return false, err
	}
	reverted, err := r.Resolve(ctx, claimed+"^{commit}")
	if err != nil {
		return false, fail.Errorf(fail.Invalid, "invalid object ID: %s", claimed)
	}
	commit, err := r.ReadCommit(ctx, ps.Commit)
	if err != nil {
		return false, err
	}
	if len(commit.Parents) != 1 {
		return false, nil
	}
	tree, err := merge.RevertTree(ctx, s.o.Runner, r, reverted, commit.Parents[0])
	var conflict *merge.ConflictError
	if errors.As(err, &conflict) {
		return false, nil
	}
	return err == nil && tree == commit.Tree, err
}
