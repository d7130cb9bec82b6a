package e2e

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGitHosting is the user's path through git hosting on both databases:
// create a project, clone anonymously, push over HTTP and SSH, be refused
// where the rules say so, and change the rules by pushing project.config.
func TestGitHosting(t *testing.T) {
	for _, dbType := range []string{"sqlite", "postgresql"} {
		t.Run(dbType, func(t *testing.T) {
			s := startServer(t, dbType)
			testGitHosting(t, s)
		})
	}
}

func testGitHosting(t *testing.T, s *server) {
	r := s.admin(t, "PUT", "/a/projects/demo", map[string]any{"description": "Demo project", "create_empty_commit": true})
	expect(t, r, 201, "create project")
	var info map[string]any
	r.json(t, &info)
	if info["name"] != "demo" || info["parent"] != "All-Projects" {
		t.Fatalf("project info = %v", info)
	}
	r = s.admin(t, "PUT", "/a/projects/demo", map[string]any{})
	expect(t, r, 409, "create project twice")
	if strings.TrimSpace(r.body) != `Project "demo" already exists` {
		t.Fatalf("409 body = %q", r.body)
	}

	// Anonymous clone over HTTP (protocol v2 is git's default).
	anon := filepath.Join(t.TempDir(), "anon")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "demo"), anon)
	if log := s.mustGit(t, anon, "", "log", "--format=%s"); !strings.Contains(log, "Initial empty repository") {
		t.Fatalf("anonymous clone log = %q", log)
	}

	// Authenticated push over HTTP, then over SSH.
	s.commit(t, anon, "a.txt", "one\n")
	s.mustGit(t, anon, "", "push", "-q", s.httpURL("admin", adminPassword, "demo"), "HEAD:refs/heads/main")
	tip := s.commit(t, anon, "a.txt", "two\n")
	s.mustGit(t, anon, s.adminKey, "push", "-q", s.sshURL("admin", "demo"), "HEAD:refs/heads/main")
	r = s.call(t, "GET", "/projects/demo/branches/main", "", "", nil, "")
	expect(t, r, 200, "get branch")
	var br map[string]any
	r.json(t, &br)
	if br["revision"] != tip {
		t.Fatalf("branch revision = %v, want %s", br["revision"], tip)
	}

	// Clone over SSH with protocol v0 and v2.
	for _, proto := range []string{"0", "2"} {
		dir := filepath.Join(t.TempDir(), "ssh"+proto)
		s.mustGit(t, "", s.adminKey, "-c", "protocol.version="+proto, "clone", "-q", s.sshURL("admin", "demo.git"), dir)
		if got := strings.TrimSpace(s.mustGit(t, dir, "", "rev-parse", "HEAD")); got != tip {
			t.Fatalf("ssh clone v%s HEAD = %s, want %s", proto, got, tip)
		}
	}

	// Anonymous push: 401, so git asks for credentials (and fails without).
	s.commit(t, anon, "a.txt", "three\n")
	out, err := s.git(t, anon, "", "push", s.httpURL("", "", "demo"), "HEAD:refs/heads/main")
	if err == nil || !strings.Contains(out, "could not read Username") {
		t.Fatalf("anonymous push: err=%v out=%s", err, out)
	}

	// An unprivileged user may not push directly.
	userKey := s.createUser(t, "alice")
	out, err = s.git(t, anon, userKey, "push", s.sshURL("alice", "demo"), "HEAD:refs/heads/main")
	if err == nil || !strings.Contains(out, "prohibited by Gerrit: not permitted: update") {
		t.Fatalf("alice's push: err=%v out=%s", err, out)
	}
	out, err = s.git(t, anon, "", "push", s.httpURL("alice", "alice-pw", "demo"), "HEAD:refs/heads/feature")
	if err == nil || !strings.Contains(out, "prohibited by Gerrit: not permitted: create") {
		t.Fatalf("alice's branch creation: err=%v out=%s", err, out)
	}

	// Wrong password and unknown key.
	// git sends credentials only when challenged: on /a/ and on push.
	for _, args := range [][]string{{"ls-remote", s.httpURL("alice", "wrong", "a/demo")}, {"push", s.httpURL("alice", "wrong", "demo"), "HEAD:refs/heads/main"}} {
		out, err = s.git(t, anon, "", args...)
		if err == nil || !strings.Contains(out, "Authentication failed") {
			t.Fatalf("wrong password, git %s: err=%v out=%s", args[0], err, out)
		}
	}
	r = s.call(t, "GET", "/a/accounts/self", "alice", "wrong", nil, "")
	expect(t, r, 401, "REST with wrong password")
	if r.header.Get("WWW-Authenticate") != `Basic realm="Gerrit Code Review"` {
		t.Fatalf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
	}
	strangerKey := sshKey(t, t.TempDir(), "stranger")
	_, stderr, code := s.ssh(t, "alice", strangerKey, "", "gerrit", "version")
	if code != 255 || !strings.Contains(stderr, "Permission denied") {
		t.Fatalf("unknown key: code %d stderr %q", code, stderr)
	}

	// refs/meta/config is hidden from anonymous readers, by name and by id,
	// in both protocol versions.
	ls := s.mustGit(t, "", "", "ls-remote", s.httpURL("", "", "demo"))
	if strings.Contains(ls, "refs/meta/config") {
		t.Fatalf("anonymous ls-remote shows refs/meta/config:\n%s", ls)
	}
	adminLs := s.mustGit(t, "", "", "ls-remote", s.httpURL("admin", adminPassword, "a/demo"), "refs/meta/config")
	metaSHA := strings.Fields(adminLs)[0]
	for _, proto := range []string{"0", "2"} {
		out, err = s.git(t, anon, "", "-c", "protocol.version="+proto, "fetch", s.httpURL("", "", "demo"), "refs/meta/config")
		if err == nil {
			t.Fatalf("v%s anonymous fetch of refs/meta/config succeeded:\n%s", proto, out)
		}
		out, err = s.git(t, anon, "", "-c", "protocol.version="+proto, "fetch", s.httpURL("", "", "demo"), metaSHA)
		if err == nil {
			t.Fatalf("v%s anonymous fetch of the config commit by id succeeded:\n%s", proto, out)
		}
	}

	// The owner changes the rules by pushing project.config: Registered
	// Users may now push to refs/heads/*.
	cfgDir := filepath.Join(t.TempDir(), "cfg")
	s.mustGit(t, "", "", "init", "-q", cfgDir)
	s.mustGit(t, cfgDir, "", "fetch", "-q", s.httpURL("admin", adminPassword, "a/demo"), "refs/meta/config")
	s.mustGit(t, cfgDir, "", "checkout", "-q", "FETCH_HEAD")
	appendFile(t, filepath.Join(cfgDir, "project.config"), "[access \"refs/heads/*\"]\n\tpush = group Registered Users\n")
	appendFile(t, filepath.Join(cfgDir, "groups"), "global:Registered-Users\tRegistered Users\n")
	s.mustGit(t, cfgDir, "", "commit", "-q", "-am", "let registered users push")

	// Alice may not push the configuration herself; she cannot even see it.
	out, err = s.git(t, cfgDir, "", "push", s.httpURL("alice", "alice-pw", "demo"), "HEAD:refs/meta/config")
	if err == nil || !strings.Contains(out, "deny updating a hidden ref") && !strings.Contains(out, "prohibited by Gerrit") {
		t.Fatalf("alice's config push: err=%v out=%s", err, out)
	}
	s.mustGit(t, cfgDir, "", "push", "-q", s.httpURL("admin", adminPassword, "demo"), "HEAD:refs/meta/config")

	aliceDir := filepath.Join(t.TempDir(), "alice")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("alice", "alice-pw", "demo"), aliceDir)
	aliceCommit(t, s, aliceDir, "b.txt", "from alice\n")
	s.mustGit(t, aliceDir, userKey, "push", "-q", s.sshURL("alice", "demo"), "HEAD:refs/heads/main")

	// A malformed configuration, and one naming an unknown group, are
	// refused with the line at fault; the old rules stay.
	appendFile(t, filepath.Join(cfgDir, "project.config"), "[access \"refs/tags/*\"]\n\tcreate = group Nobody Knows\n")
	s.mustGit(t, cfgDir, "", "commit", "-q", "-am", "unknown group")
	out, err = s.git(t, cfgDir, "", "push", s.httpURL("admin", adminPassword, "demo"), "HEAD:refs/meta/config")
	if err == nil || !strings.Contains(out, "invalid project configuration") || !strings.Contains(out, "Nobody Knows") || !strings.Contains(out, "line") {
		t.Fatalf("bad config push: err=%v out=%s", err, out)
	}
	s.mustGit(t, cfgDir, "", "reset", "-q", "--hard", "HEAD~1")
	appendFile(t, filepath.Join(cfgDir, "project.config"), "[access \"refs/tags/*\"\n")
	s.mustGit(t, cfgDir, "", "commit", "-q", "-am", "syntax error")
	out, err = s.git(t, cfgDir, "", "push", s.httpURL("admin", adminPassword, "demo"), "HEAD:refs/meta/config")
	if err == nil || !strings.Contains(out, "invalid project configuration") {
		t.Fatalf("malformed config push: err=%v out=%s", err, out)
	}
}

func appendFile(t testing.TB, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// aliceCommit commits as alice, whose email is alice@example.com.
func aliceCommit(t testing.TB, s *server, dir, file, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add", "."}, {"commit", "-q", "-m", "alice adds " + file}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(s.gitEnv(""), "GIT_AUTHOR_NAME=Alice", "GIT_AUTHOR_EMAIL=alice@example.com",
			"GIT_COMMITTER_NAME=Alice", "GIT_COMMITTER_EMAIL=alice@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// TestBadProjectNames: names that could leave gerrit.basePath are refused
// with 400 and create nothing.
func TestBadProjectNames(t *testing.T) {
	s := startServer(t, "sqlite")
	for _, name := range []string{"..", "../evil", "a/../../evil", "/abs", "a/.git/b", "a\x00b", "a\nb", "a//b", "-rf", "a/./b"} {
		r := s.admin(t, "PUT", "/a/projects/"+url.PathEscape(name), map[string]any{})
		if r.status != 400 {
			t.Errorf("create %q: status %d body %q, want 400", name, r.status, r.body)
		}
	}
	entries, err := os.ReadDir(filepath.Join(s.site, "git"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "All-Projects.git" && e.Name() != "All-Users.git" {
			t.Errorf("unexpected entry in basePath: %s", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(s.site, "evil.git")); err == nil {
		t.Errorf("evil.git created outside basePath")
	}
}
