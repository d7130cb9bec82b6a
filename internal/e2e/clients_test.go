package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/build/gerrit"
)

// clientEnv makes git-review's ssh and scp use key without prompts.
func (s *server) clientEnv(t testing.TB, key string) []string {
	t.Helper()
	sshDir := filepath.Join(s.home, ".ssh")
	os.MkdirAll(sshDir, 0o700)
	conf := "Host 127.0.0.1\n\tIdentityFile " + key + "\n\tIdentitiesOnly yes\n\tStrictHostKeyChecking no\n\tUserKnownHostsFile /dev/null\n\tLogLevel ERROR\n\tBatchMode yes\n"
	if err := os.WriteFile(filepath.Join(sshDir, "config"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// OpenSSH reads ~/.ssh/config from the password database, not $HOME, so
	// wrappers first on PATH point ssh and scp at this one.
	bin := filepath.Join(s.home, "bin")
	os.MkdirAll(bin, 0o755)
	wrapper := "#!/bin/sh\nexec /usr/bin/ssh -F " + filepath.Join(sshDir, "config") + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	// scp runs /usr/bin/ssh itself, so it needs the -F too.
	scpWrapper := "#!/bin/sh\nexec /usr/bin/scp -F " + filepath.Join(sshDir, "config") + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "scp"), []byte(scpWrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + s.home, "PATH=" + bin + ":" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "LANG=C.UTF-8",
		"GIT_AUTHOR_NAME=Alice", "GIT_AUTHOR_EMAIL=alice@example.com", "GIT_COMMITTER_NAME=Alice", "GIT_COMMITTER_EMAIL=alice@example.com",
		"USER=alice"}
	return env
}

func runIn(t testing.TB, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestGitReview drives Debian's git-review against Tandem: set-up over SSH
// (hook by scp), an upload, listing, and downloading a change, then the
// same upload over HTTP.
func TestGitReview(t *testing.T) {
	if _, err := exec.LookPath("git-review"); err != nil {
		t.Fatal("git-review is not installed (Debian package git-review); .ci/run installs it")
	}
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/gr", map[string]any{"create_empty_commit": true}), 201, "create project")
	key := s.createUser(t, "alice")
	env := s.clientEnv(t, key)
	dir := filepath.Join(t.TempDir(), "gr")
	if out, err := runIn(t, "", env, "git", "clone", "-q", s.httpURL("", "", "gr"), dir); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	gitreview := "[gerrit]\nhost=127.0.0.1\nport=" + s.sshPort + "\nproject=gr.git\ndefaultbranch=main\n"
	if err := os.WriteFile(filepath.Join(dir, ".gitreview"), []byte(gitreview), 0o644); err != nil {
		t.Fatal(err)
	}
	appendFile(t, filepath.Join(dir, ".git", "info", "exclude"), ".gitreview\n")
	runIn(t, dir, env, "git", "config", "gitreview.username", "alice")
	if out, err := runIn(t, dir, env, "git", "review", "-s"); err != nil {
		t.Fatalf("git review -s: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git", "hooks", "commit-msg")); err != nil {
		t.Fatalf("git review -s did not install the commit-msg hook: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "x.txt"), []byte("x\n"), 0o644)
	runIn(t, dir, env, "git", "add", ".")
	if out, err := runIn(t, dir, env, "git", "commit", "-q", "-m", "Add x via git-review"); err != nil {
		t.Fatalf("commit: %v\n%s", err, out)
	}
	msg, _ := runIn(t, dir, env, "git", "log", "-1", "--format=%B")
	if !regexp.MustCompile(`(?m)^Change-Id: I[0-9a-f]{40}$`).MatchString(msg) {
		t.Fatalf("the installed hook added no Change-Id:\n%s", msg)
	}
	out, err := runIn(t, dir, env, "git", "review", "-y", "-t", "gr-topic")
	m := regexp.MustCompile(`c/gr/\+/(\d+) Add x via git-review`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("git review: %v\n%s", err, out)
	}
	n := m[1]
	out, err = runIn(t, dir, env, "git", "review", "-l")
	if err != nil || !strings.Contains(out, n) || !strings.Contains(out, "Add x via git-review") {
		t.Fatalf("git review -l: %v\n%s", err, out)
	}
	other := filepath.Join(t.TempDir(), "other")
	runIn(t, "", env, "git", "clone", "-q", s.httpURL("", "", "gr"), other)
	os.WriteFile(filepath.Join(other, ".gitreview"), []byte(gitreview), 0o644)
	appendFile(t, filepath.Join(other, ".git", "info", "exclude"), ".gitreview\n")
	runIn(t, other, env, "git", "config", "gitreview.username", "alice")
	out, err = runIn(t, other, env, "git", "review", "-d", n)
	if err != nil {
		t.Fatalf("git review -d %s: %v\n%s", n, err, out)
	}
	head, _ := runIn(t, other, env, "git", "log", "-1", "--format=%s")
	branch, _ := runIn(t, other, env, "git", "rev-parse", "--abbrev-ref", "HEAD")
	if strings.TrimSpace(head) != "Add x via git-review" || !strings.HasPrefix(strings.TrimSpace(branch), "review/alice/") {
		t.Fatalf("git review -d checked out %q on %q", head, branch)
	}

	// HTTP mode: credentials from git's store, remote without /a/.
	httpDir := filepath.Join(t.TempDir(), "http")
	runIn(t, "", env, "git", "clone", "-q", s.httpURL("", "", "gr"), httpDir)
	port := strings.TrimSuffix(strings.TrimPrefix(s.web, "http://127.0.0.1:"), "/")
	os.WriteFile(filepath.Join(httpDir, ".gitreview"), []byte("[gerrit]\nhost=127.0.0.1\nport="+port+"\nscheme=http\nproject=gr.git\ndefaultbranch=main\n"), 0o644)
	appendFile(t, filepath.Join(httpDir, ".git", "info", "exclude"), ".gitreview\n")
	os.WriteFile(filepath.Join(s.home, ".git-credentials"), []byte("http://alice:alice-pw@127.0.0.1%3a"+port+"\n"), 0o600)
	runIn(t, httpDir, env, "git", "config", "credential.helper", "store")
	runIn(t, httpDir, env, "git", "config", "gitreview.username", "alice")
	if out, err := runIn(t, httpDir, env, "git", "review", "-s"); err != nil {
		t.Fatalf("git review -s over HTTP: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(httpDir, "y.txt"), []byte("y\n"), 0o644)
	runIn(t, httpDir, env, "git", "add", ".")
	runIn(t, httpDir, env, "git", "commit", "-q", "-m", "Add y over HTTP")
	out, err = runIn(t, httpDir, env, "git", "review", "-y")
	if err != nil || !strings.Contains(out, "Add y over HTTP [NEW]") {
		t.Fatalf("git review over HTTP: %v\n%s", err, out)
	}
}

// pushChange uploads one commit for review as alice and returns its number.
func pushChange(t testing.TB, s *server, project, file, subject string, id int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "w")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", project), dir)
	withChangeIDAs(t, s, dir, file, subject+"\n", subject, changeID(id))
	out := s.mustGit(t, dir, "", "push", s.httpURL("alice", "alice-pw", project), "HEAD:refs/for/main")
	return pushedChange(t, project, out)
}

// TestPygerrit2 lists, reviews, submits and abandons changes with Debian's
// pygerrit2 under /usr/bin/python3.
func TestPygerrit2(t *testing.T) {
	if out, err := exec.Command("/usr/bin/python3", "-c", "import pygerrit2.rest").CombinedOutput(); err != nil {
		t.Fatalf("python3-pygerrit2 is not installed (.ci/run installs it): %v\n%s", err, out)
	}
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/py", map[string]any{"create_empty_commit": true}), 201, "create project")
	s.createUser(t, "alice")
	first := pushChange(t, s, "py", "one.txt", "First change", 101)
	second := pushChange(t, s, "py", "two.txt", "Second change", 102)
	script := `
import json, sys
from pygerrit2.rest import GerritRestAPI, GerritReview
from requests.auth import HTTPBasicAuth
url, first, second = sys.argv[1], sys.argv[2], sys.argv[3]
alice = GerritRestAPI(url=url, auth=HTTPBasicAuth("alice", "alice-pw"))
admin = GerritRestAPI(url=url, auth=HTTPBasicAuth("admin", "` + adminPassword + `"))
out = {}
out["mine"] = sorted(c["_number"] for c in alice.get("/changes/?q=owner:self%20status:open"))
out["version"] = admin.get("/config/server/version")
out["self"] = alice.get("/accounts/self")["username"]
admin.review(first, "current", GerritReview(labels={"Code-Review": 2}, message="Looks good"))
detail = admin.get("/changes/%s?o=CURRENT_REVISION&o=DETAILED_LABELS" % first)
out["approved"] = "approved" in detail["labels"]["Code-Review"]
out["submitted"] = admin.post("/changes/%s/submit" % first)["status"]
out["abandoned"] = admin.post("/changes/%s/abandon" % second, json={"message": "not needed"})["status"]
out["merged"] = [c["_number"] for c in admin.get("/changes/?q=project:py%20status:merged")]
print(json.dumps(out))
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, s.web, first, second).CombinedOutput()
	if err != nil {
		t.Fatalf("pygerrit2 script: %v\n%s", err, out)
	}
	var got struct {
		Mine      []int  `json:"mine"`
		Version   string `json:"version"`
		Self      string `json:"self"`
		Approved  bool   `json:"approved"`
		Submitted string `json:"submitted"`
		Abandoned string `json:"abandoned"`
		Merged    []int  `json:"merged"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("script output %q: %v", out, err)
	}
	if len(got.Mine) != 2 || got.Self != "alice" || !got.Approved || got.Submitted != "MERGED" || got.Abandoned != "ABANDONED" || len(got.Merged) != 1 {
		t.Fatalf("pygerrit2 saw %+v", got)
	}
}

// TestGoGerritClient drives golang.org/x/build/gerrit, the Go team's client.
func TestGoGerritClient(t *testing.T) {
	s := startServer(t, "sqlite")
	ctx := context.Background()
	admin := gerrit.NewClient(strings.TrimSuffix(s.web, "/"), gerrit.BasicAuth("admin", adminPassword))
	if _, err := admin.CreateProject(ctx, "goclient"); err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	s.createUser(t, "alice")
	n := pushChange(t, s, "goclient", "g.txt", "Go client change", 201)
	changes, err := admin.QueryChanges(ctx, "project:goclient status:open", gerrit.QueryChangesOpt{Fields: []string{"CURRENT_REVISION"}})
	if err != nil || len(changes) != 1 || changes[0].Subject != "Go client change" {
		t.Fatalf("QueryChanges: %v %+v", err, changes)
	}
	detail, err := admin.GetChangeDetail(ctx, n)
	if err != nil || detail.Owner == nil || detail.Owner.Username != "alice" {
		t.Fatalf("GetChangeDetail: %v %+v", err, detail)
	}
	files, err := admin.ListFiles(ctx, n, "current")
	if err != nil || files["g.txt"] == nil || files["/COMMIT_MSG"] == nil {
		t.Fatalf("ListFiles: %v %+v", err, files)
	}
	if f := files["g.txt"]; f.LinesInserted != 1 || f.Status != "A" {
		t.Fatalf("g.txt FileInfo = %+v", f)
	}
	var sized map[string]struct {
		Size      int64 `json:"size"`
		SizeDelta int64 `json:"size_delta"`
	}
	s.admin(t, "GET", "/a/changes/"+n+"/revisions/current/files/", nil).json(t, &sized)
	if f := sized["g.txt"]; f.Size != int64(len("Go client change\n")) || f.SizeDelta != f.Size {
		t.Fatalf("g.txt size = %+v", f)
	}
	if err := admin.SetReview(ctx, n, "current", gerrit.ReviewInput{Message: "ship it", Labels: map[string]int{"Code-Review": 2}}); err != nil {
		t.Fatalf("SetReview: %v", err)
	}
	merged, err := admin.SubmitChange(ctx, n)
	if err != nil || merged.Status != "MERGED" {
		t.Fatalf("SubmitChange: %v %+v", err, merged)
	}
	// Where the merged change is: on main, and in a tag made afterwards,
	// which alice sees although she may not read tags (it is on main).
	if _, err := admin.CreateTag(ctx, "goclient", "v0.1", gerrit.TagInput{Revision: "main", Message: "first"}); err != nil {
		t.Fatalf("CreateTag: %v", err)
	}
	var in struct {
		Branches []string `json:"branches"`
		Tags     []string `json:"tags"`
	}
	s.call(t, "GET", "/a/changes/"+n+"/in", "alice", "alice-pw", nil, "").json(t, &in)
	if fmt.Sprint(in.Branches, in.Tags) != "[main] [v0.1]" {
		t.Fatalf("change %s is in %+v", n, in)
	}
}

// TestGoGerritClientRefs manages branches and tags with the Go team's
// client, as release tooling does, and checks who may do what: a user
// without tag rights is refused, and a branch may not start from history
// the user cannot read.
func TestGoGerritClientRefs(t *testing.T) {
	s := startServer(t, "sqlite")
	ctx := context.Background()
	admin := gerrit.NewClient(strings.TrimSuffix(s.web, "/"), gerrit.BasicAuth("admin", adminPassword))
	expect(t, s.admin(t, "PUT", "/a/projects/rel", map[string]any{"create_empty_commit": true}), 201, "create project rel")
	s.createUser(t, "alice")
	alice := gerrit.NewClient(strings.TrimSuffix(s.web, "/"), gerrit.BasicAuth("alice", "alice-pw"))
	main, err := admin.GetBranch(ctx, "rel", "main")
	if err != nil || main.Ref != "refs/heads/main" || len(main.Revision) != 40 {
		t.Fatalf("GetBranch: %v %+v", err, main)
	}

	// Branches.
	b, err := admin.CreateBranch(ctx, "rel", "release-1", gerrit.BranchInput{Revision: main.Revision})
	if err != nil || b.Ref != "refs/heads/release-1" || b.Revision != main.Revision || !b.CanDelete {
		t.Fatalf("CreateBranch: %v %+v", err, b)
	}
	if _, err := admin.CreateBranch(ctx, "rel", "release-1", gerrit.BranchInput{Revision: "main"}); !hasStatus(err, 409, `branch "refs/heads/release-1" already exists`) {
		t.Fatalf("CreateBranch twice: %v", err)
	}
	if _, err := admin.CreateBranch(ctx, "rel", "x", gerrit.BranchInput{Revision: "nope"}); !hasStatus(err, 400, `invalid revision "nope"`) {
		t.Fatalf("CreateBranch from nothing: %v", err)
	}
	branches, err := admin.ListBranches(ctx, "rel")
	if err != nil || len(branches) != 4 { // HEAD, refs/meta/config, main, release-1
		t.Fatalf("ListBranches: %v %+v", err, branches)
	}
	// Let alice create branches; she still may not start one at the
	// configuration's history, which she cannot read.
	expect(t, s.admin(t, "POST", "/a/projects/rel/access", map[string]any{"add": map[string]any{
		"refs/heads/*": map[string]any{"permissions": map[string]any{"create": map[string]any{
			"rules": map[string]any{"global:Registered-Users": map[string]any{"action": "ALLOW"}}}}}}}), 200, "let alice create branches")
	var meta gerrit.BranchInfo
	s.admin(t, "GET", "/a/projects/rel/branches/refs%2Fmeta%2Fconfig", nil).json(t, &meta)
	if _, err := alice.CreateBranch(ctx, "rel", "leak", gerrit.BranchInput{Revision: meta.Revision}); !hasStatus(err, 403, "update for creating new commit object not permitted") {
		t.Fatalf("alice's branch from hidden history: %v", err)
	}
	if _, err := alice.CreateBranch(ctx, "rel", "alice-work", gerrit.BranchInput{Revision: "main"}); err != nil {
		t.Fatalf("alice's branch from main: %v", err)
	}
	if err := alice.DeleteBranch(ctx, "rel", "alice-work"); !hasStatus(err, 403, "not permitted: delete on refs/heads/alice-work") {
		t.Fatalf("alice deletes a branch: %v", err)
	}
	if err := admin.DeleteBranch(ctx, "rel", "alice-work"); err != nil {
		t.Fatalf("DeleteBranch: %v", err)
	}

	// Tags: annotated and lightweight.
	v1, err := admin.CreateTag(ctx, "rel", "v1.0", gerrit.TagInput{Revision: "release-1", Message: "Release 1.0"})
	if err != nil || v1.Ref != "refs/tags/v1.0" || v1.Object != main.Revision || v1.Revision == main.Revision ||
		v1.Message != "Release 1.0" || v1.Tagger == nil || v1.Tagger.Name != "Administrator" || v1.Created.Time().IsZero() {
		t.Fatalf("CreateTag annotated: %v %+v", err, v1)
	}
	light, err := admin.CreateTag(ctx, "rel", "v1.0-light", gerrit.TagInput{Revision: main.Revision})
	if err != nil || light.Revision != main.Revision || light.Object != "" || light.Tagger != nil || light.Created.Time().IsZero() {
		t.Fatalf("CreateTag lightweight: %v %+v", err, light)
	}
	if _, err := admin.CreateTag(ctx, "rel", "v1.0", gerrit.TagInput{}); !hasStatus(err, 409, `tag "refs/tags/v1.0" already exists`) {
		t.Fatalf("CreateTag twice: %v", err)
	}
	if _, err := alice.CreateTag(ctx, "rel", "v2", gerrit.TagInput{Message: "mine"}); !hasStatus(err, 403, "not permitted: create tag on refs/tags/v2") {
		t.Fatalf("alice tags: %v", err)
	}
	tags, err := alice.GetProjectTags(ctx, "rel")
	if err != nil || len(tags) != 2 || tags["refs/tags/v1.0"].Object != main.Revision || tags["refs/tags/v1.0"].CanDelete {
		t.Fatalf("GetProjectTags as alice: %v %+v", err, tags)
	}
	for query, want := range map[string]string{"n=1": "refs/tags/v1.0", "S=1": "refs/tags/v1.0-light", "m=LIGHT": "refs/tags/v1.0-light"} {
		var page []gerrit.TagInfo
		s.call(t, "GET", "/a/projects/rel/tags/?"+query, "alice", "alice-pw", nil, "").json(t, &page)
		if len(page) != 1 || page[0].Ref != want {
			t.Fatalf("tags ?%s: %+v, want %s", query, page, want)
		}
	}
	got, err := admin.GetTag(ctx, "rel", "v1.0")
	if err != nil || got.Revision != v1.Revision || got.Message != "Release 1.0" || !got.CanDelete {
		t.Fatalf("GetTag: %v %+v", err, got)
	}
	// What git says of the tag agrees.
	out := s.mustGit(t, "", "", "ls-remote", s.httpURL("", "", "rel"), "refs/tags/*")
	if !strings.Contains(out, v1.Revision+"\trefs/tags/v1.0\n") || !strings.Contains(out, main.Revision+"\trefs/tags/v1.0^{}") {
		t.Fatalf("ls-remote tags:\n%s", out)
	}
	in, err := admin.GetCommitsInRefs(ctx, "rel", []string{main.Revision, strings.Repeat("0", 40)}, []string{"refs/heads/release-1", "refs/tags/v1.0", "refs/heads/none"})
	if err != nil || fmt.Sprint(in) != fmt.Sprintf("map[%s:[refs/heads/release-1 refs/tags/v1.0]]", main.Revision) {
		t.Fatalf("GetCommitsInRefs: %v %v", err, in)
	}
	if err := alice.DeleteTag(ctx, "rel", "v1.0"); !hasStatus(err, 403, "not permitted: delete on refs/tags/v1.0") {
		t.Fatalf("alice deletes a tag: %v", err)
	}
	if err := admin.DeleteTag(ctx, "rel", "v1.0"); err != nil {
		t.Fatalf("DeleteTag: %v", err)
	}
	if _, err := admin.GetTag(ctx, "rel", "v1.0"); !errors.Is(err, gerrit.ErrResourceNotExist) {
		t.Fatalf("GetTag after delete: %v", err)
	}
}

// hasStatus reports whether err is the Go client's HTTPError with the
// status and a body containing text.
func hasStatus(err error, status int, text string) bool {
	var he *gerrit.HTTPError
	return errors.As(err, &he) && he.Res.StatusCode == status && strings.Contains(string(he.Body), text)
}

// TestChangeEdits edits a change over REST as the Go team's tooling and
// gertty do: files and the message in an edit only its author sees, then
// published as the next patch set, which git can fetch.
func TestChangeEdits(t *testing.T) {
	s := startServer(t, "sqlite")
	ctx := context.Background()
	expect(t, s.admin(t, "PUT", "/a/projects/ed", map[string]any{"create_empty_commit": true}), 201, "create project ed")
	s.createUser(t, "alice")
	s.createUser(t, "bob")
	alice := gerrit.NewClient(strings.TrimSuffix(s.web, "/"), gerrit.BasicAuth("alice", "alice-pw"))
	bob := gerrit.NewClient(strings.TrimSuffix(s.web, "/"), gerrit.BasicAuth("bob", "bob-pw"))
	n := pushChange(t, s, "ed", "a.txt", "Edit me", 301)

	if r := s.call(t, "GET", "/a/changes/"+n+"/edit", "alice", "alice-pw", nil, ""); r.status != 204 {
		t.Fatalf("edit before any: %d %q", r.status, r.body)
	}
	if err := alice.ChangeFileContentInChangeEdit(ctx, n, "doc/b.txt", "new file\n"); err != nil {
		t.Fatalf("add a file: %v", err)
	}
	if err := alice.ChangeFileContentInChangeEdit(ctx, n, "doc/b.txt", "new file\n"); !errors.Is(err, gerrit.ErrNotModified) {
		t.Fatalf("the same content again: %v", err)
	}
	if err := alice.DeleteFileInChangeEdit(ctx, n, "a.txt"); err != nil {
		t.Fatalf("delete a file: %v", err)
	}
	// Registered users may add patch sets to any change by default, so bob
	// may keep an edit of his own, apart from alice's.
	if err := bob.ChangeFileContentInChangeEdit(ctx, n, "bob.txt", "bob\n"); err != nil {
		t.Fatalf("bob's edit: %v", err)
	}
	if r := s.call(t, "GET", "/a/changes/"+n+"/edit/bob.txt", "alice", "alice-pw", nil, ""); r.status != 404 {
		t.Fatalf("alice's edit has bob's file: %d %q", r.status, r.body)
	}
	expect(t, s.call(t, "DELETE", "/a/changes/"+n+"/edit", "bob", "bob-pw", nil, ""), 204, "bob drops his edit")
	if r := s.call(t, "PUT", "/changes/"+n+"/edit/x.txt", "", "", nil, ""); r.status != 403 {
		t.Fatalf("an anonymous edit: %d %q", r.status, r.body)
	}
	msg := "Edited subject\n\nBody.\n\nChange-Id: " + changeID(301) + "\n"
	expect(t, s.call(t, "PUT", "/a/changes/"+n+"/edit:message", "alice", "alice-pw", map[string]string{"message": msg}, ""), 204, "edit the message")
	r := s.call(t, "PUT", "/a/changes/"+n+"/edit:message", "alice", "alice-pw", map[string]string{"message": "Other\n\nChange-Id: " + changeID(302)}, "")
	if r.status != 400 || !strings.Contains(r.body, "wrong Change-Id footer") {
		t.Fatalf("a message for another change: %d %q", r.status, r.body)
	}
	var info struct {
		Commit struct {
			Commit  string `json:"commit"`
			Subject string `json:"subject"`
		} `json:"commit"`
		Base int    `json:"base_patch_set_number"`
		Ref  string `json:"ref"`
	}
	s.call(t, "GET", "/a/changes/"+n+"/edit", "alice", "alice-pw", nil, "").json(t, &info)
	if info.Base != 1 || info.Commit.Subject != "Edited subject" || !strings.Contains(info.Ref, "/edit-"+n+"/1") {
		t.Fatalf("EditInfo %+v", info)
	}
	if r := s.call(t, "GET", "/a/changes/"+n+"/edit/doc%2Fb.txt", "alice", "alice-pw", nil, ""); r.status != 200 || decode64(t, r.body) != "new file\n" {
		t.Fatalf("file of the edit: %d %q", r.status, r.body)
	}
	if r := s.call(t, "GET", "/a/changes/"+n+"/edit", "bob", "bob-pw", nil, ""); r.status != 204 {
		t.Fatalf("bob sees an edit: %d %q", r.status, r.body)
	}

	if err := alice.PublishChangeEdit(ctx, n); err != nil {
		t.Fatalf("PublishChangeEdit: %v", err)
	}
	c, err := alice.GetChange(ctx, n, gerrit.QueryChangesOpt{Fields: []string{"CURRENT_REVISION", "CURRENT_COMMIT", "MESSAGES"}})
	if err != nil || c.Subject != "Edited subject" || c.Revisions[c.CurrentRevision].PatchSetNumber != 2 || c.CurrentRevision != info.Commit.Commit {
		t.Fatalf("after publishing: %v %+v", err, c)
	}
	if last := c.Messages[len(c.Messages)-1].Message; last != "Patch Set 2: Published edit on patch set 1." {
		t.Fatalf("message %q", last)
	}
	if r := s.call(t, "GET", "/a/changes/"+n+"/edit", "alice", "alice-pw", nil, ""); r.status != 204 {
		t.Fatalf("edit after publishing: %d %q", r.status, r.body)
	}
	if err := alice.PublishChangeEdit(ctx, n); !hasStatus(err, 409, "no edit exists for change "+n) {
		t.Fatalf("publish without an edit: %v", err)
	}
	files, err := alice.ListFiles(ctx, n, "current")
	if err != nil || files["doc/b.txt"] == nil || files["a.txt"] != nil {
		t.Fatalf("files of patch set 2: %v %+v", err, files)
	}
	// git fetches the published patch set.
	dir := filepath.Join(t.TempDir(), "w")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "ed"), dir)
	var num int
	fmt.Sscan(n, &num)
	s.mustGit(t, dir, "", "fetch", "-q", "origin", fmt.Sprintf("refs/changes/%02d/%d/2", num%100, num))
	if got := strings.TrimSpace(s.mustGit(t, dir, "", "rev-parse", "FETCH_HEAD")); got != info.Commit.Commit {
		t.Fatalf("fetched %s, want %s", got, info.Commit.Commit)
	}

	// A push with %edit makes the commit alice's edit, not a patch set.
	s.mustGit(t, dir, "", "checkout", "-q", "FETCH_HEAD")
	if err := os.WriteFile(filepath.Join(dir, "doc", "b.txt"), []byte("pushed as an edit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitAs(t, s, dir, "alice", "commit", "-q", "-a", "--amend", "--no-edit")
	pushed := strings.TrimSpace(s.mustGit(t, dir, "", "rev-parse", "HEAD"))
	out := s.mustGit(t, dir, "", "push", s.httpURL("alice", "alice-pw", "ed"), "HEAD:refs/for/main%edit")
	if !strings.Contains(out, "Edited subject [EDIT]") {
		t.Fatalf("push %%edit printed:\n%s", out)
	}
	s.call(t, "GET", "/a/changes/"+n+"/edit", "alice", "alice-pw", nil, "").json(t, &info)
	if info.Commit.Commit != pushed || info.Base != 2 {
		t.Fatalf("edit after push %%edit: %+v", info)
	}
	if c, err := alice.GetChange(ctx, n, gerrit.QueryChangesOpt{Fields: []string{"CURRENT_REVISION"}}); err != nil || c.Revisions[c.CurrentRevision].PatchSetNumber != 2 {
		t.Fatalf("push %%edit made a patch set: %v %+v", err, c)
	}
	for user, want := range map[string]int{"alice": 1, "bob": 0} {
		cs, err := gerrit.NewClient(strings.TrimSuffix(s.web, "/"), gerrit.BasicAuth(user, user+"-pw")).QueryChanges(ctx, "has:edit")
		if err != nil || len(cs) != want {
			t.Fatalf("%s's has:edit: %v %+v", user, err, cs)
		}
	}
	// Only alice may fetch her edit; not bob, not even the administrator.
	for user, pw := range map[string]string{"alice": "alice-pw", "bob": "bob-pw", "admin": adminPassword} {
		refs := s.mustGit(t, "", "", "ls-remote", s.httpURL(user, pw, "a/ed"))
		if got, want := strings.Contains(refs, pushed+"\t"+info.Ref), user == "alice"; got != want {
			t.Fatalf("%s sees the edit ref %s: %v\n%s", user, info.Ref, got, refs)
		}
	}
	if err := alice.PublishChangeEdit(ctx, n); err != nil {
		t.Fatalf("publish the pushed edit: %v", err)
	}
	gitAs(t, s, dir, "alice", "commit", "-q", "--allow-empty", "-m", "Another\n\nChange-Id: "+changeID(399))
	out, err = s.git(t, dir, "", "push", s.httpURL("alice", "alice-pw", "ed"), "HEAD:refs/for/main%edit")
	if err == nil || !strings.Contains(out, "edit is not supported for new changes") {
		t.Fatalf("push %%edit of a new change: %v\n%s", err, out)
	}

	// Deleting a change deletes its edits.
	n2 := pushChange(t, s, "ed", "gone.txt", "Going away", 303)
	if err := alice.ChangeFileContentInChangeEdit(ctx, n2, "x.txt", "x\n"); err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(s.site, "git", "ed.git")
	if refs := s.mustGit(t, bare, "", "for-each-ref", "refs/users/"); !strings.Contains(refs, "/edit-"+n2+"/") {
		t.Fatalf("no edit ref of change %s:\n%s", n2, refs)
	}
	expect(t, s.admin(t, "DELETE", "/a/changes/"+n2, nil), 204, "delete change "+n2)
	if refs := s.mustGit(t, bare, "", "for-each-ref", "refs/users/"); strings.Contains(refs, "/edit-"+n2+"/") {
		t.Fatalf("the edit of deleted change %s stayed:\n%s", n2, refs)
	}
}

// TestCreateAndCherryPick makes changes on the server's side with the Go
// client: an empty change from a subject, and cherry-picks to another
// branch, which become a new change and then new patch sets of it.
func TestCreateAndCherryPick(t *testing.T) {
	s := startServer(t, "sqlite")
	ctx := context.Background()
	expect(t, s.admin(t, "PUT", "/a/projects/cp", map[string]any{"create_empty_commit": true}), 201, "create project cp")
	expect(t, s.admin(t, "PUT", "/a/projects/cp/branches/stable", map[string]any{}), 201, "create stable")
	s.createUser(t, "alice")
	alice := gerrit.NewClient(strings.TrimSuffix(s.web, "/"), gerrit.BasicAuth("alice", "alice-pw"))

	created, err := alice.CreateChange(ctx, gerrit.ChangeInput{Project: "cp", Branch: "main", Subject: "Start something"})
	if err != nil || created.Subject != "Start something" || created.Status != "NEW" || !strings.HasPrefix(created.ChangeID, "I") {
		t.Fatalf("CreateChange: %v %+v", err, created)
	}
	msg, err := alice.GetCommitMessage(ctx, fmt.Sprint(created.ChangeNumber))
	if err != nil || !strings.HasSuffix(strings.TrimSpace(msg.FullMessage), "Change-Id: "+created.ChangeID) {
		t.Fatalf("message of the created change: %v %+v", err, msg)
	}
	if files, err := alice.ListFiles(ctx, fmt.Sprint(created.ChangeNumber), "current"); err != nil || len(files) != 1 {
		t.Fatalf("files of an empty change: %v %+v", err, files)
	}
	for _, c := range []struct {
		in     gerrit.ChangeInput
		status int
		text   string
	}{
		{gerrit.ChangeInput{Project: "cp", Branch: "nope", Subject: "x"}, 400, "Branch refs/heads/nope does not exist."},
		{gerrit.ChangeInput{Project: "cp", Branch: "main"}, 400, "commit message must be non-empty"},
		{gerrit.ChangeInput{Project: "none", Branch: "main", Subject: "x"}, 404, "Not found: none"},
		{gerrit.ChangeInput{Project: "cp", Branch: "main", Subject: "Again\n\nChange-Id: " + created.ChangeID}, 409, "is already open on refs/heads/main"},
	} {
		if _, err := alice.CreateChange(ctx, c.in); !hasStatus(err, c.status, c.text) {
			t.Errorf("CreateChange %+v: %v, want %d %q", c.in, err, c.status, c.text)
		}
	}

	n := pushChange(t, s, "cp", "c.txt", "Pick me", 401)
	if actions, err := alice.GetRevisionActions(ctx, n, "current"); err != nil || actions["cherrypick"] == nil {
		t.Fatalf("revision actions offer no cherrypick: %v %v", err, actions)
	}
	picked, err := alice.CherryPickRevision(ctx, n, "current", gerrit.CherryPickInput{Destination: "stable"})
	if err != nil || picked.Branch != "stable" || picked.ChangeID != changeID(401) || fmt.Sprint(picked.ChangeNumber) == n {
		t.Fatalf("CherryPickRevision: %v %+v", err, picked)
	}
	files, err := alice.ListFiles(ctx, fmt.Sprint(picked.ChangeNumber), "current")
	if err != nil || files["c.txt"] == nil {
		t.Fatalf("files of the cherry-pick: %v %+v", err, files)
	}
	// The pick says where it came from, and queries find it by that.
	provenance := func(number int) (change, patchSet int) {
		t.Helper()
		var info struct {
			Change   int `json:"cherry_pick_of_change"`
			PatchSet int `json:"cherry_pick_of_patch_set"`
		}
		wantJSON(t, s.call(t, "GET", fmt.Sprintf("/a/changes/%d", number), "alice", "alice-pw", nil, ""), 200, &info)
		return info.Change, info.PatchSet
	}
	if c, ps := provenance(picked.ChangeNumber); fmt.Sprint(c) != n || ps != 1 {
		t.Fatalf("the pick is a cherry-pick of %d,%d, want %s,1", c, ps, n)
	}
	for _, q := range []string{"is:cherrypick project:cp", "cherrypickof:" + n, "cherrypickof:" + n + ",1", "cherrypickof:cp~" + n} {
		if cs, err := alice.QueryChanges(ctx, q); err != nil || len(cs) != 1 || cs[0].ChangeNumber != picked.ChangeNumber {
			t.Fatalf("%s: %v %+v", q, err, cs)
		}
	}
	if cs, err := alice.QueryChanges(ctx, "cherrypickof:"+n+",2"); err != nil || len(cs) != 0 {
		t.Fatalf("cherrypickof another patch set: %v %+v", err, cs)
	}
	// The same Change-Id on stable: the next pick is its second patch set.
	again, err := alice.CherryPickRevision(ctx, n, "current", gerrit.CherryPickInput{Destination: "refs/heads/stable", Message: "Pick me, reworded"})
	if err != nil || again.ChangeNumber != picked.ChangeNumber || again.Subject != "Pick me, reworded" ||
		again.Revisions[again.CurrentRevision].PatchSetNumber != 2 {
		t.Fatalf("second pick: %v %+v", err, again)
	}
	if c, ps := provenance(picked.ChangeNumber); fmt.Sprint(c) != n || ps != 1 {
		t.Fatalf("after the second pick the change is a cherry-pick of %d,%d", c, ps)
	}
	// A patch set pushed onto it is nobody's cherry-pick.
	{
		dir := filepath.Join(t.TempDir(), "amend")
		s.mustGit(t, "", "", "clone", "-q", "-b", "stable", s.httpURL("", "", "cp"), dir)
		s.mustGit(t, dir, "", "fetch", "-q", s.httpURL("", "", "cp"), fmt.Sprintf("refs/changes/%02d/%d/2", picked.ChangeNumber%100, picked.ChangeNumber))
		s.mustGit(t, dir, "", "checkout", "-q", "FETCH_HEAD")
		s.mustGit(t, dir, "", "commit", "-q", "--amend", "-m", "Pick me, pushed\n\nChange-Id: "+changeID(401))
		s.mustGit(t, dir, "", "push", "-q", s.httpURL("admin", adminPassword, "cp"), "HEAD:refs/for/stable")
		if c, ps := provenance(picked.ChangeNumber); c != 0 || ps != 0 {
			t.Fatalf("after a push the change is a cherry-pick of %d,%d", c, ps)
		}
	}
	if _, err := alice.CherryPickRevision(ctx, n, "current", gerrit.CherryPickInput{Destination: "main"}); !hasStatus(err, 409, "onto its own branch") {
		t.Fatalf("a pick onto its own branch: %v", err)
	}
	if _, err := alice.CherryPickRevision(ctx, n, "current", gerrit.CherryPickInput{Destination: "gone"}); !hasStatus(err, 400, "does not exist") {
		t.Fatalf("a pick onto a missing branch: %v", err)
	}
	// A stable that already has another c.txt conflicts.
	dir := filepath.Join(t.TempDir(), "w")
	s.mustGit(t, "", "", "clone", "-q", "-b", "stable", s.httpURL("", "", "cp"), dir)
	s.commit(t, dir, "c.txt", "something else\n")
	s.mustGit(t, dir, "", "push", "-q", s.httpURL("admin", adminPassword, "cp"), "HEAD:refs/heads/stable")
	expect(t, s.admin(t, "POST", "/a/changes/"+fmt.Sprint(picked.ChangeNumber)+"/abandon", map[string]any{}), 200, "abandon the pick")
	if _, err := alice.CherryPickRevision(ctx, n, "current", gerrit.CherryPickInput{Destination: "stable"}); !hasStatus(err, 409, "conflict") {
		t.Fatalf("a conflicting pick: %v", err)
	}
	if r := s.call(t, "POST", "/changes/", "", "", map[string]any{"project": "cp", "branch": "main", "subject": "x"}, ""); r.status != 403 {
		t.Fatalf("an anonymous CreateChange: %d %q", r.status, r.body)
	}
}

// TestRevert reverts a merged change over REST: a new change undoing it,
// for those with the revert permission, and a clear refusal otherwise.
func TestRevert(t *testing.T) {
	s := startServer(t, "sqlite")
	ctx := context.Background()
	expect(t, s.admin(t, "PUT", "/a/projects/rv", map[string]any{"create_empty_commit": true}), 201, "create project rv")
	s.createUser(t, "alice")
	admin := gerrit.NewClient(strings.TrimSuffix(s.web, "/"), gerrit.BasicAuth("admin", adminPassword))
	n := pushChange(t, s, "rv", "r.txt", "Add r", 501)
	if r := s.admin(t, "POST", "/a/changes/"+n+"/revert", map[string]any{}); r.status != 409 || !strings.Contains(r.body, "change is new") {
		t.Fatalf("revert of an open change: %d %q", r.status, r.body)
	}
	if err := admin.SetReview(ctx, n, "current", gerrit.ReviewInput{Labels: map[string]int{"Code-Review": 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.SubmitChange(ctx, n); err != nil {
		t.Fatal(err)
	}
	// The change's actions offer revert to those who may.
	for user, want := range map[string]bool{"admin": true, "alice": false} {
		pw := user + "-pw"
		if user == "admin" {
			pw = adminPassword
		}
		var info struct {
			Actions map[string]any `json:"actions"`
		}
		s.call(t, "GET", "/a/changes/"+n+"?o=CHANGE_ACTIONS", user, pw, nil, "").json(t, &info)
		if _, got := info.Actions["revert"]; got != want {
			t.Fatalf("%s is offered revert: %v (%v)", user, got, info.Actions)
		}
	}
	if r := s.call(t, "POST", "/a/changes/"+n+"/revert", "alice", "alice-pw", map[string]any{}, ""); r.status != 403 || !strings.Contains(r.body, "revert not permitted") {
		t.Fatalf("alice reverts: %d %q", r.status, r.body)
	}
	var rev gerrit.ChangeInfo
	wantJSON(t, s.admin(t, "POST", "/a/changes/"+n+"/revert", map[string]any{"topic": "undo"}), 200, &rev)
	if rev.Subject != `Revert "Add r"` || rev.Branch != "main" || rev.Topic != "undo" || rev.Status != "NEW" || fmt.Sprint(rev.RevertOf) != n {
		t.Fatalf("revert change %+v", rev)
	}
	if cs, err := admin.QueryChanges(ctx, "revertof:"+n); err != nil || len(cs) != 1 || cs[0].ChangeNumber != rev.ChangeNumber {
		t.Fatalf("revertof: %v %+v", err, cs)
	}
	msg, err := admin.GetCommitMessage(ctx, fmt.Sprint(rev.ChangeNumber))
	if err != nil || !strings.Contains(msg.FullMessage, "This reverts commit ") || !strings.Contains(msg.FullMessage, "Change-Id: "+rev.ChangeID) {
		t.Fatalf("revert message: %v %q", err, msg.FullMessage)
	}
	files, err := admin.ListFiles(ctx, fmt.Sprint(rev.ChangeNumber), "current")
	if err != nil || files["r.txt"] == nil || files["r.txt"].Status != "D" {
		t.Fatalf("files of the revert: %v %+v", err, files)
	}
	var msgs []struct {
		Message string `json:"message"`
	}
	s.admin(t, "GET", "/a/changes/"+n+"/messages", nil).json(t, &msgs)
	if last := msgs[len(msgs)-1].Message; last != "Created a revert of this change as "+rev.ChangeID {
		t.Fatalf("the reverted change's last message: %q", last)
	}
	// The revert undoes exactly what it names; the original reverts nothing.
	var pure struct {
		IsPureRevert bool `json:"is_pure_revert"`
	}
	wantJSON(t, s.admin(t, "GET", fmt.Sprintf("/a/changes/%d/pure_revert", rev.ChangeNumber), nil), 200, &pure)
	if !pure.IsPureRevert {
		t.Fatal("the revert is not a pure revert")
	}
	if cs, err := admin.QueryChanges(ctx, "project:rv is:pure-revert"); err != nil || len(cs) != 1 || cs[0].ChangeNumber != rev.ChangeNumber {
		t.Fatalf("is:pure-revert: %v %+v", err, cs)
	}
	var root struct {
		Parents []struct {
			Commit string `json:"commit"`
		} `json:"parents"`
	}
	s.admin(t, "GET", "/a/changes/"+n+"/revisions/current/commit", nil).json(t, &root)
	wantJSON(t, s.admin(t, "GET", fmt.Sprintf("/a/changes/%d/pure_revert?o=%s", rev.ChangeNumber, root.Parents[0].Commit), nil), 200, &pure)
	if pure.IsPureRevert {
		t.Fatal("the revert is a pure revert of the project's first commit too")
	}
	if msg := s.admin(t, "GET", "/a/changes/"+n+"/pure_revert", nil); msg.status != 400 || !strings.Contains(msg.body, "change isn't a revert") {
		t.Fatalf("pure_revert of a change that reverts nothing: %d %q", msg.status, msg.body)
	}
	// Once r.txt has moved on, undoing its creation conflicts.
	dir := filepath.Join(t.TempDir(), "w")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "rv"), dir)
	s.commit(t, dir, "r.txt", "changed since\n")
	s.mustGit(t, dir, "", "push", "-q", s.httpURL("admin", adminPassword, "rv"), "HEAD:refs/heads/main")
	if r := s.admin(t, "POST", "/a/changes/"+n+"/revert", map[string]any{"message": "Undo r\n\nIt broke things."}); r.status != 409 || !strings.Contains(r.body, "r.txt") {
		t.Fatalf("a conflicting revert: %d %q", r.status, r.body)
	}
}

// TestSuggestReviewers suggests accounts and groups for a change, leaving
// out its owner and its reviewers.
func TestSuggestReviewers(t *testing.T) {
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/sg", map[string]any{"create_empty_commit": true}), 201, "create project sg")
	for _, u := range []string{"alice", "bob", "bobby"} {
		s.createUser(t, u)
	}
	// A group alice may see: visible to all.
	expect(t, s.admin(t, "PUT", "/a/groups/backend", map[string]any{"visible_to_all": true}), 201, "create group backend")
	expect(t, s.admin(t, "PUT", "/a/groups/backend/members/bob", nil), 201, "bob joins backend")
	n := pushChange(t, s, "sg", "s.txt", "Suggest", 601)
	suggest := func(query string) string {
		t.Helper()
		var out []struct {
			Account *struct {
				Username string `json:"username"`
			} `json:"account"`
			Group *struct {
				Name string `json:"name"`
			} `json:"group"`
			Count int `json:"count"`
		}
		s.call(t, "GET", "/a/changes/"+n+"/suggest_reviewers?"+query, "alice", "alice-pw", nil, "").json(t, &out)
		var got []string
		for _, o := range out {
			if o.Account != nil {
				got = append(got, o.Account.Username)
			} else {
				got = append(got, fmt.Sprintf("%s(%d)", o.Group.Name, o.Count))
			}
		}
		return strings.Join(got, " ")
	}
	// backend holds bob and admin, who created it.
	if got := suggest("q=b"); got != "bob bobby backend(2)" {
		t.Fatalf("q=b suggests %q", got)
	}
	if got := suggest("q=b&n=1"); got != "bob" {
		t.Fatalf("q=b&n=1 suggests %q", got)
	}
	if got := suggest("q=alice"); got != "" {
		t.Fatalf("the owner is suggested: %q", got)
	}
	expect(t, s.call(t, "POST", "/a/changes/"+n+"/reviewers", "alice", "alice-pw", map[string]string{"reviewer": "bob"}, ""), 200, "add bob")
	if got := suggest("q=bob"); got != "bobby" {
		t.Fatalf("after adding bob, q=bob suggests %q", got)
	}
}
