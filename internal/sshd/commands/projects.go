package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"tandem/internal/fail"
	"tandem/internal/git/repo"
	"tandem/internal/project"
	"tandem/internal/sshd"
	"tandem/internal/sshd/cmdflag"
)

// setProjectParent is `gerrit set-project-parent`: administrators give the
// named projects, and with --children-of the children of a project (less
// those --exclude names), a new parent, All-Projects by default. Each
// project is changed on its own; those that cannot be are reported and
// the command fails at the end.
func (c *Commands) setProjectParent(ctx context.Context, s *sshd.Session) error {
	var parent, childrenOf string
	var exclude []string
	fs := cmdflag.New("gerrit set-project-parent")
	fs.String(&parent, "--parent|-p", "NAME", "new parent project (All-Projects by default)")
	fs.String(&childrenOf, "--children-of", "NAME", "reparent the child projects of NAME")
	fs.Strings(&exclude, "--exclude", "NAME", "project not to reparent with --children-of (repeatable)")
	fs.Args("NAME", 0, -1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if err := c.requireCapability(ctx, cl, "administrate server", project.CapAdministrateServer); err != nil {
		return err
	}
	if parent == "" {
		parent = project.AllProjects
	}
	var names []string
	for _, arg := range args {
		name, _, _, err := c.project(ctx, cl, arg)
		if err != nil {
			return err
		}
		names = append(names, name)
	}
	if childrenOf != "" {
		name, _, _, err := c.project(ctx, cl, childrenOf)
		if err != nil {
			return err
		}
		children, err := c.projects.Children(ctx, name)
		if err != nil {
			return err
		}
		for _, child := range children {
			if !slices.Contains(exclude, child) && child != parent {
				names = append(names, child)
			}
		}
	}
	if len(names) == 0 {
		return die("no projects to reparent")
	}
	author := cl.author()
	var failed []string
	slices.Sort(names) // a project named twice is reparented once
	for _, name := range slices.Compact(names) {
		_, err := c.projects.SetParent(ctx, name, parent, author, "")
		if err != nil && fail.KindOf(err) == fail.Internal {
			return err
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("error: Cannot change parent of project %s: %s", name, fail.Message(err, "internal server error")))
		}
	}
	if len(failed) > 0 {
		return die("%s", strings.Join(failed, "\n"))
	}
	return nil
}

// setHead is `gerrit set-head`: a project's owners point its HEAD at
// another branch.
func (c *Commands) setHead(ctx context.Context, s *sshd.Session) error {
	var branch string
	fs := cmdflag.New("gerrit set-head")
	fs.String(&branch, "--new-head", "BRANCH", "the branch HEAD is to point at")
	fs.Args("NAME", 1, 1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	if branch == "" {
		return die("option \"--new-head\" is required")
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	name, err := c.ownedProject(ctx, cl, args[0], "not project owner")
	if err != nil {
		return err
	}
	_, err = c.projects.SetHead(ctx, name, branch)
	return userError(err)
}

// gc is gerrit gc [--all] [--aggressive] [--show-progress] NAME…: git gc
// of each project's repository in turn, for holders of runGC, each
// reported as Gerrit reports it. A failure is reported and the next
// project still runs; the command then exits 1.
func (c *Commands) gc(ctx context.Context, s *sshd.Session) error {
	var all, aggressive, progress bool
	fs := cmdflag.New("gerrit gc")
	fs.Bool(&all, "--all", "run the garbage collection of every project")
	fs.Bool(&aggressive, "--aggressive", "run an aggressive garbage collection")
	fs.Bool(&progress, "--show-progress", "show what git says")
	fs.Args("NAME …", 0, -1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if err := c.requireCapability(ctx, cl, "run garbage collection", project.CapRunGC); err != nil {
		return err
	}
	var names []string
	switch {
	case all && len(args) > 0:
		return die("either specify projects or use --all")
	case !all && len(args) == 0:
		return die("needs projects as command arguments or --all option")
	case all:
		// The capability covers every repository, as in Gerrit.
		if names, err = c.projects.Names(ctx); err != nil {
			return err
		}
	}
	for _, arg := range args {
		name, _, _, err := c.project(ctx, cl, arg)
		if err != nil {
			return err
		}
		names = append(names, name)
	}
	var out io.Writer
	if progress {
		out = s.Stdout
	}
	slices.Sort(names) // a project named twice is collected once
	failed := false
	for _, name := range slices.Compact(names) {
		fmt.Fprintf(s.Stdout, "collecting garbage for \"%s\":\n", name)
		r, err := c.projects.Open(ctx, name)
		if err == nil {
			err = r.GC(ctx, aggressive, out)
		}
		switch {
		case errors.Is(err, repo.ErrGCRunning):
			fmt.Fprintf(s.Stdout, "error: garbage collection for project \"%s\" is already running\n\n", name)
			failed = true
		case err != nil:
			c.log.Error("garbage collection failed", "project", name, "err", err)
			fmt.Fprintf(s.Stdout, "error: garbage collection for project \"%s\" failed\n\n", name)
			failed = true
		default:
			fmt.Fprint(s.Stdout, "done.\n\n")
		}
	}
	if failed {
		return &sshd.ExitError{Code: 1}
	}
	return nil
}

// banCommit is gerrit ban-commit [--reason R] PROJECT COMMIT…, for the
// project's owners. As in Gerrit it says which commits it banned, which
// were banned already and which ids it ignored as not commits.
func (c *Commands) banCommit(ctx context.Context, s *sshd.Session) error {
	var reason string
	fs := cmdflag.New("gerrit ban-commit")
	fs.String(&reason, "--reason|-r", "REASON", "why the commits are banned")
	fs.Args("PROJECT COMMIT …", 2, -1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	name, err := c.ownedProject(ctx, cl, args[0], "ban commit not permitted")
	if err != nil {
		return err
	}
	res, err := c.projects.BanCommits(ctx, name, args[1:], reason, cl.author())
	if err != nil {
		return userError(err)
	}
	for _, group := range []struct {
		title   string
		commits []string
	}{
		{"The following commits were banned", res.NewlyBanned},
		{"The following commits were already banned", res.AlreadyBanned},
		{"The following ids do not represent commits and were ignored", res.Ignored},
	} {
		if len(group.commits) > 0 {
			fmt.Fprintf(s.Stdout, "%s:\n%s\n\n", group.title, strings.Join(group.commits, ",\n"))
		}
	}
	return nil
}
