package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tandem/internal/httpd/restapi"
)

// verifiedLabel is a Verified label, defined site-wide in All-Projects so
// that `gerrit review --verified` exists, that only Service Users may
// vote.
const verifiedLabel = `[label "Verified"]
	function = NoBlock
	value = -1 Fails
	value = 0 No score
	value = +1 Verified
	copyCondition = changekind:NO_CODE_CHANGE
[access "refs/heads/*"]
	label-Verified = -1..+1 group Service Users
`

// verifiedRequirement is one project's submit requirement on it.
const verifiedRequirement = `[submit-requirement "Verified"]
	description = A CI build passed
	submittableIf = label:Verified=MAX AND -label:Verified=MIN
	applicableIf = -branch:refs/meta/config
`

// TestCIBotVerifies plays a CI bot: it follows `gerrit stream-events`,
// votes Verified over SSH on each new patch set, and only then may the
// change be submitted, by the project's own submit requirement on a label
// All-Projects defines.
func TestCIBotVerifies(t *testing.T) {
	s := startServer(t, "sqlite")
	expect(t, s.admin(t, "PUT", "/a/projects/ci", map[string]any{"create_empty_commit": true}), 201, "create project")
	var group restapi.GroupInfo
	wantJSON(t, s.admin(t, "GET", "/a/groups/Service%20Users", nil), 200, &group)
	s.editProjectConfig(t, "All-Projects", func(dir string) {
		appendFile(t, filepath.Join(dir, "project.config"), verifiedLabel)
		if groups, _ := os.ReadFile(filepath.Join(dir, "groups")); !strings.Contains(string(groups), group.ID) {
			appendFile(t, filepath.Join(dir, "groups"), group.ID+"\tService Users\n")
		}
	})
	s.appendProjectConfig(t, "ci", verifiedRequirement)
	aliceKey := s.createUser(t, "alice")
	botKey := s.createUser(t, "bot")
	expect(t, s.admin(t, "PUT", "/a/groups/Service%20Users/members/bot", nil), 201, "add bot to Service Users")
	stream := s.streamEvents(t, "bot", botKey, "-s patchset-created -s comment-added -s change-merged -s project-created")
	s.sync(t, stream)

	n := pushChange(t, s, "ci", "a.txt", "Add a", 1)
	created := stream.next(t)
	if created.typ() != "patchset-created" || created.num("change", "number") != n || created.str("project") != "ci" {
		t.Fatalf("first event %v, want patchset-created of %s", created, n)
	}
	target := n + "," + created.num("patchSet", "number")

	// The reviewer approves; the project's requirement still holds it.
	expect(t, s.admin(t, "POST", "/a/changes/"+n+"/revisions/current/review", map[string]any{"labels": map[string]int{"Code-Review": 2}}), 200, "approve")
	if ev := stream.next(t); ev.typ() != "comment-added" || approval(ev, "Code-Review")["value"] != "2" {
		t.Fatalf("event %v, want the approval", ev)
	}
	r := s.admin(t, "POST", "/a/changes/"+n+"/submit", nil)
	if want := "Failed to submit 1 change due to the following problems:\nChange " + n + ": submit requirement 'Verified' is unsatisfied."; r.status != 409 || strings.TrimSpace(r.body) != want {
		t.Fatalf("submit before the build: %d %q", r.status, r.body)
	}

	// Only the bot may vote Verified.
	if _, errOut, code := s.ssh(t, "alice", aliceKey, "", "gerrit", "review", "--label", "Verified=+1", target); code != 1 ||
		!strings.Contains(errOut, "Verified") {
		t.Fatalf("alice votes Verified: %d %q", code, errOut)
	}
	if _, errOut, code := s.ssh(t, "bot", botKey, "", "gerrit", "review", "--verified", "+1", "-m", "'Build Successful'", target); code != 0 {
		t.Fatalf("bot votes: %d %q", code, errOut)
	}
	voted := stream.next(t)
	if voted.typ() != "comment-added" || voted.str("author", "username") != "bot" || approval(voted, "Verified")["value"] != "1" ||
		!strings.Contains(voted.str("comment"), "Build Successful") {
		t.Fatalf("event %v, want the bot's Verified+1", voted)
	}

	var ci restapi.ChangeInfo
	wantJSON(t, s.admin(t, "GET", "/a/changes/"+n+"?o=SUBMIT_REQUIREMENTS&o=LABELS&o=DETAILED_ACCOUNTS", nil), 200, &ci)
	var verified *restapi.SubmitRequirementResultInfo
	for i := range ci.SubmitRequirements {
		if ci.SubmitRequirements[i].Name == "Verified" {
			verified = &ci.SubmitRequirements[i]
		}
	}
	if verified == nil || verified.Status != "SATISFIED" || ci.Labels["Verified"] == nil || ci.Labels["Verified"].Approved == nil ||
		ci.Labels["Verified"].Approved.Username != "bot" {
		t.Fatalf("requirements %+v, labels %+v", ci.SubmitRequirements, ci.Labels)
	}
	expect(t, s.admin(t, "POST", "/a/changes/"+n+"/submit", nil), 200, "submit after the build")
	if ev := stream.next(t); ev.typ() != "change-merged" || ev.num("change", "number") != n {
		t.Fatalf("event %v, want change-merged", ev)
	}
}
