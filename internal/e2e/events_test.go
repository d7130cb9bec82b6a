package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// eventWait bounds how long a test waits for an event it expects; it only
// keeps a broken server from hanging the test.
const eventWait = 30 * time.Second

// eventStream is a running `ssh … gerrit stream-events`.
type eventStream struct {
	name   string
	cmd    *exec.Cmd
	lines  chan string // closed when the command's output ends
	stderr *bytes.Buffer
}

// streamEvents starts `gerrit stream-events ARGS` as user; the client is
// killed when the test ends (before the server stops, which it would
// otherwise wait for).
func (s *server) streamEvents(t testing.TB, user, key, args string) *eventStream {
	t.Helper()
	line := strings.TrimSpace("gerrit stream-events " + args)
	cmd := exec.Command("ssh", "-p", s.sshPort, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-i", key, user+"@127.0.0.1", line)
	es := &eventStream{name: user + ": " + line, cmd: cmd, lines: make(chan string, 1000), stderr: &bytes.Buffer{}}
	cmd.Stderr = es.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(es.lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			es.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		cmd.Wait() // an error when the test has waited already
	})
	return es
}

// event is one decoded stream-events line.
type event map[string]any

func (e event) typ() string { s, _ := e["type"].(string); return s }

// str returns a nested string field, e.g. str("refUpdate", "refName").
func (e event) str(path ...string) string {
	var v any = map[string]any(e)
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

// next returns the next event, failing the test if none comes.
func (es *eventStream) next(t testing.TB) event {
	t.Helper()
	select {
	case line, ok := <-es.lines:
		if !ok {
			t.Fatalf("%s ended; stderr %q", es.name, es.stderr.String())
		}
		var e event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%s: line %q is not JSON: %v", es.name, line, err)
		}
		return e
	case <-time.After(eventWait):
		t.Fatalf("%s: no event within %v", es.name, eventWait)
	}
	return nil
}

// until returns the events up to and including the first that match
// accepts.
func (es *eventStream) until(t testing.TB, match func(event) bool) []event {
	t.Helper()
	var out []event
	for {
		e := es.next(t)
		out = append(out, e)
		if match(e) {
			return out
		}
	}
}

func projectCreated(name string) func(event) bool {
	return func(e event) bool { return e.typ() == "project-created" && e.str("projectName") == name }
}

// sync makes sure the streams are running: stream-events starts from the
// moment the server has set it up, so the test creates marker projects
// until every stream has reported one. Streams may see further markers
// afterwards.
func (s *server) sync(t testing.TB, streams ...*eventStream) {
	t.Helper()
	synced := make([]bool, len(streams))
	for i := 0; ; i++ {
		name := fmt.Sprintf("sync-%d", i)
		expect(t, s.admin(t, "PUT", "/a/projects/"+name, map[string]any{}), 201, "create "+name)
		all := true
		for j, es := range streams {
			if synced[j] {
				continue
			}
			select {
			case line, ok := <-es.lines:
				if !ok {
					t.Fatalf("%s ended; stderr %q", es.name, es.stderr.String())
				}
				if !strings.Contains(line, `"projectName":"sync-`) {
					t.Fatalf("%s: event %s before any marker", es.name, line)
				}
				synced[j] = true
			case <-time.After(2 * time.Second):
				all = false
			}
		}
		if all {
			return
		}
		if i == 15 {
			t.Fatalf("streams did not start")
		}
	}
}

// TestStreamEvents follows `gerrit stream-events` with the OpenSSH client
// as an administrator, as a service user who cannot read one project, and
// with -s; a user without the capability is refused.
func TestStreamEvents(t *testing.T) {
	s := startServer(t, "sqlite")
	bobKey := s.createUser(t, "bob")
	carolKey := s.createUser(t, "carol")
	// Service Users hold streamEvents in the default All-Projects.
	expect(t, s.admin(t, "PUT", "/a/groups/Service%20Users/members/carol", nil), 201, "add carol to Service Users")

	want(t, "stream-events without the capability", s.run(t, "bob", bobKey, "", "gerrit stream-events"),
		1, "", "fatal: not permitted: stream events\n")

	// A project only administrators may read.
	expect(t, s.admin(t, "PUT", "/a/projects/hidden", map[string]any{}), 201, "create hidden")
	hide := map[string]any{"add": map[string]any{"refs/*": map[string]any{"permissions": map[string]any{
		"read": map[string]any{"rules": map[string]any{
			"global:Anonymous-Users": map[string]any{"action": "BLOCK"},
			adminsUUID(t, s):         map[string]any{"action": "ALLOW"},
		}},
	}}}}
	expect(t, s.admin(t, "POST", "/a/projects/hidden/access", hide), 200, "hide project")

	admin := s.streamEvents(t, "admin", s.adminKey, "")
	carol := s.streamEvents(t, "carol", carolKey, "")
	some := s.streamEvents(t, "admin", s.adminKey, "-s ref-updated --subscribe project-created")
	s.sync(t, admin, carol, some)

	// project-created, from REST.
	expect(t, s.admin(t, "PUT", "/a/projects/open", map[string]any{}), 201, "create open")
	e := admin.until(t, projectCreated("open"))[0]
	if e.str("projectHead") != "refs/heads/main" || e["eventCreatedOn"] == nil {
		t.Errorf("project-created = %v, want projectHead refs/heads/main and eventCreatedOn", e)
	}

	// ref-updated, from direct pushes over HTTP.
	push := func(project string) string {
		t.Helper()
		dir := t.TempDir()
		s.mustGit(t, dir, "", "init", "-q", "-b", "main")
		sha := s.commit(t, dir, "a.txt", "content of "+project)
		s.mustGit(t, dir, "", "push", "-q", s.httpURL("admin", adminPassword, project), "HEAD:refs/heads/main")
		return sha
	}
	openSHA := push("open")
	hiddenSHA := push("hidden")
	expect(t, s.admin(t, "PUT", "/a/projects/done", map[string]any{}), 201, "create done")

	isRef := func(project string) func(event) bool {
		return func(e event) bool { return e.typ() == "ref-updated" && e.str("refUpdate", "project") == project }
	}
	for _, tc := range []struct {
		desc       string
		es         *eventStream
		seesHidden bool
	}{{"administrator", admin, true}, {"service user who cannot read hidden", carol, false}} {
		t.Run(tc.desc, func(t *testing.T) {
			evs := tc.es.until(t, projectCreated("done"))
			var openRef, hiddenRef event
			for _, e := range evs {
				switch {
				case isRef("open")(e):
					openRef = e
				case isRef("hidden")(e):
					hiddenRef = e
				}
			}
			if openRef == nil {
				t.Fatalf("no ref-updated for open among %v", evs)
			}
			wantRef := map[string]string{"oldRev": strings.Repeat("0", 40), "newRev": openSHA, "refName": "refs/heads/main", "project": "open"}
			for k, v := range wantRef {
				if got := openRef.str("refUpdate", k); got != v {
					t.Errorf("refUpdate.%s = %q, want %q", k, got, v)
				}
			}
			if got := openRef.str("submitter", "username"); got != "admin" {
				t.Errorf("submitter.username = %q, want admin", got)
			}
			if (hiddenRef != nil) != tc.seesHidden {
				t.Errorf("ref-updated of hidden seen: %v, want %v", hiddenRef != nil, tc.seesHidden)
			}
			if hiddenRef != nil && hiddenRef.str("refUpdate", "newRev") != hiddenSHA {
				t.Errorf("hidden newRev = %q, want %q", hiddenRef.str("refUpdate", "newRev"), hiddenSHA)
			}
		})
	}

	// -s keeps only the types asked for.
	for _, e := range some.until(t, projectCreated("done")) {
		if e.typ() != "ref-updated" && e.typ() != "project-created" {
			t.Errorf("stream with -s ref-updated -s project-created got a %s event", e.typ())
		}
	}

	// A draining server ends the streams instead of waiting for their
	// clients (stop fails the test if the daemon takes long to exit).
	s.stop()
	for _, es := range []*eventStream{admin, carol, some} {
		for {
			select {
			case _, ok := <-es.lines:
				if ok {
					continue
				}
			case <-time.After(eventWait):
				t.Fatalf("%s still running after the server stopped", es.name)
			}
			break
		}
		if err := es.cmd.Wait(); err != nil {
			t.Errorf("%s: %v after the server stopped, want exit status 0; stderr %q", es.name, err, es.stderr.String())
		}
	}
}

// TestWebhooks configures webhooks.config in refs/meta/config with git and
// receives the events the daemon posts.
func TestWebhooks(t *testing.T) {
	var mu sync.Mutex
	var got []event
	posted := make(chan struct{}, 100)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var e event
		if r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &e) != nil {
			w.WriteHeader(400)
			return
		}
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
		posted <- struct{}{}
	}))
	defer hook.Close()

	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/hooked", map[string]any{"create_empty_commit": true}), 201, "create hooked")

	dir := filepath.Join(t.TempDir(), "cfg")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("admin", adminPassword, "a/hooked"), dir)
	s.mustGit(t, dir, "", "fetch", "-q", "origin", "refs/meta/config")
	s.mustGit(t, dir, "", "checkout", "-q", "FETCH_HEAD")
	conf := fmt.Sprintf("[remote \"ci\"]\n\turl = %s/events\n\tevent = ref-updated\n", hook.URL)
	if err := os.WriteFile(filepath.Join(dir, "webhooks.config"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s.mustGit(t, dir, "", "add", "webhooks.config")
	s.mustGit(t, dir, "", "commit", "-q", "-m", "Add webhooks")
	s.mustGit(t, dir, "", "push", "-q", "origin", "HEAD:refs/meta/config")

	s.mustGit(t, dir, "", "checkout", "-q", "origin/main")
	sha := s.commit(t, dir, "b.txt", "hello")
	s.mustGit(t, dir, "", "push", "-q", "origin", "HEAD:refs/heads/main")

	deadline := time.After(eventWait)
	for {
		mu.Lock()
		var found event
		for _, e := range got {
			if e.str("refUpdate", "refName") == "refs/heads/main" && e.str("refUpdate", "newRev") == sha {
				found = e
			}
			if e.typ() != "ref-updated" {
				t.Errorf("posted a %s event; the remote takes ref-updated only", e.typ())
			}
		}
		mu.Unlock()
		if found != nil {
			if found.str("refUpdate", "project") != "hooked" || found.str("submitter", "username") != "admin" {
				t.Errorf("posted event %v, want project hooked, submitter admin", found)
			}
			return
		}
		select {
		case <-posted:
		case <-deadline:
			t.Fatalf("the push's ref-updated was not posted within %v; got %v", eventWait, got)
		}
	}
}

// TestStreamEventsReview follows a change through stream-events as a CI
// bot would: patchset-created on push, comment-added with the vote on
// review, change-merged on submit.
func TestStreamEventsReview(t *testing.T) {
	s := startServer(t, "sqlite")
	stream := s.streamEvents(t, "admin", s.adminKey, "-s patchset-created -s comment-added -s change-merged -s project-created")
	s.sync(t, stream)
	expect(t, s.admin(t, "PUT", "/a/projects/ev", map[string]any{"create_empty_commit": true}), 201, "create project")
	s.createUser(t, "alice")
	n := pushChange(t, s, "ev", "e.txt", "Evented change", 301)
	isType := func(typ string) func(event) bool { return func(e event) bool { return e.typ() == typ } }
	evs := stream.until(t, isType("patchset-created"))
	created := evs[len(evs)-1]
	if created.str("change", "subject") != "Evented change" || created.str("uploader", "username") != "alice" || created.str("patchSet", "ref") != "refs/changes/"+fmt.Sprintf("%02s", n)+"/"+n+"/1" {
		t.Fatalf("patchset-created = %v", created)
	}
	expect(t, s.admin(t, "POST", "/a/changes/"+n+"/revisions/current/review", map[string]any{"labels": map[string]int{"Code-Review": 2}, "message": "LGTM"}), 200, "review")
	evs = stream.until(t, isType("comment-added"))
	added := evs[len(evs)-1]
	if !strings.Contains(added.str("comment"), "Code-Review+2") || !strings.Contains(added.str("comment"), "LGTM") {
		t.Fatalf("comment-added = %v", added)
	}
	expect(t, s.admin(t, "POST", "/a/changes/"+n+"/submit", nil), 200, "submit")
	evs = stream.until(t, isType("change-merged"))
	merged := evs[len(evs)-1]
	if merged.str("change", "status") != "MERGED" || merged.str("newRev") == "" || merged.str("submitter", "username") != "admin" {
		t.Fatalf("change-merged = %v", merged)
	}
}
