package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tandem/internal/httpd/restapi"
)

// TestOnBehalfOf: a bot holding labelAs and submitAs reviews and submits
// for a user over REST; the user is recorded, the bot as real author.
func TestOnBehalfOf(t *testing.T) {
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/ob", map[string]any{"create_empty_commit": true}), 201, "create project")
	s.createUser(t, "alice")
	s.createUser(t, "bob")
	s.createUser(t, "bot")
	expect(t, s.admin(t, "PUT", "/a/groups/Service%20Users/members/bot", nil), 201, "add bot to Service Users")
	var group restapi.GroupInfo
	wantJSON(t, s.admin(t, "GET", "/a/groups/Service%20Users", nil), 200, &group)
	s.editProjectConfig(t, "ob", func(dir string) {
		appendFile(t, filepath.Join(dir, "project.config"), "[access \"refs/heads/*\"]\n"+
			"\tlabelAs-Code-Review = -2..+2 group Service Users\n\tsubmit = group Service Users\n\tsubmitAs = group Service Users\n")
		if groups, _ := os.ReadFile(filepath.Join(dir, "groups")); !strings.Contains(string(groups), group.ID) {
			appendFile(t, filepath.Join(dir, "groups"), group.ID+"\tService Users\n")
		}
	})
	n := pushChange(t, s, "ob", "a.txt", "Add a", 1)
	bot := func(method, path string, body any) response {
		return s.call(t, method, path, "bot", "bot-pw", body, "")
	}

	r := s.call(t, "POST", "/a/changes/"+n+"/revisions/current/review", "alice", "alice-pw",
		map[string]any{"labels": map[string]int{"Code-Review": 1}, "on_behalf_of": "bob"}, "")
	if r.status != 403 || strings.TrimSpace(r.body) != `not permitted to modify label "Code-Review" on behalf of "bob"` {
		t.Fatalf("alice reviews for bob: %d %q", r.status, r.body)
	}
	expect(t, bot("POST", "/a/changes/"+n+"/revisions/current/review",
		map[string]any{"labels": map[string]int{"Code-Review": 2}, "on_behalf_of": "bob", "message": "LGTM"}), 200, "review for bob")
	r = bot("POST", "/a/changes/"+n+"/submit", map[string]any{"on_behalf_of": "nobody"})
	if r.status != 422 || strings.TrimSpace(r.body) != "Account 'nobody' not found" {
		t.Fatalf("submit for nobody: %d %q", r.status, r.body)
	}
	expect(t, bot("POST", "/a/changes/"+n+"/submit", map[string]any{"on_behalf_of": "bob"}), 200, "submit for bob")

	var ci restapi.ChangeInfo
	wantJSON(t, s.admin(t, "GET", "/a/changes/"+n+"?o=MESSAGES&o=DETAILED_ACCOUNTS&o=LABELS", nil), 200, &ci)
	var review *restapi.ChangeMessageInfo
	for i := range ci.Messages {
		if strings.Contains(ci.Messages[i].Message, "LGTM") {
			review = &ci.Messages[i]
		}
	}
	if review == nil || review.Author == nil || review.Author.Username != "bob" || review.RealAuthor == nil || review.RealAuthor.Username != "bot" {
		t.Fatalf("review message %+v", review)
	}
	if cr := ci.Labels["Code-Review"]; cr == nil || cr.Approved == nil || cr.Approved.Username != "bob" {
		t.Fatalf("Code-Review %+v", ci.Labels["Code-Review"])
	}
	if ci.Status != "MERGED" || ci.Submitter == nil || ci.Submitter.Username != "bob" {
		t.Fatalf("status %s, submitter %+v", ci.Status, ci.Submitter)
	}
}
