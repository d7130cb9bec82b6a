package project

// DefaultAllProjects returns the configuration a new site gives
// All-Projects: Gerrit's default ACLs, the Code-Review label and the
// Code-Review and No-Unresolved-Comments submit requirements. A group
// given as the zero GroupRef gets no grants.
func DefaultAllProjects(admins, serviceUsers, blocked GroupRef) *Config {
	c := &Config{
		Description: "Access inherited by all other projects.",
		Receive: ReceiveConfig{
			RequireChangeID:             BoolTrue,
			RequireSignedOffBy:          BoolFalse,
			RequireContributorAgreement: BoolFalse,
			EnableSignedPush:            BoolFalse,
		},
		Submit:             SubmitConfig{MergeContent: BoolTrue},
		Labels:             []LabelType{CodeReviewLabel()},
		SubmitRequirements: DefaultSubmitRequirements(),
	}
	g := grants{}

	c.Capabilities = g.perms(
		perm{CapAdministrateServer, []GroupRef{admins}, Allow, false, nil},
		perm{CapPriority, []GroupRef{serviceUsers}, Batch, false, nil},
		perm{CapStreamEvents, []GroupRef{serviceUsers}, Allow, false, nil},
	)
	adminsAndOwners := []GroupRef{admins, ProjectOwners}
	registered := []GroupRef{RegisteredUsers}
	fullRange := &[2]int{-2, 2}
	c.Access = []AccessSection{
		{Pattern: "refs/*", Permissions: g.perms(
			// The block sits in a section that allows read only to
			// administrators, as an allow next to a block overrides it.
			perm{PermRead, []GroupRef{admins}, Allow, false, nil},
			perm{PermRead, []GroupRef{blocked}, Block, false, nil},
			perm{PermPostReviewComment, registered, Allow, false, nil},
		)},
		{Pattern: "refs/heads/*", Permissions: g.perms(
			perm{PermRead, []GroupRef{AnonymousUsers}, Allow, false, nil},
			perm{PermLabel + "Code-Review", registered, Allow, false, &[2]int{-1, 1}},
			perm{PermLabel + "Code-Review", adminsAndOwners, Allow, false, fullRange},
			perm{PermCreate, adminsAndOwners, Allow, false, nil},
			perm{PermPush, adminsAndOwners, Allow, false, nil},
			perm{PermSubmit, adminsAndOwners, Allow, false, nil},
			perm{PermForgeAuthor, registered, Allow, false, nil},
			perm{PermForgeCommitter, adminsAndOwners, Allow, false, nil},
			perm{PermEditTopicName, adminsAndOwners, Allow, true, nil},
			perm{PermRevert, adminsAndOwners, Allow, false, nil},
		)},
		{Pattern: "refs/for/*", Permissions: g.perms(
			perm{PermPush, registered, Allow, false, nil},
			perm{PermAddPatchSet, registered, Allow, false, nil},
			perm{PermPushMerge, registered, Allow, false, nil},
		)},
		{Pattern: "refs/tags/*", Permissions: g.perms(
			perm{PermCreate, adminsAndOwners, Allow, false, nil},
			perm{PermCreateTag, adminsAndOwners, Allow, false, nil},
			perm{PermCreateSignedTag, adminsAndOwners, Allow, false, nil},
		)},
		{Pattern: "refs/meta/config", Permissions: exclusive(g.perms(
			perm{PermRead, adminsAndOwners, Allow, false, nil},
			perm{PermLabel + "Code-Review", adminsAndOwners, Allow, false, fullRange},
			perm{PermCreate, adminsAndOwners, Allow, false, nil},
			perm{PermPush, adminsAndOwners, Allow, false, nil},
			perm{PermSubmit, adminsAndOwners, Allow, false, nil},
		), PermRead)},
		{Pattern: "refs/meta/version", Permissions: g.perms(
			perm{PermRead, []GroupRef{AnonymousUsers}, Allow, false, nil},
		)},
	}
	c.Groups = g.used
	c.fillDefaults()
	return c
}

// DefaultAllUsers returns the configuration a new site gives All-Users,
// where each account's settings live on refs/users/NN/ID.
func DefaultAllUsers(admins, registered GroupRef) *Config {
	c := &Config{
		Description: "Individual user settings and preferences.",
		Labels:      []LabelType{CodeReviewLabel()},
	}
	g := grants{}
	regs := []GroupRef{registered}
	c.Access = []AccessSection{
		{Pattern: "refs/users/${shardeduserid}", Permissions: exclusive(g.perms(
			perm{PermRead, regs, Allow, false, nil},
			perm{PermPush, regs, Allow, false, nil},
			perm{PermSubmit, regs, Allow, false, nil},
			perm{PermLabel + "Code-Review", regs, Allow, false, &[2]int{-2, 2}},
		), PermRead, PermPush, PermSubmit, PermLabel+"Code-Review")},
		{Pattern: "refs/users/default", Permissions: exclusive(g.perms(
			perm{PermRead, []GroupRef{admins}, Allow, false, nil},
			perm{PermPush, []GroupRef{admins}, Allow, false, nil},
			perm{PermCreate, []GroupRef{admins}, Allow, false, nil},
		), PermRead, PermPush, PermCreate)},
		{Pattern: "refs/groups/*", Permissions: exclusive(g.perms(
			perm{PermRead, regs, Allow, false, nil},
		), PermRead)},
	}
	c.Access = dropEmptySections(c.Access)
	c.Groups = g.used
	c.fillDefaults()
	return c
}

// NewChild returns the configuration of a new project inheriting from
// parent, owned by owners (granted owner on refs/*).
func NewChild(parent, description string, owners []GroupRef) *Config {
	c := &Config{Description: description, InheritFrom: parent}
	g := grants{}
	p := g.perms(perm{PermOwner, owners, Allow, false, nil})
	if len(p) > 0 {
		c.Access = []AccessSection{{Pattern: "refs/*", Permissions: p}}
	}
	c.Groups = g.used
	c.fillDefaults()
	return c
}

// grants collects, in order of first use, the groups the rules of a
// default configuration name: they make up its groups file.
type grants struct {
	used []GroupRef
}

func (g *grants) use(ref GroupRef) {
	if !containsGroup(g.used, ref.UUID) {
		g.used = append(g.used, ref)
	}
}

func containsGroup(gs []GroupRef, uuid string) bool {
	for _, g := range gs {
		if g.UUID == uuid {
			return true
		}
	}
	return false
}

// perm is one line of a default ACL: a permission for some groups.
type perm struct {
	name   string
	groups []GroupRef
	action Action
	force  bool
	rng    *[2]int
}

// perms turns grant lines into permissions, merging lines of one name in
// order and skipping zero groups.
func (g *grants) perms(lines ...perm) []Permission {
	var out []Permission
	for _, l := range lines {
		for _, ref := range l.groups {
			if ref.UUID == "" {
				continue
			}
			g.use(ref)
			r := Rule{Action: l.action, Force: l.force, Group: ref}
			if l.rng != nil {
				r.Min, r.Max, r.HasRange = l.rng[0], l.rng[1], true
			}
			i := 0
			for i < len(out) && out[i].Name != l.name {
				i++
			}
			if i == len(out) {
				out = append(out, Permission{Name: l.name})
			}
			out[i].Rules = append(out[i].Rules, r)
		}
	}
	return out
}

// exclusive marks the named permissions exclusive, moving them first as
// Parse orders them.
func exclusive(perms []Permission, names ...string) []Permission {
	var first, rest []Permission
	for _, n := range names {
		for _, p := range perms {
			if p.Name == n {
				p.Exclusive = true
				first = append(first, p)
			}
		}
	}
	for _, p := range perms {
		if !containsName(names, p.Name) {
			rest = append(rest, p)
		}
	}
	return append(first, rest...)
}

func containsName(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

func dropEmptySections(ss []AccessSection) []AccessSection {
	var out []AccessSection
	for _, s := range ss {
		if len(s.Permissions) > 0 {
			out = append(out, s)
		}
	}
	return out
}
