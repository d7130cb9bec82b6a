package commands

import (
	"context"
	"fmt"
	"strings"

	"tandem/internal/fail"
	"tandem/internal/git/repo"
	"tandem/internal/git/service"
	"tandem/internal/receive"
	"tandem/internal/sshd"
)

func (c *Commands) uploadPack(ctx context.Context, s *sshd.Session) error {
	return c.serveGit(ctx, s, service.UploadPack)
}

func (c *Commands) receivePack(ctx context.Context, s *sshd.Session) error {
	return c.serveGit(ctx, s, service.ReceivePack)
}

// serveGit runs upload-pack or receive-pack for the project named in the
// command; "/p.git", "p.git" and "p" all name project p.
func (c *Commands) serveGit(ctx context.Context, s *sshd.Session, svc string) error {
	if len(s.Args) != 1 {
		return &sshd.ExitError{Code: 1, Msg: fmt.Sprintf("fatal: usage: git-%s '/PROJECT'", svc)}
	}
	name := repo.NormalizeName(strings.TrimPrefix(s.Args[0], "/"))
	notFound := &sshd.ExitError{Code: 1, Msg: fmt.Sprintf("fatal: '%s': not a Gerrit project", name)}
	if repo.ValidateName(name) != nil {
		return notFound
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	chk, _, err := c.access.Check(ctx, name, cl.subject())
	if fail.Is(err, fail.NotFound) || err == nil && !chk.Visible() {
		return notFound
	}
	if err != nil {
		return err
	}
	rp, err := c.projects.Open(ctx, name)
	if err != nil {
		return notFound
	}
	req := service.Request{
		Service:  svc,
		Repo:     rp,
		Protocol: s.Env["GIT_PROTOCOL"],
		Visible:  chk.Visibility(),
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
