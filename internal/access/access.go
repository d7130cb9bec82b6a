// Package access is Tandem's one permission engine: every entry point (REST,
// git over HTTP and SSH, SSH commands, the web UI) asks it whether an
// account may do something on a ref of a project, or hold a global
// capability. It evaluates the rules of project.config the way Gerrit does.
//
// A Project is the compiled policy of one project: its configuration and
// those of its parents up to All-Projects. It is immutable and safe for
// concurrent use; build it once per configuration chain and cache it (a
// Control does, keyed by the configurations it was built from). A Checker
// answers for one Subject within one Project; it memoizes its answers and
// is safe for concurrent use. Neither does I/O. Control.List answers the
// other visibility question, which projects a subject may list.
//
// Semantics, following Gerrit's Documentation/access-control.txt:
//   - Ref patterns are exact refs, "prefix/*", or regular expressions
//     starting with "^" (matching the whole ref); "${username}" and
//     "${shardeduserid}" are filled in for the subject.
//   - The sections matching a ref are ordered most specific first (closest
//     to the ref by edit distance, then finite patterns, then the more
//     detailed pattern); for equally specific ones the project closest to
//     the one asked about comes first. Patterns with parameters are ranked
//     as filled in for the subject (Gerrit ranks them as written).
//   - ALLOW: the first rule for a (pattern, group) pair counts, so a DENY,
//     or a child's rule for the same pattern and group, hides the inherited
//     rule. An exclusive permission (exclusiveGroupPermissions) stops the
//     search: rules of less specific sections and of parents for that
//     permission are ignored.
//   - BLOCK cannot be overridden from a child project. It is overridden
//     only by an ALLOW for the subject in the same section, or by an
//     exclusive ALLOW for the subject in the same project.
//   - "+force" on an ALLOW grants the forced variant (force push, editing
//     others' topics); "+force" on a BLOCK blocks only the forced variant.
//   - Label ranges are the union of the matching ALLOW ranges, cut down by
//     the matching BLOCK ranges (a block of -2..+2 leaves -1..+1). Where a
//     section has several matching BLOCKs or ALLOWs, Tandem takes the
//     strictest block and the union of the allows; Gerrit takes whichever
//     comes last or first in the file.
//   - Project Owners are the subjects in a group granted "owner" on refs/*
//     in the project or an ancestor (never from All-Projects); rules for
//     Project Owners apply to them. IsOwner also needs the owner permission
//     to be granted, not blocked. administrateServer makes its holders
//     owners of every project.
//   - Pushing to refs/meta/config needs ownership as well as push, and
//     submitting on it needs ownership only.
//   - A read-only project allows nothing but read; a hidden project is
//     invisible except to its owners, who may only read refs/meta/config.
package access

import (
	"slices"
	"strings"
	"sync"

	"tandem/internal/change"
	"tandem/internal/project"
)

// Subject is who asks: an account and the groups it belongs to.
type Subject struct {
	AccountID int64 // 0 for anonymous callers
	Username  string
	// Groups holds the UUIDs of the account's groups, including the system
	// groups Anonymous Users (always) and Registered Users (when signed
	// in), but not Project Owners or Change Owner, which depend on the
	// project and change. It must not change while a Checker uses it.
	Groups map[string]bool
}

// Anonymous returns the subject of a caller who is not signed in.
func Anonymous() Subject {
	return Subject{Groups: map[string]bool{project.AnonymousUsers.UUID: true}}
}

// SignedIn returns the subject of a signed-in account, a member of groups
// as well as of Anonymous Users and Registered Users.
func SignedIn(accountID int64, username string, groups ...string) Subject {
	s := Subject{AccountID: accountID, Username: username, Groups: map[string]bool{
		project.AnonymousUsers.UUID:  true,
		project.RegisteredUsers.UUID: true,
	}}
	for _, g := range groups {
		s.Groups[g] = true
	}
	return s
}

// member reports membership of a stored or computed-by-caller group. Every
// subject is an Anonymous User, whatever its Groups say.
func (s Subject) member(uuid string) bool {
	return uuid == project.AnonymousUsers.UUID || s.Groups[uuid]
}

// Project is the effective access policy of one project.
type Project struct {
	name     string
	state    string
	sections []*section      // every access section of the chain, child first
	owners   map[string]bool // groups granted owner on refs/* in the chain
	root     *project.Config // All-Projects: the source of capabilities
}

type section struct {
	pattern  string // as written; identifies the section across projects
	level    int    // 0 for the project itself, 1 for its parent, ...
	perms    map[string]*project.Permission
	compiled *refPattern // nil when the pattern has parameters
}

func (s *section) perm(name string) *project.Permission { return s.perms[strings.ToLower(name)] }

// NewProject compiles the policy of a project from its configuration chain:
// chain[0] is the project's own configuration, then its parent's and so on;
// the last one is All-Projects. Sections whose pattern does not compile
// (Parse rejects them) are ignored.
func NewProject(name string, chain []*project.Config) *Project {
	p := &Project{name: name, state: project.StateActive, owners: map[string]bool{}}
	if len(chain) == 0 {
		return p
	}
	p.state = chain[0].StateOrDefault()
	p.root = chain[len(chain)-1]
	for level, cfg := range chain {
		isRoot := level == len(chain)-1
		for _, as := range cfg.Access {
			sec := &section{pattern: as.Pattern, level: level, perms: map[string]*project.Permission{}}
			if !hasParams(as.Pattern) {
				rp, err := compilePattern(as.Pattern)
				if err != nil {
					continue
				}
				sec.compiled = rp
			}
			for i := range as.Permissions {
				perm := &as.Permissions[i]
				if isRoot && as.Pattern == "refs/*" && strings.EqualFold(perm.Name, project.PermOwner) {
					// Ownership of All-Projects cannot be delegated: it
					// would make a group owner of every project.
					continue
				}
				key := strings.ToLower(perm.Name)
				if _, dup := sec.perms[key]; !dup {
					sec.perms[key] = perm
				}
				if as.Pattern == "refs/*" && key == strings.ToLower(project.PermOwner) {
					for _, r := range perm.Rules {
						if r.Action == project.Allow && r.Group.UUID != "" {
							p.owners[r.Group.UUID] = true
						}
					}
				}
			}
			p.sections = append(p.sections, sec)
		}
	}
	return p
}

// Name returns the project's name.
func (p *Project) Name() string { return p.name }

// For returns a Checker answering for s in this project.
func (p *Project) For(s Subject) *Checker {
	c := &Checker{p: p, s: s, caps: Capabilities(p.root, s)}
	c.admin = c.caps.Has(project.CapAdministrateServer)
	for uuid := range p.owners {
		if uuid != project.ProjectOwners.UUID && uuid != project.ChangeOwner.UUID && s.member(uuid) {
			c.declaredOwner = true
			break
		}
	}
	return c
}

// Checker answers permission questions for one subject in one project.
type Checker struct {
	p           *Project
	s           Subject
	caps        CapabilitySet
	admin       bool
	changeOwner bool
	// declaredOwner: member of a group granted owner on refs/*, i.e. of
	// the Project Owners system group for this project.
	declaredOwner bool

	mu        sync.Mutex
	expanded  map[string]*refPattern // patterns with parameters, filled in
	relevant  map[string][]*section
	results   map[resultKey]bool
	ranges    map[resultKey][2]int
	owner     *bool
	asChOwner *Checker
}

type resultKey struct {
	ref, perm string
	force     bool
}

// Subject returns who the Checker answers for.
func (c *Checker) Subject() Subject { return c.s }

// Capabilities returns the subject's global capabilities.
func (c *Checker) Capabilities() CapabilitySet { return c.caps }

// AsChangeOwner returns a Checker for the same subject as the owner of the
// change in question, so rules for the Change Owner group apply.
func (c *Checker) AsChangeOwner() *Checker {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changeOwner {
		return c
	}
	if c.asChOwner == nil {
		c.asChOwner = &Checker{p: c.p, s: c.s, caps: c.caps, admin: c.admin, declaredOwner: c.declaredOwner, changeOwner: true}
	}
	return c.asChOwner
}

// IsOwner reports whether the subject owns the project: it holds owner on
// refs/* through a group granted it here or in an ancestor, or it has the
// administrateServer capability.
func (c *Checker) IsOwner() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.isOwner()
}

func (c *Checker) isOwner() bool {
	if c.owner == nil {
		v := c.admin || c.declaredOwner && c.canPerform("refs/*", project.PermOwner, false)
		c.owner = &v
	}
	return *c.owner
}

// IsRefOwner reports whether the subject owns a ref: owner granted on a
// pattern matching it, or ownership of the project.
func (c *Checker) IsRefOwner(ref string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.isOwner() || c.canPerform(ref, project.PermOwner, false)
}

// IsHidden reports whether the project must look nonexistent to the
// subject: its state is hidden and the subject does not own it.
func (c *Checker) IsHidden() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.p.state == project.StateHidden && !c.isOwner()
}

// Visible reports whether the subject may see the project at all.
func (c *Checker) Visible() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !(c.p.state == project.StateHidden && !c.isOwner()) && c.canReadAnyRef()
}

// CanReadAnyRef reports whether the subject owns the project or may read
// at least one of its refs.
func (c *Checker) CanReadAnyRef() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.canReadAnyRef()
}

func (c *Checker) canReadAnyRef() bool {
	if c.isOwner() {
		return true
	}
	if c.p.state == project.StateHidden {
		return false
	}
	// As in Gerrit: try each pattern that grants read to the subject, with
	// a ref standing for the whole pattern.
	for _, sec := range c.p.sections {
		perm := sec.perm(project.PermRead)
		if perm == nil || !slices.ContainsFunc(perm.Rules, func(r project.Rule) bool {
			return r.Action == project.Allow && c.matches(r.Group)
		}) {
			continue
		}
		rp := c.pattern(sec)
		if rp != nil && c.can(rp.example, project.PermRead, false) {
			return true
		}
	}
	return false
}

// Visibility returns a predicate telling which refs the subject may read,
// for filtering ref advertisements.
func (c *Checker) Visibility() func(ref string) bool {
	return func(ref string) bool { return c.Can(ref, project.PermRead) }
}

// VisibilityWithChanges is Visibility for advertisements that include
// patch set refs (refs/changes/NN/C/P): as in Gerrit such a ref is readable
// when its change is. branchOf maps the ref to the destination branch of
// its change, and says whether the change is private to others (private,
// and the subject is not its owner, a reviewer or CC), which takes
// viewPrivateChanges on the branch as well. A ref branchOf does not know
// (ok false) is not visible. A change edit ref (refs/users/NN/ID/edit-C/P)
// is visible to its author alone, while they may see the change.
func (c *Checker) VisibilityWithChanges(branchOf func(ref string) (branch string, private, ok bool)) func(ref string) bool {
	changeVisible := func(ref string) bool {
		branch, private, ok := branchOf(ref)
		return ok && c.Can(branch, project.PermRead) && (!private || c.Can(branch, project.PermViewPrivateChanges))
	}
	return func(ref string) bool {
		if strings.HasPrefix(ref, "refs/changes/") {
			return changeVisible(ref)
		}
		// A change edit is its author's alone, while they see the change.
		if account, n, ps, ok := change.ParseEditRef(ref); ok {
			return account == c.s.AccountID && c.s.AccountID != 0 && changeVisible(change.PatchSetRef(int(n), ps))
		}
		return c.Can(ref, project.PermRead)
	}
}

// Can reports whether the subject may do permission on ref. For label
// permissions it reports whether the subject may vote anything but 0.
func (c *Checker) Can(ref, permission string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.can(ref, permission, false)
}

// CanForce reports whether the subject may do the forced variant of
// permission on ref: a non-fast-forward push or deletion for push, editing
// the topic of others' changes for editTopicName.
func (c *Checker) CanForce(ref, permission string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.can(ref, permission, true)
}

func (c *Checker) can(ref, perm string, force bool) bool {
	switch c.p.state {
	case project.StateHidden:
		if !(c.isOwner() && ref == project.ConfigRef && strings.EqualFold(perm, project.PermRead) && !force) {
			return false
		}
	case project.StateReadOnly:
		if !strings.EqualFold(perm, project.PermRead) {
			return false
		}
	}
	if project.HasRange(perm) {
		if force {
			return false
		}
		lo, hi, ok := c.rangeOf(ref, perm)
		return ok && (lo != 0 || hi != 0)
	}
	if ref == project.ConfigRef {
		// Changing refs/meta/config changes the access rules themselves,
		// so it takes an owner (Gerrit's rule).
		switch {
		case strings.EqualFold(perm, project.PermSubmit):
			return !force && c.isOwner()
		case strings.EqualFold(perm, project.PermPush):
			if !c.isOwner() {
				return false
			}
		}
	}
	if strings.EqualFold(perm, project.PermDelete) && !force && c.can(ref, project.PermPush, true) {
		return true // whoever may force push may delete, as in Gerrit
	}
	return c.canPerform(ref, perm, force)
}

// Range returns the values the subject may vote with a label permission
// ("label-Code-Review", "labelAs-…", "removeLabel-…") on ref; ok is false
// when it may only vote 0.
func (c *Checker) Range(ref, permission string) (lo, hi int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p.state != project.StateActive {
		return 0, 0, false
	}
	lo, hi, ok = c.rangeOf(ref, permission)
	if !ok || lo == 0 && hi == 0 {
		return 0, 0, false
	}
	return lo, hi, true
}

// matches reports whether a rule's group applies to the subject.
func (c *Checker) matches(g project.GroupRef) bool {
	switch g.UUID {
	case project.ProjectOwners.UUID:
		return c.declaredOwner
	case project.ChangeOwner.UUID:
		return c.changeOwner
	}
	return c.s.member(g.UUID)
}

// pattern returns the compiled pattern of a section for this subject, nil
// when its parameters cannot be filled in.
func (c *Checker) pattern(sec *section) *refPattern {
	if sec.compiled != nil {
		return sec.compiled
	}
	if rp, ok := c.expanded[sec.pattern]; ok {
		return rp
	}
	var rp *refPattern
	if text, ok := expand(sec.pattern, c.s); ok {
		rp, _ = compilePattern(text)
	}
	if c.expanded == nil {
		c.expanded = map[string]*refPattern{}
	}
	c.expanded[sec.pattern] = rp
	return rp
}

// sectionsFor returns the sections matching ref, most specific first.
func (c *Checker) sectionsFor(ref string) []*section {
	if secs, ok := c.relevant[ref]; ok {
		return secs
	}
	type candidate struct {
		sec  *section
		spec specificity
	}
	var cands []candidate
	for _, sec := range c.p.sections {
		if rp := c.pattern(sec); rp != nil && rp.match(ref) {
			cands = append(cands, candidate{sec, rp.specificity(ref)})
		}
	}
	// Stable: equally specific sections keep chain order, child first.
	slices.SortStableFunc(cands, func(a, b candidate) int {
		switch {
		case a.spec.less(b.spec):
			return -1
		case b.spec.less(a.spec):
			return 1
		}
		return 0
	})
	secs := make([]*section, len(cands))
	for i, cd := range cands {
		secs[i] = cd.sec
	}
	if c.relevant == nil {
		c.relevant = map[string][]*section{}
	}
	c.relevant[ref] = secs
	return secs
}

// allowRules returns the ALLOW rules that count for a permission on ref,
// most specific first.
func (c *Checker) allowRules(ref, perm string) []project.Rule {
	type seenKey struct{ pattern, group string }
	seen := map[seenKey]bool{}
	var out []project.Rule
	for _, sec := range c.sectionsFor(ref) {
		p := sec.perm(perm)
		if p == nil {
			continue
		}
		for _, r := range p.Rules {
			k := seenKey{sec.pattern, r.Group.UUID}
			if seen[k] {
				continue
			}
			// Any rule, DENY and BLOCK included, claims its (pattern,
			// group) pair: that is how DENY hides an inherited ALLOW.
			seen[k] = true
			if r.Action == project.Allow {
				out = append(out, r)
			}
		}
		if p.Exclusive {
			break
		}
	}
	return out
}

// blockCandidates returns, per project of the chain, the permissions of
// the matching sections (most specific first) when one of them has a BLOCK.
func (c *Checker) blockCandidates(ref, perm string) [][]*project.Permission {
	byLevel := map[int][]*project.Permission{}
	hasBlock := map[int]bool{}
	var levels []int
	for _, sec := range c.sectionsFor(ref) {
		p := sec.perm(perm)
		if p == nil {
			continue
		}
		if _, ok := byLevel[sec.level]; !ok {
			levels = append(levels, sec.level)
		}
		byLevel[sec.level] = append(byLevel[sec.level], p)
		if slices.ContainsFunc(p.Rules, func(r project.Rule) bool { return r.Action == project.Block }) {
			hasBlock[sec.level] = true
		}
	}
	var out [][]*project.Permission
	for _, l := range levels {
		if hasBlock[l] {
			out = append(out, byLevel[l])
		}
	}
	return out
}

func isAllow(r project.Rule, force bool) bool {
	return r.Action == project.Allow && (r.Force || !force)
}

// exclusiveOverride reports whether an exclusive permission allows the
// subject, which lifts the blocks of its project.
func (c *Checker) exclusiveOverride(p *project.Permission, force bool) bool {
	return p.Exclusive && slices.ContainsFunc(p.Rules, func(r project.Rule) bool {
		return isAllow(r, force) && c.matches(r.Group)
	})
}

func (c *Checker) blocked(ref, perm string, force bool) bool {
projects:
	for _, perms := range c.blockCandidates(ref, perm) {
		for _, p := range perms {
			if c.exclusiveOverride(p, force) {
				continue projects
			}
			blocked := slices.ContainsFunc(p.Rules, func(r project.Rule) bool {
				// A "block +force" blocks only the forced variant.
				return r.Action == project.Block && (force || !r.Force) && c.matches(r.Group)
			})
			if blocked && !slices.ContainsFunc(p.Rules, func(r project.Rule) bool {
				return isAllow(r, force) && c.matches(r.Group)
			}) {
				return true
			}
		}
	}
	return false
}

func (c *Checker) canPerform(ref, perm string, force bool) bool {
	key := resultKey{ref, strings.ToLower(perm), force}
	if v, ok := c.results[key]; ok {
		return v
	}
	v := false
	if !c.blocked(ref, perm, force) {
		v = slices.ContainsFunc(c.allowRules(ref, perm), func(r project.Rule) bool {
			return isAllow(r, force) && c.matches(r.Group)
		})
	}
	if c.results == nil {
		c.results = map[resultKey]bool{}
	}
	c.results[key] = v
	return v
}

const (
	minInt = -1 << 31
	maxInt = 1<<31 - 1
)

// rangeOf computes a label range: the union of the matching ALLOW ranges
// (always including 0), intersected with what each project's BLOCKs leave.
func (c *Checker) rangeOf(ref, perm string) (int, int, bool) {
	key := resultKey{ref: ref, perm: strings.ToLower(perm)}
	if r, ok := c.ranges[key]; ok {
		return r[0], r[1], r[0] <= r[1]
	}
	allowLo, allowHi := minInt, maxInt
projects:
	for _, perms := range c.blockCandidates(ref, perm) {
		lo, hi := minInt, maxInt
		for _, p := range perms {
			if c.exclusiveOverride(p, false) {
				continue projects
			}
			found := false
			for _, r := range p.Rules {
				if r.Action == project.Block && c.matches(r.Group) {
					// A block of MIN..MAX blocks those values and beyond.
					lo, hi = max(lo, r.Min+1), min(hi, r.Max-1)
					found = true
				}
			}
			if !found {
				continue
			}
			// An ALLOW beside the BLOCK grants its own range instead.
			allowed := false
			for _, r := range p.Rules {
				if r.Action == project.Allow && c.matches(r.Group) {
					if !allowed {
						lo, hi = r.Min, r.Max
						allowed = true
					}
					lo, hi = min(lo, r.Min), max(hi, r.Max)
				}
			}
			break
		}
		allowLo, allowHi = max(allowLo, lo), min(allowHi, hi)
	}
	voteLo, voteHi := 0, 0
	for _, r := range c.allowRules(ref, perm) {
		if c.matches(r.Group) {
			voteLo, voteHi = min(voteLo, r.Min), max(voteHi, r.Max)
		}
	}
	lo, hi := max(voteLo, allowLo), min(voteHi, allowHi)
	if c.ranges == nil {
		c.ranges = map[resultKey][2]int{}
	}
	c.ranges[key] = [2]int{lo, hi}
	return lo, hi, lo <= hi
}
