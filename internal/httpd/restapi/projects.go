package restapi

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"tandem/internal/access"
	"tandem/internal/fail"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
	"tandem/internal/project"
)

// serveProjects handles /projects/...
func (a *API) serveProjects(q *request) error {
	if len(q.segs) == 1 || q.segs[1] == "" {
		if q.method() != http.MethodGet {
			return methodNotAllowed()
		}
		return a.listProjects(q)
	}
	name := repo.NormalizeName(q.segs[1])
	rest := q.segs[2:]
	if len(rest) == 0 && (q.method() == http.MethodPut || q.method() == http.MethodPost) {
		if strings.HasPrefix(q.segs[1], "/") {
			return fail.Errorf(fail.Invalid, "invalid project name: %q is absolute", q.segs[1])
		}
		return a.createProject(q, name)
	}
	chk, st, err := a.visibleProject(q, name)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		if q.method() != http.MethodGet {
			return methodNotAllowed()
		}
		return writeJSON(q, http.StatusOK, a.projectInfo(st, true))
	}
	switch rest[0] {
	case "description":
		return a.serveDescription(q, chk, st)
	case "parent":
		return a.serveParent(q, st)
	case "statistics.git":
		return a.repositoryStatistics(q, st)
	case "gc":
		return a.runGC(q, st)
	case "ban":
		return a.banCommits(q, chk, st)
	case "check.access":
		return a.checkAccess(q, st)
	case "children":
		return a.listChildren(q, st)
	case "HEAD":
		return a.serveHead(q, chk, st)
	case "branches":
		return a.serveBranches(q, chk, st, rest[1:])
	case "tags":
		return a.serveTags(q, chk, st, rest[1:])
	case "commits:in":
		return a.serveCommitsIn(q, chk, st)
	case "access":
		return a.serveAccess(q, chk, st)
	case "config":
		return writeJSON(q, http.StatusOK, configInfo(st))
	case "commits":
		return a.serveProjectCommit(q, chk, st, rest[1:])
	}
	return notFound(q.r.URL.Path)
}

// visibleProject loads a project the caller may see, else NotFound.
func (a *API) visibleProject(q *request, name string) (*access.Checker, *project.State, error) {
	if err := repo.ValidateName(name); err != nil {
		return nil, nil, fail.Errorf(fail.Invalid, "%s", err.Error())
	}
	chk, st, err := a.access.Check(q.r.Context(), name, q.caller.Subject())
	if err != nil {
		return nil, nil, err
	}
	if !chk.Visible() {
		return nil, nil, fail.Errorf(fail.NotFound, "Not found: %s", name)
	}
	return chk, st, nil
}

func (a *API) projectInfo(st *project.State, withName bool) ProjectInfo {
	info := ProjectInfo{
		ID:          escapeID(st.Name),
		Parent:      st.ParentName,
		Description: st.Config.Description,
		State:       st.Config.StateName(),
	}
	if withName {
		info.Name = st.Name
		labels := map[string]LabelTypeInfo{}
		for _, l := range project.EffectiveLabels(st.Chain) {
			vals := map[string]string{}
			for _, v := range l.Values {
				vals[project.FormatLabelValue(v.Value)] = v.Text
			}
			labels[l.Name] = LabelTypeInfo{Values: vals, DefaultValue: l.DefaultValue}
		}
		if len(labels) > 0 {
			info.Labels = labels
		}
	}
	return info
}

func (a *API) createProject(q *request, name string) error {
	if err := a.requireCapability(q, "createProject", "create project"); err != nil {
		return err
	}
	var in ProjectInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	if in.Name != "" && repo.NormalizeName(in.Name) != name {
		return fail.Errorf(fail.Invalid, "name must match URL")
	}
	if err := repo.ValidateName(name); err != nil {
		return fail.Errorf(fail.Invalid, "%s", err.Error())
	}
	var owners []project.GroupRef
	for _, o := range in.Owners {
		g, err := a.accounts.ResolveGroup(q.r.Context(), o)
		if err != nil {
			return fail.Errorf(fail.Unprocessable, "Group Not Found: %s", o)
		}
		owners = append(owners, project.GroupRef{UUID: g.UUID, Name: g.Name})
	}
	submitType := strings.ToUpper(in.SubmitType)
	if submitType != "" && !project.ValidSubmitType(submitType) {
		return fail.Errorf(fail.Invalid, "invalid submit type %q", in.SubmitType)
	}
	acct := q.caller.Account
	err := a.projects.Create(q.r.Context(), project.Input{
		Name:              name,
		Parent:            in.Parent,
		Description:       in.Description,
		CreateEmptyCommit: in.CreateEmptyCommit,
		Branches:          in.Branches,
		SubmitType:        submitType,
		Owners:            owners,
		PermissionsOnly:   in.PermissionsOnly,
		RequireChangeID:   strings.ToUpper(in.RequireChangeID),
		Author:            project.Ident{Name: acct.DisplayName(), Email: acct.PreferredEmail},
	})
	if err != nil {
		return err
	}
	_, st, err := a.access.Check(q.r.Context(), name, q.caller.Subject())
	if err != nil {
		return err
	}
	return writeJSON(q, http.StatusCreated, a.projectInfo(st, true))
}

func (a *API) listProjects(q *request) error {
	lq := access.ListQuery{
		Filter:   project.Filter{Prefix: q.query.Get("p"), Regex: q.query.Get("r"), Substring: q.query.Get("m")},
		Type:     q.query.Get("type"),
		State:    cmp.Or(q.query.Get("state"), q.query.Get("s")),
		All:      q.query.Has("all"),
		Tree:     q.query.Has("t") || q.query.Has("tree"),
		Branches: q.query["b"],
	}
	withDesc := q.query.Has("d") || q.query.Has("description")
	var err error
	if lq.Limit, err = intParam(q, "n", "limit"); err != nil {
		return err
	}
	if lq.Start, err = intParam(q, "S", "start"); err != nil {
		return err
	}
	listed, more, err := a.access.List(q.r.Context(), a.projects, q.caller.Subject(), lq)
	if err != nil {
		return err
	}
	out := make(map[string]ProjectInfo, len(listed))
	for i, l := range listed {
		info := a.projectInfo(l.State, false)
		if !withDesc {
			info.Description = ""
		}
		info.Parent = l.Parent
		info.Branches = l.Branches
		info.MoreProjects = more && i == len(listed)-1
		out[l.State.Name] = info
	}
	return writeJSON(q, http.StatusOK, out)
}

func (a *API) serveDescription(q *request, chk *access.Checker, st *project.State) error {
	switch q.method() {
	case http.MethodGet:
		return writeJSON(q, http.StatusOK, st.Config.Description)
	case http.MethodPut, http.MethodDelete:
		if !chk.IsOwner() {
			return fail.Errorf(fail.Forbidden, "not project owner")
		}
		var in struct {
			Description   string `json:"description" rest:"default"`
			CommitMessage string `json:"commit_message"`
		}
		if q.method() == http.MethodPut {
			if err := readJSON(q, &in); err != nil {
				return err
			}
		}
		cfg, err := project.Parse(st.Config.Files())
		if err != nil {
			return err
		}
		cfg.Description = in.Description
		msg := in.CommitMessage
		if msg == "" {
			msg = "Update description\n"
		}
		if _, err := a.projects.Save(q.r.Context(), st.Name, st.Revision, cfg, msg, a.ident(q)); err != nil {
			return err
		}
		if in.Description == "" {
			return noContent(q)
		}
		return writeJSON(q, http.StatusOK, in.Description)
	}
	return methodNotAllowed()
}

func (a *API) ident(q *request) project.Ident {
	if q.caller.Anonymous() {
		return project.Ident{}
	}
	return project.Ident{Name: q.caller.Account.DisplayName(), Email: q.caller.Account.PreferredEmail}
}

func (a *API) serveHead(q *request, chk *access.Checker, st *project.State) error {
	r, err := a.projects.Open(q.r.Context(), st.Name)
	if err != nil {
		return err
	}
	switch q.method() {
	case http.MethodGet:
		head, err := r.Head(q.r.Context())
		if err != nil {
			return err
		}
		return writeJSON(q, http.StatusOK, head)
	case http.MethodPut:
		if !chk.IsOwner() {
			return fail.Errorf(fail.Forbidden, "not project owner")
		}
		var in HeadInput
		if err := readJSON(q, &in); err != nil {
			return err
		}
		ref, err := a.projects.SetHead(q.r.Context(), st.Name, in.Ref)
		if err != nil {
			return err
		}
		return writeJSON(q, http.StatusOK, ref)
	}
	return methodNotAllowed()
}

func (a *API) serveBranches(q *request, chk *access.Checker, st *project.State, rest []string) error {
	ctx := q.r.Context()
	r, err := a.projects.Open(ctx, st.Name)
	if err != nil {
		return err
	}
	if len(rest) == 0 || rest[0] == "" {
		if q.method() != http.MethodGet {
			return methodNotAllowed()
		}
		refs, err := r.Refs(ctx, "refs/heads/", project.ConfigRef)
		if err != nil {
			return err
		}
		out := []BranchInfo{}
		if head, err := r.Head(ctx); err == nil && chk.Can(head, "read") {
			out = append(out, BranchInfo{Ref: "HEAD", Revision: strings.TrimPrefix(head, "refs/heads/")})
		}
		var cfg []BranchInfo
		var heads []BranchInfo
		for _, ref := range refs {
			if !chk.Can(ref.Name, "read") {
				continue
			}
			b := BranchInfo{Ref: ref.Name, Revision: ref.OID, CanDelete: canDeleteRef(chk, ref.Name)}
			if ref.Name == project.ConfigRef {
				cfg = append(cfg, b)
			} else {
				heads = append(heads, b)
			}
		}
		sort.Slice(heads, func(i, j int) bool { return heads[i].Ref < heads[j].Ref })
		out = append(append(out, cfg...), heads...)
		return writeJSON(q, http.StatusOK, out)
	}
	ref := strings.Join(rest, "/")
	if ref != "HEAD" && !strings.HasPrefix(ref, "refs/") {
		ref = "refs/heads/" + ref
	}
	switch q.method() {
	case http.MethodGet:
		if !chk.Can(ref, "read") {
			return notFound(ref)
		}
		oid, err := r.Resolve(ctx, ref)
		if err != nil {
			return notFound(ref)
		}
		return writeJSON(q, http.StatusOK, BranchInfo{Ref: ref, Revision: oid, CanDelete: canDeleteRef(chk, ref)})
	case http.MethodPut:
		if err := a.requireSignedIn(q); err != nil {
			return err
		}
		var in BranchInput
		if err := readJSON(q, &in); err != nil {
			return err
		}
		if in.Ref != "" && in.Ref != ref && "refs/heads/"+in.Ref != ref {
			return fail.Errorf(fail.Invalid, "ref must match URL")
		}
		oid, err := a.projects.CreateRef(ctx, st.Name, chk, project.NewRef{Ref: ref, Revision: in.Revision})
		if err != nil {
			return err
		}
		return writeJSON(q, http.StatusCreated, BranchInfo{Ref: ref, Revision: oid, CanDelete: canDeleteRef(chk, ref)})
	case http.MethodDelete:
		if err := a.requireSignedIn(q); err != nil {
			return err
		}
		if !canDeleteRef(chk, ref) {
			return notPermitted("delete on %s", ref)
		}
		oid, err := r.Resolve(ctx, ref)
		if err != nil {
			return notFound(ref)
		}
		if err := r.UpdateRefs(ctx, refupdate.Update{Ref: ref, Old: oid, New: refupdate.ZeroOID}); err != nil {
			return err
		}
		return noContent(q)
	}
	return methodNotAllowed()
}

// configInfo is the project's ConfigInfo.
func configInfo(st *project.State) ConfigInfo {
	b := func(set project.Setting) InheritedBooleanInfo {
		info := InheritedBooleanInfo{Value: set.Effective(st.Chain), ConfiguredValue: set.Configured(st.Config)}
		if len(st.Chain) > 1 {
			inherited := set.Effective(st.Chain[1:])
			info.InheritedValue = &inherited
		}
		return info
	}
	submitType := project.EffectiveSubmitType(st.Chain)
	configured := st.Config.Submit.Action
	if configured == "" {
		configured = project.SubmitInherit
	}
	info := ConfigInfo{
		Description:                      st.Config.Description,
		UseContributorAgreements:         b(project.SettingUseContributorAgreements),
		UseContentMerge:                  b(project.SettingMergeContent),
		UseSignedOffBy:                   b(project.SettingRequireSignedOffBy),
		CreateNewChangeForAllNotInTarget: b(project.SettingCreateNewChangeForAllNotInTarget),
		RequireChangeID:                  b(project.SettingRequireChangeID),
		EnableSignedPush:                 b(project.SettingEnableSignedPush),
		RequireSignedPush:                b(project.SettingRequireSignedPush),
		RejectImplicitMerges:             b(project.SettingRejectImplicitMerges),
		PrivateByDefault:                 b(project.SettingPrivateByDefault),
		WorkInProgressByDefault:          b(project.SettingWorkInProgressByDefault),
		MatchAuthorToCommitterDate:       b(project.SettingMatchAuthorToCommitterDate),
		RejectEmptyCommit:                b(project.SettingRejectEmptyCommit),
		DefaultSubmitType:                SubmitTypeInfo{Value: submitType, ConfiguredValue: configured},
		SubmitType:                       submitType,
		State:                            st.Config.StateName(),
		CommentLinks:                     map[string]any{},
	}
	if len(st.Chain) > 1 {
		info.DefaultSubmitType.InheritedValue = project.EffectiveSubmitType(st.Chain[1:])
	}
	// The limit in effect is the lowest along the chain.
	var limit int64
	for _, cfg := range st.Chain {
		if l := cfg.Receive.MaxObjectSizeLimit; l > 0 && (limit == 0 || l < limit) {
			limit = l
		}
	}
	if limit > 0 {
		info.MaxObjectSizeLimit.Value = strconv.FormatInt(limit, 10)
	}
	if own := st.Config.Receive.MaxObjectSizeLimit; own > 0 {
		info.MaxObjectSizeLimit.ConfiguredValue = strconv.FormatInt(own, 10)
	}
	return info
}

// canDeleteRef is Gerrit's rule for deleting a branch over REST: delete,
// or push with force, or administrateServer; never refs/meta/config.
func canDeleteRef(chk *access.Checker, ref string) bool {
	if ref == project.ConfigRef || ref == "HEAD" {
		return false
	}
	return chk.Can(ref, "delete") || chk.CanForce(ref, "push") || chk.Capabilities().Has("administrateServer")
}

// serveParent reads or changes a project's parent (PUT takes ParentInput).
func (a *API) serveParent(q *request, st *project.State) error {
	switch q.method() {
	case http.MethodGet:
		return writeJSON(q, http.StatusOK, st.ParentName)
	case http.MethodPut:
		if !a.isAdmin(q) {
			return notPermitted("administrate server")
		}
		var in struct {
			Parent        string `json:"parent" rest:"default"`
			CommitMessage string `json:"commit_message"`
		}
		if err := readJSON(q, &in); err != nil {
			return err
		}
		parent, err := a.projects.SetParent(q.r.Context(), st.Name, in.Parent, a.ident(q), in.CommitMessage)
		if err != nil {
			return err
		}
		return writeJSON(q, http.StatusOK, parent)
	}
	return methodNotAllowed()
}

// listChildren answers GET /projects/NAME/children/: the projects whose
// parent is NAME that the caller may see, sorted, and with ?recursive
// their descendants too.
func (a *API) listChildren(q *request, st *project.State) error {
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	listed, _, err := a.access.List(q.r.Context(), a.projects, q.caller.Subject(), access.ListQuery{All: true})
	if err != nil {
		return err
	}
	recursive := q.query.Has("recursive")
	isParent := map[string]bool{st.Name: true}
	seen := map[string]bool{}
	out := []ProjectInfo{}
	// A listing may name children before their parents; each pass adds
	// the next generation until none is new.
	for grew := true; grew; {
		grew = false
		for _, l := range listed {
			name := l.State.Name
			if isParent[l.State.ParentName] && !seen[name] {
				seen[name] = true
				out = append(out, a.projectInfo(l.State, true))
				if recursive {
					isParent[name], grew = true, true
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return writeJSON(q, http.StatusOK, out)
}

// BanInput is Gerrit's BanInput.
type BanInput struct {
	Commits []string `json:"commits"`
	Reason  string   `json:"reason"`
}

// BanResultInfo is Gerrit's BanResultInfo.
type BanResultInfo struct {
	NewlyBanned   []string `json:"newly_banned,omitempty"`
	AlreadyBanned []string `json:"already_banned,omitempty"`
	Ignored       []string `json:"ignored,omitempty"`
}

// banCommits answers PUT /projects/NAME/ban for the project's owners:
// pushes that bring one of the commits are refused from then on.
func (a *API) banCommits(q *request, chk *access.Checker, st *project.State) error {
	if q.method() != http.MethodPut && q.method() != http.MethodPost {
		return methodNotAllowed()
	}
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	if !chk.IsOwner() {
		return fail.Errorf(fail.Forbidden, "ban commit not permitted")
	}
	var in BanInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	if len(in.Commits) == 0 {
		return fail.Errorf(fail.Invalid, "commits are required")
	}
	res, err := a.projects.BanCommits(q.r.Context(), st.Name, in.Commits, in.Reason, a.ident(q))
	if err != nil {
		return err
	}
	return writeJSON(q, http.StatusOK, BanResultInfo{NewlyBanned: res.NewlyBanned, AlreadyBanned: res.AlreadyBanned, Ignored: res.Ignored})
}

// GCInput is Gerrit's GCInput.
type GCInput struct {
	ShowProgress bool `json:"show_progress"`
	Aggressive   bool `json:"aggressive"`
	Async        bool `json:"async"`
}

// runGC answers POST /projects/NAME/gc for holders of runGC: git gc on
// the project's repository, reported as text the way Gerrit reports it,
// or started in the background (202) when async.
func (a *API) runGC(q *request, st *project.State) error {
	if q.method() != http.MethodPost {
		return methodNotAllowed()
	}
	if err := a.requireCapability(q, project.CapRunGC, "run garbage collection"); err != nil {
		return err
	}
	var in GCInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	r, err := a.projects.Open(q.r.Context(), st.Name)
	if err != nil {
		return err
	}
	if in.Async && a.gcQueue != nil {
		// A gc is housekeeping, not state: a master that stops before it
		// runs leaves the repository as it was.
		a.gcQueue.ScheduleGC(r.Path, in.Aggressive)
		q.w.WriteHeader(http.StatusAccepted)
		return nil
	}
	var messages bytes.Buffer
	var out io.Writer // git's messages, when asked for
	if in.ShowProgress {
		out = &messages
	}
	if err := r.GC(q.r.Context(), in.Aggressive, out); err != nil {
		if errors.Is(err, repo.ErrGCRunning) {
			return fail.Errorf(fail.Conflict, "garbage collection of \"%s\" is already running", st.Name)
		}
		return err
	}
	return writeText(q, fmt.Sprintf("collecting garbage for \"%s\":\n%sdone.\n\n", st.Name, messages.String()))
}

// repositoryStatistics answers GET /projects/NAME/statistics.git for
// holders of runGC or administrateServer.
func (a *API) repositoryStatistics(q *request, st *project.State) error {
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	if err := a.requireCapability(q, project.CapRunGC, "run garbage collection"); err != nil {
		return err
	}
	r, err := a.projects.Open(q.r.Context(), st.Name)
	if err != nil {
		return err
	}
	stats, err := r.Statistics(q.r.Context())
	if err != nil {
		return err
	}
	return writeJSON(q, http.StatusOK, map[string]int64{
		"number_of_loose_objects":  stats.LooseObjects,
		"number_of_loose_refs":     stats.LooseRefs,
		"number_of_pack_files":     stats.PackFiles,
		"number_of_packed_objects": stats.PackedObjects,
		"number_of_packed_refs":    stats.PackedRefs,
		"size_of_loose_objects":    stats.LooseSize,
		"size_of_packed_objects":   stats.PackedSize,
	})
}
