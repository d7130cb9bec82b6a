package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"tandem/internal/fail"
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
	name, chk, _, err := c.project(ctx, cl, args[0])
	if err != nil {
		return err
	}
	if !chk.IsOwner() {
		return die("not project owner")
	}
	_, err = c.projects.SetHead(ctx, name, branch)
	return userError(err)
}
