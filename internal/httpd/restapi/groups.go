package restapi

import (
	"net/http"
	"sort"
	"strconv"

	"tandem/internal/account"
	"tandem/internal/fail"
)

// serveGroups handles /groups/...
func (a *API) serveGroups(q *request) error {
	ctx := q.r.Context()
	// Gerrit shows groups to signed-in callers only.
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	if len(q.segs) == 1 || q.segs[1] == "" {
		if q.method() != http.MethodGet {
			return methodNotAllowed()
		}
		return a.listGroups(q)
	}
	id := q.segs[1]
	rest := q.segs[2:]
	if len(rest) == 0 && (q.method() == http.MethodPut || q.method() == http.MethodPost) {
		return a.createGroup(q, id)
	}
	g, err := a.accounts.ResolveGroup(ctx, id)
	if fail.Is(err, fail.NotFound) || err == nil && !a.canSeeGroup(q, g) {
		return notFound(id)
	}
	if err != nil {
		return err
	}
	if len(rest) == 0 || rest[0] == "detail" {
		if q.method() != http.MethodGet {
			return methodNotAllowed()
		}
		info := a.groupInfo(q, g)
		if len(rest) > 0 {
			if err := a.addMembersAndIncludes(q, g, &info); err != nil {
				return err
			}
		}
		return writeJSON(q, http.StatusOK, info)
	}
	switch rest[0] {
	case "name", "description", "options", "owner":
		return a.serveGroupProperty(q, g, rest[0])
	case "members", "members.add", "members.delete":
		return a.serveMembers(q, g, rest)
	case "groups", "groups.add", "groups.delete":
		return a.serveIncludes(q, g, rest)
	case "log.audit":
		return a.auditLog(q, g)
	}
	return notFound(q.r.URL.Path)
}

func (a *API) groupInfo(q *request, g *account.Group) GroupInfo {
	info := GroupInfo{
		ID:          escapeID(g.UUID),
		Name:        g.Name,
		URL:         "#/admin/groups/uuid-" + escapeID(g.UUID),
		Options:     GroupOptions{VisibleToAll: g.VisibleToAll},
		Description: g.Description,
		GroupID:     g.ID,
	}
	if !g.System() {
		info.OwnerID = escapeID(g.OwnerUUID)
		if owner, err := a.accounts.ResolveGroup(q.r.Context(), g.OwnerUUID); err == nil {
			info.Owner = owner.Name
		}
		info.CreatedOn = timestamp(g.CreatedOn)
	}
	return info
}

func (a *API) addMembersAndIncludes(q *request, g *account.Group, info *GroupInfo) error {
	members, err := a.accounts.Members(q.r.Context(), g)
	if err != nil {
		return err
	}
	info.Members = []AccountInfo{}
	for _, m := range members {
		info.Members = append(info.Members, accountInfo(m, false))
	}
	includes, err := a.includedGroups(q, g)
	if err != nil {
		return err
	}
	info.Includes = []GroupInfo{}
	for _, ig := range includes {
		info.Includes = append(info.Includes, a.groupInfo(q, ig))
	}
	return nil
}

// canSeeGroup: visible-to-all groups, groups one owns or is in, and every
// group for administrators.
func (a *API) canSeeGroup(q *request, g *account.Group) bool {
	if g.VisibleToAll || q.caller.Groups[g.UUID] || account.OwnsGroup(q.caller.Groups, g) {
		return true
	}
	return a.isAdmin(q)
}

// requireGroupOwner refuses a change to g by anyone but its owners and
// administrators, with the message format makes. System groups have no
// stored members or settings: every change to one is 405, as Gerrit
// answers for groups that are not internal.
func (a *API) requireGroupOwner(q *request, g *account.Group, format string, args ...any) error {
	if g.System() {
		return methodNotAllowed()
	}
	if !a.canManageGroup(q, g) {
		return fail.Errorf(fail.Forbidden, format, args...)
	}
	return nil
}

func (a *API) canManageGroup(q *request, g *account.Group) bool {
	if q.caller.Anonymous() || g.System() {
		return false
	}
	return account.OwnsGroup(q.caller.Groups, g) || a.isAdmin(q)
}

func (a *API) listGroups(q *request) error {
	groups, err := a.accounts.ListGroups(q.r.Context(), true)
	if err != nil {
		return err
	}
	withMembers := false
	for _, o := range q.query["o"] {
		if o == "MEMBERS" || o == "INCLUDES" {
			withMembers = true
		}
	}
	_, owned := q.query["owned"]
	limit := 0
	if n, err := strconv.Atoi(q.query.Get("n")); err == nil && n > 0 {
		limit = n
	}
	out := map[string]GroupInfo{}
	names := []string{}
	for _, g := range groups {
		if !a.canSeeGroup(q, g) || owned && !a.canManageGroup(q, g) {
			continue
		}
		info := a.groupInfo(q, g)
		if withMembers && !g.System() {
			if err := a.addMembersAndIncludes(q, g, &info); err != nil {
				return err
			}
		}
		info.Name = ""
		out[g.Name] = info
		names = append(names, g.Name)
	}
	if limit > 0 && len(names) > limit {
		sort.Strings(names)
		for _, n := range names[limit:] {
			delete(out, n)
		}
		last := out[names[limit-1]]
		last.MoreGroups = true
		out[names[limit-1]] = last
	}
	return writeJSON(q, http.StatusOK, out)
}

func (a *API) createGroup(q *request, name string) error {
	if err := a.requireCapability(q, "createGroup", "create group"); err != nil {
		return err
	}
	var in GroupInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	if in.Name != "" && in.Name != name {
		return fail.Errorf(fail.Invalid, "name must match URL")
	}
	members := []int64{q.caller.ID()}
	if in.Members != nil {
		members = members[:0]
		for _, m := range in.Members {
			acct, err := a.accounts.Resolve(q.r.Context(), m)
			if err != nil {
				return fail.Errorf(fail.Unprocessable, "Account '%s' not found", m)
			}
			members = append(members, acct.ID)
		}
	}
	g, err := a.accounts.CreateGroup(q.r.Context(), account.GroupInput{
		Name:         name,
		UUID:         in.UUID,
		Description:  in.Description,
		Owner:        in.OwnerID,
		VisibleToAll: in.VisibleToAll,
		Members:      members,
		By:           q.caller.ID(),
	})
	if err != nil {
		return err
	}
	return writeJSON(q, http.StatusCreated, a.groupInfo(q, g))
}

func (a *API) serveMembers(q *request, g *account.Group, rest []string) error {
	ctx := q.r.Context()
	if rest[0] == "members" && (len(rest) == 1 || rest[1] == "") {
		switch q.method() {
		case http.MethodGet:
			var members []*account.Account
			var err error
			if _, rec := q.query["recursive"]; rec {
				members, err = a.accounts.MembersRecursive(ctx, g)
			} else {
				members, err = a.accounts.Members(ctx, g)
			}
			if err != nil {
				return err
			}
			out := []AccountInfo{}
			for _, m := range members {
				out = append(out, accountInfo(m, false))
			}
			return writeJSON(q, http.StatusOK, out)
		case http.MethodPost, http.MethodPut:
			return a.bulkMembers(q, g, true)
		}
		return methodNotAllowed()
	}
	if rest[0] == "members.add" || rest[0] == "members.delete" {
		if q.method() != http.MethodPost {
			return methodNotAllowed()
		}
		return a.bulkMembers(q, g, rest[0] == "members.add")
	}
	acct, err := a.resolveAccount(q, rest[1])
	if err != nil {
		return err
	}
	switch q.method() {
	case http.MethodGet:
		members, err := a.accounts.Members(ctx, g)
		if err != nil {
			return err
		}
		for _, m := range members {
			if m.ID == acct.ID {
				return writeJSON(q, http.StatusOK, accountInfo(m, false))
			}
		}
		return fail.Errorf(fail.NotFound, "Not found: %s", rest[1])
	case http.MethodPut, http.MethodPost:
		if err := a.requireGroupOwner(q, g, "Cannot add members to group %s", g.Name); err != nil {
			return err
		}
		added, err := a.accounts.AddMember(ctx, g, acct.ID, q.caller.ID())
		if err != nil {
			return err
		}
		status := http.StatusOK
		if added {
			status = http.StatusCreated
		}
		return writeJSON(q, status, accountInfo(acct, false))
	case http.MethodDelete:
		if err := a.requireGroupOwner(q, g, "Cannot delete members from group %s", g.Name); err != nil {
			return err
		}
		removed, err := a.accounts.RemoveMember(ctx, g, acct.ID, q.caller.ID())
		if err != nil {
			return err
		}
		if !removed {
			return notFound(rest[1])
		}
		return noContent(q)
	}
	return methodNotAllowed()
}

func (a *API) bulkMembers(q *request, g *account.Group, add bool) error {
	if err := a.requireGroupOwner(q, g, "Cannot modify members of group %s", g.Name); err != nil {
		return err
	}
	var in MembersInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	ids := in.Members
	if in.OneMember != "" {
		ids = append(ids, in.OneMember)
	}
	var accts []*account.Account
	for _, id := range ids {
		acct, err := a.accounts.Resolve(q.r.Context(), id)
		if err != nil {
			return fail.Errorf(fail.Unprocessable, "Account '%s' not found", id)
		}
		accts = append(accts, acct)
	}
	out := []AccountInfo{}
	for _, acct := range accts {
		var err error
		if add {
			_, err = a.accounts.AddMember(q.r.Context(), g, acct.ID, q.caller.ID())
		} else {
			_, err = a.accounts.RemoveMember(q.r.Context(), g, acct.ID, q.caller.ID())
		}
		if err != nil {
			return err
		}
		out = append(out, accountInfo(acct, false))
	}
	if !add {
		return noContent(q)
	}
	return writeJSON(q, http.StatusOK, out)
}
