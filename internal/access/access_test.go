package access

import (
	"strings"
	"sync"
	"testing"

	"tandem/internal/project"
)

// Groups of the test site.
var (
	admins    = project.GroupRef{UUID: "admins-uuid", Name: "Administrators"}
	service   = project.GroupRef{UUID: "service-uuid", Name: "Service Users"}
	blocked   = project.GroupRef{UUID: "blocked-uuid", Name: "Blocked Users"}
	devs      = project.GroupRef{UUID: "devs-uuid", Name: "Devs"}
	leads     = project.GroupRef{UUID: "leads-uuid", Name: "Leads"}
	qa        = project.GroupRef{UUID: "qa-uuid", Name: "QA"}
	ownerGrp  = project.GroupRef{UUID: "owners-uuid", Name: "Owners"}
	verifiers = project.GroupRef{UUID: "verifiers-uuid", Name: "Verifiers"}
)

// Subjects of the test site.
var (
	anon        = Anonymous()
	registered  = SignedIn(100, "reg")
	dev         = SignedIn(101, "dev", devs.UUID)
	lead        = SignedIn(102, "lead", devs.UUID, leads.UUID)
	admin       = SignedIn(1, "admin", admins.UUID)
	blockedUser = SignedIn(103, "bad", blocked.UUID, devs.UUID)
	owner       = SignedIn(104, "own", ownerGrp.UUID)
	qaUser      = SignedIn(105, "qa", qa.UUID)
	verifier    = SignedIn(106, "v", verifiers.UUID)
	serviceUser = SignedIn(107, "ci", service.UUID)
	dotted      = SignedIn(108, "a.b")
)

var testGroupsFile = func() string {
	var sb strings.Builder
	for _, g := range []project.GroupRef{admins, service, blocked, devs, leads, qa, ownerGrp, verifiers} {
		sb.WriteString(g.UUID + "\t" + g.Name + "\n")
	}
	return sb.String()
}()

func parseConfig(t testing.TB, text string) *project.Config {
	t.Helper()
	c, err := project.Parse([]byte(text), []byte(testGroupsFile))
	if err != nil {
		t.Fatalf("parse:\n%s\n%v", text, err)
	}
	return c
}

// allProjects returns the site defaults, written out and parsed back as a
// server would load them.
func allProjects(t testing.TB, extra string) *project.Config {
	t.Helper()
	pc, _ := project.DefaultAllProjects(admins, service, blocked).Files()
	return parseConfig(t, string(pc)+extra)
}

// chain parses configurations given child first and appends All-Projects.
func chain(t testing.TB, allExtra string, configs ...string) []*project.Config {
	t.Helper()
	var out []*project.Config
	for _, c := range configs {
		out = append(out, parseConfig(t, c))
	}
	return append(out, allProjects(t, allExtra))
}

type question int

const (
	can question = iota
	canForce
	rangeOf
	isOwner
	isRefOwner
	readAny
	visible
	hidden
	canAsChangeOwner
)

type accessCase struct {
	desc      string
	allExtra  string   // appended to All-Projects' defaults
	configs   []string // the project, then its parents (All-Projects added)
	subject   Subject
	q         question
	ref, perm string
	want      bool
	wantRange [2]int // for rangeOf
}

func (tc accessCase) run(t *testing.T) {
	t.Helper()
	p := NewProject("p", chain(t, tc.allExtra, tc.configs...))
	c := p.For(tc.subject)
	var got bool
	switch tc.q {
	case can:
		got = c.Can(tc.ref, tc.perm)
	case canForce:
		got = c.CanForce(tc.ref, tc.perm)
	case rangeOf:
		lo, hi, ok := c.Range(tc.ref, tc.perm)
		if ok != tc.want || ok && [2]int{lo, hi} != tc.wantRange {
			t.Fatalf("Range(%q, %q) = %d..%d %v, want %v %v", tc.ref, tc.perm, lo, hi, ok, tc.wantRange, tc.want)
		}
		if c.Can(tc.ref, tc.perm) != ok {
			t.Fatalf("Can(%q, %q) disagrees with Range", tc.ref, tc.perm)
		}
		return
	case isOwner:
		got = c.IsOwner()
	case isRefOwner:
		got = c.IsRefOwner(tc.ref)
	case readAny:
		got = c.CanReadAnyRef()
	case visible:
		got = c.Visible()
	case hidden:
		got = c.IsHidden()
	case canAsChangeOwner:
		got = c.AsChangeOwner().Can(tc.ref, tc.perm)
	}
	if got != tc.want {
		t.Fatalf("question %d on (%q, %q) for %+v = %v, want %v", tc.q, tc.ref, tc.perm, tc.subject, got, tc.want)
	}
}

func runCases(t *testing.T, cases []accessCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.desc, tc.run)
	}
}

const ownedChild = "[access \"refs/*\"]\n\towner = group Owners\n"

func TestDefaults(t *testing.T) {
	runCases(t, []accessCase{
		{desc: "anonymous reads branches", subject: anon, q: can, ref: "refs/heads/main", perm: "read", want: true},
		{desc: "anonymous reads refs/meta/version", subject: anon, q: can, ref: "refs/meta/version", perm: "read", want: true},
		{desc: "anonymous cannot read config", subject: anon, q: can, ref: "refs/meta/config", perm: "read"},
		{desc: "anonymous cannot read other refs", subject: anon, q: can, ref: "refs/changes/01/1/1", perm: "read"},
		{desc: "admin reads every ref", subject: admin, q: can, ref: "refs/changes/01/1/1", perm: "read", want: true},
		{desc: "admin reads config", subject: admin, q: can, ref: "refs/meta/config", perm: "read", want: true},
		{desc: "registered uploads for review", subject: registered, q: can, ref: "refs/for/refs/heads/main", perm: "push", want: true},
		{desc: "registered adds patch sets", subject: registered, q: can, ref: "refs/for/refs/heads/main", perm: "addPatchSet", want: true},
		{desc: "anonymous cannot upload", subject: anon, q: can, ref: "refs/for/refs/heads/main", perm: "push"},
		{desc: "no direct push by default", subject: registered, q: can, ref: "refs/heads/main", perm: "push"},
		{desc: "registered comments", subject: registered, q: can, ref: "refs/heads/main", perm: "postReviewComment", want: true},
		{desc: "anonymous cannot comment", subject: anon, q: can, ref: "refs/heads/main", perm: "postReviewComment"},
		{desc: "registered votes -1..+1", subject: registered, q: rangeOf, ref: "refs/heads/main", perm: "label-Code-Review", want: true, wantRange: [2]int{-1, 1}},
		{desc: "admin votes -2..+2", subject: admin, q: rangeOf, ref: "refs/heads/main", perm: "label-Code-Review", want: true, wantRange: [2]int{-2, 2}},
		{desc: "anonymous cannot vote", subject: anon, q: rangeOf, ref: "refs/heads/main", perm: "label-Code-Review"},
		{desc: "registered cannot submit", subject: registered, q: can, ref: "refs/heads/main", perm: "submit"},
		{desc: "admin submits", subject: admin, q: can, ref: "refs/heads/main", perm: "submit", want: true},
		{desc: "forge author for registered", subject: registered, q: can, ref: "refs/heads/main", perm: "forgeAuthor", want: true},
		{desc: "blocked user cannot read branches", subject: blockedUser, q: can, ref: "refs/heads/main", perm: "read"},
		{desc: "blocked user sees no project", subject: blockedUser, q: visible},
		{desc: "anonymous sees a project", subject: anon, q: visible, want: true},
		{desc: "admin owns every project", subject: admin, q: isOwner, want: true},
		{desc: "registered owns nothing", subject: registered, q: isOwner},
		{desc: "admin pushes config", subject: admin, q: can, ref: "refs/meta/config", perm: "push", want: true},
		{desc: "service user reads nothing special", subject: serviceUser, q: can, ref: "refs/meta/config", perm: "read"},
	})
}

func TestOwners(t *testing.T) {
	runCases(t, []accessCase{
		{desc: "owner group member is owner", configs: []string{ownedChild}, subject: owner, q: isOwner, want: true},
		{desc: "others are not", configs: []string{ownedChild}, subject: dev, q: isOwner},
		{desc: "owners of a parent own the child", configs: []string{"", ownedChild}, subject: owner, q: isOwner, want: true},
		{desc: "owner grant in All-Projects is ignored", allExtra: ownedChild, subject: owner, q: isOwner},
		{desc: "owner grant in All-Projects gives no Project Owners rules", allExtra: ownedChild, subject: owner, q: can, ref: "refs/heads/main", perm: "submit"},
		{desc: "Project Owners rules apply to owners", configs: []string{ownedChild}, subject: owner, q: rangeOf, ref: "refs/heads/main", perm: "label-Code-Review", want: true, wantRange: [2]int{-2, 2}},
		{desc: "owners read config", configs: []string{ownedChild}, subject: owner, q: can, ref: "refs/meta/config", perm: "read", want: true},
		{desc: "owners push config", configs: []string{ownedChild}, subject: owner, q: can, ref: "refs/meta/config", perm: "push", want: true},
		{desc: "owners submit config", configs: []string{ownedChild}, subject: owner, q: can, ref: "refs/meta/config", perm: "submit", want: true},
		{desc: "owners force-edit topics", configs: []string{ownedChild}, subject: owner, q: canForce, ref: "refs/heads/main", perm: "editTopicName", want: true},
		{desc: "push on config needs ownership", configs: []string{"[access \"refs/*\"]\n\tpush = group Devs\n"}, subject: dev, q: can, ref: "refs/meta/config", perm: "push"},
		{desc: "push elsewhere does not", configs: []string{"[access \"refs/*\"]\n\tpush = group Devs\n"}, subject: dev, q: can, ref: "refs/heads/main", perm: "push", want: true},
		{desc: "submit on config needs ownership only", configs: []string{"[access \"refs/meta/config\"]\n\tsubmit = group Devs\n"}, subject: dev, q: can, ref: "refs/meta/config", perm: "submit"},
		{desc: "blocked owner permission is no ownership", configs: []string{ownedChild, "[access \"refs/*\"]\n\towner = block group Owners\n"}, subject: owner, q: isOwner},
		{desc: "ref owner", configs: []string{"[access \"refs/heads/team/*\"]\n\towner = group Devs\n"}, subject: dev, q: isRefOwner, ref: "refs/heads/team/x", want: true},
		{desc: "ref owner only there", configs: []string{"[access \"refs/heads/team/*\"]\n\towner = group Devs\n"}, subject: dev, q: isRefOwner, ref: "refs/heads/main"},
		{desc: "ref owner is not project owner", configs: []string{"[access \"refs/heads/team/*\"]\n\towner = group Devs\n"}, subject: dev, q: isOwner},
	})
}

func TestInheritanceThreeLevels(t *testing.T) {
	parent := `[access "refs/heads/*"]
	push = group Devs
	submit = block group Registered Users
[access "refs/heads/rel/*"]
	forgeCommitter = block group Registered Users
	forgeCommitter = group Leads
`
	child := `[access "refs/heads/*"]
	submit = group Devs
[access "refs/heads/rel/*"]
	forgeCommitter = group Devs
`
	runCases(t, []accessCase{
		{desc: "grandparent grant reaches the child", configs: []string{child, parent}, subject: registered, q: can, ref: "refs/for/refs/heads/main", perm: "push", want: true},
		{desc: "parent grant reaches the child", configs: []string{child, parent}, subject: dev, q: can, ref: "refs/heads/main", perm: "push", want: true},
		{desc: "parent grant reaches a grandchild", configs: []string{"", child, parent}, subject: dev, q: can, ref: "refs/heads/main", perm: "push", want: true},
		{desc: "parent block beats child allow", configs: []string{child, parent}, subject: dev, q: can, ref: "refs/heads/main", perm: "submit"},
		{desc: "parent block beats grandparent allow", configs: []string{child, parent}, subject: admin, q: can, ref: "refs/heads/main", perm: "submit"},
		{desc: "parent block reaches a grandchild", configs: []string{"[access \"refs/heads/*\"]\n\tsubmit = group Devs\n", child, parent}, subject: dev, q: can, ref: "refs/heads/main", perm: "submit"},
		{desc: "allow beside block overrides it", configs: []string{child, parent}, subject: lead, q: can, ref: "refs/heads/rel/1", perm: "forgeCommitter", want: true},
		{desc: "child allow does not override parent block", configs: []string{child, parent}, subject: dev, q: can, ref: "refs/heads/rel/1", perm: "forgeCommitter"},
		{desc: "block does not reach other refs", configs: []string{child, parent}, subject: dev, q: can, ref: "refs/heads/main", perm: "forgeCommitter"},
		{desc: "without the block the child allow works", configs: []string{child}, subject: dev, q: can, ref: "refs/heads/rel/1", perm: "forgeCommitter", want: true},
		{desc: "child rule for same pattern and group replaces parent's", configs: []string{
			"[access \"refs/heads/*\"]\n\tlabel-Code-Review = -1..+1 group Devs\n",
			"[access \"refs/heads/*\"]\n\tlabel-Code-Review = -2..+2 group Devs\n",
		}, subject: dev, q: rangeOf, ref: "refs/heads/main", perm: "label-Code-Review", want: true, wantRange: [2]int{-1, 1}},
	})
}

func TestDenyAndBlock(t *testing.T) {
	hideFromAnonymous := `[access "refs/heads/*"]
	read = deny group Anonymous Users
	read = group Devs
[access "refs/meta/version"]
	read = deny group Anonymous Users
`
	runCases(t, []accessCase{
		{desc: "deny hides the inherited allow", configs: []string{hideFromAnonymous}, subject: anon, q: can, ref: "refs/heads/main", perm: "read"},
		{desc: "deny hides it from registered users too", configs: []string{hideFromAnonymous}, subject: registered, q: can, ref: "refs/heads/main", perm: "read"},
		{desc: "allow beside the deny still works", configs: []string{hideFromAnonymous}, subject: dev, q: can, ref: "refs/heads/main", perm: "read", want: true},
		{desc: "hidden project is invisible", configs: []string{hideFromAnonymous}, subject: registered, q: visible},
		{desc: "hidden project visible to its readers", configs: []string{hideFromAnonymous}, subject: dev, q: visible, want: true},
		{desc: "deny on another pattern hides nothing", configs: []string{"[access \"refs/*\"]\n\tread = deny group Anonymous Users\n"}, subject: anon, q: can, ref: "refs/heads/main", perm: "read", want: true},
		{desc: "deny in parent, allow in child", configs: []string{"[access \"refs/heads/*\"]\n\tpush = group Devs\n", "[access \"refs/heads/*\"]\n\tpush = deny group Devs\n"}, subject: dev, q: can, ref: "refs/heads/main", perm: "push", want: true},
		{desc: "block in parent, allow in child", configs: []string{"[access \"refs/heads/*\"]\n\tpush = group Devs\n", "[access \"refs/heads/*\"]\n\tpush = block group Devs\n"}, subject: dev, q: can, ref: "refs/heads/main", perm: "push"},
		{desc: "block in child of parent allow", configs: []string{"[access \"refs/heads/*\"]\n\tpush = block group Devs\n", "[access \"refs/heads/*\"]\n\tpush = group Devs\n"}, subject: dev, q: can, ref: "refs/heads/main", perm: "push"},
		{desc: "block on a wider pattern", configs: []string{"[access \"refs/heads/*\"]\n\tpush = group Devs\n", "[access \"refs/*\"]\n\tpush = block group Registered Users\n"}, subject: dev, q: can, ref: "refs/heads/main", perm: "push"},
		{desc: "allow in a wider section does not lift a block", configs: []string{"[access \"refs/heads/*\"]\n\tpush = block group Registered Users\n[access \"refs/*\"]\n\tpush = group Devs\n"}, subject: dev, q: can, ref: "refs/heads/main", perm: "push"},
		{desc: "block of another group", configs: []string{"[access \"refs/heads/*\"]\n\tpush = group Devs\n\tpush = block group QA\n"}, subject: dev, q: can, ref: "refs/heads/main", perm: "push", want: true},
	})
}

func TestExclusive(t *testing.T) {
	child := `[access "refs/heads/*"]
	label-Code-Review = -2..+2 group Leads
	push = group Devs
[access "refs/heads/qa"]
	exclusiveGroupPermissions = label-Code-Review
	label-Code-Review = -2..+2 group QA
[access "refs/heads/special"]
	exclusiveGroupPermissions = push
	push = group QA
`
	runCases(t, []accessCase{
		{desc: "wildcard range elsewhere", configs: []string{child}, subject: lead, q: rangeOf, ref: "refs/heads/main", perm: "label-Code-Review", want: true, wantRange: [2]int{-2, 2}},
		{desc: "exclusive section shuts out wildcard grant", configs: []string{child}, subject: lead, q: rangeOf, ref: "refs/heads/qa", perm: "label-Code-Review"},
		{desc: "exclusive section shuts out inherited grant", configs: []string{child}, subject: registered, q: rangeOf, ref: "refs/heads/qa", perm: "label-Code-Review"},
		{desc: "exclusive section grants its group", configs: []string{child}, subject: qaUser, q: rangeOf, ref: "refs/heads/qa", perm: "label-Code-Review", want: true, wantRange: [2]int{-2, 2}},
		{desc: "exclusive is per permission", configs: []string{child}, subject: dev, q: can, ref: "refs/heads/qa", perm: "push", want: true},
		{desc: "exclusive push shuts out devs", configs: []string{child}, subject: dev, q: can, ref: "refs/heads/special", perm: "push"},
		{desc: "exclusive push grants qa", configs: []string{child}, subject: qaUser, q: can, ref: "refs/heads/special", perm: "push", want: true},
		{desc: "config read is exclusive by default", configs: []string{"[access \"refs/*\"]\n\tread = group Devs\n"}, subject: dev, q: can, ref: "refs/meta/config", perm: "read"},
		{desc: "child may grant config read explicitly", configs: []string{"[access \"refs/meta/config\"]\n\tread = group Devs\n"}, subject: dev, q: can, ref: "refs/meta/config", perm: "read", want: true},
		{desc: "exclusive allow lifts blocks of its project", configs: []string{"[access \"refs/heads/*\"]\n\tpush = block group Registered Users\n[access \"refs/heads/special\"]\n\texclusiveGroupPermissions = push\n\tpush = group Devs\n"}, subject: dev, q: can, ref: "refs/heads/special", perm: "push", want: true},
		{desc: "exclusive allow keeps blocks elsewhere", configs: []string{"[access \"refs/heads/*\"]\n\tpush = block group Registered Users\n[access \"refs/heads/special\"]\n\texclusiveGroupPermissions = push\n\tpush = group Devs\n"}, subject: dev, q: can, ref: "refs/heads/main", perm: "push"},
		{desc: "exclusive allow does not lift a parent's block", configs: []string{"[access \"refs/heads/special\"]\n\texclusiveGroupPermissions = push\n\tpush = group Devs\n", "[access \"refs/heads/*\"]\n\tpush = block group Registered Users\n"}, subject: dev, q: can, ref: "refs/heads/special", perm: "push"},
		{desc: "exclusive in parent applies to child", configs: []string{"[access \"refs/heads/*\"]\n\tpush = group Devs\n", "[access \"refs/heads/special\"]\n\texclusiveGroupPermissions = push\n\tpush = group QA\n"}, subject: dev, q: can, ref: "refs/heads/special", perm: "push"},
	})
}

func TestPatterns(t *testing.T) {
	cfg := `[access "^refs/heads/rel-[0-9]+"]
	push = group Devs
[access "refs/heads/sandbox/*"]
	create = group Devs
[access "refs/heads/sandbox/${username}/*"]
	push = group Registered Users
[access "^refs/heads/u/${username}"]
	push = group Registered Users
[access "refs/tags/v1"]
	push = group Devs
`
	runCases(t, []accessCase{
		{desc: "regex match", configs: []string{cfg}, subject: dev, q: can, ref: "refs/heads/rel-12", perm: "push", want: true},
		{desc: "regex no match", configs: []string{cfg}, subject: dev, q: can, ref: "refs/heads/rel-x", perm: "push"},
		{desc: "regex anchored at the end", configs: []string{cfg}, subject: dev, q: can, ref: "refs/heads/rel-12/x", perm: "push"},
		{desc: "prefix match deep", configs: []string{cfg}, subject: dev, q: can, ref: "refs/heads/sandbox/a/b", perm: "create", want: true},
		{desc: "prefix needs the slash", configs: []string{cfg}, subject: dev, q: can, ref: "refs/heads/sandboxx", perm: "create"},
		{desc: "exact match", configs: []string{cfg}, subject: dev, q: can, ref: "refs/tags/v1", perm: "push", want: true},
		{desc: "exact only", configs: []string{cfg}, subject: dev, q: can, ref: "refs/tags/v10", perm: "push"},
		{desc: "own sandbox", configs: []string{cfg}, subject: dev, q: can, ref: "refs/heads/sandbox/dev/x", perm: "push", want: true},
		{desc: "someone else's sandbox", configs: []string{cfg}, subject: dev, q: can, ref: "refs/heads/sandbox/lead/x", perm: "push"},
		{desc: "anonymous has no sandbox", configs: []string{cfg}, subject: anon, q: can, ref: "refs/heads/sandbox//x", perm: "push"},
		{desc: "username quoted in regex", configs: []string{cfg}, subject: dotted, q: can, ref: "refs/heads/u/a.b", perm: "push", want: true},
		{desc: "username dot is not a wildcard", configs: []string{cfg}, subject: dotted, q: can, ref: "refs/heads/u/axb", perm: "push"},
	})
}

func TestAllUsers(t *testing.T) {
	pc, _ := project.DefaultAllUsers(admins, project.RegisteredUsers).Files()
	chain := []*project.Config{parseConfig(t, string(pc)), allProjects(t, "")}
	p := NewProject(project.AllUsers, chain)
	tests := []struct {
		desc      string
		s         Subject
		ref, perm string
		want      bool
	}{
		{desc: "own user branch", s: registered, ref: "refs/users/00/100", perm: "read", want: true},
		{desc: "push own user branch", s: registered, ref: "refs/users/00/100", perm: "push", want: true},
		{desc: "another user's branch", s: registered, ref: "refs/users/01/101", perm: "read"},
		{desc: "admin reads any user branch", s: admin, ref: "refs/users/01/101", perm: "read", want: true},
		{desc: "anonymous has none", s: anon, ref: "refs/users/00/0", perm: "read"},
		{desc: "default prefs for admins", s: admin, ref: "refs/users/default", perm: "push", want: true},
		{desc: "not for users", s: registered, ref: "refs/users/default", perm: "read"},
		{desc: "group refs readable", s: registered, ref: "refs/groups/ab/abcdef", perm: "read", want: true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := p.For(tc.s).Can(tc.ref, tc.perm); got != tc.want {
				t.Fatalf("Can(%q, %q) = %v, want %v", tc.ref, tc.perm, got, tc.want)
			}
		})
	}
	if got := ShardedID(1000096); got != "96/1000096" {
		t.Fatalf("ShardedID = %q", got)
	}
	if got := ShardedID(7); got != "07/7" {
		t.Fatalf("ShardedID = %q", got)
	}
}

func TestLabelRanges(t *testing.T) {
	runCases(t, []accessCase{
		{desc: "union of groups", configs: []string{"[access \"refs/heads/*\"]\n\tlabel-Code-Review = +0..+2 group Leads\n"}, subject: lead, q: rangeOf, ref: "refs/heads/main", perm: "label-Code-Review", want: true, wantRange: [2]int{-1, 2}},
		{desc: "union across patterns", configs: []string{"[access \"refs/*\"]\n\tlabel-Code-Review = -2..+0 group Leads\n"}, subject: lead, q: rangeOf, ref: "refs/heads/main", perm: "label-Code-Review", want: true, wantRange: [2]int{-2, 1}},
		{desc: "blocked extremes", configs: []string{"[access \"refs/heads/*\"]\n\tlabel-Code-Review = -2..+2 group Leads\n", "[access \"refs/heads/*\"]\n\tlabel-Code-Review = block -2..+2 group Registered Users\n"}, subject: lead, q: rangeOf, ref: "refs/heads/main", perm: "label-Code-Review", want: true, wantRange: [2]int{-1, 1}},
		{desc: "blocked entirely", configs: []string{"[access \"refs/heads/*\"]\n\tlabel-Code-Review = block -1..+1 group Registered Users\n"}, subject: registered, q: rangeOf, ref: "refs/heads/main", perm: "label-Code-Review"},
		{desc: "allow beside block grants its range", configs: []string{"[access \"refs/heads/*\"]\n\tlabel-Verified = block -1..+1 group Anonymous Users\n\tlabel-Verified = -1..+1 group Verifiers\n"}, subject: verifier, q: rangeOf, ref: "refs/heads/main", perm: "label-Verified", want: true, wantRange: [2]int{-1, 1}},
		{desc: "others stay blocked", configs: []string{"[access \"refs/heads/*\"]\n\tlabel-Verified = -1..+1 group Devs\n", "[access \"refs/heads/*\"]\n\tlabel-Verified = block -1..+1 group Anonymous Users\n\tlabel-Verified = -1..+1 group Verifiers\n"}, subject: dev, q: rangeOf, ref: "refs/heads/main", perm: "label-Verified"},
		{desc: "exclusive allow lifts same-project block range", configs: []string{"[access \"refs/heads/*\"]\n\tlabel-Verified = block -1..+1 group Registered Users\n[access \"refs/heads/main\"]\n\texclusiveGroupPermissions = label-Verified\n\tlabel-Verified = -1..+1 group Devs\n"}, subject: dev, q: rangeOf, ref: "refs/heads/main", perm: "label-Verified", want: true, wantRange: [2]int{-1, 1}},
		{desc: "labelAs ranges", configs: []string{"[access \"refs/heads/*\"]\n\tlabelAs-Code-Review = -1..+1 group Devs\n"}, subject: dev, q: rangeOf, ref: "refs/heads/main", perm: "labelAs-Code-Review", want: true, wantRange: [2]int{-1, 1}},
		{desc: "label names match case-insensitively", subject: registered, q: rangeOf, ref: "refs/heads/main", perm: "label-code-review", want: true, wantRange: [2]int{-1, 1}},
		{desc: "no label rules", subject: registered, q: rangeOf, ref: "refs/heads/main", perm: "label-Verified"},
	})
}

func TestForce(t *testing.T) {
	runCases(t, []accessCase{
		{desc: "force grant", configs: []string{"[access \"refs/heads/*\"]\n\tpush = +force group Devs\n"}, subject: dev, q: canForce, ref: "refs/heads/main", perm: "push", want: true},
		{desc: "force grant includes plain", configs: []string{"[access \"refs/heads/*\"]\n\tpush = +force group Devs\n"}, subject: dev, q: can, ref: "refs/heads/main", perm: "push", want: true},
		{desc: "plain grant is not force", configs: []string{"[access \"refs/heads/*\"]\n\tpush = group Devs\n"}, subject: dev, q: canForce, ref: "refs/heads/main", perm: "push"},
		{desc: "force block leaves plain push", configs: []string{"[access \"refs/heads/*\"]\n\tpush = +force group Devs\n", "[access \"refs/heads/*\"]\n\tpush = block +force group Registered Users\n"}, subject: dev, q: can, ref: "refs/heads/main", perm: "push", want: true},
		{desc: "force block stops force push", configs: []string{"[access \"refs/heads/*\"]\n\tpush = +force group Devs\n", "[access \"refs/heads/*\"]\n\tpush = block +force group Registered Users\n"}, subject: dev, q: canForce, ref: "refs/heads/main", perm: "push"},
		{desc: "plain allow does not lift a block for force", configs: []string{"[access \"refs/heads/*\"]\n\tpush = block group Registered Users\n\tpush = group Devs\n\tpush = +force group Leads\n"}, subject: dev, q: canForce, ref: "refs/heads/main", perm: "push"},
		{desc: "force allow lifts a block for force", configs: []string{"[access \"refs/heads/*\"]\n\tpush = block group Registered Users\n\tpush = +force group Leads\n"}, subject: lead, q: canForce, ref: "refs/heads/main", perm: "push", want: true},
		{desc: "force push may delete", configs: []string{"[access \"refs/heads/*\"]\n\tpush = +force group Devs\n"}, subject: dev, q: can, ref: "refs/heads/main", perm: "delete", want: true},
		{desc: "delete permission", configs: []string{"[access \"refs/heads/*\"]\n\tdelete = group Devs\n"}, subject: dev, q: can, ref: "refs/heads/main", perm: "delete", want: true},
		{desc: "plain push may not delete", configs: []string{"[access \"refs/heads/*\"]\n\tpush = group Devs\n"}, subject: dev, q: can, ref: "refs/heads/main", perm: "delete"},
		{desc: "force-edit topics is for owners", subject: registered, q: canForce, ref: "refs/heads/main", perm: "editTopicName"},
	})
}

func TestChangeOwnerAndStates(t *testing.T) {
	abandon := "[access \"refs/heads/*\"]\n\tabandon = group Change Owner\n"
	runCases(t, []accessCase{
		{desc: "change owner rule needs a change owner", configs: []string{abandon}, subject: registered, q: can, ref: "refs/heads/main", perm: "abandon"},
		{desc: "change owner rule for the change owner", configs: []string{abandon}, subject: registered, q: canAsChangeOwner, ref: "refs/heads/main", perm: "abandon", want: true},
		{desc: "read-only allows read", configs: []string{"[project]\n\tstate = read only\n"}, subject: anon, q: can, ref: "refs/heads/main", perm: "read", want: true},
		{desc: "read-only forbids writes", configs: []string{"[project]\n\tstate = read only\n"}, subject: registered, q: can, ref: "refs/for/refs/heads/main", perm: "push"},
		{desc: "read-only forbids votes", configs: []string{"[project]\n\tstate = read only\n"}, subject: registered, q: rangeOf, ref: "refs/heads/main", perm: "label-Code-Review"},
		{desc: "read-only even for admins", configs: []string{"[project]\n\tstate = read only\n"}, subject: admin, q: can, ref: "refs/meta/config", perm: "push"},
		{desc: "hidden from users", configs: []string{"[project]\n\tstate = hidden\n"}, subject: registered, q: hidden, want: true},
		{desc: "hidden is invisible", configs: []string{"[project]\n\tstate = hidden\n"}, subject: anon, q: visible},
		{desc: "hidden refs unreadable", configs: []string{"[project]\n\tstate = hidden\n"}, subject: anon, q: can, ref: "refs/heads/main", perm: "read"},
		{desc: "hidden project seen by owners", configs: []string{"[project]\n\tstate = hidden\n" + ownedChild}, subject: owner, q: visible, want: true},
		{desc: "hidden not hidden from owners", configs: []string{"[project]\n\tstate = hidden\n" + ownedChild}, subject: owner, q: hidden},
		{desc: "owners read hidden config", configs: []string{"[project]\n\tstate = hidden\n" + ownedChild}, subject: owner, q: can, ref: "refs/meta/config", perm: "read", want: true},
		{desc: "owners cannot read hidden branches", configs: []string{"[project]\n\tstate = hidden\n" + ownedChild}, subject: owner, q: can, ref: "refs/heads/main", perm: "read"},
		{desc: "active project not hidden", subject: anon, q: hidden},
		{desc: "state of parents does not matter", configs: []string{"", "[project]\n\tstate = hidden\n"}, subject: anon, q: visible, want: true},
	})
}

func TestCanReadAnyRef(t *testing.T) {
	runCases(t, []accessCase{
		{desc: "via a regex section", configs: []string{"[access \"refs/heads/*\"]\n\tread = deny group Anonymous Users\n[access \"refs/meta/version\"]\n\tread = deny group Anonymous Users\n[access \"^refs/heads/pub-.*\"]\n\tread = group Registered Users\n"}, subject: registered, q: readAny, want: true},
		{desc: "via a user section", configs: []string{"[access \"refs/heads/*\"]\n\tread = deny group Anonymous Users\n[access \"refs/meta/version\"]\n\tread = deny group Anonymous Users\n[access \"refs/heads/u/${username}\"]\n\tread = group Registered Users\n"}, subject: registered, q: readAny, want: true},
		{desc: "nothing readable", configs: []string{"[access \"refs/heads/*\"]\n\tread = deny group Anonymous Users\n[access \"refs/meta/version\"]\n\tread = deny group Anonymous Users\n"}, subject: registered, q: readAny},
		{desc: "owners always", configs: []string{"[access \"refs/heads/*\"]\n\tread = deny group Anonymous Users\n[access \"refs/meta/version\"]\n\tread = deny group Anonymous Users\n" + ownedChild}, subject: owner, q: readAny, want: true},
	})
}

func TestSpecificityOrder(t *testing.T) {
	cfg := parseConfig(t, `[access "refs/*"]
	read = group Devs
[access "^refs/heads/[a-z]+"]
	read = group Devs
[access "refs/heads/*"]
	read = group Devs
[access "refs/heads/main"]
	read = group Devs
`)
	parent := parseConfig(t, "[access \"refs/heads/main\"]\n\tread = group Devs\n[access \"refs/heads/*\"]\n\tread = group Devs\n")
	p := NewProject("p", []*project.Config{cfg, parent})
	c := p.For(dev)
	var got []string
	for _, s := range c.sectionsFor("refs/heads/main") {
		got = append(got, s.pattern+"@"+string(rune('0'+s.level)))
	}
	want := []string{"refs/heads/main@0", "refs/heads/main@1", "^refs/heads/[a-z]+@0", "refs/heads/*@0", "refs/heads/*@1", "refs/*@0"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("order = %q\nwant    %q", got, want)
	}
}

func TestCapabilities(t *testing.T) {
	root := allProjects(t, `[capability]
	maintainServer = group Leads
	queryLimit = +0..+100 group Registered Users
	queryLimit = +0..+5000 group Devs
	emailReviewers = deny group QA
	runAs = group Devs
	priority = interactive group Devs
	plugin-thing = group QA
`)
	tests := []struct {
		desc string
		s    Subject
		name string
		want bool
	}{
		{desc: "admin administrates", s: admin, name: "administrateServer", want: true},
		{desc: "admin implies createProject", s: admin, name: "createProject", want: true},
		{desc: "admin implies viewAllAccounts", s: admin, name: "viewAllAccounts", want: true},
		{desc: "admin implies flushCaches", s: admin, name: "flushCaches", want: true},
		{desc: "admin does not imply runAs", s: admin, name: "runAs"},
		{desc: "admin does not imply accessDatabase", s: admin, name: "accessDatabase"},
		{desc: "admin implies plugin capabilities", s: admin, name: "plugin-thing", want: true},
		{desc: "registered is no admin", s: registered, name: "administrateServer"},
		{desc: "registered cannot create projects", s: registered, name: "createProject"},
		{desc: "service users stream events", s: serviceUser, name: "streamEvents", want: true},
		{desc: "maintainServer implies killTask", s: lead, name: "killTask", want: true},
		{desc: "maintainServer does not imply createAccount", s: lead, name: "createAccount"},
		{desc: "explicit runAs", s: dev, name: "runAs", want: true},
		{desc: "everybody emails reviewers", s: registered, name: "emailReviewers", want: true},
		{desc: "unless denied", s: qaUser, name: "emailReviewers"},
		{desc: "granted plugin capability", s: qaUser, name: "plugin-thing", want: true},
		{desc: "queryLimit granted", s: registered, name: "queryLimit", want: true},
		{desc: "queryLimit not for anonymous", s: anon, name: "queryLimit"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := Capabilities(root, tc.s).Has(tc.name); got != tc.want {
				t.Fatalf("Has(%q) = %v, want %v", tc.name, got, tc.want)
			}
		})
	}
	if lo, hi, ok := Capabilities(root, dev).Range("queryLimit"); !ok || lo != 0 || hi != 5000 {
		t.Fatalf("queryLimit range = %d..%d %v", lo, hi, ok)
	}
	if _, _, ok := Capabilities(root, anon).Range("queryLimit"); ok {
		t.Fatalf("anonymous got a queryLimit range")
	}
	for _, tc := range []struct {
		s    Subject
		want string
	}{{serviceUser, "batch"}, {registered, "interactive"}, {SignedIn(9, "x", service.UUID, devs.UUID), "interactive"}} {
		if got := Capabilities(root, tc.s).Priority(); got != tc.want {
			t.Fatalf("Priority(%+v) = %q, want %q", tc.s, got, tc.want)
		}
	}
	names := Capabilities(root, qaUser).Names()
	if strings.Join(names, ",") != "plugin-thing,queryLimit" {
		t.Fatalf("Names = %q", names)
	}
	adminNames := strings.Join(Capabilities(root, admin).Names(), ",")
	for _, n := range []string{"administrateServer", "createProject", "emailReviewers", "plugin-thing"} {
		if !strings.Contains(adminNames, n) {
			t.Fatalf("admin Names = %q, missing %s", adminNames, n)
		}
	}
	if strings.Contains(adminNames, "runAs") {
		t.Fatalf("admin Names = %q has runAs", adminNames)
	}
	if Capabilities(nil, admin).Has("administrateServer") {
		t.Fatalf("no All-Projects, yet a capability")
	}
	if !NewProject("p", chain(t, "")).For(admin).Capabilities().Has("createProject") {
		t.Fatalf("Checker.Capabilities lacks the admin's capabilities")
	}
}

// TestConcurrentChecker lets several goroutines share a Checker, as request
// handlers do; run with -race it checks the memoization is guarded.
func TestConcurrentChecker(t *testing.T) {
	c := NewProject("p", chain(t, "", ownedChild)).For(owner)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref := "refs/heads/b" + string(rune('0'+i%3))
			if !c.Can(ref, "read") || !c.IsOwner() || !c.Visible() {
				t.Errorf("owner lost access to %s", ref)
			}
			if _, _, ok := c.Range(ref, "label-Code-Review"); !ok {
				t.Errorf("owner cannot vote on %s", ref)
			}
			_ = c.Visibility()(ref)
			_ = c.AsChangeOwner().Can(ref, "abandon")
		}()
	}
	wg.Wait()
}

func TestEmptyChain(t *testing.T) {
	c := NewProject("p", nil).For(admin)
	if c.Can("refs/heads/main", "read") || c.IsOwner() || c.Visible() {
		t.Fatalf("an empty chain grants something")
	}
}
