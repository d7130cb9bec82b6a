package restapi

import (
	"net/http"
	"slices"
	"sort"
	"strings"

	"tandem/internal/account"
	"tandem/internal/fail"
)

// NameInput is Gerrit's NameInput, for renaming a group.
type NameInput struct {
	Name string `json:"name" rest:"default"`
}

// DescriptionInput is Gerrit's DescriptionInput.
type DescriptionInput struct {
	Description string `json:"description" rest:"default"`
}

// OwnerInput is Gerrit's OwnerInput, for a group's new owner.
type OwnerInput struct {
	Owner string `json:"owner" rest:"default"`
}

// GroupsInput is Gerrit's GroupsInput: groups to include or exclude.
type GroupsInput struct {
	OneGroup string   `json:"_one_group" rest:"default"`
	Groups   []string `json:"groups"`
}

// GroupAuditEventInfo is Gerrit's GroupAuditEventInfo. Member is an
// AccountInfo for the *_USER types and a GroupInfo for the *_GROUP ones.
type GroupAuditEventInfo struct {
	Member any         `json:"member"`
	Type   string      `json:"type"`
	User   AccountInfo `json:"user"`
	Date   string      `json:"date"`
}

// serveGroupProperty answers /groups/ID/{name,description,options,owner}:
// GET reads the property, PUT (and DELETE for the description) sets it.
func (a *API) serveGroupProperty(q *request, g *account.Group, prop string) error {
	ctx := q.r.Context()
	if q.method() == http.MethodGet {
		switch prop {
		case "name":
			return writeJSON(q, http.StatusOK, g.Name)
		case "description":
			return writeJSON(q, http.StatusOK, g.Description)
		case "options":
			return writeJSON(q, http.StatusOK, GroupOptions{VisibleToAll: g.VisibleToAll})
		}
		owner, err := a.accounts.ResolveGroup(ctx, g.OwnerUUID)
		if err != nil {
			return err
		}
		return writeJSON(q, http.StatusOK, a.groupInfo(q, owner))
	}
	if q.method() != http.MethodPut && !(q.method() == http.MethodDelete && prop == "description") {
		return methodNotAllowed()
	}
	if err := a.requireGroupOwner(q, g, "Changing group %s not permitted", prop); err != nil {
		return err
	}
	u := account.GroupUpdate{By: q.caller.ID()}
	switch prop {
	case "name":
		var in NameInput
		if err := readJSON(q, &in); err != nil {
			return err
		}
		u.Name = &in.Name
	case "description":
		var in DescriptionInput
		if q.method() == http.MethodPut {
			if err := readJSON(q, &in); err != nil {
				return err
			}
		}
		desc := strings.TrimSpace(in.Description)
		u.Description = &desc
	case "options":
		var in GroupOptions
		if err := readJSON(q, &in); err != nil {
			return err
		}
		u.VisibleToAll = &in.VisibleToAll
	case "owner":
		var in OwnerInput
		if err := readJSON(q, &in); err != nil {
			return err
		}
		if strings.TrimSpace(in.Owner) == "" {
			return fail.Errorf(fail.Invalid, "owner is required")
		}
		owner, err := a.visibleGroup(q, strings.TrimSpace(in.Owner))
		if err != nil {
			return err
		}
		u.Owner = &owner.UUID
	}
	updated, err := a.accounts.UpdateGroup(ctx, g, u)
	if err != nil {
		return err
	}
	switch prop {
	case "name":
		return writeJSON(q, http.StatusOK, updated.Name)
	case "description":
		if updated.Description == "" {
			return noContent(q)
		}
		return writeJSON(q, http.StatusOK, updated.Description)
	case "options":
		return writeJSON(q, http.StatusOK, GroupOptions{VisibleToAll: updated.VisibleToAll})
	}
	owner, err := a.accounts.ResolveGroup(ctx, updated.OwnerUUID)
	if err != nil {
		return err
	}
	return writeJSON(q, http.StatusOK, a.groupInfo(q, owner))
}

// serveIncludes answers /groups/ID/groups[/SUB], groups.add and
// groups.delete: the groups g includes.
func (a *API) serveIncludes(q *request, g *account.Group, rest []string) error {
	ctx := q.r.Context()
	one := len(rest) > 1 && rest[1] != ""
	switch {
	case rest[0] == "groups" && !one && q.method() == http.MethodGet:
		includes, err := a.includedGroups(q, g)
		if err != nil {
			return err
		}
		out := []GroupInfo{}
		for _, ig := range includes {
			out = append(out, a.groupInfo(q, ig))
		}
		return writeJSON(q, http.StatusOK, out)
	case !one:
		add := rest[0] != "groups.delete"
		if q.method() != http.MethodPost && !(rest[0] == "groups" && q.method() == http.MethodPut) {
			return methodNotAllowed()
		}
		return a.bulkIncludes(q, g, add)
	}
	sub, err := a.accounts.ResolveGroup(ctx, rest[1])
	if err != nil && !fail.Is(err, fail.NotFound) {
		return err
	}
	visible := err == nil && a.canSeeGroup(q, sub)
	switch q.method() {
	case http.MethodGet:
		if !visible {
			return notFound(rest[1])
		}
		includes, err := a.accounts.Includes(ctx, g)
		if err != nil {
			return err
		}
		if !slices.Contains(includes, sub.UUID) {
			return notFound(rest[1])
		}
		return writeJSON(q, http.StatusOK, a.groupInfo(q, sub))
	case http.MethodDelete:
		if !visible {
			return notFound(rest[1])
		}
		if err := a.requireGroupOwner(q, g, "Cannot delete groups from group %s", g.Name); err != nil {
			return err
		}
		removed, err := a.accounts.RemoveInclude(ctx, g, sub.UUID, q.caller.ID())
		if err != nil {
			return err
		}
		if !removed {
			return notFound(rest[1])
		}
		return noContent(q)
	case http.MethodPut, http.MethodPost:
		if !visible {
			return fail.Errorf(fail.Unprocessable, "Group Not Found: %s", rest[1])
		}
		if err := a.requireGroupOwner(q, g, "Cannot add groups to group %s", g.Name); err != nil {
			return err
		}
		added, err := a.accounts.AddInclude(ctx, g, sub.UUID, q.caller.ID())
		if err != nil {
			return err
		}
		status := http.StatusOK
		if added {
			status = http.StatusCreated
		}
		return writeJSON(q, status, a.groupInfo(q, sub))
	}
	return methodNotAllowed()
}

// bulkIncludes includes (add) or excludes the groups of a GroupsInput;
// every id is resolved before anything changes.
func (a *API) bulkIncludes(q *request, g *account.Group, add bool) error {
	ctx := q.r.Context()
	verb := "delete groups from"
	if add {
		verb = "add groups to"
	}
	if err := a.requireGroupOwner(q, g, "Cannot %s group %s", verb, g.Name); err != nil {
		return err
	}
	var in GroupsInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	ids := in.Groups
	if in.OneGroup != "" {
		ids = append(ids, in.OneGroup)
	}
	var subs []*account.Group
	for _, id := range ids {
		sub, err := a.visibleGroup(q, id)
		if err != nil {
			return err
		}
		subs = append(subs, sub)
	}
	out := []GroupInfo{}
	for _, sub := range subs {
		var err error
		if add {
			_, err = a.accounts.AddInclude(ctx, g, sub.UUID, q.caller.ID())
		} else {
			_, err = a.accounts.RemoveInclude(ctx, g, sub.UUID, q.caller.ID())
		}
		if err != nil {
			return err
		}
		out = append(out, a.groupInfo(q, sub))
	}
	if !add {
		return noContent(q)
	}
	return writeJSON(q, http.StatusOK, out)
}

// visibleGroup resolves a group named in a request body, answering 422
// for one that is missing or that the caller may not see alike, so that
// the answer tells nothing of groups hidden from the caller.
func (a *API) visibleGroup(q *request, id string) (*account.Group, error) {
	g, err := a.accounts.ResolveGroup(q.r.Context(), id)
	if err != nil && !fail.Is(err, fail.NotFound) {
		return nil, err
	}
	if err != nil || !a.canSeeGroup(q, g) {
		return nil, fail.Errorf(fail.Unprocessable, "Group Not Found: %s", id)
	}
	return g, nil
}

// includedGroups returns the groups g includes that still exist, sorted
// by name and UUID as Gerrit lists them: to its owners all of them, to
// others those they may see.
func (a *API) includedGroups(q *request, g *account.Group) ([]*account.Group, error) {
	uuids, err := a.accounts.Includes(q.r.Context(), g)
	if err != nil {
		return nil, err
	}
	owner := a.canManageGroup(q, g)
	var out []*account.Group
	for _, u := range uuids {
		ig, err := a.accounts.ResolveGroup(q.r.Context(), u)
		if fail.Is(err, fail.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if owner || a.canSeeGroup(q, ig) {
			out = append(out, ig)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].UUID < out[j].UUID
	})
	return out, nil
}

// auditLog answers GET /groups/ID/log.audit for the group's owners.
func (a *API) auditLog(q *request, g *account.Group) error {
	ctx := q.r.Context()
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	if err := a.requireGroupOwner(q, g, "Not group owner"); err != nil {
		return err
	}
	events, err := a.accounts.AuditLog(ctx, g)
	if err != nil {
		return err
	}
	var ids []int64
	for _, e := range events {
		ids = append(ids, e.By, e.AccountID)
	}
	accts, err := accountsOf(ctx, a.db, ids)
	if err != nil {
		return err
	}
	accountOf := detailedAccount(accts)
	groups := map[string]GroupInfo{} // included groups by UUID
	out := []GroupAuditEventInfo{}
	for _, e := range events {
		info := GroupAuditEventInfo{Type: e.Type, User: accountOf(e.By), Date: timestamp(e.When)}
		if e.IncludeUUID == "" {
			info.Member = accountOf(e.AccountID)
			out = append(out, info)
			continue
		}
		member, ok := groups[e.IncludeUUID]
		if !ok {
			member = GroupInfo{ID: escapeID(e.IncludeUUID)} // a group since deleted
			if ig, err := a.accounts.ResolveGroup(ctx, e.IncludeUUID); err == nil {
				member = a.groupInfo(q, ig)
			} else if !fail.Is(err, fail.NotFound) {
				return err
			}
			groups[e.IncludeUUID] = member
		}
		info.Member = member
		out = append(out, info)
	}
	return writeJSON(q, http.StatusOK, out)
}
