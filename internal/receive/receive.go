// Package receive decides every ref of a push. git receive-pack stores the
// objects (quarantine, fsck, protocol) and hands each ref command to the
// proc-receive hook, which relays it to the daemon through the Bridge; the
// Receiver checks each direct push (create, fast-forward, force, delete of
// refs/heads/*, refs/tags/*, refs/meta/config and the rest) the way Gerrit
// does, with Gerrit's rejection texts and advice, writes the accepted refs
// with `update-ref --stdin` transactions with expected old values, and
// reports ok/ng back to git. An atomic push is all or nothing.
//
// The Receiver holds no state between pushes and is safe for concurrent
// use; the Bridge owns its socket until its Serve returns.
package receive

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"tandem/internal/access"
	"tandem/internal/change"
	"tandem/internal/git"
	"tandem/internal/git/pktline"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
	"tandem/internal/project"
)

// Projects is what the Receiver needs of project storage.
type Projects interface {
	// ParseCommit parses the configuration in a commit not yet on
	// refs/meta/config.
	ParseCommit(ctx context.Context, r *repo.Repo, rev string) (*project.Config, error)
	// Open returns the repository of an existing project.
	Open(ctx context.Context, name string) (*repo.Repo, error)
}

// Access answers permission questions about a project.
type Access interface {
	Check(ctx context.Context, name string, s access.Subject) (*access.Checker, *project.State, error)
}

// Receiver handles the proc-receive protocol for pushes.
type Receiver struct {
	runner   *git.Runner
	projects Projects
	access   Access
	log      *slog.Logger
	uploads  *Uploads // nil: pushes for review are refused

	events Publisher // nil: no events; see SetEvents
}

// NewReceiver returns a Receiver.
func NewReceiver(r *git.Runner, projects Projects, ac Access, log *slog.Logger) *Receiver {
	return &Receiver{runner: r, projects: projects, access: ac, log: log.With("component", "receive")}
}

// command is one ref update asked for by the client.
type command struct {
	old, new, ref string
	reject        string // reason when rejected
}

func (c *command) isCreate() bool { return c.old == refupdate.ZeroOID }
func (c *command) isDelete() bool { return c.new == refupdate.ZeroOID }

// ProcReceive speaks git's proc-receive protocol (version 1) on in/out and
// writes user-facing messages to msgs, which git relays as "remote:" lines.
func (rc *Receiver) ProcReceive(ctx context.Context, push *Session, in io.Reader, out, msgs io.Writer) error {
	pr := pktline.NewReader(bufio.NewReader(in))
	lines, err := readSection(pr)
	if err != nil {
		return fmt.Errorf("read version: %w", err)
	}
	if len(lines) == 0 {
		return errors.New("proc-receive: no version")
	}
	version, caps, _ := strings.Cut(lines[0], "\x00")
	if version != "version=1" {
		return fmt.Errorf("unsupported proc-receive version %q", version)
	}
	atomic := hasWord(caps, "atomic")
	pushOptions := hasWord(caps, "push-options")
	reply := "version=1"
	if pushOptions {
		reply += "\x00push-options"
	}
	if err := writeSection(out, reply); err != nil {
		return err
	}
	lines, err = readSection(pr)
	if err != nil {
		return fmt.Errorf("read commands: %w", err)
	}
	var cmds []*command
	for _, l := range lines {
		f := strings.SplitN(l, " ", 3)
		if len(f) != 3 {
			return fmt.Errorf("bad command line %q", l)
		}
		cmds = append(cmds, &command{old: f[0], new: f[1], ref: f[2]})
	}
	var options []string
	if pushOptions {
		if options, err = readSection(pr); err != nil {
			return fmt.Errorf("read push options: %w", err)
		}
	}

	var direct, magic []*command
	for _, c := range cmds {
		if strings.HasPrefix(c.ref, "refs/for/") {
			magic = append(magic, c)
		} else {
			direct = append(direct, c)
		}
	}
	if len(direct) > 0 {
		rc.decide(ctx, push, direct, msgs)
		rc.apply(ctx, push, direct, atomic)
	}
	var outcomes []outcome
	if len(magic) > 0 {
		if atomic && len(direct) > 0 {
			for _, c := range magic {
				c.reject = "atomic push with changes for review is not supported"
			}
		} else {
			outcomes = rc.uploadAll(ctx, push, magic, options, msgs)
		}
	}
	printSummary(msgs, len(cmds), outcomes, rc.uploads)

	results := make([]string, 0, len(cmds))
	for _, c := range cmds {
		if c.reject != "" {
			results = append(results, "ng "+c.ref+" "+c.reject)
		} else {
			results = append(results, "ok "+c.ref)
		}
	}
	return writeSection(out, results...)
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

// decide sets reject on every command the pusher may not perform and
// prints Gerrit's messages about them.
func (rc *Receiver) decide(ctx context.Context, push *Session, cmds []*command, msgs io.Writer) {
	if push.Caller == nil {
		// The transports authenticate pushes before they begin.
		rc.log.Error("push without an account", "project", push.Project)
		for _, c := range cmds {
			c.reject = "internal server error"
		}
		return
	}
	subject := access.Subject{AccountID: push.Caller.ID, Username: push.Caller.Username, Groups: push.Groups}
	chk, state, err := rc.access.Check(ctx, push.Project, subject)
	if err != nil {
		rc.log.Error("load access", "project", push.Project, "err", err)
		for _, c := range cmds {
			c.reject = "internal server error"
		}
		return
	}
	if state.Config != nil && state.Config.StateOrDefault() != project.StateActive {
		for _, c := range cmds {
			c.reject = "prohibited by Gerrit: project state does not permit write"
		}
		return
	}
	d := &decider{rc: rc, ctx: ctx, push: push, chk: chk, state: state, msgs: msgs}
	for _, c := range cmds {
		if err := d.decide(c); err != nil {
			rc.log.Error("decide", "project", push.Project, "ref", c.ref, "err", err)
			c.reject = "internal server error"
		}
	}
	d.printAdvice()
}

// decider decides the commands of one push.
type decider struct {
	rc    *Receiver
	ctx   context.Context
	push  *Session
	chk   *access.Checker
	state *project.State
	msgs  io.Writer

	advice     []string            // in order of first use
	adviceRefs map[string][]string // advice -> refs it is about
	banned     map[string]string   // the project's banned commits, once read
}

// Gerrit's advice, printed once per push under the refs it concerns.
const (
	adviceUpdate       = "To push into this reference you need 'Push' rights."
	adviceConfigUpdate = "Configuration changes can only be pushed by project owners\nwho also have 'Push' rights on refs/meta/config"
	adviceForceUpdate  = "You need 'Push' rights with 'Force' flag set to do a non-fastforward push."
	adviceDelete       = "You need 'Delete Reference' rights or 'Push' rights with the \n'Force Push' flag set to delete references."
	adviceCreate       = "You need 'Create' rights to create new references."
	adviceCreateTag    = "You need 'Create Tag' rights to push a normal tag."
	adviceSignedTag    = "You need 'Create Signed Tag' rights to push a signed tag."
	adviceForgeTagger  = "You need 'Forge Committer' rights to push commits with another user as committer."
	adviceNewCommit    = "use a SHA1 visible to you, or get update permission on the ref"
	adviceDeleteChange = "Cannot delete from 'refs/changes/'"
	adviceDeleteConfig = "Cannot delete project configuration from 'refs/meta/config'"
)

// deny records advice about ref and returns Gerrit's reason for denying
// permission (as its PermissionDeniedException words it).
func (d *decider) deny(ref, permission, advice string) string {
	d.addAdvice(ref, advice)
	return "prohibited by Gerrit: not permitted: " + permission
}

func (d *decider) addAdvice(ref, advice string) {
	if d.adviceRefs == nil {
		d.adviceRefs = map[string][]string{}
	}
	if _, ok := d.adviceRefs[advice]; !ok {
		d.advice = append(d.advice, advice)
	}
	d.adviceRefs[advice] = append(d.adviceRefs[advice], ref)
}

// printAdvice prints the advice collected, grouped by text, as Gerrit
// does after the commands are processed.
func (d *decider) printAdvice() {
	if len(d.advice) == 0 {
		return
	}
	for _, a := range d.advice {
		refs := d.adviceRefs[a]
		what := "branch " + refs[0]
		if len(refs) > 1 {
			what = "branches " + strings.Join(refs, ", ")
		}
		fmt.Fprintf(d.msgs, "error: %s:\n%s\n", what, a)
	}
	user := d.push.Caller.Username
	if user == "" {
		user = fmt.Sprintf("a/%d", d.push.Caller.ID)
	}
	fmt.Fprintf(d.msgs, "User: %s\nContact an administrator to fix the permissions\n", user)
}

// decide sets c.reject; an error is a failure to decide.
func (d *decider) decide(c *command) error {
	chk, ref := d.chk, c.ref
	switch {
	case strings.HasPrefix(ref, "refs/for/"):
		c.reject = "upload for review is not enabled on this server"
		return nil
	case !git.ValidRefName(ref):
		c.reject = "not valid ref"
		return nil
	case strings.HasPrefix(ref, "refs/changes/"):
		if c.isDelete() {
			d.addAdvice(ref, adviceDeleteChange)
			c.reject = "cannot delete changes"
		} else {
			c.reject = "upload to refs/changes not allowed"
		}
		return nil
	case c.isDelete():
		switch {
		case ref == project.ConfigRef:
			d.addAdvice(ref, adviceDeleteConfig)
			c.reject = "cannot delete project configuration"
		case !chk.Can(ref, project.PermDelete):
			c.reject = d.deny(ref, "delete", adviceDelete)
		}
		return nil
	}

	newType, err := d.objectType(c.new)
	if err != nil {
		return err
	}
	if strings.HasPrefix(ref, "refs/heads/") && newType != "commit" {
		c.reject = "not a commit"
		return nil
	}
	validated := false
	if c.isCreate() {
		reason, err := d.checkCreate(ref, c.new, newType)
		if err != nil || reason != "" {
			c.reject = reason
			return err
		}
	} else {
		ff, err := d.fastForward(c.old, c.new, newType)
		if err != nil {
			return err
		}
		if ff {
			if !chk.Can(ref, project.PermPush) {
				advice := adviceUpdate
				if ref == project.ConfigRef {
					advice = adviceConfigUpdate
				}
				c.reject = d.deny(ref, "update", advice)
				return nil
			}
		} else {
			// Gerrit validates the commits of a rewind before it
			// checks the permission.
			if reason, err := d.validateCommits(ref, c.new, newType); err != nil || reason != "" {
				c.reject = reason
				return err
			}
			validated = true
			if !chk.CanForce(ref, project.PermPush) {
				c.reject = d.deny(ref, "force update", adviceForceUpdate)
				return nil
			}
		}
	}
	if !validated {
		if reason, err := d.validateCommits(ref, c.new, newType); err != nil || reason != "" {
			c.reject = reason
			return err
		}
	}
	if ref == project.ConfigRef {
		reason, err := d.validateConfig(c.new, newType)
		c.reject = reason
		return err
	}
	return nil
}

// objectType returns the type of an object of the repository.
func (d *decider) objectType(oid string) (string, error) {
	// Peeling through the repository's pooled reader costs no process.
	rp := d.push.Repo
	peeled, err := rp.Resolve(d.ctx, oid+"^{commit}")
	switch {
	case err == nil && peeled == oid:
		return "commit", nil
	case err == nil:
		return "tag", nil
	case !errors.Is(err, repo.ErrNotFound):
		return "", err
	}
	if _, err := rp.Resolve(d.ctx, oid+"^{tag}"); err == nil {
		return "tag", nil // of a tree or a blob
	}
	if _, err := rp.Resolve(d.ctx, oid+"^{tree}"); err == nil {
		return "tree", nil
	}
	if _, err := rp.Resolve(d.ctx, oid); err != nil {
		return "", fmt.Errorf("object %s: %w", oid, err)
	}
	return "blob", nil
}

// fastForward reports whether moving a ref from old to new is a
// fast-forward: both are commits and old is an ancestor of new. As in
// JGit, every other update (of an annotated tag, say) is a rewind.
func (d *decider) fastForward(old, new, newType string) (bool, error) {
	if newType != "commit" {
		return false, nil
	}
	if t, err := d.objectType(old); err != nil || t != "commit" {
		return false, nil // a missing old value cannot be fast-forwarded
	}
	return d.push.Repo.IsAncestor(d.ctx, old, new)
}

// checkCreate applies Gerrit's rules for creating a ref pointing at oid:
// a commit needs create, and push unless a readable branch or tag already
// has it; an annotated tag needs createTag (createSignedTag when signed),
// forgeCommitter when its tagger is someone else, and the same about its
// target.
func (d *decider) checkCreate(ref, oid, typ string) (string, error) {
	switch typ {
	case "commit":
		if !d.chk.Can(ref, project.PermCreate) {
			return d.deny(ref, "create", adviceCreate), nil
		}
		return d.checkNewCommit(ref, oid)
	case "tag":
		tag, err := d.readTag(oid)
		if err != nil {
			return "", err
		}
		if tag.taggerEmail != "" && !d.ownsEmail(tag.taggerEmail) && !d.chk.Can(ref, project.PermForgeCommitter) {
			return d.deny(ref, "forge committer", adviceForgeTagger), nil
		}
		var reason string
		if tag.targetType == "commit" {
			reason, err = d.checkNewCommit(ref, tag.target)
		} else {
			reason, err = d.checkCreate(ref, tag.target, tag.targetType)
		}
		if err != nil || reason != "" {
			return reason, err
		}
		if tag.signed {
			if !d.chk.Can(ref, project.PermCreateSignedTag) {
				return d.deny(ref, "create signed tag", adviceSignedTag), nil
			}
		} else if !d.chk.Can(ref, project.PermCreateTag) {
			return d.deny(ref, "create tag", adviceCreateTag), nil
		}
		return "", nil
	}
	// A tree or a blob. Gerrit checks nothing here; Tandem asks for create.
	if !d.chk.Can(ref, project.PermCreate) {
		return d.deny(ref, "create", adviceCreate), nil
	}
	return "", nil
}

// checkNewCommit lets a ref be created at commit oid by someone who may
// push to it, or when oid is already in a branch or tag they can read:
// then the push adds no new history.
func (d *decider) checkNewCommit(ref, oid string) (string, error) {
	if d.chk.Can(ref, project.PermPush) {
		return "", nil
	}
	out, err := d.rc.runner.Output(d.ctx, git.Cmd{
		Dir: d.push.Repo.Path, Name: "for-each-ref",
		Flags: []string{"--format=%(refname)", "--contains=" + oid},
		Args:  []string{"refs/heads/", "refs/tags/"},
	})
	if err != nil {
		return "", fmt.Errorf("refs containing %s: %w", oid, err)
	}
	for _, r := range strings.Split(string(out), "\n") {
		if r != "" && d.chk.Can(r, project.PermRead) {
			return "", nil
		}
	}
	d.addAdvice(ref, adviceNewCommit)
	return "prohibited by Gerrit: update for creating new commit object not permitted", nil
}

// tagObject is what checkCreate needs of an annotated tag.
type tagObject struct {
	target, targetType string
	taggerEmail        string
	signed             bool
}

func (d *decider) readTag(oid string) (*tagObject, error) {
	out, err := d.rc.runner.Output(d.ctx, git.Cmd{Dir: d.push.Repo.Path, Name: "cat-file", Args: []string{"tag", oid}})
	if err != nil {
		return nil, fmt.Errorf("read tag %s: %w", oid, err)
	}
	return parseTag(string(out)), nil
}

func parseTag(s string) *tagObject {
	t := &tagObject{}
	header, body, _ := strings.Cut(s, "\n\n")
	for _, line := range strings.Split(header, "\n") {
		key, value, _ := strings.Cut(line, " ")
		switch key {
		case "object":
			t.target = value
		case "type":
			t.targetType = value
		case "tagger":
			if i, j := strings.IndexByte(value, '<'), strings.IndexByte(value, '>'); i >= 0 && j > i {
				t.taggerEmail = value[i+1 : j]
			}
		case "gpgsig", "gpgsig-sha256":
			t.signed = true
		}
	}
	// A signature follows the message of an annotated tag.
	for _, marker := range []string{"-----BEGIN PGP SIGNATURE-----", "-----BEGIN SSH SIGNATURE-----", "-----BEGIN SIGNED MESSAGE-----"} {
		if strings.Contains(body, marker) {
			t.signed = true
		}
	}
	return t
}

func (d *decider) ownsEmail(email string) bool {
	for _, e := range d.push.Caller.Emails {
		if strings.EqualFold(e, email) {
			return true
		}
	}
	return false
}

// validateCommits checks every commit a push of a commit to ref adds to
// the branches, as Gerrit's commit validators do (annotated tags are not
// looked into): its author and committer, and its Signed-off-by where the
// project requires one. It returns the rejection, and prints Gerrit's
// explanation.
func (d *decider) validateCommits(ref, oid, typ string) (string, error) {
	if typ != "commit" {
		return "", nil
	}
	if reason, err := d.checkBanned(oid); err != nil || reason != "" {
		return reason, err
	}
	forgeAuthor := d.chk.Can(ref, project.PermForgeAuthor)
	forgeCommitter := d.chk.Can(ref, project.PermForgeCommitter)
	signOff := d.requiresSignOff(ref)
	if forgeAuthor && forgeCommitter && !signOff {
		return "", nil
	}
	args := []string{oid}
	if d.state.Revision != "" {
		args = append(args, "^"+d.state.Revision) // refs/meta/config counts as known history
	}
	// "--not --branches --not": branches are known history, the
	// arguments that follow count positively again. Fields and commits
	// are NUL-separated: the message (%B) spans lines.
	out, err := d.rc.runner.Output(d.ctx, git.Cmd{
		Dir: d.push.Repo.Path, Name: "log",
		Flags: []string{"-z", "--format=%h%x00%ae%x00%ce%x00%B", "--not", "--branches", "--not"},
		Args:  args,
	})
	if err != nil {
		return "", fmt.Errorf("new commits of %s: %w", oid, err)
	}
	f := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	for i := 0; i+3 < len(f); i += 4 {
		abbrev, author, committer, message := f[i], f[i+1], f[i+2], f[i+3]
		if reason := d.checkIdentity(ref, abbrev, author, committer); reason != "" {
			return reason, nil
		}
		if signOff {
			if reason := d.checkSignOff(abbrev, author, committer, message); reason != "" {
				return reason, nil
			}
		}
	}
	return "", nil
}

// checkBanned refuses a commit that brings a banned commit into the
// repository. The bans are read once per push; projects that never banned
// anything pay one ref lookup.
func (d *decider) checkBanned(oid string) (string, error) {
	if d.banned == nil {
		banned, err := project.BannedCommits(d.ctx, d.push.Repo)
		if err != nil {
			return "", err
		}
		d.banned = banned
	}
	if len(d.banned) == 0 {
		return "", nil
	}
	fresh, err := d.push.Repo.RevList(d.ctx, oid, "refs/*")
	if err != nil {
		return "", fmt.Errorf("new commits of %s: %w", oid, err)
	}
	return bannedAmong(d.banned, fresh), nil
}

// bannedAmong returns Gerrit's rejection for the first of commits that is
// banned, or "".
func bannedAmong(banned map[string]string, commits []string) string {
	for _, c := range commits {
		if banned[c] != "" {
			return "contains banned commit " + c
		}
	}
	return ""
}

// requiresSignOff reports whether commits pushed to ref need a
// Signed-off-by (receive.requireSignedOffBy), which holders of forge
// committer may leave out.
func (d *decider) requiresSignOff(ref string) bool {
	return project.SettingRequireSignedOffBy.Effective(d.state.Chain) && !d.chk.Can(ref, project.PermForgeCommitter)
}

// checkSignOff checks that a new commit (abbrev) is signed off by its
// author, its committer or the pusher, for a ref that requiresSignOff. It
// returns the rejection, and prints Gerrit's explanation.
func (d *decider) checkSignOff(abbrev, author, committer, message string) string {
	for _, e := range change.ParseCommitMessage(message).SignedOffBy() {
		if e == author || e == committer || d.ownsEmail(e) {
			return ""
		}
	}
	fmt.Fprintf(d.msgs, "ERROR: commit %s: not Signed-off-by author/committer/uploader in message footer\n", abbrev)
	return "commit " + abbrev + ": not Signed-off-by author/committer/uploader in message footer"
}

// checkIdentity checks the author and committer emails of one new commit
// (abbrev) for a push to ref: each must be one of the pusher's, unless
// the pusher may forge it. It returns the rejection, and prints Gerrit's
// explanation.
func (d *decider) checkIdentity(ref, abbrev, author, committer string) string {
	switch {
	case !d.ownsEmail(author) && !d.chk.Can(ref, project.PermForgeAuthor):
		d.printInvalidEmail(abbrev, "author", author)
		return "commit " + abbrev + ": invalid author"
	case !d.ownsEmail(committer) && !d.chk.Can(ref, project.PermForgeCommitter):
		d.printInvalidEmail(abbrev, "committer", committer)
		return "commit " + abbrev + ": invalid committer"
	}
	return ""
}

func (d *decider) printInvalidEmail(commit, role, email string) {
	fmt.Fprintf(d.msgs, "ERROR: commit %s: email address %s is not registered in your account, and you lack 'forge %s' permission.\n", commit, email, role)
	if len(d.push.Caller.Emails) == 0 {
		fmt.Fprintln(d.msgs, "You have not registered any email addresses.")
		return
	}
	fmt.Fprintln(d.msgs, "The following addresses are currently registered:")
	for _, e := range d.push.Caller.Emails {
		fmt.Fprintf(d.msgs, "   %s\n", e)
	}
}

// validateConfig checks a new refs/meta/config commit: it must parse, may
// only change the parent when an administrator pushes it, and takes a
// project owner.
func (d *decider) validateConfig(oid, typ string) (string, error) {
	short := change.AbbrevCommit(oid)
	if typ != "commit" {
		return "not a commit", nil
	}
	cfg, err := d.rc.projects.ParseCommit(d.ctx, d.push.Repo, oid)
	if err != nil {
		var verrs project.ValidationErrors
		if !errors.As(err, &verrs) {
			return "", err
		}
		fmt.Fprintf(d.msgs, "ERROR: commit %s: Invalid project configuration:\n", short)
		for _, e := range verrs {
			fmt.Fprintf(d.msgs, "ERROR: commit %s:   %s\n", short, e)
		}
		return "commit " + short + ": invalid project configuration", nil
	}
	if !d.chk.IsOwner() {
		return "must be either project owner or have write config permission", nil
	}
	name := d.push.Project
	if name == project.AllProjects {
		if cfg.InheritFrom != "" {
			return "invalid project configuration: root project cannot have parent", nil
		}
		return "", nil
	}
	if parent := cfg.ParentName(name); parent != d.state.ParentName {
		if !d.chk.Capabilities().Has(project.CapAdministrateServer) {
			return "invalid project configuration: only Gerrit admin can set parent", nil
		}
		if _, err := d.rc.projects.Open(d.ctx, parent); err != nil || parent == name {
			return "invalid project configuration: parent does not exist", nil
		}
	}
	return "", nil
}

// Reasons for refs that a failed ref transaction did not write.
const (
	reasonLock    = "failed to lock"
	reasonAborted = "transaction aborted" // JGit's words for the rest of an atomic push
)

// apply writes the accepted commands: all in one transaction for an atomic
// push, else each in its own.
func (rc *Receiver) apply(ctx context.Context, push *Session, cmds []*command, atomic bool) {
	var ok []*command
	for _, c := range cmds {
		if c.reject == "" {
			ok = append(ok, c)
		}
	}
	if len(ok) == 0 {
		return
	}
	if atomic && len(ok) != len(cmds) {
		for _, c := range ok {
			c.reject = reasonAborted
		}
		return
	}
	if atomic {
		rc.update(ctx, push, ok)
		return
	}
	for _, c := range ok {
		rc.update(ctx, push, []*command{c})
	}
}

// update writes group in one transaction, or rejects all of it.
func (rc *Receiver) update(ctx context.Context, push *Session, group []*command) {
	ups := make([]refupdate.Update, 0, len(group))
	for _, c := range group {
		ups = append(ups, refupdate.Update{Ref: c.ref, Old: c.old, New: c.new})
	}
	err := push.Repo.UpdateRefs(ctx, ups...)
	if err == nil {
		for _, c := range group {
			rc.log.Info("ref updated", "project", push.Project, "ref", c.ref, "old", c.old, "new", c.new, "account_id", push.Caller.ID)
		}
		rc.publishRefUpdates(ctx, push, group)
		rc.closePushed(ctx, push, group)
		return
	}
	var mm *refupdate.MismatchError
	var ce *refupdate.ConflictError
	var culprit, reason string
	switch {
	case errors.As(err, &mm):
		culprit, reason = mm.Ref, reasonLock
	case errors.As(err, &ce):
		culprit, reason = ce.Ref, reasonLock
	default:
		rc.log.Error("update refs", "project", push.Project, "err", err)
		reason = "failed to update ref"
	}
	for _, c := range group {
		switch {
		case len(group) == 1 || culprit == "" || c.ref == culprit:
			c.reject = reason
		default:
			c.reject = reasonAborted
		}
	}
}

// readSection reads data packets up to a flush packet.
func readSection(r *pktline.Reader) ([]string, error) {
	var out []string
	for {
		kind, p, err := r.Next()
		if err != nil {
			return nil, err
		}
		switch kind {
		case pktline.Flush:
			return out, nil
		case pktline.Data:
			out = append(out, strings.TrimSuffix(string(p), "\n"))
		}
	}
}

// writeSection writes lines as packets followed by a flush packet, in one
// write.
func writeSection(w io.Writer, lines ...string) error {
	var b []byte
	for _, l := range lines {
		var err error
		if b, err = pktline.Append(b, []byte(l+"\n")); err != nil {
			return err
		}
	}
	b = append(b, "0000"...)
	_, err := w.Write(b)
	return err
}
