package project

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const testGroups = "# UUID\tGroup Name\n#\n" +
	"dev-uuid\tDevelopers\n" +
	"qa-uuid\tQA Leads\n" +
	"global:Registered-Users\tRegistered Users\n"

func mustParse(t testing.TB, pc, groups string) *Config {
	t.Helper()
	c, err := Parse([]byte(pc), []byte(groups))
	if err != nil {
		t.Fatalf("Parse: %v\nproject.config:\n%s", err, pc)
	}
	return c
}

// model drops the raw file so Configs compare by their modelled fields.
func model(c *Config) Config {
	m := *c
	m.raw = nil
	return m
}

func TestParseModel(t *testing.T) {
	pc := `[project]
	description = "A project; with a semicolon"
	state = read only
[access]
	inheritFrom = Platform
[receive]
	requireChangeId = false
	rejectImplicitMerges
	maxObjectSizeLimit = 10m
	enableSignedPush = inherit
[submit]
	action = rebase if necessary
	mergeContent = yes
[change]
	privateByDefault = true
[access "refs/heads/*"]
	Read = group Developers
	label-Code-Review = -2..+2 group QA Leads
	LABEL-Verified = block -1..+1 group Registered Users
	push = +force group Developers
	exclusiveGroupPermissions = create, submit
	create = deny group Registered Users
[access "^refs/heads/rel-[0-9]+"]
	push = block +force group Developers
[capability]
	queryLimit = +0..+1000 group QA Leads
	priority = interactive group Developers
	admin-plugin-thing = group Developers
`
	c := mustParse(t, pc, testGroups)
	dev := GroupRef{UUID: "dev-uuid", Name: "Developers"}
	qa := GroupRef{UUID: "qa-uuid", Name: "QA Leads"}
	want := Config{
		Description: "A project; with a semicolon",
		State:       StateReadOnly,
		InheritFrom: "Platform",
		Access: []AccessSection{
			{Pattern: "refs/heads/*", Permissions: []Permission{
				// Exclusive permissions come first.
				{Name: "create", Exclusive: true, Rules: []Rule{{Action: Deny, Group: RegisteredUsers}}},
				{Name: "submit", Exclusive: true},
				{Name: "read", Rules: []Rule{{Group: dev}}},
				{Name: "label-Code-Review", Rules: []Rule{{Min: -2, Max: 2, HasRange: true, Group: qa}}},
				{Name: "label-Verified", Rules: []Rule{{Action: Block, Min: -1, Max: 1, HasRange: true, Group: RegisteredUsers}}},
				{Name: "push", Rules: []Rule{{Force: true, Group: dev}}},
			}},
			{Pattern: "^refs/heads/rel-[0-9]+", Permissions: []Permission{
				{Name: "push", Rules: []Rule{{Action: Block, Force: true, Group: dev}}},
			}},
		},
		Capabilities: []Permission{
			{Name: "queryLimit", Rules: []Rule{{Min: 0, Max: 1000, HasRange: true, Group: qa}}},
			{Name: "priority", Rules: []Rule{{Action: Interactive, Group: dev}}},
			{Name: "admin-plugin-thing", Rules: []Rule{{Group: dev}}},
		},
		Receive: ReceiveConfig{
			RequireChangeID: BoolFalse, RequireSignedOffBy: BoolInherit, RequireContributorAgreement: BoolInherit,
			RejectImplicitMerges: BoolTrue, CreateNewChangeForAllNotInTarget: BoolInherit, EnableSignedPush: BoolInherit,
			RequireSignedPush: BoolInherit, CheckReceivedObjects: BoolInherit, MaxObjectSizeLimit: 10 << 20,
		},
		Submit: SubmitConfig{Action: SubmitRebaseIfNecessary, MergeContent: BoolTrue, MatchAuthorToCommitterDate: BoolInherit, RejectEmptyCommit: BoolInherit},
		Change: ChangeConfig{PrivateByDefault: BoolTrue, WorkInProgressByDefault: BoolInherit},
		Groups: []GroupRef{dev, qa, RegisteredUsers},
	}
	if got := model(c); !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseEmpty(t *testing.T) {
	c := mustParse(t, "", "")
	if c.StateOrDefault() != StateActive || c.ParentName("p") != AllProjects || c.ParentName(AllProjects) != "" {
		t.Fatalf("empty config: state %q parent %q", c.StateOrDefault(), c.ParentName("p"))
	}
	pc, groups := c.Files()
	if len(pc) != 0 || len(groups) != 0 {
		t.Fatalf("Files of empty config = %q, %q", pc, groups)
	}
	var zero Config
	if pc, _ := zero.Files(); len(pc) != 0 {
		t.Fatalf("Files of zero Config = %q", pc)
	}
}

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		desc, pc, groups string
		want             string
	}{
		{
			desc: "unknown group",
			pc:   "[access \"refs/*\"]\n\tread = group Developers\n\tread = group Developerz\n",
			want: `project.config line 3: group "Developerz" is not listed in the groups file`,
		},
		{
			desc: "bad rule syntax",
			pc:   "[access \"refs/*\"]\n\n\tread = groupp X\n",
			want: `project.config line 3: invalid rule "groupp X" for read: want "[block|deny] [+force] [MIN..MAX] group NAME"`,
		},
		{
			desc: "rule without group name",
			pc:   "[access \"refs/*\"]\n\tread = block group\n",
			want: `project.config line 2: invalid rule "block group" for read: want "[block|deny] [+force] [MIN..MAX] group NAME"`,
		},
		{
			desc: "range on a permission without ranges",
			pc:   "[access \"refs/*\"]\n\tread = -1..+1 group Developers\n",
			want: `project.config line 2: invalid rule "-1..+1 group Developers" for read: want "[block|deny] [+force] [MIN..MAX] group NAME"`,
		},
		{
			desc: "reversed range",
			pc:   "[access \"refs/heads/*\"]\n\tlabel-Code-Review = +3..-1 group Developers\n",
			want: `project.config line 2: invalid rule "+3..-1 group Developers" for label-Code-Review: invalid range "+3..-1": minimum above maximum`,
		},
		{
			desc: "malformed range",
			pc:   "[access \"refs/heads/*\"]\n\tlabel-Code-Review = -2...+2 group Developers\n",
			want: `project.config line 2: invalid rule "-2...+2 group Developers" for label-Code-Review: invalid range "-2...+2"`,
		},
		{
			desc: "bad regex",
			pc:   "[project]\n\tdescription = x\n[access \"^refs/heads/(\"]\n\tread = group Developers\n",
			want: "project.config line 3: invalid ref pattern \"^refs/heads/(\": error parsing regexp: missing closing ): `refs/heads/(`",
		},
		{
			desc: "pattern outside refs/",
			pc:   "[access \"heads/*\"]\n\tread = group Developers\n",
			want: `project.config line 1: invalid ref pattern "heads/*": must start with refs/ or ^refs/`,
		},
		{
			desc: "pattern with a star inside",
			pc:   "[access \"refs/heads/a*b\"]\n\tread = group Developers\n",
			want: `project.config line 1: invalid ref pattern "refs/heads/a*b": not a valid ref name`,
		},
		{
			desc: "unknown parameter",
			pc:   "[access \"refs/heads/${user}/*\"]\n\tread = group Developers\n",
			want: `project.config line 1: invalid ref pattern "refs/heads/${user}/*": unknown parameter ${user}`,
		},
		{
			desc: "unknown permission",
			pc:   "[access \"refs/*\"]\n\treed = group Developers\n",
			want: `project.config line 2: unknown permission "reed" in access "refs/*"`,
		},
		{
			desc: "unknown exclusive permission",
			pc:   "[access \"refs/*\"]\n\texclusiveGroupPermissions = read wrte\n",
			want: `project.config line 2: unknown permission "wrte" in exclusiveGroupPermissions of access "refs/*"`,
		},
		{
			desc: "bad label permission name",
			pc:   "[access \"refs/*\"]\n\tlabel-Code*Review = group Developers\n",
			want: `project.config line 2: invalid character '*' after key "label-Code"`,
		},
		{
			desc: "unknown capability",
			pc:   "[capability]\n\tadminServer = group Developers\n",
			want: `project.config line 2: unknown capability "adminServer"`,
		},
		{
			desc: "priority needs batch or interactive",
			pc:   "[capability]\n\tpriority = group Developers\n",
			want: `project.config line 2: invalid rule "group Developers" for priority: priority must be "batch" or "interactive"`,
		},
		{
			desc: "batch outside priority",
			pc:   "[capability]\n\tstreamEvents = batch group Developers\n",
			want: `project.config line 2: invalid rule "batch group Developers" for streamEvents: "batch" is only for the priority capability`,
		},
		{
			desc: "bad boolean",
			pc:   "[receive]\n\trequireChangeId = maybe\n",
			want: `project.config line 2: invalid boolean "maybe" for receive.requireChangeId`,
		},
		{
			desc: "bad state",
			pc:   "[project]\n\tstate = frozen\n",
			want: `project.config line 2: invalid project state "frozen"`,
		},
		{
			desc: "bad submit type",
			pc:   "[submit]\n\taction = squash\n",
			want: `project.config line 2: invalid submit type "squash" for submit.action`,
		},
		{
			desc: "bad size",
			pc:   "[receive]\n\tmaxObjectSizeLimit = big\n",
			want: `project.config line 2: invalid size "big" for receive.maxObjectSizeLimit`,
		},
		{
			desc: "syntax error",
			pc:   "[project]\n\tdescription = \"open\n",
			want: `project.config line 2: unterminated quoted value`,
		},
		{
			desc:   "groups line without tab",
			pc:     "",
			groups: "# comment\ndev-uuid Developers\n",
			want:   `groups line 2: missing tab between group UUID and name`,
		},
		{
			desc: "several errors",
			pc:   "[access \"refs/*\"]\n\treed = group Developers\n\tread = group Nobody\n",
			want: "project.config line 2: unknown permission \"reed\" in access \"refs/*\"\n" +
				"project.config line 3: group \"Nobody\" is not listed in the groups file",
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			groups := tc.groups
			if groups == "" {
				groups = testGroups
			}
			_, err := Parse([]byte(tc.pc), []byte(groups))
			if err == nil {
				t.Fatalf("Parse succeeded, want %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Fatalf("error =\n%s\nwant\n%s", err, tc.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Line == 0 {
				t.Fatalf("errors.As(*ValidationError) = %v, %+v", errors.As(err, &ve), ve)
			}
		})
	}
}

func TestParseRule(t *testing.T) {
	tests := []struct {
		desc, in string
		ranged   bool
		want     Rule
		wantErr  bool
	}{
		{desc: "allow", in: "group Developers", want: Rule{Group: GroupRef{Name: "Developers"}}},
		{desc: "group name with spaces", in: "group  Project  Owners ", want: Rule{Group: GroupRef{Name: "Project  Owners"}}},
		{desc: "deny", in: "deny group X", want: Rule{Action: Deny, Group: GroupRef{Name: "X"}}},
		{desc: "block force", in: "block +force group X", want: Rule{Action: Block, Force: true, Group: GroupRef{Name: "X"}}},
		{desc: "force", in: "+force group X", want: Rule{Force: true, Group: GroupRef{Name: "X"}}},
		{desc: "range", in: "-2..+2 group X", ranged: true, want: Rule{Min: -2, Max: 2, HasRange: true, Group: GroupRef{Name: "X"}}},
		{desc: "block range", in: "block -1..1 group X", ranged: true, want: Rule{Action: Block, Min: -1, Max: 1, HasRange: true, Group: GroupRef{Name: "X"}}},
		{desc: "ranged without range", in: "group X", ranged: true, want: Rule{Group: GroupRef{Name: "X"}}},
		{desc: "batch", in: "batch group X", want: Rule{Action: Batch, Group: GroupRef{Name: "X"}}},
		{desc: "action order matters", in: "+force block group X", wantErr: true},
		{desc: "missing group keyword", in: "Developers", wantErr: true},
		{desc: "reversed range", in: "+1..-1 group X", ranged: true, wantErr: true},
		{desc: "junk range", in: "x..y group X", ranged: true, wantErr: true},
		{desc: "huge range", in: "0..99999999999 group X", ranged: true, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := ParseRule(tc.in, tc.ranged)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseRule(%q) = %+v, want error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseRule(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			back, err := ParseRule(got.String(), tc.ranged)
			if err != nil || back != got {
				t.Fatalf("ParseRule(String() = %q) = %+v, %v", got.String(), back, err)
			}
		})
	}
}

func TestRuleString(t *testing.T) {
	tests := []struct {
		desc string
		rule Rule
		want string
	}{
		{desc: "allow", rule: Rule{Group: GroupRef{Name: "X"}}, want: "group X"},
		{desc: "deny", rule: Rule{Action: Deny, Group: GroupRef{Name: "X"}}, want: "deny group X"},
		{desc: "block force range", rule: Rule{Action: Block, Force: true, Min: -1, Max: 0, HasRange: true, Group: GroupRef{Name: "X"}}, want: "block +force -1..+0 group X"},
		{desc: "interactive", rule: Rule{Action: Interactive, Group: GroupRef{Name: "X"}}, want: "interactive group X"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := tc.rule.String(); got != tc.want {
				t.Fatalf("String = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFilesRoundTrip(t *testing.T) {
	admins := GroupRef{UUID: "0123abcd", Name: "Administrators"}
	tests := []struct {
		desc string
		cfg  func(t testing.TB) *Config
	}{
		{desc: "All-Projects defaults", cfg: func(testing.TB) *Config {
			return DefaultAllProjects(admins, GroupRef{UUID: "svc", Name: "Service Users"}, GroupRef{UUID: "blk", Name: "Blocked Users"})
		}},
		{desc: "All-Users defaults", cfg: func(testing.TB) *Config { return DefaultAllUsers(admins, RegisteredUsers) }},
		{desc: "new child", cfg: func(testing.TB) *Config {
			return NewChild("Platform", "Tools; and \"things\"", []GroupRef{{UUID: "dev-uuid", Name: "Developers"}})
		}},
		{desc: "parsed file with extras", cfg: func(t testing.TB) *Config {
			return mustParse(t, `# kept? no, comments are not kept
[project]
	description = d
[plugin "reviewers"]
	reviewer = Foo
[access "refs/heads/*"]
	read = group Developers
	exclusiveGroupPermissions = submit
	submit = group QA Leads
[access "refs/heads/*"]
	push = group Developers
[label "Verified"]
	value = -1 Fails
	value = 0 No score
	value = +1 Verified
	copyAllScoresIfNoCodeChange = true
	branch = refs/heads/main
	canOverride = false
[submit-requirement "Verified"]
	submittableIf = label:Verified=MAX
	overrideIf = label:Override=+1
[commentlink "bug"]
	match = "(bug\\s+#?)(\\d+)"
`, testGroups)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			c := tc.cfg(t)
			pc, groups := c.Files()
			back := mustParse(t, string(pc), string(groups))
			if !reflect.DeepEqual(model(back), model(c)) {
				t.Fatalf("round trip changed the model:\n%+v\nwant\n%+v\nfiles:\n%s\n%s", model(back), model(c), pc, groups)
			}
			pc2, groups2 := back.Files()
			if string(pc2) != string(pc) || string(groups2) != string(groups) {
				t.Fatalf("Files not stable:\n%s\n---\n%s", pc, pc2)
			}
		})
	}
}

func TestFilesKeepsUnknownAndEdits(t *testing.T) {
	c := mustParse(t, `[project]
	description = old
	customKey = kept
[plugin "x"]
	k = v
[access "refs/heads/*"]
	read = group Developers
[access "refs/tags/*"]
	read = group Developers
[label "Code-Review"]
	function = NoBlock
	value = -1 No
	value = 0 Meh
	value = +1 Yes
	copyAllScoresOnTrivialRebase = true
`, testGroups)
	c.Description = "new"
	c.State = StateHidden
	c.Access = c.Access[:1]
	c.Access[0].Permissions = append(c.Access[0].Permissions, Permission{Name: "push", Rules: []Rule{
		{Group: GroupRef{UUID: "new-uuid", Name: "Newcomers"}},
		{Action: Block, Group: RegisteredUsers},
	}})
	c.Labels[0].Values = c.Labels[0].Values[1:]
	c.Submit.Action = SubmitCherryPick
	pc, groups := c.Files()
	wantPC := `[project]
	description = new
	customKey = kept
	state = hidden
[plugin "x"]
	k = v
[access "refs/heads/*"]
	read = group Developers
	push = group Newcomers
	push = block group Registered Users
[label "Code-Review"]
	copyAllScoresOnTrivialRebase = true
	function = NoBlock
	defaultValue = 0
	value = 0 Meh
	value = +1 Yes
[submit]
	action = cherry pick
`
	if string(pc) != wantPC {
		t.Fatalf("project.config =\n%s\nwant\n%s", pc, wantPC)
	}
	wantGroups := "# UUID                   \tGroup Name\n#\n" +
		"dev-uuid                 \tDevelopers\n" +
		"qa-uuid                  \tQA Leads\n" +
		"global:Registered-Users  \tRegistered Users\n" +
		"new-uuid                 \tNewcomers\n"
	if string(groups) != wantGroups {
		t.Fatalf("groups =\n%q\nwant\n%q", groups, wantGroups)
	}
	if _, err := Parse(pc, groups); err != nil {
		t.Fatalf("edited files do not parse: %v", err)
	}
}

func TestFilesDoesNotModifyConfig(t *testing.T) {
	c := mustParse(t, "[project]\n\tdescription = a\n", "")
	c.Description = "b"
	first, _ := c.Files()
	c.Description = "c"
	second, _ := c.Files()
	if !strings.Contains(string(first), "= b") || !strings.Contains(string(second), "= c") {
		t.Fatalf("Files = %q then %q", first, second)
	}
}

func TestEffectiveSubmitTypeAndSettings(t *testing.T) {
	child := &Config{Submit: SubmitConfig{Action: SubmitInherit}, Receive: ReceiveConfig{RequireChangeID: BoolInherit}}
	parent := &Config{Submit: SubmitConfig{Action: SubmitFastForwardOnly}, Receive: ReceiveConfig{RequireChangeID: BoolFalse}}
	root := &Config{Receive: ReceiveConfig{RequireChangeID: BoolTrue}}
	tests := []struct {
		desc       string
		chain      []*Config
		wantSubmit string
		wantCID    bool
	}{
		{desc: "inherits from parent", chain: []*Config{child, parent, root}, wantSubmit: SubmitFastForwardOnly, wantCID: false},
		{desc: "root only", chain: []*Config{child, root}, wantSubmit: DefaultSubmitType, wantCID: true},
		{desc: "nothing set: the default", chain: []*Config{{}}, wantSubmit: DefaultSubmitType, wantCID: true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := EffectiveSubmitType(tc.chain); got != tc.wantSubmit {
				t.Fatalf("EffectiveSubmitType = %q, want %q", got, tc.wantSubmit)
			}
			if got := SettingRequireChangeID.Effective(tc.chain); got != tc.wantCID {
				t.Fatalf("requireChangeId = %v, want %v", got, tc.wantCID)
			}
		})
	}
	if !ValidSubmitType("MERGE_ALWAYS") || ValidSubmitType("merge always") {
		t.Fatalf("ValidSubmitType accepts only REST names")
	}
}

func TestValidRefPattern(t *testing.T) {
	tests := []struct {
		desc, pattern string
		ok            bool
	}{
		{desc: "all", pattern: "refs/*", ok: true},
		{desc: "exact", pattern: "refs/meta/config", ok: true},
		{desc: "prefix", pattern: "refs/heads/*", ok: true},
		{desc: "regex", pattern: "^refs/heads/rel-[0-9]+", ok: true},
		{desc: "username", pattern: "refs/heads/sandbox/${username}/*", ok: true},
		{desc: "username in regex", pattern: "^refs/heads/${username}-.*", ok: true},
		{desc: "sharded id", pattern: "refs/users/${shardeduserid}", ok: true},
		{desc: "not under refs", pattern: "heads/*"},
		{desc: "empty", pattern: ""},
		{desc: "bad regex", pattern: "^refs/[a-"},
		{desc: "space", pattern: "refs/heads/a b"},
		{desc: "double dot", pattern: "refs/heads/a..b"},
		{desc: "unknown parameter", pattern: "refs/${foo}"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			err := ValidRefPattern(tc.pattern)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidRefPattern(%q) = %v, want ok=%v", tc.pattern, err, tc.ok)
			}
		})
	}
}

func TestCanonicalNames(t *testing.T) {
	tests := []struct {
		desc, in, want string
		ok             bool
		capability     bool
	}{
		{desc: "core", in: "addpatchset", want: "addPatchSet", ok: true},
		{desc: "label keeps label case", in: "LABEL-Code-Review", want: "label-Code-Review", ok: true},
		{desc: "labelAs", in: "labelas-Verified", want: "labelAs-Verified", ok: true},
		{desc: "removeLabel", in: "removeLabel-Verified", want: "removeLabel-Verified", ok: true},
		{desc: "plugin permission", in: "plugin-foo-bar", want: "plugin-foo-bar", ok: true},
		{desc: "unknown", in: "write", want: "write"},
		{desc: "empty label", in: "label-", want: "label-"},
		{desc: "capability", in: "ADMINISTRATESERVER", want: "administrateServer", ok: true, capability: true},
		{desc: "plugin capability", in: "delete-project-deleteProject", want: "delete-project-deleteProject", ok: true, capability: true},
		{desc: "unknown capability", in: "adminServer", want: "adminServer", capability: true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			f := CanonicalPermission
			if tc.capability {
				f = CanonicalCapability
			}
			got, ok := f(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("canonical(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
