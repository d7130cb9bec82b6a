package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAttentionSet drives a change's attention set over REST the way
// Gerrit's web UI and bots do: the automatic rules on adding reviewers,
// replying, and abandoning; explicit additions and removals; the
// ChangeInfo fields and the attention query operators.
func TestAttentionSet(t *testing.T) {
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/att", map[string]any{"create_empty_commit": true}), 201, "create project att")
	for _, u := range []string{"alice", "bob", "carol"} {
		s.createUser(t, u)
	}
	ids := map[string]string{}
	for _, u := range []string{"alice", "bob", "carol"} {
		var info struct {
			ID int `json:"_account_id"`
		}
		s.admin(t, "GET", "/a/accounts/"+u, nil).json(t, &info)
		ids[u] = fmt.Sprint(info.ID)
	}
	as := func(user, method, path string, body any) response {
		t.Helper()
		return s.call(t, method, "/a/changes/"+path, user, user+"-pw", body, "")
	}
	n := pushChange(t, s, "att", "a.txt", "Pay attention", 801)

	type attentionInfo struct {
		Account struct {
			ID int `json:"_account_id"`
		} `json:"account"`
		LastUpdate    string `json:"last_update"`
		Reason        string `json:"reason"`
		ReasonAccount *struct {
			ID int `json:"_account_id"`
		} `json:"reason_account"`
	}
	var info struct {
		Updated   string                   `json:"updated"`
		Attention map[string]attentionInfo `json:"attention_set"`
		Removed   map[string]attentionInfo `json:"removed_from_attention_set"`
	}
	load := func() {
		t.Helper()
		info.Attention, info.Removed = nil, nil
		wantJSON(t, as("alice", "GET", n, nil), 200, &info)
	}
	set := func() []string {
		t.Helper()
		load()
		var out []string
		for id := range info.Attention {
			for name, want := range ids {
				if id == want {
					out = append(out, name)
				}
			}
		}
		slices.Sort(out)
		return out
	}
	query := func(user, q string) []string {
		t.Helper()
		var found []struct {
			Number int `json:"_number"`
		}
		wantJSON(t, as(user, "GET", "?q="+q, nil), 200, &found)
		var out []string
		for _, c := range found {
			out = append(out, fmt.Sprint(c.Number))
		}
		return out
	}

	// A new change waits for nobody; adding a reviewer makes it their turn.
	if got := set(); len(got) != 0 {
		t.Fatalf("attention set of a new change: %v", got)
	}
	expect(t, as("alice", "POST", n+"/reviewers", map[string]any{"reviewer": "bob"}), 200, "alice adds bob")
	expect(t, as("alice", "POST", n+"/reviewers", map[string]any{"reviewer": "carol", "state": "CC"}), 200, "alice CCs carol")
	if got := set(); fmt.Sprint(got) != "[bob]" {
		t.Fatalf("after adding reviewer bob and CC carol: %v", got)
	}
	if a := info.Attention[ids["bob"]]; a.Reason != "Reviewer was added" || a.ReasonAccount == nil || fmt.Sprint(a.ReasonAccount.ID) != ids["alice"] || a.LastUpdate == "" {
		t.Fatalf("bob's entry: %+v", a)
	}
	if got := query("bob", "is:attention"); fmt.Sprint(got) != "["+n+"]" {
		t.Fatalf("bob's is:attention: %v", got)
	}
	if got := query("carol", "is:attention"); len(got) != 0 {
		t.Fatalf("carol's is:attention: %v", got)
	}
	if got := query("carol", "attention:bob"); fmt.Sprint(got) != "["+n+"]" {
		t.Fatalf("attention:bob: %v", got)
	}

	// bob replies: his turn ends, the owner's begins.
	expect(t, as("bob", "POST", n+"/revisions/current/review", map[string]any{"message": "Looks odd", "labels": map[string]int{"Code-Review": -1}}), 200, "bob reviews")
	if got := set(); fmt.Sprint(got) != "[alice]" {
		t.Fatalf("after bob's reply: %v", got)
	}
	if a := info.Attention[ids["alice"]]; a.Reason != "Someone replied on the change" || fmt.Sprint(a.ReasonAccount.ID) != ids["bob"] {
		t.Fatalf("alice's entry: %+v", a)
	}
	if r := info.Removed[ids["bob"]]; r.Reason != "removed on reply" {
		t.Fatalf("bob's removal: %+v", info.Removed)
	}

	// Explicit changes, checked.
	var added struct {
		ID       int    `json:"_account_id"`
		Username string `json:"username"`
	}
	wantJSON(t, as("alice", "POST", n+"/attention", map[string]any{"user": "carol", "reason": "Please look"}), 200, &added)
	if fmt.Sprint(added.ID) != ids["carol"] || added.Username != "carol" {
		t.Fatalf("added %+v", added)
	}
	for _, c := range []struct {
		body   map[string]any
		status int
		text   string
	}{
		{map[string]any{"user": "carol"}, 400, "missing field: reason"},
		{map[string]any{"user": "nobody", "reason": "x"}, 422, "Account 'nobody' not found"},
	} {
		if r := as("alice", "POST", n+"/attention", c.body); r.status != c.status || !strings.Contains(r.body, c.text) {
			t.Errorf("POST attention %v: %d %q, want %d %q", c.body, r.status, r.body, c.status, c.text)
		}
	}
	if r := s.call(t, "POST", "/changes/"+n+"/attention", "", "", map[string]any{"user": "carol", "reason": "x"}, ""); r.status != 401 && r.status != 403 {
		t.Errorf("anonymous POST attention: %d %q", r.status, r.body)
	}
	var listed []attentionInfo
	wantJSON(t, as("carol", "GET", n+"/attention", nil), 200, &listed)
	if len(listed) != 2 || fmt.Sprint(listed[0].Account.ID) != ids["alice"] || listed[1].Reason != "Please look" {
		t.Fatalf("GET attention: %+v", listed)
	}
	expect(t, as("carol", "DELETE", n+"/attention/self", nil), 204, "carol removes herself")
	expect(t, as("carol", "POST", n+"/attention/carol/delete", map[string]any{"reason": "again"}), 204, "removing someone not in the set")
	if got := set(); fmt.Sprint(got) != "[alice]" {
		t.Fatalf("after carol left: %v", got)
	}
	if r := info.Removed[ids["carol"]]; r.Reason != "Removed by carol" {
		t.Fatalf("carol's removal: %+v", r)
	}

	// A review may set the set itself and skip the automatic rules.
	expect(t, as("alice", "POST", n+"/revisions/current/review", map[string]any{"message": "Fixed, I think",
		"ignore_automatic_attention_set_rules": true,
		"add_to_attention_set":                 []map[string]any{{"user": "bob", "reason": "Fixed"}}}), 200, "alice replies")
	if got := set(); fmt.Sprint(got) != "[alice bob]" {
		t.Fatalf("after alice's reply without automatic rules: %v", got)
	}
	expect(t, as("alice", "POST", n+"/revisions/current/review", map[string]any{"message": "Over to bob"}), 200, "alice replies again")
	if got := set(); fmt.Sprint(got) != "[bob]" {
		t.Fatalf("after alice's reply: %v", got)
	}
	if got := query("alice", "has:attention+project:att"); fmt.Sprint(got) != "["+n+"]" {
		t.Fatalf("has:attention: %v", got)
	}

	// Abandoning ends everyone's turn.
	expect(t, as("alice", "POST", n+"/abandon", map[string]any{}), 200, "abandon")
	if got := set(); len(got) != 0 {
		t.Fatalf("after abandoning: %v", got)
	}
	if r := info.Removed[ids["bob"]]; r.Reason != "Change was abandoned" {
		t.Fatalf("bob's removal on abandon: %+v", r)
	}
	if got := query("alice", "has:attention+project:att"); len(got) != 0 {
		t.Fatalf("has:attention after abandoning: %v", got)
	}

	// Reviewers added on push (r=) join the set, except Service Users.
	s.createUser(t, "robot")
	var robot struct {
		ID int `json:"_account_id"`
	}
	wantJSON(t, s.admin(t, "PUT", "/a/groups/Service%20Users/members/robot", nil), 201, &robot)
	ids["robot"] = fmt.Sprint(robot.ID)
	dir := filepath.Join(t.TempDir(), "push")
	s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "att"), dir)
	withChangeIDAs(t, s, dir, "b.txt", "b\n", "Reviewed by a bot too", changeID(802))
	out := s.mustGit(t, dir, "", "push", s.httpURL("alice", "alice-pw", "att"), "HEAD:refs/for/main%r=bob,r=robot")
	n = pushedChange(t, "att", out)
	if got := set(); fmt.Sprint(got) != "[bob]" {
		t.Fatalf("after a push with r=bob,r=robot: %v", got)
	}
	var reviewers []accountInfo
	wantJSON(t, as("alice", "GET", n+"/reviewers/", nil), 200, &reviewers)
	var names []string
	for _, r := range reviewers {
		names = append(names, r.Username)
	}
	if slices.Sort(names); !slices.Equal(names, []string{"bob", "robot"}) {
		t.Fatalf("reviewers after the push: %+v", reviewers)
	}
}
