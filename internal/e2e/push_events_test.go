package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// pushEventTypes are the events a push for review may emit, besides the
// project-created markers that end each step.
const pushEventTypes = "-s patchset-created -s comment-added -s reviewer-added -s topic-changed -s hashtags-changed " +
	"-s wip-state-changed -s private-state-changed -s project-created"

// stepEvents creates marker project name and returns the events the
// stream reported before it, by type in order.
func (s *server) stepEvents(t testing.TB, es *eventStream, name string) []event {
	t.Helper()
	expect(t, s.admin(t, "PUT", "/a/projects/"+name, map[string]any{}), 201, "create "+name)
	evs := es.until(t, projectCreated(name))
	var out []event
	for _, e := range evs[:len(evs)-1] {
		if e.typ() != "project-created" { // stray sync markers
			out = append(out, e)
		}
	}
	return out
}

func eventTypes(evs []event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.typ())
	}
	return out
}

func findEvent(t testing.TB, evs []event, typ string) event {
	t.Helper()
	for _, e := range evs {
		if e.typ() == typ {
			return e
		}
	}
	t.Fatalf("no %s among %v", typ, eventTypes(evs))
	return nil
}

// approval returns the approval of label in a comment-added.
func approval(e event, label string) map[string]any {
	as, _ := e["approvals"].([]any)
	for _, a := range as {
		if m, _ := a.(map[string]any); m["type"] == label {
			return m
		}
	}
	return nil
}

// num returns a nested number field as text, e.g. num("change", "number").
func (e event) num(path ...string) string {
	var v any = map[string]any(e)
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	if f, ok := v.(float64); ok {
		return fmt.Sprint(int64(f))
	}
	return ""
}

func stringList(v any) []string {
	var out []string
	xs, _ := v.([]any)
	for _, x := range xs {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestPushEvents: a push for review emits, in Gerrit's shapes, what its
// options did: votes as comment-added, reviewers as reviewer-added, and on
// a new patch set the topic, hashtag, WIP and private changes.
func TestPushEvents(t *testing.T) {
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/pe", map[string]any{"create_empty_commit": true}), 201, "create project")
	s.createUser(t, "alice")
	bobKey := s.createUser(t, "bob")
	s.createUser(t, "carol")
	// bob follows the events: as a reviewer he sees the change once it is
	// private, which administrators do not.
	expect(t, s.admin(t, "PUT", "/a/groups/Service%20Users/members/bob", nil), 201, "add bob to Service Users")
	stream := s.streamEvents(t, "bob", bobKey, pushEventTypes)
	s.sync(t, stream)
	dir := filepath.Join(t.TempDir(), "pe")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "pe"), dir)
	alice := s.httpURL("alice", "alice-pw", "pe")

	// A new change: its topic and hashtag ride on patchset-created; the
	// reviewer gets reviewer-added (the CC none) and the vote comment-added.
	withChangeIDAs(t, s, dir, "a.txt", "a\n", "Add a", changeID(1))
	out := s.mustGit(t, dir, "", "push", alice, "HEAD:refs/for/main%l=Code-Review+1,r=bob,cc=carol,topic=x,t=tag")
	m := regexp.MustCompile(`c/pe/\+/(\d+) Add a`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("push output:\n%s", out)
	}
	n := m[1]
	evs := s.stepEvents(t, stream, "step-1")
	if got, want := eventTypes(evs), []string{"patchset-created", "reviewer-added", "comment-added"}; !slices.Equal(got, want) {
		t.Fatalf("new change events %v, want %v", got, want)
	}
	created := evs[0]
	if created.str("change", "topic") != "x" || !slices.Equal(stringList(created["change"].(map[string]any)["hashtags"]), []string{"tag"}) {
		t.Fatalf("patchset-created = %v", created)
	}
	ra := evs[1]
	if ra.str("reviewer", "username") != "bob" || ra.str("adder", "username") != "alice" || ra.num("change", "number") != n ||
		ra.num("patchSet", "number") != "1" {
		t.Fatalf("reviewer-added = %v", ra)
	}
	ca := evs[2]
	cr := approval(ca, "Code-Review")
	if ca.str("author", "username") != "alice" || !strings.Contains(ca.str("comment"), "Code-Review+1") ||
		cr == nil || cr["value"] != "1" || cr["oldValue"] != "0" || ca.num("patchSet", "number") != "1" {
		t.Fatalf("comment-added = %v", ca)
	}

	// A new patch set changing topic, hashtags, WIP and private state; bob
	// is a reviewer already.
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitAs(t, s, dir, "alice", "add", ".")
	amendAs(t, s, dir)
	s.mustGit(t, dir, "", "push", alice, "HEAD:refs/for/main%wip,private,topic=y,t=tag2,r=bob")
	evs = s.stepEvents(t, stream, "step-2")
	want := []string{"patchset-created", "topic-changed", "hashtags-changed", "wip-state-changed", "private-state-changed"}
	if got := eventTypes(evs); !slices.Equal(got, want) {
		t.Fatalf("patch set 2 events %v, want %v", got, want)
	}
	tc := findEvent(t, evs, "topic-changed")
	if tc.str("oldTopic") != "x" || tc.str("change", "topic") != "y" || tc.str("changer", "username") != "alice" {
		t.Fatalf("topic-changed = %v", tc)
	}
	hc := findEvent(t, evs, "hashtags-changed")
	if !slices.Equal(stringList(hc["added"]), []string{"tag2"}) || !slices.Equal(stringList(hc["hashtags"]), []string{"tag", "tag2"}) ||
		hc.str("editor", "username") != "alice" {
		t.Fatalf("hashtags-changed = %v", hc)
	}
	wc := findEvent(t, evs, "wip-state-changed")
	if wc["change"].(map[string]any)["wip"] != true || wc.str("changer", "username") != "alice" || wc.num("patchSet", "number") != "2" {
		t.Fatalf("wip-state-changed = %v", wc)
	}
	pc := findEvent(t, evs, "private-state-changed")
	if pc["change"].(map[string]any)["private"] != true || pc.str("changer", "username") != "alice" {
		t.Fatalf("private-state-changed = %v", pc)
	}

	// Back to ready and public, same topic: only the state events, and a
	// vote changed from the copied one carries its old value.
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitAs(t, s, dir, "alice", "add", ".")
	amendAs(t, s, dir)
	s.mustGit(t, dir, "", "push", "-o", "ready", "-o", "remove-private", "-o", "topic=y", "-o", "l=Code-Review-1", alice, "HEAD:refs/for/main")
	evs = s.stepEvents(t, stream, "step-3")
	want = []string{"patchset-created", "comment-added", "wip-state-changed", "private-state-changed"}
	if got := eventTypes(evs); !slices.Equal(got, want) {
		t.Fatalf("patch set 3 events %v, want %v", got, want)
	}
	if cr := approval(evs[1], "Code-Review"); cr == nil || cr["value"] != "-1" || cr["oldValue"] != "0" {
		t.Fatalf("comment-added on patch set 3 = %v", evs[1])
	}
	if evs[2]["change"].(map[string]any)["wip"] == true || evs[3]["change"].(map[string]any)["private"] == true {
		t.Fatalf("state events = %v", evs[2:])
	}
}

// TestPushOptions covers push options beyond TestPushForReview's: the
// change message, the ref spelled with refs/heads/, and Gerrit's
// rejections.
func TestPushOptions(t *testing.T) {
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/po", map[string]any{"create_empty_commit": true}), 201, "create project")
	s.createUser(t, "alice")
	dir := filepath.Join(t.TempDir(), "po")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "po"), dir)
	alice := s.httpURL("alice", "alice-pw", "po")

	withChangeIDAs(t, s, dir, "a.txt", "a\n", "Add a", changeID(1))
	out := s.mustGit(t, dir, "", "push", alice, "HEAD:refs/for/refs/heads/main%m=Please_look")
	m := regexp.MustCompile(`c/po/\+/(\d+) Add a \[NEW\]`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("push to refs/for/refs/heads/main:\n%s", out)
	}
	r := s.admin(t, "GET", "/a/changes/"+m[1]+"?o=MESSAGES", nil)
	expect(t, r, 200, "change with messages")
	var ci struct {
		Messages []struct{ Message string }
	}
	r.json(t, &ci)
	if len(ci.Messages) != 1 || ci.Messages[0].Message != "Uploaded patch set 1.\n\nPlease look" {
		t.Fatalf("messages = %+v", ci.Messages)
	}

	withChangeIDAs(t, s, dir, "b.txt", "b\n", "Add b", changeID(2))
	cases := []struct {
		desc, ref, want string
	}{
		{"private and remove-private", "HEAD:refs/for/main%private,remove-private", "the options 'private' and 'remove-private' are mutually exclusive"},
		{"vote out of range", "HEAD:refs/for/main%l=Code-Review+5", `label "Code-Review": 5 is not a valid value`},
		{"vote not permitted", "HEAD:refs/for/main%l=Code-Review+2", "prohibited by Gerrit: not permitted: label Code-Review+2"},
		{"unknown label", "HEAD:refs/for/main%l=Nope+1", `label "Nope" is not a configured label`},
		{"unknown reviewer", "HEAD:refs/for/main%r=nobody", "account 'nobody' not found"},
		{"unknown cc", "HEAD:refs/for/main%cc=nobody", "account 'nobody' not found"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			out, err := s.git(t, dir, "", "push", alice, tc.ref)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Fatalf("push %s: err=%v\n%s", tc.ref, err, out)
			}
		})
	}
}

// TestPushPublishComments: publish-comments publishes the uploader's
// drafts with the new patch set, counted in its change message, and emits
// comment-added.
func TestPushPublishComments(t *testing.T) {
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/pc", map[string]any{"create_empty_commit": true}), 201, "create project")
	s.createUser(t, "alice")
	stream := s.streamEvents(t, "admin", s.adminKey, "-s comment-added -s project-created")
	s.sync(t, stream)
	dir := filepath.Join(t.TempDir(), "pc")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "pc"), dir)
	alice := s.httpURL("alice", "alice-pw", "pc")
	withChangeIDAs(t, s, dir, "a.txt", "a\n", "Add a", changeID(1))
	out := s.mustGit(t, dir, "", "push", alice, "HEAD:refs/for/main")
	n := pushedChange(t, "pc", out)
	for _, msg := range []string{"One?", "Two?"} {
		expect(t, s.call(t, "PUT", "/a/changes/"+n+"/revisions/1/drafts", "alice", "alice-pw",
			map[string]any{"path": "a.txt", "line": 1, "message": msg}, ""), 201, "draft "+msg)
	}

	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitAs(t, s, dir, "alice", "add", ".")
	amendAs(t, s, dir)
	s.mustGit(t, dir, "", "push", "-o", "publish-comments", alice, "HEAD:refs/for/main")
	evs := s.stepEvents(t, stream, "step-1")
	if got := eventTypes(evs); !slices.Equal(got, []string{"comment-added"}) {
		t.Fatalf("events %v, want comment-added", got)
	}
	ca := evs[0]
	if ca.str("comment") != "Uploaded patch set 2.\n\n(2 comments)" || ca.str("author", "username") != "alice" ||
		ca.num("patchSet", "number") != "2" || approval(ca, "Code-Review") == nil {
		t.Fatalf("comment-added = %v", ca)
	}

	var comments map[string][]struct {
		Message  string
		PatchSet int `json:"patch_set"`
	}
	r := s.admin(t, "GET", "/a/changes/"+n+"/comments", nil)
	expect(t, r, 200, "comments")
	r.json(t, &comments)
	if len(comments["a.txt"]) != 2 || comments["a.txt"][0].PatchSet != 1 {
		t.Fatalf("published comments = %+v", comments)
	}
	var drafts map[string][]any
	r = s.call(t, "GET", "/a/changes/"+n+"/drafts", "alice", "alice-pw", nil, "")
	expect(t, r, 200, "drafts")
	r.json(t, &drafts)
	if len(drafts) != 0 {
		t.Fatalf("drafts left: %v", drafts)
	}
}

// TestPushPreferences: the pusher's preferences make new changes work in
// progress and publish drafts on push, unless the push says otherwise
// (ready, no-publish-comments).
func TestPushPreferences(t *testing.T) {
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/pp", map[string]any{"create_empty_commit": true}), 201, "create project")
	s.createUser(t, "alice")
	s.createUser(t, "bob")
	prefs := func(user, method string, body any) (int, map[string]any) {
		t.Helper()
		r := s.call(t, method, "/a/accounts/alice/preferences", user, user+"-pw", body, "")
		var out map[string]any
		if r.status == 200 {
			r.json(t, &out)
		}
		return r.status, out
	}
	if status, p := prefs("alice", "GET", nil); status != 200 || p["changes_per_page"] != 25.0 || p["work_in_progress_by_default"] != nil {
		t.Fatalf("default preferences: %d %v", status, p)
	}
	status, p := prefs("alice", "PUT", map[string]any{"work_in_progress_by_default": true, "publish_comments_on_push": true, "diff_view": "UNIFIED_DIFF"})
	if status != 200 || p["work_in_progress_by_default"] != true || p["diff_view"] != "UNIFIED_DIFF" || p["changes_per_page"] != 25.0 {
		t.Fatalf("PUT preferences: %d %v", status, p)
	}
	if status, _ := prefs("alice", "PUT", map[string]any{"diff_view": "SIDEWAYS"}); status != 400 {
		t.Fatalf("a bad diff_view: %d", status)
	}
	if status, _ := prefs("bob", "GET", nil); status != 403 {
		t.Fatalf("bob reads alice's preferences: %d", status)
	}

	dir := filepath.Join(t.TempDir(), "pp")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "pp"), dir)
	alice := s.httpURL("alice", "alice-pw", "pp")
	wip := func(n string) bool {
		t.Helper()
		var info struct {
			WIP bool `json:"work_in_progress"`
		}
		s.admin(t, "GET", "/a/changes/"+n, nil).json(t, &info)
		return info.WIP
	}
	withChangeIDAs(t, s, dir, "a.txt", "a\n", "Add a", changeID(1))
	out := s.mustGit(t, dir, "", "push", alice, "HEAD:refs/for/main")
	n := pushedChange(t, "pp", out)
	if !wip(n) {
		t.Fatal("a new change of alice's is not work in progress")
	}
	withChangeIDAs(t, s, dir, "b.txt", "b\n", "Add b", changeID(2))
	out = s.mustGit(t, dir, "", "push", alice, "HEAD:refs/for/main%ready")
	if m := regexp.MustCompile(`c/pp/\+/(\d+) Add b`).FindStringSubmatch(out); m == nil || wip(m[1]) {
		t.Fatalf("%%ready: %s", out)
	}

	drafts := func() int {
		t.Helper()
		var d map[string][]any
		s.call(t, "GET", "/a/changes/"+n+"/drafts", "alice", "alice-pw", nil, "").json(t, &d)
		return len(d["a.txt"])
	}
	expect(t, s.call(t, "PUT", "/a/changes/"+n+"/revisions/1/drafts", "alice", "alice-pw",
		map[string]any{"path": "a.txt", "line": 1, "message": "Note to self"}, ""), 201, "draft")
	s.mustGit(t, dir, "", "checkout", "-q", "HEAD~1")
	for i, ref := range []string{"HEAD:refs/for/main%no-publish-comments", "HEAD:refs/for/main"} {
		if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte(fmt.Sprintf("a%d\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
		gitAs(t, s, dir, "alice", "add", ".")
		amendAs(t, s, dir)
		s.mustGit(t, dir, "", "push", alice, ref)
		if want := 1 - i; drafts() != want {
			t.Fatalf("after push %s: %d drafts, want %d", ref, drafts(), want)
		}
	}
}
