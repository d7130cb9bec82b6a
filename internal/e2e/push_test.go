package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPushes drives direct pushes with push options and --atomic over
// HTTP and SSH, and Gerrit's visibility rules on what the pushes made:
// tags are readable through the branches that contain them, and a
// hidden branch is neither listed nor fetchable by id.
func TestPushes(t *testing.T) {
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/pushes", map[string]any{"create_empty_commit": true}), 201, "create project")
	httpURL, sshURL := s.httpURL("admin", adminPassword, "pushes"), s.sshURL("admin", "pushes")
	dir := filepath.Join(t.TempDir(), "w")
	s.mustGit(t, "", "", "clone", "-q", httpURL, dir)
	base := strings.TrimSpace(s.mustGit(t, dir, "", "rev-parse", "HEAD"))

	// Push options reach the server over both transports.
	s.commit(t, dir, "a.txt", "1\n")
	s.mustGit(t, dir, "", "push", "-q", "-o", "topic=t1", "-o", "notify=NONE", httpURL, "HEAD:refs/heads/main")
	one := s.commit(t, dir, "a.txt", "2\n")
	s.mustGit(t, dir, s.adminKey, "push", "-q", "-o", "topic=t2", sshURL, "HEAD:refs/heads/main")

	// An atomic push with one refused ref writes nothing.
	for _, tr := range []struct{ name, url, key string }{{"http", httpURL, ""}, {"ssh", sshURL, s.adminKey}} {
		out, err := s.git(t, dir, tr.key, "push", "--atomic", tr.url, "HEAD:refs/heads/new-"+tr.name, "+"+base+":refs/heads/main")
		if err == nil || !strings.Contains(out, "prohibited by Gerrit: not permitted: force update") ||
			!strings.Contains(out, "transaction aborted") {
			t.Fatalf("%s: atomic push with a refused ref: err=%v\n%s", tr.name, err, out)
		}
		if ls := s.mustGit(t, "", "", "ls-remote", httpURL, "refs/heads/new-"+tr.name); ls != "" {
			t.Fatalf("%s: atomic push created a branch: %s", tr.name, ls)
		}
		s.mustGit(t, dir, tr.key, "push", "-q", "--atomic", "-o", "topic=a", tr.url, "HEAD:refs/heads/new-"+tr.name, "HEAD:refs/heads/also-"+tr.name)
	}

	// Only administrators may read refs/heads/secret.
	cfg := filepath.Join(t.TempDir(), "cfg")
	s.mustGit(t, "", "", "init", "-q", cfg)
	// git sends credentials only when challenged: read through /a/.
	s.mustGit(t, cfg, "", "fetch", "-q", s.httpURL("admin", adminPassword, "a/pushes"), "refs/meta/config")
	s.mustGit(t, cfg, "", "checkout", "-q", "FETCH_HEAD")
	var admins struct {
		ID string `json:"id"`
	}
	r := s.admin(t, "GET", "/a/groups/Administrators", nil)
	expect(t, r, 200, "get Administrators")
	r.json(t, &admins)
	appendFile(t, filepath.Join(cfg, "project.config"),
		"[access \"refs/heads/secret\"]\n\texclusiveGroupPermissions = read\n\tread = group Administrators\n")
	appendFile(t, filepath.Join(cfg, "groups"), admins.ID+"\tAdministrators\n")
	s.mustGit(t, cfg, "", "commit", "-q", "-am", "hide secret")
	s.mustGit(t, cfg, "", "push", "-q", httpURL, "HEAD:refs/meta/config")

	secret := s.commit(t, dir, "s.txt", "secret\n")
	s.mustGit(t, dir, "", "push", "-q", httpURL, "HEAD:refs/heads/secret")
	s.mustGit(t, dir, "", "tag", "-a", "-m", "release", "v1", one)
	s.mustGit(t, dir, "", "tag", "-a", "-m", "hidden", "sv", secret)
	s.mustGit(t, dir, s.adminKey, "push", "-q", sshURL, "refs/tags/v1", "refs/tags/sv")

	// Anonymous users may read branches but no tags (Gerrit's defaults):
	// they see v1 because main contains it, and not sv.
	ls := s.mustGit(t, "", "", "ls-remote", s.httpURL("", "", "pushes"))
	for _, want := range []string{"refs/heads/main", "refs/tags/v1", "refs/tags/v1^{}"} {
		if !strings.Contains(ls, want+"\n") {
			t.Errorf("anonymous ls-remote lacks %s:\n%s", want, ls)
		}
	}
	for _, hidden := range []string{"refs/heads/secret", "refs/tags/sv"} {
		if strings.Contains(ls, hidden) {
			t.Errorf("anonymous ls-remote shows %s:\n%s", hidden, ls)
		}
	}
	anon := filepath.Join(t.TempDir(), "anon")
	s.mustGit(t, "", "", "init", "-q", anon)
	s.mustGit(t, anon, "", "fetch", "-q", s.httpURL("", "", "pushes"), "refs/tags/v1:refs/tags/v1")
	out, err := s.git(t, anon, "", "-c", "protocol.version=2", "fetch", s.httpURL("", "", "pushes"), secret)
	if err == nil || !strings.Contains(out, "remote error: upload-pack: not our ref "+secret) {
		t.Errorf("anonymous v2 fetch of the hidden commit: err=%v\n%s", err, out)
	}
	// A refused want is an answer, not a server failure.
	s.stop()
	if strings.Contains(s.log.String(), "git service failed") {
		t.Errorf("the daemon logged a refused want as a failure:\n%s", s.log.String())
	}
}
