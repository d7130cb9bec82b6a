// Package project owns projects: the model of a project's configuration in
// refs/meta/config (the project.config and groups files, Gerrit's format,
// inherited from All-Projects) and the service that stores projects.
//
// The configuration model (Config and the types it holds) is pure: Parse
// reads the two files into a Config and validates them, Files writes them
// back in canonical form, keeping sections and keys Tandem does not model.
// A Config is a plain value; the Configs a Service hands out are shared and
// must be treated as read-only (copy before editing).
package project

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"tandem/internal/git"
	"tandem/internal/gitconfig"
)

// The two root projects every site has.
const (
	AllProjects = "All-Projects"
	AllUsers    = "All-Users"
)

// ProjectConfigFile is the name of the main configuration file.
const ProjectConfigFile = "project.config"

// Project states ([project] state).
const (
	StateActive   = "active"
	StateReadOnly = "read-only" // written "read only", as Gerrit writes it
	StateHidden   = "hidden"
)

// Values of the inheritable booleans in [receive], [submit] and [change].
const (
	BoolTrue    = "TRUE"
	BoolFalse   = "FALSE"
	BoolInherit = "INHERIT"
)

// Submit types ([submit] action), by their REST names.
const (
	SubmitInherit           = "INHERIT"
	SubmitMergeIfNecessary  = "MERGE_IF_NECESSARY"
	SubmitFastForwardOnly   = "FAST_FORWARD_ONLY"
	SubmitRebaseIfNecessary = "REBASE_IF_NECESSARY"
	SubmitRebaseAlways      = "REBASE_ALWAYS"
	SubmitMergeAlways       = "MERGE_ALWAYS"
	SubmitCherryPick        = "CHERRY_PICK"
	// DefaultSubmitType is what INHERIT means at the top of the tree.
	DefaultSubmitType = SubmitMergeIfNecessary
)

var submitTypes = []string{SubmitInherit, SubmitMergeIfNecessary, SubmitFastForwardOnly, SubmitRebaseIfNecessary, SubmitRebaseAlways, SubmitMergeAlways, SubmitCherryPick}

// Config is one project's configuration.
type Config struct {
	Description string
	State       string // StateActive (default), StateReadOnly or StateHidden
	// InheritFrom is [access] inheritFrom: the parent project. Empty means
	// All-Projects (and nothing for All-Projects itself).
	InheritFrom        string
	Access             []AccessSection // [access "pattern"] in file order
	Capabilities       []Permission    // [capability]; only read from All-Projects
	Labels             []LabelType
	SubmitRequirements []SubmitRequirement
	Receive            ReceiveConfig
	Submit             SubmitConfig
	Change             ChangeConfig
	// Groups is the groups file in order. Files adds any group a rule names
	// that is missing here.
	Groups []GroupRef

	// raw is the parsed project.config, so that sections and keys not
	// modelled above survive a round trip.
	raw *gitconfig.Config
}

// ReceiveConfig is the [receive] section. Inheritable booleans hold
// BoolTrue, BoolFalse or BoolInherit ("" counts as BoolInherit).
type ReceiveConfig struct {
	RequireChangeID                  string
	RequireSignedOffBy               string
	RequireContributorAgreement      string
	RejectImplicitMerges             string
	CreateNewChangeForAllNotInTarget string
	EnableSignedPush                 string
	RequireSignedPush                string
	CheckReceivedObjects             string
	// MaxObjectSizeLimit in bytes; 0 means inherited (no project limit).
	MaxObjectSizeLimit int64
}

// SubmitConfig is the [submit] section.
type SubmitConfig struct {
	Action                     string // a Submit* constant; "" counts as SubmitInherit
	MergeContent               string // inheritable boolean
	MatchAuthorToCommitterDate string
	RejectEmptyCommit          string
}

// ChangeConfig is the [change] section.
type ChangeConfig struct {
	PrivateByDefault        string // inheritable boolean
	WorkInProgressByDefault string
}

// StateOrDefault returns the project state, StateActive when unset.
func (c *Config) StateOrDefault() string {
	if c.State == "" {
		return StateActive
	}
	return c.State
}

// StateName is the project state as Gerrit's JSON spells it: ACTIVE,
// READ_ONLY or HIDDEN.
func (c *Config) StateName() string {
	return strings.ToUpper(strings.ReplaceAll(c.StateOrDefault(), "-", "_"))
}

// ParentName returns the project self inherits from: "" for All-Projects,
// All-Projects when InheritFrom is unset.
func (c *Config) ParentName(self string) string {
	switch {
	case self == AllProjects:
		return ""
	case c.InheritFrom == "":
		return AllProjects
	}
	return c.InheritFrom
}

// AccessSection returns the section for a ref pattern, or nil.
func (c *Config) AccessSection(pattern string) *AccessSection {
	for i := range c.Access {
		if c.Access[i].Pattern == pattern {
			return &c.Access[i]
		}
	}
	return nil
}

// Capability returns the [capability] permission of that name, or nil.
func (c *Config) Capability(name string) *Permission {
	for i := range c.Capabilities {
		if strings.EqualFold(c.Capabilities[i].Name, name) {
			return &c.Capabilities[i]
		}
	}
	return nil
}

// ValidSubmitType reports whether s is a submit type's REST name.
func ValidSubmitType(s string) bool { return slices.Contains(submitTypes, s) }

// EffectiveSubmitType returns the submit type of the first project in chain
// (the project, then its parents) that does not inherit it.
func EffectiveSubmitType(chain []*Config) string {
	for _, c := range chain {
		if a := c.Submit.Action; a != "" && a != SubmitInherit {
			return a
		}
	}
	return DefaultSubmitType
}

// ValidationError is one problem in project.config or groups, with the
// line it is on (0 when it concerns the file as a whole).
type ValidationError struct {
	File string
	Line int
	Msg  string
}

func (e *ValidationError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s line %d: %s", e.File, e.Line, e.Msg)
}

func verr(file string, line int, format string, args ...any) *ValidationError {
	return &ValidationError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// ValidationErrors is every problem Parse found, one per line of Error().
type ValidationErrors []*ValidationError

func (es ValidationErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap lets errors.As find the individual *ValidationError.
func (es ValidationErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Parse reads project.config and groups (either may be empty) and validates
// them. The error is a ValidationErrors listing every problem found.
func Parse(projectConfig, groups []byte) (*Config, error) {
	p := &configParser{c: &Config{}}
	var gerrs []*ValidationError
	p.c.Groups, gerrs = parseGroups(groups)
	p.errs = append(p.errs, gerrs...)
	raw, err := gitconfig.Parse(projectConfig)
	if err != nil {
		var pe *gitconfig.ParseError
		if errors.As(err, &pe) {
			p.errs = append(p.errs, verr(ProjectConfigFile, pe.Line, "%s", pe.Msg))
		} else {
			p.errs = append(p.errs, verr(ProjectConfigFile, 0, "%v", err))
		}
		return nil, ValidationErrors(p.errs)
	}
	p.c.raw = raw
	p.byName = map[string]GroupRef{}
	for _, g := range p.c.Groups {
		p.byName[g.Name] = g
	}
	p.parse(raw)
	if len(p.errs) > 0 {
		return nil, ValidationErrors(p.errs)
	}
	p.c.fillDefaults()
	return p.c, nil
}

// fillDefaults sets the explicit form of every unset value, so a parsed
// Config and one built in code compare equal.
func (c *Config) fillDefaults() {
	if c.State == "" {
		c.State = StateActive
	}
	for _, b := range []*string{
		&c.Receive.RequireChangeID, &c.Receive.RequireSignedOffBy, &c.Receive.RequireContributorAgreement,
		&c.Receive.RejectImplicitMerges, &c.Receive.CreateNewChangeForAllNotInTarget, &c.Receive.EnableSignedPush,
		&c.Receive.RequireSignedPush, &c.Receive.CheckReceivedObjects,
		&c.Submit.MergeContent, &c.Submit.MatchAuthorToCommitterDate, &c.Submit.RejectEmptyCommit,
		&c.Change.PrivateByDefault, &c.Change.WorkInProgressByDefault,
	} {
		if *b == "" {
			*b = BoolInherit
		}
	}
	if c.Submit.Action == "" {
		c.Submit.Action = SubmitInherit
	}
}

type configParser struct {
	c      *Config
	errs   []*ValidationError
	byName map[string]GroupRef
	last   map[[3]string]gitconfig.Entry
}

func (p *configParser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, verr(ProjectConfigFile, line, format, args...))
}

// scalar returns the effective (last) entry of a key.
func (p *configParser) scalar(section, sub, key string) (gitconfig.Entry, bool) {
	e, ok := p.last[[3]string{section, sub, strings.ToLower(key)}]
	return e, ok
}

func (p *configParser) parse(raw *gitconfig.Config) {
	entries := raw.Entries()
	p.last = map[[3]string]gitconfig.Entry{}
	for _, e := range entries {
		p.last[[3]string{e.Section, e.Subsection, e.Key}] = e
	}
	c := p.c
	if e, ok := p.scalar("project", "", "description"); ok {
		c.Description = e.Value
	}
	if e, ok := p.scalar("project", "", "state"); ok {
		switch enumKey(e.Value) {
		case "active":
			c.State = StateActive
		case "read_only":
			c.State = StateReadOnly
		case "hidden":
			c.State = StateHidden
		default:
			p.errorf(e.Line, "invalid project state %q", e.Value)
		}
	}
	if e, ok := p.scalar("access", "", "inheritFrom"); ok {
		c.InheritFrom = strings.TrimSpace(e.Value)
	}
	p.inheritable(&c.Receive.RequireChangeID, "receive", "requireChangeId")
	p.inheritable(&c.Receive.RequireSignedOffBy, "receive", "requireSignedOffBy")
	p.inheritable(&c.Receive.RequireContributorAgreement, "receive", "requireContributorAgreement")
	p.inheritable(&c.Receive.RejectImplicitMerges, "receive", "rejectImplicitMerges")
	p.inheritable(&c.Receive.CreateNewChangeForAllNotInTarget, "receive", "createNewChangeForAllNotInTarget")
	p.inheritable(&c.Receive.EnableSignedPush, "receive", "enableSignedPush")
	p.inheritable(&c.Receive.RequireSignedPush, "receive", "requireSignedPush")
	p.inheritable(&c.Receive.CheckReceivedObjects, "receive", "checkReceivedObjects")
	if e, ok := p.scalar("receive", "", "maxObjectSizeLimit"); ok {
		n, err := gitconfig.ParseInt(e.Value)
		if err != nil || n < 0 {
			p.errorf(e.Line, "invalid size %q for receive.maxObjectSizeLimit", e.Value)
		}
		c.Receive.MaxObjectSizeLimit = n
	}
	if e, ok := p.scalar("submit", "", "action"); ok {
		k := strings.ToUpper(enumKey(e.Value))
		if !ValidSubmitType(k) {
			p.errorf(e.Line, "invalid submit type %q for submit.action", e.Value)
		}
		c.Submit.Action = k
	}
	p.inheritable(&c.Submit.MergeContent, "submit", "mergeContent")
	p.inheritable(&c.Submit.MatchAuthorToCommitterDate, "submit", "matchAuthorToCommitterDate")
	p.inheritable(&c.Submit.RejectEmptyCommit, "submit", "rejectEmptyCommit")
	p.inheritable(&c.Change.PrivateByDefault, "change", "privateByDefault")
	p.inheritable(&c.Change.WorkInProgressByDefault, "change", "workInProgressByDefault")

	p.parseAccess(raw, entries)
	p.parseCapabilities(entries)
	p.parseLabels(raw, entries)
	p.parseSubmitRequirements(raw, entries)
}

// enumKey folds the spellings Gerrit accepts for enum values ("read only",
// "READ_ONLY", "read-only") into one.
func enumKey(v string) string {
	return strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(v)))
}

func (p *configParser) inheritable(dst *string, section, key string) {
	e, ok := p.scalar(section, "", key)
	if !ok {
		return
	}
	if enumKey(e.Value) == "inherit" {
		*dst = BoolInherit
		return
	}
	b, err := gitconfig.ParseBool(e.Value)
	if err != nil {
		p.errorf(e.Line, "invalid boolean %q for %s.%s", e.Value, section, key)
		return
	}
	if e.NoValue || b {
		*dst = BoolTrue
	} else {
		*dst = BoolFalse
	}
}

func (p *configParser) group(line int, name string) GroupRef {
	if g, ok := p.byName[name]; ok {
		return g
	}
	// System groups are well known; accept them even when a hand-written
	// groups file forgot them (Files lists them again).
	if g, ok := systemGroupByName(name); ok {
		return g
	}
	p.errorf(line, "group %q is not listed in the groups file", name)
	return GroupRef{Name: name}
}

func (p *configParser) parseAccess(raw *gitconfig.Config, entries []gitconfig.Entry) {
	headerLine := map[string]int{}
	for _, s := range raw.Sections() {
		if _, ok := headerLine[s.Subsection]; s.Name == "access" && !ok {
			headerLine[s.Subsection] = s.Line
		}
	}
	for _, pattern := range raw.Subsections("access") {
		if err := ValidRefPattern(pattern); err != nil {
			p.errorf(headerLine[pattern], "%v", err)
			continue
		}
		sec := AccessSection{Pattern: pattern}
		for _, e := range entries {
			if e.Section != "access" || e.Subsection != pattern {
				continue
			}
			if e.Key == "exclusivegrouppermissions" {
				for _, n := range strings.FieldsFunc(e.Value, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' }) {
					name, ok := CanonicalPermission(n)
					if !ok {
						p.errorf(e.Line, "unknown permission %q in exclusiveGroupPermissions of access %q", n, pattern)
						continue
					}
					sec.permission(name).Exclusive = true
				}
				continue
			}
			name, ok := CanonicalPermission(e.RawKey)
			if !ok {
				p.errorf(e.Line, "unknown permission %q in access %q", e.RawKey, pattern)
				continue
			}
			if r, ok := p.rule(e, name, HasRange(name), false); ok {
				perm := sec.permission(name)
				perm.Rules = append(perm.Rules, r)
			}
		}
		if len(sec.Permissions) > 0 {
			// Exclusive permissions first, the order Files writes them in,
			// so that a parsed Config survives a round trip unchanged.
			slices.SortStableFunc(sec.Permissions, func(a, b Permission) int {
				return boolOrder(b.Exclusive) - boolOrder(a.Exclusive)
			})
			p.c.Access = append(p.c.Access, sec)
		}
	}
}

func boolOrder(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (p *configParser) parseCapabilities(entries []gitconfig.Entry) {
	for _, e := range entries {
		if e.Section != "capability" || e.Subsection != "" {
			continue
		}
		name, ok := CanonicalCapability(e.RawKey)
		if !ok {
			p.errorf(e.Line, "unknown capability %q", e.RawKey)
			continue
		}
		r, ok := p.rule(e, name, CapabilityHasRange(name), name == CapPriority)
		if !ok {
			continue
		}
		var perm *Permission
		for i := range p.c.Capabilities {
			if p.c.Capabilities[i].Name == name {
				perm = &p.c.Capabilities[i]
			}
		}
		if perm == nil {
			p.c.Capabilities = append(p.c.Capabilities, Permission{Name: name})
			perm = &p.c.Capabilities[len(p.c.Capabilities)-1]
		}
		perm.Rules = append(perm.Rules, r)
	}
}

func (p *configParser) rule(e gitconfig.Entry, name string, ranged, priority bool) (Rule, bool) {
	r, err := ParseRule(e.Value, ranged)
	if err == nil && (r.Action == Batch || r.Action == Interactive) != priority {
		if priority {
			err = errors.New(`priority must be "batch" or "interactive"`)
		} else {
			err = fmt.Errorf("%q is only for the priority capability", r.Action)
		}
	}
	if err != nil {
		p.errorf(e.Line, "invalid rule %q for %s: %v", e.Value, name, err)
		return Rule{}, false
	}
	r.Group = p.group(e.Line, r.Group.Name)
	return r, true
}

// Action is what a rule does for its group.
type Action int

// Rule actions. Interactive and Batch only appear in the priority capability.
const (
	Allow Action = iota
	Deny
	Block
	Interactive
	Batch
)

func (a Action) String() string {
	switch a {
	case Allow:
		return "allow"
	case Deny:
		return "deny"
	case Block:
		return "block"
	case Interactive:
		return "interactive"
	case Batch:
		return "batch"
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// Rule grants, denies or blocks one permission for one group.
type Rule struct {
	Action   Action
	Force    bool
	Min, Max int
	HasRange bool
	Group    GroupRef
}

var rangeRE = regexp.MustCompile(`^([+-]?\d+)\.\.([+-]?\d+)$`)

// ParseRule reads a rule in Gerrit's syntax,
// "[block|deny|interactive|batch] [+force] [MIN..MAX] group NAME", the range
// only when ranged (labels, queryLimit, batchChangesLimit). Only the group's
// name is set in the result.
func ParseRule(s string, ranged bool) (Rule, error) {
	var r Rule
	s = strings.TrimSpace(s)
	for _, a := range []Action{Deny, Block, Interactive, Batch} {
		if rest, ok := cutWord(s, a.String()); ok {
			r.Action, s = a, rest
			break
		}
	}
	if rest, ok := cutWord(s, "+force"); ok {
		r.Force, s = true, rest
	}
	if _, ok := cutWord(s, "group"); ranged && !ok {
		tok, rest, _ := strings.Cut(s, " ")
		m := rangeRE.FindStringSubmatch(tok)
		if m == nil {
			return Rule{}, fmt.Errorf("invalid range %q", tok)
		}
		lo, err1 := strconv.ParseInt(strings.TrimPrefix(m[1], "+"), 10, 32)
		hi, err2 := strconv.ParseInt(strings.TrimPrefix(m[2], "+"), 10, 32)
		if err1 != nil || err2 != nil {
			return Rule{}, fmt.Errorf("invalid range %q", tok)
		}
		if lo > hi {
			return Rule{}, fmt.Errorf("invalid range %q: minimum above maximum", tok)
		}
		r.Min, r.Max, r.HasRange = int(lo), int(hi), true
		s = strings.TrimSpace(rest)
	}
	name, ok := cutWord(s, "group")
	if !ok || name == "" {
		return Rule{}, errors.New(`want "[block|deny] [+force] [MIN..MAX] group NAME"`)
	}
	r.Group.Name = name
	return r, nil
}

// cutWord removes a leading word followed by whitespace.
func cutWord(s, word string) (string, bool) {
	if len(s) > len(word) && strings.HasPrefix(s, word) && (s[len(word)] == ' ' || s[len(word)] == '\t') {
		return strings.TrimSpace(s[len(word):]), true
	}
	return s, false
}

// String writes the rule in project.config syntax.
func (r Rule) String() string { return r.format(r.Group.Name) }

func (r Rule) format(groupName string) string {
	var sb strings.Builder
	if r.Action != Allow {
		sb.WriteString(r.Action.String())
		sb.WriteByte(' ')
	}
	if r.Force {
		sb.WriteString("+force ")
	}
	if r.HasRange {
		sb.WriteString(formatRangeValue(r.Min) + ".." + formatRangeValue(r.Max) + " ")
	}
	sb.WriteString("group ")
	sb.WriteString(groupName)
	return sb.String()
}

func formatRangeValue(v int) string {
	if v < 0 {
		return strconv.Itoa(v)
	}
	return "+" + strconv.Itoa(v)
}

// Permission is one permission of an access section, or one capability.
type Permission struct {
	Name string
	// Exclusive: for refs this section matches, rules for this permission
	// from less specific sections and from parents are ignored.
	Exclusive bool
	Rules     []Rule
}

// AccessSection holds the permissions granted on one ref pattern.
type AccessSection struct {
	Pattern     string // exact ref, "prefix/*" or "^regex", maybe with ${username}
	Permissions []Permission
}

// Permission returns the named permission of the section, or nil.
func (s *AccessSection) Permission(name string) *Permission {
	for i := range s.Permissions {
		if strings.EqualFold(s.Permissions[i].Name, name) {
			return &s.Permissions[i]
		}
	}
	return nil
}

func (s *AccessSection) permission(name string) *Permission {
	if p := s.Permission(name); p != nil {
		return p
	}
	s.Permissions = append(s.Permissions, Permission{Name: name})
	return &s.Permissions[len(s.Permissions)-1]
}

// Permission names of access sections.
const (
	PermAbandon                = "abandon"
	PermAddPatchSet            = "addPatchSet"
	PermCreate                 = "create"
	PermCreateSignedTag        = "createSignedTag"
	PermCreateTag              = "createTag"
	PermDelete                 = "delete"
	PermDeleteChanges          = "deleteChanges"
	PermDeleteOwnChanges       = "deleteOwnChanges"
	PermEditCustomKeyedValues  = "editCustomKeyedValues"
	PermEditHashtags           = "editHashtags"
	PermEditTopicName          = "editTopicName"
	PermForgeAuthor            = "forgeAuthor"
	PermForgeCommitter         = "forgeCommitter"
	PermForgeServerAsCommitter = "forgeServerAsCommitter"
	PermOwner                  = "owner"
	PermPostReviewComment      = "postReviewComment"
	PermPush                   = "push"
	PermPushMerge              = "pushMerge"
	PermRead                   = "read"
	PermRebase                 = "rebase"
	PermRemoveReviewer         = "removeReviewer"
	PermRevert                 = "revert"
	PermSubmit                 = "submit"
	PermSubmitAs               = "submitAs"
	PermToggleWipState         = "toggleWipState"
	PermViewPrivateChanges     = "viewPrivateChanges"

	// Prefixes of the per-label permissions; the label name follows.
	PermLabel       = "label-"
	PermLabelAs     = "labelAs-"
	PermRemoveLabel = "removeLabel-"
)

var corePermissions = canonicalMap(
	PermAbandon, PermAddPatchSet, PermCreate, PermCreateSignedTag, PermCreateTag, PermDelete,
	PermDeleteChanges, PermDeleteOwnChanges, PermEditCustomKeyedValues, PermEditHashtags,
	PermEditTopicName, PermForgeAuthor, PermForgeCommitter, PermForgeServerAsCommitter, PermOwner,
	PermPostReviewComment, PermPush, PermPushMerge, PermRead, PermRebase, PermRemoveReviewer,
	PermRevert, PermSubmit, PermSubmitAs, PermToggleWipState, PermViewPrivateChanges,
	// Retired in Gerrit but still found in old configurations; accepted and
	// kept so such files load, never granting anything.
	"editAssignee", "viewDrafts", "publishDrafts", "deleteDrafts",
)

func canonicalMap(names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = n
	}
	return m
}

var labelNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// CanonicalPermission returns the canonical spelling of an access
// permission name (git keys are case-insensitive) and whether it is known:
// a core permission, label-NAME, labelAs-NAME, removeLabel-NAME, or a
// plugin's "plugin-..." permission.
func CanonicalPermission(name string) (string, bool) {
	if c, ok := corePermissions[strings.ToLower(name)]; ok {
		return c, true
	}
	for _, prefix := range []string{PermLabel, PermLabelAs, PermRemoveLabel} {
		if len(name) > len(prefix) && strings.EqualFold(name[:len(prefix)], prefix) {
			label := name[len(prefix):]
			return prefix + label, labelNameRE.MatchString(label)
		}
	}
	if len(name) > len("plugin-") && strings.EqualFold(name[:len("plugin-")], "plugin-") {
		return name, true
	}
	return name, false
}

// HasRange reports whether a permission takes a MIN..MAX range.
func HasRange(permission string) bool {
	_, ok := LabelOf(permission)
	return ok
}

// LabelOf returns the label of a label-, labelAs- or removeLabel-
// permission.
func LabelOf(permission string) (string, bool) {
	for _, prefix := range []string{PermLabel, PermLabelAs, PermRemoveLabel} {
		if len(permission) > len(prefix) && strings.EqualFold(permission[:len(prefix)], prefix) {
			return permission[len(prefix):], true
		}
	}
	return "", false
}

// Global capability names ([capability] in All-Projects).
const (
	CapAccessDatabase      = "accessDatabase"
	CapAdministrateServer  = "administrateServer"
	CapBatchChangesLimit   = "batchChangesLimit"
	CapCreateAccount       = "createAccount"
	CapCreateGroup         = "createGroup"
	CapCreateProject       = "createProject"
	CapDeleteGroup         = "deleteGroup"
	CapEmailReviewers      = "emailReviewers"
	CapFlushCaches         = "flushCaches"
	CapKillTask            = "killTask"
	CapMaintainServer      = "maintainServer"
	CapModifyAccount       = "modifyAccount"
	CapPriority            = "priority"
	CapQueryLimit          = "queryLimit"
	CapReadAs              = "readAs"
	CapRunAs               = "runAs"
	CapRunGC               = "runGC"
	CapStreamEvents        = "streamEvents"
	CapViewAccess          = "viewAccess"
	CapViewAllAccounts     = "viewAllAccounts"
	CapViewCaches          = "viewCaches"
	CapViewConnections     = "viewConnections"
	CapViewPlugins         = "viewPlugins"
	CapViewQueue           = "viewQueue"
	CapViewSecondaryEmails = "viewSecondaryEmails"
)

var coreCapabilities = canonicalMap(
	CapAccessDatabase, CapAdministrateServer, CapBatchChangesLimit, CapCreateAccount, CapCreateGroup,
	CapCreateProject, CapDeleteGroup, CapEmailReviewers, CapFlushCaches, CapKillTask, CapMaintainServer,
	CapModifyAccount, CapPriority, CapQueryLimit, CapReadAs, CapRunAs, CapRunGC, CapStreamEvents,
	CapViewAccess, CapViewAllAccounts, CapViewCaches, CapViewConnections, CapViewPlugins, CapViewQueue,
	CapViewSecondaryEmails,
)

// Capabilities returns the names of Gerrit's core global capabilities.
func Capabilities() []string {
	out := make([]string, 0, len(coreCapabilities))
	for _, n := range coreCapabilities {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// CanonicalCapability returns the canonical spelling of a capability name
// and whether it is known. Plugin capabilities ("plugin-capability", always
// with a dash, which core names never have) are accepted as written.
func CanonicalCapability(name string) (string, bool) {
	if c, ok := coreCapabilities[strings.ToLower(name)]; ok {
		return c, true
	}
	return name, strings.Contains(name, "-")
}

// CapabilityHasRange reports whether a capability takes a MIN..MAX range.
func CapabilityHasRange(name string) bool {
	return name == CapQueryLimit || name == CapBatchChangesLimit
}

// RefPatternParams are the ${...} parameters a ref pattern may use.
var refPatternParams = []string{"${username}", "${shardeduserid}"}

var paramRE = regexp.MustCompile(`\$\{[^}]*\}`)

// ValidRefPattern checks an access section or label branch pattern: an
// exact ref or "prefix/*" under refs/, or a regular expression "^refs/...",
// optionally with ${username} or ${shardeduserid}.
func ValidRefPattern(pattern string) error {
	if !strings.HasPrefix(pattern, "refs/") && !strings.HasPrefix(pattern, "^refs/") {
		return fmt.Errorf("invalid ref pattern %q: must start with refs/ or ^refs/", pattern)
	}
	for _, m := range paramRE.FindAllString(pattern, -1) {
		if !slices.Contains(refPatternParams, m) {
			return fmt.Errorf("invalid ref pattern %q: unknown parameter %s", pattern, m)
		}
	}
	// Validate with a plausible value in place of each parameter.
	example := paramRE.ReplaceAllString(pattern, "x")
	if strings.HasPrefix(example, "^") {
		// The bare expression, so the error quotes what the user wrote.
		if _, err := regexp.Compile(example[1:]); err != nil {
			return fmt.Errorf("invalid ref pattern %q: %v", pattern, err)
		}
		return nil
	}
	ref := strings.TrimSuffix(example, "/*")
	if ref == "refs" {
		return nil // refs/*
	}
	if !git.ValidRefName(ref) {
		return fmt.Errorf("invalid ref pattern %q: not a valid ref name", pattern)
	}
	return nil
}

// Files returns project.config and groups in canonical form. Sections and
// keys the model does not cover are kept where they were.
func (c *Config) Files() (projectConfig, groups []byte) {
	raw := gitconfig.New()
	if c.raw != nil {
		raw = c.raw.Clone()
	}
	w := &configWriter{raw: raw, names: map[string]string{}}
	for _, g := range c.Groups {
		w.names[g.UUID] = g.Name
		w.groups = append(w.groups, g)
	}

	w.scalar("project", "", "description", c.Description)
	state := ""
	switch c.State {
	case StateReadOnly:
		state = "read only"
	case StateHidden:
		state = StateHidden
	}
	w.scalar("project", "", "state", state)
	w.scalar("access", "", "inheritFrom", c.InheritFrom)

	w.inheritable("receive", "requireChangeId", c.Receive.RequireChangeID)
	w.inheritable("receive", "requireSignedOffBy", c.Receive.RequireSignedOffBy)
	w.inheritable("receive", "requireContributorAgreement", c.Receive.RequireContributorAgreement)
	w.inheritable("receive", "rejectImplicitMerges", c.Receive.RejectImplicitMerges)
	w.inheritable("receive", "createNewChangeForAllNotInTarget", c.Receive.CreateNewChangeForAllNotInTarget)
	w.inheritable("receive", "enableSignedPush", c.Receive.EnableSignedPush)
	w.inheritable("receive", "requireSignedPush", c.Receive.RequireSignedPush)
	w.inheritable("receive", "checkReceivedObjects", c.Receive.CheckReceivedObjects)
	size := ""
	if c.Receive.MaxObjectSizeLimit > 0 {
		size = formatSize(c.Receive.MaxObjectSizeLimit)
	}
	w.scalar("receive", "", "maxObjectSizeLimit", size)

	action := ""
	if a := c.Submit.Action; a != "" && a != SubmitInherit {
		action = strings.ToLower(strings.ReplaceAll(a, "_", " "))
	}
	w.scalar("submit", "", "action", action)
	w.inheritable("submit", "mergeContent", c.Submit.MergeContent)
	w.inheritable("submit", "matchAuthorToCommitterDate", c.Submit.MatchAuthorToCommitterDate)
	w.inheritable("submit", "rejectEmptyCommit", c.Submit.RejectEmptyCommit)
	w.inheritable("change", "privateByDefault", c.Change.PrivateByDefault)
	w.inheritable("change", "workInProgressByDefault", c.Change.WorkInProgressByDefault)

	w.capabilities(c.Capabilities)
	w.access(c.Access)
	w.labels(c.Labels)
	w.submitRequirements(c.SubmitRequirements)
	w.dropEmpty()
	return raw.Bytes(), formatGroups(w.groups)
}

func formatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}} {
		if n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

type configWriter struct {
	raw    *gitconfig.Config
	names  map[string]string // group UUID → name in the groups file
	groups []GroupRef
}

// scalar sets or unsets one key, leaving it untouched when it already has
// that value (so an unchanged file is not rewritten).
func (w *configWriter) scalar(section, sub, key, value string) {
	if value == "" {
		w.raw.Unset(section, sub, key)
		return
	}
	if all := w.raw.GetAll(section, sub, key); len(all) == 1 && all[0] == value {
		return
	}
	w.raw.Set(section, sub, key, value)
}

func (w *configWriter) inheritable(section, key, value string) {
	switch value {
	case BoolTrue:
		w.scalar(section, "", key, "true")
	case BoolFalse:
		w.scalar(section, "", key, "false")
	default:
		w.scalar(section, "", key, "")
	}
}

// groupName returns the name to write for a rule's group, recording the
// group for the groups file.
func (w *configWriter) groupName(g GroupRef) string {
	if g.UUID == "" {
		return g.Name
	}
	if n, ok := w.names[g.UUID]; ok {
		return n
	}
	if g.Name == "" {
		g.Name = g.UUID
	}
	w.names[g.UUID] = g.Name
	w.groups = append(w.groups, g)
	return g.Name
}

// clearSection drops every entry of a (sub)section but keeps its header in
// place, so the entries added next stay where the section was.
func (w *configWriter) clearSection(section, sub string) {
	n := 0
	for _, s := range w.raw.Sections() {
		if s.Name == section && s.Subsection == sub {
			n++
		}
	}
	if n > 1 {
		// Written twice in the file: merge into one block at the end.
		w.raw.RemoveSection(section, sub)
		return
	}
	for _, e := range w.raw.Entries() {
		if e.Section == section && e.Subsection == sub {
			w.raw.Unset(section, sub, e.Key)
		}
	}
}

func (w *configWriter) permissions(section, sub string, perms []Permission) {
	var exclusive []string
	for _, p := range perms {
		if p.Exclusive {
			exclusive = append(exclusive, p.Name)
		}
	}
	if len(exclusive) > 0 {
		w.raw.Add(section, sub, "exclusiveGroupPermissions", strings.Join(exclusive, " "))
	}
	// Exclusive permissions first: that is the order Parse gives back.
	for _, excl := range []bool{true, false} {
		for _, p := range perms {
			if p.Exclusive != excl {
				continue
			}
			for _, r := range p.Rules {
				w.raw.Add(section, sub, p.Name, r.format(w.groupName(r.Group)))
			}
		}
	}
}

func (w *configWriter) capabilities(caps []Permission) {
	w.clearSection("capability", "")
	for _, p := range caps {
		p.Exclusive = false
		w.permissions("capability", "", []Permission{p})
	}
}

func (w *configWriter) access(sections []AccessSection) {
	want := map[string]bool{}
	for _, s := range sections {
		want[s.Pattern] = true
	}
	for _, sub := range w.raw.Subsections("access") {
		if !want[sub] {
			w.raw.RemoveSection("access", sub)
		}
	}
	for _, s := range sections {
		w.clearSection("access", s.Pattern)
		w.permissions("access", s.Pattern, s.Permissions)
	}
}

// dropEmpty removes section headers left without entries.
func (w *configWriter) dropEmpty() {
	nonEmpty := map[[2]string]bool{}
	for _, e := range w.raw.Entries() {
		nonEmpty[[2]string{e.Section, e.Subsection}] = true
	}
	for _, s := range w.raw.Sections() {
		if !nonEmpty[[2]string{s.Name, s.Subsection}] {
			w.raw.RemoveSection(s.Name, s.Subsection)
		}
	}
}
