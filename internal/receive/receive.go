// Package receive decides every ref of a push. git receive-pack stores the
// objects (quarantine, fsck, protocol) and hands each ref command to the
// proc-receive hook, which relays it to the daemon through the Bridge; the
// Receiver checks permissions per ref with Gerrit's rejection texts, writes
// the accepted refs as one `update-ref --stdin` transaction with expected
// old values, and reports ok/ng back to git.
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
	"tandem/internal/git"
	"tandem/internal/git/refupdate"
	"tandem/internal/project"
)

// Receiver handles the proc-receive protocol for pushes.
type Receiver struct {
	runner   *git.Runner
	projects *project.Service
	access   *access.Control
	log      *slog.Logger
}

// NewReceiver returns a Receiver.
func NewReceiver(r *git.Runner, projects *project.Service, ac *access.Control, log *slog.Logger) *Receiver {
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
	br := bufio.NewReader(in)
	lines, err := readSection(br)
	if err != nil {
		return fmt.Errorf("read version: %w", err)
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "version=1") {
		return fmt.Errorf("unsupported proc-receive version %q", lines)
	}
	caps := ""
	if _, c, ok := strings.Cut(lines[0], "\x00"); ok {
		caps = c
	}
	atomic := hasWord(caps, "atomic")
	pushOptions := hasWord(caps, "push-options")
	reply := "version=1"
	if pushOptions {
		reply += "\x00push-options"
	}
	if err := writePkts(out, reply); err != nil {
		return err
	}
	lines, err = readSection(br)
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
		if options, err = readSection(br); err != nil {
			return fmt.Errorf("read push options: %w", err)
		}
	}
	_ = options // consumed by uploads for review

	rc.decide(ctx, push, cmds, msgs)
	rc.apply(ctx, push, cmds, atomic)

	var results []string
	for _, c := range cmds {
		if c.reject != "" {
			results = append(results, "ng "+c.ref+" "+c.reject)
		} else {
			results = append(results, "ok "+c.ref)
		}
	}
	return writePkts(out, results...)
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

// decide sets reject on every command the pusher may not perform.
func (rc *Receiver) decide(ctx context.Context, push *Session, cmds []*command, msgs io.Writer) {
	subject := access.Subject{AccountID: push.Caller.ID, Username: push.Caller.Username, Groups: push.Groups}
	chk, _, err := rc.access.Check(ctx, push.Project, subject)
	if err != nil {
		rc.log.Error("load access", "project", push.Project, "err", err)
		for _, c := range cmds {
			c.reject = "internal server error"
		}
		return
	}
	r := push.Repo
	for _, c := range cmds {
		switch {
		case strings.HasPrefix(c.ref, "refs/for/"):
			c.reject = "upload for review is not enabled on this server"
		case strings.HasPrefix(c.ref, "refs/changes/"):
			c.reject = "cannot update refs/changes"
			if c.isDelete() {
				c.reject = "cannot delete changes"
			}
		case c.ref == project.ConfigRef:
			c.reject = rc.decideConfig(ctx, push, chk, c, msgs)
		case !validRef(c.ref):
			c.reject = "not valid ref"
		case c.isDelete():
			if !chk.Can(c.ref, "delete") && !chk.CanForce(c.ref, "push") {
				c.reject = "prohibited by Gerrit: not permitted: delete"
			}
		case c.isCreate():
			if strings.HasPrefix(c.ref, "refs/tags/") {
				c.reject = rc.decideTag(ctx, push, chk, c)
			} else if !chk.Can(c.ref, "create") {
				c.reject = "prohibited by Gerrit: not permitted: create"
			}
		default:
			ff, err := r.IsAncestor(ctx, c.old, c.new)
			if err != nil {
				c.reject = "not a commit"
				continue
			}
			switch {
			case !ff && !chk.CanForce(c.ref, "push"):
				c.reject = "prohibited by Gerrit: not permitted: force update"
			case ff && !chk.Can(c.ref, "push"):
				c.reject = "prohibited by Gerrit: not permitted: update"
			}
		}
		if c.reject == "" && !c.isDelete() && strings.HasPrefix(c.ref, "refs/heads/") {
			c.reject = rc.checkIdentities(ctx, push, chk, c)
		}
	}
}

func validRef(ref string) bool {
	return strings.HasPrefix(ref, "refs/") && project.ValidBranchName(ref) == nil
}

// decideTag applies Gerrit's tag rules: annotated tags need createTag,
// lightweight ones need create.
func (rc *Receiver) decideTag(ctx context.Context, push *Session, chk *access.Checker, c *command) string {
	out, err := rc.runner.Output(ctx, git.Cmd{Dir: push.Repo.Path, Name: "cat-file", Flags: []string{"-t"}, Args: []string{c.new}})
	if err != nil {
		return "not a commit"
	}
	if strings.TrimSpace(string(out)) == "tag" {
		if !chk.Can(c.ref, "createTag") {
			return "prohibited by Gerrit: not permitted: create tag"
		}
		return ""
	}
	if !chk.Can(c.ref, "create") {
		return "prohibited by Gerrit: not permitted: create"
	}
	return ""
}

// checkIdentities enforces forgeAuthor and forgeCommitter on the commits a
// direct push adds.
func (rc *Receiver) checkIdentities(ctx context.Context, push *Session, chk *access.Checker, c *command) string {
	forgeAuthor, forgeCommitter := chk.Can(c.ref, "forgeAuthor"), chk.Can(c.ref, "forgeCommitter")
	if forgeAuthor && forgeCommitter {
		return ""
	}
	out, err := rc.runner.Output(ctx, git.Cmd{
		Dir:   push.Repo.Path,
		Name:  "log",
		Flags: []string{"--format=%h %ae %ce", "--not", "--all", "--not"},
		Args:  []string{c.new},
	})
	if err != nil {
		return "not a commit"
	}
	mine := map[string]bool{}
	for _, e := range push.Caller.Emails {
		mine[strings.ToLower(e)] = true
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		if !forgeAuthor && !mine[strings.ToLower(f[1])] {
			return "invalid author"
		}
		if !forgeCommitter && !mine[strings.ToLower(f[2])] {
			return "invalid committer"
		}
	}
	return ""
}

// decideConfig validates a new refs/meta/config before it takes effect.
func (rc *Receiver) decideConfig(ctx context.Context, push *Session, chk *access.Checker, c *command, msgs io.Writer) string {
	if c.isDelete() {
		return "cannot delete project configuration"
	}
	if !chk.IsOwner() && !chk.Can(c.ref, "push") {
		return "prohibited by Gerrit: not project owner"
	}
	if !c.isCreate() {
		ff, err := push.Repo.IsAncestor(ctx, c.old, c.new)
		if err != nil {
			return "not a commit"
		}
		if !ff && !chk.CanForce(c.ref, "push") && !chk.IsOwner() {
			return "prohibited by Gerrit: not permitted: force update"
		}
	}
	if _, err := rc.projects.ParseCommit(ctx, push.Repo, c.new); err != nil {
		short := c.new
		if len(short) > 7 {
			short = short[:7]
		}
		fmt.Fprintf(msgs, "ERROR: commit %s: invalid project configuration:\n", short)
		fmt.Fprintf(msgs, "ERROR: commit %s:   %v\n", short, err)
		return "invalid project configuration"
	}
	return ""
}

// apply writes the accepted commands: all in one transaction for an atomic
// push, else each in its own.
func (rc *Receiver) apply(ctx context.Context, push *Session, cmds []*command, atomic bool) {
	var ok []*command
	for _, c := range cmds {
		if c.reject == "" {
			ok = append(ok, c)
		}
	}
	if atomic && len(ok) != len(cmds) {
		for _, c := range ok {
			c.reject = "atomic push failed"
		}
		return
	}
	update := func(group []*command) {
		var ups []refupdate.Update
		for _, c := range group {
			ups = append(ups, refupdate.Update{Ref: c.ref, Old: c.old, New: c.new})
		}
		err := refupdate.Apply(ctx, rc.runner, push.Repo.Path, ups...)
		if err == nil {
			for _, c := range group {
				rc.log.Info("ref updated", "project", push.Project, "ref", c.ref, "old", c.old, "new", c.new, "account_id", push.Caller.ID)
			}
			return
		}
		reason := "failed to update ref"
		var mm *refupdate.MismatchError
		if errors.As(err, &mm) {
			reason = "failed to lock"
		} else {
			rc.log.Error("update refs", "project", push.Project, "err", err)
		}
		for _, c := range group {
			c.reject = reason
		}
	}
	if len(ok) == 0 {
		return
	}
	if atomic {
		update(ok)
		return
	}
	for _, c := range ok {
		update([]*command{c})
	}
}

// readSection reads pkt-lines up to a flush packet.
func readSection(r *bufio.Reader) ([]string, error) {
	var out []string
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, err
		}
		var n int
		if _, err := fmt.Sscanf(string(hdr[:]), "%04x", &n); err != nil {
			return nil, fmt.Errorf("bad pkt-line header %q", hdr[:])
		}
		if n == 0 {
			return out, nil
		}
		if n < 4 {
			continue
		}
		buf := make([]byte, n-4)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		out = append(out, strings.TrimSuffix(string(buf), "\n"))
	}
}

// writePkts writes lines as pkt-lines followed by a flush packet.
func writePkts(w io.Writer, lines ...string) error {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%04x%s\n", len(l)+5, l)
	}
	b.WriteString("0000")
	_, err := io.WriteString(w, b.String())
	return err
}
