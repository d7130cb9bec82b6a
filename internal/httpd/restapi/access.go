package restapi

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/fail"
	"tandem/internal/git/repo"
	"tandem/internal/project"
)

// globalCapabilities is the pseudo-ref Gerrit uses for [capability].
const globalCapabilities = "GLOBAL_CAPABILITIES"

// PermissionRuleInfo is Gerrit's PermissionRuleInfo.
type PermissionRuleInfo struct {
	Action string `json:"action"`
	Force  bool   `json:"force,omitempty"`
	Min    *int   `json:"min,omitempty"`
	Max    *int   `json:"max,omitempty"`
}

// PermissionInfo is Gerrit's PermissionInfo.
type PermissionInfo struct {
	Label     string                        `json:"label,omitempty"`
	Exclusive bool                          `json:"exclusive,omitempty"`
	Rules     map[string]PermissionRuleInfo `json:"rules"`
}

// AccessSectionInfo is Gerrit's AccessSectionInfo.
type AccessSectionInfo struct {
	Permissions map[string]PermissionInfo `json:"permissions"`
}

// ProjectAccessInfo is Gerrit's ProjectAccessInfo.
type ProjectAccessInfo struct {
	Revision      string                       `json:"revision"`
	InheritsFrom  *ProjectInfo                 `json:"inherits_from,omitempty"`
	Local         map[string]AccessSectionInfo `json:"local"`
	IsOwner       bool                         `json:"is_owner,omitempty"`
	OwnerOf       []string                     `json:"owner_of"`
	CanUpload     bool                         `json:"can_upload,omitempty"`
	CanAdd        bool                         `json:"can_add,omitempty"`
	CanAddTags    bool                         `json:"can_add_tags,omitempty"`
	ConfigVisible bool                         `json:"config_visible,omitempty"`
	Groups        map[string]GroupInfo         `json:"groups"`
}

// ProjectAccessInput is Gerrit's ProjectAccessInput.
type ProjectAccessInput struct {
	Remove  map[string]AccessSectionInfo `json:"remove"`
	Add     map[string]AccessSectionInfo `json:"add"`
	Message string                       `json:"message"`
	Parent  string                       `json:"parent"`
}

func (a *API) serveAccess(q *request, chk *access.Checker, st *project.State) error {
	switch q.method() {
	case http.MethodGet:
		return writeJSON(q, http.StatusOK, a.accessInfo(q, chk, st))
	case http.MethodPost:
		if err := a.requireSignedIn(q); err != nil {
			return err
		}
		if !chk.IsOwner() {
			return fail.Errorf(fail.Forbidden, "modify access not permitted")
		}
		var in ProjectAccessInput
		if err := readJSON(q, &in); err != nil {
			return err
		}
		cfg, err := project.Parse(st.Config.Files())
		if err != nil {
			return err
		}
		if err := a.editAccess(q, cfg, in, st); err != nil {
			return err
		}
		msg := in.Message
		if msg == "" {
			msg = "Modify access rules"
		}
		if _, err := a.projects.Save(q.r.Context(), st.Name, st.Revision, cfg, msg+"\n", a.ident(q)); err != nil {
			return err
		}
		chk2, st2, err := a.access.Check(q.r.Context(), st.Name, q.caller.Subject())
		if err != nil {
			return err
		}
		return writeJSON(q, http.StatusOK, a.accessInfo(q, chk2, st2))
	}
	return methodNotAllowed()
}

// listAccess answers GET /access/?project=A&project=B: the access rights
// of each project, by name, as GET /projects/NAME/access shows them.
func (a *API) listAccess(q *request) error {
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	if len(q.segs) > 2 || len(q.segs) == 2 && q.segs[1] != "" {
		return notFound(q.r.URL.Path)
	}
	out := map[string]ProjectAccessInfo{}
	for _, name := range q.query["project"] {
		name = repo.NormalizeName(name)
		chk, st, err := a.visibleProject(q, name)
		if err != nil {
			return err
		}
		out[name] = a.accessInfo(q, chk, st)
	}
	return writeJSON(q, http.StatusOK, out)
}

func (a *API) accessInfo(q *request, chk *access.Checker, st *project.State) ProjectAccessInfo {
	info := ProjectAccessInfo{
		Revision:      st.Revision,
		Local:         map[string]AccessSectionInfo{},
		OwnerOf:       []string{},
		IsOwner:       chk.IsOwner(),
		CanUpload:     chk.IsOwner() || chk.Can(project.ConfigRef, "push"),
		CanAdd:        chk.Can("refs/heads/*", "create"),
		CanAddTags:    chk.Can("refs/tags/*", "createTag"),
		ConfigVisible: chk.IsOwner() || chk.Can(project.ConfigRef, "read"),
		Groups:        map[string]GroupInfo{},
	}
	if info.IsOwner {
		info.OwnerOf = append(info.OwnerOf, "refs/*")
	}
	if st.Name != project.AllProjects {
		info.InheritsFrom = &ProjectInfo{ID: escapeID(st.ParentName), Name: st.ParentName}
	}
	if !info.ConfigVisible {
		return info
	}
	addGroup := func(g project.GroupRef) {
		info.Groups[g.UUID] = GroupInfo{ID: escapeID(g.UUID), Name: g.Name}
	}
	section := func(perms []project.Permission) AccessSectionInfo {
		sec := AccessSectionInfo{Permissions: map[string]PermissionInfo{}}
		for _, p := range perms {
			pi := PermissionInfo{Exclusive: p.Exclusive, Rules: map[string]PermissionRuleInfo{}}
			if label, ok := project.LabelOf(p.Name); ok {
				pi.Label = label
			}
			for _, r := range p.Rules {
				ri := PermissionRuleInfo{Action: strings.ToUpper(r.Action.String()), Force: r.Force}
				if r.HasRange {
					lo, hi := r.Min, r.Max
					ri.Min, ri.Max = &lo, &hi
				}
				pi.Rules[r.Group.UUID] = ri
				addGroup(r.Group)
			}
			sec.Permissions[p.Name] = pi
		}
		return sec
	}
	for _, s := range st.Config.Access {
		info.Local[s.Pattern] = section(s.Permissions)
	}
	if st.Name == project.AllProjects && len(st.Config.Capabilities) > 0 {
		info.Local[globalCapabilities] = section(st.Config.Capabilities)
	}
	return info
}

// editAccess applies a ProjectAccessInput to cfg: removals first, then
// additions, as Gerrit does.
func (a *API) editAccess(q *request, cfg *project.Config, in ProjectAccessInput, st *project.State) error {
	if in.Parent != "" && in.Parent != st.ParentName {
		if !a.isAdmin(q) {
			return notPermitted("administrate server")
		}
		if err := a.projects.ValidateParent(q.r.Context(), st.Name, in.Parent); err != nil {
			return err
		}
		cfg.InheritFrom = in.Parent
	}
	for _, ref := range slices.Sorted(maps.Keys(in.Remove)) {
		sec := in.Remove[ref]
		perms := a.sectionPerms(cfg, ref, false)
		if perms == nil {
			continue
		}
		if len(sec.Permissions) == 0 {
			removeSection(cfg, ref)
			continue
		}
		for name, pi := range sec.Permissions {
			if len(pi.Rules) == 0 {
				*perms = removePermission(*perms, name)
				continue
			}
			for i := range *perms {
				p := &(*perms)[i]
				if !strings.EqualFold(p.Name, name) {
					continue
				}
				kept := p.Rules[:0]
				for _, r := range p.Rules {
					if _, drop := pi.Rules[r.Group.UUID]; !drop {
						kept = append(kept, r)
					}
				}
				p.Rules = kept
			}
		}
	}
	for _, ref := range slices.Sorted(maps.Keys(in.Add)) {
		if ref != globalCapabilities {
			if err := project.ValidRefPattern(ref); err != nil {
				return fail.Errorf(fail.Invalid, "%v", err)
			}
		} else if st.Name != project.AllProjects {
			return fail.Errorf(fail.Invalid, "global capabilities can only be edited on %s", project.AllProjects)
		}
		perms := a.sectionPerms(cfg, ref, true)
		for _, name := range slices.Sorted(maps.Keys(in.Add[ref].Permissions)) {
			pi := in.Add[ref].Permissions[name]
			canonical, ok := project.CanonicalPermission(name)
			if ref == globalCapabilities {
				canonical, ok = project.CanonicalCapability(name)
			}
			if !ok {
				return fail.Errorf(fail.Invalid, "Unknown permission: %s", name)
			}
			var p *project.Permission
			for i := range *perms {
				if strings.EqualFold((*perms)[i].Name, canonical) {
					p = &(*perms)[i]
				}
			}
			if p == nil {
				*perms = append(*perms, project.Permission{Name: canonical})
				p = &(*perms)[len(*perms)-1]
			}
			p.Exclusive = p.Exclusive || pi.Exclusive
			for _, uuid := range slices.Sorted(maps.Keys(pi.Rules)) {
				ri := pi.Rules[uuid]
				g, err := a.accounts.ResolveGroup(q.r.Context(), uuid)
				if err != nil {
					return fail.Errorf(fail.Unprocessable, "Group Not Found: %s", uuid)
				}
				rule := project.Rule{Group: project.GroupRef{UUID: g.UUID, Name: g.Name}, Force: ri.Force}
				switch strings.ToUpper(ri.Action) {
				case "", "ALLOW":
					rule.Action = project.Allow
				case "DENY":
					rule.Action = project.Deny
				case "BLOCK":
					rule.Action = project.Block
				default:
					return fail.Errorf(fail.Invalid, "invalid action %q", ri.Action)
				}
				if ri.Min != nil || ri.Max != nil {
					if ri.Min == nil || ri.Max == nil || *ri.Min > *ri.Max {
						return fail.Errorf(fail.Invalid, "invalid range for %s", name)
					}
					rule.HasRange, rule.Min, rule.Max = true, *ri.Min, *ri.Max
				}
				replaced := false
				for i := range p.Rules {
					if p.Rules[i].Group.UUID == g.UUID {
						p.Rules[i], replaced = rule, true
					}
				}
				if !replaced {
					p.Rules = append(p.Rules, rule)
				}
				addGroupRef(cfg, rule.Group)
			}
		}
	}
	return nil
}

// sectionPerms returns the permission list for ref (GLOBAL_CAPABILITIES
// meaning [capability]); with create it adds a missing section.
func (a *API) sectionPerms(cfg *project.Config, ref string, create bool) *[]project.Permission {
	if ref == globalCapabilities {
		return &cfg.Capabilities
	}
	for i := range cfg.Access {
		if cfg.Access[i].Pattern == ref {
			return &cfg.Access[i].Permissions
		}
	}
	if !create {
		return nil
	}
	cfg.Access = append(cfg.Access, project.AccessSection{Pattern: ref})
	return &cfg.Access[len(cfg.Access)-1].Permissions
}

func removeSection(cfg *project.Config, ref string) {
	if ref == globalCapabilities {
		cfg.Capabilities = nil
		return
	}
	kept := cfg.Access[:0]
	for _, s := range cfg.Access {
		if s.Pattern != ref {
			kept = append(kept, s)
		}
	}
	cfg.Access = kept
}

func removePermission(perms []project.Permission, name string) []project.Permission {
	kept := perms[:0]
	for _, p := range perms {
		if !strings.EqualFold(p.Name, name) {
			kept = append(kept, p)
		}
	}
	return kept
}

func addGroupRef(cfg *project.Config, g project.GroupRef) {
	for _, have := range cfg.Groups {
		if have.UUID == g.UUID {
			return
		}
	}
	cfg.Groups = append(cfg.Groups, g)
}

// subjectOf is an account as the access rules see it, for questions
// about an account other than the caller.
func (a *API) subjectOf(ctx context.Context, acct *account.Account) (access.Subject, error) {
	groups, err := a.accounts.GroupsOf(ctx, acct.ID)
	if err != nil {
		return access.Subject{}, err
	}
	return access.Subject{AccountID: acct.ID, Username: acct.Username, Groups: groups}, nil
}

// AccessCheckInput is Gerrit's AccessCheckInput.
type AccessCheckInput struct {
	Account    string `json:"account"`
	Ref        string `json:"ref"`
	Permission string `json:"permission"`
}

// AccessCheckInfo is Gerrit's AccessCheckInfo: the status the account
// would get (200 or 403) and why.
type AccessCheckInfo struct {
	Status  int    `json:"status"`
	Message string `json:"message,omitempty"`
}

// checkAccess answers POST /projects/NAME/check.access (and GET with
// ?account=&ref=&perm=) for holders of viewAccess: whether an account may
// see the project, read a ref of it, or use a permission on the ref, by
// the very rules every entry point applies.
func (a *API) checkAccess(q *request, st *project.State) error {
	var in AccessCheckInput
	switch q.method() {
	case http.MethodGet:
		in = AccessCheckInput{Account: q.query.Get("account"), Ref: q.query.Get("ref"), Permission: q.query.Get("perm")}
	case http.MethodPost:
		if err := readJSON(q, &in); err != nil {
			return err
		}
	default:
		return methodNotAllowed()
	}
	if err := a.requireCapability(q, project.CapViewAccess, "view access"); err != nil {
		return err
	}
	if in.Account == "" {
		return fail.Errorf(fail.Invalid, "input requires 'account'")
	}
	perm := project.PermRead
	if in.Permission != "" {
		if in.Ref == "" {
			return fail.Errorf(fail.Invalid, "must set 'ref' when specifying 'permission'")
		}
		p, ok := project.CanonicalPermission(in.Permission)
		if !ok {
			return fail.Errorf(fail.Invalid, "'%s' is not recognized as ref permission", in.Permission)
		}
		perm = p
	}
	ctx := q.r.Context()
	acct, err := a.resolveAccount(q, in.Account)
	if fail.Is(err, fail.NotFound) {
		return fail.Errorf(fail.Unprocessable, "Account '%s' not found", in.Account)
	}
	if err != nil {
		return err
	}
	subj, err := a.subjectOf(ctx, acct)
	if err != nil {
		return err
	}
	chk, _, err := a.access.Check(ctx, st.Name, subj)
	if err != nil {
		return err
	}
	who := acct.Username
	if who == "" {
		who = fmt.Sprintf("account %d", acct.ID)
	}
	deny := func(format string, args ...any) error {
		return writeJSON(q, http.StatusOK, AccessCheckInfo{Status: http.StatusForbidden, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case !chk.Visible():
		return deny("user %s cannot see project %s", who, st.Name)
	case in.Ref != "" && !chk.Can(in.Ref, perm):
		return deny("user %s lacks permission %s for %s in project %s", who, perm, in.Ref, st.Name)
	case in.Ref != "":
		return writeJSON(q, http.StatusOK, AccessCheckInfo{Status: http.StatusOK})
	}
	// Seeing a project without branches looks like being refused one, so
	// say which it is.
	info := AccessCheckInfo{Status: http.StatusOK}
	r, err := a.projects.Open(ctx, st.Name)
	if err != nil {
		return err
	}
	if heads, err := r.Refs(ctx, "refs/heads/"); err != nil {
		return err
	} else if len(heads) == 0 {
		info.Message = "access is OK, but repository has no branches under refs/heads/"
	}
	return writeJSON(q, http.StatusOK, info)
}
