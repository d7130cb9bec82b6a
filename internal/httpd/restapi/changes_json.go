package restapi

import (
	"context"
	"fmt"
	"golang.org/x/sync/errgroup"
	"net/url"
	"strconv"
	"strings"
	"time"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/git/repo"
	"tandem/internal/httpd/auth"
	"tandem/internal/project"
)

// pageBuilder turns a page of changes into ChangeInfo: it loads each kind
// of row for the whole page at once, then assembles each change.
type pageBuilder struct {
	a       *API
	labeler Labeler // for this page; see PageLabeler
	q       *request
	ctx     context.Context
	opts    changeOptions
	// only, when set, is the one patch set to describe (GET …/review).
	only *change.PatchSet

	patchSets  map[int64][]*change.PatchSet
	hashtags   map[int64][]string
	attention  map[int64][]change.Attention
	counts     map[int64]commentCounts
	votes      map[int64][]change.Vote
	reviewers  map[int64][]change.Reviewer
	messages   map[int64][]change.ChangeMessage
	starred    map[int64]bool
	files      map[change.PatchSetKey][]change.File
	accounts   map[int64]*account.Account
	evals      map[int64]*Evaluation
	projects   map[string]*projectView
	parentPS   map[string]*parentChange // o=PARENTS: patch sets that are parents
	subjects   map[string]string        // commit → subject, for parents
	byCommit   map[string]*change.PatchSet
	branchTips map[string]string
}

// projectView is one project as the caller sees it.
type projectView struct {
	name string
	chk  *access.Checker // looked up on first use
	repo *repo.Repo      // opened on first use
	anon *access.Checker // anonymous users' permissions, looked up on first use
}

// checker returns the caller's permissions in pv's project, looked up on
// first use: only revision actions need them.
func (b *pageBuilder) checker(pv *projectView) (*access.Checker, error) {
	if pv.chk == nil {
		chk, _, err := b.a.access.Check(b.ctx, pv.name, b.q.caller.Subject())
		if err != nil {
			return nil, err
		}
		pv.chk = chk
	}
	return pv.chk, nil
}

// parentChange is a change whose patch set is the parent of a revision.
type parentChange struct {
	ps *change.PatchSet
	c  *change.Change
}

// changeInfos builds the ChangeInfo of each change, in order. The changes
// must already be known visible to the caller.
func (a *API) changeInfos(q *request, cs []*change.Change, opts changeOptions) ([]*ChangeInfo, error) {
	return a.buildChanges(q, cs, opts, nil)
}

func (a *API) buildChanges(q *request, cs []*change.Change, opts changeOptions, only *change.PatchSet) ([]*ChangeInfo, error) {
	out := make([]*ChangeInfo, 0, len(cs))
	if len(cs) == 0 {
		return out, nil
	}
	b := &pageBuilder{a: a, q: q, ctx: q.r.Context(), opts: opts, only: only,
		subjects: map[string]string{}, branchTips: map[string]string{}}
	if err := b.load(cs); err != nil {
		return nil, err
	}
	for _, c := range cs {
		info, err := b.build(c)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

func (b *pageBuilder) signedIn() bool { return !b.q.caller.Anonymous() }

// wantRevisions reports whether revisions are described at all.
func (b *pageBuilder) wantRevisions() bool {
	return b.only != nil || b.opts.anyOf(optCurrentRevision, optAllRevisions)
}

// load reads everything the options need for the page.
func (b *pageBuilder) load(cs []*change.Change) error {
	ctx, a, o := b.ctx, b.a, b.opts
	numbers := make([]int64, len(cs))
	for i, c := range cs {
		numbers[i] = c.Number
	}
	labels := o.anyOf(optLabels, optDetailedLabels)
	evaluate := a.requirements != nil && (o.anyOf(optSubmittable, optSubmitRequirements) ||
		o.anyOf(optCurrentActions, optChangeActions) && b.signedIn())
	// The reads are independent of one another: they run at once, each
	// on a connection of its own, as the sequence of reads they replace
	// never shared a snapshot either.
	var (
		pss      []*change.PatchSet
		comments map[int64][]change.Comment
		reads    errgroup.Group
	)
	reads.Go(func() (err error) { pss, err = a.changes.PatchSetsOf(ctx, cs); return })
	reads.Go(func() (err error) { b.hashtags, err = a.changes.HashtagsOf(ctx, a.db, numbers...); return })
	reads.Go(func() (err error) { b.counts, err = commentCountsOf(ctx, a.db, numbers); return })
	reads.Go(func() (err error) { b.attention, err = a.changes.AttentionSets(ctx, a.db, numbers...); return })
	if labels || evaluate || o.has(optCommitFooters) && b.wantRevisions() {
		reads.Go(func() error {
			votes, err := a.changes.Approvals(ctx, a.db, numbers...)
			b.votes = map[int64][]change.Vote{}
			for _, v := range votes {
				b.votes[v.Change] = append(b.votes[v.Change], v)
			}
			return err
		})
	}
	if labels || evaluate || o.has(optReviewerUpdates) {
		reads.Go(func() (err error) { b.reviewers, err = a.changes.ReviewersOf(ctx, a.db, numbers...); return })
	}
	if o.has(optMessages) || o.has(optReviewed) && b.signedIn() {
		reads.Go(func() (err error) { b.messages, err = b.a.messagesOf(ctx, a.db, numbers); return })
	}
	if o.has(optStar) && b.signedIn() {
		reads.Go(func() (err error) { b.starred, err = a.changes.Starred(ctx, a.db, b.q.caller.ID(), numbers...); return })
	}
	if evaluate || b.wantRevisions() && o.anyOf(optCurrentFiles, optAllFiles) {
		reads.Go(func() (err error) { b.files, err = a.changes.FilesOfChanges(ctx, a.db, numbers...); return })
	}
	if evaluate {
		reads.Go(func() (err error) { comments, err = a.publishedCommentsOf(ctx, a.db, numbers); return })
	}
	if err := reads.Wait(); err != nil {
		return err
	}
	b.patchSets = map[int64][]*change.PatchSet{}
	b.byCommit = map[string]*change.PatchSet{}
	for _, ps := range pss {
		b.patchSets[ps.Change] = append(b.patchSets[ps.Change], ps)
		b.byCommit[ps.Commit] = ps
	}
	if b.projects == nil {
		b.projects = map[string]*projectView{}
	}
	for _, c := range cs {
		if b.projects[c.Project] == nil {
			b.projects[c.Project] = &projectView{name: c.Project}
		}
	}
	// Then what depends on those rows, again at once.
	var more errgroup.Group
	if evaluate {
		more.Go(func() error {
			rows := make([]ChangeRows, len(cs))
			for i, c := range cs {
				rows[i] = b.rows(c)
				rows[i].Comments = comments[c.Number]
				rows[i].Files = b.files[change.PatchSetKey{Change: c.Number, PatchSet: c.CurrentPS}]
			}
			evals, err := a.requirements.Evaluate(ctx, b.q.caller.Subject(), rows)
			b.evals = map[int64]*Evaluation{}
			for i := range evals {
				if i < len(cs) {
					b.evals[cs[i].Number] = &evals[i]
				}
			}
			return err
		})
	}
	if o.has(optParents) && b.wantRevisions() {
		more.Go(b.loadParents)
	}
	if o.anyOf(optDetailedAccounts, optCommitFooters) {
		var ids []int64
		for _, c := range cs {
			ids = append(ids, c.OwnerID, c.SubmitterID)
		}
		for _, ps := range pss {
			ids = append(ids, ps.UploaderID)
		}
		for _, vs := range b.votes {
			for _, v := range vs {
				ids = append(ids, v.AccountID)
			}
		}
		for _, rs := range b.reviewers {
			for _, r := range rs {
				ids = append(ids, r.AccountID)
			}
		}
		for _, ms := range b.messages {
			for _, m := range ms {
				ids = append(ids, m.AuthorID, m.RealAuthorID)
			}
		}
		for _, set := range b.attention {
			for _, at := range set {
				ids = append(ids, at.AccountID, at.ReasonAccount)
			}
		}
		more.Go(func() (err error) { b.accounts, err = accountsOf(ctx, a.db, ids); return })
	}
	return more.Wait()
}

// rows are the loaded rows of one change, for the evaluators.
func (b *pageBuilder) rows(c *change.Change) ChangeRows {
	return ChangeRows{Change: c, PatchSets: b.patchSets[c.Number], Votes: b.votes[c.Number],
		Reviewers: b.reviewers[c.Number], Hashtags: b.hashtags[c.Number]}
}

// loadParents finds the patch sets, of any change, that are parents of
// the page's revisions.
func (b *pageBuilder) loadParents() error {
	var shas []string
	for _, pss := range b.patchSets {
		for _, ps := range pss {
			shas = append(shas, ps.Parents...)
		}
	}
	found, err := b.a.changes.PatchSetsByCommit(b.ctx, b.a.db, shas)
	if err != nil {
		return err
	}
	b.parentPS = map[string]*parentChange{}
	for _, ps := range found {
		c, err := b.a.changes.Get(b.ctx, b.a.db, ps.Change)
		if err != nil {
			continue
		}
		if prev := b.parentPS[ps.Commit]; prev == nil || prev.c.Status != change.StatusNew {
			b.parentPS[ps.Commit] = &parentChange{ps: ps, c: c}
		}
	}
	return nil
}

// account renders an account: just its id unless DETAILED_ACCOUNTS.
func (b *pageBuilder) account(id int64) AccountInfo {
	if a := b.accounts[id]; a != nil && b.opts.has(optDetailedAccounts) {
		return accountInfo(a, false)
	}
	return AccountInfo{ID: id}
}

func (b *pageBuilder) accountPtr(id int64) *AccountInfo {
	if id == 0 {
		return nil
	}
	a := b.account(id)
	return &a
}

func patchSetNumbered(pss []*change.PatchSet, n int) *change.PatchSet {
	for _, ps := range pss {
		if ps.Number == n {
			return ps
		}
	}
	return nil
}

// build assembles one change.
func (b *pageBuilder) build(c *change.Change) (*ChangeInfo, error) {
	o := b.opts
	pv := b.projects[c.Project]
	pss := b.patchSets[c.Number]
	cur := patchSetNumbered(pss, c.CurrentPS)
	counts := b.counts[c.Number]
	info := &ChangeInfo{
		ID:                     c.ID(),
		TripletID:              c.TripletID(),
		Project:                c.Project,
		Branch:                 c.ShortBranch(),
		Topic:                  c.Topic,
		Hashtags:               b.hashtags[c.Number],
		ChangeID:               c.Key,
		Subject:                c.Subject,
		Status:                 string(c.Status),
		Created:                timestamp(c.Created),
		Updated:                timestamp(c.Updated),
		TotalCommentCount:      counts.total,
		UnresolvedCommentCount: counts.unresolved,
		Number:                 c.Number,
		VirtualIDNumber:        c.Number,
		Owner:                  b.account(c.OwnerID),
		CurrentRevisionNumber:  c.CurrentPS,
		IsPrivate:              c.Private,
		WorkInProgress:         c.WIP,
		HasReviewStarted:       c.Reviewed,
		RevertOf:               c.RevertOf,
		CherryPickOfChange:     c.CherryPickOf,
		CherryPickOfPatchSet:   c.CherryPickOfPS,
	}
	info.AttentionSet, info.RemovedFromAttention = attentionMaps(b.attention[c.Number], b.account)
	if info.Hashtags == nil {
		info.Hashtags = []string{}
	}
	if c.Status == change.StatusMerged {
		if !c.Submitted.IsZero() {
			info.Submitted = timestamp(c.Submitted)
		}
		info.Submitter = b.accountPtr(c.SubmitterID)
		info.SubmissionID = c.SubmissionID
	}
	if !o.has(optSkipDiffstat) && cur != nil {
		ins, del := cur.Insertions, cur.Deletions
		info.Insertions, info.Deletions = &ins, &del
	}
	if o.has(optStar) {
		info.Starred = b.starred[c.Number]
	}
	if o.anyOf(optLabels, optDetailedLabels) {
		if err := b.labels(info, c); err != nil {
			return nil, err
		}
	}
	if o.has(optMessages) {
		for _, m := range b.messages[c.Number] {
			info.Messages = append(info.Messages, b.message(m))
		}
	}
	if o.has(optReviewerUpdates) {
		for _, r := range b.reviewers[c.Number] {
			info.ReviewerUpdates = append(info.ReviewerUpdates, ReviewerUpdateInfo{
				Updated: timestamp(r.Updated), Reviewer: b.account(r.AccountID), State: r.State})
		}
	}
	if o.has(optReviewed) && b.signedIn() {
		info.Reviewed = reviewedBy(c, b.messages[c.Number], b.q.caller.ID())
	}
	eval := b.evals[c.Number]
	if eval != nil {
		if o.has(optSubmittable) {
			ok := eval.Submittable && c.Status.Open()
			info.Submittable = &ok
		}
		if o.has(optSubmitRequirements) {
			info.SubmitRequirements = eval.Requirements
			info.SubmitRecords = b.renderRecords(eval.Records)
		}
		if o.anyOf(optSubmittable, optSubmitRequirements) {
			info.SubmitType = eval.SubmitType
		}
	}
	if b.signedIn() && o.anyOf(optChangeActions, optCurrentActions) {
		actions, err := b.changeActions(c)
		if err != nil {
			return nil, err
		}
		info.Actions = actions
	}
	if b.wantRevisions() {
		var out []*change.PatchSet
		switch {
		case b.only != nil:
			out = []*change.PatchSet{b.only}
		case o.has(optAllRevisions):
			out = pss
		case cur != nil:
			out = []*change.PatchSet{cur}
		}
		if len(out) > 0 {
			info.Revisions = map[string]*RevisionInfo{}
		}
		for _, ps := range out {
			ri, err := b.revision(c, pv, ps, ps.Number == c.CurrentPS, eval)
			if err != nil {
				return nil, err
			}
			info.Revisions[ps.Commit] = ri
		}
		if cur != nil && (b.only == nil || b.only.Number == cur.Number) {
			info.CurrentRevision = cur.Commit
		}
	}
	return info, nil
}

// renderRecords copies submit records with their applied_by accounts
// rendered for this page.
func (b *pageBuilder) renderRecords(recs []SubmitRecordInfo) []SubmitRecordInfo {
	out := make([]SubmitRecordInfo, len(recs))
	for i, r := range recs {
		r.Labels = append([]SubmitRecordLabelInfo(nil), r.Labels...)
		for j := range r.Labels {
			if by := r.Labels[j].AppliedBy; by != nil {
				r.Labels[j].AppliedBy = b.accountPtr(by.ID)
			}
		}
		out[i] = r
	}
	return out
}

// reviewedBy reports Gerrit's "reviewed" flag: the change is open and the
// caller, not its owner, wrote a message after the owner's last one.
func reviewedBy(c *change.Change, msgs []change.ChangeMessage, caller int64) bool {
	if !c.Status.Open() || caller == c.OwnerID {
		return false
	}
	var mine, owners time.Time
	for _, m := range msgs {
		switch m.AuthorID {
		case caller:
			mine = m.Created
		case c.OwnerID:
			owners = m.Created
		}
	}
	return !mine.IsZero() && mine.After(owners)
}

func (b *pageBuilder) message(m change.ChangeMessage) ChangeMessageInfo {
	return ChangeMessageInfo{
		ID:             strconv.FormatInt(m.ID, 10),
		Author:         b.accountPtr(m.AuthorID),
		RealAuthor:     b.accountPtr(m.RealAuthorID),
		Date:           timestamp(m.Created),
		Message:        m.Message,
		Tag:            m.Tag,
		RevisionNumber: m.PatchSet,
	}
}

// revision describes one patch set.
func (b *pageBuilder) revision(c *change.Change, pv *projectView, ps *change.PatchSet, isCurrent bool, eval *Evaluation) (*RevisionInfo, error) {
	o := b.opts
	kind := ps.Kind
	if kind == "" {
		kind = change.KindRework
	}
	ri := &RevisionInfo{
		Kind:        kind,
		Number:      ps.Number,
		Created:     timestamp(ps.Created),
		Uploader:    b.account(ps.UploaderID),
		Ref:         ps.Ref(),
		Fetch:       b.a.fetchInfo(b.q, c.Project, ps.Ref(), c.Number, ps.Number, o.has(optDownloadCommands), b.public(c, pv)),
		Description: ps.Description,
	}
	if o.has(optAllCommits) || isCurrent && o.has(optCurrentCommit) {
		ci, err := b.commitInfo(pv, ps)
		if err != nil {
			return nil, err
		}
		ri.Commit = ci
	}
	if o.has(optAllFiles) || isCurrent && o.has(optCurrentFiles) {
		files, err := b.a.fileInfos(b.ctx, pv, ps, b.files[change.PatchSetKey{Change: ps.Change, PatchSet: ps.Number}], b.subjectOf)
		if err != nil {
			return nil, err
		}
		ri.Files = files
	}
	if isCurrent && o.has(optCurrentActions) && b.signedIn() {
		chk, err := b.checker(pv)
		if err != nil {
			return nil, err
		}
		ri.Actions = b.a.revisionActions(b.q, c, ps, chk, eval)
	}
	if isCurrent && o.has(optCommitFooters) {
		ri.CommitWithFooters = b.commitWithFooters(c, ps)
	}
	if o.has(optParents) {
		pd, err := b.parentsData(c, pv, ps)
		if err != nil {
			return nil, err
		}
		ri.ParentsData = pd
	}
	return ri, nil
}

// commitInfo describes a patch set's commit from its stored copy; only
// the parents' subjects may need git.
func (b *pageBuilder) commitInfo(pv *projectView, ps *change.PatchSet) (*CommitInfo, error) {
	ci := commitInfoOf(ps)
	for i, p := range ps.Parents {
		s, err := b.subjectOf(pv, p)
		if err != nil {
			return nil, err
		}
		ci.Parents[i].Subject = s
	}
	return ci, nil
}

// commitInfoOf describes a patch set's commit without the parents'
// subjects.
func commitInfoOf(ps *change.PatchSet) *CommitInfo {
	ci := &CommitInfo{
		Parents:   make([]ParentCommit, len(ps.Parents)),
		Author:    gitPerson(ps.Author),
		Committer: gitPerson(ps.Committer),
		Subject:   commitSubject(ps.Message),
		Message:   ps.Message,
	}
	for i, p := range ps.Parents {
		ci.Parents[i] = ParentCommit{Commit: p}
	}
	return ci
}

// commitInfoOfGit describes a commit read from git.
func commitInfoOfGit(c *repo.Commit) CommitInfo {
	person := func(s repo.Signature) GitPersonInfo {
		return GitPersonInfo{Name: s.Name, Email: s.Email, Date: timestamp(s.When), TZ: s.TZ}
	}
	ci := CommitInfo{Commit: c.OID, Parents: make([]ParentCommit, len(c.Parents)), Author: person(c.Author),
		Committer: person(c.Committer), Subject: commitSubject(c.Message), Message: c.Message}
	for i, p := range c.Parents {
		ci.Parents[i] = ParentCommit{Commit: p}
	}
	return ci
}

func gitPerson(p change.Person) GitPersonInfo {
	return GitPersonInfo{Name: p.Name, Email: p.Email, Date: timestamp(p.When), TZ: p.TZ}
}

// commitSubject is Gerrit's (JGit's) subject: the first paragraph on one
// line.
func commitSubject(msg string) string { return change.ParseCommitMessage(msg).Subject }

// subjectOf returns the subject of a commit of the project: from a patch
// set of the page when it is one, else from git (remembered).
func (b *pageBuilder) subjectOf(pv *projectView, sha string) (string, error) {
	if ps := b.byCommit[sha]; ps != nil {
		return commitSubject(ps.Message), nil
	}
	if s, ok := b.subjects[sha]; ok {
		return s, nil
	}
	r, err := b.repoOf(pv)
	if err != nil {
		return "", err
	}
	commit, err := r.ReadCommit(b.ctx, sha)
	if err != nil {
		// A parent lost from the repository (it should not happen) only
		// costs its subject.
		b.a.log.Warn("read parent commit", "project", pv.name, "commit", sha, "err", err)
		b.subjects[sha] = ""
		return "", nil
	}
	s := commitSubject(commit.Message)
	b.subjects[sha] = s
	return s, nil
}

func (b *pageBuilder) repoOf(pv *projectView) (*repo.Repo, error) {
	if pv.repo == nil {
		r, err := b.a.projects.Open(b.ctx, pv.name)
		if err != nil {
			return nil, err
		}
		pv.repo = r
	}
	return pv.repo, nil
}

// parentsData describes the parents of a revision (o=PARENTS).
func (b *pageBuilder) parentsData(c *change.Change, pv *projectView, ps *change.PatchSet) ([]ParentInfo, error) {
	var out []ParentInfo
	for _, p := range ps.Parents {
		pi := ParentInfo{BranchName: c.Branch, CommitID: p}
		if pc := b.parentPS[p]; pc != nil && pc.c.Project == c.Project {
			pi.ChangeKey = pc.c.Key
			pi.ChangeNumber = pc.c.Number
			pi.PatchSetNumber = pc.ps.Number
			pi.ChangeStatus = string(pc.c.Status)
		}
		if pi.ChangeStatus == "" || pi.ChangeStatus == string(change.StatusMerged) {
			merged, err := b.mergedInto(pv, c.Branch, p)
			if err != nil {
				return nil, err
			}
			pi.IsMergedInTargetBranch = merged
		}
		out = append(out, pi)
	}
	return out, nil
}

// mergedInto reports whether commit is reachable from the branch.
func (b *pageBuilder) mergedInto(pv *projectView, branch, commit string) (bool, error) {
	r, err := b.repoOf(pv)
	if err != nil {
		return false, err
	}
	key := pv.name + "\x00" + branch
	tip, ok := b.branchTips[key]
	if !ok {
		tip, _ = r.Resolve(b.ctx, branch)
		b.branchTips[key] = tip
	}
	if tip == "" {
		return false, nil
	}
	return r.IsAncestor(b.ctx, commit, tip)
}

// commitWithFooters is the message the commit would get on submit: the
// same rules, with the same names, as submit's own (change.SubmitFooters).
func (b *pageBuilder) commitWithFooters(c *change.Change, ps *change.PatchSet) string {
	var votes []change.SubmitVote
	for _, v := range b.votes[c.Number] {
		if v.PatchSet != ps.Number || v.Value <= 0 {
			continue
		}
		sv := change.SubmitVote{Label: v.Label}
		if acct := b.accounts[v.AccountID]; acct != nil {
			sv.Name, sv.Email = acct.DisplayName(), acct.PreferredEmail
		}
		votes = append(votes, sv)
	}
	return change.AddSubmitFooters(ps.Message, change.SubmitFooters{
		ChangeID:   c.Key,
		WebURL:     b.a.info.CanonicalWebURL,
		ReviewedOn: b.a.changeURL(c),
		Votes:      votes,
	})
}

// changeURL is a change's web URL, <web>c/<project>/+/<number>.
func (a *API) changeURL(c *change.Change) string {
	return change.URL(a.info.CanonicalWebURL, c.Project, c.Number)
}

func withSlash(u string) string {
	if strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}

// public reports whether anonymous users could fetch the patch sets of c:
// not private, on a branch they may read.
func (b *pageBuilder) public(c *change.Change, pv *projectView) bool {
	if c.Private || pv == nil || b.q.caller.Anonymous() || b.a.access == nil {
		return false // an anonymous caller gets the anonymous URL anyway
	}
	if pv.anon == nil {
		chk, _, err := b.a.access.Check(b.ctx, c.Project, auth.AnonymousCaller().Subject())
		if err != nil {
			return false
		}
		pv.anon = chk
	}
	return pv.anon.Can(c.Branch, project.PermRead)
}

// fetchURLs are the URLs a caller fetches a project from, by download
// scheme: "anonymous http" for anonymous callers and, when the change is
// public, for everyone; signed-in callers with a username get "http"
// (under /a/) and, when SSH is on, "ssh".
func (a *API) fetchURLs(q *request, projectName string, public bool) map[string]string {
	web := withSlash(a.info.CanonicalWebURL)
	user := ""
	if q.caller.Account != nil {
		user = q.caller.Account.Username
	}
	if user == "" {
		return map[string]string{"anonymous http": web + projectName}
	}
	out := map[string]string{}
	if public {
		out["anonymous http"] = web + projectName
	}
	u, err := url.Parse(web)
	if err != nil {
		return map[string]string{"anonymous http": web + projectName}
	}
	host := u.Hostname()
	u.User = url.User(user)
	out["http"] = u.String() + "a/" + projectName
	if a.info.SSHAddress != "" {
		sshHost, port := splitHostPort(a.info.SSHAddress)
		if sshHost == "" || sshHost == "*" || sshHost == "0.0.0.0" || sshHost == "::" {
			sshHost = host
		}
		if strings.Contains(sshHost, ":") {
			sshHost = "[" + sshHost + "]"
		}
		out["ssh"] = "ssh://" + user + "@" + sshHost + ":" + port + "/" + projectName
	}
	return out
}

// fetchInfo is RevisionInfo.fetch for one patch set ref.
func (a *API) fetchInfo(q *request, projectName, ref string, changeNumber int64, ps int, commands, public bool) map[string]FetchInfo {
	out := map[string]FetchInfo{}
	for scheme, u := range a.fetchURLs(q, projectName, public) {
		fi := FetchInfo{URL: u, Ref: ref}
		if commands {
			fetch := "git fetch " + u + " " + ref
			fi.Commands = map[string]string{
				"Checkout":     fetch + " && git checkout FETCH_HEAD",
				"Cherry Pick":  fetch + " && git cherry-pick FETCH_HEAD",
				"Format Patch": fetch + " && git format-patch -1 --stdout FETCH_HEAD",
				"Pull":         "git pull " + u + " " + ref,
				"Branch":       fetch + fmt.Sprintf(" && git checkout -b change-%d-%d FETCH_HEAD", changeNumber, ps),
			}
		}
		out[scheme] = fi
	}
	return out
}

// fileInfo renders a stored file row.
func fileInfo(f change.File) FileInfo {
	status := f.Status
	if status == "M" || status == "T" {
		status = ""
	}
	return FileInfo{Status: status, Binary: f.Binary, OldPath: f.OldPath, LinesInserted: f.Insertions,
		LinesDeleted: f.Deletions, SizeDelta: f.SizeDelta, Size: f.Size,
		OldMode: f.OldMode, NewMode: f.NewMode, OldSHA: f.OldSHA, NewSHA: f.NewSHA}
}
