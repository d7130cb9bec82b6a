package receive_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/git"
	"tandem/internal/git/gittest"
	"tandem/internal/git/repo"
	"tandem/internal/project"
	"tandem/internal/receive"
)

// The test binary is its own proc-receive hook: git runs it through a
// symlink of that name, as it runs the tandem binary.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "proc-receive" {
		os.Exit(receive.RunHook("proc-receive", os.Getenv, os.Stdin, os.Stdout, os.Stderr))
	}
	gittest.Main(m)
}

var (
	admins = project.GroupRef{UUID: strings.Repeat("a", 40), Name: "Administrators"}
	owners = project.GroupRef{UUID: strings.Repeat("b", 40), Name: "Owners"}
)

// demoConfig is the project.config of project demo: Owners own it and may
// force push branches; Registered Users may create and push under
// refs/heads/alice/ and refs/sandbox/ (where nobody may forge identities)
// and create lightweight tags.
const demoConfig = `[project]
	description = demo
[access]
	inheritFrom = All-Projects
[access "refs/*"]
	owner = group Owners
[access "refs/heads/*"]
	push = +force group Owners
[access "refs/heads/alice/*"]
	create = group Registered Users
	push = group Registered Users
[access "refs/sandbox/*"]
	create = group Registered Users
	push = group Registered Users
[access "refs/tags/*"]
	create = group Registered Users
`

var demoGroups = owners.UUID + "\tOwners\nglobal:Registered-Users\tRegistered Users\n"

// user is a pusher.
type user struct {
	acct   *account.Account
	groups map[string]bool
}

func newUser(id int64, name string, groups ...project.GroupRef) *user {
	u := &user{
		acct:   &account.Account{ID: id, Username: name, Emails: []string{name + "@example.com"}},
		groups: map[string]bool{project.AnonymousUsers.UUID: true, project.RegisteredUsers.UUID: true},
	}
	for _, g := range groups {
		u.groups[g.UUID] = true
	}
	return u
}

var (
	admin  = newUser(1000000, "admin", admins)
	olivia = newUser(1000001, "olivia", owners)
	alice  = newUser(1000002, "alice")
)

// fixture is a site with All-Projects (Gerrit's default rules) and demo,
// whose bare repository sends every ref of a push to the Receiver through
// the proc-receive hook and the Bridge.
type fixture struct {
	runner *git.Runner
	store  *repo.Store
	rc     *receive.Receiver
	bridge *receive.Bridge
	rp     *repo.Repo // demo
	main   string     // first commit of refs/heads/main
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, nil)
}

// newFixtureWith is newFixture with pushes for review enabled by uploads
// when it is not nil.
func newFixtureWith(t *testing.T, uploads *receive.Uploads) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{runner: gittest.Runner(t)}
	f.store = repo.NewStore(t.TempDir(), f.runner)
	t.Cleanup(func() { f.store.Close() })

	all := project.DefaultAllProjects(admins, project.GroupRef{}, project.GroupRef{})
	pc, groups := all.Files()
	f.createProject(t, project.AllProjects, string(pc), string(groups))
	f.rp = f.createProject(t, "demo", demoConfig, demoGroups)
	f.main = gittest.WriteCommit(t, f.rp.Path, "refs/heads/main", "initial", map[string]string{"a.txt": "a\n"})

	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	projects := project.New(project.Options{Repos: f.store, Runner: f.runner, Logger: log})
	f.rc = receive.NewReceiver(f.runner, projects, access.NewControl(projects), log)
	if uploads != nil {
		f.rc.EnableUploads(uploads)
	}
	b, err := receive.NewBridge(f.rc, log)
	if err != nil {
		t.Fatal(err)
	}
	f.bridge = b
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Serve(sctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("bridge: %v", err)
		}
	})

	// The repository runs the hook the way the daemon's git does, with
	// the configuration of a push session.
	hooks := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(hooks, "proc-receive")); err != nil {
		t.Fatal(err)
	}
	gittest.Exec(t, f.rp.Path, "config", "core.hooksPath", hooks)
	s := b.Begin(receive.Push{})
	for _, p := range s.Config() {
		gittest.Exec(t, f.rp.Path, "config", p.Key, p.Value)
	}
	s.End()
	return f
}

func (f *fixture) createProject(t *testing.T, name, projectConfig, groups string) *repo.Repo {
	t.Helper()
	rp, err := f.store.Create(context.Background(), name, "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	gittest.WriteCommit(t, rp.Path, project.ConfigRef, "config",
		map[string]string{"project.config": projectConfig, "groups": groups})
	return rp
}

// push runs git push from dir to demo as u and returns git's output;
// args are options (starting with "-") then refspecs.
func (f *fixture) push(t *testing.T, u *user, dir string, args ...string) (string, error) {
	t.Helper()
	s := f.bridge.Begin(receive.Push{Caller: u.acct, Groups: u.groups, Project: "demo", Repo: f.rp})
	defer s.End()
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		i++
	}
	argv := append([]string{"push", "--porcelain"}, args[:i]...)
	argv = append(append(argv, f.rp.Path), args[i:]...)
	cmd := exec.Command("git", argv...)
	cmd.Dir = dir
	cmd.Env = append(gittest.Env(), s.Env()...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// commit makes a commit in dir as author and committer (emails), on top
// of HEAD, and returns its id.
func commit(t *testing.T, dir, authorEmail, committerEmail, msg string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte(msg+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Exec(t, dir, "add", "f.txt")
	gittest.ExecInput(t, dir, nil, []string{"GIT_AUTHOR_EMAIL=" + authorEmail, "GIT_COMMITTER_EMAIL=" + committerEmail},
		"commit", "-q", "-m", msg)
	return gittest.Exec(t, dir, "rev-parse", "HEAD")
}

func (f *fixture) ref(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("git", "--git-dir="+f.rp.Path, "rev-parse", "-q", "--verify", name).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// step is one push and what it must do.
type step struct {
	desc    string
	user    *user
	args    []string // git push options and refspecs
	ok      bool
	reason  string             // in git's status line when rejected
	remote  []string           // lines git shows as "remote: …"
	ref     string             // ref whose value is then checked ("" = none)
	want    string             // expected value of ref ("" = absent)
	prepare func(t *testing.T) // run before the push
}

func (f *fixture) run(t *testing.T, dir string, steps []step) {
	t.Helper()
	for _, st := range steps {
		t.Run(st.desc, func(t *testing.T) {
			if st.prepare != nil {
				st.prepare(t)
			}
			out, err := f.push(t, st.user, dir, st.args...)
			// git pads side-band lines to clear the terminal's line.
			lines := strings.Split(out, "\n")
			for i, l := range lines {
				lines[i] = strings.TrimRight(l, " ")
			}
			out = strings.Join(lines, "\n")
			if st.ok && err != nil {
				t.Fatalf("push failed: %v\n%s", err, out)
			}
			if !st.ok {
				if err == nil {
					t.Fatalf("push succeeded:\n%s", out)
				}
				if !strings.Contains(out, "("+st.reason+")") {
					t.Errorf("push output lacks reason %q:\n%s", st.reason, out)
				}
			}
			for _, line := range st.remote {
				if !strings.Contains(out, "remote: "+line+"\n") {
					t.Errorf("push output lacks %q:\n%s", "remote: "+line, out)
				}
			}
			if st.ref != "" {
				if got := f.ref(t, st.ref); got != st.want {
					t.Errorf("%s = %q, want %q", st.ref, got, st.want)
				}
			}
		})
	}
}

func TestBranchPushes(t *testing.T) {
	f := newFixture(t)
	w := gittest.Clone(t, f.rp.Path)
	email := func(u *user) string { return u.acct.Emails[0] }
	c1 := commit(t, w.Dir, email(alice), email(alice), "one")
	gittest.Exec(t, w.Dir, "checkout", "-q", "-b", "side", f.main)
	side := commit(t, w.Dir, email(alice), email(alice), "side")
	gittest.Exec(t, w.Dir, "checkout", "-q", "main")
	c2 := commit(t, w.Dir, email(admin), email(admin), "two")
	c3 := commit(t, w.Dir, email(alice), email(alice), "three")
	// Over 100 objects: receive-pack keeps a pack instead of loose
	// objects, which the daemon's long-lived readers must see too.
	files := map[string]string{}
	for i := range 150 {
		files[fmt.Sprintf("many/%d.txt", i)] = fmt.Sprintf("%d\n", i)
	}
	gittest.Exec(t, w.Dir, "checkout", "-q", "-b", "big", f.main)
	w.WriteFiles(files)
	gittest.Exec(t, w.Dir, "add", ".")
	gittest.ExecInput(t, w.Dir, nil, []string{"GIT_AUTHOR_EMAIL=" + email(olivia), "GIT_COMMITTER_EMAIL=" + email(olivia)}, "commit", "-q", "-m", "big")
	big := gittest.Exec(t, w.Dir, "rev-parse", "HEAD")
	gittest.Exec(t, w.Dir, "checkout", "-q", "main")

	f.run(t, w.Dir, []step{
		{desc: "update refused", user: alice, args: []string{c1 + ":refs/heads/main"},
			reason: "prohibited by Gerrit: not permitted: update",
			remote: []string{"error: branch refs/heads/main:", "To push into this reference you need 'Push' rights.",
				"User: alice", "Contact an administrator to fix the permissions"},
			ref: "refs/heads/main", want: f.main},
		{desc: "create refused", user: alice, args: []string{c1 + ":refs/heads/feature"},
			reason: "prohibited by Gerrit: not permitted: create",
			remote: []string{"You need 'Create' rights to create new references."},
			ref:    "refs/heads/feature"},
		{desc: "create where allowed", user: alice, args: []string{c1 + ":refs/heads/alice/topic"}, ok: true,
			remote: []string{"Processing changes: refs: 1, done"},
			ref:    "refs/heads/alice/topic", want: c1},
		{desc: "fast-forward", user: admin, args: []string{c2 + ":refs/heads/main"}, ok: true,
			ref: "refs/heads/main", want: c2},
		{desc: "advice grouped by text", user: alice, args: []string{c3 + ":refs/heads/main", c3 + ":refs/heads/x", c3 + ":refs/heads/y"},
			reason: "prohibited by Gerrit: not permitted: create",
			remote: []string{"error: branch refs/heads/main:", "error: branches refs/heads/x, refs/heads/y:"},
			ref:    "refs/heads/main", want: c2},
		{desc: "force update refused", user: alice, args: []string{"+" + side + ":refs/heads/alice/topic"},
			reason: "prohibited by Gerrit: not permitted: force update",
			remote: []string{"You need 'Push' rights with 'Force' flag set to do a non-fastforward push."},
			ref:    "refs/heads/alice/topic", want: c1},
		{desc: "force update without force permission", user: admin, args: []string{"+" + side + ":refs/heads/main"},
			reason: "prohibited by Gerrit: not permitted: force update", ref: "refs/heads/main", want: c2},
		{desc: "force update", user: olivia, args: []string{"+" + side + ":refs/heads/main"}, ok: true,
			ref: "refs/heads/main", want: side},
		{desc: "delete refused", user: alice, args: []string{":refs/heads/alice/topic"},
			reason: "prohibited by Gerrit: not permitted: delete",
			remote: []string{"You need 'Delete Reference' rights or 'Push' rights with the", "'Force Push' flag set to delete references."},
			ref:    "refs/heads/alice/topic", want: c1},
		{desc: "delete with force push", user: olivia, args: []string{":refs/heads/alice/topic"}, ok: true,
			ref: "refs/heads/alice/topic"},
		{desc: "upload to refs/changes", user: admin, args: []string{c2 + ":refs/changes/01/1/1"},
			reason: "upload to refs/changes not allowed", ref: "refs/changes/01/1/1"},
		{desc: "delete in refs/changes", user: admin, args: []string{":refs/changes/02/2/1"},
			prepare: func(t *testing.T) { gittest.Exec(t, f.rp.Path, "update-ref", "refs/changes/02/2/1", f.main) },
			reason:  "cannot delete changes", remote: []string{"Cannot delete from 'refs/changes/'"},
			ref: "refs/changes/02/2/1", want: f.main},
		{desc: "review uploads are not here yet", user: alice, args: []string{c2 + ":refs/for/main"},
			reason: "upload for review is not enabled on this server"},
		{desc: "objects received as a pack", user: olivia, args: []string{big + ":refs/heads/big"}, ok: true,
			prepare: func(t *testing.T) {
				if n := gittest.Exec(t, f.rp.Path, "count-objects", "-v"); !strings.Contains(n, "packs: 0") {
					t.Fatalf("repository already has packs:\n%s", n)
				}
			},
			ref: "refs/heads/big", want: big},
	})
	if n := gittest.Exec(t, f.rp.Path, "count-objects", "-v"); strings.Contains(n, "packs: 0") {
		t.Errorf("the big push left no pack:\n%s", n)
	}
}

func TestIdentities(t *testing.T) {
	f := newFixture(t)
	w := gittest.Clone(t, f.rp.Path)
	base := gittest.Exec(t, w.Dir, "rev-parse", "HEAD")
	mine := "alice@example.com"
	forgedAuthor := commit(t, w.Dir, "bob@example.com", mine, "forged author")
	short := gittest.Exec(t, w.Dir, "rev-parse", "--short", forgedAuthor)
	gittest.Exec(t, w.Dir, "reset", "-q", "--hard", base)
	forgedCommitter := commit(t, w.Dir, mine, "bob@example.com", "forged committer")
	shortC := gittest.Exec(t, w.Dir, "rev-parse", "--short", forgedCommitter)
	gittest.Exec(t, w.Dir, "reset", "-q", "--hard", base)
	fine := commit(t, w.Dir, strings.ToUpper(mine), mine, "mine")

	f.run(t, w.Dir, []step{
		{desc: "forged author", user: alice, args: []string{forgedAuthor + ":refs/sandbox/a"},
			reason: "commit " + short + ": invalid author",
			remote: []string{"ERROR: commit " + short + ": email address bob@example.com is not registered in your account, and you lack 'forge author' permission.",
				"The following addresses are currently registered:", "   alice@example.com"},
			ref: "refs/sandbox/a"},
		// Registered Users may forge the author on refs/heads/*.
		{desc: "forged author with forgeAuthor", user: alice, args: []string{forgedAuthor + ":refs/heads/alice/a"}, ok: true,
			ref: "refs/heads/alice/a", want: forgedAuthor},
		{desc: "forged committer", user: alice, args: []string{forgedCommitter + ":refs/heads/alice/c"},
			reason: "commit " + shortC + ": invalid committer",
			remote: []string{"ERROR: commit " + shortC + ": email address bob@example.com is not registered in your account, and you lack 'forge committer' permission."},
			ref:    "refs/heads/alice/c"},
		{desc: "own emails in any case", user: alice, args: []string{fine + ":refs/sandbox/b"}, ok: true,
			ref: "refs/sandbox/b", want: fine},
		// Commits already in a branch are not checked again.
		{desc: "known commit", user: alice, args: []string{forgedAuthor + ":refs/sandbox/c"}, ok: true,
			ref: "refs/sandbox/c", want: forgedAuthor},
		{desc: "forge committer permission", user: olivia, args: []string{forgedCommitter + ":refs/heads/olivia"}, ok: true,
			ref: "refs/heads/olivia", want: forgedCommitter},
	})
}

func TestTags(t *testing.T) {
	f := newFixture(t)
	w := gittest.Clone(t, f.rp.Path)
	onMain := gittest.Exec(t, w.Dir, "rev-parse", "HEAD")
	fresh := commit(t, w.Dir, "olivia@example.com", "olivia@example.com", "not in any branch")
	tag := func(name, email, target string, signed bool) string {
		msg := "tag " + name + "\n"
		if signed {
			msg += "-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n"
		}
		obj := fmt.Sprintf("object %s\ntype commit\ntag %s\ntagger T <%s> 1700000000 +0000\n\n%s", target, name, email, msg)
		oid := gittest.ExecInput(t, w.Dir, []byte(obj), nil, "mktag")
		gittest.Exec(t, w.Dir, "update-ref", "refs/tags/"+name, oid)
		return oid
	}
	byOlivia := tag("a1", "olivia@example.com", onMain, false)
	byOther := tag("a2", "bob@example.com", onMain, false)
	signed := tag("s1", "olivia@example.com", onMain, true)
	tag("a3", "alice@example.com", onMain, false)
	tag("a4", "olivia@example.com", fresh, false)
	tag("a5", "olivia@example.com", onMain, false)

	f.run(t, w.Dir, []step{
		{desc: "lightweight tag of a branch commit", user: alice, args: []string{onMain + ":refs/tags/l1"}, ok: true,
			ref: "refs/tags/l1", want: onMain},
		{desc: "lightweight tag of a new commit", user: olivia, args: []string{fresh + ":refs/tags/l2"},
			reason: "prohibited by Gerrit: update for creating new commit object not permitted",
			remote: []string{"use a SHA1 visible to you, or get update permission on the ref"}, ref: "refs/tags/l2"},
		{desc: "annotated tag", user: olivia, args: []string{"refs/tags/a1:refs/tags/a1"}, ok: true,
			ref: "refs/tags/a1", want: byOlivia},
		{desc: "annotated tag without createTag", user: alice, args: []string{"refs/tags/a3:refs/tags/a3"},
			reason: "prohibited by Gerrit: not permitted: create tag",
			remote: []string{"You need 'Create Tag' rights to push a normal tag."}, ref: "refs/tags/a3"},
		{desc: "annotated tag by another tagger", user: olivia, args: []string{"refs/tags/a2:refs/tags/a2"},
			reason: "prohibited by Gerrit: not permitted: forge committer", ref: "refs/tags/a2"},
		{desc: "annotated tag by another tagger, as administrator", user: admin, args: []string{"refs/tags/a2:refs/tags/a2"},
			reason: "prohibited by Gerrit: not permitted: forge committer", ref: "refs/tags/a2"},
		{desc: "signed tag", user: olivia, args: []string{"refs/tags/s1:refs/tags/s1"}, ok: true,
			ref: "refs/tags/s1", want: signed},
		{desc: "annotated tag of a new commit", user: olivia, args: []string{"refs/tags/a4:refs/tags/a4"},
			reason: "prohibited by Gerrit: update for creating new commit object not permitted", ref: "refs/tags/a4"},
		// Moving an annotated tag is never a fast-forward.
		{desc: "annotated tag moved", user: olivia, args: []string{"+refs/tags/a5:refs/tags/a1"},
			reason: "prohibited by Gerrit: not permitted: force update", ref: "refs/tags/a1", want: byOlivia},
		{desc: "lightweight tag moved forward", user: olivia, args: []string{"+" + fresh + ":refs/tags/l1"},
			reason: "prohibited by Gerrit: not permitted: update", ref: "refs/tags/l1", want: onMain},
		{desc: "tag deleted", user: olivia, args: []string{":refs/tags/l1"},
			reason: "prohibited by Gerrit: not permitted: delete", ref: "refs/tags/l1", want: onMain},
	})
	if byOther == "" {
		t.Fatal("no tag")
	}
}

func TestConfigPushes(t *testing.T) {
	f := newFixture(t)
	w := gittest.Clone(t, f.rp.Path)
	mainCommit := commit(t, w.Dir, "alice@example.com", "alice@example.com", "by alice")
	gittest.Exec(t, w.Dir, "fetch", "-q", "origin", project.ConfigRef)
	old := gittest.Exec(t, w.Dir, "rev-parse", "FETCH_HEAD")
	change := func(desc, email, projectConfig string) string {
		t.Helper()
		gittest.Exec(t, w.Dir, "checkout", "-q", old)
		w.WriteFiles(map[string]string{"project.config": projectConfig})
		gittest.ExecInput(t, w.Dir, nil, []string{"GIT_AUTHOR_EMAIL=" + email, "GIT_COMMITTER_EMAIL=" + email},
			"commit", "-q", "-am", desc)
		return gittest.Exec(t, w.Dir, "rev-parse", "HEAD")
	}
	letAlicePush := change("let registered users push", "olivia@example.com",
		demoConfig+"[access \"refs/heads/main\"]\n\tpush = group Registered Users\n")
	broken := change("unknown group", "olivia@example.com", demoConfig+"[access \"refs/heads/main\"]\n\tpush = group Nobody Knows\n")
	short := gittest.Exec(t, w.Dir, "rev-parse", "--short", broken)
	newParent := strings.Replace(demoConfig, "inheritFrom = All-Projects", "inheritFrom = demo2", 1)
	reparent := change("new parent", "olivia@example.com", newParent)
	reparentByAdmin := change("new parent", "admin@example.com", newParent)

	f.run(t, w.Dir, []step{
		{desc: "not an owner", user: alice, args: []string{letAlicePush + ":" + project.ConfigRef},
			reason: "prohibited by Gerrit: not permitted: update",
			remote: []string{"error: branch refs/meta/config:", "Configuration changes can only be pushed by project owners",
				"who also have 'Push' rights on refs/meta/config"},
			ref: project.ConfigRef, want: old},
		{desc: "invalid configuration", user: olivia, args: []string{broken + ":" + project.ConfigRef},
			reason: "commit " + short + ": invalid project configuration",
			remote: []string{"ERROR: commit " + short + ": Invalid project configuration:"},
			ref:    project.ConfigRef, want: old},
		{desc: "owner changes the parent", user: olivia, args: []string{reparent + ":" + project.ConfigRef},
			reason: "invalid project configuration: only Gerrit admin can set parent", ref: project.ConfigRef, want: old},
		{desc: "administrator sets a missing parent", user: admin, args: []string{reparentByAdmin + ":" + project.ConfigRef},
			reason: "invalid project configuration: parent does not exist", ref: project.ConfigRef, want: old},
		{desc: "owner", user: olivia, args: []string{letAlicePush + ":" + project.ConfigRef}, ok: true,
			ref: project.ConfigRef, want: letAlicePush},
		{desc: "new rules apply at once", user: alice, args: []string{mainCommit + ":refs/heads/main"}, ok: true,
			ref: "refs/heads/main", want: mainCommit},
		{desc: "delete", user: olivia, args: []string{":" + project.ConfigRef},
			reason: "cannot delete project configuration",
			remote: []string{"Cannot delete project configuration from 'refs/meta/config'"},
			ref:    project.ConfigRef, want: letAlicePush},
	})
}

func TestAtomicAndOptions(t *testing.T) {
	f := newFixture(t)
	w := gittest.Clone(t, f.rp.Path)
	c := commit(t, w.Dir, "alice@example.com", "alice@example.com", "one")
	f.run(t, w.Dir, []step{
		{desc: "atomic push with a refused ref", user: alice,
			args:   []string{"--atomic", c + ":refs/heads/alice/a", c + ":refs/heads/main"},
			reason: "transaction aborted", ref: "refs/heads/alice/a"},
		{desc: "the same push, not atomic", user: alice,
			args:   []string{c + ":refs/heads/alice/a", c + ":refs/heads/main"},
			reason: "prohibited by Gerrit: not permitted: update", ref: "refs/heads/alice/a", want: c},
		{desc: "atomic push", user: olivia, args: []string{"--atomic", c + ":refs/heads/main", c + ":refs/heads/b"}, ok: true,
			ref: "refs/heads/b", want: c},
		{desc: "push options", user: alice, args: []string{"--push-option=topic=x", "--push-option=notify=NONE", c + ":refs/heads/alice/o"}, ok: true,
			ref: "refs/heads/alice/o", want: c},
		{desc: "atomic push with options", user: alice, args: []string{"--atomic", "--push-option=topic=y", c + ":refs/heads/alice/p", c + ":refs/heads/alice/q"}, ok: true,
			ref: "refs/heads/alice/q", want: c},
	})
	if got := f.ref(t, "refs/heads/main"); got != c {
		t.Errorf("main = %s, want %s", got, c)
	}
}

func TestReadOnlyProject(t *testing.T) {
	f := newFixture(t)
	gittest.WriteCommit(t, f.rp.Path, project.ConfigRef, "freeze",
		map[string]string{"project.config": demoConfig + "[project]\n\tstate = read only\n", "groups": demoGroups},
		f.ref(t, project.ConfigRef))
	w := gittest.Clone(t, f.rp.Path)
	c := commit(t, w.Dir, "olivia@example.com", "olivia@example.com", "one")
	f.run(t, w.Dir, []step{
		{desc: "owner", user: olivia, args: []string{c + ":refs/heads/main"},
			reason: "prohibited by Gerrit: project state does not permit write", ref: "refs/heads/main", want: f.main},
	})
}
