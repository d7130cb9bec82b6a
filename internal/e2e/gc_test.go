package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGarbageCollection runs git gc the ways an administrator does, over
// REST (POST /projects/NAME/gc) and SSH (gerrit gc), and checks the
// repository is packed afterwards, that only runGC holders may, and that a
// gc already running is reported rather than run twice.
func TestGarbageCollection(t *testing.T) {
	s := startServer(t, "sqlite")
	aliceKey := s.createUser(t, "alice")
	expect(t, s.admin(t, "PUT", "/a/projects/gc-app", map[string]any{"create_empty_commit": true}), 201, "create project")
	work := filepath.Join(t.TempDir(), "work")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("admin", adminPassword, "a/gc-app"), work)
	for i := 0; i < 3; i++ {
		s.commit(t, work, fmt.Sprintf("f%d.txt", i), "content\n")
		s.mustGit(t, work, "", "push", "-q", s.httpURL("admin", adminPassword, "a/gc-app"), "HEAD:refs/heads/main")
	}
	type stats struct {
		Loose int `json:"number_of_loose_objects"`
		Packs int `json:"number_of_pack_files"`
	}
	statistics := func() stats {
		t.Helper()
		var st stats
		wantJSON(t, s.admin(t, "GET", "/a/projects/gc-app/statistics.git", nil), 200, &st)
		return st
	}
	if st := statistics(); st.Loose == 0 {
		t.Fatalf("no loose objects after small pushes: %+v", st)
	}

	expect(t, s.call(t, "POST", "/a/projects/gc-app/gc", "alice", "alice-pw", map[string]any{}, ""), 403, "gc without runGC")
	r := s.admin(t, "POST", "/a/projects/gc-app/gc", map[string]any{"aggressive": true})
	if r.status != 200 || r.body != "collecting garbage for \"gc-app\":\ndone.\n\n" ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("REST gc: %d %q", r.status, r.body)
	}
	if st := statistics(); st.Loose != 0 || st.Packs != 1 {
		t.Fatalf("after gc: %+v", st)
	}
	expect(t, s.admin(t, "GET", "/a/projects/gc-app/gc", nil), 405, "GET gc")

	// Over SSH: the same, for named projects or all of them.
	for _, c := range []struct {
		user, key string
		args      []string
		code      int
		stdout    string
		stderr    string
	}{
		{"alice", aliceKey, []string{"gc-app"}, 1, "", "fatal: not permitted: run garbage collection\n"},
		{"admin", s.adminKey, nil, 1, "", "fatal: needs projects as command arguments or --all option\n"},
		{"admin", s.adminKey, []string{"--all", "gc-app"}, 1, "", "fatal: either specify projects or use --all\n"},
		{"admin", s.adminKey, []string{"nope"}, 1, "", "fatal: project nope not found\n"},
		{"admin", s.adminKey, []string{"gc-app"}, 0, "collecting garbage for \"gc-app\":\ndone.\n\n", ""},
	} {
		line := strings.Join(append([]string{"gerrit gc"}, c.args...), " ")
		want(t, line+" as "+c.user, s.run(t, c.user, c.key, "", line), c.code, c.stdout, c.stderr)
	}
	stdout := ok(t, "gerrit gc --all", s.run(t, "admin", s.adminKey, "", "gerrit gc --all"))
	for _, p := range []string{"All-Projects", "All-Users", "gc-app"} {
		if !strings.Contains(stdout, "collecting garbage for \""+p+"\":\ndone.\n") {
			t.Fatalf("gerrit gc --all:\n%s", stdout)
		}
	}

	// A gc in progress (git's gc.pid names a live process on this host)
	// is reported, not run a second time.
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(s.site, "git", "gc-app.git", "gc.pid")
	if err := os.WriteFile(pidFile, []byte(fmt.Sprintf("%d %s", os.Getpid(), host)), 0o644); err != nil {
		t.Fatal(err)
	}
	wantText(t, s.admin(t, "POST", "/a/projects/gc-app/gc", map[string]any{}), 409,
		"garbage collection of \"gc-app\" is already running")
	want(t, "gerrit gc during a gc", s.run(t, "admin", s.adminKey, "", "gerrit gc gc-app gc-app"), 1,
		"collecting garbage for \"gc-app\":\nerror: garbage collection for project \"gc-app\" is already running\n\n", "")
	if err := os.Remove(pidFile); err != nil {
		t.Fatal(err)
	}

	// async answers at once and packs in the background: the new loose
	// objects go, and gc.pid with them once it is done.
	s.commit(t, work, "late.txt", "late\n")
	s.mustGit(t, work, "", "push", "-q", s.httpURL("admin", adminPassword, "a/gc-app"), "HEAD:refs/heads/main")
	expect(t, s.admin(t, "POST", "/a/projects/gc-app/gc", map[string]any{"async": true}), 202, "async gc")
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		_, err := os.Stat(pidFile)
		if st := statistics(); st.Loose == 0 && os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the async gc did not pack the repository: %+v", statistics())
		}
	}
}
