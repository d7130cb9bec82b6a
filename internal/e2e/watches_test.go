package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestWatchedProjects keeps an account's project watches over REST and
// finds their changes with is:watched.
func TestWatchedProjects(t *testing.T) {
	s := startServer(t, "sqlite")
	for _, p := range []string{"w-one", "w-two"} {
		expect(t, s.admin(t, "PUT", "/a/projects/"+p, map[string]any{"create_empty_commit": true}), 201, "create "+p)
	}
	s.createUser(t, "alice")
	s.createUser(t, "bob")
	as := func(user, method, path string, body any) response {
		t.Helper()
		return s.call(t, method, "/a/accounts/"+path, user, user+"-pw", body, "")
	}
	type watch struct {
		Project          string `json:"project"`
		Filter           string `json:"filter"`
		NotifyNewChanges bool   `json:"notify_new_changes"`
	}
	var ws []watch
	wantJSON(t, as("alice", "GET", "self/watched.projects", nil), 200, &ws)
	if len(ws) != 0 {
		t.Fatalf("a new account watches %+v", ws)
	}
	wantJSON(t, as("alice", "POST", "self/watched.projects", []map[string]any{
		{"project": "w-two", "notify_new_changes": true}, {"project": "w-one", "filter": "subject:Wanted"}}), 200, &ws)
	if fmt.Sprint(ws) != "[{w-one subject:Wanted false} {w-two  true}]" {
		t.Fatalf("watches after POST: %+v", ws)
	}
	for _, c := range []struct {
		user, path string
		body       any
		status     int
		text       string
	}{
		{"alice", "self/watched.projects", []map[string]any{{"project": "nope"}}, 422, "Not found: nope"},
		{"alice", "self/watched.projects", []map[string]any{{"filter": "x"}}, 400, "project name must be specified"},
		{"bob", "alice/watched.projects", []map[string]any{{"project": "w-one"}}, 403, ""},
	} {
		if r := as(c.user, "POST", c.path, c.body); r.status != c.status || !strings.Contains(r.body, c.text) {
			t.Errorf("%s POST %s %v: %d %q, want %d %q", c.user, c.path, c.body, r.status, r.body, c.status, c.text)
		}
	}
	if r := as("bob", "GET", "alice/watched.projects", nil); r.status != 403 {
		t.Errorf("bob reads alice's watches: %d %q", r.status, r.body)
	}

	wanted := pushChange(t, s, "w-one", "a.txt", "Wanted thing", 901)
	pushChange(t, s, "w-one", "b.txt", "Other thing", 902)
	two := pushChange(t, s, "w-two", "c.txt", "Anything", 903)
	watched := func() string {
		t.Helper()
		var found []struct {
			Number int `json:"_number"`
		}
		wantJSON(t, s.call(t, "GET", "/a/changes/?q=is:watched", "alice", "alice-pw", nil, ""), 200, &found)
		var out []string
		for _, c := range found {
			out = append(out, fmt.Sprint(c.Number))
		}
		slices.Sort(out)
		return fmt.Sprint(out)
	}
	want := []string{wanted, two}
	slices.Sort(want)
	if got := watched(); got != fmt.Sprint(want) {
		t.Fatalf("is:watched finds %s, want %v", got, want)
	}
	expect(t, as("alice", "POST", "self/watched.projects:delete", []map[string]any{{"project": "w-two"}}), 204, "unwatch w-two")
	if got := watched(); got != "["+wanted+"]" {
		t.Fatalf("is:watched after unwatching w-two finds %s", got)
	}
	if r := s.call(t, "GET", "/changes/?q=is:watched", "", "", nil, ""); r.status != 403 || !strings.Contains(r.body, "Must be signed-in") {
		t.Errorf("anonymous is:watched: %d %q", r.status, r.body)
	}
}
