package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/cache"
	"tandem/internal/change"
	"tandem/internal/clock"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/fail"
	"tandem/internal/git"
	"tandem/internal/git/repo"
	"tandem/internal/project"
	"tandem/internal/review"
	"tandem/internal/sshd"
	"tandem/internal/sshd/cmdflag"
)

// env is a site with real SQLite and git, set up as init sets one up: the
// predefined groups, All-Projects and an administrator. The review service
// is wired into the commands; changes are written straight into SQL (no
// git needed for votes and queries) and git only stands in for moves.
type env struct {
	t        *testing.T
	cmds     *Commands
	db       *db.DB
	accounts *account.Service
	projects *project.Service
	changes  *change.Store
	reviews  *review.Service
	access   *access.Control
	admin    *account.Account
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := dbtest.Open(t, db.SQLite)
	runner, err := git.NewRunner(ctx, git.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	repos := repo.NewStore(filepath.Join(t.TempDir(), "git"), runner)
	t.Cleanup(func() { repos.Close() })
	accounts := account.New(account.Options{DB: d, Clock: clock.Real{}, Logger: log, ParseKey: ParseKey})
	projects := project.New(project.Options{DB: d, Repos: repos, Runner: runner, Clock: clock.Real{}, Logger: log, DefaultBranch: "main",
		CacheLimit: 16})
	var refs []project.GroupRef
	var admins *account.Group
	for _, name := range []string{account.Administrators, account.ServiceUsers, account.BlockedUsers} {
		g, err := accounts.CreateGroup(ctx, account.GroupInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, project.GroupRef{UUID: g.UUID, Name: g.Name})
		if admins == nil {
			admins = g
		}
	}
	if err := projects.CreateRoot(ctx, project.AllProjects, project.DefaultAllProjects(refs[0], refs[1], refs[2])); err != nil {
		t.Fatal(err)
	}
	ctl := access.NewControl(projects)
	changes := change.NewStore(d)
	reviews := review.New(review.Options{DB: d, Changes: changes, Policies: ctl, Accounts: accounts, Repos: fakeRepos{},
		Logger: log})
	e := &env{t: t, db: d, accounts: accounts, projects: projects, changes: changes, reviews: reviews, access: ctl}
	e.admin = e.user("admin")
	if _, err := accounts.AddMember(ctx, admins, e.admin.ID, e.admin.ID); err != nil {
		t.Fatal(err)
	}
	caches := cache.NewRegistry()
	caches.Register("projects", projects.Cache())
	caches.Register("project_access", ctl)
	e.cmds = New(Options{Runner: runner, Accounts: accounts, Projects: projects, Access: ctl, Logger: log, Version: "3.9.0",
		Caches: caches, Changes: changes, Review: ReviewOptions{Reviews: reviews, WebURL: "https://review.example.com/"}})
	return e
}

// newReviewEnv is newEnv with a project "p" to hold changes.
func newReviewEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	if err := e.projects.Create(context.Background(), project.Input{Name: "p", CreateEmptyCommit: true}); err != nil {
		t.Fatal(err)
	}
	return e
}

// fakeRepos stands in for git where the review service needs it: every
// project has the branches main and stable, and no change's commit is on
// either.
type fakeRepos struct{}

func (fakeRepos) BranchTip(_ context.Context, _, branch string) (string, error) {
	switch branch {
	case "refs/heads/main", "refs/heads/stable":
		return strings.Repeat("f", 40), nil
	}
	return "", nil
}

func (fakeRepos) Reachable(context.Context, string, string, string) (bool, error) { return false, nil }

func (fakeRepos) EditRefs(context.Context, string, int64) (map[string]string, error) { return nil, nil }

func (fakeRepos) DeleteRefs(context.Context, string, map[string]string) error {
	return errors.New("fakeRepos: deleting refs is not faked")
}

// user creates an account with an email address.
func (e *env) user(name string) *account.Account {
	e.t.Helper()
	a, err := e.accounts.Create(context.Background(), account.Input{Username: name, Email: name + "@example.com"})
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// out is what a command run gives back, as the SSH client would see it.
type out struct {
	code           int
	stdout, stderr string
}

// run runs a "gerrit NAME …" command line as a.
func (e *env) run(a *account.Account, line string) out {
	e.t.Helper()
	words := sshd.Split(line)
	name := words[0] + " " + words[1]
	h, ok := e.cmds.handlers()[name]
	if !ok {
		e.t.Fatalf("no command %q", name)
	}
	var stdout, stderr bytes.Buffer
	s := &sshd.Session{Identity: sshd.Identity{AccountID: a.ID, Username: a.Username}, Command: name, Args: words[2:],
		Line: line, Env: map[string]string{}, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}
	code, msg := exitStatus(e.cmds.instrument(name, h)(context.Background(), s))
	return out{code, stdout.String(), stderr.String() + msg}
}

// must runs line as the administrator and fails the test unless it works.
func (e *env) must(line string) string {
	e.t.Helper()
	o := e.run(e.admin, line)
	if o.code != 0 {
		e.t.Fatalf("%s: %+v", line, o)
	}
	return o.stdout
}

// exitStatus mirrors how the sshd package reports a handler's error.
func exitStatus(err error) (int, string) {
	var (
		ee *sshd.ExitError
		fe *fail.Error
	)
	switch {
	case err == nil:
		return 0, ""
	case errors.As(err, &ee):
		return ee.Code, ee.Msg + "\n"
	case errors.As(err, &fe) && fe.Kind == fail.Internal:
		return 128, "fatal: internal server error\n"
	case errors.As(err, &fe):
		return 1, "fatal: " + fe.Msg + "\n"
	}
	return 1, "fatal: " + err.Error() + "\n"
}

func TestListGroups(t *testing.T) {
	e := newEnv(t)
	bob := e.user("bob")
	e.user("carol")
	e.must("gerrit create-group --owner Administrators --member bob --visible-to-all web-devs")
	e.must("gerrit create-group --owner web-devs --member carol web-ops")
	e.must(`gerrit create-group --description "first line
second	line \\ end" db-admins`)
	e.must("gerrit create-project --owner db-admins db")

	tests := []struct {
		desc string
		as   *account.Account
		line string
		want out
	}{
		{desc: "all stored groups, by name", as: e.admin, line: "gerrit ls-groups",
			want: out{0, "Administrators\nBlocked Users\nService Users\ndb-admins\nweb-devs\nweb-ops\n", ""}},
		{desc: "substring, any case", as: e.admin, line: "gerrit ls-groups -m WEB",
			want: out{0, "web-devs\nweb-ops\n", ""}},
		{desc: "regex matches the whole name", as: e.admin, line: "gerrit ls-groups --regex web-.",
			want: out{0, "", ""}},
		{desc: "regex", as: e.admin, line: "gerrit ls-groups -r 'web-.*s'",
			want: out{0, "web-devs\nweb-ops\n", ""}},
		{desc: "start and limit", as: e.admin, line: "gerrit ls-groups -S 1 -n 2",
			want: out{0, "Blocked Users\nService Users\n", ""}},
		{desc: "inspect", as: e.admin, line: "gerrit ls-groups -q web-ops --group Administrators",
			want: out{0, "Administrators\nweb-ops\n", ""}},
		{desc: "owned by a group", as: e.admin, line: "gerrit ls-groups --owned-by web-devs",
			want: out{0, "web-ops\n", ""}},
		{desc: "owned by the caller through membership", as: bob, line: "gerrit ls-groups --owned",
			want: out{0, "web-ops\n", ""}},
		{desc: "groups named by a project and its parents", as: e.admin, line: "gerrit ls-groups -p db.git",
			want: out{0, "Administrators\nBlocked Users\nService Users\ndb-admins\n", ""}},
		{desc: "a non-member sees what is visible to all and what it belongs to", as: bob, line: "gerrit ls-groups",
			want: out{0, "web-devs\nweb-ops\n", ""}},
		{desc: "control characters escaped", as: e.admin, line: "gerrit ls-groups -v -q db-admins",
			want: out{0, "", ""}}, // checked below: the UUID is random
		{desc: "m and r together", as: e.admin, line: "gerrit ls-groups -m a -r b",
			want: out{1, "", "fatal: Specify one of m/r\n"}},
		{desc: "bad regex", as: e.admin, line: "gerrit ls-groups -r '('",
			want: out{1, "", "fatal: invalid regex (\n"}},
		{desc: "unknown project", as: e.admin, line: "gerrit ls-groups -p nope",
			want: out{1, "", "fatal: project nope not found\n"}},
		{desc: "unknown group to inspect", as: e.admin, line: "gerrit ls-groups -g nope",
			want: out{1, "", "fatal: Group \"nope\" does not exist\n"}},
		{desc: "unknown option", as: e.admin, line: "gerrit ls-groups --nope",
			want: out{1, "", "fatal: \"--nope\" is not a valid option\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got := e.run(tc.as, tc.line)
			if strings.Contains(tc.line, "-v") {
				f := strings.Split(got.stdout, "\t")
				if got.code != 0 || len(f) != 6 || f[0] != "db-admins" || f[2] != `first line\nsecond\tline \\ end` ||
					f[3] != "db-admins" || f[4] != f[1] || f[5] != "false\n" {
					t.Fatalf("%s = %+v", tc.line, got)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("%s:\n got %+v\nwant %+v", tc.line, got, tc.want)
			}
		})
	}
}

func TestCreateProjectOptions(t *testing.T) {
	e := newEnv(t)
	e.must("gerrit create-project --permissions-only rights")
	e.must("gerrit create-project --parent rights --change-id false --submit-type rebase_if_necessary app")
	e.must("gerrit create-project --parent rights --id lib")
	e.must("gerrit create-project gone")
	ctx := context.Background()
	st, err := e.projects.Load(ctx, "gone")
	if err != nil {
		t.Fatal(err)
	}
	// The loaded configuration is shared with the cache: change a copy.
	cfg, err := project.Parse(st.Config.Files())
	if err != nil {
		t.Fatal(err)
	}
	cfg.State = project.StateHidden
	if _, err := e.projects.Save(ctx, "gone", st.Revision, cfg, "hide\n", project.Ident{Name: "Admin", Email: "admin@example.com"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc string
		line string
		want out
	}{
		{desc: "parents of some project", line: "gerrit create-project --suggest-parents",
			want: out{0, "All-Projects\nrights\n", ""}},
		{desc: "permissions-only projects", line: "gerrit ls-projects --type permissions",
			want: out{0, "All-Projects\nrights\n", ""}},
		{desc: "code projects, hidden ones left out", line: "gerrit ls-projects --type code",
			want: out{0, "app\nlib\n", ""}},
		{desc: "hidden projects only with --all", line: "gerrit ls-projects --all -m gon --format json_compact",
			want: out{0, `{"gone":{"id":"gone","state":"HIDDEN"}}` + "\n", ""}},
		{desc: "one of p/m/r", line: "gerrit ls-projects -p a -m b",
			want: out{1, "", "fatal: specify exactly one of p/m/r\n"}},
		{desc: "bad inheritable value", line: "gerrit create-project x --change-id maybe",
			want: out{1, "", "fatal: \"maybe\" is not a valid value for \"--change-id\"\n"}},
		{desc: "inheritance tree", line: "gerrit ls-projects --tree",
			want: out{0, "`-- All-Projects\n    `-- rights\n        |-- app\n        `-- lib\n", ""}},
		{desc: "a project whose parent is not listed is a root", line: "gerrit ls-projects --tree -r (gone|lib|rights) --all",
			want: out{0, "`-- gone\n`-- rights\n    `-- lib\n", ""}},
		{desc: "tree and branches", line: "gerrit ls-projects --tree -b main",
			want: out{1, "", "fatal: --tree and --show-branch options are not compatible.\n"}},
		{desc: "legacy --name", line: "gerrit create-project --name old/style",
			want: out{0, "", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := e.run(e.admin, tc.line); got != tc.want {
				t.Fatalf("%s:\n got %+v\nwant %+v", tc.line, got, tc.want)
			}
		})
	}
	for name, want := range map[string]string{"app": project.BoolFalse, "lib": project.BoolTrue} {
		st, err := e.projects.Load(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Config.Receive.RequireChangeID != want || st.ParentName != "rights" {
			t.Errorf("%s: requireChangeId %q, parent %q; want %q, rights", name, st.Config.Receive.RequireChangeID, st.ParentName, want)
		}
	}
}

// TestWriteTree draws several roots: while roots follow, their line of
// "|" marks the indentation, as in Gerrit.
func TestWriteTree(t *testing.T) {
	var b strings.Builder
	writeTree(&b, []string{"a", "a/x", "a/y", "b", "b/z", "b/z/deep"},
		map[string]string{"a": "hidden", "a/x": "a", "a/y": "a", "b": "?-1", "b/z": "b", "b/z/deep": "b/z"})
	want := "`-- a\n" +
		"|   |-- a/x\n" +
		"|   `-- a/y\n" +
		"`-- b\n" +
		"    `-- b/z\n" +
		"        `-- b/z/deep\n"
	if b.String() != want {
		t.Fatalf("tree:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestCreateBranchFromHiddenHistory(t *testing.T) {
	e := newEnv(t)
	bob := e.user("bob")
	e.must("gerrit create-group --member bob creators")
	e.must("gerrit create-project --empty-commit app")
	// creators may create branches but not push; the configuration commit
	// is something bob may not read.
	ctx := context.Background()
	st, err := e.projects.Load(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	g, err := e.accounts.ResolveGroup(ctx, "creators")
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.Config
	cfg.Access = append(cfg.Access, project.AccessSection{Pattern: "refs/heads/*", Permissions: []project.Permission{
		{Name: "create", Rules: []project.Rule{{Action: project.Allow, Group: project.GroupRef{UUID: g.UUID, Name: g.Name}}}},
	}})
	cfg.Groups = append(cfg.Groups, project.GroupRef{UUID: g.UUID, Name: g.Name})
	if _, err := e.projects.Save(ctx, "app", st.Revision, cfg, "let creators create\n", project.Ident{Name: "Admin", Email: "admin@example.com"}); err != nil {
		t.Fatal(err)
	}
	r, err := e.projects.Open(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	meta, err := r.Resolve(ctx, project.ConfigRef)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc string
		line string
		want out
	}{
		{desc: "from a readable branch", line: "gerrit create-branch app topic main", want: out{0, "", ""}},
		{desc: "from the hidden configuration", line: "gerrit create-branch app leak " + meta,
			want: out{1, "", "fatal: update for creating new commit object not permitted\n"}},
		{desc: "not a commit", line: "gerrit create-branch app x main^{tree}", want: out{1, "", "fatal: invalid revision \"main^{tree}\"\n"}},
		{desc: "bad name", line: "gerrit create-branch app 'a..b' main", want: out{1, "", "fatal: Branch \"refs/heads/a..b\" is not a valid name\n"}},
		{desc: "hidden project", line: "gerrit create-branch All-Users x main", want: out{1, "", "fatal: project All-Users not found\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := e.run(bob, tc.line); got != tc.want {
				t.Fatalf("%s:\n got %+v\nwant %+v", tc.line, got, tc.want)
			}
		})
	}
}

func TestEscapeControl(t *testing.T) {
	tests := []struct{ desc, in, want string }{
		{"plain", "a description", "a description"},
		{"C escapes", "a\tb\nc\rd\a\b\v\f", `a\tb\nc\rd\a\b\v\f`},
		{"hex for the rest", "\x00\x1b\x1f", `\x00\x1b\x1f`},
		{"backslash doubled", `a\b`, `a\\b`},
		{"unicode untouched", "café ✓", "café ✓"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := escapeControl(tc.in); got != tc.want {
				t.Errorf("escapeControl(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestProjectID(t *testing.T) {
	for in, want := range map[string]string{"demo": "demo", "team/app": "team%2Fapp", "a b": "a+b", "x*": "x*"} {
		if got := projectID(in); got != want {
			t.Errorf("projectID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInternal(t *testing.T) {
	plain := errors.New("SQL logic error: no such column")
	tests := []struct {
		desc     string
		err      error
		internal bool
	}{
		{"nil", nil, false},
		{"plain error hides its text", plain, true},
		{"wrapped plain error", fmt.Errorf("list: %w", plain), true},
		{"exit error", die("nope"), false},
		{"command line mistake", &cmdflag.Error{Msg: "bad"}, false},
		{"domain error", fail.Errorf(fail.NotFound, "Not found: x"), false},
		{"client went away", context.Canceled, false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got := internal(tc.err)
			if isInternal := got != nil && fail.Is(got, fail.Internal); isInternal != tc.internal {
				t.Fatalf("internal(%v) = %#v", tc.err, got)
			}
			if !tc.internal && got != tc.err {
				t.Fatalf("internal(%v) changed it to %v", tc.err, got)
			}
			if tc.internal && !errors.Is(got, plain) {
				t.Fatalf("internal(%v) lost the cause", tc.err)
			}
		})
	}
}

// TestSetProject changes a project's settings as python-gerritlib does,
// with the current and the older option spellings, for owners only.
func TestSetProject(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bob := e.user("bob")
	e.must("gerrit create-project app")
	load := func() *project.Config {
		t.Helper()
		st, err := e.projects.Load(ctx, "app")
		if err != nil {
			t.Fatal(err)
		}
		return st.Config
	}
	e.must(`gerrit set-project app --description 'new words' --submit-type cherry_pick --change-id false --so --project-state read_only --max-object-size-limit 2m`)
	cfg := load()
	if cfg.Description != "new words" || cfg.Submit.Action != "CHERRY_PICK" || cfg.Receive.RequireChangeID != project.BoolFalse ||
		cfg.Receive.RequireSignedOffBy != project.BoolTrue || cfg.State != project.StateReadOnly || cfg.Receive.MaxObjectSizeLimit != 2<<20 {
		t.Fatalf("after set-project: %+v", cfg)
	}
	// Unset options leave their settings alone; the legacy switches work.
	e.must("gerrit set-project app --nso --use-content-merge")
	cfg = load()
	if cfg.Description != "new words" || cfg.Receive.RequireSignedOffBy != project.BoolFalse || cfg.Submit.MergeContent != project.BoolTrue {
		t.Fatalf("after the switches: %+v", cfg)
	}
	st, _ := e.projects.Load(ctx, "app")
	e.must("gerrit set-project app --submit-type CHERRY_PICK")
	if again, _ := e.projects.Load(ctx, "app"); again.Revision != st.Revision {
		t.Fatalf("a set-project that changes nothing wrote a commit")
	}
	for line, want := range map[string]out{
		"gerrit set-project app --submit-type sometimes": {1, "", "fatal: \"sometimes\" is not a valid value for \"--submit-type\"\n"},
		"gerrit set-project nowhere -d x":                {1, "", "fatal: project nowhere not found\n"},
	} {
		if got := e.run(e.admin, line); got != want {
			t.Errorf("%s: %+v, want %+v", line, got, want)
		}
	}
	if got := e.run(bob, "gerrit set-project app -d mine"); got.code != 1 || got.stderr != "fatal: write config not permitted\n" {
		t.Fatalf("bob sets the project: %+v", got)
	}
}

// TestCreateProjectSettings: create-project writes the inheritable
// settings and the object size limit it is given into the first commit.
func TestCreateProjectSettings(t *testing.T) {
	e := newEnv(t)
	e.must("gerrit create-project --so --content-merge false --ca --reject-empty-commit true --ncfa --max-object-size-limit 1k tidy")
	st, err := e.projects.Load(context.Background(), "tidy")
	if err != nil {
		t.Fatal(err)
	}
	r, sub := st.Config.Receive, st.Config.Submit
	if r.RequireSignedOffBy != project.BoolTrue || sub.MergeContent != project.BoolFalse || r.RequireContributorAgreement != project.BoolTrue ||
		sub.RejectEmptyCommit != project.BoolTrue || r.CreateNewChangeForAllNotInTarget != project.BoolTrue || r.MaxObjectSizeLimit != 1024 ||
		r.RequireChangeID != project.BoolInherit {
		t.Fatalf("tidy's settings: receive %+v, submit %+v", r, sub)
	}
	if got := e.run(e.admin, "gerrit create-project --max-object-size-limit lots big"); got != (out{1, "", "fatal: invalid value for --max-object-size-limit: lots\n"}) {
		t.Fatalf("bad size: %+v", got)
	}
}

func TestListUserRefs(t *testing.T) {
	e := newEnv(t)
	bob := e.user("bob")
	e.must("gerrit create-project --empty-commit app")
	e.must("gerrit create-branch app stable main")
	tests := []struct {
		desc string
		as   *account.Account
		line string
		want out
	}{
		{desc: "a registered user", as: e.admin, line: "gerrit ls-user-refs -p app -u bob",
			want: out{0, "HEAD\nrefs/heads/main\nrefs/heads/stable\n", ""}},
		{desc: "an owner also sees the configuration", as: e.admin, line: "gerrit ls-user-refs --project app --user admin",
			want: out{0, "HEAD\nrefs/heads/main\nrefs/heads/stable\nrefs/meta/config\n", ""}},
		{desc: "branches only", as: e.admin, line: "gerrit ls-user-refs -p app.git -u bob --only-refs-heads",
			want: out{0, "refs/heads/main\nrefs/heads/stable\n", ""}},
		{desc: "an unknown user", as: e.admin, line: "gerrit ls-user-refs -p app -u nobody",
			want: out{0, "Account 'nobody' not found\n", ""}},
		{desc: "an unknown project", as: e.admin, line: "gerrit ls-user-refs -p nope -u bob",
			want: out{1, "", "fatal: project nope not found\n"}},
		{desc: "no user", as: e.admin, line: "gerrit ls-user-refs -p app",
			want: out{1, "", "fatal: Option \"--user (-u)\" is required\n"}},
		{desc: "without readAs", as: bob, line: "gerrit ls-user-refs -p app -u admin",
			want: out{1, "", "fatal: not permitted: read as\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := e.run(tc.as, tc.line); got != tc.want {
				t.Fatalf("%s:\n got %+v\nwant %+v", tc.line, got, tc.want)
			}
		})
	}
}
