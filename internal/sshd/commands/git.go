package commands

import (
	"context"
	"fmt"
	"io"
	"strings"

	"tandem/internal/access"
	"tandem/internal/fail"
	"tandem/internal/git/repo"
	"tandem/internal/git/service"
	"tandem/internal/project"
	"tandem/internal/receive"
	"tandem/internal/sshd"
	"tandem/internal/sshd/cmdflag"
)

func (c *Commands) uploadPack(ctx context.Context, s *sshd.Session) error {
	return c.serveGit(ctx, s, service.UploadPack)
}

func (c *Commands) receivePack(ctx context.Context, s *sshd.Session) error {
	return c.serveGit(ctx, s, service.ReceivePack)
}

// serveGit runs upload-pack or receive-pack for the project named in the
// command; "/p.git", "p.git" and "p" all name project p. A project the
// caller may not see gets the same answer as a missing one.
func (c *Commands) serveGit(ctx context.Context, s *sshd.Session, svc string) error {
	fs := cmdflag.New(s.Command)
	fs.Args("PROJECT.git", 1, 1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	name, chk, _, err := c.project(ctx, cl, args[0])
	if err != nil {
		return err
	}
	rp, err := c.projects.Open(ctx, name)
	if err != nil {
		return projectNotFound(name)
	}
	req := service.Request{
		Service:  svc,
		Repo:     rp,
		Protocol: s.Env["GIT_PROTOCOL"],
		Visible:  chk.VisibilityWithChanges(c.changes.BranchOf(ctx, name, cl.account.ID)),
		Stdin:    s.Stdin,
		Stdout:   s.Stdout,
		Stderr:   s.Stderr,
	}
	if svc == service.ReceivePack {
		req.HideAlways = receive.HiddenFromPush
		push := c.pushes.Begin(receive.Push{Caller: cl.account, Groups: cl.groups, Project: name, Repo: rp})
		defer push.End()
		req.Env = push.Env()
		req.Config = push.Config()
	}
	if err := service.Serve(ctx, c.runner, req); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.log.Warn("git service failed", "project", name, "service", svc, "err", err)
		return &sshd.ExitError{Code: 1}
	}
	return nil
}

// projectNotFound is Gerrit's answer for a project argument that names no
// project.
func projectNotFound(name string) error { return die("project %s not found", name) }

// project resolves a project argument as Gerrit's ProjectHandler does
// (leading and trailing "/" and a ".git" suffix dropped), except that a
// project the caller may not see reads as missing rather than hidden.
func (c *Commands) project(ctx context.Context, cl *caller, arg string) (string, *access.Checker, *project.State, error) {
	name := repo.NormalizeName(arg)
	if repo.ValidateName(name) != nil {
		return name, nil, nil, projectNotFound(name)
	}
	chk, st, err := c.access.Check(ctx, name, cl.subject())
	if err != nil {
		if fail.KindOf(err) != fail.Internal {
			return name, nil, nil, projectNotFound(name)
		}
		return name, nil, nil, err
	}
	if !chk.Visible() {
		return name, nil, nil, projectNotFound(name)
	}
	return name, chk, st, nil
}

// ownedProject resolves the project argument of a command only the
// project's owners may run; denial is what everybody else is told.
func (c *Commands) ownedProject(ctx context.Context, cl *caller, arg, denial string) (string, error) {
	name, chk, _, err := c.project(ctx, cl, arg)
	if err != nil {
		return "", err
	}
	if !chk.IsOwner() {
		return "", die("%s", denial)
	}
	return name, nil
}

// lsUserRefs is `gerrit ls-user-refs`: the refs of a project another user
// would be shown by a fetch, for administrators checking who sees what.
// It applies the very rules upload-pack applies. As in Gerrit, a user
// that cannot be found is reported on standard output.
func (c *Commands) lsUserRefs(ctx context.Context, s *sshd.Session) error {
	var projectArg, userArg string
	var onlyHeads bool
	fs := cmdflag.New("gerrit ls-user-refs")
	fs.String(&projectArg, "--project|-p", "PROJECT", "project for which the refs should be listed")
	fs.String(&userArg, "--user|-u", "USER", "user for which the refs should be listed")
	fs.Bool(&onlyHeads, "--only-refs-heads", "list only refs under refs/heads")
	fs.Args("", 0, 0)
	if _, err := fs.Parse(s.Args); err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if err := c.requireCapability(ctx, cl, "read as", project.CapReadAs); err != nil {
		return err
	}
	switch {
	case projectArg == "":
		return &cmdflag.Error{Msg: `Option "--project (-p)" is required`}
	case userArg == "":
		return &cmdflag.Error{Msg: `Option "--user (-u)" is required`}
	}
	name, _, _, err := c.project(ctx, cl, projectArg)
	if err != nil {
		return err
	}
	who, err := c.accounts.Resolve(ctx, userArg)
	if err != nil {
		if fail.KindOf(err) == fail.Internal {
			return err
		}
		_, err := fmt.Fprintf(s.Stdout, "Account '%s' not found\n", userArg)
		return err
	}
	groups, err := c.accounts.GroupsOf(ctx, who.ID)
	if err != nil {
		return err
	}
	as := &caller{account: who, groups: groups}
	chk, _, err := c.access.Check(ctx, name, as.subject())
	if err != nil || !chk.Visible() {
		// A project the user may not see shows them no refs.
		return err
	}
	rp, err := c.projects.Open(ctx, name)
	if err != nil {
		return projectNotFound(name)
	}
	refs, err := service.VisibleRefs(ctx, c.runner, rp, chk.VisibilityWithChanges(c.changes.BranchOf(ctx, name, who.ID)))
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, ref := range refs {
		if !onlyHeads || strings.HasPrefix(ref, "refs/heads/") {
			b.WriteString(ref + "\n")
		}
	}
	_, err = io.WriteString(s.Stdout, b.String())
	return err
}
