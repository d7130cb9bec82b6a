package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/fail"
	"tandem/internal/gitconfig"
	"tandem/internal/project"
	"tandem/internal/sshd"
	"tandem/internal/sshd/cmdflag"
)

// maxKeyInput bounds an SSH key read from standard input.
const maxKeyInput = 64 << 10

// groupArg resolves a group named on the command line, with the text of
// Gerrit's group option parser for one that does not exist. internalOnly
// refuses the system groups, which have neither stored members nor owners.
func (c *Commands) groupArg(ctx context.Context, name string, internalOnly bool) (*account.Group, error) {
	g, err := c.accounts.ResolveGroup(ctx, name)
	if err != nil && fail.KindOf(err) != fail.Internal || err == nil && internalOnly && g.System() {
		return nil, die(`Group "%s" does not exist`, name)
	}
	return g, err
}

// userArg resolves an account named on the command line.
func (c *Commands) userArg(ctx context.Context, name string) (*account.Account, error) {
	a, err := c.accounts.Resolve(ctx, name)
	if err != nil && fail.KindOf(err) != fail.Internal {
		return nil, die(`user "%s" not found`, name)
	}
	return a, err
}

// isAdmin reports whether the caller may administrate the server.
func (c *Commands) isAdmin(ctx context.Context, groups map[string]bool) (bool, error) {
	caps, err := c.access.Capabilities(ctx, access.Subject{Groups: groups})
	if err != nil {
		return false, err
	}
	return caps.Has("administrateServer"), nil
}

// canSee is Gerrit's group visibility: administrators see every group,
// others the groups visible to all, the ones they belong to and the ones
// they own.
func canSee(groups map[string]bool, admin bool, g *account.Group) bool {
	return admin || g.VisibleToAll || groups[g.UUID] || account.OwnsGroup(groups, g)
}

func (c *Commands) createAccount(ctx context.Context, s *sshd.Session) error {
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	// Gerrit checks a command's capability before it reads the options.
	if err := c.requireCapability(ctx, cl, "create account", "createAccount"); err != nil {
		return err
	}
	var email, fullName, sshKey, httpPassword string
	var groups []string
	fs := cmdflag.New("gerrit create-account")
	fs.Strings(&groups, "--group|-g", "GROUP", "group the account joins (repeatable)")
	fs.String(&fullName, "--full-name", "NAME", "display name of the account")
	fs.String(&email, "--email", "EMAIL", "email address of the account")
	fs.String(&sshKey, "--ssh-key", "-|KEY", "public SSH key; - reads it from standard input")
	fs.String(&httpPassword, "--http-password", "PASSWORD", "HTTP password of the account")
	fs.Args("USERNAME", 1, 1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	var uuids []string
	for _, name := range groups {
		g, err := c.groupArg(ctx, name, true)
		if err != nil {
			return err
		}
		uuids = append(uuids, g.UUID)
	}
	if sshKey == "-" {
		b, err := io.ReadAll(io.LimitReader(s.Stdin, maxKeyInput))
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
		Groups:       uuids,
		By:           cl.account.ID,
	})
	return userError(err)
}

func (c *Commands) createGroup(ctx context.Context, s *sshd.Session) error {
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if err := c.requireCapability(ctx, cl, "create group", "createGroup"); err != nil {
		return err
	}
	var owner, description string
	var members, includes []string
	var visible bool
	fs := cmdflag.New("gerrit create-group")
	fs.String(&owner, "--owner|-o", "GROUP", "owning group; without it the group owns itself")
	fs.String(&description, "--description|-d", "DESC", "description of the group")
	fs.Strings(&members, "--member|-m", "USERNAME", "initial member (repeatable)")
	fs.Strings(&includes, "--group|-g", "GROUP", "initially included group (repeatable)")
	fs.Bool(&visible, "--visible-to-all", "make the group visible to every registered user")
	fs.Args("GROUP", 1, 1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	var ownerUUID string
	var ids []int64
	if owner != "" {
		og, err := c.groupArg(ctx, owner, true)
		if err != nil {
			return err
		}
		ownerUUID = og.UUID
	} else {
		// A self-owned group starts with its creator in it, as in Gerrit,
		// so that somebody owns it.
		ids = append(ids, cl.account.ID)
	}
	for _, m := range members {
		a, err := c.userArg(ctx, m)
		if err != nil {
			return err
		}
		if !slices.Contains(ids, a.ID) {
			ids = append(ids, a.ID)
		}
	}
	var inc []*account.Group
	for _, name := range includes {
		g, err := c.groupArg(ctx, name, false)
		if err != nil {
			return err
		}
		inc = append(inc, g)
	}
	g, err := c.accounts.CreateGroup(ctx, account.GroupInput{
		Name: args[0], Description: description, Owner: ownerUUID, VisibleToAll: visible, Members: ids, By: cl.account.ID,
	})
	if err != nil {
		return userError(err)
	}
	for _, ig := range inc {
		if _, err := c.accounts.AddInclude(ctx, g, ig.UUID, cl.account.ID); err != nil {
			return err
		}
	}
	return nil
}

// projectGroups returns the UUIDs of the groups a project's rules name,
// its parents' included.
func projectGroups(st *project.State) map[string]bool {
	out := map[string]bool{}
	for _, cfg := range st.Chain {
		for _, sec := range cfg.Access {
			for _, p := range sec.Permissions {
				for _, r := range p.Rules {
					out[r.Group.UUID] = true
				}
			}
		}
		for _, p := range cfg.Capabilities {
			for _, r := range p.Rules {
				out[r.Group.UUID] = true
			}
		}
	}
	return out
}

func (c *Commands) lsGroups(ctx context.Context, s *sshd.Session) error {
	var verbose, owned, visibleToAll bool
	var user, match, regex, ownedBy string
	var projects, inspect []string
	var limit, start int
	fs := cmdflag.New("gerrit ls-groups")
	fs.Strings(&projects, "--project|-p", "PROJECT", "list the groups the rules of this project name (repeatable)")
	fs.String(&user, "--user|-u", "USER", "list the groups this user is a member of")
	fs.Bool(&owned, "--owned", "list the groups owned by the calling user, or by --user")
	fs.String(&ownedBy, "--owned-by", "GROUP", "list the groups owned by this group")
	fs.Bool(&visibleToAll, "--visible-to-all", "list only groups visible to every registered user")
	fs.Strings(&inspect, "--group|-g", "GROUP", "list only this group (repeatable)")
	fs.Strings(&inspect, "--query|-q", "GROUP", "old spelling of --group")
	fs.String(&match, "--match|-m", "MATCH", "list only groups whose name contains MATCH")
	fs.String(&regex, "--regex|-r", "REGEX", "list only groups whose name matches REGEX")
	fs.Int(&limit, "--limit|-n", "CNT", "list at most CNT groups")
	fs.Int(&start, "--start|-S", "CNT", "skip the first CNT groups")
	fs.Bool(&verbose, "--verbose|-v", "tab-separated name, UUID, description, owner name, owner UUID and visible-to-all")
	fs.Args("", 0, 0)
	if _, err := fs.Parse(s.Args); err != nil {
		return err
	}
	if user != "" && len(projects) > 0 {
		return die("--user and --project options are not compatible.")
	}
	if match != "" && regex != "" {
		return die("Specify one of m/r")
	}
	var re *regexp.Regexp
	if regex != "" {
		var err error
		if re, err = regexp.Compile("^(?:" + regex + ")$"); err != nil {
			return die("invalid regex %s", regex)
		}
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	admin, err := c.isAdmin(ctx, cl.groups)
	if err != nil {
		return err
	}
	var inProjects map[string]bool
	for _, p := range projects {
		_, _, st, err := c.project(ctx, cl, p)
		if err != nil {
			return err
		}
		if inProjects == nil {
			inProjects = map[string]bool{}
		}
		for uuid := range projectGroups(st) {
			inProjects[uuid] = true
		}
	}
	wanted := map[string]bool{}
	for _, name := range inspect {
		g, err := c.groupArg(ctx, name, false)
		if err != nil {
			return err
		}
		wanted[g.UUID] = true
	}
	// The account whose memberships --user and --owned look at.
	var subject map[string]bool
	subjectAdmin := admin
	if user != "" {
		a, err := c.userArg(ctx, user)
		if err != nil {
			return err
		}
		if subject, err = c.accounts.GroupsOf(ctx, a.ID); err != nil {
			return err
		}
		if subjectAdmin, err = c.isAdmin(ctx, subject); err != nil {
			return err
		}
	}
	var ownerUUID string
	if ownedBy != "" {
		og, err := c.groupArg(ctx, ownedBy, false)
		if err != nil {
			return err
		}
		ownerUUID = og.UUID
	}

	var groups []*account.Group
	if user != "" && !owned && ownedBy == "" {
		// The groups the user belongs to, the system ones included,
		// without further filters (as Gerrit's account groups view).
		all, err := c.accounts.ListGroups(ctx, true)
		if err != nil {
			return err
		}
		for _, g := range all {
			if subject[g.UUID] && canSee(cl.groups, admin, g) {
				groups = append(groups, g)
			}
		}
	} else {
		// Otherwise only the groups Tandem stores are listed.
		all, err := c.accounts.ListGroups(ctx, false)
		if err != nil {
			return err
		}
		for _, g := range all {
			switch {
			case match != "" && !strings.Contains(strings.ToLower(g.Name), strings.ToLower(match)):
			case re != nil && !re.MatchString(g.Name):
			case len(wanted) > 0 && !wanted[g.UUID]:
			case !canSee(cl.groups, admin, g):
			case visibleToAll && !g.VisibleToAll:
			case ownedBy != "" && g.OwnerUUID != ownerUUID:
			case ownedBy == "" && owned && user == "" && !(admin || account.OwnsGroup(cl.groups, g)):
			case ownedBy == "" && owned && user != "" && !(subjectAdmin || account.OwnsGroup(subject, g)):
			case ownedBy == "" && !owned && inProjects != nil && !inProjects[g.UUID]:
			default:
				groups = append(groups, g)
			}
		}
		groups = groups[min(max(start, 0), len(groups)):]
		if limit > 0 && len(groups) > limit {
			groups = groups[:limit]
		}
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].Name < groups[j].Name })

	var b strings.Builder
	for _, g := range groups {
		if !verbose {
			writeRow(&b, g.Name)
			continue
		}
		ownerName, ownerID := "n/a", ""
		description := g.Description
		if g.System() {
			description = ""
		} else if og, err := c.accounts.ResolveGroup(ctx, g.OwnerUUID); err == nil && !og.System() {
			ownerName, ownerID = og.Name, og.UUID
		}
		writeRow(&b, g.Name, g.UUID, description, ownerName, ownerID, fmt.Sprint(g.VisibleToAll))
	}
	_, err = io.WriteString(s.Stdout, b.String())
	return err
}

// writeRow writes one line of a tab-separated table with every column
// escaped, as Gerrit's column formatter does.
func writeRow(b *strings.Builder, cols ...string) {
	for i, col := range cols {
		if i > 0 {
			b.WriteByte('\t')
		}
		b.WriteString(escapeControl(col))
	}
	b.WriteByte('\n')
}

// groupNotFound is what ls-members prints, on standard output and with
// success, for a group that does not exist or that the caller may not see;
// gerritlib looks for this text there.
const groupNotFound = "Group not found or not visible\n"

func (c *Commands) lsMembers(ctx context.Context, s *sshd.Session) error {
	var recursive bool
	fs := cmdflag.New("gerrit ls-members")
	fs.Bool(&recursive, "--recursive", "also list the members of included groups")
	fs.Args("GROUPNAME", 1, 1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	g, err := c.accounts.ResolveGroup(ctx, args[0])
	if err != nil && fail.KindOf(err) == fail.Internal {
		return err
	}
	visible := false
	if err == nil && !g.System() {
		admin, err := c.isAdmin(ctx, cl.groups)
		if err != nil {
			return err
		}
		visible = canSee(cl.groups, admin, g)
	}
	if !visible {
		_, err := io.WriteString(s.Stdout, groupNotFound)
		return err
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
	writeRow(&b, "id", "username", "full name", "email")
	for _, m := range members {
		writeRow(&b, fmt.Sprint(m.ID), na(m.Username), na(m.FullName), na(m.PreferredEmail))
	}
	_, err = io.WriteString(s.Stdout, b.String())
	return err
}

func (c *Commands) setMembers(ctx context.Context, s *sshd.Session) error {
	var add, remove, include, exclude []string
	fs := cmdflag.New("gerrit set-members")
	fs.Strings(&add, "--add|-a", "USER", "account to add to the groups (repeatable)")
	fs.Strings(&remove, "--remove|-r", "USER", "account to remove from the groups (repeatable)")
	fs.Strings(&include, "--include|-i", "GROUP", "group to include in the groups (repeatable)")
	fs.Strings(&exclude, "--exclude|-e", "GROUP", "group to stop including in the groups (repeatable)")
	fs.Args("GROUP", 1, -1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	admin, err := c.isAdmin(ctx, cl.groups)
	if err != nil {
		return err
	}
	// Resolve everything first so that a typo changes nothing.
	var groups []*account.Group
	for _, name := range args {
		g, err := c.groupArg(ctx, name, true)
		if err != nil {
			return err
		}
		if !canSee(cl.groups, admin, g) {
			return die(`Group "%s" does not exist`, name)
		}
		groups = append(groups, g)
	}
	accounts := func(names []string) ([]*account.Account, error) {
		var out []*account.Account
		for _, n := range names {
			a, err := c.userArg(ctx, n)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
		return out, nil
	}
	subgroups := func(names []string) ([]*account.Group, error) {
		var out []*account.Group
		for _, n := range names {
			g, err := c.groupArg(ctx, n, false)
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
		return out, nil
	}
	toAdd, err := accounts(add)
	if err != nil {
		return err
	}
	toRemove, err := accounts(remove)
	if err != nil {
		return err
	}
	toInclude, err := subgroups(include)
	if err != nil {
		return err
	}
	toExclude, err := subgroups(exclude)
	if err != nil {
		return err
	}
	// Only owners change a group; the refusal names the first change
	// asked for, in the order they are made below.
	for _, g := range groups {
		if admin || account.OwnsGroup(cl.groups, g) {
			continue
		}
		switch {
		case len(toRemove) > 0:
			return die("Cannot delete members from group %s", g.Name)
		case len(toExclude) > 0:
			return die("Cannot delete groups from group %s", g.Name)
		case len(toAdd) > 0:
			return die("Cannot add members to group %s", g.Name)
		case len(toInclude) > 0:
			return die("Cannot add groups to group %s", g.Name)
		}
	}
	emails := func(as []*account.Account) string {
		var out []string
		for _, a := range as {
			e := a.PreferredEmail
			if e == "" {
				e = "n/a"
			}
			out = append(out, e)
		}
		return strings.Join(out, ", ")
	}
	names := func(gs []*account.Group) string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Name)
		}
		return strings.Join(out, ", ")
	}
	// Each change is reported as it is made, like Gerrit does.
	for _, g := range groups {
		if len(toRemove) > 0 {
			for _, a := range toRemove {
				if _, err := c.accounts.RemoveMember(ctx, g, a.ID, cl.account.ID); err != nil {
					return userError(err)
				}
			}
			fmt.Fprintf(s.Stdout, "Members removed from group %s: %s\n", g.Name, emails(toRemove))
		}
		if len(toExclude) > 0 {
			for _, ig := range toExclude {
				if _, err := c.accounts.RemoveInclude(ctx, g, ig.UUID, cl.account.ID); err != nil {
					return userError(err)
				}
			}
			fmt.Fprintf(s.Stdout, "Groups excluded from group %s: %s\n", g.Name, names(toExclude))
		}
		if len(toAdd) > 0 {
			for _, a := range toAdd {
				if _, err := c.accounts.AddMember(ctx, g, a.ID, cl.account.ID); err != nil {
					return userError(err)
				}
			}
			fmt.Fprintf(s.Stdout, "Members added to group %s: %s\n", g.Name, emails(toAdd))
		}
		if len(toInclude) > 0 {
			for _, ig := range toInclude {
				if _, err := c.accounts.AddInclude(ctx, g, ig.UUID, cl.account.ID); err != nil {
					return userError(err)
				}
			}
			fmt.Fprintf(s.Stdout, "Groups included to group %s: %s\n", g.Name, names(toInclude))
		}
	}
	return nil
}

// renameGroup is gerrit rename-group GROUP NEWNAME, for the group's
// owners. As with the REST rename, the account service carries the new
// name into the project configurations that refer to the group.
func (c *Commands) renameGroup(ctx context.Context, s *sshd.Session) error {
	fs := cmdflag.New("gerrit rename-group")
	fs.Args("GROUP NEWNAME", 2, 2)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	admin, err := c.isAdmin(ctx, cl.groups)
	if err != nil {
		return err
	}
	g, err := c.groupArg(ctx, args[0], true)
	if err != nil {
		return err
	}
	if !canSee(cl.groups, admin, g) {
		return die(`Group "%s" does not exist`, args[0])
	}
	if !admin && !account.OwnsGroup(cl.groups, g) {
		return die("Changing group name not permitted")
	}
	_, err = c.accounts.UpdateGroup(ctx, g, account.GroupUpdate{Name: &args[1], By: cl.account.ID})
	return userError(err)
}

// inheritable are the values of Gerrit's inheritable boolean options.
var inheritable = []string{project.BoolTrue, project.BoolFalse, project.BoolInherit}

// inheritableFlag is an inheritable setting's option (TRUE, FALSE or
// INHERIT) with Gerrit's older switches that set it on or off.
type inheritableFlag struct {
	value   string
	on, off bool
}

// define adds the option and its switches (on and off may be "").
func (f *inheritableFlag) define(fs *cmdflag.FlagSet, names, on, off, usage string) {
	fs.Enum(&f.value, names, "", inheritable, usage)
	if on != "" {
		fs.Bool(&f.on, on, usage+": TRUE")
	}
	if off != "" {
		fs.Bool(&f.off, off, usage+": FALSE")
	}
}

// get is the value given: TRUE, FALSE, INHERIT, or "" for none.
func (f *inheritableFlag) get() string {
	switch {
	case f.value != "":
		return strings.ToUpper(f.value)
	case f.on:
		return project.BoolTrue
	case f.off:
		return project.BoolFalse
	}
	return ""
}

// maxObjectSize parses --max-object-size-limit: bytes, with k, m or g.
func maxObjectSize(v string) (int64, error) {
	n, err := gitconfig.ParseInt(v)
	if err != nil || n < 0 {
		return 0, die("invalid value for --max-object-size-limit: %s", v)
	}
	return n, nil
}

func (c *Commands) createProject(ctx context.Context, s *sshd.Session) error {
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if err := c.requireCapability(ctx, cl, "create project", "createProject"); err != nil {
		return err
	}
	var owners, branches, pluginConfig []string
	var parent, description, submitType, name, maxSize string
	var emptyCommit, permissionsOnly, suggestParents bool
	var changeID, agreements, signedOff, contentMerge, rejectEmpty, newChangeForAll inheritableFlag
	fs := cmdflag.New("gerrit create-project")
	fs.Bool(&suggestParents, "--suggest-parents|-S", "list the projects that are parents of others, and do nothing else")
	fs.Strings(&owners, "--owner|-o", "GROUP", "owner group of the project (repeatable)")
	fs.String(&parent, "--parent|-p", "NAME", "parent project")
	fs.Bool(&permissionsOnly, "--permissions-only", "create a project that only holds access rights for others")
	fs.String(&description, "--description|-d", "DESCRIPTION", "description of the project")
	fs.Enum(&submitType, "--submit-type|-t", "TYPE", project.SubmitTypes(), "submit type of the project")
	changeID.define(fs, "--change-id", "--require-change-id|--id", "", "whether a Change-Id is required")
	agreements.define(fs, "--contributor-agreements", "--use-contributor-agreements|--ca", "", "whether a contributor agreement is required")
	signedOff.define(fs, "--signed-off-by", "--use-signed-off-by|--so", "", "whether Signed-off-by is required")
	contentMerge.define(fs, "--content-merge", "--use-content-merge", "", "whether content merges are allowed")
	rejectEmpty.define(fs, "--reject-empty-commit", "", "", "whether empty commits are rejected on submit")
	newChangeForAll.define(fs, "--new-change-for-all-not-in-target", "--create-new-change-for-all-not-in-target|--ncfa", "",
		"whether every commit not in the target gets a change")
	fs.Strings(&branches, "--branch|-b", "BRANCH", "initial branch (repeatable)")
	fs.Bool(&emptyCommit, "--empty-commit", "create an initial empty commit")
	fs.String(&maxSize, "--max-object-size-limit", "SIZE", "largest git object allowed (k, m, g suffixes)")
	// Tandem has no plugins, so there is nothing to configure.
	fs.Strings(&pluginConfig, "--plugin-config", "PLUGIN.PARAM=VALUE", "plugin setting (no plugins here)")
	fs.String(&name, "--name|-n", "NAME", "name of the project (old spelling of the argument)")
	fs.Args("NAME", 0, 1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	if suggestParents {
		return c.suggestParents(ctx, s, cl)
	}
	var maxBytes int64
	if maxSize != "" {
		if maxBytes, err = maxObjectSize(maxSize); err != nil {
			return err
		}
	}
	if len(args) == 1 {
		name = args[0]
	}
	if name == "" {
		return die("Project name is required.")
	}
	if parent != "" {
		if parent, _, _, err = c.project(ctx, cl, parent); err != nil {
			return err
		}
	}
	var refs []project.GroupRef
	for _, o := range owners {
		g, err := c.groupArg(ctx, o, false)
		if err != nil {
			return err
		}
		refs = append(refs, project.GroupRef{UUID: g.UUID, Name: g.Name})
	}
	if permissionsOnly {
		branches = []string{project.ConfigRef}
	}
	err = c.projects.Create(ctx, project.Input{
		Name:                             name,
		Parent:                           parent,
		Description:                      description,
		CreateEmptyCommit:                emptyCommit,
		Branches:                         branches,
		SubmitType:                       strings.ToUpper(submitType),
		Owners:                           refs,
		PermissionsOnly:                  permissionsOnly,
		RequireChangeID:                  changeID.get(),
		RequireSignedOffBy:               signedOff.get(),
		UseContributorAgreements:         agreements.get(),
		MergeContent:                     contentMerge.get(),
		RejectEmptyCommit:                rejectEmpty.get(),
		CreateNewChangeForAllNotInTarget: newChangeForAll.get(),
		MaxObjectSizeLimit:               maxBytes,
		Author:                           cl.author(),
	})
	return userError(err)
}

// setProject is `gerrit set-project`: it changes settings of a project's
// own project.config, for its owners. Inheritable settings take TRUE,
// FALSE or INHERIT; the older --use-…/--no-… switches set TRUE or FALSE.
func (c *Commands) setProject(ctx context.Context, s *sshd.Session) error {
	var description, submitType, state, maxSize string
	var describe bool
	var changeID, agreements, signedOff, contentMerge inheritableFlag
	fs := cmdflag.New("gerrit set-project")
	fs.Func("--description|-d", "DESCRIPTION", "description of the project", func(v string) error {
		description, describe = v, true
		return nil
	})
	fs.Enum(&submitType, "--submit-type|-t", "TYPE", project.SubmitTypes(), "submit type of the project")
	agreements.define(fs, "--contributor-agreements", "--use-contributor-agreements|--ca", "--no-contributor-agreements|--nca",
		"whether a contributor agreement is required")
	signedOff.define(fs, "--signed-off-by", "--use-signed-off-by|--so", "--no-signed-off-by|--nso", "whether Signed-off-by is required")
	contentMerge.define(fs, "--content-merge", "--use-content-merge", "--no-content-merge", "whether content merges are allowed")
	changeID.define(fs, "--change-id", "--require-change-id|--id", "--no-change-id|--nid", "whether a Change-Id is required")
	fs.Enum(&state, "--project-state|--ps", "STATE", []string{"ACTIVE", "READ_ONLY", "HIDDEN"}, "project state")
	fs.String(&maxSize, "--max-object-size-limit", "SIZE", "largest git object allowed (k, m, g suffixes)")
	fs.Args("NAME", 1, 1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	name, err := c.ownedProject(ctx, cl, args[0], "write config not permitted")
	if err != nil {
		return err
	}
	var maxBytes int64
	if maxSize != "" {
		if maxBytes, err = maxObjectSize(maxSize); err != nil {
			return err
		}
	}
	author := cl.author()
	err = c.projects.Update(ctx, name, author, "Updated project config\n", func(cfg *project.Config) error {
		if describe {
			cfg.Description = description
		}
		if submitType != "" {
			cfg.Submit.Action = strings.ToUpper(submitType)
		}
		for field, f := range map[*string]*inheritableFlag{
			&cfg.Receive.RequireContributorAgreement: &agreements,
			&cfg.Receive.RequireSignedOffBy:          &signedOff,
			&cfg.Submit.MergeContent:                 &contentMerge,
			&cfg.Receive.RequireChangeID:             &changeID,
		} {
			if v := f.get(); v != "" {
				*field = v
			}
		}
		if state != "" {
			cfg.State = strings.ToLower(strings.ReplaceAll(state, "_", "-"))
		}
		if maxSize != "" {
			cfg.Receive.MaxObjectSizeLimit = maxBytes
		}
		return nil
	})
	return userError(err)
}

// suggestParents prints the visible projects that are the parent of some
// project, the candidates for --parent.
func (c *Commands) suggestParents(ctx context.Context, s *sshd.Session, cl *caller) error {
	names, err := c.projects.Names(ctx)
	if err != nil {
		return err
	}
	parents := map[string]bool{}
	for _, name := range names {
		if chk, st, err := c.access.Check(ctx, name, cl.subject()); err == nil && chk.Visible() && st.ParentName != "" {
			parents[st.ParentName] = true
		}
	}
	var b strings.Builder
	for _, name := range names {
		if !parents[name] {
			continue
		}
		if chk, _, err := c.access.Check(ctx, name, cl.subject()); err == nil && chk.Visible() {
			b.WriteString(name + "\n")
		}
	}
	_, err = io.WriteString(s.Stdout, b.String())
	return err
}

func (c *Commands) lsProjects(ctx context.Context, s *sshd.Session) error {
	var description bool
	var format string
	q := access.ListQuery{}
	fs := cmdflag.New("gerrit ls-projects")
	fs.Bool(&description, "--description|-d", "show each project's description")
	fs.Enum(&format, "--format", "FMT", []string{"text", "json", "json_compact"}, "output format")
	fs.String(&q.Prefix, "--prefix|-p", "PREFIX", "list only projects whose name starts with PREFIX")
	fs.String(&q.Substring, "-m", "MATCH", "list only projects whose name contains MATCH")
	fs.String(&q.Regex, "-r", "REGEX", "list only projects whose name matches REGEX")
	fs.Enum(&q.Type, "--type", "TYPE", []string{"code", "permissions", "all"}, "type of projects to list")
	fs.Enum(&q.State, "--state|-s", "STATE", []string{"ACTIVE", "READ_ONLY", "HIDDEN"}, "list only projects in STATE")
	fs.Bool(&q.All, "--all", "list hidden projects too")
	fs.Bool(&q.Tree, "--tree|-t", "show the inheritance tree (text) or each project's parent (JSON)")
	fs.Int(&q.Limit, "--limit|-n", "CNT", "list at most CNT projects")
	fs.Int(&q.Start, "-S|--start", "CNT", "skip the first CNT projects")
	fs.Strings(&q.Branches, "--show-branch|-b", "BRANCH", "show the tip of BRANCH before each name (repeatable)")
	fs.Args("", 0, 0)
	if _, err := fs.Parse(s.Args); err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	listed, _, err := c.access.List(ctx, c.projects, cl.subject(), q)
	if err != nil {
		return userError(err)
	}
	type entry struct {
		ID          string            `json:"id"`
		Parent      string            `json:"parent,omitempty"`
		Description string            `json:"description,omitempty"`
		State       string            `json:"state,omitempty"`
		Branches    map[string]string `json:"branches,omitempty"`
	}
	out := map[string]entry{}
	var order []string
	for _, l := range listed {
		e := entry{ID: projectID(l.State.Name), Parent: l.Parent, State: l.State.Config.StateName(), Branches: l.Branches}
		if description {
			e.Description = l.State.Config.Description
		}
		out[l.State.Name] = e
		order = append(order, l.State.Name)
	}
	if format == "json" || format == "json_compact" {
		enc := json.NewEncoder(s.Stdout)
		if format == "json" {
			enc.SetIndent("", "  ")
		}
		return enc.Encode(out)
	}
	var b strings.Builder
	if q.Tree {
		parents := map[string]string{}
		for name, e := range out {
			parents[name] = e.Parent
		}
		writeTree(&b, order, parents)
		_, err = io.WriteString(s.Stdout, b.String())
		return err
	}
	for _, name := range order {
		e := out[name]
		for _, br := range q.Branches {
			sha := e.Branches[br]
			if sha == "" {
				sha = strings.Repeat("-", 40)
			}
			b.WriteString(sha + " ")
		}
		b.WriteString(name)
		if e.Description != "" {
			b.WriteString(" - " + escapeControl(e.Description))
		}
		b.WriteByte('\n')
	}
	_, err = io.WriteString(s.Stdout, b.String())
	return err
}

// writeTree draws projects (in name order) as Gerrit's ls-projects --tree
// does: each under its parent when that is listed too, at the root
// otherwise (All-Projects always), a "|-- " or, for the last of its
// siblings, "`-- " before each name, four columns more for each level.
// Gerrit indents every deeper line with one mark alone: "|" while roots
// follow, so that their line shows, else a blank.
func writeTree(b *strings.Builder, names []string, parents map[string]string) {
	children := map[string][]string{}
	var roots []string
	for _, name := range names {
		if p := parents[name]; p != "" && name != project.AllProjects {
			if _, listed := parents[p]; listed {
				children[p] = append(children[p], name)
				continue
			}
		}
		roots = append(roots, name)
	}
	var walk func(name string, level int, last bool, mark string)
	walk = func(name string, level int, last bool, mark string) {
		if level > 0 {
			b.WriteString(mark + strings.Repeat(" ", 4*level-1))
		}
		if last {
			b.WriteString("`-- ")
		} else {
			b.WriteString("|-- ")
		}
		b.WriteString(name + "\n")
		kids := children[name]
		for i, kid := range kids {
			walk(kid, level+1, i == len(kids)-1, mark)
		}
	}
	for i, root := range roots {
		mark := "|"
		if len(roots) == 1 || i == len(roots)-1 {
			mark = " "
		}
		walk(root, 0, true, mark)
	}
}

// projectID is a project's name as Gerrit's JSON "id" fields give it:
// form-encoded, as Java's URLEncoder does it (which leaves "*" alone).
func projectID(name string) string {
	return strings.ReplaceAll(url.QueryEscape(name), "%2A", "*")
}

// escapeControl renders a value on one line the way Gerrit's command output
// does: control characters as C escapes (\n, \t, …) or \xNN, and
// backslashes doubled.
func escapeControl(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\a':
			b.WriteString(`\a`)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\v':
			b.WriteString(`\v`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
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
	name, chk, _, err := c.project(ctx, cl, args[0])
	if err != nil {
		return err
	}
	ref := args[1]
	if !strings.HasPrefix(ref, "refs/") {
		ref = "refs/heads/" + ref
	}
	_, err = c.projects.CreateRef(ctx, name, chk, project.NewRef{Ref: ref, Revision: args[2]})
	return userError(err)
}
