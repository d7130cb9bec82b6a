package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"tandem/internal/account"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
	"tandem/internal/project"
	"tandem/internal/sshd"
	"tandem/internal/sshd/cmdflag"
)

func (c *Commands) createAccount(ctx context.Context, s *sshd.Session) error {
	var email, fullName, sshKey, httpPassword string
	var groups []string
	fs := cmdflag.New("gerrit create-account")
	fs.String(&email, "--email", "EMAIL", "email address of the account")
	fs.String(&fullName, "--full-name", "NAME", "display name of the account")
	fs.Strings(&groups, "--group", "GROUP", "group to add the account to (repeatable)")
	fs.String(&sshKey, "--ssh-key", "-|KEY", "public SSH key; - reads it from standard input")
	fs.String(&httpPassword, "--http-password", "PASSWORD", "HTTP password of the account")
	fs.Args("USERNAME", 1, 1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if err := c.requireCapability(ctx, cl, "createAccount", "create account"); err != nil {
		return err
	}
	if sshKey == "-" {
		b, err := io.ReadAll(io.LimitReader(s.Stdin, 64<<10))
		if err != nil {
			return err
		}
		sshKey = string(b)
	}
	var keys []string
	if strings.TrimSpace(sshKey) != "" {
		keys = append(keys, sshKey)
	}
	_, err = c.accounts.Create(ctx, account.Input{
		Username:     args[0],
		FullName:     fullName,
		Email:        email,
		SSHKeys:      keys,
		HTTPPassword: httpPassword,
		Groups:       groups,
	})
	return userError(err)
}

func (c *Commands) createGroup(ctx context.Context, s *sshd.Session) error {
	var owner, description string
	var members, includes []string
	var visible bool
	fs := cmdflag.New("gerrit create-group")
	fs.String(&owner, "--owner|-o", "GROUP", "owning group, if not specified the group will be self-owning")
	fs.String(&description, "--description|-d", "DESC", "description of group")
	fs.Strings(&members, "--member|-m", "USERNAME", "initial set of users to become members of the group")
	fs.Strings(&includes, "--group|-g", "GROUP", "initial set of groups to be included in the group")
	fs.Bool(&visible, "--visible-to-all", "to make the group visible to all registered users")
	fs.Args("GROUP", 1, 1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if err := c.requireCapability(ctx, cl, "createGroup", "create group"); err != nil {
		return err
	}
	var ids []int64
	for _, m := range members {
		a, err := c.accounts.Resolve(ctx, m)
		if err != nil {
			return fmt.Errorf("user %q not found", m)
		}
		ids = append(ids, a.ID)
	}
	var inc []*account.Group
	for _, g := range includes {
		grp, err := c.accounts.ResolveGroup(ctx, g)
		if err != nil {
			return fmt.Errorf("group %q not found", g)
		}
		inc = append(inc, grp)
	}
	g, err := c.accounts.CreateGroup(ctx, account.GroupInput{
		Name: args[0], Description: description, Owner: owner, VisibleToAll: visible, Members: ids,
	})
	if err != nil {
		return userError(err)
	}
	for _, ig := range inc {
		if err := c.accounts.AddInclude(ctx, g, ig.UUID); err != nil {
			return err
		}
	}
	return nil
}

func (c *Commands) visibleGroups(ctx context.Context, cl *caller) ([]*account.Group, error) {
	groups, err := c.accounts.ListGroups(ctx, true)
	if err != nil {
		return nil, err
	}
	caps, err := c.access.Capabilities(ctx, cl.subject())
	if err != nil {
		return nil, err
	}
	admin := caps.Has("administrateServer")
	var out []*account.Group
	for _, g := range groups {
		if admin || g.VisibleToAll || cl.groups[g.UUID] || account.OwnsGroup(cl.groups, g) {
			out = append(out, g)
		}
	}
	return out, nil
}

func (c *Commands) lsGroups(ctx context.Context, s *sshd.Session) error {
	var verbose, owned, visibleToAll bool
	var user, projectName string
	var only []string
	fs := cmdflag.New("gerrit ls-groups")
	fs.Bool(&verbose, "--verbose|-v", "verbose output format with tab-separated columns")
	fs.Bool(&owned, "--owned", "to list only groups that are owned by the calling user")
	fs.Bool(&visibleToAll, "--visible-to-all", "to list only groups that are visible to all registered users")
	fs.String(&user, "--user|-u", "USER", "user for which the groups should be listed")
	fs.String(&projectName, "--project|-p", "PROJECT", "projects for which the groups should be listed")
	fs.Strings(&only, "--group|-g", "GROUP", "group to inspect")
	fs.Args("", 0, 0)
	if _, err := fs.Parse(s.Args); err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	groups, err := c.visibleGroups(ctx, cl)
	if err != nil {
		return err
	}
	var memberOf map[string]bool
	if user != "" {
		a, err := c.accounts.Resolve(ctx, user)
		if err != nil {
			return fmt.Errorf("user %q not found", user)
		}
		if memberOf, err = c.accounts.GroupsOf(ctx, a.ID); err != nil {
			return err
		}
	}
	var inProject map[string]bool
	if projectName != "" {
		st, err := c.projects.Load(ctx, repo.NormalizeName(projectName))
		if err != nil {
			return fmt.Errorf("project %q not found", projectName)
		}
		inProject = map[string]bool{}
		for _, g := range st.Config.Groups {
			inProject[g.UUID] = true
		}
	}
	wanted := map[string]bool{}
	for _, g := range only {
		grp, err := c.accounts.ResolveGroup(ctx, g)
		if err != nil {
			return fmt.Errorf("group %q not found", g)
		}
		wanted[grp.UUID] = true
	}
	caps, _ := c.access.Capabilities(ctx, cl.subject())
	sort.Slice(groups, func(i, j int) bool { return groups[i].Name < groups[j].Name })
	var b strings.Builder
	for _, g := range groups {
		switch {
		case owned && !(account.OwnsGroup(cl.groups, g) || caps.Has("administrateServer") && !g.System()):
		case visibleToAll && !g.VisibleToAll:
		case memberOf != nil && !memberOf[g.UUID]:
		case inProject != nil && !inProject[g.UUID]:
		case len(wanted) > 0 && !wanted[g.UUID]:
		default:
			if !verbose {
				fmt.Fprintln(&b, g.Name)
				continue
			}
			ownerName, ownerUUID := "n/a", "n/a"
			if !g.System() {
				ownerUUID = g.OwnerUUID
				if og, err := c.accounts.ResolveGroup(ctx, g.OwnerUUID); err == nil {
					ownerName = og.Name
				}
			}
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%t\n", g.Name, g.UUID, g.Description, ownerName, ownerUUID, g.VisibleToAll)
		}
	}
	_, err = io.WriteString(s.Stdout, b.String())
	return err
}

func (c *Commands) lsMembers(ctx context.Context, s *sshd.Session) error {
	var recursive bool
	fs := cmdflag.New("gerrit ls-members")
	fs.Bool(&recursive, "--recursive", "to resolve included groups recursively")
	fs.Args("GROUP", 1, 1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	g, err := c.accounts.ResolveGroup(ctx, args[0])
	visible := false
	if err == nil {
		groups, verr := c.visibleGroups(ctx, cl)
		if verr != nil {
			return verr
		}
		for _, vg := range groups {
			visible = visible || vg.UUID == g.UUID
		}
	}
	if err != nil || !visible {
		return errors.New("Group not found or not visible")
	}
	var members []*account.Account
	if recursive {
		members, err = c.accounts.MembersRecursive(ctx, g)
	} else {
		members, err = c.accounts.Members(ctx, g)
	}
	if err != nil {
		return err
	}
	na := func(s string) string {
		if s == "" {
			return "n/a"
		}
		return s
	}
	var b strings.Builder
	b.WriteString("id\tusername\tfull name\temail\n")
	for _, m := range members {
		fmt.Fprintf(&b, "%d\t%s\t%s\t%s\n", m.ID, na(m.Username), na(m.FullName), na(m.PreferredEmail))
	}
	_, err = io.WriteString(s.Stdout, b.String())
	return err
}

func (c *Commands) setMembers(ctx context.Context, s *sshd.Session) error {
	var add, remove, include, exclude []string
	fs := cmdflag.New("gerrit set-members")
	fs.Strings(&add, "--add|-a", "USER", "users that should be added as group member")
	fs.Strings(&remove, "--remove|-r", "USER", "users that should be removed from the group")
	fs.Strings(&include, "--include|-i", "GROUP", "group that should be included as group member")
	fs.Strings(&exclude, "--exclude|-e", "GROUP", "group that should be excluded from the group")
	fs.Args("GROUP", 1, -1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	caps, err := c.access.Capabilities(ctx, cl.subject())
	if err != nil {
		return err
	}
	// Resolve everything first so a typo changes nothing.
	var groups []*account.Group
	for _, name := range args {
		g, err := c.accounts.ResolveGroup(ctx, name)
		if err != nil || g.System() {
			return fmt.Errorf("Group %q does not exist", name)
		}
		if !account.OwnsGroup(cl.groups, g) && !caps.Has("administrateServer") {
			return fmt.Errorf("Group %q not owned by you", name)
		}
		groups = append(groups, g)
	}
	resolveAccounts := func(names []string) ([]*account.Account, error) {
		var out []*account.Account
		for _, n := range names {
			a, err := c.accounts.Resolve(ctx, n)
			if err != nil {
				return nil, fmt.Errorf("Account '%s' not found", n)
			}
			out = append(out, a)
		}
		return out, nil
	}
	resolveGroups := func(names []string) ([]*account.Group, error) {
		var out []*account.Group
		for _, n := range names {
			g, err := c.accounts.ResolveGroup(ctx, n)
			if err != nil {
				return nil, fmt.Errorf("Group %q does not exist", n)
			}
			out = append(out, g)
		}
		return out, nil
	}
	toAdd, err := resolveAccounts(add)
	if err != nil {
		return err
	}
	toRemove, err := resolveAccounts(remove)
	if err != nil {
		return err
	}
	toInclude, err := resolveGroups(include)
	if err != nil {
		return err
	}
	toExclude, err := resolveGroups(exclude)
	if err != nil {
		return err
	}
	for _, g := range groups {
		for _, a := range toAdd {
			if _, err := c.accounts.AddMember(ctx, g, a.ID); err != nil {
				return userError(err)
			}
		}
		for _, a := range toRemove {
			if err := c.accounts.RemoveMember(ctx, g, a.ID); err != nil {
				return userError(err)
			}
		}
		for _, ig := range toInclude {
			if err := c.accounts.AddInclude(ctx, g, ig.UUID); err != nil {
				return userError(err)
			}
		}
		for _, ig := range toExclude {
			if err := c.accounts.RemoveInclude(ctx, g, ig.UUID); err != nil {
				return userError(err)
			}
		}
	}
	return nil
}

func (c *Commands) createProject(ctx context.Context, s *sshd.Session) error {
	var owners, branches []string
	var parent, description, submitType, name, requireChangeID string
	var emptyCommit, permissionsOnly, rci bool
	var ignored bool
	fs := cmdflag.New("gerrit create-project")
	fs.Strings(&owners, "--owner|-o", "GROUP", "owner(s) of project")
	fs.String(&parent, "--parent|-p", "NAME", "parent project")
	fs.String(&description, "--description|-d", "DESCRIPTION", "description of project")
	fs.Enum(&submitType, "--submit-type|-t", "TYPE", project.SubmitTypes(), "project submit type")
	fs.Strings(&branches, "--branch|-b", "BRANCH", "initial branch name (repeatable)")
	fs.Bool(&emptyCommit, "--empty-commit", "to create initial empty commit")
	fs.Bool(&permissionsOnly, "--permissions-only", "create project for use only as parent")
	fs.Bool(&rci, "--require-change-id|--id", "if change-id is required")
	fs.Bool(&ignored, "--use-content-merge", "allow automatic conflict resolving within files")
	fs.Bool(&ignored, "--create-new-change-for-all-not-in-target", "create a new change for every commit not in the target branch")
	fs.Bool(&ignored, "--use-signed-off-by|--so", "if signed-off-by is required")
	fs.Bool(&ignored, "--use-contributor-agreements|--ca", "if contributor agreement is required")
	fs.String(&name, "--name|-n", "NAME", "name of project to be created (deprecated)")
	fs.Args("NAME", 0, 1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	if len(args) == 1 {
		name = args[0]
	}
	if name == "" {
		return errors.New("Project name is required.")
	}
	if rci {
		requireChangeID = "TRUE"
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if err := c.requireCapability(ctx, cl, "createProject", "create project"); err != nil {
		return err
	}
	var refs []project.GroupRef
	for _, o := range owners {
		g, err := c.accounts.ResolveGroup(ctx, o)
		if err != nil {
			return fmt.Errorf("Group %q does not exist", o)
		}
		refs = append(refs, project.GroupRef{UUID: g.UUID, Name: g.Name})
	}
	err = c.projects.Create(ctx, project.Input{
		Name:              name,
		Parent:            parent,
		Description:       description,
		CreateEmptyCommit: emptyCommit,
		Branches:          branches,
		SubmitType:        strings.ToUpper(submitType),
		Owners:            refs,
		PermissionsOnly:   permissionsOnly,
		RequireChangeID:   requireChangeID,
		Author:            project.Ident{Name: cl.account.DisplayName(), Email: cl.account.PreferredEmail},
	})
	return userError(err)
}

func (c *Commands) lsProjects(ctx context.Context, s *sshd.Session) error {
	var description, all, tree bool
	var format, prefix, match, regex, typ string
	var limit, start int
	var showBranches []string
	fs := cmdflag.New("gerrit ls-projects")
	fs.Bool(&description, "--description|-d", "include description of project in list")
	fs.Enum(&format, "--format", "FMT", []string{"text", "json", "json_compact"}, "output format")
	fs.String(&prefix, "--prefix|-p", "PREFIX", "match project prefix")
	fs.String(&match, "-m", "MATCH", "match project substring")
	fs.String(&regex, "-r", "REGEX", "match project regex")
	fs.Enum(&typ, "--type", "TYPE", []string{"code", "permissions", "all"}, "type of project")
	fs.Bool(&all, "--all", "display all projects that are accessible by the calling user")
	fs.Bool(&tree, "--tree|-t", "displays project inheritance in a tree-like format")
	fs.Int(&limit, "--limit|-n", "CNT", "maximum number of projects to list")
	fs.Int(&start, "-S|--start", "CNT", "number of projects to skip")
	fs.Strings(&showBranches, "--show-branch|-b", "BRANCH", "displays the sha of each project in the specified branch")
	fs.Args("", 0, 0)
	if _, err := fs.Parse(s.Args); err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	names, err := c.projects.Names(ctx)
	if err != nil {
		return err
	}
	filter := project.Filter{Prefix: prefix, Substring: match, Regex: regex}
	type entry struct {
		ID          string            `json:"id"`
		Description string            `json:"description,omitempty"`
		State       string            `json:"state,omitempty"`
		Branches    map[string]string `json:"branches,omitempty"`
	}
	out := map[string]entry{}
	var order []string
	skipped := 0
	for _, name := range names {
		ok, err := filter.Match(name)
		if err != nil {
			return userError(err)
		}
		if !ok {
			continue
		}
		permsOnly := name == project.AllProjects || name == project.AllUsers
		if typ == "code" && permsOnly || typ == "permissions" && !permsOnly {
			continue
		}
		chk, st, err := c.access.Check(ctx, name, cl.subject())
		if err != nil || !chk.Visible() {
			continue
		}
		if skipped < start {
			skipped++
			continue
		}
		if limit > 0 && len(order) == limit {
			break
		}
		e := entry{ID: name, State: "ACTIVE"}
		if description {
			e.Description = st.Config.Description
		}
		if len(showBranches) > 0 {
			e.Branches = map[string]string{}
			if r, err := c.projects.Open(ctx, name); err == nil {
				for _, b := range showBranches {
					ref := b
					if !strings.HasPrefix(ref, "refs/") {
						ref = "refs/heads/" + b
					}
					if chk.Can(ref, "read") {
						if oid, err := r.Resolve(ctx, ref); err == nil {
							e.Branches[b] = oid
						}
					}
				}
			}
		}
		out[name] = e
		order = append(order, name)
	}
	if strings.HasPrefix(strings.ToLower(format), "json") {
		enc := json.NewEncoder(s.Stdout)
		if strings.ToLower(format) == "json" {
			enc.SetIndent("", "  ")
		}
		return enc.Encode(out)
	}
	var b strings.Builder
	for _, name := range order {
		e := out[name]
		for _, br := range showBranches {
			sha := e.Branches[br]
			if sha == "" {
				sha = strings.Repeat("-", 40)
			}
			b.WriteString(sha + " ")
		}
		b.WriteString(name)
		if description && e.Description != "" {
			b.WriteString(" - " + escapeControl(e.Description))
		}
		b.WriteByte('\n')
	}
	_, err = io.WriteString(s.Stdout, b.String())
	return err
}

// escapeControl renders control characters C-style, as ls-projects does.
func escapeControl(s string) string {
	r := strings.NewReplacer("\n", `\n`, "\t", `\t`, "\r", `\r`, "\\", `\\`)
	return r.Replace(s)
}

func (c *Commands) createBranch(ctx context.Context, s *sshd.Session) error {
	fs := cmdflag.New("gerrit create-branch")
	fs.Args("PROJECT NAME REVISION", 3, 3)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	name := repo.NormalizeName(args[0])
	chk, _, err := c.access.Check(ctx, name, cl.subject())
	if err != nil || !chk.Visible() {
		return fmt.Errorf("project %q not found", name)
	}
	ref := args[1]
	if !strings.HasPrefix(ref, "refs/") {
		ref = "refs/heads/" + ref
	}
	if err := project.ValidBranchName(ref); err != nil {
		return userError(err)
	}
	if !chk.Can(ref, "create") {
		return fmt.Errorf("Cannot create %q", ref)
	}
	r, err := c.projects.Open(ctx, name)
	if err != nil {
		return userError(err)
	}
	oid, err := r.Resolve(ctx, args[2])
	if err != nil {
		return fmt.Errorf("invalid revision %q", args[2])
	}
	err = refupdate.Apply(ctx, c.runner, r.Path, refupdate.Update{Ref: ref, Old: refupdate.ZeroOID, New: oid})
	var mm *refupdate.MismatchError
	if errors.As(err, &mm) {
		return fmt.Errorf("branch %q already exists", ref)
	}
	return err
}
